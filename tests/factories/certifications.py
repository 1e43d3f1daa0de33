import datetime

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
    # 5000-8999: never one of the real IDCC codes the personas, demo and tests name (1979, 3248...)
    # nor seed_volume's 9000+, whatever the number of branches created before in the session.
    idcc = factory.Sequence(lambda n: f"{(n % 4000) + 5000:04d}")
    opco = factory.SubFactory(OpcoFactory)


class TrainingProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TrainingProvider

    name = factory.Sequence(lambda n: f"Organisme {n}")


class CommissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Commission

    name = factory.Sequence(lambda n: f"CPNE {n}")


class CertificationFactory(factory.django.DjangoModelFactory):
    """A CQP owned by one branch (pass ``branches=[...]`` for a CQPI)."""

    class Meta:
        model = models.Certification
        skip_postgeneration_save = True

    kind = models.CertificationKind.CQP
    code = factory.Sequence(lambda n: f"cqp-{n}")
    title = factory.Sequence(lambda n: f"CQP Métier {n}")
    nsf_codes = factory.LazyFunction(lambda: ["334t"])

    @factory.post_generation
    def branches(obj, create, extracted, **kwargs):
        if not create:
            return
        obj.branches.set(extracted if extracted is not None else [BranchFactory()])


class RegistrationFactory(factory.django.DjangoModelFactory):
    """An active RNCP registration allowing every access route but apprenticeship."""

    class Meta:
        model = models.Registration

    certification = factory.SubFactory(CertificationFactory)
    register = models.Register.RNCP
    number = factory.Sequence(lambda n: f"RNCP{30000 + n}")
    level = 3
    decision_date = factory.LazyFunction(lambda: datetime.date(2024, 1, 15))
    end_date = factory.LazyFunction(lambda: datetime.date(2029, 1, 15))
    listed_active = True
    access_routes = factory.LazyFunction(lambda: ["continuing", "professionalisation", "independent", "vae", "initial"])


class ReferentialVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ReferentialVersion

    certification = factory.SubFactory(CertificationFactory)
    number = factory.Sequence(lambda n: n + 1)


class SkillBlockFactory(factory.django.DjangoModelFactory):
    """A complete block: 2 competencies, 1 modality, 2 criteria (publishable)."""

    class Meta:
        model = models.SkillBlock
        skip_postgeneration_save = True

    version = factory.SubFactory(ReferentialVersionFactory)
    code = factory.Sequence(lambda n: f"BC{n:02d}")
    title = factory.Sequence(lambda n: f"Bloc {n}")
    order = factory.Sequence(lambda n: n)
    mandatory = True

    @factory.post_generation
    def content(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        for i in range(2):
            models.Competency.objects.create(block=obj, order=i, text=f"Compétence {i + 1} du {obj.code}")
            models.Criterion.objects.create(block=obj, order=i, text=f"Critère {i + 1} du {obj.code}")
        models.EvaluationModality.objects.create(block=obj, kind=models.ModalityKind.PRACTICAL_SITUATION)


def published_version(certification=None, *, blocks: int = 3, optional: int = 0, **cert_kwargs):
    """A published version of ``certification`` (created if None) with complete blocks.

    The last ``optional`` blocks are optional. State is set at creation, as an import would.
    """
    certification = certification or CertificationFactory(**cert_kwargs)
    number = (certification.versions.count() or 0) + 1
    # Content is written while the version is a draft: a published version refuses any
    # change (model guard and PostgreSQL trigger), then the state flips as an import does.
    version = models.ReferentialVersion.objects.create(certification=certification, number=number)
    for i in range(blocks):
        SkillBlockFactory(version=version, code=f"BC{i + 1:02d}", order=i, mandatory=i < blocks - optional)
    models.ReferentialVersion.objects.filter(pk=version.pk).update(state=models.ReferentialState.PUBLISHED)
    return models.ReferentialVersion.objects.get(pk=version.pk)


def habilitate_evaluator(certification, user, *, valid_from=None, valid_until=None):
    return models.Habilitation.objects.create(
        certification=certification,
        kind=models.HabilitationKind.EVALUATOR,
        evaluator=user,
        valid_from=valid_from or datetime.date(2020, 1, 1),
        valid_until=valid_until,
    )


def habilitate_provider(certification, provider, *, valid_from=None, valid_until=None):
    return models.Habilitation.objects.create(
        certification=certification,
        kind=models.HabilitationKind.PROVIDER,
        training_provider=provider,
        valid_from=valid_from or datetime.date(2020, 1, 1),
        valid_until=valid_until,
    )
