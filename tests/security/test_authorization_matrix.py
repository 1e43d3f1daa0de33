"""Every URL of the project × every persona × every method it accepts: the expected status,
and for writes whether the database changed (a refused write changes nothing).

Cells read ``"<status>"`` or ``"<status>+"`` when the request changed data (any table but
sessions; each request runs in a savepoint rolled back afterwards, so the world is the same
for every request). A URL the resolver knows but ``MATRIX`` does not fails the test by name:
add its row when you add a URL. ``SECURITY_MATRIX_RECORD=1`` writes the observed matrix to
var/test-artifacts/authorization-matrix.py, to review before pasting it here.
"""

import json
import logging
import os
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.security.conftest import PERSONAS, writes_so_far

pytestmark = [pytest.mark.django_db]

# Not in the matrix, on purpose (each with why):
SKIPPED_PREFIXES = {
    "admin/": "Django admin: staff only by Django itself; the audit admin is tested read-only in test_audit.py",
}
SKIPPED_NAMES = {
    "api-schema": "OpenAPI schema: public documentation of the API, no data (tests/api checks it)",
    "api-docs": "Swagger UI over the schema: public, no data (its CSP is tested in test_headers.py)",
}
# Unnamed patterns: the URL the matrix requests for each.
UNNAMED_URLS = {"api/v1/^.*$": "/api/v1/no-such-endpoint/"}
# DRF routers add a ".json"-style twin to each route: same view, same checks.
FORMAT_SUFFIX = re.compile(r"\(\?P<format>|\.\(\?P<format")  # DRF's format_suffix_patterns routes

WRITE_METHODS = ("post", "put", "patch", "delete")


def enumerate_urls():
    """(name, route, callback) of every named pattern, recursively, namespaced."""
    seen = {}

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), (f"{namespace}:{p.name}" if namespace and p.name else p.name), p

    for route, name, pattern in walk(get_resolver().url_patterns, "", None):
        if any(route.startswith(prefix) for prefix in SKIPPED_PREFIXES):
            continue
        if FORMAT_SUFFIX.search(route):
            continue
        if not name:
            assert route in UNNAMED_URLS, f"unnamed URL pattern {route!r}: name it (or add it to UNNAMED_URLS)"
            name = f"unnamed {route}"
        seen.setdefault(name, (route, pattern.callback))
    return seen


def methods_of(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # DRF viewset route
        # DRF adds "head" to a GET route's actions the first time the route is called, so
        # the set depends on what ran before in the process: HEAD behaves as GET anyway.
        return sorted(a for a in actions if a not in ("head", "options"))
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is not None:
        return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]
    allowed = _declared_methods(callback)
    if allowed is not None:  # require_POST, require_GET, require_http_methods
        return [m for m in ("get", "post", "put", "patch", "delete") if m.upper() in allowed]
    return ["get", "post"]  # plain function views take any method: GET and POST are the ones used


def _declared_methods(func):
    """The method list a ``require_http_methods`` decorator closed over, anywhere in the wraps chain."""
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            value = cell.cell_contents
            if isinstance(value, list) and value and all(isinstance(v, str) and v.isupper() for v in value):
                return set(value)
        func = getattr(func, "__wrapped__", None)
    return None


