"""E-mails of the juries app. Built in the recipient's language, sent by the tasks."""

from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cqp_portal.accounts.models import Role, RoleAssignment


def _send(recipient: str, language: str, build) -> None:
    if not recipient:
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        subject, body = build()
    send_mail(str(subject), str(body), None, [recipient])


def _where(session) -> str:
    return session.place or session.video_link


def _candidate_address(candidate) -> tuple[str, str]:
    user = candidate.user
    return (candidate.email or (user.email if user else ""), user.language if user else "fr")


def send_convocations(session) -> int:
    """Convocations to members and candidates not yet convened. Marks each one sent, so a
    retried task never sends twice."""
    sent = 0
    for member in session.members.filter(convocation_sent_at__isnull=True).select_related("user"):
        _send(
            member.user.email,
            member.user.language,
            lambda member=member: (
                _("Convocation: national jury of %(date)s") % {"date": date_format(session.date)},
                _(
                    "You are convened as a member (%(college)s) of the national jury of %(date)s, %(where)s.\n"
                    "The dossiers are in the portal: %(url)s"
                )
                % {
                    "college": member.get_college_display(),
                    "date": date_format(session.date),
                    "where": _where(session),
                    "url": settings.SITE_URL + reverse("juries:session_detail", args=[session.pk]),
                },
            ),
        )
        member.convocation_sent_at = timezone.now()
        member.save(update_fields=["convocation_sent_at"])
        sent += 1
    for dossier in session.dossiers.filter(convocation_sent_at__isnull=True).select_related(
        "path__candidate__user", "path__certification"
    ):
        email, language = _candidate_address(dossier.path.candidate)
        _send(
            email,
            language,
            lambda dossier=dossier: (
                _("Your dossier goes before the national jury on %(date)s") % {"date": date_format(session.date)},
                _(
                    "Your dossier for %(certification)s will be examined by the national jury of %(date)s "
                    "(%(where)s). You will be told of the decision in the portal."
                )
                % {
                    "certification": dossier.path.certification,
                    "date": date_format(session.date),
                    "where": _where(session),
                },
            ),
        )
        dossier.convocation_sent_at = timezone.now()
        dossier.save(update_fields=["convocation_sent_at"])
        sent += 1
    return sent


def send_decisions(session) -> int:
    from juries.models import Decision

    sent = 0
    decisions = (
        Decision.objects.filter(dossier__session=session, is_current=True, state="final")
        .select_related("dossier__path__candidate__user", "dossier__path__certification")
        .prefetch_related("block_decisions__block")
    )
    for decision in decisions:
        email, language = _candidate_address(decision.dossier.path.candidate)
        _send(email, language, lambda decision=decision: _decision_message(decision))
        sent += 1
    return sent


def _decision_message(decision) -> tuple[str, str]:
    body = _("The national jury decided: %(outcome)s. Details and next steps are in the portal: %(url)s") % {
        "outcome": decision.get_outcome_display(),
        "url": settings.SITE_URL + reverse("juries:decision_detail", args=[decision.pk]),
    }
    retake = [bd for bd in decision.block_decisions.all() if bd.validated is False]
    if retake:
        # The candidate learns what to retake, expired blocks included (domain.md: they are assessed again).
        lines = [
            _("%(code)s: held until %(date)s, expired before the jury date")
            % {"code": bd.block.code, "date": date_format(bd.expired_on)}
            if bd.expired_on
            else bd.block.code
            for bd in retake
        ]
        body += "\n\n" + _("Blocks to retake:") + "\n" + "\n".join(f"- {line}" for line in lines)
    subject = _("Decision of the national jury: %(certification)s") % {
        "certification": decision.dossier.path.certification
    }
    return subject, body


def _branch_admin_emails(certification) -> list[tuple[str, str]]:
    return list(
        RoleAssignment.objects.filter(role=Role.BRANCH_ADMIN, branch__in=certification.branches.all())
        .values_list("user__email", "user__language")
        .distinct()
    )


def send_appeal_notice(appeal) -> None:
    decision = appeal.decision
    certification = decision.dossier.path.certification
    url = settings.SITE_URL + reverse("juries:decision_detail", args=[decision.pk])
    if appeal.state == "filed":
        for email, language in _branch_admin_emails(certification):
            _send(
                email,
                language,
                lambda: (
                    _("Appeal filed: %(certification)s") % {"certification": certification},
                    _("%(candidate)s appealed against the jury decision. Decide it in the portal: %(url)s")
                    % {"candidate": decision.dossier.path.candidate, "url": url},
                ),
            )
    else:
        email, language = _candidate_address(decision.dossier.path.candidate)
        _send(
            email,
            language,
            lambda: (
                _("Answer to your appeal: %(certification)s") % {"certification": certification},
                _("Your appeal was %(state)s. Details in the portal: %(url)s")
                % {"state": appeal.get_state_display().lower(), "url": url},
            ),
        )


def send_expiry_notices(entries) -> int:
    """One e-mail per candidate and one digest per branch administrator."""
    by_candidate = defaultdict(list)
    by_admin = defaultdict(list)
    for entry in entries:
        by_candidate[entry.candidate].append(entry)
        for email, language in _branch_admin_emails(entry.block.version.certification):
            by_admin[(email, language)].append(entry)
    for candidate, rows in by_candidate.items():
        email, language = _candidate_address(candidate)
        _send(
            email,
            language,
            lambda rows=rows: (
                _("Validated blocks about to expire"),
                _("These validated blocks expire soon; have the missing blocks validated before then:\n%(lines)s")
                % {"lines": "\n".join(f"- {r.block} : {date_format(r.valid_until)}" for r in rows)},
            ),
        )
    for (email, language), rows in by_admin.items():
        _send(
            email,
            language,
            lambda rows=rows: (
                _("Candidates' validated blocks about to expire"),
                "\n".join(f"- {r.candidate} — {r.block} : {date_format(r.valid_until)}" for r in rows),
            ),
        )
    return len(by_candidate)
