"""Awards ready for certificates, built directly (a data import would do the same): a closed
session with its award date, a dossier and a final decision with its block decisions."""

import datetime

from candidates.models import PathState
from certifications.models import Commission
from juries import models as jury
from juries.certificates.models import CdcCertifier
from tests.factories.candidates import CandidateFactory, PathFactory
from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version
from tests.factories.juries import JurySessionFactory

PATH_STATE = {
    jury.Outcome.TOTAL: PathState.AWARDED,
    jury.Outcome.PARTIAL: PathState.PARTIALLY_AWARDED,
    jury.Outcome.REFUSED: PathState.REFUSED,
}


def registered_certification(
    branch,
    *,
    code="cqp-serveur-restauration",
    title="Serveur en restauration",
    register="RNCP",
    commission=True,
    **kwargs,
):
    certification = CertificationFactory(branches=[branch], code=code, title=title, nsf_codes=["334t"], **kwargs)
    if commission:
        cpne, _ = Commission.objects.get_or_create(name=f"CPNE de la branche {branch.idcc}")
        cpne.branches.add(branch)
        certification.commission = cpne
        certification.save(update_fields=["commission"])
    if register == "RNCP":
        RegistrationFactory(
            certification=certification,
            number=f"RNCP{34000 + certification.pk}",
            level=3,
            decision_date=datetime.date(2024, 1, 15),
        )
    elif register == "RS":
        RegistrationFactory(
            certification=certification, register="RS", number=f"RS{5000 + certification.pk}", level=None
        )
    return certification


def closed_session(certification, *, award_date=None, president=None, **kwargs):
    session = JurySessionFactory(
        certifications=[certification],
        state=jury.SessionState.CLOSED,
        award_date=award_date or datetime.date(2026, 6, 30),
        place="Paris",
        **kwargs,
    )
    if president is not None:
        jury.JuryMember.objects.create(
            session=session, user=president, college=jury.College.EMPLOYER, is_president=True
        )
    return session


def final_decision(
    session,
    *,
    version,
    outcome=jury.Outcome.TOTAL,
    validated=None,
    candidate=None,
    access_route="continuing",
    state=jury.DecisionState.FINAL,
):
    """``validated``: block codes validated by the jury (default: all for TOTAL, the first for PARTIAL).
    ``state``: proposed for a decision not final yet (a final one is never changed afterwards)."""
    blocks = list(version.blocks.order_by("order"))
    if validated is None:
        validated = {
            jury.Outcome.TOTAL: [b.code for b in blocks],
            jury.Outcome.PARTIAL: [blocks[0].code],
            jury.Outcome.REFUSED: [],
        }[outcome]
    path = PathFactory(
        version=version,
        state=PATH_STATE[outcome],
        candidate=candidate or CandidateFactory(),
        access_route=access_route,
        # Enrolled before the award (the CDC refuses an enrolment after it).
        start_date=(session.award_date or session.date) - datetime.timedelta(days=180),
    )
    dossier = jury.Dossier.objects.create(session=session, path=path, is_open=False)
    decision = jury.Decision.objects.create(dossier=dossier, outcome=outcome, state=state)
    jury.BlockDecision.objects.bulk_create(
        [jury.BlockDecision(decision=decision, block=b, validated=b.code in validated) for b in blocks]
    )
    return decision


def award_setup(branch, *, register="RNCP", blocks=3, **cert_kwargs):
    certification = registered_certification(branch, register=register, **cert_kwargs)
    version = published_version(certification, blocks=blocks)
    return certification, version


def cdc_account(certification, id_client="CPNE1979", id_contract="CTR-2026-01"):
    return CdcCertifier.objects.get_or_create(
        commission=certification.commission, defaults={"id_client": id_client, "id_contract": id_contract}
    )[0]
