"""Every write on candidates and paths: one function per use case.

Each transition locks the path (``select_for_update``), checks that the caller's view of the
state is still true (else ``Conflict``: someone else moved the path meanwhile), checks the
permission and the rules (``RuleViolation`` naming the rule), calls the django-fsm transition,
saves, writes an audit row and queues the e-mail after commit.
"""

import datetime
import hashlib

import filetype
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from candidates import tasks
from candidates.eligibility import access_route_eligibility
from candidates.ledger import held_blocks
from candidates.models import (
    FINAL_PATH_STATES,
    AccessRoute,
    AssessmentOutcome,
    AssessorRole,
    BlockAssessment,
    BlockPlan,
    Candidate,
    CompetencySelfAssessment,
    Course,
    CriterionResult,
    Evidence,
    EvidenceKind,
    Path,
    PathBlock,
    PathState,
    SelfAssessmentLevel,
)
from certifications.models import ReferentialState
from certifications.selectors import is_habilitated
from cqp_portal import policy
from cqp_portal.accounts.models import Role, RoleAssignment
from cqp_portal.audit.services import audit_record
from cqp_portal.errors import Conflict, RuleViolation
from cqp_portal.tasks import enqueue_on_commit

EVIDENCE_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def _today() -> datetime.date:
    return timezone.localdate()


def _state_label(state: str) -> str:
    return str(PathState(state).label)


# --- candidates -------------------------------------------------------------------------

