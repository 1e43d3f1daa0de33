"""Registration renewals (issue 20, point 3): registrations at the RNCP/RS ending within 12 and
6 months, the enrolled candidates whose planned jury falls after the last day the certification
may still be awarded, and the beat task reminding the branch administrators.

Dates used:

- the registration "ends" on its end date (``DATE_FIN_ENREGISTREMENT``), or on its last delivery
  date when France compétences gives no end date: the renewal file is due before that day;
- a path may be awarded until the last delivery date, or the end date when there is none
  (``Registration.can_deliver_on``): that is the limit the planned jury is compared with;
- the planned jury of a path is the date of the open jury session holding its dossier, else
  the planned end of its course (training or VAE support). With neither, the jury date is
  unknown: the path is flagged "to check" once the limit is 6 months away or less.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from candidates.models import FINAL_PATH_STATES, Path, PathState, add_months
from certifications.models import Registration
from certifications.renewal_models import RegistrationReminder
from cqp_portal.audit.services import audit_record
from cqp_portal.tasks import enqueue_on_commit

# The reminders, farthest first: the branch prepares the renewal file a year ahead.
THRESHOLDS = (12, 6)
NOT_ENROLLED = [PathState.DRAFT, *FINAL_PATH_STATES]


def ends_on(registration) -> datetime.date | None:
    return registration.end_date or registration.last_delivery_date


def delivery_limit(registration) -> datetime.date | None:
    return registration.last_delivery_date or registration.end_date


def urgency(end: datetime.date, today: datetime.date) -> str | None:
    """ "ended", "6" (within 6 months), "12" (within 12 months) or None (later or no end)."""
    if end < today:
        return "ended"
    if end <= add_months(today, 6):
        return "6"
    if end <= add_months(today, 12):
        return "12"
    return None


def ending_registrations(certifications, *, today: datetime.date | None = None) -> list[dict]:
    """The certifications (registration already loaded) ending within 12 months or ended,
    soonest first. No query: the workspace passes its prefetched list."""
    today = today or timezone.localdate()
    rows = []
    for certification in certifications:
        registration = certification.registration_or_none
        end = registration and ends_on(registration)
        level = end and urgency(end, today)
        if not level:
            continue
        rows.append(
            {
                "certification": certification,
                "registration": registration,
                "ends_on": end,
                "delivery_limit": delivery_limit(registration),
                "level": level,
                "days_left": (end - today).days,
            }
        )
    return sorted(rows, key=lambda row: (row["ends_on"], row["certification"].title))


def _planned_jury():
    from juries.models import Dossier

    open_session = (
        Dossier.objects.filter(path=OuterRef("pk"), is_open=True).order_by("-session__date").values("session__date")[:1]
    )
    return Coalesce(Subquery(open_session), F("course__end_date"))


def paths_at_risk(certification_ids, *, today: datetime.date | None = None):
    """Enrolled paths whose planned jury is after their certification's delivery limit (or
    unknown while the limit is 6 months away or less). One query, whatever the number."""
    today = today or timezone.localdate()
    return (
        Path.objects.filter(certification_id__in=certification_ids)
        .exclude(state__in=NOT_ENROLLED)
        .annotate(
            delivery_limit=Coalesce(
                F("certification__registration__last_delivery_date"), F("certification__registration__end_date")
            ),
            planned_jury=_planned_jury(),
        )
        .filter(delivery_limit__isnull=False)
        .filter(
            Q(planned_jury__gt=F("delivery_limit"))
            | Q(planned_jury__isnull=True, delivery_limit__lte=add_months(today, 6))
        )
        .select_related("candidate", "certification")
        .order_by("delivery_limit", "certification__title", "candidate__birth_name", "pk")
    )


# --- the reminder (beat) --------------------------------------------------------------------


def flag_ending_registrations(*, today: datetime.date | None = None) -> int:
    """Record the reminders due today (registration ending within 12 or 6 months) and queue
    their e-mails after commit. The row comes first and is unique: safe to run twice and on two
    beat instances at once. A registration first seen within 6 months gets the 6-month reminder
    only (the 12-month one would say less)."""
    today = today or timezone.localdate()
    created = []
    with transaction.atomic():
        registrations = (
            Registration.objects.annotate(ends=Coalesce("end_date", "last_delivery_date"))
            .filter(ends__gte=today, ends__lte=add_months(today, THRESHOLDS[0]))
            .order_by("pk")
            # skip_locked: a second beat instance takes the other registrations, never the same.
            .select_for_update(skip_locked=True, of=("self",))
        )
        for registration in registrations:
            end = registration.ends
            due = [m for m in THRESHOLDS if end <= add_months(today, m)]
            months = min(due)
            already = RegistrationReminder.objects.filter(registration=registration, end_date=end, months__lte=months)
            if already.exists():
                continue
            _reminder, new = RegistrationReminder.objects.get_or_create(
                registration=registration, months=months, end_date=end
            )
            if new:
                audit_record(
                    subject=registration,
                    action="registration.end_reminder",
                    changes={"months": months, "end_date": end.isoformat()},
                )
                created.append(_reminder.pk)
        if created:
            from certifications import tasks

            enqueue_on_commit(tasks.send_registration_reminders, created)
    return len(created)


def _admins(certification_ids) -> dict[int, list]:
    from juries.certificates.cdc.deadlines import _admins_by_certification

    return _admins_by_certification(certification_ids)


def send_registration_reminders(reminder_ids: list[int]) -> int:
    """One e-mail per administrator listing their registrations ending soon."""
    reminders = list(
        RegistrationReminder.objects.filter(pk__in=reminder_ids)
        .select_related("registration__certification")
        .order_by("end_date", "pk")
    )
    admins = _admins({r.registration.certification_id for r in reminders})
    per_user, users = defaultdict(list), {}
    for reminder in reminders:
        for user in admins.get(reminder.registration.certification_id, []):
            per_user[user.pk].append(reminder)
            users[user.pk] = user
    page = settings.SITE_URL + reverse("certifications:workspace")
    for user_pk, items in per_user.items():
        user = users[user_pk]
        if not user.email:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            lines = [
                _("%(title)s (%(number)s): registration ends on %(end)s, within %(months)s months")
                % {
                    "title": r.registration.certification.title,
                    "number": r.registration.number,
                    "end": r.end_date.strftime("%d/%m/%Y"),
                    "months": r.months,
                }
                for r in items
            ]
            subject = _("Registration renewal: %(count)s certification(s) ending soon") % {"count": len(items)}
            body = _(
                "The registration of these certifications at the national register ends soon. File the "
                "renewal request with France compétences in time; the figures it asks for are exported "
                "from the statistics.\n\n%(lines)s\n\nMy branch: %(url)s"
            ) % {"lines": "\n".join(lines), "url": page}
        send_mail(str(subject), str(body), None, [user.email])
    return len(per_user)
