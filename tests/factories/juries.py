import datetime

import factory
from django.utils import timezone

from candidates.models import AcquiredBlock, AcquisitionSource, AssessmentOutcome, BlockAssessment, BlockPlan, PathState
from cqp_portal.accounts.models import Role
from juries import models
from tests.factories.accounts import UserFactory, with_role
from tests.factories.candidates import PathFactory, plan_blocks


class JurySessionFactory(factory.django.DjangoModelFactory):
    """A planned session; pass ``certifications=[...]`` (defaults to none)."""

    class Meta:
        model = models.JurySession
        skip_postgeneration_save = True

    date = factory.LazyFunction(timezone.localdate)
    place = "Paris, siège de la CPNE"

    @factory.post_generation
    def certifications(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.certifications.set(extracted)


class JuryMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.JuryMember

    session = factory.SubFactory(JurySessionFactory)
    user = factory.LazyFunction(lambda: with_role(Role.JURY_MEMBER, UserFactory()))
    college = models.College.EMPLOYER


def seat_jury(session, president=None, *, employers: int = 2, employees: int = 2, experts: int = 0):
    """A valid joint jury: ``president`` (or a new person) presides in the employer college."""
    president = president or with_role(Role.JURY_MEMBER, UserFactory())
    members = [JuryMemberFactory(session=session, user=president, college=models.College.EMPLOYER, is_president=True)]
    members += [JuryMemberFactory(session=session, college=models.College.EMPLOYER) for _ in range(employers - 1)]
    members += [JuryMemberFactory(session=session, college=models.College.EMPLOYEE) for _ in range(employees)]
    members += [JuryMemberFactory(session=session, college=models.College.EXPERT) for _ in range(experts)]
    return members


def ready_path(version, *, evaluator=None, outcomes=None, plans=None, candidate=None, **kwargs):
    """A path ready for jury on ``version``, positioned (``plans``: block code -> plan, default
    to evaluate; a block "held" gets its ledger row, valid for good) and assessed (``outcomes``:
    block code -> acquired/not_acquired)."""
    evaluator = evaluator or with_role(Role.EVALUATOR, UserFactory())
    extra = {"candidate": candidate} if candidate is not None else {}
    path = PathFactory(version=version, state=PathState.READY_FOR_JURY, evaluator=evaluator, **extra, **kwargs)
    plans = plans or {}
    for path_block in plan_blocks(path, BlockPlan.TO_EVALUATE):
        plan = plans.get(path_block.block.code)
        if plan:
            path_block.plan = plan
            if plan == BlockPlan.HELD:
                # Only the ledger makes a block held (positioning refuses it otherwise).
                path_block.held_through = AcquiredBlock.objects.create(
                    candidate=path.candidate,
                    block=path_block.block,
                    source=AcquisitionSource.PRIOR_AWARD,
                    acquired_on=datetime.date(2024, 6, 1),
                )
            path_block.save(update_fields=["plan", "held_through"])
    for code, outcome in (outcomes or {}).items():
        block = version.blocks.get(code=code)
        BlockAssessment.objects.create(
            path=path,
            block=block,
            evaluator=evaluator,
            modality=block.modalities.first(),
            assessed_on=datetime.date.today() - datetime.timedelta(days=10),
            outcome=outcome,
        )
    return path


ACQUIRED = AssessmentOutcome.ACQUIRED
NOT_ACQUIRED = AssessmentOutcome.NOT_ACQUIRED
