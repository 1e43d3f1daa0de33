"""Two worlds for the API isolation tests: everything of ``branch`` (its certification, a
candidate's path with positioning, an assessment, evidence, a jury with a dossier and a
decision, a funding line) and outsiders of ``other_branch`` with the same roles."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from candidates.models import AssessmentOutcome, BlockAssessment, Evidence, EvidenceKind, PathState
from certifications.models import BlockEquivalence, ReferentialVersion
from cqp_portal.accounts.models import Role
from financing.models import FundingState
from juries.models import Decision, Dossier
from tests.factories.accounts import UserFactory, with_role
from tests.factories.candidates import CandidateFactory, PathFactory, plan_blocks
from tests.factories.certifications import CertificationFactory, habilitate_evaluator, published_version
from tests.factories.financing import FunderFactory, FundingLineFactory
from tests.factories.juries import JuryMemberFactory, JurySessionFactory


def api(user=None, language=None):
    client = APIClient(headers={"accept-language": language} if language else {})
    if user is not None:
        client.force_authenticate(user)
    return client


@dataclass
class World:
    certification: object
    version: object
    draft: object
    habilitation: object
    equivalence: object
    candidate: object
    path: object
    path_block: object
    assessment: object
    evidence: object
    session: object
    member: object
    dossier: object
    decision: object
    funding_line: object


@pytest.fixture
def world(branch, candidate_user, evaluator, jury_member, funder, provider):
    certification = CertificationFactory(branches=[branch], code="cqp-api-a", title="CQP A")
    version = published_version(certification, blocks=2)
    draft = ReferentialVersion.objects.create(certification=certification, number=2)
    habilitation = habilitate_evaluator(certification, evaluator)
    elsewhere = published_version(CertificationFactory(code="cqp-api-public"), blocks=1)
    equivalence = BlockEquivalence.objects.create(
        from_block=version.blocks.first(), to_block=elsewhere.blocks.first(), bidirectional=True
    )
    candidate = CandidateFactory(user=candidate_user, email=candidate_user.email)
    path = PathFactory(
        version=version,
        candidate=candidate,
        evaluator=evaluator,
        training_provider=provider,
        state=PathState.IN_EVALUATION,
    )
    path_block = plan_blocks(path)[0]
    block = path_block.block
    assessment = BlockAssessment.objects.create(
        path=path,
        block=block,
        evaluator=evaluator,
        modality=block.modalities.first(),
        assessed_on=datetime.date(2026, 3, 2),
        outcome=AssessmentOutcome.ACQUIRED,
    )
    evidence = Evidence.objects.create(
        path=path,
        kind=EvidenceKind.ATTESTATION,
        file=ContentFile(b"%PDF-1.4 attestation", name="attestation.pdf"),
        original_name="attestation.pdf",
        content_type="application/pdf",
        size=20,
        sha256="0" * 64,
        uploaded_by=candidate_user,
    )
    session = JurySessionFactory(certifications=[certification])
    member = JuryMemberFactory(session=session, user=jury_member, is_president=True)
    dossier = Dossier.objects.create(session=session, path=path)
    decision = Decision.objects.create(dossier=dossier)
    funding_line = FundingLineFactory(path=path, funder=funder, state=FundingState.SUBMITTED)
    return World(
        certification=certification,
        version=version,
        draft=draft,
        habilitation=habilitation,
        equivalence=equivalence,
        candidate=candidate,
        path=path,
        path_block=path_block,
        assessment=assessment,
        evidence=evidence,
        session=session,
        member=member,
        dossier=dossier,
        decision=decision,
        funding_line=funding_line,
    )


@pytest.fixture
def other_funder_officer(db):
    return with_role(Role.FUNDER_OFFICER, UserFactory(email="other.funder@example.org"), funder=FunderFactory())


@pytest.fixture
def outsiders(
    world,
    other_branch,
    other_branch_admin,
    other_candidate_user,
    other_evaluator,
    other_jury_member,
    other_funder_officer,
):
    """People of the other branch, each with a world of their own, so that their lists are not
    empty merely because nothing exists for them."""
    certification = CertificationFactory(branches=[other_branch], code="cqp-api-b", title="CQP B")
    version = published_version(certification, blocks=1)
    habilitate_evaluator(certification, other_evaluator)
    candidate = CandidateFactory(user=other_candidate_user, email=other_candidate_user.email)
    path = PathFactory(version=version, candidate=candidate, evaluator=other_evaluator, state=PathState.IN_EVALUATION)
    plan_blocks(path)
    session = JurySessionFactory(certifications=[certification])
    JuryMemberFactory(session=session, user=other_jury_member, is_president=True)
    Decision.objects.create(dossier=Dossier.objects.create(session=session, path=path))
    FundingLineFactory(path=path, funder=other_funder_officer.roles.get().funder, state=FundingState.SUBMITTED)
    return {
        "other_branch_admin": other_branch_admin,
        "other_candidate_user": other_candidate_user,
        "other_evaluator": other_evaluator,
        "other_jury_member": other_jury_member,
        "other_funder_officer": other_funder_officer,
    }
