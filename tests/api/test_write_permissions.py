"""Every write endpoint refuses a person without the right: 404 when the object is outside
their scope, 403 when they can see it but may not act. A refused write changes nothing: row
counts of every table the API writes, the audit trail and the states are the same after."""

import datetime

import pytest
from django.apps import apps

from cqp_portal.audit.models import AuditEntry
from tests.api.conftest import api

pytestmark = pytest.mark.django_db

WRITTEN_MODELS = [
    "certifications.Certification",
    "certifications.ReferentialVersion",
    "certifications.SkillBlock",
    "certifications.Habilitation",
    "certifications.BlockEquivalence",
    "candidates.Candidate",
    "candidates.Path",
    "candidates.PathBlock",
    "candidates.BlockAssessment",
    "candidates.Evidence",
    "juries.JurySession",
    "juries.JuryMember",
    "juries.Dossier",
    "juries.Decision",
    "juries.Appeal",
    "financing.FundingLine",
]


def snapshot(world):
    counts = {label: apps.get_model(label).objects.count() for label in WRITTEN_MODELS}
    counts["audit"] = AuditEntry.objects.count()
    for name in ("version", "draft", "path", "session", "decision", "funding_line"):
        obj = getattr(world, name)
        obj.refresh_from_db()
        counts[f"{name}.state"] = obj.state
    world.draft.refresh_from_db()
    counts["draft.summary"] = world.draft.summary
    world.decision.refresh_from_db()
    counts["decision.row_version"] = world.decision.row_version
    world.habilitation.refresh_from_db()
    counts["habilitation.valid_until"] = world.habilitation.valid_until
    world.certification.refresh_from_db()
    counts["certification.title"] = world.certification.title
    world.path_block.refresh_from_db()
    counts["path_block.confirmed_at"] = world.path_block.confirmed_at
    return counts


def block_of(world):
    return world.path_block.block


