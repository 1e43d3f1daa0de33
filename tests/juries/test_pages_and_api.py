import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from candidates.models import AssessmentOutcome, BlockAssessment, BlockPlan, Candidate, Path, PathBlock, PathState
from juries import services
from juries.models import BlockDecision, Decision, Dossier, SessionState
from tests.factories.candidates import CandidateFactory
from tests.factories.certifications import published_version
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db


def _bulk_dossiers(session, version, evaluator, count):
    """``count`` dossiers in deliberation, built in bulk (the grid reads, it does not write)."""
    blocks = list(version.blocks.all())
    modality = {b.pk: b.modalities.first() for b in blocks}
    candidates = Candidate.objects.bulk_create(
        [CandidateFactory.build(birth_name=f"Nom{i:03d}", first_names="Prénom") for i in range(count)]
    )
    paths = Path.objects.bulk_create(
        [
            Path(
                candidate=c,
                certification=version.certification,
                version=version,
                access_route="continuing",
                state=PathState.READY_FOR_JURY,
                evaluator=evaluator,
            )
            for c in candidates
        ]
    )
    PathBlock.objects.bulk_create(
        [PathBlock(path=p, block=b, plan=BlockPlan.TO_EVALUATE) for p in paths for b in blocks]
    )
    BlockAssessment.objects.bulk_create(
        [
            BlockAssessment(
                path=p,
                block=b,
                evaluator=evaluator,
                modality=modality[b.pk],
                assessed_on="2026-01-10",
                outcome=AssessmentOutcome.ACQUIRED if (i + j) % 3 else AssessmentOutcome.NOT_ACQUIRED,
            )
            for i, p in enumerate(paths)
            for j, b in enumerate(blocks)
        ]
    )
    dossiers = Dossier.objects.bulk_create([Dossier(session=session, path=p) for p in paths])
    decisions = Decision.objects.bulk_create([Decision(dossier=d) for d in dossiers])
    BlockDecision.objects.bulk_create([BlockDecision(decision=d, block=b) for d in decisions for b in blocks])


def test_the_grid_renders_200_dossiers_by_6_blocks_with_a_fixed_number_of_queries(
    client, session, jury, jury_member, evaluator, certification
):
    from juries.models import JurySession

    version = published_version(certification, blocks=6, optional=1)
    JurySession.objects.filter(pk=session.pk).update(state=SessionState.DELIBERATING)
    client.force_login(jury_member)
    url = reverse("juries:grid", args=[session.pk])
    _bulk_dossiers(session, version, evaluator, 5)
    client.get(url)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as small:
        response = client.get(url)
    assert response.status_code == 200
    _bulk_dossiers(session, version, evaluator, 195)
    # Queries: 1 session, 2 user, 3 roles, 4 the jury session (policy scope), 5 membership,
    # then juries.selectors.grid_page: 6 dossiers+paths+candidates+versions, 7 current
    # decisions, 8 their block decisions, 9 current assessments, 10 path blocks with a
    # trainer, 11 blocks of the versions, 12 members, 13 declared links.
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="row-') == 200
    assert response.content.decode().count('<select id="b-') == 200 * 6
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) == 13, "\n".join(q["sql"][:150] for q in large.captured_queries)


def test_session_pages_for_members_admins_and_outsiders(
    client, deliberating, path, jury_member, other_jury_member, branch_admin, other_branch_admin, candidate_user
):
    urls = [
        reverse("juries:session_detail", args=[deliberating.pk]),
        reverse("juries:grid", args=[deliberating.pk]),
        reverse("juries:close", args=[deliberating.pk]),
        reverse("juries:dossier_detail", args=[deliberating.pk, deliberating.dossiers.get().pk]),
    ]
    for user in (jury_member, branch_admin):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    for user in (other_jury_member, other_branch_admin, candidate_user):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
    client.force_login(jury_member)
    page = client.get(urls[0]).content.decode()
    assert "Grille de délibération" in page and path.candidate.display_name in page


