import factory

from certifications import models


class OpcoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Opco
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"opco-{n}")
    name = factory.Sequence(lambda n: f"OPCO {n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Branch

    name = factory.Sequence(lambda n: f"Branche {n}")
    idcc = factory.Sequence(lambda n: f"{(n % 9000) + 1000:04d}")
    opco = factory.SubFactory(OpcoFactory)


class TrainingProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TrainingProvider

    name = factory.Sequence(lambda n: f"Organisme {n}")
