import pytest
from django.db import IntegrityError, transaction

from candidates.models import PathState
from cqp_portal.accounts.models import Role
from cqp_portal.errors import NotAllowed, RuleViolation
from juries import services
from juries.models import College, Dossier, JuryMember, SessionState
from tests.factories.accounts import UserFactory, with_role
from tests.factories.certifications import CertificationFactory, published_version
from tests.factories.juries import JuryMemberFactory, JurySessionFactory, ready_path, seat_jury

pytestmark = pytest.mark.django_db


def test_a_branch_admin_plans_a_session_for_their_certification(certification, branch_admin, other_branch_admin):
    import datetime

    session = services.jury_session_create(
        certifications=[certification],
        date=datetime.date.today() + datetime.timedelta(days=30),
        place="Paris",
        by=branch_admin,
    )
    assert session.state == SessionState.PLANNED
    with pytest.raises(NotAllowed):
        services.jury_session_create(
            certifications=[certification],
            date=datetime.date.today() + datetime.timedelta(days=30),
            place="Lyon",
            by=other_branch_admin,
        )


def test_a_session_needs_a_place_or_a_video_link(certification, branch_admin):
    import datetime

    with pytest.raises(RuleViolation, match="lieu"):
        services.jury_session_create(
            certifications=[certification], date=datetime.date.today() + datetime.timedelta(days=30), by=branch_admin
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        JurySessionFactory(place="", video_link="")


def _convene_problems(session, branch_admin, path):
    services.dossier_add(session=session, path=path, by=branch_admin)
    with pytest.raises(RuleViolation) as exc:
        services.jury_session_convene(session=session, by=branch_admin)
    session.refresh_from_db()
    assert session.state == SessionState.PLANNED
    return " ".join(exc.value.details)


def test_convening_refuses_unequal_colleges(session, branch_admin, path):
    seat_jury(session, employers=2, employees=1)
    assert "paritaire" in _convene_problems(session, branch_admin, path)


def test_convening_refuses_a_jury_without_president(session, branch_admin, path):
    for college in (College.EMPLOYER, College.EMPLOYER, College.EMPLOYEE, College.EMPLOYEE):
        JuryMemberFactory(session=session, college=college)
    assert "pas de président" in _convene_problems(session, branch_admin, path)


def test_convening_refuses_too_many_experts(session, certification, branch_admin, path):
    certification.jury_max_experts = 1
    certification.save()
    seat_jury(session)
    JuryMemberFactory(session=session, college=College.EXPERT)
    JuryMemberFactory(session=session, college=College.EXPERT)
    assert "experts" in _convene_problems(session, branch_admin, path)


def test_convening_refuses_a_jury_smaller_than_the_quorum(session, certification, branch_admin, path):
    certification.jury_quorum = 5
    certification.save()
    seat_jury(session)
    assert "quorum" in _convene_problems(session, branch_admin, path).lower()


def test_adding_a_member_beyond_the_seats_is_refused(session, certification, branch_admin):
    certification.jury_employee_seats = 1
    certification.save()
    services.jury_member_add(
        session=session, user=with_role(Role.JURY_MEMBER, UserFactory()), college=College.EMPLOYEE, by=branch_admin
    )
    with pytest.raises(RuleViolation, match="siège"):
        services.jury_member_add(
            session=session, user=with_role(Role.JURY_MEMBER, UserFactory()), college=College.EMPLOYEE, by=branch_admin
        )


def test_only_one_president_and_only_jury_members(session, branch_admin, jury_member, evaluator):
    services.jury_member_add(
        session=session, user=jury_member, college=College.EMPLOYER, is_president=True, by=branch_admin
    )
    with pytest.raises(RuleViolation, match="président"):
        services.jury_member_add(
            session=session,
            user=with_role(Role.JURY_MEMBER, UserFactory()),
            college=College.EMPLOYEE,
            is_president=True,
            by=branch_admin,
        )
    with pytest.raises(RuleViolation, match="rôle de membre de jury"):
        services.jury_member_add(session=session, user=evaluator, college=College.EMPLOYEE, by=branch_admin)


def test_a_valid_jury_is_convened_and_convocations_are_mailed(
    session, jury, path, branch_admin, mailoutbox, django_capture_on_commit_callbacks
):
    services.dossier_add(session=session, path=path, by=branch_admin)
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_convene(session=session, by=branch_admin)
    session.refresh_from_db()
    assert session.state == SessionState.CONVENED
    recipients = {address for mail in mailoutbox for address in mail.to}
    assert {m.user.email for m in jury} | {path.candidate.email} == recipients
    # Retrying the task sends nothing twice.
    from juries.tasks import send_convocations

    assert send_convocations(session.pk) == 0


def test_only_ready_paths_of_a_covered_certification_are_added(session, version, branch_admin):
    from candidates.models import Path

    not_ready = ready_path(version)
    Path.objects.filter(pk=not_ready.pk).update(state=PathState.IN_EVALUATION)
    with pytest.raises(RuleViolation, match="prêt pour le jury"):
        services.dossier_add(session=session, path=not_ready, by=branch_admin)
    other_version = published_version(
        CertificationFactory(branches=list(session.certifications.first().branches.all()))
    )
    with pytest.raises(RuleViolation, match="ne porte pas sur"):
        services.dossier_add(session=session, path=ready_path(other_version), by=branch_admin)


def test_a_path_is_in_at_most_one_open_session(session, certification, path, branch_admin):
    services.dossier_add(session=session, path=path, by=branch_admin)
    second = JurySessionFactory(certifications=[certification])
    with pytest.raises(RuleViolation, match="une seule session ouverte"):
        services.dossier_add(session=second, path=path, by=branch_admin)
    # The database refuses it too, whatever the code path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Dossier.objects.create(session=second, path=path)


def test_jury_members_cannot_plan(session, jury_member, path):
    JuryMember.objects.create(session=session, user=jury_member, college=College.EMPLOYER, is_president=True)
    with pytest.raises(NotAllowed):
        services.dossier_add(session=session, path=path, by=jury_member)
