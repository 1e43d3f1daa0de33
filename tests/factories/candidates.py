import datetime

import factory

from candidates import models
from tests.factories.certifications import published_version


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Candidate

    birth_name = factory.Faker("last_name", locale="fr_FR")
    first_names = factory.Faker("first_name", locale="fr_FR")
    sex = models.Sex.FEMALE
    birth_date = datetime.date(1990, 5, 17)
    birth_place_code = "75056"
    birth_place_code_kind = "insee"
    birth_place_name = "Paris"
    birth_country = "FR"
    email = factory.Sequence(lambda n: f"candidat{n}@example.org")
    status = models.CandidateStatus.EMPLOYEE


class PathFactory(factory.django.DjangoModelFactory):
    """A path on a published version. Pass ``state=`` to start anywhere (creation bypasses
    the protected field, as a data import would); pass ``version=`` to reuse a référentiel."""

    class Meta:
        model = models.Path

    candidate = factory.SubFactory(CandidateFactory)
    version = factory.LazyFunction(lambda: published_version())
    certification = factory.LazyAttribute(lambda o: o.version.certification)
    access_route = models.AccessRoute.CONTINUING
    start_date = factory.LazyFunction(datetime.date.today)


def plan_blocks(path, plan=models.BlockPlan.TO_EVALUATE):
    """Positioning rows for every block of the path's version."""
    return [
        models.PathBlock.objects.get_or_create(path=path, block=block, defaults={"plan": plan})[0]
        for block in path.version.blocks.all()
    ]


class AcquiredBlockFactory(factory.django.DjangoModelFactory):
    """A ledger row (valid for good unless ``valid_until`` is given)."""

    class Meta:
        model = models.AcquiredBlock

    candidate = factory.SubFactory(CandidateFactory)
    source = models.AcquisitionSource.JURY_DECISION
    acquired_on = datetime.date(2022, 6, 1)


def path_in_state(state, **kwargs):
    """A path created directly in ``state`` with positioning rows (to evaluate) when the
    state is past positioning."""
    path = PathFactory(state=state, **kwargs)
    if state not in (models.PathState.DRAFT, models.PathState.REGISTERED, models.PathState.ADMISSIBILITY):
        plan_blocks(path)
    return path


class ExperienceRecordFactory(factory.django.DjangoModelFactory):
    """A VAE experience related to every block of the path (pass ``blocks=[...]`` to choose)."""

    class Meta:
        model = models.ExperienceRecord
        skip_postgeneration_save = True

    activity = "Serveur en salle"
    status = models.ExperienceStatus.EMPLOYEE
    employer = "Brasserie du Port"
    start_date = datetime.date(2021, 3, 1)
    end_date = datetime.date(2024, 2, 29)
    duration_hours = 4800

    @factory.post_generation
    def blocks(self, create, extracted, **kwargs):
        if create:
            self.blocks.set(extracted if extracted is not None else self.path.version.blocks.all())


MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def vae_file(path, by):
    """What an admissibility request needs: one related experience and one supporting document."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from candidates import services

    ExperienceRecordFactory(path=path)
    services.evidence_upload(
        path=path, by=by, uploaded_file=SimpleUploadedFile("attestation.pdf", MINIMAL_PDF), kind="attestation"
    )
