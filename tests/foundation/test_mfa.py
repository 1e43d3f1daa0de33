"""TOTP is required for staff, branch administrators and jury members (when MFA_REQUIRED)."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories.accounts import TEST_PASSWORD


@pytest.fixture
def mfa_on(settings):
    settings.MFA_REQUIRED = True


def password_login(client, email):
    response = client.post(reverse("login"), {"username": email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client.get(reverse("workspace"))


def current_code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.parametrize("persona", ["branch_admin", "jury_member", "staff_user"])
@pytest.mark.django_db
def test_deciding_roles_must_enrol_before_reaching_anything(client, request, persona, mfa_on):
    user = request.getfixturevalue(persona)
    response = password_login(client, user.email)
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_setup"))
    assert client.get("/admin/").url.startswith(reverse("mfa_setup"))


@pytest.mark.django_db
def test_enrolment_then_code_at_each_login_then_recovery_code(client, branch_admin, mfa_on):
    password_login(client, branch_admin.email)
    setup_page = client.get(reverse("mfa_setup"))
    assert "<svg" in setup_page.content.decode()
    device = TOTPDevice.objects.get(user=branch_admin, confirmed=False)
    wrong = client.post(reverse("mfa_setup"), {"code": "000000" if current_code(device) != "000000" else "111111"})
    assert "pas valide" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes the next try wait after a failure
    done = client.post(reverse("mfa_setup"), {"code": current_code(device), "next": "/espace/"})
    assert done.status_code == 200 and "Vos codes de secours" in done.content.decode()
    codes = list(StaticToken.objects.filter(device__user=branch_admin).values_list("token", flat=True))
    assert len(codes) == 10
    assert client.get(reverse("certifications:workspace")).status_code == 200

    client.logout()
    assert password_login(client, branch_admin.email).url.startswith(reverse("mfa_verify"))
    assert client.get(reverse("certifications:workspace")).status_code == 302
    used = client.post(reverse("mfa_verify"), {"code": codes[0], "next": "/branche/"})
    assert used.status_code == 302 and used.url == "/branche/"
    assert client.get(reverse("certifications:workspace")).status_code == 200
    # A recovery code works once.
    client.logout()
    password_login(client, branch_admin.email)
    again = client.post(reverse("mfa_verify"), {"code": codes[0]})
    assert again.status_code == 200


@pytest.mark.django_db
def test_candidates_and_evaluators_are_not_asked_for_a_second_factor(client, candidate_user, evaluator, mfa_on):
    for user in (candidate_user, evaluator):
        client.logout()
        assert not password_login(client, user.email).url.startswith("/connexion/2fa")


@pytest.mark.django_db
def test_next_parameter_cannot_send_people_elsewhere(client, branch_admin, mfa_on):
    password_login(client, branch_admin.email)
    client.get(reverse("mfa_setup"))
    device = TOTPDevice.objects.get(user=branch_admin, confirmed=False)
    client.post(reverse("mfa_setup"), {"code": current_code(device)})
    client.logout()
    password_login(client, branch_admin.email)
    device.refresh_from_db()
    device.last_t = -1
    device.save()
    response = client.post(reverse("mfa_verify"), {"code": current_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/"