def url_kwargs(w) -> dict:
    """Arguments to reverse each URL against the world (A's objects, so the matrix is about A)."""
    p, s, fl = w.path_a, w.session, w.funding_line
    cert = w.certificate
    from juries.certificates.models import CdcExportJob

    cdc_job = CdcExportJob.objects.create(created_by=w.users["admin_a"])  # A's own export request
    from cqp_portal.accounts.api_auth import new_personal_token

    a_token, _key = new_personal_token(user=w.users["candidate_a"], name="Script", days=30)  # A's own API token
    return {
        "access_token_revoke": {"pk": a_token.pk},
        "password_reset_confirm": {
            "uidb64": urlsafe_base64_encode(force_bytes(w.users["candidate_a"].pk)),
            "token": "set-password",
        },
        "branch-detail": {"pk": w.certification.branches.first().pk},
        "certification-detail": {"pk": w.certification.pk},
        "referential-version-detail": {"pk": w.version.pk},
        "referential-version-blocks": {"pk": w.version.pk},
        "referential-version-new-version": {"pk": w.version.pk},
        "referential-version-publish": {"pk": w.version.pk},
        "referential-version-correspondence": {"pk": w.version.pk},
        "referential-version-retire": {"pk": w.version.pk},
        "habilitation-detail": {"pk": w.habilitation.pk},
        "habilitation-end": {"pk": w.habilitation.pk},
        "equivalence-detail": {"pk": w.equivalence.pk},
        "candidate-detail": {"pk": w.candidate_a.pk},
        "candidate-identity": {"pk": w.candidate_a.pk},
        "path-detail": {"pk": p.pk},
        "path-transition": {"pk": p.pk, "name": "withdraw"},
        "assessment-detail": {"pk": w.assessment.pk},
        "evidence-detail": {"pk": w.evidence.pk},
        "experience-record-detail": {"pk": w.experience.pk},
        "jury-session-detail": {"pk": s.pk},
        "jury-session-transitions": {"pk": s.pk, "name": "convene"},
        "jury-session-approve-minutes": {"pk": s.pk},
        "jury-member-detail": {"pk": w.member_a.pk},
        "jury-dossier-detail": {"pk": w.dossier.pk},
        "jury-decision-detail": {"pk": w.decision.pk},
        "jury-decision-appeal": {"pk": w.final_decision.pk},
        "jury-decision-correct": {"pk": w.final_decision.pk},
        "certificate-detail": {"pk": cert.pk},
        "certificate-reissue": {"pk": cert.pk},
        "certificate-revoke": {"pk": cert.pk},
        "certificate-cdc-redeposit": {"pk": cert.pk},
        "funding-line-detail": {"pk": fl.pk},
        "funding-line-transitions": {"pk": fl.pk, "name": "approve"},
        "certifications:certification": {"pk": w.certification.pk},
        "certifications:version_new": {"pk": w.certification.pk},
        "certifications:habilitations": {"pk": w.certification.pk},
        "certifications:equivalences": {"pk": w.certification.pk},
        "certifications:version": {"pk": w.version.pk},
        "certifications:version_publish": {"pk": w.version.pk},
        "certifications:version_retire": {"pk": w.version.pk},
        "certifications:version_delete": {"pk": w.version.pk},
        "certifications:version_diff": {"pk": w.version.pk},
        "certifications:version_export": {"pk": w.version.pk},
        "certifications:activities": {"pk": w.version.pk},
        "certifications:block_add": {"version_pk": w.version.pk},
        "certifications:block_edit": {"version_pk": w.version.pk, "block_pk": w.blocks[0].pk},
        "certifications:block_remove": {"pk": w.blocks[2].pk},
        "certifications:block_move": {"pk": w.blocks[1].pk, "direction": "monter"},
        "certifications:habilitation_end": {"pk": w.habilitation.pk},
        "certifications:equivalence_remove": {"pk": w.equivalence.pk},
        "certifications:import_job": {"pk": w.import_job.pk},
        "certifications:import_progress": {"pk": w.import_job.pk},
        "candidates:self_assessment": {"pk": p.pk},
        "candidates:evidence_upload": {"pk": p.pk},
        "candidates:experience": {"pk": w.vae_path_a.pk},
        "candidates:experience_edit": {"pk": w.vae_path_a.pk, "record_pk": w.experience.pk},
        "candidates:experience_delete": {"pk": w.vae_path_a.pk, "record_pk": w.experience.pk},
        "candidates:admissibility_request": {"pk": w.vae_path_a.pk},
        "candidates:evidence_download": {"pk": w.evidence.pk},
        "candidates:path_detail": {"pk": p.pk},
        "candidates:path_transition": {"pk": p.pk, "name": "withdraw"},
        "candidates:path_positioning": {"pk": p.pk},
        "candidates:path_assign": {"pk": p.pk},
        "candidates:course_start": {"pk": p.pk},
        "candidates:course_progress": {"pk": p.pk},
        "candidates:assessment_create": {"pk": p.pk, "block_pk": w.blocks[1].pk},
        "candidates:gdpr_export": {},
        "candidates:gdpr_anonymise": {"pk": w.candidate_a.pk},
        "candidates:candidate_identity": {"pk": w.candidate_a.pk},
        "certificates:verify_json": {"code": cert.verification_code},
        "certificates:verify": {"code": cert.verification_code},
        "certificates:badge": {"code": cert.verification_code},
        "certificates:block_badge": {"code": cert.verification_code, "block_id": w.blocks[0].pk},
        "certificates:badge_jwt": {"code": cert.verification_code},
        "certificates:block_badge_jwt": {"code": cert.verification_code, "block_id": w.blocks[0].pk},
        "certificates:status_list": {"list_number": 0},
        "certificates:detail": {"pk": cert.pk},
        "certificates:download": {"pk": cert.pk},
        "certificates:revoke": {"pk": cert.pk},
        "certificates:reissue": {"pk": cert.pk},
        "certificates:session_progress_json": {"session_id": w.closed_session.pk},
        "certificates:session_progress": {"session_id": w.closed_session.pk},
        "certificates:session_retry": {"session_id": w.closed_session.pk},
        "certificates:cdc_download": {"pk": 999999},  # no export in the world: 404 for everyone
        "certificates:cdc_job": {"pk": cdc_job.pk},
        "certificates:cdc_job_progress": {"pk": cdc_job.pk},
        "certificates:cdc_redeposit": {"pk": cert.pk},
        "juries:session_detail": {"pk": s.pk},
        "juries:member_add": {"pk": s.pk},
        "juries:member_remove": {"pk": s.pk, "member_pk": w.member_a.pk},
        "juries:member_presence": {"pk": s.pk, "member_pk": w.member_a.pk},
        "juries:link_declare": {"pk": s.pk},
        "juries:dossier_add": {"pk": s.pk},
        "juries:dossier_detail": {"pk": s.pk, "dossier_pk": w.dossier.pk},
        "juries:dossier_remove": {"pk": s.pk, "dossier_pk": w.dossier.pk},
        "juries:evidence_download": {"pk": s.pk, "dossier_pk": w.dossier.pk, "evidence_pk": w.evidence.pk},
        "juries:grid": {"pk": s.pk},
        "juries:grid_row_save": {"pk": s.pk, "decision_pk": w.decision.pk},
        "juries:close": {"pk": s.pk},
        "juries:minutes": {"pk": s.pk},
        "juries:approve_minutes": {"pk": s.pk},
        "juries:set_vice_president": {"pk": s.pk},
        "juries:session_action": {"pk": s.pk, "action": "convene"},
        "juries:decision_detail": {"pk": w.final_decision.pk},
        "juries:decision_correct": {"pk": w.final_decision.pk},
        "juries:appeal_file": {"pk": w.final_decision.pk},
        "juries:appeal_decide": {"pk": 999999},  # no appeal in the world: 404 for everyone
        "financing:path_funding": {"path_id": p.pk},
        "financing:line_detail": {"line_id": fl.pk},
        "financing:line_transition": {"line_id": fl.pk, "name": "approve"},
    }


