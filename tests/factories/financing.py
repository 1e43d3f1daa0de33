import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from financing import models


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Funder

    kind = models.FunderKind.OPCO
    name = factory.Sequence(lambda n: f"Financeur {n}")


class CostRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CostRate

    hourly_rate = Decimal("30.00")


class FundingLineFactory(factory.django.DjangoModelFactory):
    """A funding line seeded in any state (``state=`` at creation, as an import would).

    Pass amounts consistent with the state (the database refuses approved > requested...).
    ``submitted_at`` is set for every state past draft, so funder officers see the line.
    """

    class Meta:
        model = models.FundingLine
        skip_postgeneration_save = True

    path = factory.SubFactory("tests.factories.candidates.PathFactory")
    scheme = models.Scheme.PROFESSIONALISATION
    funder = factory.SubFactory(FunderFactory)
    hours = 100
    hourly_rate = Decimal("30.00")
    amount_requested = Decimal("3000.00")
    start_date = factory.LazyFunction(datetime.date.today)
    submitted_at = factory.LazyAttribute(lambda o: None if o.state == models.FundingState.DRAFT else timezone.now())
    state = models.FundingState.DRAFT
