"""Staff read every model in the Django admin; records the services own are read-only there."""

import pytest
from django.apps import apps
from django.contrib import admin

from cqp_portal.admin_readonly import ReadOnlyAdmin

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"accounts", "audit", "certifications", "candidates", "juries", "certificates", "financing"}
# Apps whose every record is written by services (transitions, audit): the admin only reads.
READ_ONLY_APPS = {"candidates", "juries", "audit"}
# Records the `world` fixture creates, tried with forged writes below.
SERVICE_OWNED_WITH_ROWS = [
    "candidates.candidate",
    "candidates.path",
    "candidates.blockassessment",
    "juries.jurysession",
    "juries.decision",
    "certificates.certificatecounter",
]


def test_every_model_of_the_portal_is_in_the_admin_or_an_inline_of_it():
    covered = set(admin.site._registry)
    for model_admin in admin.site._registry.values():
        covered.update(inline.model for inline in model_admin.inlines)
    missing = [
        model._meta.label_lower
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS and not model._meta.auto_created and model not in covered
    ]
    assert not missing, missing


def test_the_admin_of_service_owned_apps_is_read_only():
    writable = [
        model._meta.label_lower
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in READ_ONLY_APPS - {"audit"} and not isinstance(model_admin, ReadOnlyAdmin)
    ]
    assert not writable, writable


def test_staff_open_every_list_and_record(client, staff_user, world):
    client.force_login(staff_user)
    for model in admin.site._registry:
        if model._meta.app_label not in PROJECT_APPS:
            continue
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(base).status_code == 200, base
        first = model.objects.order_by("pk").first()
        if first is not None:
            assert client.get(f"{base}{first.pk}/change/").status_code == 200, base


@pytest.mark.parametrize("label", SERVICE_OWNED_WITH_ROWS)
def test_records_owned_by_the_services_cannot_be_forged_in_the_admin(client, staff_user, world, label):
    model = apps.get_model(label)
    if not model.objects.exists():
        # certificate counters have no row in `world`: one as numbering leaves it.
        model.objects.create(certification=world.certification, year=2026, last=3)
    record = model.objects.order_by("pk").first()
    client.force_login(staff_user)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert client.post(f"{base}{record.pk}/change/", {}).status_code == 403
    assert client.post(f"{base}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}add/").status_code == 403
    assert model.objects.filter(pk=record.pk).exists()
