"""Every path transition, allowed and refused, with the rule named in the message."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from candidates import services
from candidates.models import AccessRoute, BlockPlan, Path, PathState
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import NotAllowed, RuleViolation
from tests.factories.candidates import AcquiredBlockFactory, vae_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def audit_actions(path):
    return list(AuditEntry.objects.for_object(path).values_list("action", "from_state", "to_state"))


def test_register_moves_draft_to_registered_with_audit_and_mail(
    make_path, candidate_user, django_capture_on_commit_callbacks
):
    path = make_path()
    with django_capture_on_commit_callbacks(execute=True):
        path = services.path_register(path=path, by=candidate_user, note="inscrit")
    assert path.state == PathState.REGISTERED
    assert audit_actions(path)[-1] == ("path.register", "draft", "registered")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [candidate_user.email]
    assert "inscription" in mail.outbox[0].subject  # in the user's language


def test_register_twice_is_refused_naming_the_state(make_path, candidate_user):
    path = make_path(PathState.REGISTERED)
    with pytest.raises(RuleViolation, match="only possible from “Draft”; the path is “Registered”"):
        services.path_register(path=path, by=candidate_user)


def test_register_refused_when_the_registration_ended_since_the_draft(make_path, candidate_user, certification):
    path = make_path()
    certification.registration.end_date = timezone.localdate() - datetime.timedelta(days=1)
    certification.registration.save()
    with pytest.raises(RuleViolation, match="no new path may start after its end date"):
        services.path_register(path=path, by=candidate_user)
    path.refresh_from_db()
    assert path.state == PathState.DRAFT


def test_another_candidate_may_not_register_my_path(make_path, other_candidate_user):
    with pytest.raises(NotAllowed):
        services.path_register(path=make_path(), by=other_candidate_user)


def test_vae_admissibility_request_sets_the_two_month_deadline(make_path, candidate_user):
    path = make_path(PathState.REGISTERED, access_route=AccessRoute.VAE)
    vae_file(path, candidate_user)
    path = services.path_request_admissibility(path=path, by=candidate_user)
    assert path.state == PathState.ADMISSIBILITY
    today = timezone.localdate()
    assert path.admissibility_requested_on == today
    deadline = path.admissibility_deadline
    assert (deadline.year * 12 + deadline.month) - (today.year * 12 + today.month) == 2


def test_admissibility_is_for_vae_only(make_path, candidate_user):
    path = make_path(PathState.REGISTERED)
    with pytest.raises(RuleViolation, match="Only a VAE path goes through admissibility"):
        services.path_request_admissibility(path=path, by=candidate_user)


def test_branch_admin_declares_admissible(make_path, branch_admin, django_capture_on_commit_callbacks):
    path = make_path(PathState.ADMISSIBILITY, access_route=AccessRoute.VAE)
    with django_capture_on_commit_callbacks(execute=True):
        path = services.path_decide_admissibility(path=path, by=branch_admin, admissible=True)
    assert path.state == PathState.ADMISSIBLE
    assert path.admissibility_decided_on == timezone.localdate()
    assert "recevabilité" in mail.outbox[0].subject


def test_inadmissibility_needs_its_reasons(make_path, branch_admin):
    path = make_path(PathState.ADMISSIBILITY, access_route=AccessRoute.VAE)
    with pytest.raises(RuleViolation, match="must give its reasons"):
        services.path_decide_admissibility(path=path, by=branch_admin, admissible=False, note=" ")
    path = services.path_decide_admissibility(
        path=path, by=branch_admin, admissible=False, note="Expérience hors champ"
    )
    assert path.state == PathState.INADMISSIBLE
    assert audit_actions(path)[-1] == ("path.declare_inadmissible", "admissibility", "inadmissible")


def test_only_the_branch_decides_admissibility(make_path, evaluator, other_branch_admin):
    path = make_path(PathState.ADMISSIBILITY, access_route=AccessRoute.VAE)
    for person in (evaluator, other_branch_admin):
        with pytest.raises(NotAllowed):
            services.path_decide_admissibility(path=path, by=person, admissible=True)


def test_admissibility_decision_only_while_under_review(make_path, branch_admin):
    path = make_path(PathState.REGISTERED, access_route=AccessRoute.VAE)
    with pytest.raises(RuleViolation, match="only possible from “VAE admissibility under review”"):
        services.path_decide_admissibility(path=path, by=branch_admin, admissible=True)


def test_start_positioning_prefills_one_row_per_block(make_path, evaluator, version):
    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    assert path.state == PathState.POSITIONING
    plans = dict(path.path_blocks.values_list("block__code", "plan"))
    assert plans == {"BC01": "to_train", "BC02": "to_train", "BC03": "to_train"}


def test_vae_path_cannot_skip_admissibility(make_path, evaluator):
    path = make_path(PathState.REGISTERED, access_route=AccessRoute.VAE)
    with pytest.raises(RuleViolation, match="needs a favourable admissibility decision"):
        services.path_start_positioning(path=path, by=evaluator)


def test_admissible_vae_path_on_a_single_block_covers_that_block_only(make_path, evaluator, version):
    block = version.blocks.get(code="BC02")
    path = make_path(PathState.ADMISSIBLE, access_route=AccessRoute.VAE, vae_target_block=block)
    path = services.path_start_positioning(path=path, by=evaluator)
    assert list(path.path_blocks.values_list("block__code", "plan")) == [("BC02", BlockPlan.TO_EVALUATE)]


def test_positioning_cannot_start_from_draft(make_path, evaluator):
    with pytest.raises(RuleViolation, match="only possible from “Registered / VAE admissible”"):
        services.path_start_positioning(path=make_path(), by=evaluator)


def test_confirm_positioning(make_path, evaluator, version, django_capture_on_commit_callbacks):
    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    b1, b2, b3 = version.blocks.all()
    with django_capture_on_commit_callbacks(execute=True):
        services.path_confirm_positioning(
            path=path,
            by=evaluator,
            plans={b1.pk: BlockPlan.TO_TRAIN, b2.pk: BlockPlan.TO_EVALUATE, b3.pk: BlockPlan.TO_TRAIN},
            planned_hours={b1.pk: 35, b3.pk: 14},
        )
    rows = {r.block_id: r for r in path.path_blocks.all()}
    assert rows[b1.pk].planned_hours == 35 and rows[b2.pk].planned_hours == 0
    assert all(r.confirmed_by == evaluator and r.confirmed_at for r in rows.values())
    assert "positionnement" in mail.outbox[0].subject


def test_held_only_from_the_ledger(make_path, evaluator, version):
    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    b1, b2, b3 = version.blocks.all()
    with pytest.raises(RuleViolation, match="BC01 is not in the candidate's ledger"):
        services.path_confirm_positioning(
            path=path, by=evaluator, plans={b1.pk: "held", b2.pk: "to_train", b3.pk: "to_train"}
        )


def test_a_path_must_cover_at_least_one_block(make_path, evaluator, version, candidate):
    for block in version.blocks.all():
        AcquiredBlockFactory(candidate=candidate, block=block)
    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    with pytest.raises(RuleViolation, match="nothing left to prepare"):
        services.path_confirm_positioning(path=path, by=evaluator, plans={b.pk: "held" for b in version.blocks.all()})


def test_positioning_must_cover_every_block(make_path, evaluator, version):
    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    with pytest.raises(RuleViolation, match="every block"):
        services.path_confirm_positioning(path=path, by=evaluator, plans={version.blocks.first().pk: "to_train"})


def test_course_needs_a_confirmed_positioning(make_path, provider_staff, evaluator):
    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    with pytest.raises(RuleViolation, match="positioning must be confirmed before the course"):
        services.path_start_course(path=path, by=provider_staff)


def test_course_needs_a_provider_habilitated_on_its_dates(make_path, provider_staff, certification, provider):
    path = make_path(PathState.POSITIONING, plan=BlockPlan.TO_TRAIN)
    habilitation = certification.habilitations.get(training_provider=provider)
    habilitation.valid_from = datetime.date(2026, 1, 1)
    habilitation.valid_until = datetime.date(2026, 6, 30)
    habilitation.save()
    with pytest.raises(RuleViolation, match="not habilitated to prepare this certification on"):
        services.path_start_course(
            path=path, by=provider_staff, start_date=datetime.date(2026, 3, 1), end_date=datetime.date(2026, 7, 1)
        )
    path = services.path_start_course(
        path=path, by=provider_staff, start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 6, 30)
    )
    assert path.state == PathState.IN_COURSE
    assert path.course.training_provider == provider


def test_course_progress_is_recorded(make_path, provider_staff, version):
    path = make_path(PathState.IN_COURSE, plan=BlockPlan.TO_TRAIN)
    block = version.blocks.first()
    services.course_record_progress(path=path, by=provider_staff, completed_hours={block.pk: 12})
    assert path.path_blocks.get(block=block).completed_hours == 12


def test_evaluation_needs_an_assigned_evaluator(make_path, provider_staff):
    path = make_path(PathState.IN_COURSE, plan=BlockPlan.TO_TRAIN, evaluator=None)
    with pytest.raises(RuleViolation, match="Assign a habilitated evaluator"):
        services.path_start_evaluation(path=path, by=provider_staff)


def test_start_evaluation_from_course(make_path, evaluator):
    path = services.path_start_evaluation(path=make_path(PathState.IN_COURSE, plan=BlockPlan.TO_TRAIN), by=evaluator)
    assert path.state == PathState.IN_EVALUATION


def test_evaluation_cannot_start_from_registered(make_path, evaluator):
    with pytest.raises(RuleViolation, match="only possible from “Positioning / In course”"):
        services.path_start_evaluation(path=make_path(PathState.REGISTERED), by=evaluator)


def test_submit_to_jury_needs_every_targeted_block_assessed(make_path, evaluator):
    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)
    with pytest.raises(RuleViolation, match="BC01 has no assessment yet"):
        services.path_submit_to_jury(path=path, by=evaluator)


def test_submit_to_jury(make_path, evaluator, version, assess, django_capture_on_commit_callbacks):
    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)
    for block in version.blocks.all():
        assess(path, block, evaluator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        path = services.path_submit_to_jury(path=path, by=evaluator)
    assert path.state == PathState.READY_FOR_JURY
    assert set(mail.outbox[0].to) == {path.candidate.email, evaluator.email}


def test_submit_to_jury_needs_both_assessments_under_double_evaluation(
    make_path, evaluator, other_evaluator, version, certification, assess
):
    from tests.factories.certifications import habilitate_evaluator

    certification.requires_double_evaluation = True
    certification.save()
    habilitate_evaluator(certification, other_evaluator)
    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE, workplace_tutor=other_evaluator)
    for block in version.blocks.all():
        assess(path, block, evaluator)
    with pytest.raises(RuleViolation, match="double evaluation"):
        services.path_submit_to_jury(path=path, by=evaluator)
    for block in version.blocks.all():
        assess(path, block, other_evaluator)
    assert services.path_submit_to_jury(path=path, by=evaluator).state == PathState.READY_FOR_JURY


def test_submit_to_jury_only_from_evaluation(make_path, evaluator):
    with pytest.raises(RuleViolation, match="only possible from “In evaluation”"):
        services.path_submit_to_jury(path=make_path(PathState.IN_COURSE, plan="to_train"), by=evaluator)


def test_return_to_evaluation_by_the_branch_with_a_reason(make_path, branch_admin, evaluator):
    path = make_path(PathState.READY_FOR_JURY, plan=BlockPlan.TO_EVALUATE)
    with pytest.raises(NotAllowed):
        services.path_return_to_evaluation(path=path, by=evaluator, note="x")
    with pytest.raises(RuleViolation, match="Say why"):
        services.path_return_to_evaluation(path=path, by=branch_admin)
    path = services.path_return_to_evaluation(path=path, by=branch_admin, note="Évaluation du BC02 manquante")
    assert path.state == PathState.IN_EVALUATION


@pytest.mark.parametrize(
    "state",
    [
        PathState.DRAFT,
        PathState.REGISTERED,
        PathState.ADMISSIBILITY,
        PathState.ADMISSIBLE,
        PathState.POSITIONING,
        PathState.IN_COURSE,
        PathState.IN_EVALUATION,
        PathState.READY_FOR_JURY,
    ],
)
def test_withdraw_from_any_open_state(make_path, candidate_user, state):
    path = services.path_withdraw(path=make_path(state), by=candidate_user, note="Déménagement")
    assert path.state == PathState.WITHDRAWN
    assert audit_actions(path)[-1] == ("path.withdraw", state, "withdrawn")


@pytest.mark.parametrize(
    "state",
    [PathState.WITHDRAWN, PathState.AWARDED, PathState.PARTIALLY_AWARDED, PathState.REFUSED, PathState.INADMISSIBLE],
)
def test_closed_paths_cannot_be_withdrawn(make_path, candidate_user, state):
    with pytest.raises(RuleViolation, match=r"A closed path .* cannot be withdrawn"):
        services.path_withdraw(path=make_path(state), by=candidate_user)


def test_the_evaluator_may_not_withdraw(make_path, evaluator):
    with pytest.raises(NotAllowed):
        services.path_withdraw(path=make_path(PathState.REGISTERED), by=evaluator)


def test_jury_outcomes_only_from_ready_for_jury(make_path):
    from django_fsm import can_proceed

    path = make_path(PathState.IN_EVALUATION)
    assert not can_proceed(path.award) and not can_proceed(path.award_partially) and not can_proceed(path.refuse)
    path = make_path(PathState.READY_FOR_JURY, candidate=path.candidate, certification=path.certification)
    assert can_proceed(path.award) and can_proceed(path.award_partially) and can_proceed(path.refuse)


def test_the_state_field_is_protected(make_path):
    path = make_path()
    with pytest.raises(AttributeError):
        path.state = PathState.AWARDED


def test_a_refused_transition_changes_nothing(make_path, candidate_user):
    path = make_path(PathState.REGISTERED)
    before = Path.objects.filter(pk=path.pk).values().get()
    count = AuditEntry.objects.count()
    with pytest.raises(RuleViolation):
        services.path_request_admissibility(path=path, by=candidate_user)
    assert Path.objects.filter(pk=path.pk).values().get() == before
    assert AuditEntry.objects.count() == count
