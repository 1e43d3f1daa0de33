"""The session minutes (procès-verbal) as a PDF, with WeasyPrint.

WeasyPrint may fetch nothing but the project's own static files: no network, no file://
(the template is ours, but names and reasons typed by people end up in it).
"""

import mimetypes
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML, URLFetcher
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcherResponse

# A base URL that resolves nowhere: relative and /static/ URLs land under it, everything
# else (http, https elsewhere, file, data) is refused by the fetcher below.
BASE_URL = "https://static.cqp-portal.invalid/"

# Reused across renders in one worker: faster, and fonts stay registered (design.md).
_font_config = None


def font_config() -> FontConfiguration:
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


class StaticOnlyURLFetcher(URLFetcher):
    """Serves ``{% static %}`` URLs from the project's static files; refuses anything else."""

    def __init__(self):
        super().__init__(allowed_protocols=("https",), allow_redirects=False)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        base = urlsplit(BASE_URL)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(settings.STATIC_URL):
            raise ValueError(f"refused to fetch {url!r}: only the project's static files are allowed")
        relative = parts.path[len(settings.STATIC_URL) :]
        if ".." in relative.split("/"):
            raise ValueError(f"refused to fetch {url!r}")
        found = finders.find(relative)
        if not found:
            raise ValueError(f"no static file {relative!r}")
        with open(found, "rb") as handle:
            body = handle.read()
        mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": mime})


def render_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher()).write_pdf(font_config=font_config())


def minutes_context(session) -> dict:
    from juries import selectors
    from juries.services import vote_adopted

    members = list(session.members.select_related("user").order_by("-is_president", "college", "pk"))
    member_by_id = {m.pk: m for m in members}
    dossiers = []
    for table in selectors.deliberation_grid(session):
        for row in table.rows:
            decision = row.decision
            block_decisions = {bd.block_id: bd for bd in decision.block_decisions.all()} if decision else {}
            dossiers.append(
                {
                    "row": row,
                    "path": row.dossier.path,
                    "decision": decision,
                    "blocks": [(b, block_decisions.get(b.pk)) for b in table.blocks],
                    "excluded": [(member_by_id[mid], why) for mid, why in row.excluded.items() if mid in member_by_id],
                    "votes": list(decision.votes.all()) if decision else [],
                    "adopted": vote_adopted(decision, decision.votes.all()) if decision else None,
                }
            )
    return {
        "session": session,
        "certifications": list(session.certifications.all()),
        "members": members,
        "present": [m for m in members if m.present],
        "absent": [m for m in members if not m.present],
        "president": next((m for m in members if m.is_president), None),
        "vice_president": next((m for m in members if m.is_vice_president), None),
        "dossiers": dossiers,
        "rules": selectors.composition_rules(session),
    }


def render_minutes(session, approvals=()) -> bytes:
    """The minutes; with ``approvals`` (president and vice-president), the approved edition
    that prints who approved, when, and the SHA-256 of the file they approved."""
    # The minutes are an official French document, whatever the language of whoever closed.
    with translation.override("fr"):
        context = {**minutes_context(session), "approvals": list(approvals), "version": session.pv_version}
        html = render_to_string("juries/pv.html", context)
    return render_pdf(html)
