"""The correspondence between versions in the branch workspace (publish screen, diff page) and
in the API (publish action with a mapping payload, correspondence action)."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from certifications.models import BlockVersionMapping, ReferentialState

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(version):
    return {b.code: b.pk for b in version.blocks.all()}


# --- HTML -------------------------------------------------------------------------------------


def test_version_page_sends_to_the_publish_screen_when_blocks_are_to_declare(reworked, branch_admin):
    body = client_for(branch_admin).get(reverse("certifications:version", args=[reworked.pk])).content.decode()
    assert "2 blocs de la version 1 ont été modifiés ou supprimés" in body
    assert reverse("certifications:version_publish", args=[reworked.pk]) in body
    assert "Déclarer les correspondances et publier" in body


def test_publish_screen_lists_automatic_and_blocks_to_declare(published, reworked, branch_admin):
    response = client_for(branch_admin).get(reverse("certifications:version_publish", args=[reworked.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Blocs de la version 1 repris automatiquement" in body
    old = ids(published)
    for code in ("BC02", "BC03"):
        assert f'id="id_block_{old[code]}"' in body
    assert f'id="id_block_{old["BC01"]}"' not in body  # unchanged: nothing to declare
    assert "Modifié dans cette version (le bloc BC02 porte le même code)." in body
    assert "Aucun bloc de cette version ne porte ce code." in body
    assert "Aucune correspondance : détenir ce bloc" in body


def test_publish_screen_refuses_an_undeclared_block_with_a_field_message(published, reworked, branch_admin):
    old, new = ids(published), ids(reworked)
    url = reverse("certifications:version_publish", args=[reworked.pk])
    response = client_for(branch_admin).post(url, {f"block_{old['BC02']}": [str(new["BC02"])]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Déclarez la correspondance du bloc BC03" in body
    assert f'id="id_block_{old["BC03"]}_error"' in body
    reworked.refresh_from_db()
    assert reworked.state == ReferentialState.DRAFT
    assert not BlockVersionMapping.objects.exists()


def test_publish_screen_refuses_blocks_and_none_together(published, reworked, branch_admin):
    old, new = ids(published), ids(reworked)
    response = client_for(branch_admin).post(
        reverse("certifications:version_publish", args=[reworked.pk]),
        {f"block_{old['BC02']}": [str(new["BC02"]), "none"], f"block_{old['BC03']}": ["none"]},
    )
    assert response.status_code == 400
    assert "Cochez soit des blocs de cette version, soit « aucune correspondance », pas les deux." in (
        response.content.decode()
    )
    assert not BlockVersionMapping.objects.exists()


def test_publish_screen_publishes_with_the_declarations_and_the_diff_shows_them(published, reworked, branch_admin):
    old, new = ids(published), ids(reworked)
    client = client_for(branch_admin)
    response = client.post(
        reverse("certifications:version_publish", args=[reworked.pk]),
        {f"block_{old['BC02']}": [str(new["BC02"]), str(new["BC04"])], f"block_{old['BC03']}": ["none"]},
    )
    assert response.status_code == 302
    reworked.refresh_from_db()
    assert reworked.state == ReferentialState.PUBLISHED
    assert BlockVersionMapping.objects.filter(version=reworked).count() == 4
    body = client.get(reverse("certifications:version_diff", args=[reworked.pk])).content.decode()
    assert "Correspondance des blocs de la version 1 dans la version 2, enregistrée à la publication" in body
    assert "Automatique (bloc inchangé)" in body
    assert "Déclarée à la publication" in body
    assert "Aucune correspondance" in body
    # Once published, the screen sends back to the version.
    response = client.get(reverse("certifications:version_publish", args=[reworked.pk]))
    assert response.status_code == 302


def test_publish_screen_is_hidden_from_another_branch(reworked, other_branch_admin, evaluator):
    url = reverse("certifications:version_publish", args=[reworked.pk])
    assert client_for(other_branch_admin).get(url).status_code == 404
    assert client_for(evaluator).get(url).status_code == 403


def test_a_draft_without_changes_is_published_from_the_version_page(published, branch_admin):
    from certifications import services

    draft = services.version_new_from_published(certification=published.certification, by=branch_admin)
    client = client_for(branch_admin)
    body = client.get(reverse("certifications:version", args=[draft.pk])).content.decode()
    assert "Publier cette version" in body
    assert client.post(reverse("certifications:version_publish", args=[draft.pk])).status_code == 302
    assert BlockVersionMapping.objects.filter(version=draft, automatic=True).count() == 3


# --- API --------------------------------------------------------------------------------------


def test_api_correspondence_of_a_draft_lists_what_to_declare(published, reworked, branch_admin):
    response = api(branch_admin).get(f"/api/v1/referential-versions/{reworked.pk}/correspondence/")
    assert response.status_code == 200
    data = response.json()
    assert (data["previous_version"], data["recorded"]) == (published.pk, False)
    rows = {(r["old_block_code"], r["block_change"], r["mapping_status"]) for r in data["blocks"]}
    assert rows == {
        ("BC01", "unchanged", "automatic"),
        ("BC02", "changed", "to_declare"),
        ("BC03", "removed", "to_declare"),
    }


def test_api_publish_refuses_an_undeclared_block_by_field(published, reworked, branch_admin):
    old, new = ids(published), ids(reworked)
    url = f"/api/v1/referential-versions/{reworked.pk}/publish/"
    response = api(branch_admin).post(
        url, {"correspondences": [{"old_block": old["BC02"], "new_blocks": [new["BC02"]]}]}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "block_mapping_invalid"
    assert list(body["fields"]["correspondences"]) == [str(old["BC03"])]
    assert "BC03" in body["fields"]["correspondences"][str(old["BC03"])][0]
    assert not BlockVersionMapping.objects.exists()


def test_api_publish_refuses_a_block_declared_twice(published, reworked, branch_admin):
    old = ids(published)
    payload = {"correspondences": [{"old_block": old["BC02"], "new_blocks": []}] * 2}
    response = api(branch_admin).post(f"/api/v1/referential-versions/{reworked.pk}/publish/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "correspondences" in response.json()["fields"]


def test_api_publish_with_the_mapping_records_it(published, reworked, branch_admin, other_branch_admin):
    old, new = ids(published), ids(reworked)
    url = f"/api/v1/referential-versions/{reworked.pk}/publish/"
    payload = {
        "correspondences": [
            {"old_block": old["BC02"], "new_blocks": [new["BC02"], new["BC04"]]},
            {"old_block": old["BC03"], "new_blocks": []},
        ]
    }
    assert api(other_branch_admin).post(url, payload, format="json").status_code == 404
    response = api(branch_admin).post(url, payload, format="json")
    assert response.status_code == 200 and response.json()["state"] == "published"
    data = api(branch_admin).get(f"/api/v1/referential-versions/{reworked.pk}/correspondence/").json()
    assert data["recorded"] is True
    rows = {r["old_block_code"]: (r["mapping_status"], r["block_change"], r["new_block_codes"]) for r in data["blocks"]}
    assert rows == {
        "BC01": ("automatic", "unchanged", ["BC01"]),
        "BC02": ("declared", "changed", ["BC02", "BC04"]),
        "BC03": ("declared", "removed", []),
    }


def test_django_admin_shows_the_correspondence_read_only(published, reworked, branch_admin, staff_user):
    from certifications import services

    old = ids(published)
    services.version_publish(version=reworked, by=branch_admin, correspondences={old["BC02"]: [], old["BC03"]: []})
    response = client_for(staff_user).get(reverse("admin:certifications_referentialversion_change", args=[reworked.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "block_mappings-TOTAL_FORMS" in body
    assert 'name="block_mappings-0-old_block"' not in body  # read-only rows
