"""Security headers on every kind of page, and no inline script or style left in templates."""

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db]

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/connexion/", "/mot-de-passe/oublie/", "/livez", "/api/v1/branches/"])
def test_pages_and_api_carry_the_security_headers(client, url):
    response = client.get(url)
    csp = directives(response["Content-Security-Policy"])
    for name, value in EXPECTED_CSP.items():
        assert csp[name] == value, (url, name, csp.get(name))
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_a_logged_in_page_carries_them_too(client, candidate_user):
    client.force_login(candidate_user)
    response = client.get("/parcours/")
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"])["script-src"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_docs_relax_styles_only_and_load_their_script_from_a_file(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    csp = directives(response["Content-Security-Policy"])
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self' 'unsafe-inline'"  # Swagger UI's own inline styles
    html = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not inline_scripts, inline_scripts
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def _template_files():
    return [p for p in TEMPLATES.rglob("*.html") if "locale" not in p.parts]


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in _template_files():
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: inline {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(TEMPLATES)}: event handler {match.group(0).strip()}")
        if "javascript:" in text:
            offenders.append(f"{path.relative_to(TEMPLATES)}: javascript: URL")
    assert not offenders, "\n".join(offenders)


def test_no_template_has_a_style_attribute_or_block():
    offenders = []
    for path in _template_files():
        text = path.read_text()
        if re.search(r"\sstyle\s*=\s*[\"']", text) or "<style" in text:
            offenders.append(str(path.relative_to(TEMPLATES)))
    # PDF templates are rendered by WeasyPrint, never served as pages: their CSS may be inline.
    offenders = [o for o in offenders if "pdf" not in o]
    assert not offenders, offenders
