"""Verification by upload (/verify/ and POST /api/v1/verify/): authentic, modified, revoked,
unknown, and bad input answered with a field error."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from juries.certificates import services
from juries.certificates.pdf import render_html

pytestmark = pytest.mark.django_db


def stored_bytes(certificate) -> bytes:
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        return handle.read()


def upload(client, data: bytes, name="document.pdf"):
    return client.post("/verify/", {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def api_upload(client, data: bytes):
    return client.post("/api/v1/verify/", {"file": SimpleUploadedFile("d.pdf", data, content_type="application/pdf")})


def modified_copy(data: bytes) -> bytes:
    changed = bytearray(data)
    index = changed.index(b"/MediaBox")
    changed[index + 1 : index + 9] = b"Mediabox"
    return bytes(changed)


def appended_update(data: bytes) -> bytes:
    """An incremental update after the seal (what an editor saving the file does)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    writer.root["/Lang"] = writer.root.get("/Lang", "fr")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_page_offers_a_labelled_file_input_and_drop_zone(client):
    response = client.get("/verify/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in html and 'accept="application/pdf,.pdf"' in html
    assert "data-dropzone" in html and "verify-upload.js" in html
    assert '<label for="id_file">' in html


def test_the_issued_pdf_is_authentic(client, issued):
    response = upload(client, stored_bytes(issued))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Document authentique" in html
    assert issued.number in html and issued.sha256 in html
    assert "Sceau de démonstration du portail CQP" in html


def test_a_modified_copy_is_modified(client, issued):
    html = upload(client, modified_copy(stored_bytes(issued))).content.decode()
    assert "Document modifié" in html
    assert "Document authentique" not in html


def test_bytes_added_after_the_seal_are_a_modification(client, issued):
    html = upload(client, appended_update(stored_bytes(issued))).content.decode()
    assert "Document modifié" in html


def test_a_revoked_certificate_is_revoked(client, issued, branch_admin):
    services.certificate_revoke(certificate=issued, by=branch_admin, reason="Erreur d'identité")
    html = upload(client, stored_bytes(issued)).content.decode()
    assert "Document révoqué" in html and "Erreur d&#x27;identité" in html


def test_an_unsealed_pdf_is_unknown(client, issued):
    html = upload(client, render_html("<p>Faux certificat</p>")).content.decode()
    assert "Document inconnu" in html


def test_not_a_pdf_and_too_large_are_field_errors(client, settings):
    response = upload(client, b"GIF89a not a pdf", name="x.pdf")
    assert response.status_code == 400
    assert "Ce fichier n’est pas un PDF." in response.content.decode()
    settings.VERIFY_UPLOAD_MAX_BYTES = 1024
    response = upload(client, b"%PDF-1.7\n" + b"0" * 2048)
    assert response.status_code == 400 and "trop volumineux" in response.content.decode()


def test_the_api_gives_the_same_verdicts(client, issued):
    data = stored_bytes(issued)
    body = api_upload(client, data).json()
    assert body["verdict"] == "authentic" and body["sha256"] == issued.sha256
    assert body["seal"]["state"] == "valid" and "Sceau de démonstration" in body["seal"]["signer"]
    assert body["certificate"]["number"] == issued.number
    assert "authentique" in body["message"]
    modified = api_upload(client, modified_copy(data)).json()
    assert modified["verdict"] == "modified" and modified["certificate"] is None
    unknown = api_upload(client, render_html("<p>x</p>")).json()
    assert unknown["verdict"] == "unknown"


def test_the_api_refuses_bad_input_with_the_error_shape(client):
    response = client.post("/api/v1/verify/", {})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "required" and "file" in body["fields"]
    response = api_upload(client, b"hello")
    assert response.status_code == 400 and response.json()["code"] == "not_pdf"


def test_uploads_are_rate_limited(client, settings, issued):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "10/min", "verify": "2/min"},
    }
    data = render_html("<p>x</p>")
    statuses = [upload(client, data).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_holder_downloads_the_pdf_and_anyone_uploading_it_gets_authentic(client, issued, holder_user):
    client.force_login(holder_user)
    response = client.get(f"/certificats/{issued.pk}/pdf/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    client.logout()
    assert "Document authentique" in upload(client, data).content.decode()
    assert "Document modifié" in upload(client, modified_copy(data)).content.decode()


def test_a_document_issued_before_the_seal_is_found_by_its_hash(client, issued):
    """Certificates issued unsealed (before the seal existed) stay verifiable by their SHA-256."""
    import hashlib

    from juries.certificates.models import Certificate

    legacy = render_html("<p>Certificat délivré avant le sceau</p>")
    Certificate.objects.filter(pk=issued.pk).update(sha256=hashlib.sha256(legacy).hexdigest())
    body = api_upload(client, legacy).json()
    assert body["verdict"] == "authentic" and body["seal"]["state"] == "unsigned"
    assert "avant que les documents soient scellés" in body["message"]