# Writes are sent empty, except where a form or serializer would refuse an empty body before
# the permission is checked: there a valid body makes the matrix about the permission.
REASON = {"reason": "Erreur matérielle constatée sur le document"}
BODIES = {
    "certificate-revoke": REASON,
    "certificate-reissue": REASON,
    "certificates:revoke": REASON,
    "certificates:reissue": REASON,
    "jury-decision-appeal": REASON,
    "juries:appeal_file": REASON,
    "candidates:gdpr_anonymise": {"confirm": "yes", "reason": "Demande d'effacement"},
}


def _request(client, method, url, is_api, body):
    if method == "get":
        return client.get(url)
    if is_api:
        return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    if method == "post":
        return client.post(url, body)
    return getattr(client, method)(url)


def observe(world):
    """{url name: {method: "s s s ..." one cell per persona}} for the whole project."""
    logging.disable(logging.WARNING)  # thousands of expected 403/404 warnings: not worth formatting
    try:
        return _observe(world)
    finally:
        logging.disable(logging.NOTSET)


def _observe(world):
    clients = {}
    for persona in PERSONAS:
        client = Client(raise_request_exception=False)
        if world.users[persona] is not None:
            client.force_login(world.users[persona])
        clients[persona] = client
    kwargs = url_kwargs(world)
    urls = enumerate_urls()
    missing_kwargs = []
    observed = {}
    # Logging out ends the personas' sessions: last.
    for name, (route, callback) in sorted(urls.items(), key=lambda item: (item[0] == "logout", item[0])):
        if name in SKIPPED_NAMES:
            continue
        try:
            url = UNNAMED_URLS[route] if name.startswith("unnamed ") else reverse(name, kwargs=kwargs.get(name) or None)
        except Exception:
            missing_kwargs.append(name)
            continue
        is_api = url.startswith("/api/")
        row = {}
        for method in methods_of(callback):
            cells = []
            for persona in PERSONAS:
                cache.clear()  # rate limits would otherwise depend on the order of the requests
                with transaction.atomic():
                    before = writes_so_far()
                    response = _request(clients[persona], method, url, is_api, BODIES.get(name, {}))
                    changed = writes_so_far() != before
                    transaction.set_rollback(True)
                cells.append(f"{response.status_code}{'+' if changed else ''}")
            row[method.upper()] = " ".join(cells)
        observed[name] = row
    assert not missing_kwargs, f"add the URL arguments of these URLs to url_kwargs(): {missing_kwargs}"
    return observed


