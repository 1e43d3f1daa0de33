"""The main forms, sent invalid, show the error summary at the top, each error linking to its
field (an element with that id is on the page), and the field's own error next to it."""

import re

import pytest
from django.urls import reverse

from candidates.models import AccessRoute, BlockPlan, PathState
from certifications.models import ReferentialVersion
from tests.factories.candidates import CandidateFactory, PathFactory, plan_blocks
from tests.factories.certifications import (
    CertificationFactory,
    RegistrationFactory,
    habilitate_evaluator,
    published_version,
)

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="error-summary" role="alert" tabindex="-1">(.*?)</div>', re.S)


def assert_summary_links(response, *field_ids):
    html = response.content.decode()
    match = SUMMARY.search(html)
    assert match, "no error summary on the page"
    assert "Veuillez corriger les points suivants" in match.group(1)
    links = re.findall(r'<a href="#([^"]+)">', match.group(1))
    for field_id in field_ids:
        assert field_id in links, f"{field_id} not linked from the summary: {links}"
    for field_id in links:
        assert f'id="{field_id}"' in html, f"the summary links to #{field_id}, which is not on the page"
        # A radio list is labelled by its first radio (id_outcome_0); its error is id_outcome_error.
        base = field_id.removesuffix("_0")
        assert f'id="{base}_error"' in html, f"no error next to #{field_id}"


@pytest.fixture
def certification(branch):
    certification = CertificationFactory(branches=[branch], title="CQP Serveur formulaire")
    RegistrationFactory(certification=certification)
    return certification


@pytest.fixture
def version(certification):
    return published_version(certification, blocks=2)


@pytest.fixture
def path_in_evaluation(version, candidate_user, evaluator):
    habilitate_evaluator(version.certification, evaluator)
    candidate = CandidateFactory(user=candidate_user, email=candidate_user.email)
    path = PathFactory(
        version=version,
        candidate=candidate,
        evaluator=evaluator,
        state=PathState.IN_EVALUATION,
        access_route=AccessRoute.CONTINUING,
    )
    plan_blocks(path, BlockPlan.TO_EVALUATE)
    return path


def test_sign_up(client):
    response = client.post(reverse("candidates:signup"), {"email": "pas-une-adresse", "password1": "a"})
    assert_summary_links(response, "id_email", "id_password2", "id_birth_name", "id_first_names", "id_sex")


def test_enrol(client, candidate_user, version):
    CandidateFactory(user=candidate_user, email=candidate_user.email)
    client.force_login(candidate_user)
    response = client.post(reverse("candidates:enrol"), {"access_route": "nowhere"})
    assert_summary_links(response, "id_certification", "id_access_route")


def test_assessment(client, evaluator, path_in_evaluation, version):
    block = version.blocks.get(code="BC01")
    client.force_login(evaluator)
    url = reverse("candidates:assessment_create", args=[path_in_evaluation.pk, block.pk])
    response = client.post(url, {"assessed_on": "pas une date"})
    assert_summary_links(response, "id_outcome_0", "id_assessed_on")


def test_funding_line(client, candidate_user, path_in_evaluation):
    client.force_login(candidate_user)
    response = client.post(reverse("financing:path_funding", args=[path_in_evaluation.pk]), {"hours": "-3"})
    assert_summary_links(response, "id_scheme", "id_funder", "id_start_date", "id_hours")


def test_draft_editor(client, branch_admin, certification, version):
    draft = ReferentialVersion.objects.create(certification=certification, number=version.number + 1)
    client.force_login(branch_admin)
    management = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "100"}
    data = {
        f"{prefix}-{key}": value
        for prefix in ("competencies", "criteria", "modalities")
        for key, value in management.items()
    }
    response = client.post(reverse("certifications:block_add", args=[draft.pk]), data)
    assert_summary_links(response, "id_block-code", "id_block-title")
