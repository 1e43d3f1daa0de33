"""Every list endpoint is filtered by the policy: a person of another branch, another
candidate, another evaluator, another jury or another funder sees nothing of ``world`` (the
branch's data) in the list, and its detail answers 404. The owner sees it (a control: an
empty list must not pass the test by accident)."""

import pytest

from tests.api.conftest import api

pytestmark = pytest.mark.django_db

# endpoint -> (attribute of the world listed there, the owner who must see it)
PRIVATE_LISTS = {
    "candidates": ("candidate", "candidate_user"),
    "paths": ("path", "candidate_user"),
    "positionings": ("path_block", "evaluator"),
    "assessments": ("assessment", "evaluator"),
    "evidence": ("evidence", "candidate_user"),
    "jury-sessions": ("session", "jury_member"),
    "jury-members": ("member", "jury_member"),
    "jury-dossiers": ("dossier", "jury_member"),
    "jury-decisions": ("decision", "jury_member"),
    "funding-lines": ("funding_line", "funder_officer"),
    "habilitations": ("habilitation", "branch_admin"),
    # A draft référentiel is the branch's work in progress.
    "referential-versions": ("draft", "branch_admin"),
}
# Positioning rows have no detail endpoint (the list is the read API).
NO_DETAIL = {"positionings"}
OUTSIDERS = [
    "other_branch_admin",
    "other_candidate_user",
    "other_evaluator",
    "other_jury_member",
    "other_funder_officer",
]


def listed_ids(user, endpoint, **params):
    response = api(user).get(f"/api/v1/{endpoint}/", {"page_size": 200, **params})
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("endpoint", sorted(PRIVATE_LISTS))
def test_the_owner_sees_the_object(request, world, endpoint):
    attribute, owner = PRIVATE_LISTS[endpoint]
    obj = getattr(world, attribute)
    user = request.getfixturevalue(owner)
    assert obj.pk in listed_ids(user, endpoint)
    if endpoint not in NO_DETAIL:
        assert api(user).get(f"/api/v1/{endpoint}/{obj.pk}/").status_code == 200


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize("endpoint", sorted(PRIVATE_LISTS))
def test_an_outsider_sees_nothing_of_the_branch(world, outsiders, endpoint, outsider):
    attribute, _owner = PRIVATE_LISTS[endpoint]
    obj = getattr(world, attribute)
    user = outsiders[outsider]
    assert obj.pk not in listed_ids(user, endpoint)
    if endpoint not in NO_DETAIL:
        response = api(user).get(f"/api/v1/{endpoint}/{obj.pk}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("outsider", OUTSIDERS)
@pytest.mark.parametrize(
    ("endpoint", "param", "attribute"),
    [
        ("paths", "candidate", "candidate"),
        ("assessments", "path", "path"),
        ("evidence", "path", "path"),
        ("positionings", "path", "path"),
        ("jury-members", "session", "session"),
        ("jury-decisions", "session", "session"),
        ("funding-lines", "path", "path"),
    ],
)
def test_a_filter_on_a_hidden_object_is_refused_not_answered(world, outsiders, outsider, endpoint, param, attribute):
    """Filtering by an object outside the scope is a field error: the same answer as for an id
    that does not exist, so the filter reveals nothing."""
    user = outsiders[outsider]
    response = api(user).get(f"/api/v1/{endpoint}/", {param: getattr(world, attribute).pk})
    assert response.status_code == 400
    assert param in response.json()["fields"]
    missing = api(user).get(f"/api/v1/{endpoint}/", {param: 987654})
    assert missing.status_code == 400
    assert missing.json()["fields"] == response.json()["fields"]


@pytest.mark.parametrize("endpoint", ["branches", "certifications", "equivalences"])
def test_public_registers_are_visible_to_every_signed_in_person(world, outsiders, endpoint):
    """Branches, certifications and passerelles are public facts (the national register):
    scoped to every signed-in person on purpose, and to nobody anonymous."""
    obj = {"branches": world.certification.branches.first(), "certifications": world.certification}.get(
        endpoint, world.equivalence
    )
    for user in outsiders.values():
        assert obj.pk in listed_ids(user, endpoint)
    assert api().get(f"/api/v1/{endpoint}/").status_code == 401


def test_lists_are_paginated_filtered_and_ordered(world, branch_admin):
    client = api(branch_admin)
    body = client.get("/api/v1/paths/", {"page_size": 1}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert client.get("/api/v1/paths/", {"state": "in_evaluation"}).json()["count"] == 1
    assert client.get("/api/v1/paths/", {"state": "awarded"}).json()["count"] == 0
    bad = client.get("/api/v1/paths/", {"state": "flying"})
    assert bad.status_code == 400
    assert "state" in bad.json()["fields"]
    assert client.get("/api/v1/paths/", {"created_after": "not-a-date"}).status_code == 400
    versions = client.get(
        "/api/v1/referential-versions/", {"certification": world.certification.pk, "ordering": "-number"}
    )
    assert [v["number"] for v in versions.json()["results"]] == [2, 1]
    # An unknown ordering field is ignored, never a 500.
    assert client.get("/api/v1/paths/", {"ordering": "candidate__user__password"}).status_code == 200
    assert client.get("/api/v1/paths/", {"page": 99}).status_code == 404


def test_dates_are_iso_8601(world, branch_admin):
    line = api(branch_admin).get(f"/api/v1/funding-lines/{world.funding_line.pk}/").json()
    assert line["start_date"] == world.funding_line.start_date.isoformat()
    assessment = api(branch_admin).get(f"/api/v1/assessments/{world.assessment.pk}/").json()
    assert assessment["assessed_on"] == "2026-03-02"
    # Date-times carry their offset (ISO 8601 with time zone).
    assert assessment["created_at"][10] == "T"
    assert assessment["created_at"][-6] in "+-" or assessment["created_at"].endswith("Z")
