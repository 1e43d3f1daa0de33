"""The statistics page: who sees what, French rendering, CSV, a fixed number of queries."""

import csv
import io

import pytest
from django.urls import reverse

from candidates.models import AccessRoute, Candidate, Path, PathState
from tests.factories.candidates import CandidateFactory
from tests.factories.certifications import CertificationFactory, published_version
from tests.factories.financing import FundingLineFactory

pytestmark = pytest.mark.django_db

URL = reverse("statistics:dashboard")


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["candidate_user", "evaluator", "jury_member", "funder_officer", "provider_staff"])
def test_other_roles_are_refused(client, request, persona):
    assert get(client, request.getfixturevalue(persona)).status_code == 403


def test_branch_admin_sees_their_certification_in_french(client, branch_admin, dataset, certification):
    response = get(client, branch_admin)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Statistiques</h1>" in html
    for text in (
        "Parcours par état",
        "Décisions du jury",
        "Taux de réussite par bloc",
        "Délai entre l'inscription et la certification",
        "VAE et formation",
        "Financement par dispositif",
        "20,0 jours",
        "Télécharger tous les tableaux (CSV)",
    ):
        assert text in html, text
    # Every chart is an accessible image followed by its data table.
    assert html.count('role="img"') == 5
    assert html.count("<caption>Données du graphique") == 5
    assert certification.title in html
    states = {row["key"]: row["count"] for row in response.context["states"]}
    assert states["awarded"] == 2


def test_other_branch_admin_gets_404_for_a_foreign_certification(client, other_branch_admin, dataset, certification):
    assert get(client, other_branch_admin, certification=certification.pk).status_code == 404


def test_other_branch_admin_sees_none_of_it_by_default(client, other_branch_admin, dataset, certification):
    response = get(client, other_branch_admin)
    assert response.status_code == 200
    html = response.content.decode()
    assert certification.title not in html
    assert {row["key"]: row["count"] for row in response.context["states"]}["awarded"] == 3  # their own only
    assert [row["count"] for row in response.context["outcomes"]["rows"]] == [3, 0, 0]
    assert [(row["key"], row["approved"]) for row in response.context["funding"]] == [("plan", 2997)]


def test_garbage_certification_is_404_not_500(client, branch_admin, dataset):
    assert get(client, branch_admin, certification="abc").status_code == 404
    assert get(client, branch_admin, certification="999999").status_code == 404


def test_cqpi_counts_for_each_owning_branch(client, branch_admin, other_branch_admin, branch, other_branch):
    cqpi = CertificationFactory(kind="CQPI", branches=[branch, other_branch], title="CQPI Tuteur")
    published_version(cqpi)
    for admin in (branch_admin, other_branch_admin):
        assert get(client, admin, certification=cqpi.pk).status_code == 200


def test_staff_sees_every_certification(client, staff_user, dataset, certification, foreign_certification):
    response = get(client, staff_user)
    assert {row["key"]: row["count"] for row in response.context["states"]}["awarded"] == 5
    assert get(client, staff_user, certification=foreign_certification.pk).status_code == 200


def test_filter_by_certification_and_period(client, branch_admin, dataset, certification):
    response = get(client, branch_admin, certification=certification.pk, date_from="2020-01-01", date_to="2020-12-31")
    assert response.status_code == 200
    assert all(row["count"] == 0 for row in response.context["states"])
    html = response.content.decode()
    assert "Aucun parcours inscrit pendant cette période" in html
    assert "Aucune décision définitive du jury pendant cette période" in html
    assert "Aucun financement accordé pendant cette période" in html
    assert "Aucune validation totale pendant cette période" in html


def test_reversed_period_is_a_form_error(client, branch_admin, dataset):
    response = get(client, branch_admin, date_from="2026-12-31", date_to="2026-01-01")
    assert response.status_code == 200
    assert "Le début de la période doit précéder sa fin" in response.content.decode()


def test_csv_holds_every_table(client, branch_admin, dataset, certification):
    response = get(client, branch_admin, certification=certification.pk, export="csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="statistiques-cqp-serveur-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Section", "Élément", "Mesure", "Valeur"]
    assert ["Sélection", "Certification", "", certification.title] in rows
    assert ["Parcours par état", "Inscrit", "Parcours", "2"] in rows
    assert ["VAE et formation", "VAE", "Parcours", "3"] in rows
    assert ["Décisions du jury", "Validation totale", "Décisions", "2"] in rows
    assert [
        "Taux de réussite par bloc",
        f"BC03 {certification.versions.get().blocks.get(code='BC03').title} — {certification.title} v1",
        "Taux de réussite (%)",
        "33.3",
    ] in rows
    assert any(row[0] == "Évaluations de blocs" and row[2] == "Non acquis" and row[3] == "1" for row in rows)
    assert ["Délai entre l'inscription et la certification", "Validations totales", "Médiane (jours)", "20.0"] in rows
    assert ["Financement par dispositif", "Contrat de professionnalisation", "Accordé (€)", "5000.00"] in rows
    assert ["Financement par dispositif", "Contrat de professionnalisation", "Payé (€)", "2500.00"] in rows
    assert not any("Opérateur régleur" in cell for row in rows for cell in row)


def test_workspace_links_to_statistics_and_reports(client, branch_admin):
    client.force_login(branch_admin)
    html = client.get(reverse("certifications:workspace")).content.decode()
    assert reverse("statistics:dashboard") in html
    assert reverse("financing:reports") in html
    assert reverse("juries:planning") in html


def bulk_paths(version, number: int):
    """``number`` more paths in every state and route, with a funding line each (bulk inserts)."""
    candidates = Candidate.objects.bulk_create(
        CandidateFactory.build(email=f"bulk{i}@example.org") for i in range(number)
    )
    states = [s for s in PathState.values if s != PathState.DRAFT]
    routes = [AccessRoute.CONTINUING, AccessRoute.VAE, AccessRoute.PROFESSIONALISATION]
    paths = Path.objects.bulk_create(
        Path(
            candidate=candidate,
            certification=version.certification,
            version=version,
            state=states[i % len(states)],
            access_route=routes[i % len(routes)],
        )
        for i, candidate in enumerate(candidates)
    )
    lines = [FundingLineFactory.build(path=path, state="approved", amount_approved=100) for path in paths]
    for line in lines:
        line.funder.save()
        line.funder_id = line.funder.pk
    from financing.models import FundingLine

    FundingLine.objects.bulk_create(lines)


def test_fixed_number_of_queries(client, branch_admin, dataset, version, django_assert_num_queries):
    client.force_login(branch_admin)
    # session, user, the user's roles (workspace check and admin branches, one query),
    # certifications, paths per route, paths per state, outcomes, block decisions,
    # assessments, median time to award, funding by scheme: 11, with 13 paths or with 313.
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200
    bulk_paths(version, 300)
    client.force_login(branch_admin)
    with django_assert_num_queries(11):
        response = client.get(URL)
    assert {row["key"]: row["count"] for row in response.context["states"]}["awarded"] > 20
