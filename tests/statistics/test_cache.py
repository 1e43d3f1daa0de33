"""Cached figures (STATISTICS_CACHE_SECONDS): served from the cache until they expire or an
administrator asks to compute them again; never shared across scopes or languages."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from tests.statistics.test_views import bulk_paths

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dataset")]

URL = reverse("statistics:dashboard")


@pytest.fixture(autouse=True)
def cached_statistics():
    cache.clear()
    with override_settings(STATISTICS_CACHE_SECONDS=300):
        yield
    cache.clear()


def awarded(response) -> int:
    return {row["key"]: row["count"] for row in response.context["states"]}["awarded"]


def test_figures_come_from_the_cache_until_recomputed(client, branch_admin, version, django_assert_max_num_queries):
    client.force_login(branch_admin)
    first = client.get(URL)
    assert awarded(first) == 2
    html = first.content.decode()
    assert "Chiffres calculés le" in html and "toutes les 5 minutes" in html
    bulk_paths(version, 30)  # more awarded paths: the cached figures do not see them yet
    # session, user, roles, the certifications offered in the form: no aggregate query.
    with django_assert_max_num_queries(4):
        second = client.get(URL)
    assert awarded(second) == 2
    refreshed = client.post(URL)
    assert refreshed.status_code == 302 and refreshed["Location"] == URL
    assert awarded(client.get(URL)) > 2


def test_another_scope_never_reads_the_cached_figures(client, branch_admin, other_branch_admin, certification, version):
    client.force_login(other_branch_admin)
    with override_settings(STATISTICS_CACHE_SECONDS=0):
        theirs = awarded(client.get(URL))
    assert theirs != 2
    client.force_login(branch_admin)
    assert awarded(client.get(URL)) == 2
    client.force_login(other_branch_admin)
    assert awarded(client.get(URL)) == theirs
    client.force_login(branch_admin)
    assert awarded(client.get(URL, {"date_from": "2000-01-01", "date_to": "2000-12-31"})) == 0


def test_each_language_has_its_own_labels(client, branch_admin):
    client.force_login(branch_admin)
    assert "Parcours par état" in client.get(URL).content.decode()
    client.cookies["django_language"] = "en"
    assert "Paths per state" in client.get(URL).content.decode()


def test_without_cache_seconds_the_figures_are_live(client, branch_admin, version):
    client.force_login(branch_admin)
    with override_settings(STATISTICS_CACHE_SECONDS=0):
        assert awarded(client.get(URL)) == 2
        bulk_paths(version, 30)
        response = client.get(URL)
        assert awarded(response) > 2
        assert "Chiffres calculés le" not in response.content.decode()
