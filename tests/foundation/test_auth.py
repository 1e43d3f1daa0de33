import pytest
from django.core import mail
from django.urls import reverse

from cqp_portal.accounts.models import Role, RoleAssignment
from tests.factories.accounts import TEST_PASSWORD


@pytest.mark.django_db
def test_login_page_is_in_french_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Adresse e-mail" in html and "Se connecter" in html


@pytest.mark.django_db
def test_pages_stay_french_whatever_the_browser_language(client):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html and "Se connecter" in html


@pytest.mark.django_db
def test_english_is_available(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/connexion/"})
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html and "E-mail address" in html


@pytest.mark.django_db
def test_login_by_email_is_case_insensitive(client, branch_admin):
    response = client.post(reverse("login"), {"username": "ADMIN@Example.org", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("workspace")


@pytest.mark.django_db
def test_wrong_password_gives_a_french_message(client, branch_admin):
    response = client.post(reverse("login"), {"username": "admin@example.org", "password": "wrong"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("branch_admin", "certifications:workspace"),
        ("evaluator", "candidates:worklist"),
        ("jury_member", "juries:my_sessions"),
        ("provider_staff", "candidates:provider_paths"),
        ("funder_officer", "financing:funder_workspace"),
        ("candidate_user", "candidates:my_paths"),
        ("staff_user", "admin:index"),
    ],
)
@pytest.mark.django_db
def test_each_role_lands_on_its_workspace(client, request, persona, landing):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("workspace"))
    assert response.status_code == 302
    assert response.url == reverse(landing)
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
def test_a_workspace_refuses_other_roles(client, candidate_user):
    client.force_login(candidate_user)
    assert client.get(reverse("certifications:workspace")).status_code == 403
    assert client.get(reverse("juries:my_sessions")).status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("candidates:my_paths"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_person_with_several_roles_sees_each_workspace_in_navigation(client, evaluator):
    RoleAssignment.objects.create(user=evaluator, role=Role.JURY_MEMBER)
    client.force_login(evaluator)
    html = client.get(reverse("candidates:worklist")).content.decode()
    assert reverse("juries:my_sessions") in html and reverse("candidates:worklist") in html


@pytest.mark.django_db
def test_password_reset_does_not_reveal_whether_an_account_exists(client, branch_admin):
    known = client.post(reverse("password_reset"), {"email": "admin@example.org"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["admin@example.org"]


@pytest.mark.django_db
def test_logout_requires_post_with_csrf(client, branch_admin):
    client.force_login(branch_admin)
    assert client.get(reverse("logout")).status_code == 405
