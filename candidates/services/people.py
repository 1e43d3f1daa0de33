"""Candidates: creation by a provider, a branch administrator or staff, self sign-up (account,
role and profile together), and the all-or-nothing CSV import."""

from django.db import transaction
from django.utils.translation import gettext as _

from candidates.identity import IDENTITY_FIELDS
from candidates.models import Candidate
from cqp_portal import policy
from cqp_portal.accounts.models import Role, RoleAssignment
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation

CANDIDATE_FIELDS = (
    *IDENTITY_FIELDS,
    "email",
    "phone",
    "address",
    "status",
    "employer_name",
    "employer_siret",
    "highest_degree_level",
)


def candidate_create(*, by, user=None, **fields) -> Candidate:
    """A candidate created by a training provider, a branch administrator or staff (or by
    the sign-up page, with ``user`` the new account, where ``by`` is that account)."""
    if user is None or user != by:
        policy.require(by, "candidate.create")
    unknown = set(fields) - set(CANDIDATE_FIELDS)
    if unknown:
        raise TypeError(f"unknown candidate fields: {sorted(unknown)}")
    with transaction.atomic():
        candidate = Candidate(user=user, created_by=by if getattr(by, "is_authenticated", False) else None, **fields)
        candidate.full_clean(exclude=["user", "created_by"])
        candidate.save()
        audit_record(subject=candidate, action="candidate.create", by=by)
    return candidate


IDENTITY_EDIT_FIELDS = tuple(
    f for f in CANDIDATE_FIELDS if f not in ("address", "employer_siret", "highest_degree_level")
)


def candidate_update_identity(*, candidate, by, **fields) -> Candidate:
    """Correct a candidate's identity (e.g. after a CDC rejection): the same rules as at
    creation, one audit row with what changed. Certificates keep their snapshot: re-issue one
    to carry the correction."""
    policy.require(by, "candidate.update_identity", candidate)
    unknown = set(fields) - set(IDENTITY_EDIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown candidate fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        before = {name: getattr(locked, name) for name in fields}
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["user", "created_by"])
        changes = {
            name: [str(before[name] or ""), str(getattr(locked, name) or "")]
            for name in fields
            if before[name] != getattr(locked, name)
        }
        if changes:
            locked.save()
            audit_record(subject=locked, action="candidate.update_identity", by=by, changes=changes)
    return locked


def candidate_sign_up(*, email: str, password: str, **fields) -> Candidate:
    """Self sign-up: the account, its candidate role and the candidate profile, together."""
    from cqp_portal.accounts.models import User

    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise RuleViolation(_("An account already exists with this e-mail address."), field="email")
        user = User.objects.create_user(
            email, password, first_name=fields.get("first_names", "")[:150], last_name=fields.get("birth_name", "")
        )
        RoleAssignment.objects.create(user=user, role=Role.CANDIDATE)
        fields.setdefault("email", user.email)
        candidate = candidate_create(by=user, user=user, **fields)
    return candidate


# --- CSV import ----------------------------------------------------------------------------


def candidate_import_csv(*, by, text: str) -> list[Candidate]:
    """Create the candidates of a CSV file, all or nothing: if any row is invalid, nothing is
    imported and every row's errors are returned in ``RuleViolation.details``."""
    import csv
    import io

    from candidates.forms import CSV_COLUMNS, CandidateForm

    policy.require(by, "candidate.create")
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=";,")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("birth_name", "first_names", "sex", "status") if c not in header]
    if missing:
        raise RuleViolation(
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}, code="csv_columns", field="file"
        )
    valid, errors = [], []
    for line, raw in enumerate(reader, start=2):
        data = {c: (raw.get(c) or "").strip() for c in CSV_COLUMNS}
        data["birth_country"] = data["birth_country"] or "FR"
        form = CandidateForm(data=data)
        if form.is_valid():
            valid.append(form.cleaned_data)
        else:
            for field, messages in form.errors.items():
                for message in messages:
                    errors.append(
                        _("Line %(line)s, %(field)s: %(message)s")
                        % {
                            "line": line,
                            "field": field,
                            "message": message,
                        }
                    )
    if errors:
        raise RuleViolation(
            _("Nothing was imported: %(count)s error(s) to correct.") % {"count": len(errors)},
            code="csv_invalid",
            field="file",
            details=errors,
        )
    if not valid:
        raise RuleViolation(_("The file holds no candidate."), code="csv_empty", field="file")
    with transaction.atomic():
        return [candidate_create(by=by, **row) for row in valid]
