"""Which awards are sent to the CDC, the identity sent for each, and what would make the CDC
refuse one (domain.md "Accrochage"): said before any file is written."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from candidates import identity as identity_rules
from candidates.identity import IDENTITY_FIELDS
from candidates.models import add_months
from cqp_portal import policy
from juries.certificates.models import CdcCertifier, CdcStatus, Certificate, CertificateKind, CertificateState

SENT_REGISTERS = ("RNCP", "RS")
DUE_MONTHS = 3


@dataclass
class Award:
    certificate: Certificate
    certifier: CdcCertifier | None
    identity: dict
    cpf_file_number: str = ""
    problems: list[str] = field(default_factory=list)
    # The candidate's (or path's) fields to correct, for the link on the board.
    fields: list[str] = field(default_factory=list)

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
    """Never sent, or marked to deposit again after a CDC rejection (a re-issued certificate
    is a new row, never sent: it goes in the next flux with the award's same idTechnique)."""
    return qs.filter(cdc_status__in=[CdcStatus.NOT_SENT, CdcStatus.TO_REDEPOSIT])


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


def _identity(certificate) -> dict:
    """The snapshot on the certificate, completed from the candidate's current record."""
    candidate = certificate.path.candidate
    return _merged_identity(
        {name: getattr(certificate, f"holder_{name}") for name in IDENTITY_FIELDS},
        {name: getattr(candidate, name) for name in IDENTITY_FIELDS},
    )


def _merged_identity(snapshot: dict, current: dict) -> dict:
    pick = lambda name: snapshot[name] or current[name] or ""  # noqa: E731
    code = pick("birth_place_code").strip().upper()
    # Snapshots older than the code kind have none: the candidate's record says it, if it
    # still holds the same code (never guessed from the code itself).
    kind = (snapshot["birth_place_code_kind"] if snapshot["birth_place_code"] else "") or (
        current["birth_place_code_kind"] if (current["birth_place_code"] or "").strip().upper() == code else ""
    )
    return {
        "birth_name": pick("birth_name").strip(),
        "usage_name": pick("usage_name").strip(),
        "first_names": pick("first_names").strip(),
        "sex": pick("sex"),
        "birth_date": snapshot["birth_date"] or current["birth_date"],
        "birth_place_code": code,
        "birth_place_code_kind": kind or "",
        "birth_place_name": pick("birth_place_name").strip(),
        "birth_country": (pick("birth_country").strip() or identity_rules.FRANCE).upper(),
    }


def identity_problems(identity: dict, *, cpf_file_number: str = "") -> list[str]:
    """What the CDC needs and is missing or would refuse (domain.md "Accrochage", 18c), said
    before the export. Each message names the field of the candidate's record to correct."""
    return [message for message, _field in identity_issues(identity, cpf_file_number=cpf_file_number)]


def identity_issues(identity: dict, *, cpf_file_number: str = "") -> list[tuple[str, str]]:
    """(message, candidate field to correct) pairs."""
    problems = []
    if not identity["birth_name"]:
        problems.append((_("birth name missing"), "birth_name"))
    if not identity["first_names"]:
        problems.append((_("first name missing"), "first_names"))
    if cpf_file_number:
        return problems  # the CPF file identifies the holder
    birth_date = identity["birth_date"]
    if birth_date is None:
        problems.append((_("birth date missing"), "birth_date"))
    elif birth_date > timezone.localdate() or birth_date < identity_rules.EARLIEST_BIRTH_DATE:
        problems.append((_("birth date implausible (in the future or before 1900)"), "birth_date"))
    if identity["sex"] not in ("M", "F"):
        problems.append((_("sex (M/F) missing"), "sex"))
    country, code, kind = identity["birth_country"], identity["birth_place_code"], identity["birth_place_code_kind"]
    if country != identity_rules.FRANCE:
        if not identity_rules.insee_country_code(country):
            problems.append((_("birth country unknown (ISO code expected)"), "birth_country"))
    elif len(code) != 5:
        problems.append((_("birth place code (INSEE code, 5 characters) missing"), "birth_place_code"))
    elif kind not in ("insee", "postcode"):
        # A postcode sent as codeInsee is refused or, worse, matched to another commune.
        problems.append((_("birth place code: INSEE code or postcode? not said"), "birth_place_code_kind"))
    elif kind == "insee" and not identity_rules.is_insee_commune_code(code):
        problems.append((_("birth place INSEE code invalid"), "birth_place_code"))
    elif kind == "postcode" and not identity_rules.is_postcode(code):
        problems.append((_("birth place postcode invalid"), "birth_place_code"))
    return problems


def date_issues(*, start_date, award_date, birth_date) -> list[tuple[str, str]]:
    """Dates the CDC checks against each other: enrolment (dateInscription) before the award
    (dateDebutValidite), and a holder of at least 15 when enrolled."""
    problems = []
    if start_date and award_date and start_date > award_date:
        problems.append(
            (
                _("enrolment date (%(start)s) after the award date (%(award)s)")
                % {"start": start_date.strftime("%d/%m/%Y"), "award": award_date.strftime("%d/%m/%Y")},
                "start_date",
            )
        )
    if birth_date and start_date and identity_rules.age_on(birth_date, start_date) < identity_rules.MINIMUM_AGE:
        problems.append(
            (_("holder under %(age)s on the enrolment date") % {"age": identity_rules.MINIMUM_AGE}, "birth_date")
        )
    return problems


def award_issues(identity: dict, *, cpf_file_number: str, start_date, award_date) -> list[tuple[str, str]]:
    return identity_issues(identity, cpf_file_number=cpf_file_number) + date_issues(
        start_date=start_date, award_date=award_date, birth_date=identity["birth_date"]
    )


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
        issues = award_issues(
            identity,
            cpf_file_number=award.cpf_file_number,
            start_date=certificate.path.start_date,
            award_date=certificate.award_date,
        )
        award.problems = [message for message, _field in issues]
        award.fields = sorted({name for _message, name in issues})
        if award.certifier is None:
            award.problems.append(_("the certifier (CPNE) has no CDC account configured"))
        result.append(award)
    result.sort(key=lambda a: (a.due_date, a.certificate.number))
    return result
