"""The load scenario of issue 10 (point 8), run by bench/load inside scripts/with-services.

The production-like stack of bench/run (bench/_run.py: PostgreSQL + Redis on 127.0.0.1, gunicorn
with 2 sync workers, 2 Celery workers, bench/settings.py) on the demo data (`seed_demo`), then N
virtual users for a fixed time, each logged in through the real login form (session cookie +
CSRF) as one of the demo roles:

- candidates: "Mon parcours" and the funding page of their path (no upload);
- evaluators: their worklist, and assessments recorded through POST /api/v1/assessments/ on the
  paths in evaluation assigned to them (ids read from the API first);
- funder officer: /financeur/; branch administrators: /branche/ and /branche/statistiques/;
- jury member: /jury/ and a session page; anonymous visitors: /verify/<code>/ of demo certificates.

MFA_REQUIRED is false in the stack's environment (the demo logins have no TOTP device).
Afterwards: 5xx per endpoint (must be 0), and every assessment answered 201 is looked up in the
database through the ORM (must all be there, and no other row created). One JSON line per
endpoint plus a summary on stdout, a table, exit status 1 on a 5xx, a lost write or a failed login.

    bench/load            30 users, 300 s
    bench/load --quick    10 users, 45 s
"""

import argparse
import html
import http.client
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import _run  # noqa: E402  (the stack of bench/run: environment, start, stop)
from _load import percentile  # noqa: E402

DEMO_PASSWORD = "demo-cqp-2026"  # noqa: S105 (public demo password, cqp_portal/accounts/demo.py)
# One role per virtual user, in this order, repeated: 30 users = 9 candidates, 6 evaluators,
# 6 anonymous visitors, 3 branch administrators, 3 funder officers, 3 jury members.
ROLE_CYCLE = [
    "candidate", "evaluator", "anonymous", "branch", "candidate",
    "funder", "evaluator", "jury", "candidate", "anonymous",
]  # fmt: skip
ACCOUNTS = {
    "candidate": ["candidat@demo.cqp.fr"],
    "evaluator": ["evaluateur@demo.cqp.fr"],
    "branch": ["admin.hcr@demo.cqp.fr", "admin.metallurgie@demo.cqp.fr"],
    "funder": ["financeur@demo.cqp.fr"],
    "jury": ["jury@demo.cqp.fr"],
}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Django side (run in a child process with the stack's environment) ---


def django_facts() -> dict:
    """Verification codes of the demo certificates (once the workers have issued them), the
    server's date, and the assessment rows before the run."""
    import django

    django.setup()
    from django.utils import timezone

    from candidates.models import BlockAssessment

    codes = []
    try:
        from juries.certificates.models import Certificate, CertificateState
    except ImportError:
        Certificate = None
    if Certificate is not None:
        deadline = time.time() + 90
        while True:
            codes = list(
                Certificate.objects.filter(state=CertificateState.ISSUED)
                .exclude(verification_code="")
                .values_list("verification_code", flat=True)
            )
            pending = Certificate.objects.filter(state=CertificateState.PENDING).exists()
            if not pending or time.time() > deadline:
                break
            time.sleep(2)
    last = BlockAssessment.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return {
        "verify_codes": codes,
        "today": timezone.localdate().isoformat(),
        "assessments_before": BlockAssessment.objects.count(),
        "last_assessment_pk": last,
    }


def django_check(last_pk: int, ids_file: str) -> dict:
    """The assessments created after `last_pk`, against the ids the users got a 201 for."""
    import django

    django.setup()
    from candidates.models import BlockAssessment, CriterionResult

    acknowledged = set(json.loads(Path(ids_file).read_text()))
    created = set(BlockAssessment.objects.filter(pk__gt=last_pk).values_list("pk", flat=True))
    without_criteria = (
        BlockAssessment.objects.filter(pk__in=acknowledged).exclude(
            pk__in=CriterionResult.objects.values("assessment_id")
        )
    ).count()
    return {
        "acknowledged": len(acknowledged),
        "rows_created": len(created),
        "missing": sorted(acknowledged - created),
        "unexpected": sorted(created - acknowledged),
        "without_criterion_results": without_criteria,
    }


# --- The virtual users ---


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[tuple[int, float]]] = {}
        self.created_ids: list[int] = []
        self.failures: list[str] = []

    def add(self, endpoint: str, status: int, seconds: float) -> None:
        with self.lock:
            self.samples.setdefault(endpoint, []).append((status, seconds))

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


