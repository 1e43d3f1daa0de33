"""The branch administrator's workspace: scope (own branch, 404 elsewhere), editor, publish, admin."""

import pytest
from django.test import Client
from django.urls import reverse

from certifications import services
from certifications.models import ImportJob, ReferentialState, SkillBlock
from tests.factories.certifications import CertificationFactory, ReferentialVersionFactory, published_version

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_branch_admin_sees_own_certifications_only(cqp, published, other_cqp, branch_admin):
    published_version(other_cqp)
    response = client_for(branch_admin).get(reverse("certifications:workspace"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "CQP Serveur test" in body
    assert "CQP Régleur test" not in body
    assert "Publiée" in body


def test_other_branch_admin_gets_404_on_drafts_and_pages(cqp, published, other_branch_admin, branch_admin):
    draft = services.version_new_from_published(certification=cqp, by=branch_admin)
    client = client_for(other_branch_admin)
    for url in [
        reverse("certifications:version", args=[draft.pk]),
        reverse("certifications:version_diff", args=[draft.pk]),
        reverse("certifications:block_add", args=[draft.pk]),
        reverse("certifications:activities", args=[draft.pk]),
        reverse("certifications:certification", args=[cqp.pk]),
        reverse("certifications:habilitations", args=[cqp.pk]),
        reverse("certifications:equivalences", args=[cqp.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("certifications:version_publish", args=[draft.pk]))
    assert response.status_code == 404
    response = client.post(
        reverse("certifications:block_remove", args=[draft.blocks.first().pk]),
    )
    assert response.status_code == 404
    assert draft.blocks.count() == 3


def test_non_admin_roles_are_refused(cqp, evaluator, candidate_user):
    for user in (evaluator, candidate_user):
        assert client_for(user).get(reverse("certifications:workspace")).status_code == 403


def test_cqpi_is_editable_by_admins_of_both_owning_branches(cqpi, branch_admin, other_branch_admin):
    version = ReferentialVersionFactory(certification=cqpi)
    for n, admin in enumerate((branch_admin, other_branch_admin), start=1):
        client = client_for(admin)
        assert client.get(reverse("certifications:version", args=[version.pk])).status_code == 200
        response = client.post(
            reverse("certifications:block_add", args=[version.pk]),
            {
                "block-code": f"BC0{n}",
                "block-title": f"Bloc {n}",
                "block-mandatory": "on",
                **formset("competencies", ["Accompagner", "Évaluer"]),
                **formset("criteria", ["Pertinence"]),
                **modality_formset([("interview", "Entretien")]),
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(version.blocks.values_list("code", flat=True)) == ["BC01", "BC02"]


def formset(prefix, texts):
    data = {f"{prefix}-TOTAL_FORMS": str(len(texts)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, text in enumerate(texts):
        data[f"{prefix}-{i}-text"] = text
        data[f"{prefix}-{i}-ORDER"] = str(i + 1)
    return data


def modality_formset(rows):
    data = {"modalities-TOTAL_FORMS": str(len(rows)), "modalities-INITIAL_FORMS": "0"}
    for i, (kind, description) in enumerate(rows):
        data[f"modalities-{i}-kind"] = kind
        data[f"modalities-{i}-description"] = description
    return data


def test_reorder_and_remove_competencies(cqp, branch_admin):
    version = ReferentialVersionFactory(certification=cqp)
    client = client_for(branch_admin)
    data = {
        "block-code": "BC01",
        "block-title": "Servir",
        **formset("competencies", ["A", "B", "C"]),
        **formset("criteria", ["K"]),
        **modality_formset([("dossier", "")]),
    }
    data["competencies-0-ORDER"] = "4"  # A goes last
    data["competencies-1-DELETE"] = "on"  # B removed
    assert client.post(reverse("certifications:block_add", args=[version.pk]), data).status_code == 302
    block = version.blocks.get()
    assert list(block.competencies.values_list("text", flat=True)) == ["C", "A"]
    assert block.mandatory is False  # checkbox not sent


def test_duplicate_block_code_is_shown_next_to_the_field(cqp, branch_admin):
    version = ReferentialVersionFactory(certification=cqp)
    services.block_save(version=version, by=branch_admin, code="BC01", title="A")
    response = client_for(branch_admin).post(
        reverse("certifications:block_add", args=[version.pk]),
        {
            "block-code": "bc01",
            "block-title": "B",
            **formset("competencies", []),
            **formset("criteria", []),
            **modality_formset([]),
        },
    )
    assert response.status_code == 400
    assert "déjà utilisé" in response.content.decode()


def test_publish_errors_are_shown_next_to_the_blocks(cqp, branch_admin):
    version = ReferentialVersionFactory(certification=cqp)
    block = services.block_save(
        version=version, by=branch_admin, code="BC01", title="Accueillir", competencies=["Saluer"]
    )
    response = client_for(branch_admin).post(reverse("certifications:version_publish", args=[version.pk]))
    assert response.status_code == 400
    body = response.content.decode()
    section = body[body.index(f'id="block-{block.pk}"') :]
    assert "au moins 2" in section
    assert "modalité" in section and "critère" in section
    version.refresh_from_db()
    assert version.state == ReferentialState.DRAFT


def test_publish_from_the_page(cqp, branch_admin):
    version = ReferentialVersionFactory(certification=cqp)
    from tests.factories.certifications import SkillBlockFactory

    SkillBlockFactory(version=version)
    response = client_for(branch_admin).post(reverse("certifications:version_publish", args=[version.pk]))
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == ReferentialState.PUBLISHED


def test_editing_a_published_version_through_the_page_changes_nothing(published, branch_admin):
    block = published.blocks.first()
    client = client_for(branch_admin)
    response = client.post(
        reverse("certifications:block_edit", args=[published.pk, block.pk]),
        {
            "block-code": block.code,
            "block-title": "Changé",
            **formset("competencies", ["x", "y"]),
            **formset("criteria", ["k"]),
            **modality_formset([("dossier", "")]),
        },
        HTTP_REFERER="/branche/",
    )
    assert response.status_code == 302  # DomainError → message and redirect
    block.refresh_from_db()
    assert block.title != "Changé"


def test_version_history_and_diff_page(published, branch_admin):
    draft = services.version_new_from_published(certification=published.certification, by=branch_admin)
    services.block_save(
        version=draft, by=branch_admin, code="BC09", title="Encaisser", competencies=["Facturer", "Rendre"]
    )
    client = client_for(branch_admin)
    body = client.get(reverse("certifications:certification", args=[published.certification.pk])).content.decode()
    assert "Version 2" in body and "Brouillon" in body
    body = client.get(reverse("certifications:version_diff", args=[draft.pk])).content.decode()
    assert "BC09" in body and "Ajouté" in body and "Facturer" in body


def test_rules_form_saves_and_validates(cqp, branch_admin):
    client = client_for(branch_admin)
    url = reverse("certifications:certification", args=[cqp.pk])
    data = {
        "block_validity_months": "60",
        "jury_employer_seats": "2",
        "jury_employee_seats": "2",
        "jury_max_experts": "1",
        "jury_quorum": "3",
        "appeal_policy": "reasoned",
        "appeal_deadline_days": "",
        "appeal_body": "",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "délai" in response.content.decode()
    data.update(appeal_deadline_days="30", appeal_body="CPNE", requires_double_evaluation="on")
    assert client.post(url, data).status_code == 302
    cqp.refresh_from_db()
    assert (cqp.block_validity_months, cqp.appeal_deadline_days, cqp.requires_double_evaluation) == (60, 30, True)


def test_habilitation_pages(cqp, branch_admin, evaluator, provider):
    client = client_for(branch_admin)
    url = reverse("certifications:habilitations", args=[cqp.pk])
    assert (
        client.post(
            url, {"holder": "evaluator", "evaluator_email": evaluator.email, "valid_from": "2025-01-01"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            url, {"holder": "provider", "training_provider": provider.pk, "valid_from": "2025-01-01"}
        ).status_code
        == 302
    )
    hab = cqp.habilitations.get(evaluator=evaluator)
    assert (
        client.post(reverse("certifications:habilitation_end", args=[hab.pk]), {"on_date": "2025-12-31"}).status_code
        == 302
    )
    hab.refresh_from_db()
    assert str(hab.valid_until) == "2025-12-31"
    response = client.post(
        url, {"holder": "evaluator", "evaluator_email": "nobody@example.org", "valid_from": "2025-01-01"}
    )
    assert response.status_code == 400


def test_equivalence_page(published, other_cqp, branch_admin):
    other = published_version(other_cqp, blocks=2)
    client = client_for(branch_admin)
    url = reverse("certifications:equivalences", args=[published.certification.pk])
    response = client.post(
        url, {"from_block": published.blocks.first().pk, "to_block": other.blocks.first().pk, "bidirectional": "on"}
    )
    assert response.status_code == 302
    assert "BC01" in client.get(url).content.decode()


def test_workspace_query_count_does_not_grow(branch, branch_admin, django_assert_num_queries):
    client = client_for(branch_admin)

    def make(n):
        for _ in range(n):
            published_version(CertificationFactory(branches=[branch]), blocks=1)

    make(5)
    client.get(reverse("certifications:workspace"))  # warm the session and the role cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("certifications:workspace")).status_code == 200
    make(45)
    with django_assert_num_queries(len(five)):
        assert client.get(reverse("certifications:workspace")).status_code == 200


def test_import_upload_runs_and_reports_progress(branch_admin, other_branch_admin, django_capture_on_commit_callbacks):
    from pathlib import Path

    sample = (
        Path(__file__).resolve().parents[2] / "certifications" / "fixtures" / "france-competences-rs-v4.1-sample.xml"
    )
    client = client_for(branch_admin)
    with sample.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certifications:import"), {"file": handle, "only_cqp": ""})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    progress = client.get(reverse("certifications:import_progress", args=[job.pk])).json()
    assert progress["state"] == "done" and progress["read"] == 5 and progress["created"] == 5
    assert progress["percent"] == 100
    assert client.get(response["Location"]).status_code == 200
    # Someone else's import is not visible.
    assert (
        client_for(other_branch_admin).get(reverse("certifications:import_progress", args=[job.pk])).status_code == 404
    )


def test_import_upload_refuses_a_non_xml_file(branch_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(branch_admin).post(
        reverse("certifications:import"), {"file": SimpleUploadedFile("export.csv", b"a;b;c\n")}
    )
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_admin_cannot_change_a_published_block(published, staff_user):
    client = client_for(staff_user)
    block = published.blocks.first()
    url = reverse("admin:certifications_skillblock_change", args=[block.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="title"' not in response.content.decode()  # read-only view
    response = client.post(url, {"code": block.code, "title": "Changé", "order": 0, "version": published.pk})
    assert response.status_code == 403
    assert (
        client.post(reverse("admin:certifications_skillblock_delete", args=[block.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert SkillBlock.objects.get(pk=block.pk).title != "Changé"
    response = client.get(reverse("admin:certifications_referentialversion_change", args=[published.pk]))
    assert response.status_code == 200
