"""The API: scoped lists, transitions as explicit actions (never a writable state)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from candidates.models import BlockPlan, Path, PathState

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_paths_list_is_scoped(make_path, candidate_user, other_candidate_user, other_evaluator, evaluator):
    path = make_path(PathState.REGISTERED)
    assert [p["id"] for p in api(candidate_user).get("/api/v1/paths/").json()["results"]] == [path.pk]
    assert [p["id"] for p in api(evaluator).get("/api/v1/paths/").json()["results"]] == [path.pk]
    for outsider in (other_candidate_user, other_evaluator):
        assert api(outsider).get("/api/v1/paths/").json()["results"] == []
        assert api(outsider).get(f"/api/v1/paths/{path.pk}/").status_code == 404
        assert api(outsider).post(f"/api/v1/paths/{path.pk}/transitions/withdraw/").status_code == 404


def test_transition_actions(make_path, candidate_user, evaluator):
    path = make_path(PathState.DRAFT)
    response = api(candidate_user).post(f"/api/v1/paths/{path.pk}/transitions/register/", {"note": "ok"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "registered"
    refused = api(candidate_user).post(f"/api/v1/paths/{path.pk}/transitions/register/")
    # A step the path's state no longer allows is a conflict, as for every object (issue 16).
    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict" and refused.json()["message"]
    forbidden = api(evaluator).post(f"/api/v1/paths/{path.pk}/transitions/withdraw/")
    assert forbidden.status_code == 403
    assert api(candidate_user).post(f"/api/v1/paths/{path.pk}/transitions/award/").status_code == 404


def test_the_state_is_not_writable(make_path, staff_user):
    path = make_path(PathState.DRAFT)
    client = api(staff_user)
    assert client.patch(f"/api/v1/paths/{path.pk}/", {"state": "awarded"}, format="json").status_code == 405
    path.refresh_from_db()
    assert path.state == PathState.DRAFT


def test_create_a_path_with_eligibility_errors_as_fields(certification, version, candidate, candidate_user):
    client = api(candidate_user)
    refused = client.post(
        "/api/v1/paths/",
        {"candidate": candidate.pk, "certification": certification.pk, "access_route": "apprenticeship"},
        format="json",
    )
    assert refused.status_code == 400
    assert "access_route" in refused.json()["fields"]
    created = client.post(
        "/api/v1/paths/",
        {"candidate": candidate.pk, "certification": certification.pk, "access_route": "continuing"},
        format="json",
    )
    assert created.status_code == 201
    assert Path.objects.get().version == version


def test_positioning_assessment_and_evidence(make_path, evaluator, version, candidate_user):
    from candidates import services

    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    client = api(evaluator)
    response = client.post(
        "/api/v1/positionings/",
        {"path": path.pk, "plans": {str(b.pk): "to_evaluate" for b in version.blocks.all()}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert client.post(f"/api/v1/paths/{path.pk}/transitions/start_evaluation/").json()["state"] == "in_evaluation"
    block = version.blocks.first()
    response = client.post(
        "/api/v1/assessments/",
        {
            "path": path.pk,
            "block": block.pk,
            "modality": block.modalities.first().pk,
            "assessed_on": "2026-01-10",
            "outcome": "acquired",
            "criterion_results": {str(c.pk): True for c in block.criteria.all()},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert len(response.json()["criterion_results"]) == 2
    assert api(candidate_user).get(f"/api/v1/assessments/?path={path.pk}").json()["count"] == 1
    fake = SimpleUploadedFile("dossier.pdf", b"not a pdf at all" * 10)
    refused = api(candidate_user).post(
        "/api/v1/evidence/", {"path": path.pk, "kind": "attestation", "file": fake}, format="multipart"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "file_type"
    assert PathState(Path.objects.get(pk=path.pk).state) == PathState.IN_EVALUATION
    assert path.path_blocks.filter(plan=BlockPlan.TO_EVALUATE).count() == 3