# (name, who, method, url(world), body(world), expected status)
CASES = [
    # Référentiels: certifications are public (403 on write), drafts hidden from other branches (404).
    ("create certification", "candidate_user", "post", lambda w: "/api/v1/certifications/",
     lambda w: {"kind": "CQP", "code": "cqp-x", "title": "X", "branches": [w.certification.branches.first().pk]}, 403),
    ("edit certification", "other_branch_admin", "patch", lambda w: f"/api/v1/certifications/{w.certification.pk}/",
     lambda w: {"title": "Renamed"}, 403),
    ("start a draft", "other_branch_admin", "post", lambda w: "/api/v1/referential-versions/",
     lambda w: {"certification": w.certification.pk, "from_published": True}, 403),
    ("edit a draft", "other_branch_admin", "patch", lambda w: f"/api/v1/referential-versions/{w.draft.pk}/",
     lambda w: {"summary": "hijacked"}, 404),
    ("delete a draft", "other_branch_admin", "delete", lambda w: f"/api/v1/referential-versions/{w.draft.pk}/",
     lambda w: None, 404),
    ("add a block", "other_branch_admin", "post", lambda w: f"/api/v1/referential-versions/{w.draft.pk}/blocks/",
     lambda w: {"code": "BC09", "title": "Bloc"}, 404),
    ("publish a draft", "other_branch_admin", "post", lambda w: f"/api/v1/referential-versions/{w.draft.pk}/publish/",
     lambda w: None, 404),
    ("retire a version", "other_branch_admin", "post", lambda w: f"/api/v1/referential-versions/{w.version.pk}/retire/",
     lambda w: None, 403),
    ("new version", "evaluator", "post", lambda w: f"/api/v1/referential-versions/{w.version.pk}/new-version/",
     lambda w: None, 403),
    ("habilitate", "other_branch_admin", "post", lambda w: "/api/v1/habilitations/",
     lambda w: {"certification": w.certification.pk, "evaluator": "other.evaluator@example.org",
                "valid_from": "2026-01-01"}, 403),
    ("end a habilitation", "other_branch_admin", "post", lambda w: f"/api/v1/habilitations/{w.habilitation.pk}/end/",
     lambda w: {"on_date": "2026-06-30"}, 404),
    ("end own habilitation", "evaluator", "post", lambda w: f"/api/v1/habilitations/{w.habilitation.pk}/end/",
     lambda w: {"on_date": "2026-06-30"}, 403),
    ("remove a passerelle", "other_branch_admin", "delete", lambda w: f"/api/v1/equivalences/{w.equivalence.pk}/",
     lambda w: None, 403),
    # Candidates and paths.
    ("create a candidate", "candidate_user", "post", lambda w: "/api/v1/candidates/",
     lambda w: {"birth_name": "Martin", "first_names": "Léa", "sex": "F", "status": "employee"}, 403),
    ("open a path for someone else", "other_candidate_user", "post", lambda w: "/api/v1/paths/",
     lambda w: {"candidate": w.candidate.pk, "certification": w.certification.pk, "access_route": "continuing"}, 404),
    ("withdraw someone else's path", "other_candidate_user", "post",
     lambda w: f"/api/v1/paths/{w.path.pk}/transitions/withdraw/", lambda w: {}, 404),
    ("submit own path to jury", "candidate_user", "post",
     lambda w: f"/api/v1/paths/{w.path.pk}/transitions/submit_to_jury/", lambda w: {}, 403),
    ("confirm a positioning", "other_evaluator", "post", lambda w: "/api/v1/positionings/",
     lambda w: {"path": w.path.pk, "plans": {str(block_of(w).pk): "to_evaluate"}}, 404),
    ("record an assessment elsewhere", "other_evaluator", "post", lambda w: "/api/v1/assessments/",
     lambda w: {"path": w.path.pk, "block": block_of(w).pk, "modality": block_of(w).modalities.first().pk,
                "assessed_on": "2026-03-03", "outcome": "acquired", "criterion_results": {}}, 404),
    ("assess oneself", "candidate_user", "post", lambda w: "/api/v1/assessments/",
     lambda w: {"path": w.path.pk, "block": block_of(w).pk, "modality": block_of(w).modalities.first().pk,
                "assessed_on": "2026-03-03", "outcome": "acquired", "criterion_results": {}}, 403),
    # Juries.
    ("plan a session", "other_branch_admin", "post", lambda w: "/api/v1/jury-sessions/",
     lambda w: {"certifications": [w.certification.pk], "date": "2026-12-01", "place": "Lyon"}, 403),
    ("convene a session", "other_branch_admin", "post",
     lambda w: f"/api/v1/jury-sessions/{w.session.pk}/transitions/convene/", lambda w: None, 404),
    ("convene as a member", "jury_member", "post",
     lambda w: f"/api/v1/jury-sessions/{w.session.pk}/transitions/convene/", lambda w: None, 403),
    ("seat a member", "other_branch_admin", "post", lambda w: "/api/v1/jury-members/",
     lambda w: {"session": w.session.pk, "email": "other.jury@example.org", "college": "employer"}, 404),
    ("add a dossier", "other_branch_admin", "post", lambda w: "/api/v1/jury-dossiers/",
     lambda w: {"session": w.session.pk, "path": w.path.pk}, 404),
    ("edit a decision", "other_jury_member", "patch", lambda w: f"/api/v1/jury-decisions/{w.decision.pk}/",
     lambda w: {"row_version": 1, "reasons": "x"}, 404),
    ("correct a decision", "other_jury_member", "post", lambda w: f"/api/v1/jury-decisions/{w.decision.pk}/correct/",
     lambda w: {"reason": "x"}, 404),
    ("appeal a draft decision", "candidate_user", "post", lambda w: f"/api/v1/jury-decisions/{w.decision.pk}/appeal/",
     lambda w: {"reason": "x"}, 404),
    # Financing.
    ("ask funding for someone else", "other_candidate_user", "post", lambda w: "/api/v1/funding-lines/",
     lambda w: {"path": w.path.pk, "scheme": "professionalisation", "funder": w.funding_line.funder_id,
                "start_date": "2026-04-01"}, 404),
    ("approve for another funder", "other_funder_officer", "post",
     lambda w: f"/api/v1/funding-lines/{w.funding_line.pk}/transitions/approve/", lambda w: {"amount": "10.00"}, 404),
    ("approve own request", "candidate_user", "post",
     lambda w: f"/api/v1/funding-lines/{w.funding_line.pk}/transitions/approve/", lambda w: {"amount": "10.00"}, 403),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "method", "url", "body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_refused_write_changes_nothing(request, world, outsiders, who, method, url, body, expected):
    user = outsiders.get(who) or request.getfixturevalue(who)
    before = snapshot(world)
    response = getattr(api(user), method)(url(world), body(world), format="json")
    assert response.status_code == expected, response.content
    assert set(response.json()) >= {"code", "message", "fields"}
    assert snapshot(world) == before


def test_the_same_write_by_the_right_person_succeeds(world, evaluator):
    """Control for the cases above: the assessment refused to others is accepted from the
    path's evaluator, so the refusals are about the person, not a broken payload."""
    block = world.path_block.block
    response = api(evaluator).post(
        "/api/v1/assessments/",
        {
            "path": world.path.pk,
            "block": block.pk,
            "modality": block.modalities.first().pk,
            "assessed_on": datetime.date(2026, 3, 3).isoformat(),
            "outcome": "acquired",
            "criterion_results": {str(c.pk): True for c in block.criteria.all()},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_no_request_body_of_the_schema_has_a_writable_state():
    """Transitions are POST actions (``.../transitions/{name}/``), never a writable state."""
    from tests.api.test_schema_and_fuzz import generate_schema

    for name, component in generate_schema()["components"]["schemas"].items():
        if name.endswith("Request"):
            assert "state" not in component.get("properties", {}), f"{name} accepts a writable state"