def test_saving_a_grid_row_and_a_stale_row_is_a_clear_conflict(client, deliberating, path, jury, jury_member):
    decision = current_decision(path)
    blocks = {bd.block.code: bd.block_id for bd in decision.block_decisions.select_related("block")}
    url = reverse("juries:grid_row_save", args=[deliberating.pk, decision.pk])
    client.force_login(jury_member)
    data = {
        "row_version": decision.row_version,
        f"block_{blocks['BC01']}": "1",
        f"block_{blocks['BC02']}": "0",
        f"block_{blocks['BC03']}": "0",
        f"reason_{blocks['BC02']}": "Non démontré",
        f"reason_{blocks['BC03']}": "Non présenté",
        "reasons": "Motifs",
        "recommendations": "Reprendre BC02",
    }
    response = client.post(url, data, follow=True)
    assert "Décision sur" in response.content.decode()
    decision.refresh_from_db()
    assert decision.outcome == "partial" and decision.recommendations == "Reprendre BC02"
    client.force_login(jury[1].user)
    response = client.post(url, {**data, f"block_{blocks['BC02']}": "1"}, follow=True)  # stale row_version
    assert "pendant que vous la modifiiez" in response.content.decode()
    decision.refresh_from_db()
    assert decision.outcome == "partial"


def test_planning_page_creates_a_session(client, branch_admin, certification, jury_member):
    client.force_login(branch_admin)
    response = client.post(
        reverse("juries:planning"),
        {
            "certifications": [certification.pk],
            "date": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
            "place": "Paris",
            "title": "Session de décembre",
        },
    )
    assert response.status_code == 302
    client.force_login(jury_member)
    assert client.get(reverse("juries:planning")).status_code == 403


def test_my_sessions_lists_only_my_sessions(client, deliberating, jury_member, other_jury_member):
    client.force_login(jury_member)
    assert reverse("juries:session_detail", args=[deliberating.pk]) in client.get("/jury/").content.decode()
    client.force_login(other_jury_member)
    assert "Vous ne siégez encore" in client.get("/jury/").content.decode()


def test_the_candidate_sees_the_partial_award_and_the_deadline(
    client, deliberating, path, jury_member, candidate_user, django_capture_on_commit_callbacks
):
    path.candidate.user = candidate_user
    path.candidate.save()
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": False, "BC03": False})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=deliberating, by=jury_member)
    client.force_login(candidate_user)
    page = client.get(reverse("juries:decision_detail", args=[current_decision(path).pk])).content.decode()
    assert "Validation partielle" in page
    assert "Faites valider les blocs manquants avant le" in page


def test_api_scopes_and_transitions(client, deliberating, path, jury_member, other_jury_member, branch_admin):
    client.force_login(other_jury_member)
    assert client.get("/api/v1/jury-sessions/").json()["count"] == 0
    assert client.get(f"/api/v1/jury-sessions/{deliberating.pk}/").status_code == 404
    client.force_login(jury_member)
    assert client.get("/api/v1/jury-sessions/").json()["count"] == 1
    decision = current_decision(path)
    blocks = [{"block": bd.block_id, "validated": True} for bd in decision.block_decisions.all()]
    response = client.patch(
        f"/api/v1/jury-decisions/{decision.pk}/",
        {"row_version": decision.row_version, "blocks": blocks},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["outcome"] == "total"
    stale = client.patch(
        f"/api/v1/jury-decisions/{decision.pk}/",
        {"row_version": decision.row_version, "blocks": blocks},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    client.force_login(branch_admin)
    refused = client.post(f"/api/v1/jury-sessions/{deliberating.pk}/transitions/close/")
    assert refused.status_code == 403
    client.force_login(jury_member)
    closed = client.post(f"/api/v1/jury-sessions/{deliberating.pk}/transitions/close/")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = client.post(f"/api/v1/jury-sessions/{deliberating.pk}/transitions/close/")
    assert again.status_code == 400
    assert client.post(f"/api/v1/jury-sessions/{deliberating.pk}/transitions/nope/").status_code == 404
