import pytest
from django.template import Context, Template
from django.test import RequestFactory

from juries.certificates import services
from tests.factories.certificates import final_decision

pytestmark = pytest.mark.django_db


def test_my_path_include_lists_download_and_share_link(issued, holder_user):
    request = RequestFactory().get("/parcours/")
    request.user = holder_user
    html = Template("{% load certificates %}{% path_certificates path %}").render(
        Context({"path": issued.path, "request": request})
    )
    assert issued.number in html
    assert f"/certificats/{issued.pk}/pdf/" in html
    assert issued.verification_url in html
    assert "Lien de partage" in html


def test_the_holder_downloads_the_pdf(client, issued, holder_user):
    client.force_login(holder_user)
    response = client.get(f"/certificats/{issued.pk}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert issued.number in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("branch_admin", 200),
        ("staff_user", 200),
        ("other_candidate_user", 404),
        ("other_branch_admin", 404),
        ("evaluator", 404),
    ],
)
def test_who_downloads_the_pdf(client, issued, holder_user, persona, status, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/certificats/{issued.pk}/pdf/").status_code == status


def test_anonymous_visitors_are_sent_to_login(client, issued):
    response = client.get(f"/certificats/{issued.pk}/pdf/")
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def _issue_many(award, n, capture):
    with capture(execute=False):  # rendering is not what this page is about
        for _ in range(n):
            services.certificate_issue_for_decision(
                decision=final_decision(award.dossier.session, version=award.dossier.path.version)
            )


@pytest.mark.parametrize("rows", [5, 50])
def test_the_register_page_runs_a_fixed_number_of_queries(
    client, award, branch_admin, rows, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _issue_many(award, rows, django_capture_on_commit_callbacks)
    client.force_login(branch_admin)
    client.get("/certificats/")  # warm the session and the user's role cache
    # session, user, roles (nav, role_required and the scope's branch ids: one query), count, rows
    with django_assert_num_queries(5):
        response = client.get("/certificats/")
    assert response.status_code == 200
    assert response.content.decode().count('name="certificates"') == min(rows, 50)


def test_the_register_is_for_branch_administrators(client, candidate_user):
    client.force_login(candidate_user)
    assert client.get("/certificats/").status_code == 403
