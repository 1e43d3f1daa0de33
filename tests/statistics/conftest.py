"""A known dataset on a CQP of ``branch`` (and noise on a CQP of ``other_branch``).

Rows are seeded directly in their final state, as an import would, so that each expected
number below can be checked by hand.
"""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from candidates.models import AccessRoute, AssessmentOutcome, BlockAssessment, PathState
from cqp_portal.audit.models import AuditEntry
from financing.models import FundingState, Scheme
from juries.models import BlockDecision, Decision, DecisionState, Dossier, Outcome
from tests.factories.candidates import PathFactory
from tests.factories.certifications import CertificationFactory, published_version
from tests.factories.financing import FundingLineFactory
from tests.factories.juries import JurySessionFactory

D = Decimal

# Current state of the paths of the branch's CQP (one draft, not counted, on top).
STATES = {
    PathState.REGISTERED: 2,
    PathState.POSITIONING: 1,
    PathState.IN_COURSE: 1,
    PathState.IN_EVALUATION: 1,
    PathState.READY_FOR_JURY: 1,
    PathState.AWARDED: 2,
    PathState.PARTIALLY_AWARDED: 1,
    PathState.REFUSED: 1,
    PathState.WITHDRAWN: 1,
}


@pytest.fixture
def certification(branch):
    return CertificationFactory(branches=[branch], code="cqp-serveur", title="CQP Serveur en restauration")


@pytest.fixture
def version(certification):
    return published_version(certification, blocks=3)


@pytest.fixture
def foreign_certification(other_branch):
    return CertificationFactory(branches=[other_branch], code="cqp-regleur", title="CQP Opérateur régleur")


@pytest.fixture
def foreign_version(foreign_certification):
    return published_version(foreign_certification, blocks=2)


def audit_at(path, to_state: str, at: datetime.datetime):
    # ``at`` is auto_now_add and the trail is append-only: the clock is set for the insert.
    with mock.patch("django.utils.timezone.now", return_value=at):
        return AuditEntry.objects.create(
            content_type_id=_path_content_type(), object_id=str(path.pk), action="path.test", to_state=to_state
        )


def _path_content_type():
    from django.contrib.contenttypes.models import ContentType

    from candidates.models import Path

    return ContentType.objects.get_for_model(Path).pk


def final_decision(path, session, outcome, blocks: dict, **kwargs):
    dossier = Dossier.objects.create(session=session, path=path, is_open=False)
    decision = Decision.objects.create(
        dossier=dossier, outcome=outcome, state=DecisionState.FINAL, decided_at=timezone.now(), **kwargs
    )
    add_block_decisions(decision, blocks)
    return decision


def add_block_decisions(decision, blocks: dict):
    version = decision.dossier.path.version
    BlockDecision.objects.bulk_create(
        BlockDecision(
            decision=decision,
            block=version.blocks.get(code=code),
            held=value == "held",
            validated=None if value == "held" else value,
        )
        for code, value in blocks.items()
    )


def assess(path, code, outcome, evaluator, **kwargs):
    block = path.version.blocks.get(code=code)
    return BlockAssessment.objects.create(
        path=path,
        block=block,
        evaluator=evaluator,
        modality=block.modalities.first(),
        assessed_on=timezone.localdate() - datetime.timedelta(days=5),
        outcome=outcome,
        **kwargs,
    )