class Client:
    """One browser: its own cookies (sent whatever their Secure flag: TLS ends before gunicorn
    in production, here there is no TLS at all), a new connection per request (sync workers)."""

    def __init__(self, port: int, recorder: Recorder):
        self.port = port
        self.recorder = recorder
        self.cookies: dict[str, str] = {}

    def request(self, endpoint: str, method: str, path: str, *, body=None, headers=None):
        headers = {"Accept-Language": "fr", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.recorder.add(endpoint, -1, time.perf_counter() - started)
            return -1, {}, b""
        finally:
            connection.close()
        self.recorder.add(endpoint, status, time.perf_counter() - started)
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return status, response.headers, data

    def get(self, endpoint, path, **kw):
        return self.request(endpoint, "GET", path, **kw)

    def login(self, email: str) -> bool:
        status, _h, page = self.get("GET /connexion/", "/connexion/")
        match = CSRF_INPUT.search(page.decode("utf-8", "replace"))
        if status != 200 or not match:
            return False
        form = urlencode({"csrfmiddlewaretoken": html.unescape(match.group(1)), "username": email,
                          "password": DEMO_PASSWORD})  # fmt: skip
        status, headers, _b = self.request(
            "POST /connexion/", "POST", "/connexion/", body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        # Success is a redirect to the workspace, not to the second factor (MFA_REQUIRED=false).
        return status == 302 and "2fa" not in (headers.get("Location") or "") and "sessionid" in self.cookies

    def api_post(self, endpoint: str, path: str, payload: dict):
        return self.request(
            endpoint, "POST", path, body=json.dumps(payload),
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "X-CSRFToken": self.cookies.get("csrftoken", "")},
        )  # fmt: skip


def links(page: bytes, pattern: str) -> list[str]:
    return sorted(set(re.findall(pattern, page.decode("utf-8", "replace"))))


def assessment_targets(client: Client) -> list[dict]:
    """(path, block, modality, criteria) of every block to assess on the paths in evaluation the
    evaluator sees, read from the API as an integration would."""
    status, _h, body = client.get(
        "GET /api/v1/paths/", "/api/v1/paths/?state=in_evaluation&page_size=100", headers={"Accept": "application/json"}
    )
    if status != 200:
        return []
    targets, versions = [], {}
    for path in json.loads(body)["results"]:
        if path["version"] not in versions:
            s, _h, b = client.get(
                "GET /api/v1/referential-versions/{id}/",
                f"/api/v1/referential-versions/{path['version']}/",
                headers={"Accept": "application/json"},
            )
            versions[path["version"]] = {blk["id"]: blk for blk in json.loads(b)["blocks"]} if s == 200 else {}
        for row in path["blocks"]:
            block = versions[path["version"]].get(row["block"])
            if row["plan"] == "held" or not block or not block.get("modalities"):
                continue
            targets.append({
                "path": path["id"], "block": block["id"],
                "modalities": [m["id"] if isinstance(m, dict) else m for m in block["modalities"]],
                "criteria": [c["id"] if isinstance(c, dict) else c for c in block.get("criteria", [])],
            })  # fmt: skip
    return targets


def virtual_user(n: int, role: str, port: int, deadline: float, think: tuple, facts: dict, rec: Recorder):
    rnd = random.Random(n)
    client = Client(port, rec)
    pause = lambda: time.sleep(min(rnd.uniform(*think), max(0.0, deadline - time.time())))  # noqa: E731
    if role != "anonymous":
        accounts = ACCOUNTS[role]
        email = accounts[n % len(accounts)]
        if not client.login(email):
            rec.fail(f"user {n}: login as {role} failed")
            return
    targets = []
    if role == "evaluator":
        targets = assessment_targets(client)
        if not targets:
            rec.fail(f"user {n}: no path in evaluation to assess")
            return
    own_paths, sessions = [], []
    while time.time() < deadline:
        if role == "candidate":
            _s, _h, page = client.get("GET /parcours/", "/parcours/")
            # "Mon parcours" holds the path itself; its funding page is the candidate's other view.
            own_paths = links(page, r'href="(/financement/parcours/\d+/)"') or own_paths
            if own_paths and time.time() < deadline:
                pause()
                client.get("GET /financement/parcours/{id}/", rnd.choice(own_paths))
        elif role == "evaluator":
            client.get("GET /evaluations/", "/evaluations/")
            pause()
            if time.time() >= deadline:
                break
            target = rnd.choice(targets)
            acquired = rnd.random() < 0.8
            results = {str(c): acquired or rnd.random() < 0.5 for c in target["criteria"]}
            payload = {
                "path": target["path"], "block": target["block"], "modality": rnd.choice(target["modalities"]),
                "assessed_on": facts["today"], "outcome": "acquired" if acquired else "not_acquired",
                "criterion_results": results, "comment": f"Séquence observée (charge, utilisateur {n}).",
            }  # fmt: skip
            status, _h, body = client.api_post("POST /api/v1/assessments/", "/api/v1/assessments/", payload)
            if status == 201:
                with rec.lock:
                    rec.created_ids.append(json.loads(body)["id"])
            elif status == 400 and len(targets) > 1:
                targets.remove(target)  # a rule refuses this block (e.g. the trainer may not assess it)
        elif role == "funder":
            client.get("GET /financeur/", "/financeur/")
        elif role == "branch":
            client.get("GET /branche/", "/branche/")
            pause()
            if time.time() < deadline:
                client.get("GET /branche/statistiques/", "/branche/statistiques/")
        elif role == "jury":
            _s, _h, page = client.get("GET /jury/", "/jury/")
            sessions = links(page, r'href="(/jury/sessions/\d+/)"') or sessions
            if sessions and time.time() < deadline:
                pause()
                client.get("GET /jury/sessions/{id}/", rnd.choice(sessions))
        elif role == "anonymous":
            client.get("GET /verify/{code}/", f"/verify/{rnd.choice(facts['verify_codes'])}/")
        pause()


# --- Driver ---


def main() -> int:
    parser = argparse.ArgumentParser(description="Load scenario of issue 10 (demo roles, bounded in time).")
    parser.add_argument("--quick", action="store_true", help="10 users for 45 s")
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"),
                        help="think time between a user's actions, in seconds (default 0.5 2.0)")  # fmt: skip
    args = parser.parse_args()
    users = args.users or (10 if args.quick else 30)
    seconds = args.seconds or (45 if args.quick else 300)

    work = Path(tempfile.mkdtemp(prefix="cqp-load-"))
    port = _run.free_port()
    env = {**_run.stack_env(port, work), "MFA_REQUIRED": "false"}
    manage = [_run.PY, "manage.py"]
    _run.emit({"kind": "setup", "users": users, "seconds": seconds, "think_s": list(args.think),
               "cores": os.cpu_count(), "MFA_REQUIRED": False,
               "note": "MFA_REQUIRED=false in the stack's environment (demo logins have no TOTP device)"})  # fmt: skip
    _run.log("MFA_REQUIRED=false for this stack (demo logins without a second factor)")
    _run.log("database: create, migrate, collectstatic, seed_demo")
    _run.run([*_run.psql_command(), "-c", "CREATE DATABASE cqp"], env)
    _run.run([*manage, "migrate", "--noinput", "-v", "0"], env)
    # collectstatic first: seed_demo renders PDFs (minutes, certificates) whose CSS goes through the manifest.
    _run.run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
    _run.run([*manage, "seed_demo"], env)

    recorder = Recorder()
    processes = []
    try:
        _run.log("gunicorn (2 workers), 2 Celery workers")
        _run.start_stack(env, port, work, processes)
        facts = _run.last_json(_run.run([_run.PY, __file__, "--django", "facts"], env).stdout)
        _run.log(f"{len(facts['verify_codes'])} issued demo certificates, {facts['assessments_before']} assessments")
        if not facts["verify_codes"]:
            raise RuntimeError("no issued demo certificate to verify")
        _run.log(f"load: {users} users for {seconds:.0f} s on 127.0.0.1:{port}")
        started = time.time()
        deadline = started + seconds
        threads = [
            threading.Thread(
                target=virtual_user,
                args=(n, ROLE_CYCLE[n % len(ROLE_CYCLE)], port, deadline, tuple(args.think), facts, recorder),
                daemon=True,
            )
            for n in range(users)
        ]
        for thread in threads:
            thread.start()
            time.sleep(min(0.1, seconds / 100))  # ramp-up over a few seconds, not one burst of logins
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.time()) + 90)
        elapsed = time.time() - started
        ids_file = work / "created_ids.json"
        ids_file.write_text(json.dumps(recorder.created_ids))
        check = _run.last_json(
            _run.run(
                [_run.PY, __file__, "--django", "check", str(facts["last_assessment_pk"]), str(ids_file)], env
            ).stdout
        )
    finally:
        _run.stop_stack(processes)

    total = server_errors = connection_errors = 0
    for endpoint, samples in sorted(recorder.samples.items()):
        statuses: dict[str, int] = {}
        for status, _s in samples:
            key = "connection_error" if status < 0 else str(status)
            statuses[key] = statuses.get(key, 0) + 1
        latencies = [s for status, s in samples if status > 0]
        fives = sum(v for k, v in statuses.items() if k.startswith("5"))
        total += len(samples)
        server_errors += fives
        connection_errors += statuses.get("connection_error", 0)
        _run.emit({
            "kind": "endpoint", "endpoint": endpoint, "requests": len(samples), "statuses": statuses,
            "5xx": fives, "rps": round(len(samples) / elapsed, 2),
            "p50_ms": round(1000 * percentile(latencies, 0.5), 1),
            "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        })  # fmt: skip
    lost = len(check["missing"]) + len(check["unexpected"]) + check["without_criterion_results"]
    ok = server_errors == 0 and connection_errors == 0 and lost == 0 and not recorder.failures
    _run.emit({
        "kind": "summary", "users": users, "seconds": round(elapsed, 1), "requests": total,
        "rps": round(total / elapsed, 1), "5xx": server_errors, "connection_errors": connection_errors,
        "writes_acknowledged": check["acknowledged"], "writes_in_database": check["rows_created"],
        "writes_missing": check["missing"][:20], "rows_not_acknowledged": check["unexpected"][:20],
        "without_criterion_results": check["without_criterion_results"], "user_failures": recorder.failures,
        "MFA_REQUIRED": False, "ok": ok,
    })  # fmt: skip
    print_table()
    return 0 if ok else 1


def print_table() -> None:
    print()
    print(f"{'endpoint':<40}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'5xx':>5}  other statuses")
    for r in _run.RESULTS:
        if r["kind"] == "endpoint":
            other = {k: v for k, v in r["statuses"].items() if k[0] not in "235"}
            print(f"{r['endpoint']:<40}{r['requests']:>9}{r['rps']:>8.2f}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
                  f"{r['5xx']:>5}  {other or ''}")  # fmt: skip
    s = [r for r in _run.RESULTS if r["kind"] == "summary"][-1]
    print(
        f"\n{s['users']} users, {s['seconds']} s: {s['requests']} requests ({s['rps']}/s), {s['5xx']} server errors, "
        f"{s['connection_errors']} connection errors; writes: {s['writes_acknowledged']} acknowledged (201), "
        f"{s['writes_in_database']} rows in the database, missing {len(s['writes_missing'])}; "
        f"MFA_REQUIRED=false; {'OK' if s['ok'] else 'FAILED'}"
    )
    for failure in s["user_failures"]:
        print(f"  {failure}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--django":
        sys.path.insert(0, str(ROOT))
        if sys.argv[2] == "facts":
            print(json.dumps(django_facts()))
        else:
            print(json.dumps(django_check(int(sys.argv[3]), sys.argv[4])))
        sys.exit(0)
    sys.exit(main())
