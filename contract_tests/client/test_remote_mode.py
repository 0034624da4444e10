"""`make contract` works: the remote suite passes against the mock served by gunicorn over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from contract_tests.servers import ROOT, GunicornMock

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


def test_remote_suite_passes_against_the_mock_under_gunicorn(tmp_path) -> None:
    server = GunicornMock(
        {
            "KLING_MOCK_DB": str(tmp_path / "remote.sqlite3"),
            "KLING_MOCK_QUEUE_SECONDS": "0.1",
            "KLING_MOCK_PROCESSING_SECONDS": "0.2",
        },
        workers=2,
    )
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "contract_tests/remote",
                "--base-url",
                f"{server.url}/kling",
                "--token",
                "sk-remote-mode",
            ],
            cwd=ROOT,
            env={**os.environ, "ALLOW_SPEND": "1", "HYPOTHESIS_PROFILE": "mutant"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "11 passed" in result.stdout
    assert "none: every answer matched the spec strictly" in result.stdout
