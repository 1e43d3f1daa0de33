import io
import re

import pytest
import segno
from django.core.files.storage import default_storage
from pypdf import PdfReader

from juries import models as jury
from juries.certificates import pdf, services
from tests.factories.certificates import award_setup, closed_session, final_decision

pytestmark = pytest.mark.django_db


def pdf_text(certificate) -> tuple[str, int]:
    with default_storage.open(certificate.pdf.name, "rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Words wrapped at a line end are joined again for the searches below.
    return re.sub(r"\s+", " ", text), len(reader.pages)


def test_the_certificate_shows_every_mandatory_mention(issued):
    text, pages = pdf_text(issued)
    assert pages == 1
    c = issued
    assert f"{c.holder_first_names} {c.holder_birth_name.upper()}" in text
    assert "Serveur en restauration" in text  # exact registered title
    assert c.number in text
    assert "Certificat de qualification professionnelle" in text
    assert c.certifier_name in text and "IDCC" in text  # certifier: CPNE with branch names
    assert c.registration_number in text and "15/01/2024" in text  # RNCP number, decision date
    assert "Niveau 3" in text
    assert "334t" in text  # NSF
    assert "né(e) le 17/05/1990" in text and "Paris" in text  # holder identity
    assert "Fait à Paris, le 30/06/2026" in text  # date and place of award
    assert "Président du jury" in text and c.signatory_name in text  # signature block
    assert c.verification_url in text.replace(" ", "")  # verification link (QR code next to it)


def test_the_partial_attestation_lists_the_validated_blocks(branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch)
    decision = final_decision(
        closed_session(certification), version=version, outcome=jury.Outcome.PARTIAL, validated=["BC02"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        [attestation] = services.certificate_issue_for_decision(decision=decision)
    attestation.refresh_from_db()
    text, _ = pdf_text(attestation)
    assert "Attestation de validation partielle" in text
    block = version.blocks.get(code="BC02")
    assert f"BC02 {block.title}" in text
    assert "BC01" not in text
    assert attestation.holder_birth_name.upper() in text and attestation.number in text


def test_the_block_attestation_names_the_block_and_its_certification(branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch, issue_block_attestations=True)
    decision = final_decision(
        closed_session(certification), version=version, outcome=jury.Outcome.PARTIAL, validated=["BC01"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        documents = services.certificate_issue_for_decision(decision=decision)
    [attestation] = [d for d in documents if d.kind == "block_attestation"]
    attestation.refresh_from_db()
    text, _ = pdf_text(attestation)
    assert "Attestation de validation d'un bloc de compétences" in text
    assert f"BC01 — {version.blocks.get(code='BC01').title}" in text
    assert "Serveur en restauration" in text and attestation.number in text


def test_an_unregistered_cqp_says_so(branch, django_capture_on_commit_callbacks):
    certification, version = award_setup(branch, register=None, code="cqp-animateur", title="Animateur périscolaire")
    decision = final_decision(closed_session(certification), version=version)
    with django_capture_on_commit_callbacks(execute=True):
        [certificate] = services.certificate_issue_for_decision(decision=decision)
    certificate.refresh_from_db()
    text, _ = pdf_text(certificate)
    assert "non enregistrée" in text and "RNCP" not in text.replace("(RNCP)", "")


def test_fonts_are_the_shipped_ones_and_reused_across_renders():
    font_config, stylesheet = pdf.cached_resources()
    assert pdf.cached_resources() == (font_config, stylesheet)
    served = pdf._cache.fetcher.served
    assert any(url.endswith("/static/fonts/DejaVuSans.ttf") for url in served)
    assert any(url.endswith("/static/fonts/DejaVuSerif-Bold.ttf") for url in served)


def test_weasyprint_fetches_nothing_outside_the_static_files(monkeypatch):
    # Were the default fetcher used, this would fail the test instead of opening anything.
    from weasyprint.urls import URLFetcher

    monkeypatch.setattr(URLFetcher, "open", lambda *a, **k: pytest.fail("a URL was opened"))
    fetcher = pdf.StaticOnlyFetcher()
    html = """<html><body>
      <img src="http://example.org/x.png"><img src="https://example.org/y.png">
      <img src="file:///etc/passwd"><img src="../../../../../../etc/hosts">
      <img src="data:image/svg+xml;base64,PHN2Zy8+"><img src="data:text/html,<b>x</b>">
      <img src="data:image/png;base64,R0lGODlhAQABAAAAACw=">
      <link rel="stylesheet" href="http://example.org/evil.css">
      <p style="background: url('file:///etc/hostname')">x</p>
    </body></html>"""
    content = pdf.render_html(html, fetcher=fetcher)
    assert content.startswith(b"%PDF")
    assert list(fetcher.served) == []
    refused = " ".join(fetcher.refused)
    for url in ("http://example.org/x.png", "https://example.org/y.png", "file:///etc/passwd", "data:image/svg+xml"):
        assert url in refused
    assert "data:text/html" in refused
    assert "data:image/png;base64,R0lGOD" in refused  # a GIF calling itself PNG
    assert "file:///etc/hosts" in refused  # a relative climb out of static/ too
    assert b"root:" not in content


def test_the_qr_code_in_the_pdf_is_the_verification_url(issued):
    """The QR is an inline PNG (cheaper to lay out than an SVG path): its modules, read back
    from the PDF, are exactly segno's QR code of the verification URL."""
    with default_storage.open(issued.pdf.name, "rb") as handle:
        [image] = PdfReader(io.BytesIO(handle.read())).pages[0].images
    picture = image.image.convert("L")
    expected = segno.make(issued.verification_url, error="m").matrix
    size = len(expected)
    assert picture.size == (size * pdf.QR_MODULE_PX, size * pdf.QR_MODULE_PX)
    half = pdf.QR_MODULE_PX // 2
    read = [
        [picture.getpixel((x * pdf.QR_MODULE_PX + half, y * pdf.QR_MODULE_PX + half)) < 128 for x in range(size)]
        for y in range(size)
    ]
    assert read == [[bool(module) for module in row] for row in expected]


def test_an_inline_png_is_served_from_the_url_itself():
    fetcher = pdf.StaticOnlyFetcher()
    uri = pdf.qr_png_data_uri("https://cqp.example.org/verify/abc/")
    assert fetcher.fetch(uri).read().startswith(pdf.PNG_SIGNATURE)
    with pytest.raises(ValueError):
        fetcher.fetch(pdf.INLINE_PNG_PREFIX + "A" * (pdf.INLINE_PNG_MAX_BYTES * 2))  # too big to be a QR code


def test_the_fetcher_serves_static_files_only():
    fetcher = pdf.StaticOnlyFetcher()
    response = fetcher.fetch(pdf.static_base_url() + "fonts/DejaVuSans.ttf")
    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    with pytest.raises(ValueError):
        fetcher.fetch(pdf.static_base_url() + "../manage.py")
