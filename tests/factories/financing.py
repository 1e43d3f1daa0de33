import factory

from financing import models


class FunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Funder

    kind = models.FunderKind.OPCO
    name = factory.Sequence(lambda n: f"Financeur {n}")
