"""Paths: creation on the latest published référentiel when the access route is open, and the
assignment of the evaluator, the workplace tutor and the training provider, each checked as
habilitated for the certification on the date that matters."""

import datetime

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from candidates.eligibility import access_route_eligibility
from candidates.identity import birth_date_error
from candidates.models import FINAL_PATH_STATES, AccessRoute, Path
from candidates.services._common import _lock, _today
from certifications.models import ReferentialState
from certifications.selectors import is_habilitated
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import RuleViolation
from cqp_portal.policy.roles import provider_ids


def latest_published_version(certification):
    return certification.versions.filter(state=ReferentialState.PUBLISHED).order_by("-number").first()


def path_create(
    *,
    candidate,
    certification,
    access_route: str,
    by,
    start_date: datetime.date | None = None,
    vae_target_block=None,
    training_provider=None,
    evaluator=None,
    workplace_tutor=None,
    previous_path=None,
) -> Path:
    """A draft path on the latest published version, if the access route is open (eligibility
    table of domain.md) on the start date."""
    start_date = start_date or _today()
    version = latest_published_version(certification)
    path = Path(
        candidate=candidate,
        certification=certification,
        version=version,
        access_route=access_route,
        start_date=start_date,
        vae_target_block=vae_target_block,
        training_provider=training_provider,
        evaluator=evaluator,
        workplace_tutor=workplace_tutor,
        previous_path=previous_path,
        created_by=by,
    )
    if training_provider is None and provider_ids(by) and not policy.allowed(by, "path.create", path):
        # Provider staff enrol candidates on the paths their organisation prepares: without the
        # provider the path is not theirs. Say which field is missing rather than a bare 403.
        message = _("Choose your training provider: you enrol candidates on the paths it prepares.")
        raise RuleViolation(message, code="required", field="training_provider")
    policy.require(by, "path.create", path)
    if version is None:
        raise RuleViolation(
            _("This certification has no published référentiel: no path can start on it yet."),
            code="no_published_version",
            field="certification",
        )
    # 18c: a birth date that makes the candidate under 15 on the enrolment date is a typing error.
    if message := birth_date_error(candidate.birth_date, on_date=start_date):
        raise RuleViolation(message, code="implausible_birth_date", field="start_date")
    reasons = access_route_eligibility(certification=certification, access_route=access_route, on_date=start_date)
    if reasons:
        raise RuleViolation(reasons[0], code="access_route_not_eligible", field="access_route", details=reasons)
    if vae_target_block is not None:
        if access_route != AccessRoute.VAE:
            raise RuleViolation(
                _("Only a VAE path may target a single block."), code="single_block_vae_only", field="vae_target_block"
            )
        if vae_target_block.version_id != version.pk:
            raise RuleViolation(
                _("The targeted block is not in the current référentiel of this certification."),
                code="block_not_in_version",
                field="vae_target_block",
            )
    if training_provider is not None:
        _check_provider_habilitated(certification, training_provider, start_date)
    if evaluator is not None:
        _check_evaluator(certification, evaluator, start_date, field="evaluator")
    with transaction.atomic():
        # One open path per candidate and certification: a second would split the file.
        open_paths = Path.objects.select_for_update().filter(candidate=candidate, certification=certification)
        if open_paths.exclude(state__in=FINAL_PATH_STATES).exists():
            raise RuleViolation(
                _("This candidate already has an open path on this certification."),
                code="path_already_open",
                field="certification",
            )
        path.save()
        audit_record(
            subject=path, action="path.create", by=by, to_state=path.state, changes={"access_route": access_route}
        )
    return path


def _check_provider_habilitated(certification, provider, on_date):
    if not is_habilitated(certification=certification, on_date=on_date, training_provider=provider):
        raise RuleViolation(
            _("%(provider)s is not habilitated to prepare this certification on %(date)s.")
            % {"provider": provider, "date": date_format(on_date)},
            code="provider_not_habilitated",
            field="training_provider",
        )


def _check_evaluator(certification, evaluator, on_date, *, field):
    if not evaluator.has_role(Role.EVALUATOR):
        raise RuleViolation(_("This person is not an evaluator."), code="not_an_evaluator", field=field)
    if not is_habilitated(certification=certification, on_date=on_date, evaluator=evaluator):
        raise RuleViolation(
            _("%(person)s is not habilitated to evaluate this certification on %(date)s.")
            % {"person": evaluator, "date": date_format(on_date)},
            code="evaluator_not_habilitated",
            field=field,
        )


def path_assign(*, path, by, evaluator=None, workplace_tutor=None, training_provider=None) -> Path:
    """Assign the external evaluator, the workplace tutor and/or the training provider."""
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.assign", locked)
        if locked.is_final:
            raise RuleViolation(_("A closed path cannot be changed."), code="path_closed")
        today = _today()
        changes = {}
        if evaluator is not None:
            _check_evaluator(locked.certification, evaluator, today, field="evaluator")
            locked.evaluator = evaluator
            changes["evaluator"] = evaluator.pk
        if workplace_tutor is not None:
            _check_evaluator(locked.certification, workplace_tutor, today, field="workplace_tutor")
            locked.workplace_tutor = workplace_tutor
            changes["workplace_tutor"] = workplace_tutor.pk
        if training_provider is not None:
            _check_provider_habilitated(locked.certification, training_provider, locked.start_date or today)
            locked.training_provider = training_provider
            changes["training_provider"] = training_provider.pk
        locked.save(update_fields=["evaluator", "workplace_tutor", "training_provider", "updated_at"])
        audit_record(subject=locked, action="path.assign", by=by, changes=changes)
    return locked
