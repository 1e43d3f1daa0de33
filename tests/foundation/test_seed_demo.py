import pytest
from django.core.management import call_command
from django.test import Client

from certifications.models import Branch, Opco
from cqp_portal.accounts.demo import DEMO_PASSWORD, DEMO_USERS
from cqp_portal.accounts.models import RoleAssignment, User


def counts():
    return (Opco.objects.count(), Branch.objects.count(), User.objects.count(), RoleAssignment.objects.count())


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_every_login_works(settings, capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first[0] == 11
    assert set(Branch.objects.values_list("idcc", "opco__name")) >= {
        ("1979", "AKTO"),
        ("3248", "OPCO 2i"),
        ("3246", "Uniformation"),
    }
    output = capsys.readouterr().out
    for email, *_ in DEMO_USERS:
        assert email in output
        client = Client()
        response = client.post("/connexion/", {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        landing = client.get("/espace/", follow=True)
        assert landing.status_code == 200, email


@pytest.mark.django_db(transaction=True)  # notifications are sent on commit
def test_seed_demo_prints_a_short_summary_and_writes_mails_to_files(settings, capsys, tmp_path):
    # `make run` must show the logins table, not the hundreds of e-mails the demo lifecycle sends.
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    call_command("seed_demo")
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) < 40, lines
    assert "Content-Type:" not in captured.out + captured.err
    assert "celery.app.trace" not in captured.err
    assert f"written to {tmp_path / 'mail'}/" in captured.out
    written = list((tmp_path / "mail").iterdir())
    assert written, "the demo's notifications must be kept as files"
    assert any("Subject:" in path.read_text() for path in written)
