"""18c and issue 15 point 5: the identity the CDC needs, refused field by field when it cannot be
one (birth date, birth place code and its kind, country, phone), in the form, the CSV import,
the API and at enrolment. Nothing is written on a refusal."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from candidates import identity
from candidates.forms import CandidateForm
from candidates.models import AccessRoute, Candidate
from candidates.services import path_create
from cqp_portal.errors import RuleViolation
from tests.factories.candidates import CandidateFactory

pytestmark = pytest.mark.django_db

VALID = {
    "birth_name": "Martin",
    "first_names": "Léa",
    "sex": "F",
    "birth_date": "1995-04-02",
    "birth_place_code": "69123",
    "birth_place_code_kind": "insee",
    "birth_place_name": "Lyon",
    "birth_country": "FR",
    "phone": "06 12 34 56 78",
    "status": "employee",
}


def form_errors(**changes):
    form = CandidateForm(data={**VALID, **changes})
    form.is_valid()
    return form.errors


def years_ago(years: int, days: int = 0) -> str:
    today = timezone.localdate()
    return (today.replace(year=today.year - years) + datetime.timedelta(days=days)).isoformat()


def test_a_valid_identity_is_accepted_and_the_phone_is_stored_as_e164(branch_admin):
    form = CandidateForm(data=VALID)
    assert form.is_valid(), form.errors
    from candidates.services import candidate_create

    candidate = candidate_create(by=branch_admin, **form.cleaned_data)
    candidate.refresh_from_db()
    assert candidate.phone == "+33612345678"
    assert candidate.birth_place_code_kind == "insee"


@pytest.mark.parametrize(
    ("birth_date", "fragment"),
    [
        ((timezone.localdate() + datetime.timedelta(days=1)).isoformat(), "futur"),
        ("1899-12-31", "1900"),
        (years_ago(15, days=1), "moins de 15 ans"),
    ],
)
def test_an_implausible_birth_date_is_refused_on_its_field(birth_date, fragment):
    errors = form_errors(birth_date=birth_date)
    assert list(errors) == ["birth_date"]
    assert fragment in errors["birth_date"][0]


def test_fifteen_today_is_accepted():
    assert not form_errors(birth_date=years_ago(15))


def test_the_form_says_whether_the_code_is_an_insee_code_or_a_postcode():
    errors = form_errors(birth_place_code_kind="")
    assert list(errors) == ["birth_place_code_kind"]
    assert not form_errors(birth_place_code="69003", birth_place_code_kind="postcode")
    assert list(form_errors(birth_place_code="2A004", birth_place_code_kind="postcode")) == ["birth_place_code"]
    assert not form_errors(birth_place_code="2a004", birth_place_code_kind="insee")
    assert list(form_errors(birth_place_code="6912", birth_place_code_kind="insee")) == ["birth_place_code"]
    # 99XXX is INSEE's code of a foreign country, not of a French commune.
    assert list(form_errors(birth_place_code="99109", birth_place_code_kind="insee")) == ["birth_place_code"]


def test_a_birth_abroad_takes_a_country_and_no_french_code():
    assert not form_errors(birth_country="de", birth_place_code="", birth_place_code_kind="", birth_place_name="Berlin")
    assert list(form_errors(birth_country="DE")) == ["birth_place_code"]


@pytest.mark.parametrize("country", ["XX", "FRA", "ZZ", "1"])
def test_a_country_code_that_is_not_one_is_refused(country):
    errors = form_errors(birth_country=country, birth_place_code="", birth_place_code_kind="")
    assert "birth_country" in errors


def test_an_overseas_department_is_france():
    errors = form_errors(birth_country="GP", birth_place_code="", birth_place_code_kind="")
    assert "FR" in errors["birth_country"][0]


@pytest.mark.parametrize("phone", ["12", "06 12 34", "+33 6 12 34 56 78 99", "not a phone", "+999 123456"])
def test_a_phone_number_that_is_not_one_is_refused(phone):
    assert list(form_errors(phone=phone)) == ["phone"]


@pytest.mark.parametrize(
    ("phone", "stored"),
    [("01.23.45.67.89", "+33123456789"), ("+32 470 12 34 56", "+32470123456"), ("+44 20 7946 0958", "+442079460958")],
)
def test_french_and_international_numbers_are_accepted(phone, stored):
    assert identity.phone_error(phone) is None
    assert identity.normalise_phone(phone) == stored


def test_the_api_refuses_field_by_field_and_writes_nothing(branch_admin):
    client = APIClient()
    client.force_authenticate(branch_admin)
    payload = {**VALID, "birth_date": "1850-01-01", "phone": "123", "birth_place_code_kind": ""}
    response = client.post("/api/v1/candidates/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"birth_date", "phone", "birth_place_code_kind"}
    assert body["message"]
    assert not Candidate.objects.filter(birth_name="Martin").exists()
    response = client.post("/api/v1/candidates/", {**VALID, "birth_country": "QQ"}, format="json")
    assert set(response.json()["fields"]) == {"birth_country"}
    created = client.post("/api/v1/candidates/", VALID, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["phone"] == "+33612345678"


def test_the_page_shows_the_error_in_french_on_the_field(branch_admin):
    client = Client()
    client.force_login(branch_admin)
    response = client.post(reverse("candidates:candidate_create"), {**VALID, "phone": "12"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert "n’est pas un numéro de téléphone" in response.context["form"].errors["phone"][0]
    assert not Candidate.objects.filter(birth_name="Martin").exists()


def test_the_csv_import_refuses_a_bad_identity_line(branch_admin):
    from candidates.services import candidate_import_csv

    text = (
        "birth_name;first_names;sex;status;birth_date;birth_place_code;birth_place_code_kind;phone\n"
        "Bernard;Luc;M;employee;1980-01-02;75001;postcode;0612345678\n"
        "Roux;Inès;F;employee;2090-01-01;75056;;abc\n"
    )
    with pytest.raises(RuleViolation) as excinfo:
        candidate_import_csv(by=branch_admin, text=text)
    details = " ".join(excinfo.value.details)
    assert "Line 3" in details or "Ligne 3" in details
    assert "birth_date" in details and "phone" in details and "birth_place_code_kind" in details
    assert not Candidate.objects.filter(birth_name__in=["Bernard", "Roux"]).exists()


def test_enrolment_refuses_a_candidate_under_15_on_the_start_date(branch_admin, branch):
    from tests.factories.certifications import CertificationFactory, RegistrationFactory, published_version

    certification = CertificationFactory(branches=[branch])
    RegistrationFactory(certification=certification)
    published_version(certification, blocks=1)
    birth = datetime.date(2010, 6, 1)
    candidate = CandidateFactory(birth_date=birth)
    with pytest.raises(RuleViolation) as excinfo:
        path_create(
            candidate=candidate,
            certification=certification,
            access_route=AccessRoute.CONTINUING,
            by=branch_admin,
            start_date=datetime.date(2025, 5, 31),
        )
    assert excinfo.value.code == "implausible_birth_date"
    assert excinfo.value.field == "start_date"
    path = path_create(
        candidate=candidate,
        certification=certification,
        access_route=AccessRoute.CONTINUING,
        by=branch_admin,
        start_date=datetime.date(2025, 6, 1),
    )
    assert path.pk


def test_every_insee_country_code_is_99_and_three_digits():
    assert all(
        code.startswith("99") and len(code) == 5 and code.isdigit() for code in identity.INSEE_COUNTRY_CODES.values()
    )
    assert identity.insee_country_code("de") == "99109"
    assert identity.insee_country_code("FR") == ""


def test_a_branch_admin_corrects_the_identity_and_it_is_audited(branch_admin, other_branch_admin, branch):
    from cqp_portal.audit.models import AuditEntry
    from tests.factories.candidates import PathFactory
    from tests.factories.certifications import CertificationFactory, published_version

    certification = CertificationFactory(branches=[branch])
    candidate = CandidateFactory(birth_name="Martn", birth_place_code_kind="")
    PathFactory(candidate=candidate, version=published_version(certification, blocks=1))
    url = reverse("candidates:candidate_identity", args=[candidate.pk])
    outsider = Client()
    outsider.force_login(other_branch_admin)
    assert outsider.get(url).status_code == 404
    client = Client()
    client.force_login(branch_admin)
    data = {**VALID, "birth_name": "Martin", "first_names": candidate.first_names, "phone": "12"}
    refused = client.post(url, data)
    assert refused.status_code == 200 and "phone" in refused.context["form"].errors
    candidate.refresh_from_db()
    assert candidate.birth_name == "Martn"
    response = client.post(url + "?next=/certificats/cdc/", {**data, "phone": "0612345678"})
    assert response.status_code == 302 and response["Location"] == "/certificats/cdc/"
    candidate.refresh_from_db()
    assert (candidate.birth_name, candidate.birth_place_code_kind, candidate.phone) == (
        "Martin",
        "insee",
        "+33612345678",
    )
    entry = AuditEntry.objects.get(action="candidate.update_identity")
    assert entry.changes["birth_name"] == ["Martn", "Martin"]


def test_the_api_corrects_the_identity_field_by_field(branch_admin, branch):
    from tests.factories.candidates import PathFactory
    from tests.factories.certifications import CertificationFactory, published_version

    certification = CertificationFactory(branches=[branch])
    candidate = CandidateFactory(birth_name="Martn")
    PathFactory(candidate=candidate, version=published_version(certification, blocks=1))
    client = APIClient()
    client.force_authenticate(branch_admin)
    url = f"/api/v1/candidates/{candidate.pk}/identity/"
    refused = client.patch(url, {"birth_place_code": "75001", "birth_place_code_kind": "", "phone": "1"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {"birth_place_code_kind", "phone"}
    ok = client.patch(
        url, {"birth_name": "Martin", "birth_place_code": "75001", "birth_place_code_kind": "postcode"}, format="json"
    )
    assert ok.status_code == 200, ok.json()
    candidate.refresh_from_db()
    assert (candidate.birth_name, candidate.birth_place_code, candidate.birth_place_code_kind) == (
        "Martin",
        "75001",
        "postcode",
    )
