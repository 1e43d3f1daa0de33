"""The jury minutes (PV) are sealed like the certificates: validated here with pyHanko's own
validation API against the demo root, not through the portal's verification module."""

import hashlib
import io

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from juries import services
from juries.certificates.signing import SealError, keys
from juries.models import SessionState
from tests.juries.conftest import current_decision, decide

pytestmark = pytest.mark.django_db


def test_the_minutes_are_sealed_and_their_hash_is_the_sealed_file(
    deliberating, path, jury_member, django_capture_on_commit_callbacks
):
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=deliberating, by=jury_member)
    deliberating.refresh_from_db()
    data = deliberating.pv_file.read()
    assert hashlib.sha256(data).hexdigest() == deliberating.pv_sha256
    root = load_cert_from_pemder(str(keys.demo_directory() / keys.DEMO_ROOT))
    [signature] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.bottom_line and "Sceau de démonstration" in status.signing_cert.subject.human_friendly
    assert "Procès-verbal" in str(signature.sig_object["/Reason"])


def test_a_seal_failure_stores_no_minutes(
    deliberating, path, jury_member, settings, django_capture_on_commit_callbacks
):
    decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with django_capture_on_commit_callbacks(execute=False):
        services.jury_session_close(session=deliberating, by=jury_member)
    settings.SEAL_DEMO = False
    settings.SEAL_PKCS12_FILE = ""
    with pytest.raises(SealError):
        services.jury_session_generate_minutes(session=deliberating)
    deliberating.refresh_from_db()
    assert deliberating.state == SessionState.CLOSED
    assert not deliberating.pv_file and not deliberating.pv_sha256


def test_the_minutes_uploaded_to_the_verification_are_authentic(
    client, deliberating, path, jury_member, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    decide(current_decision(path), jury_member, {"BC01": True, "BC02": True, "BC03": True})
    with django_capture_on_commit_callbacks(execute=True):
        services.jury_session_close(session=deliberating, by=jury_member)
    deliberating.refresh_from_db()
    data = deliberating.pv_file.read()
    body = client.post("/api/v1/verify/", {"file": SimpleUploadedFile("pv.pdf", data, "application/pdf")}).json()
    assert body["verdict"] == "authentic" and body["certificate"] is None
    assert body["minutes"] == {"session_date": deliberating.date.isoformat(), "version": 1, "approved": False}
    assert "procès-verbal du jury national" in body["message"]
