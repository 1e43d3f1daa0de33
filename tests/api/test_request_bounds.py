"""Every JSON body is bounded in nesting depth and size (issue 16, point 3): a 400 in the API's
error shape, never a 500 (RecursionError), nothing written."""

import json

import pytest

from candidates.models import Candidate
from cqp_portal.parsers import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, depth
from tests.api.conftest import api

pytestmark = [pytest.mark.django_db]


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def post_raw(client, url, body: str):
    return client.generic("POST", url, body.encode(), content_type="application/json")


@pytest.mark.parametrize("url", ["/api/v1/candidates/", "/api/v1/positionings/", "/api/v1/assessments/"])
@pytest.mark.parametrize("levels", [100_000, DEFAULT_MAX_DEPTH + 1])
def test_deeply_nested_json_is_a_400_in_the_error_shape(provider_staff, url, levels):
    before = Candidate.objects.count()
    response = post_raw(api(provider_staff), url, '{"birth_name": ' + nested(levels) + "}")
    assert response.status_code == 400, response.content[:200]
    body = response.json()
    assert body["code"] == "too_deep" and body["fields"] == {} and str(DEFAULT_MAX_DEPTH) in body["message"]
    assert Candidate.objects.count() == before


def test_a_body_larger_than_the_limit_is_a_400(provider_staff):
    payload = json.dumps({"birth_name": "x" * (DEFAULT_MAX_BYTES + 10)})
    response = post_raw(api(provider_staff), "/api/v1/candidates/", payload)
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert not Candidate.objects.exists()


def test_malformed_json_keeps_the_error_shape_in_french(provider_staff):
    response = post_raw(api(provider_staff), "/api/v1/candidates/", '{"birth_name": ')
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error" and body["message"].startswith("JSON illisible")


def test_ordinary_nesting_still_parses(provider_staff):
    # The deepest body the API takes (a decision's blocks, criterion results) is 3 levels.
    response = post_raw(api(provider_staff), "/api/v1/candidates/", json.dumps({"birth_name": [[{"a": [1]}]]}))
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_depth_is_measured_without_recursion():
    assert depth(1) == 0 and depth([]) == 1 and depth({"a": [{"b": []}]}) == 4
    value = []
    for _ in range(50_000):
        value = [value]
    assert depth(value) == 50_001
