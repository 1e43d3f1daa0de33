"""The production image's own steps, run outside Docker (no engine here): the Dockerfile's build
step (scripts/build-static) and its start command (scripts/start-web) with DEBUG off.

Static files collected with DEBUG on have no manifest: a DEBUG=false server then answers 500 on
every page ("Missing staticfiles manifest entry"). This test serves a page and its stylesheet.
"""

import re
import urllib.request

import pytest

from tests.foundation.test_compose import ROOT
from tests.processes import WebNode, build_production_static

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_dockerfile_builds_static_files_with_the_production_storage_and_starts_the_web_script():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "RUN scripts/build-static" in dockerfile
    assert "DEBUG=true" not in dockerfile
    assert 'CMD ["scripts/start-web"]' in dockerfile
    assert "migrate" not in (ROOT / "scripts" / "start-web").read_text().split("set -euo")[1]


def test_the_image_steps_serve_a_page_and_its_static_files_with_debug_off():
    static_root = build_production_static()
    assert (static_root / "staticfiles.json").is_file()
    node = WebNode(static_root=static_root, name="image")
    try:
        node.start()
        status, body = node.get("/connexion/")
        assert status == 200, body[-2000:]
        stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "the page does not link the hashed stylesheet of the manifest"
        with urllib.request.urlopen(node.url + stylesheet.group(1), timeout=10) as response:  # noqa: S310
            assert response.status == 200
            assert "immutable" in response.headers.get("Cache-Control", "")
        status, _body = node.get("/livez")
        assert status == 200
    finally:
        node.stop()


def test_the_release_step_migrates_and_refuses_an_image_without_its_static_manifest(tmp_path):
    import subprocess

    from tests.processes import production_env

    env = production_env(STATIC_ROOT=str(build_production_static()))
    release = [str(ROOT / "scripts" / "release")]
    done = subprocess.run(release, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "release: migrations applied, static manifest present" in done.stdout
    env["STATIC_ROOT"] = str(tmp_path)  # static files collected without the production storage
    refused = subprocess.run(release, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "no static manifest" in refused.stderr
