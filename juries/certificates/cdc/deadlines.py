"""The 3-month deadline of the accrochage (domain.md "Accrochage", 18a): every award of an RNCP/RS
certification is reported within 3 months of its award date. Awards not reported yet (never
sent, or rejected by the CDC and not deposited again) are listed on the branch's CDC board when
the deadline approaches or has passed, and the branch administrators get a reminder at 60 and
80 days. A reminder is a row (``CdcDeadlineReminder``, unique per award and threshold) written
before the e-mail is queued: a second run, or a second beat instance at the same moment, finds
the row and sends nothing.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from candidates.models import add_months
from cqp_portal.tasks import enqueue_on_commit
from juries.certificates.cdc.checks import DUE_MONTHS, eligible_certificates
from juries.certificates.models import CdcDeadlineReminder, CdcStatus, Certificate

REMINDER_DAYS = (60, 80)
# From this age on, an award is "approaching" its deadline on the board.
APPROACHING_DAYS = REMINDER_DAYS[0]
NOT_REPORTED = [CdcStatus.NOT_SENT, CdcStatus.REJECTED, CdcStatus.TO_REDEPOSIT]


def due_date(award_date: datetime.date) -> datetime.date:
    return add_months(award_date, DUE_MONTHS)


def not_reported(user=None):
    """Awards the CDC does not have yet: never sent, rejected, or waiting to be sent again."""
    return eligible_certificates(user=user).filter(cdc_status__in=NOT_REPORTED)


def deadline_list(user=None, *, today: datetime.date | None = None) -> list[dict]:
    """Awards at least ``APPROACHING_DAYS`` old and not reported, overdue first (one query)."""
    today = today or timezone.localdate()
    rows = (
        not_reported(user)
        .filter(award_date__lte=today - datetime.timedelta(days=APPROACHING_DAYS))
        .order_by("award_date", "number")
        .values("pk", "number", "award_date", "holder_first_names", "holder_birth_name", "cdc_status", "path_id")
    )
    result = []
    for row in rows:
        due = due_date(row["award_date"])
        result.append(
            {
                **row,
                "holder": f"{row['holder_first_names']} {row['holder_birth_name']}".strip(),
                "due_date": due,
                "days": (today - row["award_date"]).days,
                "overdue": due < today,
                "days_left": (due - today).days,
            }
        )
    return result


def _admins_by_certification(certification_ids) -> dict[int, list]:
    """The branch administrators of each certification's owning branches."""
    from certifications.models import Certification
    from cqp_portal.accounts.models import Role, RoleAssignment

    branches = defaultdict(set)
    for certification_id, branch_id in Certification.branches.through.objects.filter(
        certification_id__in=certification_ids
    ).values_list("certification_id", "branch_id"):
        branches[certification_id].add(branch_id)
    admins_by_branch = defaultdict(list)
    for assignment in RoleAssignment.objects.filter(
        role=Role.BRANCH_ADMIN, branch_id__in={b for ids in branches.values() for b in ids}, user__is_active=True
    ).select_related("user"):
        admins_by_branch[assignment.branch_id].append(assignment.user)
    return {
        certification_id: list({u.pk: u for b in ids for u in admins_by_branch[b]}.values())
        for certification_id, ids in branches.items()
    }


def flag_cdc_deadlines(*, today: datetime.date | None = None) -> int:
    """Record the reminders due today (60 and 80 days after the award, not reported yet) and
    queue their e-mails after commit. Safe to run twice and on two beat instances at once."""
    today = today or timezone.localdate()
    created = []
    with transaction.atomic():
        for days in REMINDER_DAYS:
            candidates = (
                not_reported()
                .filter(award_date__lte=today - datetime.timedelta(days=days))
                .exclude(cdc_reminders__days=days)
                .order_by("pk")
            )
            # skip_locked: a second beat instance takes the other awards, never the same twice.
            for certificate in candidates.select_for_update(skip_locked=True, of=("self",)).only("pk"):
                _reminder, new = CdcDeadlineReminder.objects.get_or_create(certificate=certificate, days=days)
                if new:
                    created.append((certificate.pk, days))
        if created:
            from juries.certificates import tasks

            enqueue_on_commit(tasks.cdc_send_deadline_reminders, sorted({pk for pk, _days in created}))
    return len(created)


def send_deadline_reminders(certificate_ids: list[int]) -> int:
    """One e-mail per administrator listing their awards due soon or overdue."""
    certificates = list(
        Certificate.objects.filter(pk__in=certificate_ids, cdc_status__in=NOT_REPORTED).order_by("award_date")
    )
    admins = _admins_by_certification({c.certification_id for c in certificates})
    per_user = defaultdict(list)
    users = {}
    for certificate in certificates:
        for user in admins.get(certificate.certification_id, []):
            per_user[user.pk].append(certificate)
            users[user.pk] = user
    today = timezone.localdate()
    board = settings.SITE_URL + reverse("certificates:cdc_board")
    for user_pk, items in per_user.items():
        user = users[user_pk]
        if not user.email:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            lines = [
                _("%(number)s, %(holder)s: awarded on %(award)s, to report by %(due)s (%(state)s)")
                % {
                    "number": c.number,
                    "holder": c.holder_name,
                    "award": c.award_date.strftime("%d/%m/%Y"),
                    "due": due_date(c.award_date).strftime("%d/%m/%Y"),
                    "state": _("overdue") if due_date(c.award_date) < today else _("due soon"),
                }
                for c in items
            ]
            subject = _("CDC accrochage: %(count)s award(s) to report") % {"count": len(items)}
            body = _(
                "These awards have not been reported to the Caisse des Dépôts yet; the law gives 3 months "
                "from the award date.\n\n%(lines)s\n\nCDC board: %(url)s"
            ) % {"lines": "\n".join(lines), "url": board}
        send_mail(str(subject), str(body), None, [user.email])
    return len(per_user)
