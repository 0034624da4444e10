"""Other languages from the same spec: Redocly's lint, a TypeScript client with a round trip against the
mock, and the API reference page served by the running mock. Node packages come from package-lock.json,
installed by the make targets themselves.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys

import httpx
import pytest

from contract_tests.servers import ROOT, GunicornMock

# All of it is `make test-heavy`'s (CI runs it): it needs the Node tools (`npm ci`, 240 MB), and only a change
# of the spec or of the docs build can change its outcome.
pytestmark = [pytest.mark.slow, pytest.mark.heavy]


def make(target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def node_tools() -> None:
    """`npm ci` before the module's tests, one worker at a time (pytest-xdist may split them)."""
    with (ROOT / "package-lock.json").open("rb") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            done = make("node_modules/.package-lock.json")
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_spec_passes_redoclys_recommended_rules(node_tools: None) -> None:
    done = make("lint-spec")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Your API description is valid" in done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower()


def test_typescript_client_type_checks_and_round_trips_against_the_mock(node_tools: None) -> None:
    done = make("clients")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "created 86" in done.stdout
    assert "succeed http://127.0.0.1:" in done.stdout
    assert "succeed advanced http://127.0.0.1:" in done.stdout, "identify -> advanced -> succeed"
    assert "spoke 87" in done.stdout, "text -> audio id"
    assert "succeed spoken http://127.0.0.1:" in done.stdout, "text -> audio id -> advanced -> succeed"
    assert "watermarked http://127.0.0.1:" in done.stdout
    assert (ROOT / "clients" / "typescript" / "build" / "kling-lipsync.d.ts").is_file()


def test_the_packaged_api_reference_is_what_the_spec_makes_today(node_tools: None) -> None:
    done = subprocess.run([sys.executable, "docs/build_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_api_reference_is_served_by_the_served_mock(served_mock: GunicornMock) -> None:
    page = httpx.get(f"{served_mock.url}/__mock__/docs", timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Kling AI lip-sync (对口型) API" in page.text
    for operation in ("Create a lip-sync task", "Query one lip-sync task", "List lip-sync tasks"):
        assert operation in page.text
    assert "cdn.redocly.com" not in page.text, "readable offline"
    assert "fonts.googleapis.com" not in page.text


def test_docs_not_built_is_a_clear_answer(tmp_path) -> None:
    from kling_lipsync.testing import KlingMock

    with KlingMock({"docs_file": str(tmp_path / "missing.html")}) as mock:
        answer = mock.http.get("/__mock__/docs")
    assert answer.status_code == 404
    assert "docs_file" in answer.json()["message"]
