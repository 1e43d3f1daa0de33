import re

import pytest
from django.test import Client

from juries.certificates import services
from juries.certificates.models import Certificate

pytestmark = pytest.mark.django_db


def test_the_public_page_shows_a_valid_certificate_without_login(client, issued):
    response = client.get(f"/verify/{issued.verification_code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Valide" in html and issued.number in html and issued.holder_name in html
    assert issued.sha256 in html and "Serveur en restauration" in html and "30/06/2026" in html
    assert "BC01" in html
    assert f"/verify/{issued.verification_code}/badge.json" in html


def test_the_json_record(client, issued):
    data = client.get(f"/verify/{issued.verification_code}.json").json()
    assert data["status"] == "valid"
    assert data["number"] == issued.number
    assert data["holder"] == issued.holder_name
    assert data["certification"]["level"] == 3
    assert data["certification"]["title"] == "Serveur en restauration"
    assert [b["code"] for b in data["blocks"]] == ["BC01", "BC02", "BC03"]
    assert data["award_date"] == "2026-06-30"
    assert data["pdf_sha256"] == issued.sha256
    assert data["revoked_at"] is None


def test_an_unknown_code_is_a_plain_not_found(client, issued):
    pages = [client.get(f"/verify/{code}/") for code in ("A" * 32, issued.verification_code[:-1] + "x")]
    assert [p.status_code for p in pages] == [404, 404]
    main = [re.search(r"<main.*</main>", p.content.decode(), re.S).group(0) for p in pages]
    assert main[0] == main[1]  # nothing distinguishes a near miss from a random code
    assert issued.number not in pages[1].content.decode()
    response = client.get(f"/verify/{'B' * 32}.json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_revoked_certificate_stays_visible_as_revoked(client, issued, branch_admin):
    services.certificate_revoke(certificate=issued, by=branch_admin, reason="Fraude constatée")
    html = client.get(f"/verify/{issued.verification_code}/").content.decode()
    assert "Révoqué" in html and "Fraude constatée" in html
    data = client.get(f"/verify/{issued.verification_code}.json").json()
    assert data["status"] == "revoked" and data["revocation_reason"] == "Fraude constatée" and data["revoked_at"]
    # No credential is handed out for a revoked award.
    assert client.get(f"/verify/{issued.verification_code}/badge.json").status_code == 410


def test_verification_is_rate_limited_per_client_ip(issued, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"verify": "5/min"}}
    one, other = Client(REMOTE_ADDR="203.0.113.1"), Client(REMOTE_ADDR="203.0.113.2")
    codes = [one.get(f"/verify/{issued.verification_code}.json").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert one.get(f"/verify/{issued.verification_code}/").status_code == 429
    assert other.get(f"/verify/{issued.verification_code}/").status_code == 200


def test_the_open_badge_credentials(client, issued):
    credential = client.get(f"/verify/{issued.verification_code}/badge.json").json()
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["validFrom"] == "2026-06-30T00:00:00Z"
    assert credential["credentialSubject"]["achievement"]["name"] == "Serveur en restauration"
    assert "proof" not in credential  # the JSON-LD form; badge.jwt is the signed one (test_signed_badges.py)
    block = issued.blocks.get(code="BC02")
    block_credential = client.get(f"/verify/{issued.verification_code}/blocks/{block.pk}/badge.json").json()
    assert block_credential["credentialSubject"]["achievement"]["achievementType"] == "Competency"
    assert block_credential["credentialSubject"]["achievement"]["name"].startswith("BC02")
    download = client.get(f"/verify/{issued.verification_code}/badge.json?download=1")
    assert download["Content-Disposition"].startswith("attachment")


def test_a_block_outside_the_certificate_has_no_badge(client, issued):
    other = Certificate.objects.exclude(pk=issued.pk).first()
    assert other is None
    assert client.get(f"/verify/{issued.verification_code}/blocks/999999/badge.json").status_code == 404
