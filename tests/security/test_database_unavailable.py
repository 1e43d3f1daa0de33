"""The 503 answer to a database outage, without stopping anything (test_faults.py stops the
real server)."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from cqp_portal.security import views as security_views

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def broken_branch_list(monkeypatch):
    from certifications import api

    def down(self, request, *args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(api.BranchViewSet, "list", down)


def test_an_api_call_during_an_outage_is_a_503_json_with_retry_after(broken_branch_list, candidate_user):
    client = Client(raise_request_exception=False)
    client.force_login(candidate_user)
    response = client.get("/api/v1/branches/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "service_unavailable"


def test_a_page_during_an_outage_is_a_french_503(rf):
    from cqp_portal.security.middleware import DatabaseUnavailableMiddleware

    request = rf.get("/parcours/")
    response = DatabaseUnavailableMiddleware(lambda r: None).process_exception(request, InterfaceError("closed"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Service momentanément indisponible" in body
    assert "<script" not in body
    assert DatabaseUnavailableMiddleware(lambda r: None).process_exception(request, ValueError("bug")) is None


def test_an_outage_in_a_middleware_goes_through_handler500_and_is_a_503(rf):
    request = rf.get("/parcours/")
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError:
        response = security_views.server_error(request)
    assert response.status_code == 503
    assert "Réessayer" in response.content.decode()


def test_other_errors_stay_a_plain_500(rf):
    request = rf.get("/parcours/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = security_views.server_error(request)
    assert response.status_code == 500