@pytest.fixture
def dataset(version, foreign_version, evaluator, funder):
    """Expected numbers (branch's CQP, default period):

    - states: ``STATES``; routes: 3 VAE (registered, registered, awarded), 8 continuing;
    - outcomes: 2 full, 1 partial, 1 refused (a superseded refusal and a proposed decision
      are not counted);
    - blocks (jury): BC01 3/4 = 75.0 %, BC02 2/4 = 50.0 %, BC03 1/3 = 33.3 % (one held);
    - assessments: BC01 2 acquired / 1 not acquired (a corrected one counts as corrected);
    - median registration → full award: 10 and 30 days → 20.0 days over 2 awards;
    - funding: contrat de pro approved 5,000 €, paid 2,500 €, 2 lines; a submitted CPF
      line and a refused one are not counted.
    """
    paths = {state: [] for state in STATES}
    vae_left = 3
    for state, number in STATES.items():
        for _ in range(number):
            route = AccessRoute.CONTINUING
            if vae_left and state in (PathState.REGISTERED, PathState.AWARDED):
                route, vae_left = AccessRoute.VAE, vae_left - 1
            paths[state].append(PathFactory(version=version, state=state, access_route=route))
    PathFactory(version=version, state=PathState.DRAFT)

    session = JurySessionFactory(certifications=[version.certification])
    awarded_1, awarded_2 = paths[PathState.AWARDED]
    final_decision(awarded_1, session, Outcome.TOTAL, {"BC01": True, "BC02": True, "BC03": True})
    final_decision(awarded_2, session, Outcome.TOTAL, {"BC01": True, "BC02": True, "BC03": "held"})
    final_decision(
        paths[PathState.PARTIALLY_AWARDED][0], session, Outcome.PARTIAL, {"BC01": True, "BC02": False, "BC03": False}
    )
    # A refusal later corrected into... a refusal with other block results: only the
    # correction counts.
    refused = paths[PathState.REFUSED][0]
    old = final_decision(refused, session, Outcome.REFUSED, {"BC01": True, "BC02": True, "BC03": True})
    # In the order the database accepts (juries migration 0003): the correction exists before
    # the old decision stops being current, and becomes final and current after.
    correction = Decision.objects.create(
        dossier=old.dossier,
        outcome=Outcome.REFUSED,
        is_current=False,
        decided_at=timezone.now(),
        supersedes=old,
        correction_reason="Erreur de saisie",
    )
    add_block_decisions(correction, {"BC01": False, "BC02": False, "BC03": False})
    Decision.objects.filter(pk=old.pk).update(is_current=False)
    Decision.objects.filter(pk=correction.pk).update(is_current=True, state=DecisionState.FINAL)
    # A proposal in an open session: not a decision yet.
    ready = paths[PathState.READY_FOR_JURY][0]
    open_session = JurySessionFactory(certifications=[version.certification])
    proposal = Decision.objects.create(
        dossier=Dossier.objects.create(session=open_session, path=ready), outcome=Outcome.TOTAL
    )
    add_block_decisions(proposal, {"BC01": True, "BC02": True, "BC03": True})

    in_evaluation = paths[PathState.IN_EVALUATION][0]
    assess(ready, "BC01", AssessmentOutcome.ACQUIRED, evaluator)
    assess(in_evaluation, "BC01", AssessmentOutcome.NOT_ACQUIRED, evaluator)
    wrong = assess(awarded_1, "BC01", AssessmentOutcome.NOT_ACQUIRED, evaluator)
    assess(awarded_1, "BC01", AssessmentOutcome.ACQUIRED, evaluator, supersedes=wrong, correction_reason="Erreur")

    now = timezone.now()
    start = now - datetime.timedelta(days=60)
    for path, days in ((awarded_1, 10), (awarded_2, 30)):
        audit_at(path, PathState.REGISTERED, start)
        audit_at(path, PathState.AWARDED, start + datetime.timedelta(days=days))

    FundingLineFactory(
        path=awarded_1,
        funder=funder,
        state=FundingState.APPROVED,
        amount_requested=D("3000"),
        amount_approved=D("2000"),
    )
    FundingLineFactory(
        path=awarded_2,
        funder=funder,
        state=FundingState.PAID,
        amount_requested=D("3000"),
        amount_approved=D("3000"),
        amount_invoiced=D("3000"),
        amount_paid=D("2500"),
    )
    FundingLineFactory(path=ready, funder=funder, scheme=Scheme.CPF, state=FundingState.SUBMITTED)
    FundingLineFactory(path=ready, funder=funder, state=FundingState.REFUSED)

    foreign_noise(foreign_version, evaluator, funder)
    return paths


def foreign_noise(version, evaluator, funder):
    """Another branch's data, which the branch's administrator must never see."""
    session = JurySessionFactory(certifications=[version.certification])
    for _ in range(3):
        path = PathFactory(version=version, state=PathState.AWARDED, access_route=AccessRoute.VAE)
        final_decision(path, session, Outcome.TOTAL, {"BC01": True, "BC02": True})
        assess(path, "BC01", AssessmentOutcome.ACQUIRED, evaluator)
        start = timezone.now() - datetime.timedelta(days=200)
        audit_at(path, PathState.REGISTERED, start)
        audit_at(path, PathState.AWARDED, start + datetime.timedelta(days=100))
        FundingLineFactory(
            path=path, funder=funder, scheme=Scheme.PLAN, state=FundingState.APPROVED, amount_approved=D("999")
        )
