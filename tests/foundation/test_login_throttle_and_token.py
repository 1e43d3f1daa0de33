import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories.accounts import TEST_PASSWORD


def fail_login(client, email="admin@example.org"):
    return client.post(reverse("login"), {"username": email, "password": "wrong"})


@pytest.mark.django_db
def test_login_is_throttled_after_five_failures_then_cools_off(client, branch_admin, settings):
    for _ in range(5):
        assert "incorrect" in fail_login(client).content.decode()
    refused = client.post(reverse("login"), {"username": "admin@example.org", "password": TEST_PASSWORD})
    assert refused.status_code == 200
    assert "Trop de tentatives" in refused.content.decode()
    # The cool-off ends with the window: no permanent lock-out.
    from django.core.cache import cache

    cache.clear()
    ok = client.post(reverse("login"), {"username": "admin@example.org", "password": TEST_PASSWORD})
    assert ok.status_code == 302


@pytest.mark.django_db
def test_throttling_one_account_does_not_lock_another(client, branch_admin, evaluator):
    for _ in range(5):
        fail_login(client)
    ok = client.post(reverse("login"), {"username": "evaluator@example.org", "password": TEST_PASSWORD})
    assert ok.status_code == 302


@pytest.mark.django_db
def test_api_token_obtain_use_and_revoke(client, branch_admin):
    response = client.post("/api/v1/auth/token/", {"email": "admin@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=branch_admin).key == token
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    revoked = client.delete("/api/v1/auth/token/", **auth)
    assert revoked.status_code == 204
    assert not Token.objects.filter(key=token).exists()
    assert client.delete("/api/v1/auth/token/", **auth).status_code == 401


@pytest.mark.django_db
def test_api_token_wrong_password_gives_the_error_shape(client, branch_admin):
    response = client.post("/api/v1/auth/token/", {"email": "admin@example.org", "password": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "non_field_errors" in body["fields"]
    assert Token.objects.count() == 0