def test_every_url_answers_every_persona_as_the_matrix_says(world):
    observed = observe(world)
    if os.environ.get("SECURITY_MATRIX_RECORD"):
        out = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "authorization-matrix.py"
        out.parent.mkdir(parents=True, exist_ok=True)
        lines = ["MATRIX = {"]
        for name, row in observed.items():
            lines.append(f"    {name!r}: {{")
            for method, cells in row.items():
                lines.append(f"        {method!r}: {cells!r},")
            lines.append("    },")
        lines.append("}")
        out.write_text("\n".join(lines) + "\n")
    unknown = sorted(set(observed) - set(MATRIX))
    assert not unknown, f"URLs without an entry in MATRIX (add their expected statuses): {unknown}"
    stale = sorted(set(MATRIX) - set(observed))
    assert not stale, f"MATRIX rows for URLs that no longer exist: {stale}"
    header = " ".join(PERSONAS)
    differences = []
    for name, row in observed.items():
        for method, cells in row.items():
            expected = MATRIX[name].get(method)
            if expected != cells:
                differences.append(
                    f"{name} {method}\n  personas: {header}\n  expected: {expected}\n  observed: {cells}"
                )
    assert not differences, "\n".join(differences)


def test_no_refused_write_changes_anything(world):
    """Redundant with the matrix cells, stated on its own: 4xx answers never come with a change."""
    for name, row in MATRIX.items():
        for method, cells in row.items():
            for persona, cell in zip(PERSONAS, cells.split(), strict=True):
                status = int(cell.rstrip("+"))
                assert not (400 <= status < 500 and cell.endswith("+")), (name, method, persona, cell)


