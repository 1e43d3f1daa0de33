"""The OpenAPI schema matches the running code, and schemathesis finds no server error and
no response outside the schema, for every operation, with a token for each demo role."""

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.utils import translation
from rest_framework.authtoken.models import Token

from cqp_portal.accounts.demo import DEMO_USERS
from cqp_portal.accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "openapi.yaml"
ARTIFACTS = ROOT / "var" / "test-artifacts"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
FUZZ_SECONDS = os.environ.get("FUZZ_SECONDS", "15")


def generate_schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    # `make schema` writes the file with `--lang en`; the documentation strings are translated.
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        return yaml.safe_load(OpenApiYamlRenderer().render(schema))


def test_committed_schema_file_matches_the_code():
    """`make schema` writes docs/openapi.yaml; a stale file fails here."""
    committed = yaml.safe_load(SCHEMA_FILE.read_text())
    generated = generate_schema()
    if committed != generated:
        diff = difflib.unified_diff(
            yaml.safe_dump(committed).splitlines(), yaml.safe_dump(generated).splitlines(), lineterm="", n=2
        )
        pytest.fail("docs/openapi.yaml is stale: run `make schema`\n" + "\n".join(list(diff)[:80]))


def test_every_operation_documents_its_error_responses():
    schema = generate_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path == "/api/v1/auth/token/":
                continue
            assert operation.get("responses"), f"{method.upper()} {path} documents no response"


def run_schemathesis(base_url: str, token: str, email: str) -> tuple[int, str]:
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{base_url}/api/schema/",
            "--header",
            f"Authorization: Token {token}",
            "--header",
            "Accept-Language: fr",
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance",
            "--max-examples",
            "8",
            # Also the duration: fuzzing repeats until the budget is spent.
            "--max-time",
            FUZZ_SECONDS,
            # Same inputs on every run: a failure here is a regression, never bad luck.
            "--generation-deterministic",
            # DELETE would revoke the very token the run authenticates with; the token endpoint
            # is tested in tests/foundation/test_login_throttle_and_token.py.
            "--exclude-path",
            "/api/v1/auth/token/",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    output = result.stdout + result.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"schemathesis-{email}.txt").write_text(output)
    return result.returncode, output


# Staff last: its writes (new versions, transitions...) would otherwise change what the
# other roles' runs start from.
FUZZ_ORDER = sorted((row[0] for row in DEMO_USERS), key=lambda email: email == "staff@demo.cqp.fr")


@pytest.mark.django_db(transaction=True)
def test_fuzz_every_operation_as_each_demo_role(live_server):
    """One seeded database for every role (seeding costs more than a role's run): each role
    fuzzes every operation with its own token; the failures of all roles are reported."""
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    report = []
    for email in FUZZ_ORDER:
        token = Token.objects.get_or_create(user=User.objects.get(email=email))[0].key
        code, output = run_schemathesis(live_server.url, token, email)
        if code != 0:
            start = output.find("=== FAILURES ===")
            report.append(f"##### {email} (exit {code})\n{output[start if start >= 0 else 0 :][:8000]}")
    assert not report, "\n\n".join(report)
