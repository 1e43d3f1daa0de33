"""PDF rendering of certificates and attestations with WeasyPrint.

Measured (design.md): reusing one FontConfiguration and a pre-parsed stylesheet across
renders keeps memory flat and saves ~25 %; a table layout is faster than grid/flex. Both
are cached per worker process here. The QR code is a small PNG inlined as a data URI: as
inline SVG (one path of ~700 segments) WeasyPrint's Python path parser spent 45-80 ms per
document on it, a third of the render. WeasyPrint fetches nothing but the project's own
static files (fonts, optional branch logos) and that inline PNG: a template cannot make the
worker read /etc/passwd or call a URL.
"""

import base64
import binascii
import collections
import io
import logging
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = Path(settings.BASE_DIR) / "static"
STYLESHEET_TEMPLATE = "certificates/pdf/certificate.css"
# Certificates are French official documents, whatever the language of the person asking.
DOCUMENT_LANGUAGE = "fr"
LOGO_DIR = "img/branch-logos"

# 8 pixels per QR module: 37 modules (version 5) make a 296 px image for 28 mm, ~270 dpi,
# sharp even where a viewer ignores ``image-rendering: pixelated``.
QR_MODULE_PX = 8
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INLINE_PNG_PREFIX = "data:image/png;base64,"
INLINE_PNG_MAX_BYTES = 64 * 1024
# Last URLs served and refused, for tests and debugging: bounded, a worker renders thousands.
FETCH_LOG_SIZE = 50

# Seven INFO lines per document would drown a worker's log over a batch of thousands.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class FetchRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serves files under ``static/`` and inline PNG images (``data:image/png;base64``, small,
    with a PNG signature: the QR code) only; every other URL (http, https, other data URIs,
    file elsewhere) is refused and recorded in ``refused``. WeasyPrint then skips the resource."""

    def __init__(self, root: Path = STATIC_DIR):
        super().__init__(timeout=1, allow_redirects=False)
        self.root = root.resolve()
        self.refused: collections.deque[str] = collections.deque(maxlen=FETCH_LOG_SIZE)
        self.served: collections.deque[str] = collections.deque(maxlen=FETCH_LOG_SIZE)

    def fetch(self, url, headers=None):
        if url.startswith(INLINE_PNG_PREFIX):
            return self._inline_png(url)
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" and not parts.netloc else None
        if path is None or not path.is_relative_to(self.root) or not path.is_file():
            self.refused.append(url)
            raise FetchRefused(f"not a static file of the project: {url[:80]}")
        self.served.append(url)
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime_type})

    def _inline_png(self, url: str):
        """Bytes carried by the URL itself: nothing is read from disk or the network."""
        payload = url[len(INLINE_PNG_PREFIX) :]
        try:
            body = base64.b64decode(payload, validate=True) if len(payload) <= INLINE_PNG_MAX_BYTES * 4 // 3 else b""
        except (binascii.Error, ValueError):
            body = b""
        if not body.startswith(PNG_SIGNATURE):
            self.refused.append(url[:80])
            raise FetchRefused(f"not an inline PNG image: {url[:80]}")
        # Not logged in ``served`` (static files): one per document would push those out.
        return URLFetcherResponse(url[:40], body=body, headers={"Content-Type": "image/png"})


def static_base_url() -> str:
    return STATIC_DIR.resolve().as_uri() + "/"


class _Cache(threading.local):
    """One per worker thread (a Celery prefork child has one): fonts and parsed CSS."""

    font_config = None
    stylesheet = None
    fetcher = None


_cache = _Cache()


def cached_resources():
    if _cache.stylesheet is None:
        _cache.font_config = FontConfiguration()
        _cache.fetcher = StaticOnlyFetcher()
        # The same FontConfiguration goes to CSS() and write_pdf(), or @font-face fonts vanish.
        _cache.stylesheet = CSS(
            string=stylesheet_source(),
            base_url=static_base_url(),
            url_fetcher=_cache.fetcher,
            font_config=_cache.font_config,
        )
    return _cache.font_config, _cache.stylesheet


def stylesheet_source() -> str:
    return get_template(STYLESHEET_TEMPLATE).template.source


def qr_png_data_uri(url: str) -> str:
    """The QR code of ``url`` as an inline PNG (the template shows it with crisp edges)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=QR_MODULE_PX, border=0, dark="#000", light="#fff")
    return INLINE_PNG_PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def branch_logo_url(certificate) -> str:
    """An optional logo shipped as static/img/branch-logos/<IDCC>.png|svg (first owning branch)."""
    for branch in certificate.certification.branches.all():
        for ext in ("svg", "png"):
            candidate = STATIC_DIR / LOGO_DIR / f"{branch.idcc}.{ext}"
            if candidate.is_file():
                return f"{LOGO_DIR}/{branch.idcc}.{ext}"
    return ""


def template_name(certificate) -> str:
    return f"certificates/pdf/{certificate.kind}.html"


# Characters of text the title and the block list may carry before the layout tightens
# (see ``density``). Measured on the France compétences sample: a 72-character title with
# 10 blocks (~900) still fits at the "compact" size; 12 long blocks (~1,800) need "dense".
COMPACT_FROM = 600
DENSE_FROM = 1100
# A block row costs about as much height as this many characters of title (code, borders).
BLOCK_ROW_CHARS = 25


def density(certificate, blocks) -> str:
    """A CSS class on the page, from how much text the variable parts carry: one A4 page must
    hold the whole document, closing sentence and number included, whatever the register's
    longest titles and block lists. Counting characters costs nothing; measuring a first
    render and retrying would double the render time."""
    titles = [b.title for b in blocks]
    if certificate.block_id:
        titles.append(certificate.block.title)
    size = len(certificate.certification_title) + sum(len(t) + BLOCK_ROW_CHARS for t in titles)
    if size >= DENSE_FROM:
        return "dense"
    return "compact" if size >= COMPACT_FROM else ""


def document_html(certificate) -> str:
    blocks = list(certificate.blocks.all())
    context = {
        "c": certificate,
        "blocks": blocks,
        "density": density(certificate, blocks),
        "qr_src": qr_png_data_uri(certificate.verification_url),
        "logo_url": branch_logo_url(certificate),
    }
    with translation.override(DOCUMENT_LANGUAGE):
        return render_to_string(template_name(certificate), context)


def render_html(html: str, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    font_config, stylesheet = cached_resources()
    document = HTML(string=html, base_url=static_base_url(), url_fetcher=fetcher or _cache.fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)


def render_certificate(certificate) -> bytes:
    return render_html(document_html(certificate))
