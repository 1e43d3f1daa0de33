"""Dates and reasons of the jury (issue 15, point 5): no session planned in the past, no
close before the session's date, no partial award or refusal without its reasons. Each is a
field-level error: in the service, the French pages and the API's {"code", "message", "fields"}."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cqp_portal.errors import RuleViolation
from juries import services
from juries.models import JurySession, Outcome, SessionState
from tests.factories.juries import JurySessionFactory, ready_path, seat_jury
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)
TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def test_a_session_is_not_planned_in_the_past(branch_admin, certification, client):
    with pytest.raises(RuleViolation) as refused:
        services.jury_session_create(certifications=[certification], date=YESTERDAY, place="Paris", by=branch_admin)
    assert (refused.value.field, refused.value.code) == ("date", "date_in_past")
    today = services.jury_session_create(
        certifications=[certification], date=timezone.localdate(), place="Paris", by=branch_admin
    )
    assert today.state == SessionState.PLANNED

    client.force_login(branch_admin)
    data = {"certifications": [certification.pk], "date": YESTERDAY.isoformat(), "place": "Lyon", "title": "Passé"}
    page = client.post(reverse("juries:planning"), data)
    assert page.status_code == 200  # the form again, with the error next to the date
    assert "pas dans le passé" in page.content.decode()
    assert page.context["form"].errors["date"]
    api = client.post("/api/v1/jury-sessions/", data, content_type="application/json")
    assert api.status_code == 400
    assert api.json()["code"] == "date_in_past" and "date" in api.json()["fields"]
    assert not JurySession.objects.filter(title="Passé").exists()


def _deliberating(session, version, evaluator, branch_admin, jury_member, outcomes):
    path = ready_path(version, evaluator=evaluator, outcomes=outcomes)
    services.dossier_add(session=session, path=path, by=branch_admin)
    services.jury_session_convene(session=session, by=branch_admin)
    services.jury_session_start_deliberation(session=session, by=jury_member)
    return path


def test_a_session_is_not_closed_before_its_date(certification, version, evaluator, branch_admin, jury_member, client):
    session = JurySessionFactory(certifications=[certification], date=TOMORROW)
    seat_jury(session, jury_member)
    path = _deliberating(session, version, evaluator, branch_admin, jury_member, {"BC01": "acquired"})
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with pytest.raises(RuleViolation) as refused:
        services.jury_session_close(session=session, by=jury_member)
    assert (refused.value.field, refused.value.code) == ("date", "session_not_yet_held")
    client.force_login(jury_member)
    assert "avant ce jour" in client.get(reverse("juries:close", args=[session.pk])).content.decode()
    api = client.post(f"/api/v1/jury-sessions/{session.pk}/transitions/close/")
    assert api.status_code == 400 and api.json()["code"] == "session_not_yet_held" and "date" in api.json()["fields"]
    session.refresh_from_db()
    assert session.state == SessionState.DELIBERATING


def test_a_partial_award_gives_a_reason_for_each_block_not_validated(deliberating, path, jury_member, version, client):
    decision = current_decision(path)
    ids = {bd.block.code: bd.block_id for bd in decision.block_decisions.select_related("block")}
    with pytest.raises(RuleViolation) as refused:
        decide(decision, jury_member, {"BC01": True, "BC02": False, "BC03": False}, block_reasons={ids["BC02"]: "x"})
    assert (refused.value.field, refused.value.code) == ("blocks", "reasons_required")
    assert "BC03" in str(refused.value.message) and "BC02" not in str(refused.value.message)
    decision.refresh_from_db()
    assert decision.outcome == "" and decision.row_version == 1  # nothing written

    client.force_login(jury_member)
    blocks = [
        {"block": ids["BC01"], "validated": True},
        {"block": ids["BC02"], "validated": False, "reasons": "   "},
        {"block": ids["BC03"], "validated": True},
    ]
    api = client.patch(
        f"/api/v1/jury-decisions/{decision.pk}/",
        {"row_version": 1, "blocks": blocks},
        content_type="application/json",
    )
    assert api.status_code == 400 and "blocks" in api.json()["fields"]
    assert "BC02" in api.json()["message"]
    blocks[1]["reasons"] = "Situation non maîtrisée."
    ok = client.patch(
        f"/api/v1/jury-decisions/{decision.pk}/", {"row_version": 1, "blocks": blocks}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["outcome"] == Outcome.PARTIAL


def test_a_refusal_states_its_reasons(deliberating, path, jury_member, client):
    decision = current_decision(path)
    with pytest.raises(RuleViolation) as refused:
        decide(decision, jury_member, {"BC01": False, "BC02": False, "BC03": False}, reasons="")
    assert refused.value.field == "reasons"
    decision = decide(decision, jury_member, {"BC01": False, "BC02": False, "BC03": False}, reasons="Aucun bloc.")
    assert decision.outcome == Outcome.REFUSED

    # The grid page says it in French next to the row.
    client.force_login(jury_member)
    ids = [bd.block_id for bd in decision.block_decisions.all()]
    data = {"row_version": decision.row_version, "reasons": ""} | {f"block_{i}": "0" for i in ids}
    page = client.post(reverse("juries:grid_row_save", args=[deliberating.pk, decision.pk]), data, follow=True)
    assert "Un refus est motivé" in page.content.decode()


def test_a_correction_reasons_the_blocks_it_no_longer_validates(
    deliberating, path, jury_member, branch_admin, django_capture_on_commit_callbacks
):
    decision = decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=deliberating, by=jury_member)
    bc02 = decision.block_decisions.get(block__code="BC02").block_id
    new = services.decision_correct(
        decision=current_decision(path), by=branch_admin, reason="BC02 mal reporté", blocks={bc02: False}
    )
    assert new.outcome == Outcome.PARTIAL
    assert new.block_decisions.get(block_id=bc02).reasons == "BC02 mal reporté"
