"""/verify/<code>.json, a public Django view outside /api/v1/, is in the OpenAPI schema, and
the documented record is exactly what the view answers (issue 18, point 5)."""

import pytest

from juries import models as jury
from juries.certificates import services
from tests.api.test_schema_and_fuzz import generate_schema
from tests.factories.certificates import award_setup, closed_session, final_decision

pytestmark = pytest.mark.django_db


def test_the_public_record_is_documented_as_served(client, branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch)
    decision = final_decision(closed_session(certification), version=version, outcome=jury.Outcome.PARTIAL)
    with django_capture_on_commit_callbacks(execute=True):
        [attestation] = services.certificate_issue_for_decision(decision=decision)
    attestation.refresh_from_db()
    response = client.get(attestation.verification_path.rstrip("/") + ".json")
    assert response.status_code == 200
    record = response.json()

    schema = generate_schema()
    operation = schema["paths"]["/verify/{code}.json"]["get"]
    assert operation["summary"] and operation["tags"] == ["verification"]
    assert {"200", "404", "429"} <= set(operation["responses"])
    documented = schema["components"]["schemas"]["PublicCertificateRecord"]
    assert set(documented["properties"]) == set(record)
    assert set(documented["properties"]["certification"]["properties"]) == set(record["certification"])
    assert set(documented["properties"]["blocks"]["items"]["properties"]) == set(record["blocks"][0])
    assert record["status"] in documented["properties"]["status"]["enum"]
    assert record["kind"] in documented["properties"]["kind"]["enum"]
    for name, spec in documented["properties"].items():
        assert spec.get("description"), f"{name} has no description"

    unknown = client.get("/verify/" + "x" * 20 + ".json")
    assert unknown.status_code == 404
    error = schema["paths"]["/verify/{code}.json"]["get"]["responses"]["404"]["content"]["application/json"]
    assert set(unknown.json()) == set(error["schema"]["properties"])