CANDIDATE_FIELDS = (
    "birth_name",
    "usage_name",
    "first_names",
    "sex",
    "birth_date",
    "birth_place_code",
    "birth_place_name",
    "birth_country",
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


# --- paths: creation ---------------------------------------------------------------------


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
    policy.require(by, "path.create", path)
    if version is None:
        raise RuleViolation(
            _("This certification has no published référentiel: no path can start on it yet."),
            code="no_published_version",
            field="certification",
        )
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


# --- paths: transitions ------------------------------------------------------------------


def _lock(path) -> Path:
    """Re-read the path under a row lock; if its state moved since the caller read it,
    someone else acted first: a clear conflict rather than a surprising second transition."""
    try:
        locked = Path.objects.select_for_update().select_related("certification", "candidate").get(pk=path.pk)
    except Path.DoesNotExist:
        raise Conflict() from None
    if locked.state != path.state:
        raise Conflict(
            _("This path has just moved to “%(state)s” (someone else acted at the same time). Reload and check.")
            % {"state": _state_label(locked.state)}
        )
    return locked


def _refuse_state(path, allowed_from: str):
    raise RuleViolation(
        _("This step is only possible from “%(allowed)s”; the path is “%(state)s”.")
        % {"allowed": allowed_from, "state": _state_label(path.state)},
        code="transition_not_allowed",
    )


def _apply(locked, name: str, *, by, note: str = "", changes: dict | None = None, event: str | None = None) -> Path:
    method = getattr(locked, name)
    if not can_proceed(method):
        allowed = [
            _state_label(t.source)
            for t in locked.get_all_state_transitions()
            if t.name == name and t.source in PathState.values
        ]
        _refuse_state(locked, " / ".join(allowed) or "—")
    from_state = locked.state
    try:
        method()
        locked.save()
    except ConcurrentTransition:
        raise Conflict() from None
    except TransitionNotAllowed:
        _refuse_state(locked, "—")
    audit_record(
        subject=locked,
        action=f"path.{name}",
        by=by,
        from_state=from_state,
        to_state=locked.state,
        note=note,
        changes=changes,
    )
    if event:
        enqueue_on_commit(tasks.notify_path_event, locked.pk, event)
    return locked


def path_register(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.register", locked)
        if locked.state != PathState.DRAFT:
            _refuse_state(locked, _state_label(PathState.DRAFT))
        # The eligibility table applies on the day the path really starts.
        on_date = max(locked.start_date or _today(), _today())
        reasons = access_route_eligibility(
            certification=locked.certification, access_route=locked.access_route, on_date=on_date
        )
        if reasons:
            raise RuleViolation(reasons[0], code="access_route_not_eligible", field="access_route", details=reasons)
        return _apply(locked, "register", by=by, note=note, event="registered")


def path_request_admissibility(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.request_admissibility", locked)
        if not locked.is_vae:
            raise RuleViolation(
                _("Only a VAE path goes through admissibility (recevabilité)."), code="admissibility_vae_only"
            )
        locked.admissibility_requested_on = _today()
        return _apply(locked, "request_admissibility", by=by, note=note, event="admissibility_requested")


def path_decide_admissibility(*, path, by, admissible: bool, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.decide_admissibility", locked)
        if not admissible and not note.strip():
            raise RuleViolation(
                _("An inadmissibility decision must give its reasons."), code="reason_required", field="note"
            )
        locked.admissibility_decided_on = _today()
        name = "declare_admissible" if admissible else "declare_inadmissible"
        return _apply(locked, name, by=by, note=note, event="admissibility_decided")


def path_start_positioning(*, path, by, note: str = "") -> Path:
    """Open the positioning with one row per block, pre-filled from the ledger: blocks held
    (directly or through an equivalence, still valid) are recognised and not assessed again."""
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.position", locked)
        if locked.is_vae and locked.state == PathState.REGISTERED:
            raise RuleViolation(
                _("A VAE path needs a favourable admissibility decision before positioning."),
                code="admissibility_required",
            )
        locked = _apply(locked, "start_positioning", by=by, note=note)
        _prefill_positioning(locked)
    return locked


def _prefill_positioning(path) -> None:
    held = held_blocks(path.candidate, path.version, _today())
    default_plan = BlockPlan.TO_EVALUATE if path.is_vae else BlockPlan.TO_TRAIN
    for block in path.version.blocks.all():
        acquisition = held.get(block.pk)
        if acquisition is None and path.vae_target_block_id and block.pk != path.vae_target_block_id:
            # VAE on a single block: the other blocks are not part of this path.
            continue
        PathBlock.objects.update_or_create(
            path=path,
            block=block,
            defaults={
                "plan": BlockPlan.HELD if acquisition else default_plan,
                "held_through": acquisition,
            },
        )


def path_self_assess(*, path, by, levels: dict[int, str]) -> None:
    """The candidate's self-assessment per competency, during positioning."""
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.self_position", locked)
        if locked.state != PathState.POSITIONING:
            _refuse_state(locked, _state_label(PathState.POSITIONING))
        rows = {
            c.pk: pb
            for pb in locked.path_blocks.prefetch_related("block__competencies")
            for c in pb.block.competencies.all()
        }
        for competency_id, level in levels.items():
            if competency_id not in rows:
                raise RuleViolation(_("This competency is not part of your path."), code="unknown_competency")
            if level not in SelfAssessmentLevel.values:
                raise RuleViolation(_("Unknown self-assessment level."), code="unknown_level")
            CompetencySelfAssessment.objects.update_or_create(
                path_block=rows[competency_id], competency_id=competency_id, defaults={"level": level}
            )
        audit_record(subject=locked, action="path.self_assess", by=by, changes={"competencies": len(levels)})


def path_confirm_positioning(
    *, path, by, plans: dict[int, str], planned_hours: dict[int, int] | None = None, trainers: dict | None = None
) -> Path:
    """The evaluator or the provider confirms the plan of every block. "Already held" only
    for a block the ledger grants: the ledger is the single truth about what is held."""
    planned_hours = planned_hours or {}
    trainers = trainers or {}
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.position", locked)
        if locked.state != PathState.POSITIONING:
            _refuse_state(locked, _state_label(PathState.POSITIONING))
        rows = {pb.block_id: pb for pb in locked.path_blocks.select_related("block")}
        missing = set(rows) - set(plans)
        if missing or set(plans) - set(rows):
            raise RuleViolation(
                _("Give a positioning for every block of the path, and only for them."), code="positioning_incomplete"
            )
        if all(plan == BlockPlan.HELD for plan in plans.values()):
            raise RuleViolation(
                _("Every block is already held: there is nothing left to prepare on this path."),
                code="nothing_to_prepare",
            )
        held = held_blocks(locked.candidate, locked.version, _today())
        now = timezone.now()
        for block_id, plan in plans.items():
            row = rows[block_id]
            if plan not in BlockPlan.values:
                raise RuleViolation(_("Unknown positioning."), code="unknown_plan", field=f"plan_{block_id}")
            if plan == BlockPlan.HELD and block_id not in held:
                raise RuleViolation(
                    _(
                        "Block %(code)s is not in the candidate's ledger of validated blocks (or it has expired): "
                        "it cannot be marked as already held."
                    )
                    % {"code": row.block.code},
                    code="held_not_in_ledger",
                    field=f"plan_{block_id}",
                )
            row.plan = plan
            row.held_through = held.get(block_id) if plan == BlockPlan.HELD else None
            row.planned_hours = 0 if plan == BlockPlan.HELD else int(planned_hours.get(block_id, row.planned_hours))
            if block_id in trainers:
                row.trainer = trainers[block_id]
            row.confirmed_by = by
            row.confirmed_at = now
            row.save()
        audit_record(
            subject=locked,
            action="path.confirm_positioning",
            by=by,
            changes={str(k): v for k, v in plans.items()},
        )
        enqueue_on_commit(tasks.notify_path_event, locked.pk, "positioning_done")
    return locked


def _positioning_confirmed(path) -> bool:
    rows = list(path.path_blocks.all())
    return bool(rows) and all(row.confirmed_at for row in rows)


def path_start_course(
    *,
    path,
    by,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    training_provider=None,
    vae_support: bool = False,
    note: str = "",
) -> Path:
    """Training by a provider habilitated on the course dates, or VAE support."""
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.start_course", locked)
        if locked.state == PathState.POSITIONING and not _positioning_confirmed(locked):
            raise RuleViolation(
                _("The positioning must be confirmed before the course starts."), code="positioning_not_confirmed"
            )
        start_date = start_date or _today()
        if end_date and end_date < start_date:
            raise RuleViolation(_("The course cannot end before it starts."), code="dates", field="end_date")
        provider = training_provider or locked.training_provider
        if provider is None and not vae_support:
            raise RuleViolation(
                _("A course needs a habilitated training provider (or VAE support)."),
                code="provider_required",
                field="training_provider",
            )
        if provider is not None:
            for day in filter(None, (start_date, end_date)):
                _check_provider_habilitated(locked.certification, provider, day)
        locked = _apply(locked, "start_course", by=by, note=note)
        Course.objects.update_or_create(
            path=locked,
            defaults={
                "training_provider": provider,
                "vae_support": vae_support,
                "start_date": start_date,
                "end_date": end_date,
            },
        )
        if provider is not None and locked.training_provider_id != provider.pk:
            locked.training_provider = provider
            locked.save(update_fields=["training_provider", "updated_at"])
    return locked


def course_record_progress(*, path, by, completed_hours: dict[int, int]) -> None:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.start_course", locked)
        if locked.state != PathState.IN_COURSE:
            _refuse_state(locked, _state_label(PathState.IN_COURSE))
        for row in locked.path_blocks.filter(block_id__in=completed_hours):
            hours = int(completed_hours[row.block_id])
            if hours < 0:
                raise RuleViolation(_("Hours cannot be negative."), code="hours")
            row.completed_hours = hours
            row.save(update_fields=["completed_hours"])
        audit_record(
            subject=locked, action="course.progress", by=by, changes={str(k): v for k, v in completed_hours.items()}
        )


def path_start_evaluation(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.start_evaluation", locked)
        if locked.state == PathState.POSITIONING and not _positioning_confirmed(locked):
            raise RuleViolation(
                _("The positioning must be confirmed before the evaluation starts."),
                code="positioning_not_confirmed",
            )
        if locked.evaluator_id is None and can_proceed(locked.start_evaluation):
            raise RuleViolation(
                _("Assign a habilitated evaluator before the evaluation starts."), code="evaluator_required"
            )
        return _apply(locked, "start_evaluation", by=by, note=note)


def path_submit_to_jury(*, path, by, note: str = "") -> Path:
    """Every block the path targets has a current assessment (both of them when the
    certification requires double evaluation)."""
    from candidates.selectors import current_assessments

    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.submit_to_jury", locked)
        if locked.state == PathState.IN_EVALUATION:
            current = current_assessments(locked)
            targeted = locked.path_blocks.exclude(plan=BlockPlan.HELD).select_related("block")
            roles_needed = (
                {AssessorRole.EXTERNAL, AssessorRole.WORKPLACE_TUTOR}
                if locked.certification.requires_double_evaluation
                else None
            )
            for row in targeted:
                done = {a.assessor_role for a in current.get(row.block_id, [])}
                if not done:
                    raise RuleViolation(
                        _("Block %(code)s has no assessment yet: every targeted block is assessed before the jury.")
                        % {"code": row.block.code},
                        code="assessment_missing",
                    )
                if roles_needed and not roles_needed <= done:
                    raise RuleViolation(
                        _(
                            "Block %(code)s needs both the workplace tutor's and the external evaluator's "
                            "assessments (double evaluation)."
                        )
                        % {"code": row.block.code},
                        code="double_evaluation_missing",
                    )
        return _apply(locked, "submit_to_jury", by=by, note=note, event="ready_for_jury")


def path_return_to_evaluation(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.return_to_evaluation", locked)
        if not note.strip():
            raise RuleViolation(_("Say why the file goes back to evaluation."), code="reason_required", field="note")
        return _apply(locked, "return_to_evaluation", by=by, note=note)


def path_withdraw(*, path, by, note: str = "") -> Path:
    with transaction.atomic():
        locked = _lock(path)
        policy.require(by, "path.withdraw", locked)
        if locked.is_final:
            raise RuleViolation(
                _("A closed path (“%(state)s”) cannot be withdrawn.") % {"state": _state_label(locked.state)},
                code="transition_not_allowed",
            )
        return _apply(locked, "withdraw", by=by, note=note)


# Transitions reachable from the pages and the API by name (the jury's are in juries).
TRANSITIONS = {
    "register": path_register,
    "request_admissibility": path_request_admissibility,
    "declare_admissible": lambda *, path, by, note="": path_decide_admissibility(
        path=path, by=by, admissible=True, note=note
    ),
    "declare_inadmissible": lambda *, path, by, note="": path_decide_admissibility(
        path=path, by=by, admissible=False, note=note
    ),
    "start_positioning": path_start_positioning,
    "start_course": path_start_course,
    "start_evaluation": path_start_evaluation,
    "submit_to_jury": path_submit_to_jury,
    "return_to_evaluation": path_return_to_evaluation,
    "withdraw": path_withdraw,
}


# --- assessments -------------------------------------------------------------------------


def assessment_record(
    *,
    path,
    block,
    by,
    modality,
    assessed_on: datetime.date,
    outcome: str,
    criterion_results: dict[int, bool],
    comment: str = "",
    assessor_role: str | None = None,
    supersedes: BlockAssessment | None = None,
    correction_reason: str = "",
) -> BlockAssessment:
    """Record one block assessment (not the award: only the jury awards).

    Allowed while the path is "in evaluation" only (course-time assessments are recorded
    once the evaluation phase is opened, so the file the jury reads has one clear phase).
    Once the path is ready for the jury, only a correction superseding an assessment, with
    its reason, is accepted.
    """
    with transaction.atomic():
        locked = Path.objects.select_for_update().select_related("certification").get(pk=path.pk)
        policy.require(by, "path.assess", locked)
        role = _assessor_role(locked, by)
        if assessor_role and assessor_role != role:
            raise RuleViolation(
                _("You are assigned to this path as %(role)s.") % {"role": AssessorRole(role).label},
                code="assessor_role",
                field="assessor_role",
            )
        correction_reason = correction_reason.strip()
        if locked.state == PathState.READY_FOR_JURY:
            if supersedes is None or not correction_reason:
                raise RuleViolation(
                    _(
                        "The file is with the jury: an assessment can no longer be changed. Record a correction "
                        "that supersedes it, with its reason."
                    ),
                    code="assessment_frozen",
                    field="correction_reason",
                )
        elif locked.state != PathState.IN_EVALUATION:
            _refuse_state(locked, _state_label(PathState.IN_EVALUATION))
        if block.version_id != locked.version_id:
            raise RuleViolation(_("This block is not in the path's référentiel."), code="block_not_in_version")
        row = PathBlock.objects.filter(path=locked, block=block).first()
        if row is None or row.plan == BlockPlan.HELD:
            raise RuleViolation(
                _("Block %(code)s is not targeted by this path (already held or not part of it): it is not assessed.")
                % {"code": block.code},
                code="block_not_targeted",
            )
        if assessed_on > _today():
            raise RuleViolation(
                _("The assessment date cannot be in the future."), code="future_date", field="assessed_on"
            )
        # domain.md, "Evaluators": habilitated for that certification on the assessment date.
        if not is_habilitated(certification=locked.certification, on_date=assessed_on, evaluator=by):
            raise RuleViolation(
                _("You are not habilitated to evaluate this certification on %(date)s.")
                % {"date": date_format(assessed_on)},
                code="evaluator_not_habilitated",
                field="assessed_on",
            )
        if locked.certification.trainer_may_not_evaluate and row.trainer_id == by.pk:
            raise RuleViolation(
                _("You trained this candidate on block %(code)s: the certification forbids you to assess it.")
                % {"code": block.code},
                code="trainer_may_not_evaluate",
            )
        if modality.block_id != block.pk:
            raise RuleViolation(
                _("This modality is not one of the block's modalities."), code="unknown_modality", field="modality"
            )
        if outcome not in AssessmentOutcome.values:
            raise RuleViolation(_("Choose an outcome."), code="outcome", field="outcome")
        criteria = {c.pk: c for c in block.criteria.all()}
        given = {int(k): bool(v) for k, v in criterion_results.items()}
        if set(given) != set(criteria):
            raise RuleViolation(
                _("Give a result for every criterion of the block."), code="criteria_incomplete", field="criteria"
            )

        # The path row lock above serialises assessments of this path.
        current = (
            BlockAssessment.objects.filter(path=locked, block=block, assessor_role=role, superseded_by__isnull=True)
            .order_by("-pk")
            .first()
        )
        if supersedes is not None:
            if supersedes.path_id != locked.pk or supersedes.block_id != block.pk:
                raise RuleViolation(_("The corrected assessment is not for this block."), code="supersedes_mismatch")
            if current is None or supersedes.pk != current.pk:
                raise RuleViolation(
                    _("Only the current assessment can be corrected (it was already superseded)."),
                    code="supersedes_not_current",
                )
            if not correction_reason:
                raise RuleViolation(
                    _("A correction must give its reason."), code="reason_required", field="correction_reason"
                )
        elif current is not None:
            # A new assessment during evaluation (a retake) replaces the current one.
            supersedes = current
            correction_reason = correction_reason or _("New assessment during the evaluation phase.")

        try:
            assessment = BlockAssessment.objects.create(
                path=locked,
                block=block,
                evaluator=by,
                assessor_role=role,
                modality=modality,
                assessed_on=assessed_on,
                outcome=outcome,
                comment=comment,
                supersedes=supersedes,
                correction_reason=correction_reason if supersedes else "",
            )
        except IntegrityError:
            raise Conflict() from None
        CriterionResult.objects.bulk_create(
            CriterionResult(assessment=assessment, criterion_id=cid, met=met) for cid, met in given.items()
        )
        audit_record(
            subject=locked,
            action="assessment.correct"
            if supersedes and locked.state == PathState.READY_FOR_JURY
            else "assessment.record",
            by=by,
            note=correction_reason if supersedes else "",
            changes={"block": block.code, "outcome": outcome, "role": role, "assessment": assessment.pk},
        )
        enqueue_on_commit(tasks.notify_path_event, locked.pk, "assessment_recorded")
    return assessment


def _assessor_role(path, user) -> str:
    if user.pk == path.evaluator_id:
        return AssessorRole.EXTERNAL
    if user.pk == path.workplace_tutor_id:
        return AssessorRole.WORKPLACE_TUTOR
    raise RuleViolation(
        _("Only the evaluator or the workplace tutor assigned to this path can assess it."), code="not_assigned"
    )


# --- evidence ----------------------------------------------------------------------------


def evidence_upload(*, path, by, uploaded_file, kind: str, block=None) -> Evidence:
    """PDF, JPEG or PNG only, recognised by content (a renamed file is refused), within the
    size limit; stored under MEDIA_ROOT with a random name, never under static."""
    policy.require(by, "path.upload_evidence", path)
    if path.is_final:
        raise RuleViolation(_("A closed path accepts no more documents."), code="path_closed")
    if kind not in EvidenceKind.values:
        raise RuleViolation(_("Choose the kind of document."), code="kind", field="kind")
    if block is not None and block.version_id != path.version_id:
        raise RuleViolation(
            _("This block is not in the path's référentiel."), code="block_not_in_version", field="block"
        )
    limit = settings.EVIDENCE_MAX_BYTES
    if uploaded_file.size > limit:
        raise RuleViolation(
            _("The file is too large (maximum %(mb)s MB).") % {"mb": round(limit / 1024 / 1024, 1)},
            code="file_too_large",
            field="file",
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(2048)
    kind_guess = filetype.guess(head)
    if kind_guess is None or kind_guess.mime not in EVIDENCE_TYPES:
        raise RuleViolation(
            _("Only PDF, JPEG and PNG files are accepted (the content of this file is not one of them)."),
            code="file_type",
            field="file",
        )
    uploaded_file.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    evidence = Evidence(
        path=path,
        block=block,
        kind=kind,
        original_name=(uploaded_file.name or "document")[-255:],
        content_type=kind_guess.mime,
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    try:
        with transaction.atomic():
            evidence.file.save(f"upload.{EVIDENCE_TYPES[kind_guess.mime]}", uploaded_file, save=False)
            evidence.save()
            audit_record(subject=path, action="evidence.upload", by=by, changes={"evidence": evidence.pk, "kind": kind})
    except Exception:
        # Nothing of a refused upload stays behind, not even the file.
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


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
