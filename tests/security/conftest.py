"""One shared world for the security tests: candidate A's path (assessed, with evidence, in a
jury session, with a funding line and a certificate), candidate B's path elsewhere, and the
twelve personas of the authorization matrix."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from candidates.models import AccessRoute, BlockAssessment, Evidence, PathState
from financing.models import FundingState
from juries import models as jury
from tests.factories.candidates import CandidateFactory, ExperienceRecordFactory, PathFactory, plan_blocks
from tests.factories.certifications import (
    CertificationFactory,
    RegistrationFactory,
    habilitate_evaluator,
    habilitate_provider,
    published_version,
)
from tests.factories.financing import FundingLineFactory
from tests.factories.juries import JurySessionFactory, seat_jury

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Candidate A's identity: the log test looks for these strings.
A_EMAIL = "candidate.a@example.org"
A_BIRTH_NAME = "Quenneville"
A_FIRST_NAMES = "Philomène"
A_BIRTH_DATE = datetime.date(1987, 3, 14)

PERSONAS = [
    "anonymous",
    "candidate_a",
    "candidate_b",
    "evaluator_a",
    "other_evaluator",
    "jury_a",
    "other_jury",
    "admin_a",
    "other_admin",
    "provider_staff",
    "funder_officer",
    "staff",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: stops and restarts real services (PostgreSQL, Redis) and says so")


@dataclass
class World:
    users: dict
    objects: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def world(
    branch,
    other_branch,
    candidate_user,
    other_candidate_user,
    evaluator,
    other_evaluator,
    jury_member,
    other_jury_member,
    branch_admin,
    other_branch_admin,
    provider,
    provider_staff,
    funder,
    funder_officer,
    staff_user,
):
    certification = CertificationFactory(branches=[branch], code="cqp-serveur-a", title="CQP Serveur en restauration")
    RegistrationFactory(certification=certification)
    version = published_version(certification, blocks=3)
    habilitate_evaluator(certification, evaluator)
    habilitate_evaluator(certification, other_evaluator)
    habilitate_provider(certification, provider)
    other_certification = CertificationFactory(branches=[other_branch], code="cqp-regleur", title="CQP Régleur")
    RegistrationFactory(certification=other_certification)
    other_version = published_version(other_certification, blocks=2)

    candidate_a = CandidateFactory(
        user=candidate_user,
        email=A_EMAIL,
        birth_name=A_BIRTH_NAME,
        first_names=A_FIRST_NAMES,
        birth_date=A_BIRTH_DATE,
        created_by=provider_staff,
    )
    candidate_b = CandidateFactory(user=other_candidate_user, email=other_candidate_user.email)

    path_a = PathFactory(
        version=version,
        candidate=candidate_a,
        state=PathState.READY_FOR_JURY,
        evaluator=evaluator,
        training_provider=provider,
    )
    plan_blocks(path_a)
    blocks = list(version.blocks.order_by("order"))
    assessment = BlockAssessment.objects.create(
        path=path_a,
        block=blocks[0],
        evaluator=evaluator,
        modality=blocks[0].modalities.first(),
        assessed_on=datetime.date.today() - datetime.timedelta(days=5),
        outcome="acquired",
    )
    evidence = Evidence(
        path=path_a,
        kind="attestation",
        original_name="attestation.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=candidate_user,
    )
    evidence.file.save("attestation.pdf", ContentFile(PDF), save=False)
    evidence.save()

    session = JurySessionFactory(certifications=[certification])
    seat_jury(session, jury_member)
    dossier = jury.Dossier.objects.create(session=session, path=path_a)
    decision = jury.Decision.objects.create(dossier=dossier)
    jury.BlockDecision.objects.bulk_create([jury.BlockDecision(decision=decision, block=b) for b in blocks])
    member_a = session.members.get(user=jury_member)

    # A's VAE path, registered, with one experience record (the admissibility pages and API).
    vae_path_a = PathFactory(
        version=version, candidate=candidate_a, state=PathState.REGISTERED, access_route=AccessRoute.VAE
    )
    experience = ExperienceRecordFactory(path=vae_path_a)

    path_b = PathFactory(
        version=other_version, candidate=candidate_b, state=PathState.READY_FOR_JURY, evaluator=other_evaluator
    )
    plan_blocks(path_b)
    other_session = JurySessionFactory(certifications=[other_certification])
    seat_jury(other_session, other_jury_member)
    other_dossier = jury.Dossier.objects.create(session=other_session, path=path_b)

    funding_line = FundingLineFactory(
        path=path_a,
        funder=funder,
        state=FundingState.SUBMITTED,
        hours=100,
        hourly_rate=Decimal("30.00"),
        amount_requested=Decimal("3000.00"),
    )

    from certifications.models import BlockEquivalence, Habilitation, ImportJob

    equivalence = BlockEquivalence.objects.create(from_block=blocks[1], to_block=other_version.blocks.first())
    habilitation = Habilitation.objects.filter(certification=certification).order_by("pk").first()
    import_job = ImportJob.objects.create(original_name="export.xml", created_by=branch_admin)

    users = {
        "anonymous": None,
        "candidate_a": candidate_user,
        "candidate_b": other_candidate_user,
        "evaluator_a": evaluator,
        "other_evaluator": other_evaluator,
        "jury_a": jury_member,
        "other_jury": other_jury_member,
        "admin_a": branch_admin,
        "other_admin": other_branch_admin,
        "provider_staff": provider_staff,
        "funder_officer": funder_officer,
        "staff": staff_user,
    }
    w = World(users=users)
    w.objects.update(
        certification=certification,
        version=version,
        blocks=blocks,
        other_certification=other_certification,
        other_version=other_version,
        candidate_a=candidate_a,
        candidate_b=candidate_b,
        path_a=path_a,
        path_b=path_b,
        vae_path_a=vae_path_a,
        experience=experience,
        assessment=assessment,
        evidence=evidence,
        session=session,
        member_a=member_a,
        dossier=dossier,
        decision=decision,
        other_session=other_session,
        other_dossier=other_dossier,
        funding_line=funding_line,
        equivalence=equivalence,
        habilitation=habilitation,
        import_job=import_job,
    )
    _add_certificate(w, branch, jury_member)
    return w


def _add_certificate(w, branch, president):
    """A's earlier award (closed session, final decision) with its certificate, pending render."""
    try:
        from juries.certificates import services as certificate_services
        from tests.factories.certificates import closed_session, final_decision
    except ImportError:  # the certificates app is not there yet
        w.objects.update(certificate=None, closed_session=None, final_decision=None)
        return
    closed = closed_session(w.certification, president=president)
    award = final_decision(closed, version=w.version, candidate=w.candidate_a)
    [certificate] = certificate_services.certificate_issue_for_decision(decision=award)
    w.objects.update(certificate=certificate, closed_session=closed, final_decision=award)


def writes_so_far() -> int:
    """Rows inserted, updated or deleted so far in this transaction, in every table but sessions
    (PostgreSQL's per-transaction statistics: one cheap query, so every request can be checked)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
            " WHERE relname <> 'django_session'"
        )
        return int(cursor.fetchone()[0])