# Personas, in order: anonymous candidate_a candidate_b evaluator_a other_evaluator jury_a
# other_jury admin_a other_admin provider_staff funder_officer staff
MATRIX = {
    "api-root": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "api-me": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "api-token": {
        "POST": "400 400 400 400 400 400 400 400 400 400 400 400",
        "DELETE": "401 204 204 204 204 204 204 204 204 204 204 204",
    },
    "assessment-detail": {
        "GET": "401 200 404 200 404 200 404 200 404 200 200 200",
    },
    "assessment-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "branch-detail": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "branch-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "candidate-detail": {
        "GET": "401 200 404 200 404 200 404 200 404 200 404 200",
    },
    "candidate-identity": {
        "PATCH": "401 403 404 403 404 403 404 200 404 200 404 200",
    },
    "candidate-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "candidates:assessment_create": {
        "GET": "302 302 404 200 404 302 404 302 404 302 302 200",
        "POST": "302 302 404 200 404 302 404 302 404 302 302 200",
    },
    "candidates:candidate_create": {
        "GET": "302 403 403 403 403 403 403 200 200 200 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 200 403 200",
    },
    "candidates:candidate_import": {
        "GET": "302 403 403 403 403 403 403 200 200 200 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 200 403 200",
    },
    "candidates:enrol": {
        "GET": "302 200 200 403 403 403 403 403 403 403 403 404",
        "POST": "302 200 200 403 403 403 403 403 403 403 403 404",
    },
    "candidates:evidence_download": {
        "GET": "302 200 404 200 404 200 404 200 404 200 404 200",
        "POST": "302 200 404 200 404 200 404 200 404 200 404 200",
    },
    "candidates:evidence_upload": {
        "POST": "302 302 404 302 404 302 404 302 404 302 302 302",
    },
    # A's VAE path: the candidate's own admissibility file (others: 403 by role, 404 by scope).
    "candidates:experience": {
        "GET": "302 200 404 403 403 403 403 403 403 403 403 200",
        "POST": "302 200 404 403 403 403 403 403 403 403 403 200",
    },
    "candidates:experience_edit": {
        "GET": "302 200 404 403 403 403 403 403 403 403 403 200",
        "POST": "302 200 404 403 403 403 403 403 403 403 403 200",
    },
    "candidates:experience_delete": {
        "POST": "302 302+ 404 403 403 403 403 403 403 403 403 302+",
    },
    "candidates:admissibility_request": {
        "POST": "302 200 404 403 403 403 403 403 403 403 403 200",
    },
    "candidates:admissibility_requests": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "candidates:candidate_identity": {
        "GET": "302 302 404 302 404 302 404 200 404 200 404 200",
        "POST": "302 302 404 302 404 302 404 200 404 200 404 200",
    },
    "candidates:gdpr_anonymise": {
        "POST": "302 302 404 302 404 302 404 302 404 302 404 302+",
    },
    "candidates:gdpr_export": {
        "GET": "302 200+ 200+ 403 403 403 403 403 403 403 403 404",
        "POST": "302 200+ 200+ 403 403 403 403 403 403 403 403 404",
    },
    "candidates:my_paths": {
        "GET": "302 200 200 403 403 403 403 403 403 403 403 200",
        "POST": "302 200 200 403 403 403 403 403 403 403 403 200",
    },
    "candidates:path_assign": {
        "POST": "302 302 404 302 404 302 404 302+ 404 302+ 302 302+",
    },
    "candidates:path_create": {
        "GET": "302 403 403 403 403 403 403 200 200 200 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 200 403 200",
    },
    "candidates:path_detail": {
        "GET": "302 200 404 200 404 200 404 200 404 200 200 200",
        "POST": "302 200 404 200 404 200 404 200 404 200 200 200",
    },
    "candidates:course_start": {
        "POST": "302 302 404 302 404 302 404 302 404 302 302 302",
    },
    "candidates:course_progress": {
        "POST": "302 302 404 302 404 302 404 302 404 302 302 302",
    },
    "candidates:path_positioning": {
        "POST": "302 302 404 302 404 302 404 302 404 302 302 302",
    },
    "candidates:path_transition": {
        "POST": "302 302+ 404 302 404 302 404 302+ 404 302+ 302 302+",
    },
    "candidates:provider_paths": {
        "GET": "302 403 403 403 403 403 403 200 200 200 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 200 403 200",
    },
    "candidates:self_assessment": {
        "GET": "302 200 404 302 404 302 404 302 404 302 302 200",
        "POST": "302 200 404 302 404 302 404 302 404 302 302 200",
    },
    "candidates:signup": {
        "GET": "200 302 302 302 302 302 302 302 302 302 302 302",
        "POST": "200 302 302 302 302 302 302 302 302 302 302 302",
    },
    "candidates:worklist": {
        "GET": "302 403 403 200 200 403 403 403 403 403 403 200",
        "POST": "302 403 403 200 200 403 403 403 403 403 403 200",
    },
    "certificate-detail": {
        "GET": "401 200 404 404 404 404 404 200 404 404 404 200",
    },
    "certificate-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "certificate-cdc-redeposit": {
        "POST": "401 403 404 404 404 404 404 400 404 404 404 400",
    },
    "certificate-cdc-reports": {
        # multipart only: the matrix posts JSON, refused as 415 once the permission is checked
        "POST": "401 403 403 403 403 403 403 415 415 403 403 415",
    },
    "certificate-reissue": {
        "POST": "401 403 404 404 404 404 404 400 404 404 404 400",
    },
    "verify-pdf": {
        # Public; the matrix posts JSON, the endpoint takes multipart only (test_verify_upload.py).
        "POST": "415 415 415 415 415 415 415 415 415 415 415 415",
    },
    "certificate-revoke": {
        "POST": "401 403 404 404 404 404 404 200+ 404 404 404 200+",
    },
    "certificates:badge": {
        "GET": "410 410 410 410 410 410 410 410 410 410 410 410",
    },
    "certificates:block_badge": {
        "GET": "410 410 410 410 410 410 410 410 410 410 410 410",
    },
    "certificates:badge_jwt": {
        "GET": "410 410 410 410 410 410 410 410 410 410 410 410",
    },
    "certificates:block_badge_jwt": {
        "GET": "410 410 410 410 410 410 410 410 410 410 410 410",
    },
    "certificates:did_document": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "certificates:status_list": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "certificates:verify_upload": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "400 400 400 400 400 400 400 400 400 400 400 400",
    },
    "certificates:bulk_revoke": {
        "POST": "302 403 403 403 403 403 403 302 302 403 403 302",
    },
    "certificates:cdc_board": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "certificates:cdc_download": {
        "GET": "302 403 403 403 403 403 403 404 404 403 403 404",
        "POST": "302 403 403 403 403 403 403 404 404 403 403 404",
    },
    "certificates:cdc_export": {
        "POST": "302 403 403 403 403 403 403 302+ 302+ 403 403 302+",
    },
    "certificates:cdc_check": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "certificates:cdc_job": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certificates:cdc_redeposit": {
        "POST": "302 403 403 403 403 403 403 302 404 403 403 302",
    },
    "certificates:cdc_report_upload": {
        "POST": "302 403 403 403 403 403 403 302 302 403 403 302",
    },
    "certificates:cdc_job_progress": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certificates:detail": {
        "GET": "302 200 404 404 404 404 404 200 404 404 404 200",
        "POST": "302 200 404 404 404 404 404 200 404 404 404 200",
    },
    "certificates:download": {
        "GET": "302 404 404 404 404 404 404 404 404 404 404 404",
        "POST": "302 404 404 404 404 404 404 404 404 404 404 404",
    },
    "certificates:register": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "certificates:reissue": {
        "POST": "302 302 404 404 404 404 404 400 404 404 404 400",
    },
    "certificates:revoke": {
        "POST": "302 302 404 404 404 404 404 400 404 404 404 400",
    },
    "certificates:session_progress": {
        "GET": "302 404 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 404 404 404 404 200 404 200 404 404 404 200",
    },
    "certificates:session_progress_json": {
        "GET": "302 404 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 404 404 404 404 200 404 200 404 404 404 200",
    },
    "certificates:session_retry": {
        "POST": "302 404 404 404 404 302+ 404 302+ 404 404 404 302+",
    },
    "certificates:verify": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "certificates:verify_json": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "certification-detail": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "PATCH": "401 403 403 403 403 403 403 200+ 403 403 403 200+",
        "PUT": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "certification-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "certifications:activities": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:block_add": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 400 404 403 403 400",
    },
    "certifications:block_edit": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 400 404 403 403 400",
    },
    "certifications:block_move": {
        "POST": "302 403 403 403 403 403 403 302 404 403 403 302",
    },
    "certifications:block_remove": {
        "POST": "302 403 403 403 403 403 403 302 404 403 403 302",
    },
    "certifications:certification": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 400 404 403 403 400",
    },
    "certifications:equivalence_remove": {
        "POST": "302 403 403 403 403 403 403 302+ 404 403 403 302+",
    },
    "certifications:equivalences": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:habilitation_end": {
        "POST": "302 403 403 403 403 403 403 302 404 403 403 302",
    },
    "certifications:habilitations": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:import": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "certifications:import_job": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:import_progress": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:version": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:version_delete": {
        "POST": "302 403 403 403 403 403 403 302 404 403 403 302",
    },
    "certifications:version_diff": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:version_export": {
        "GET": "302 403 403 403 403 403 403 200 404 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 404 403 403 200",
    },
    "certifications:version_new": {
        "POST": "302 403 403 403 403 403 403 302+ 404 403 403 302+",
    },
    "certifications:version_publish": {
        # GET: the publish screen; the world's version is published, so back to the version page.
        "GET": "302 403 403 403 403 403 403 302 404 403 403 302",
        "POST": "302 403 403 403 403 403 403 302 404 403 403 302",
    },
    "certifications:version_retire": {
        "POST": "302 403 403 403 403 403 403 302+ 404 403 403 302+",
    },
    "certifications:workspace": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "equivalence-detail": {
        "DELETE": "401 403 403 403 403 403 403 204+ 403 403 403 204+",
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "equivalence-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "evidence-detail": {
        "GET": "401 200 404 200 404 200 404 200 404 200 404 200",
    },
    "experience-record-detail": {
        "GET": "401 200 404 404 404 404 404 200 404 404 404 200",
        "PUT": "401 400 404 404 404 404 404 400 404 404 404 400",
        "PATCH": "401 200+ 404 404 404 404 404 403 404 404 404 200+",
        "DELETE": "401 204+ 404 404 404 404 404 403 404 404 404 204+",
    },
    "experience-record-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "evidence-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "financing:funder_workspace": {
        "GET": "302 403 403 403 403 403 403 403 403 403 200 200",
        "POST": "302 403 403 403 403 403 403 403 403 403 200 200",
    },
    "financing:line_detail": {
        "GET": "302 200 404 404 404 404 404 200 404 200 200 200",
        "POST": "302 200 404 404 404 404 404 200 404 200 200 200",
    },
    "financing:line_transition": {
        "POST": "302 403 404 404 404 404 404 403 404 403 302+ 302+",
    },
    "financing:path_funding": {
        "GET": "302 200 404 200 404 200 404 200 404 200 200 200",
        "POST": "302 200 404 302 404 302 404 200 404 200 302 200",
    },
    "financing:reports": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "funding-line-detail": {
        "GET": "401 200 404 404 404 404 404 200 404 200 200 200",
    },
    "funding-line-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "funding-line-transitions": {
        "POST": "401 403 404 404 404 404 404 403 404 403 200+ 200+",
    },
    "habilitation-detail": {
        "GET": "401 404 404 200 404 404 404 200 404 404 404 200",
    },
    "habilitation-end": {
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "habilitation-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "healthz": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "home": {
        "GET": "302 302 302 302 302 302 302 302 302 302 302 302",
        "POST": "302 302 302 302 302 302 302 302 302 302 302 302",
    },
    "juries:appeal_decide": {
        "POST": "302 404 404 404 404 404 404 404 404 404 404 404",
    },
    "juries:appeal_file": {
        "POST": "302 302 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:approve_minutes": {
        "POST": "302 404 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:set_vice_president": {
        "POST": "302 404 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:close": {
        "GET": "302 404 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 404 404 404 404 200 404 200 404 404 404 200",
    },
    "juries:deadlines": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "juries:decision_correct": {
        "POST": "302 302 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:decision_detail": {
        "GET": "302 200 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 200 404 404 404 200 404 200 404 404 404 200",
    },
    "juries:dossier_add": {
        "POST": "302 404 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:dossier_detail": {
        "GET": "302 404 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 404 404 404 404 200 404 200 404 404 404 200",
    },
    "juries:dossier_remove": {
        "POST": "302 404 404 404 404 302 404 302+ 404 404 404 302+",
    },
    "juries:evidence_download": {
        "GET": "302 404 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 404 404 404 404 200 404 200 404 404 404 200",
    },
    "juries:grid": {
        "GET": "302 404 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 404 404 404 404 200 404 200 404 404 404 200",
    },
    "juries:grid_row_save": {
        "POST": "302 404 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:link_declare": {
        "POST": "302 404 404 404 404 302 404 404 404 404 404 404",
    },
    "juries:member_add": {
        "POST": "302 404 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:member_presence": {
        "POST": "302 404 404 404 404 302 404 302 404 404 404 302",
    },
    "juries:member_remove": {
        "POST": "302 404 404 404 404 302 404 302+ 404 404 404 302+",
    },
    "juries:minutes": {
        "GET": "302 404 404 404 404 404 404 404 404 404 404 404",
        "POST": "302 404 404 404 404 404 404 404 404 404 404 404",
    },
    "juries:my_sessions": {
        "GET": "302 403 403 403 403 200 200 200 200 403 403 200",
        "POST": "302 403 403 403 403 200 200 200 200 403 403 200",
    },
    "juries:planning": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        "POST": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "juries:session_action": {
        "POST": "302 404 404 404 404 302 404 302+ 404 404 404 302+",
    },
    "juries:session_detail": {
        "GET": "302 404 404 404 404 200 404 200 404 404 404 200",
        "POST": "302 404 404 404 404 200 404 200 404 404 404 200",
    },
    "jury-decision-appeal": {
        "POST": "401 400 404 404 404 403 404 403 404 404 404 400",
    },
    "jury-decision-correct": {
        "POST": "401 400 404 404 404 400 404 400 404 404 404 400",
    },
    "jury-decision-detail": {
        "GET": "401 404 404 404 404 200 404 200 404 404 404 200",
        "PATCH": "401 404 404 404 404 400 404 400 404 404 404 400",
    },
    "jury-decision-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "jury-dossier-detail": {
        "GET": "401 200 404 404 404 200 404 200 404 404 404 200",
    },
    "jury-dossier-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "jury-member-detail": {
        "GET": "401 404 404 404 404 200 404 200 404 404 404 200",
    },
    "jury-member-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "jury-session-detail": {
        "GET": "401 404 404 404 404 200 404 200 404 404 404 200",
    },
    "jury-session-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "jury-session-transitions": {
        "POST": "401 404 404 404 404 403 404 200+ 404 404 404 200+",
    },
    "jury-session-approve-minutes": {
        # In scope, the empty body is refused (second_factor required); outside it, 404.
        "POST": "401 404 404 404 404 400 404 400 404 404 404 400",
    },
    "livez": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "login": {
        "GET": "200 302 302 302 302 302 302 302 302 302 302 302",
        "POST": "200 302 302 302 302 302 302 302 302 302 302 302",
        "PUT": "200 302 302 302 302 302 302 302 302 302 302 302",
    },
    "access_tokens": {
        "GET": "302 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "302 200 200 200 200 200 200 200 200 200 200 200",
    },
    "access_token_revoke": {
        "POST": "302 302+ 404 404 404 404 404 404 404 404 404 404",
    },
    "mfa_setup": {
        "GET": "302 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+",
        "POST": "302 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+ 200+",
    },
    "mfa_verify": {
        "GET": "302 302 302 302 302 302 302 302 302 302 302 302",
        "POST": "302 302 302 302 302 302 302 302 302 302 302 302",
    },
    "no_role": {
        "GET": "302 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "302 200 200 200 200 200 200 200 200 200 200 200",
    },
    "password_reset": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "200 200 200 200 200 200 200 200 200 200 200 200",
        "PUT": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "password_reset_complete": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "password_reset_confirm": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "200 200 200 200 200 200 200 200 200 200 200 200",
        "PUT": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "password_reset_done": {
        "GET": "200 200 200 200 200 200 200 200 200 200 200 200",
    },
    "path-detail": {
        "GET": "401 200 404 200 404 200 404 200 404 200 200 200",
    },
    "path-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "path-transition": {
        "POST": "401 200+ 404 403 404 403 404 200+ 404 200+ 403 200+",
    },
    "positioning-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "referential-version-blocks": {
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "referential-version-correspondence": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
    },
    "referential-version-detail": {
        "DELETE": "401 403 403 403 403 403 403 400 403 403 403 400",
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "PATCH": "401 403 403 403 403 403 403 400 403 403 403 400",
    },
    "referential-version-list": {
        "GET": "401 200 200 200 200 200 200 200 200 200 200 200",
        "POST": "401 400 400 400 400 400 400 400 400 400 400 400",
    },
    "referential-version-new-version": {
        "POST": "401 403 403 403 403 403 403 201+ 403 403 403 201+",
    },
    "referential-version-publish": {
        "POST": "401 403 403 403 403 403 403 400 403 403 403 400",
    },
    "referential-version-retire": {
        "POST": "401 403 403 403 403 403 403 200+ 403 403 403 200+",
    },
    "set_language": {
        "GET": "302 302 302 302 302 302 302 302 302 302 302 302",
        "POST": "302 302 302 302 302 302 302 302 302 302 302 302",
    },
    "statistics:dashboard": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
        # POST: compute the figures again, then back to the page.
        "POST": "302 403 403 403 403 403 403 302 302 403 403 302",
    },
    # The renewal file's figures (CSV/XLSX): the statistics' readers only.
    "statistics:renewal_export": {
        "GET": "302 403 403 403 403 403 403 200 200 403 403 200",
    },
    "unnamed api/v1/^.*$": {
        "GET": "404 404 404 404 404 404 404 404 404 404 404 404",
        "POST": "404 404 404 404 404 404 404 404 404 404 404 404",
        "PUT": "404 404 404 404 404 404 404 404 404 404 404 404",
        "PATCH": "404 404 404 404 404 404 404 404 404 404 404 404",
        "DELETE": "404 404 404 404 404 404 404 404 404 404 404 404",
    },
    "workspace": {
        "GET": "302 302 302 302 302 302 302 302 302 302 302 302",
        "POST": "302 302 302 302 302 302 302 302 302 302 302 302",
    },
    "logout": {
        "GET": "405 405 405 405 405 405 405 405 405 405 405 405",
        "POST": "302 302 302 302 302 302 302 302 302 302 302 302",
    },
}
