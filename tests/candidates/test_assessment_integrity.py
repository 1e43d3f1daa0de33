"""An assessment is never saved when its form shows an error (issue 15.6), and an "acquired"
outcome agrees with the criteria by the référentiel's rule (issue 15.5). Every refusal leaves
the row counts (assessments, criteria results, evidence, audit) and the media folder as they were."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from candidates import services
from candidates.models import BlockAssessment, BlockPlan, CriterionResult, Evidence, PathState
from certifications.models import AcquiredCriteriaRule
from cqp_portal.audit.models import AuditEntry
from cqp_portal.errors import RuleViolation

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# A Windows executable ("MZ" header) renamed to look like a PDF.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def counts():
    return (
        BlockAssessment.objects.count(),
        CriterionResult.objects.count(),
        Evidence.objects.count(),
        AuditEntry.objects.count(),
    )


def stored_files(settings):
    return sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())


@pytest.fixture
def path(make_path):
    return make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)


@pytest.fixture
def block(version):
    return version.blocks.order_by("order").first()


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def form_data(block, *, met=True, outcome="acquired", **extra):
    data = {
        "modality": block.modalities.first().pk,
        "assessed_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
        "outcome": outcome,
        "comment": "",
    }
    for criterion in block.criteria.all():
        if met:
            data[f"criterion_{criterion.pk}"] = "on"
    data.update(extra)
    return data


def url(path, block):
    return reverse("candidates:assessment_create", args=[path.pk, block.pk])


# --- the page: nothing written on any error ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "limit", "message"),
    [
        ("compte-rendu.pdf", EXE, None, "Seuls les fichiers PDF, JPEG et PNG"),
        ("gros.pdf", PDF + b"0" * 4096, 1024, "Le fichier est trop volumineux"),
    ],
    ids=["renamed-exe", "oversize"],
)
def test_a_refused_file_leaves_no_assessment(path, block, evaluator, settings, name, content, limit, message):
    if limit:
        settings.EVIDENCE_MAX_BYTES = limit
    before, files = counts(), stored_files(settings)
    client = client_for(evaluator)
    data = form_data(block, evidence_file=SimpleUploadedFile(name, content))
    response = client.post(url(path, block), data)
    assert response.status_code == 200  # the form again, with its error
    form = response.context["form"]
    assert message in form.errors["evidence_file"][0]
    assert counts() == before
    assert stored_files(settings) == files
    # Sent again after the error (as the evaluator did): still nothing, and no "replaced" row.
    data = form_data(block, evidence_file=SimpleUploadedFile(name, content))
    assert client.post(url(path, block), data).context["form"].errors
    assert counts() == before
    assert not BlockAssessment.objects.filter(supersedes__isnull=False).exists()


def test_a_valid_form_writes_assessment_evidence_and_audit_together(path, block, evaluator):
    before = counts()
    data = form_data(block, evidence_file=SimpleUploadedFile("grille.pdf", PDF))
    response = client_for(evaluator).post(url(path, block), data)
    assert response.status_code == 302
    assessment = BlockAssessment.objects.get()
    evidence = Evidence.objects.get()
    assert evidence.assessment == assessment and evidence.block == block
    assert counts()[:3] == (before[0] + 1, before[1] + block.criteria.count(), before[2] + 1)
    actions = set(AuditEntry.objects.values_list("action", flat=True)[before[3] :])
    assert {"assessment.record", "evidence.upload"} <= actions


def test_a_double_post_records_one_assessment(path, block, evaluator, settings):
    client = client_for(evaluator)
    first = client.post(url(path, block), form_data(block, evidence_file=SimpleUploadedFile("g.pdf", PDF)))
    assert first.status_code == 302
    after_first, files = counts(), stored_files(settings)
    second = client.post(
        url(path, block), form_data(block, evidence_file=SimpleUploadedFile("g.pdf", PDF)), follow=True
    )
    assert second.status_code == 200
    assert "déjà enregistrée" in second.content.decode()
    assert counts() == after_first
    assert stored_files(settings) == files
    assert not BlockAssessment.objects.filter(supersedes__isnull=False).exists()


def test_a_different_second_assessment_is_a_retake_that_supersedes(path, block, evaluator):
    client = client_for(evaluator)
    client.post(url(path, block), form_data(block, met=True))
    response = client.post(url(path, block), form_data(block, met=False, outcome="not_acquired"))
    assert response.status_code == 302
    assert BlockAssessment.objects.count() == 2
    assert BlockAssessment.objects.filter(supersedes__isnull=False).count() == 1


def test_a_double_correction_while_with_the_jury_records_one(make_path, block, evaluator, assess):
    path = make_path(PathState.IN_EVALUATION, plan=BlockPlan.TO_EVALUATE)
    assess(path, block, evaluator)
    path.__class__.objects.filter(pk=path.pk).update(state=PathState.READY_FOR_JURY)
    client = client_for(evaluator)
    data = form_data(block, met=False, outcome="not_acquired", correction_reason="Erreur de saisie")
    assert client.post(url(path, block), data).status_code == 302
    after = counts()
    assert client.post(url(path, block), data).status_code == 302
    assert counts() == after
    assert BlockAssessment.objects.count() == 2


# --- the référentiel's rule on "acquired" ----------------------------------------------------


def set_rule(certification, rule, threshold=None):
    certification.acquired_criteria_rule = rule
    certification.acquired_criteria_threshold = threshold
    certification.save()


def test_every_criterion_rule_refuses_acquired_with_an_unmet_criterion(path, block, evaluator, certification):
    set_rule(certification, AcquiredCriteriaRule.ALL_CRITERIA)
    before = counts()
    data = form_data(block, met=False, comment="Très bon niveau malgré tout")
    data[f"criterion_{block.criteria.first().pk}"] = "on"
    response = client_for(evaluator).post(url(path, block), data)
    assert response.status_code == 200
    error = response.context["form"].errors["outcome"][0]
    assert "ne peut pas être évalué acquis" in error and "chaque critère" in error
    assert counts() == before
    # The rule is told on the form.
    assert "exige que chaque critère soit satisfait" in client_for(evaluator).get(url(path, block)).content.decode()


def test_threshold_rule(path, block, evaluator, certification, assess):
    criteria = list(block.criteria.all())
    assert len(criteria) == 2
    half = {criteria[0].pk: True, criteria[1].pk: False}
    set_rule(certification, AcquiredCriteriaRule.THRESHOLD, 80)
    with translation.override("en"), pytest.raises(RuleViolation, match="1 of 2 criteria are met") as refused:
        services.assessment_record(
            path=path,
            block=block,
            by=evaluator,
            modality=block.modalities.first(),
            assessed_on=timezone.localdate(),
            outcome="acquired",
            criterion_results=half,
        )
    assert (refused.value.code, refused.value.field) == ("outcome_contradicts_criteria", "outcome")
    assert not BlockAssessment.objects.exists()
    set_rule(certification, AcquiredCriteriaRule.THRESHOLD, 50)
    assessment = services.assessment_record(
        path=path,
        block=block,
        by=evaluator,
        modality=block.modalities.first(),
        assessed_on=timezone.localdate(),
        outcome="acquired",
        criterion_results=half,
    )
    assert assessment.outcome == "acquired"


def test_without_a_rule_acquired_with_unmet_criteria_needs_a_justification(path, block, evaluator, certification):
    assert certification.acquired_criteria_rule == AcquiredCriteriaRule.JUSTIFICATION  # the default
    client = client_for(evaluator)
    before = counts()
    response = client.post(url(path, block), form_data(block, met=False))
    assert response.status_code == 200
    assert "expliquez dans le commentaire" in response.context["form"].errors["comment"][0]
    assert counts() == before
    response = client.post(url(path, block), form_data(block, met=False, comment="Critères observés à l'oral"))
    assert response.status_code == 302
    assert BlockAssessment.objects.get().outcome == "acquired"


def test_not_acquired_with_unmet_criteria_is_always_accepted(path, block, evaluator, certification):
    set_rule(certification, AcquiredCriteriaRule.ALL_CRITERIA)
    response = client_for(evaluator).post(url(path, block), form_data(block, met=False, outcome="not_acquired"))
    assert response.status_code == 302


def test_a_threshold_rule_needs_its_percentage(certification, branch_admin):
    from certifications import services as certification_services

    with translation.override("en"), pytest.raises(RuleViolation, match="needs a percentage") as refused:
        certification_services.certification_update(
            certification=certification, by=branch_admin, acquired_criteria_rule=AcquiredCriteriaRule.THRESHOLD
        )
    assert refused.value.field == "acquired_criteria_threshold"


# --- the API: same transaction, same idempotency ---------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_body(path, block, *, met=True, outcome="acquired", **extra):
    return {
        "path": path.pk,
        "block": block.pk,
        "modality": block.modalities.first().pk,
        "assessed_on": timezone.localdate().isoformat(),
        "outcome": outcome,
        "criterion_results": {str(c.pk): met for c in block.criteria.all()},
        **extra,
    }


def test_api_refuses_a_contradicting_outcome_in_the_error_shape(path, block, evaluator, certification):
    set_rule(certification, AcquiredCriteriaRule.ALL_CRITERIA)
    before = counts()
    response = api(evaluator).post(
        "/api/v1/assessments/", json.dumps(api_body(path, block, met=False)), content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "outcome_contradicts_criteria"
    assert set(body["fields"]) == {"outcome"} and body["message"] == body["fields"]["outcome"][0]
    assert counts() == before


def test_api_double_post_answers_the_existing_assessment(path, block, evaluator):
    body = json.dumps(api_body(path, block))
    first = api(evaluator).post("/api/v1/assessments/", body, content_type="application/json")
    assert first.status_code == 201
    after = counts()
    second = api(evaluator).post("/api/v1/assessments/", body, content_type="application/json")
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert counts() == after


def test_api_multipart_with_a_renamed_exe_writes_nothing(path, block, evaluator, settings):
    before, files = counts(), stored_files(settings)
    body = api_body(path, block)
    data = {k: v for k, v in body.items() if k != "criterion_results"}
    for pk, met in body["criterion_results"].items():
        data[f"criterion_results.{pk}"] = "true" if met else "false"
    data["evidence_file"] = SimpleUploadedFile("rapport.pdf", EXE)
    response = api(evaluator).post("/api/v1/assessments/", data, format="multipart")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "file_type"
    assert set(response.json()["fields"]) == {"evidence_file"}
    assert counts() == before
    assert stored_files(settings) == files
    data["evidence_file"] = SimpleUploadedFile("rapport.pdf", PDF)
    response = api(evaluator).post("/api/v1/assessments/", data, format="multipart")
    assert response.status_code == 201, response.json()
    assert Evidence.objects.get().assessment_id == response.json()["id"]
