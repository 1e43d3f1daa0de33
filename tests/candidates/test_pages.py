"""Pages: scope (outsiders see nothing), forms, and query counts pinned for 5 and 50 paths."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from candidates.models import AccessRoute, BlockPlan, Candidate, Path, PathState
from cqp_portal import policy
from cqp_portal.accounts.models import Role
from tests.factories.candidates import CandidateFactory, PathFactory, plan_blocks, vae_file

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_scope_other_candidate_evaluator_and_branch_admin_see_nothing(
    make_path,
    other_candidate_user,
    other_evaluator,
    other_branch_admin,
    candidate_user,
    evaluator,
    branch_admin,
    provider_staff,
):
    path = make_path(PathState.REGISTERED)
    for outsider in (other_candidate_user, other_evaluator, other_branch_admin):
        assert list(policy.scope(outsider, Path)) == []
        assert list(policy.scope(outsider, Candidate)) == []
        assert client_for(outsider).get(reverse("candidates:path_detail", args=[path.pk])).status_code == 404
    for insider in (candidate_user, evaluator, branch_admin, provider_staff):
        assert list(policy.scope(insider, Path)) == [path]
        assert client_for(insider).get(reverse("candidates:path_detail", args=[path.pk])).status_code == 200


def test_outsiders_cannot_move_a_path(make_path, other_evaluator):
    path = make_path(PathState.REGISTERED)
    response = client_for(other_evaluator).post(reverse("candidates:path_transition", args=[path.pk, "withdraw"]))
    assert response.status_code == 404
    path.refresh_from_db()
    assert path.state == PathState.REGISTERED


def test_a_transition_button_moves_the_path_and_a_refusal_is_a_message(make_path, branch_admin):
    path = make_path(PathState.DRAFT)
    client = client_for(branch_admin)
    url = reverse("candidates:path_transition", args=[path.pk, "register"])
    response = client.post(url, {"from_state": "draft"}, follow=True)
    path.refresh_from_db()
    assert path.state == PathState.REGISTERED
    response = client.post(url, {"from_state": "draft"}, follow=True)  # stale page
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_my_paths_shows_timeline_blocks_and_vae_deadline(make_path, candidate_user, evaluator):
    from candidates import services

    path = make_path(PathState.REGISTERED, access_route=AccessRoute.VAE)
    vae_file(path, candidate_user)
    services.path_request_admissibility(path=path, by=candidate_user)
    page = client_for(candidate_user).get(reverse("candidates:my_paths")).content.decode()
    assert "Décision de recevabilité attendue au plus tard le" in page
    assert "Recevabilité VAE en cours d’examen" in page or "admissibility" in page


def test_signup_creates_account_candidate_and_role_and_logs_in(db):
    client = Client()
    data = {
        "email": "nouveau@example.org",
        "password1": "un-mot-de-passe-solide",
        "password2": "un-mot-de-passe-solide",
        "birth_name": "Martin",
        "first_names": "Léa",
        "sex": "F",
        "birth_date": "1995-04-02",
        "birth_place_code": "69123",
        "birth_place_code_kind": "insee",
        "birth_country": "FR",
        "status": "job_seeker",
    }
    response = client.post(reverse("candidates:signup"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    candidate = Candidate.objects.get(birth_name="Martin")
    assert candidate.user.email == "nouveau@example.org"
    assert candidate.user.has_role(Role.CANDIDATE)
    assert client.get(reverse("candidates:my_paths")).status_code == 200


def test_enrol_shows_eligibility_errors_on_the_field(certification, version, candidate, candidate_user):
    response = client_for(candidate_user).post(
        reverse("candidates:enrol"),
        {"certification": certification.pk, "access_route": AccessRoute.APPRENTICESHIP, "start_date": "2026-03-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["access_route"]
    assert not Path.objects.exists()
    response = client_for(candidate_user).post(
        reverse("candidates:enrol"),
        {"certification": certification.pk, "access_route": AccessRoute.CONTINUING},
    )
    assert response.status_code == 302
    assert Path.objects.get().state == PathState.REGISTERED


def test_provider_creates_a_candidate_and_a_path(provider_staff, provider, certification, version, habilitated):
    client = client_for(provider_staff)
    response = client.post(
        reverse("candidates:candidate_create"),
        {"birth_name": "Petit", "first_names": "Hugo", "sex": "M", "status": "employee", "birth_country": "FR"},
    )
    assert response.status_code == 302
    candidate = Candidate.objects.get(birth_name="Petit")
    response = client.post(
        reverse("candidates:path_create"),
        {
            "candidate": candidate.pk,
            "certification": certification.pk,
            "access_route": "continuing",
            "start_date": "2026-03-01",
            "training_provider": provider.pk,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Path.objects.get().training_provider == provider


CSV_OK = "birth_name;first_names;sex;status;birth_date\nBernard;Luc;M;employee;1980-01-02\nRoux;Inès;F;job_seeker;\n"
CSV_BAD = "birth_name;first_names;sex;status;birth_date\nBernard;Luc;M;employee;1980-01-02\nRoux;Inès;X;nope;\n"


def test_csv_import_all_or_nothing(provider_staff):
    client = client_for(provider_staff)
    url = reverse("candidates:candidate_import")
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", CSV_BAD.encode())})
    assert response.status_code == 200
    errors = response.context["row_errors"]
    assert any(e.startswith("Ligne 3, sex") for e in errors) and any("status" in e for e in errors)
    assert not Candidate.objects.exists()
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", CSV_OK.encode())})
    assert response.status_code == 302
    assert set(Candidate.objects.values_list("birth_name", flat=True)) == {"Bernard", "Roux"}
    assert set(policy.scope(provider_staff, Candidate)) == set(Candidate.objects.all())


def test_the_evaluator_records_an_assessment_with_criteria(make_path, evaluator, version):
    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)
    block = version.blocks.first()
    c1, c2 = block.criteria.all()
    client = client_for(evaluator)
    url = reverse("candidates:assessment_create", args=[path.pk, block.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "modality": block.modalities.first().pk,
            "assessed_on": "2026-01-15",
            "outcome": "acquired",
            f"criterion_{c1.pk}": "on",
            "comment": "Très bien",
        },
    )
    assert response.status_code == 302
    assessment = path.assessments.get()
    assert dict(assessment.criterion_results.values_list("criterion_id", "met")) == {c1.pk: True, c2.pk: False}


def test_positioning_form_on_the_path_page(make_path, evaluator, version):
    from candidates import services

    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    data = {}
    for block in version.blocks.all():
        data[f"plan_{block.pk}"] = "to_evaluate"
        data[f"hours_{block.pk}"] = "7"
    first = version.blocks.first()
    data[f"trainer_{first.pk}"] = str(evaluator.pk)
    assert client_for(evaluator).get(reverse("candidates:path_detail", args=[path.pk])).status_code == 200
    response = client_for(evaluator).post(reverse("candidates:path_positioning", args=[path.pk]), data)
    assert response.status_code == 302
    assert set(path.path_blocks.values_list("plan", "planned_hours")) == {("to_evaluate", 7)}
    # The trainer recorded here may not assess that block (trainer_may_not_evaluate, on by default).
    assert path.path_blocks.get(block=first).trainer == evaluator
    assert set(path.path_blocks.exclude(block=first).values_list("trainer", flat=True)) == {None}


# --- query counts ---------------------------------------------------------------------------


def _paths(n, version, **kwargs):
    paths = []
    for _ in range(n):
        path = PathFactory(version=version, state=PathState.IN_EVALUATION, **kwargs)
        plan_blocks(path, BlockPlan.TO_EVALUATE)
        paths.append(path)
    return paths


def _count(client, url, django_assert_num_queries, expected):
    client.get(url)  # warm the per-process caches (content types), as a running server has them
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [5, 50])
def test_worklist_queries_do_not_grow(n, version, evaluator, habilitated, django_assert_num_queries):
    _paths(n, version, evaluator=evaluator)
    client = client_for(evaluator)
    # session, user, roles (workspace check, nav and policy scope: one query), paths,
    # path_blocks, current assessments (no criterion results query: there are none)
    _count(client, reverse("candidates:worklist"), django_assert_num_queries, 6)


@pytest.mark.parametrize("n", [5, 50])
def test_provider_list_queries_do_not_grow(n, version, provider, provider_staff, django_assert_num_queries):
    _paths(n, version, training_provider=provider)
    client = client_for(provider_staff)
    # session, user, roles (provider and branch ids included), paths, path_blocks, assessments
    _count(client, reverse("candidates:provider_paths"), django_assert_num_queries, 6)


@pytest.mark.parametrize("n", [5, 50])
def test_my_paths_queries_do_not_grow(n, version, candidate_user, django_assert_num_queries):
    candidate = CandidateFactory(user=candidate_user)
    from tests.factories.certifications import published_version

    for _ in range(n // 5):
        _paths(1, published_version(), candidate=candidate)
    client = client_for(candidate_user)
    # same as the worklist + evidence, version blocks and competencies, timelines, ledger rows, jury decisions,
    # certificates
    _count(client, reverse("candidates:my_paths"), django_assert_num_queries, 13)


def test_the_candidate_self_assesses_during_positioning(make_path, evaluator, candidate_user, version):
    from candidates import services
    from candidates.models import CompetencySelfAssessment

    path = services.path_start_positioning(path=make_path(PathState.REGISTERED), by=evaluator)
    competency = version.blocks.first().competencies.first()
    client = client_for(candidate_user)
    url = reverse("candidates:self_assessment", args=[path.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {f"competency_{competency.pk}": "mastered"}).status_code == 302
    assert CompetencySelfAssessment.objects.get().level == "mastered"
    # Visible to the evaluator, but only the candidate self-assesses: refused with a message.
    refused = client_for(evaluator).post(url, {f"competency_{competency.pk}": "not_yet"}, follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert CompetencySelfAssessment.objects.get().level == "mastered"


def test_the_candidate_uploads_a_document_from_my_paths(make_path, candidate_user):
    path = make_path(PathState.IN_COURSE, plan=BlockPlan.TO_TRAIN)
    client = client_for(candidate_user)
    response = client.post(
        reverse("candidates:evidence_upload", args=[path.pk]),
        {
            "prefix": f"p{path.pk}",
            f"p{path.pk}-kind": "attestation",
            f"p{path.pk}-file": SimpleUploadedFile("attestation.pdf", b"%PDF-1.4\n%%EOF\n"),
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("candidates:my_paths")).content.decode()
    assert "attestation.pdf" in page
    refused = client.post(
        reverse("candidates:evidence_upload", args=[path.pk]),
        {
            "prefix": f"p{path.pk}",
            f"p{path.pk}-kind": "attestation",
            f"p{path.pk}-file": SimpleUploadedFile("faux.pdf", b"hello " * 100),
        },
        follow=True,
    )
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert path.evidence.count() == 1


def test_add_months_clamps_to_the_end_of_short_months():
    import datetime

    from candidates.models import add_months

    assert add_months(datetime.date(2025, 12, 31), 2) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 15), 2) == datetime.date(2027, 1, 15)
