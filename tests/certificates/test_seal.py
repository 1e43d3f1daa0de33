"""PAdES seals, validated independently with pyHanko's validation API against the demo root
(not through the portal's own validation module)."""

import io
import subprocess
import sys

import pytest
from django.core.files.storage import default_storage
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from juries.certificates import services
from juries.certificates.models import CertificateState
from juries.certificates.signing import SealError, keys
from juries.certificates.signing.pades import FIELD_NAME
from juries.certificates.tasks import TRANSIENT_ERRORS

pytestmark = pytest.mark.django_db

PYHANKO_VALIDATE = [sys.executable, "-m", "pyhanko", "sign", "validate"]


def stored_bytes(certificate) -> bytes:
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        return handle.read()


def demo_root_path() -> str:
    return str(keys.demo_directory() / keys.DEMO_ROOT)


def pyhanko_status(data: bytes, root: str | None = None):
    context = ValidationContext(trust_roots=[load_cert_from_pemder(root or demo_root_path())], allow_fetching=False)
    [signature] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return signature, validate_pdf_signature(signature, context)


def test_an_issued_certificate_is_sealed_intact_trusted_by_the_demo_root(issued):
    data = stored_bytes(issued)
    signature, status = pyhanko_status(data)
    assert signature.field_name == FIELD_NAME
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert "Sceau de démonstration du portail CQP" in status.signing_cert.subject.human_friendly
    assert "DÉMONSTRATION" in status.signing_cert.subject.human_friendly
    # PAdES baseline: the ETSI subfilter, the signing certificate attribute (B-B).
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert issued.number in str(signature.sig_object["/Reason"])
    # The recorded hash is the sealed file's.
    import hashlib

    assert hashlib.sha256(data).hexdigest() == issued.sha256


def test_the_cli_validates_the_certificate_and_names_the_signer(issued, tmp_path):
    path = tmp_path / "certificate.pdf"
    path.write_bytes(stored_bytes(issued))
    result = subprocess.run(
        [*PYHANKO_VALIDATE, "--trust", demo_root_path(), "--trust-replace", "--pretty-print", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sceau de démonstration du portail CQP" in result.stdout
    assert "The signature is judged VALID" in result.stdout


def test_a_byte_changed_in_the_content_breaks_the_seal(issued):
    data = bytearray(stored_bytes(issued))
    index = data.index(b"/MediaBox")  # inside the signed byte range
    data[index + 1 : index + 9] = b"Mediabox"
    _signature, status = pyhanko_status(bytes(data))
    assert not status.intact
    assert not status.bottom_line


def test_a_seal_by_another_ca_is_not_trusted(issued, settings, tmp_path):
    """Another demo set (another root) seals a document: the first root does not trust it."""
    from juries.certificates.signing import pades

    root = demo_root_path()
    settings.SEAL_DIR = tmp_path / "other"
    other = pades.seal_pdf(_plain_pdf())
    _signature, status = pyhanko_status(other, root)
    assert status.intact and status.valid
    assert not status.trusted


def _plain_pdf() -> bytes:
    from juries.certificates.pdf import render_html

    return render_html("<p>Document</p>")


def test_a_sealing_failure_leaves_the_certificate_pending_with_the_error(
    award, settings, django_capture_on_commit_callbacks
):
    settings.SEAL_DEMO = False
    settings.SEAL_PKCS12_FILE = ""
    with django_capture_on_commit_callbacks(execute=False):
        [certificate] = services.certificate_issue_for_decision(decision=award)
    # What the Celery task runs; SealError is in its autoretry list (tasks.TRANSIENT_ERRORS).
    with pytest.raises(SealError):
        services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.state == CertificateState.PENDING
    assert not certificate.pdf and not certificate.sha256
    assert "no seal configured" in certificate.error
    assert certificate.attempts == 1
    assert SealError in TRANSIENT_ERRORS
    # Once the seal is back, the retry issues it sealed.
    settings.SEAL_DEMO = True
    assert services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.state == CertificateState.ISSUED and certificate.error == ""
    _signature, status = pyhanko_status(stored_bytes(certificate))
    assert status.bottom_line


def test_the_demo_material_lives_under_var_not_in_the_repository():
    directory = keys.demo_directory()
    assert directory.parts[-2:] == ("var", "seal") or "var" in directory.parts
    tracked = subprocess.run(["git", "ls-files", "--", str(directory)], capture_output=True, text=True, check=False)
    assert tracked.stdout.strip() == ""


def test_a_configured_seal_is_used_and_rotation_keeps_old_documents_verifiable(settings, tmp_path):
    """Production-like: PKCS#12 and trust roots from the settings. After a rotation to a seal
    from another CA, documents sealed before still verify while the old root stays listed."""
    from juries.certificates.pdf import render_html
    from juries.certificates.signing import pades
    from juries.certificates.signing.validation import SealState, check_seal

    old, new = tmp_path / "old", tmp_path / "new"
    for directory in (old, new):
        directory.mkdir()
        keys._generate_demo(directory)
    settings.SEAL_DEMO = False
    settings.SEAL_PKCS12_PASSWORD = keys.DEMO_SEAL_PASSWORD.decode()
    settings.SEAL_PKCS12_FILE = str(old / keys.DEMO_SEAL)
    settings.SEAL_TRUST_ROOTS = [str(old / keys.DEMO_ROOT)]
    before = pades.seal_pdf(render_html("<p>Avant la rotation</p>"))
    assert check_seal(before).state == SealState.VALID

    settings.SEAL_PKCS12_FILE = str(new / keys.DEMO_SEAL)
    settings.SEAL_TRUST_ROOTS = [str(old / keys.DEMO_ROOT), str(new / keys.DEMO_ROOT)]
    after = pades.seal_pdf(render_html("<p>Après la rotation</p>"))
    assert check_seal(after).state == SealState.VALID
    assert check_seal(before).state == SealState.VALID
    # Why the old root must stay listed: without it the old documents are no longer trusted.
    settings.SEAL_TRUST_ROOTS = [str(new / keys.DEMO_ROOT)]
    assert check_seal(before).state == SealState.UNTRUSTED


def test_a_missing_seal_file_stops_start_up_with_one_line():
    from tests.foundation.test_settings import assert_one_line_error, manage, production_env

    result = manage("check", **production_env(SEAL_PKCS12_FILE="/nonexistent/seal.p12"))
    assert_one_line_error(result, "SEAL_PKCS12_FILE")


def test_sealing_and_checking_work_inside_a_running_event_loop():
    """pyHanko calls asyncio.run(): under an ASGI server (or Playwright's loop in the tests) a
    loop already runs in the thread; the seal must still be made, never silently skipped."""
    import asyncio

    from juries.certificates.signing import pades
    from juries.certificates.signing.validation import SealState, check_seal

    async def inside_a_loop():
        sealed = pades.seal_pdf(_plain_pdf())
        return sealed, check_seal(sealed).state

    sealed, state = asyncio.run(inside_a_loop())
    assert state == SealState.VALID
    _signature, status = pyhanko_status(sealed)
    assert status.bottom_line
