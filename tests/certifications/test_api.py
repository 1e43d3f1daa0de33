"""API: scope for reads, branch administrators for writes, publish as an explicit action."""

import pytest
from rest_framework.test import APIClient

from certifications import services
from certifications.models import ReferentialState
from tests.factories.certifications import ReferentialVersionFactory, SkillBlockFactory

pytestmark = pytest.mark.django_db


def api(user=None):
    client = APIClient()
    if user:
        client.force_authenticate(user)
    return client


def test_anonymous_is_refused(published):
    assert api().get("/api/v1/certifications/").status_code in (401, 403)


def test_read_scope_hides_other_branches_drafts(published, branch_admin, other_branch_admin, evaluator):
    draft = services.version_new_from_published(certification=published.certification, by=branch_admin)
    own = api(branch_admin).get("/api/v1/referential-versions/").json()["results"]
    assert {v["id"] for v in own} == {published.pk, draft.pk}
    assert len(own[0]["blocks"]) == 3 and own[0]["blocks"][0]["competencies"]
    for user in (other_branch_admin, evaluator):
        rows = api(user).get("/api/v1/referential-versions/").json()["results"]
        assert {v["id"] for v in rows} == {published.pk}
        assert api(user).get(f"/api/v1/referential-versions/{draft.pk}/").status_code == 404
    assert api(evaluator).get("/api/v1/certifications/").json()["count"] == 1
    assert api(evaluator).get("/api/v1/branches/").status_code == 200


def test_publish_action_and_errors(cqp, branch_admin, other_branch_admin):
    version = ReferentialVersionFactory(certification=cqp)
    url = f"/api/v1/referential-versions/{version.pk}/publish/"
    response = api(branch_admin).post(url)
    assert response.status_code == 400
    assert response.json()["code"] == "publication_invalid"
    assert response.json()["details"]
    SkillBlockFactory(version=version)
    assert api(other_branch_admin).post(url).status_code == 404  # a draft of another branch
    response = api(branch_admin).post(url)
    assert response.status_code == 200 and response.json()["state"] == "published"


def test_published_version_cannot_be_changed_through_the_api(published, branch_admin, other_branch_admin):
    base = f"/api/v1/referential-versions/{published.pk}/"
    block = published.blocks.first()
    response = api(branch_admin).post(
        base + "blocks/", {"id": block.pk, "code": block.code, "title": "Changé"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "version_immutable"
    assert api(branch_admin).patch(base, {"summary": "x"}, format="json").status_code == 400
    assert api(branch_admin).delete(base).status_code == 400
    assert api(branch_admin).put(base, {}, format="json").status_code == 405
    assert api(other_branch_admin).post(base + "new-version/").status_code == 403
    response = api(branch_admin).post(base + "new-version/")
    assert response.status_code == 201 and response.json()["state"] == ReferentialState.DRAFT
    draft_id = response.json()["id"]
    response = api(branch_admin).post(
        f"/api/v1/referential-versions/{draft_id}/blocks/",
        {
            "code": "BC10",
            "title": "Nouveau",
            "competencies": ["A", "B"],
            "modalities": [{"kind": "dossier"}],
            "criteria": ["K"],
        },
        format="json",
    )
    assert response.status_code == 201 and len(response.json()["blocks"]) == 4
    block.refresh_from_db()
    assert block.title != "Changé"


def test_certification_writes(branch, other_branch, branch_admin, evaluator):
    payload = {"kind": "CQPI", "code": "cqpi-api", "title": "CQPI API", "branches": [branch.pk]}
    response = api(branch_admin).post("/api/v1/certifications/", payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "cqpi_two_branches"
    payload["branches"] = [branch.pk, other_branch.pk]
    response = api(branch_admin).post("/api/v1/certifications/", payload, format="json")
    assert response.status_code == 201, response.json()
    cert_id = response.json()["id"]
    assert api(evaluator).patch(f"/api/v1/certifications/{cert_id}/", {"title": "x"}, format="json").status_code == 403
    response = api(branch_admin).patch(
        f"/api/v1/certifications/{cert_id}/", {"block_validity_months": 60}, format="json"
    )
    assert response.status_code == 200 and response.json()["block_validity_months"] == 60


def test_habilitations_and_equivalences(published, other_cqp, branch_admin, evaluator, other_branch_admin):
    from tests.factories.certifications import published_version

    cert = published.certification
    response = api(branch_admin).post(
        "/api/v1/habilitations/",
        {"certification": cert.pk, "evaluator": evaluator.email, "valid_from": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    hab_id = response.json()["id"]
    assert api(evaluator).get("/api/v1/habilitations/").json()["count"] == 1  # their own
    assert api(other_branch_admin).get("/api/v1/habilitations/").json()["count"] == 0
    response = api(branch_admin).post(f"/api/v1/habilitations/{hab_id}/end/", {"on_date": "2025-06-30"}, format="json")
    assert response.status_code == 200 and response.json()["valid_until"] == "2025-06-30"
    other = published_version(other_cqp, blocks=2)
    payload = {"from_block": published.blocks.first().pk, "to_block": other.blocks.first().pk, "bidirectional": True}
    assert api(other_branch_admin).post("/api/v1/equivalences/", payload, format="json").status_code == 403
    assert api(branch_admin).post("/api/v1/equivalences/", payload, format="json").status_code == 201
    assert api(evaluator).get("/api/v1/equivalences/").json()["count"] == 1
