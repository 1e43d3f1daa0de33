"""Django-side helpers of bench/run, each run in its own process (DJANGO_SETTINGS_MODULE and
DATABASE_URL come from the environment): ``auth``, ``queries``, ``issue``, ``fiches``.
Each prints one JSON object on its last line."""

import json
import re
import sys
import time
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup():
    import django

    django.setup()


def _session_cookie(user) -> str:
    """A logged-in session as the login view leaves it, second factor included for the roles
    that need one (cqp_portal.accounts.mfa): the bench measures pages, not the login form."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cqp_portal.accounts.mfa import mfa_required_for

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if mfa_required_for(user):
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def targets() -> dict:
    """Every measured page: (path, headers) per name."""
    from rest_framework.authtoken.models import Token

    from candidates.models import Path as CandidatePath
    from cqp_portal.accounts.management.commands import seed_volume as sv
    from cqp_portal.accounts.models import TokenSecondFactor, User
    from juries.models import JurySession

    users = {
        u.email: u
        for u in User.objects.filter(email__in=[sv.BENCH_CANDIDATE, sv.BENCH_EVALUATOR, sv.BENCH_JURY, sv.BENCH_ADMIN])
    }
    cookie = {email: {"Cookie": _session_cookie(user)} for email, user in users.items()}
    token, _ = Token.objects.get_or_create(user=users[sv.BENCH_ADMIN])
    # As the token endpoint leaves it when the TOTP code was given (issue 16): the branch
    # administrator's role requires the second factor on the API too.
    TokenSecondFactor.objects.get_or_create(token=token)
    api = {"Authorization": f"Token {token.key}", "Accept": "application/json"}
    grid = JurySession.objects.get(title=sv.GRID_SESSION_TITLE)
    admin_path = CandidatePath.objects.filter(certification__code="vol-cqp-000").order_by("pk").first()
    result = {
        "baseline /livez": ("/livez", {}),
        "Mon parcours": ("/parcours/", cookie[sv.BENCH_CANDIDATE]),
        "evaluator worklist": ("/evaluations/", cookie[sv.BENCH_EVALUATOR]),
        "jury grid": (f"/jury/sessions/{grid.pk}/grille/", cookie[sv.BENCH_JURY]),
        "branch statistics": ("/branche/statistiques/", cookie[sv.BENCH_ADMIN]),
        "API path detail": (f"/api/v1/paths/{admin_path.pk}/", api),
        "API list of paths (100)": ("/api/v1/paths/?page_size=100", api),
    }
    certificates = sv.certificates_models()
    if certificates is not None:
        certificate = certificates.Certificate.objects.filter(
            path__candidate__user=users[sv.BENCH_CANDIDATE], state="issued"
        ).first()
        if certificate is not None:
            result["verification page"] = (f"/verify/{certificate.verification_code}/", {})
    return result


def cmd_auth() -> dict:
    return {name: list(value) for name, value in targets().items()}


def cmd_queries() -> dict:
    """Queries per page through the Django test client, second request (caches warm)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from candidates.models import Candidate

    result = {"candidates": Candidate.objects.count(), "pages": {}}
    for name, (path, headers) in targets().items():
        client = Client()
        extra = {}
        for key, value in headers.items():
            if key == "Cookie":
                name_, _, value_ = value.partition("=")
                client.cookies[name_] = value_
            else:
                extra["HTTP_" + key.upper().replace("-", "_")] = value
        client.get(path, **extra)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, **extra)
        result["pages"][name] = {"status": response.status_code, "queries": len(queries)}
    return result


def cmd_statistics() -> dict:
    """The branch statistics computed without the cache (what a cache miss or "compute the
    figures again" costs): the bench administrator's scope and the page's default period,
    median of 5 after one warm-up, and its queries."""
    import statistics as pystats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from cqp_portal.accounts.management.commands import seed_volume as sv
    from cqp_portal.accounts.models import User
    from cqp_portal.statistics import selectors, views

    admin = User.objects.get(email=sv.BENCH_ADMIN)
    date_from, date_to = views._default_period()
    ids = [c.pk for c in views._certifications(admin, None)]
    scope = selectors.Scope(certification_ids=ids, date_from=date_from, date_to=date_to)
    times = []
    with translation.override("fr"):
        for _ in range(6):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                data = views.collect(scope)
            times.append((time.perf_counter() - started) * 1000)
    return {
        "paths_in_scope": scope.paths().count(),
        "paths_in_period": sum(row["count"] for row in data["states"]),
        "queries": len(queries),
        "median_ms": round(pystats.median(times[1:]), 1),
        "min_ms": round(min(times[1:]), 1),
    }


def cmd_issue() -> dict:
    """End-to-end: issue every certificate of the 500-dossier session, wait until the Celery
    workers rendered them all."""
    from cqp_portal.accounts.management.commands import seed_volume as sv
    from juries.certificates.models import Certificate
    from juries.certificates.services import certificates_issue_for_session
    from juries.models import JurySession

    session = JurySession.objects.get(title=sv.ISSUE_SESSION_TITLE)
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 600
    started = time.perf_counter()
    created = certificates_issue_for_session(session=session)
    queued = time.perf_counter() - started
    mine = Certificate.objects.filter(pk__in=[c.pk for c in created])
    issued = 0
    while time.perf_counter() - started < timeout:
        issued = mine.filter(state="issued").count()
        if issued == len(created):
            break
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    return {
        "dossiers": session.dossiers.count(),
        "certificates": len(created),
        "issued": issued,
        "queued_s": round(queued, 2),
        "seconds": round(elapsed, 2),
        "per_second": round(issued / elapsed, 2) if elapsed else None,
        "complete": issued == len(created),
    }


def cmd_fiches() -> dict:
    """A France compétences export of N fiches built from the sample fiches with new numbers,
    written as a stream (the samples are templates; the number is replaced everywhere in the
    fiche, block codes included)."""
    from lxml import etree

    count, output = int(sys.argv[2]), Path(sys.argv[3])
    templates = []
    for sample in sorted((ROOT / "certifications" / "fixtures").glob("france-competences-*-sample.xml")):
        for fiche in etree.parse(str(sample)).getroot().iter("FICHE"):
            number = fiche.findtext("NUMERO_FICHE").strip()
            templates.append((re.match(r"[A-Z]+", number).group(), number, etree.tostring(fiche, encoding="unicode")))
    with output.open("w", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='UTF-8'?>\n<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>\n")
        for i in range(count):
            register, number, text = templates[i % len(templates)]
            out.write(text.replace(number, f"{register}{600000 + i}"))
            out.write("\n")
        out.write("</FICHES>\n")
    return {"fiches": count, "bytes": output.stat().st_size, "templates": len(templates)}


if __name__ == "__main__":
    command = sys.argv[1]
    if command != "fiches":
        setup()
    print(json.dumps(globals()[f"cmd_{command}"](), ensure_ascii=False))
