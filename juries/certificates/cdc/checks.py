"""Which awards are sent to the CDC, the identity sent for each, and what would make the CDC
refuse one (domain.md "Accrochage"): said before any file is written."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from candidates.models import add_months
from cqp_portal import policy
from juries.certificates.models import CdcCertifier, Certificate, CertificateKind, CertificateState

SENT_REGISTERS = ("RNCP", "RS")
DUE_MONTHS = 3


@dataclass
class Award:
    certificate: Certificate
    certifier: CdcCertifier | None
    identity: dict
    cpf_file_number: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def due_date(self) -> datetime.date:
        return add_months(self.certificate.award_date, DUE_MONTHS)

    @property
    def overdue(self) -> bool:
        return self.due_date < timezone.localdate()

    @property
    def exportable(self) -> bool:
        return not self.problems


def eligible_certificates(*, user=None, certification_code: str = "", since=None):
    """Full awards of a certification registered at the RNCP or the RS, still valid.
    Partial awards and block attestations are not sent; branch-only CQPs are not either."""
    qs = Certificate.objects.filter(
        kind=CertificateKind.CERTIFICATE, state=CertificateState.ISSUED, register__in=SENT_REGISTERS
    )
    if user is not None:
        qs = policy.scope(user, Certificate, qs)
    if certification_code:
        qs = qs.filter(certification__code=certification_code)
    if since:
        qs = qs.filter(award_date__gte=since)
    return qs


def not_exported(qs):
    return qs.filter(cdc_exports__isnull=True)


def _certifiers_by_certification(certifications) -> dict[int, CdcCertifier | None]:
    """The certification's CPNE, else the CPNE of its first owning branch that has a CDC account."""
    accounts = {a.commission_id: a for a in CdcCertifier.objects.select_related("commission")}
    result = {}
    for certification in certifications:
        account = accounts.get(certification.commission_id)
        if account is None and certification.commission_id is None:
            for branch in sorted(certification.branches.all(), key=lambda b: b.idcc):
                account = next((accounts[c.pk] for c in branch.commissions.all() if c.pk in accounts), None)
                if account:
                    break
        result[certification.pk] = account
    return result


def _cpf_file_numbers(path_ids) -> dict[int, str]:
    """CPF file number of CPF-funded paths (financing app), sent instead of the identity."""
    try:
        from financing.models import FundingLine, FundingState, Scheme
    except ImportError:  # financing not installed: nothing to add
        return {}
    rows = (
        FundingLine.objects.filter(path_id__in=path_ids, scheme=Scheme.CPF)
        .exclude(cpf_file_number="")
        .exclude(state__in=[FundingState.REFUSED, FundingState.CANCELLED])
        .order_by("path_id", "-pk")
        .values_list("path_id", "cpf_file_number")
    )
    result: dict[int, str] = {}
    for path_id, number in rows:
        result.setdefault(path_id, number)
    return result


IDENTITY_FIELDS = (
    "birth_name",
    "usage_name",
    "first_names",
    "sex",
    "birth_date",
    "birth_place_code",
    "birth_place_name",
)


def _identity(certificate) -> dict:
    """The snapshot on the certificate, completed from the candidate's current record."""
    candidate = certificate.path.candidate
    return _merged_identity(
        {name: getattr(certificate, f"holder_{name}") for name in IDENTITY_FIELDS},
        {name: getattr(candidate, name) for name in IDENTITY_FIELDS},
    )


def _merged_identity(snapshot: dict, current: dict) -> dict:
    pick = lambda name: snapshot[name] or current[name] or ""  # noqa: E731
    return {
        "birth_name": pick("birth_name").strip(),
        "usage_name": pick("usage_name").strip(),
        "first_names": pick("first_names").strip(),
        "sex": pick("sex"),
        "birth_date": snapshot["birth_date"] or current["birth_date"],
        "birth_place_code": pick("birth_place_code").strip(),
        "birth_place_name": pick("birth_place_name").strip(),
    }


def identity_problems(identity: dict, *, cpf_file_number: str = "") -> list[str]:
    """What the CDC needs and is missing (domain.md "Accrochage"), said before the export."""
    problems = []
    if not identity["birth_name"]:
        problems.append(_("birth name missing"))
    if not identity["first_names"]:
        problems.append(_("first name missing"))
    if cpf_file_number:
        return problems  # the CPF file identifies the holder
    if identity["birth_date"] is None:
        problems.append(_("birth date missing"))
    elif not 1900 <= identity["birth_date"].year <= 2099:
        problems.append(_("birth year out of range"))
    if identity["sex"] not in ("M", "F"):
        problems.append(_("sex (M/F) missing"))
    if len(identity["birth_place_code"]) != 5:
        problems.append(_("birth place code (INSEE code, 5 characters) missing"))
    return problems


def awards(qs) -> list[Award]:
    certificates = list(
        qs.select_related("path__candidate", "certification__commission").prefetch_related(
            "certification__branches__commissions"
        )
    )
    certifiers = _certifiers_by_certification({c.certification_id: c.certification for c in certificates}.values())
    cpf = _cpf_file_numbers({c.path_id for c in certificates})
    result = []
    for certificate in certificates:
        identity = _identity(certificate)
        award = Award(
            certificate=certificate,
            certifier=certifiers.get(certificate.certification_id),
            identity=identity,
            cpf_file_number=cpf.get(certificate.path_id, ""),
        )
        award.problems = identity_problems(identity, cpf_file_number=award.cpf_file_number)
        if award.certifier is None:
            award.problems.append(_("the certifier (CPNE) has no CDC account configured"))
        result.append(award)
    result.sort(key=lambda a: (a.due_date, a.certificate.number))
    return result
