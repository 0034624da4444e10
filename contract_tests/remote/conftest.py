"""Fixtures for checking a running server: the mock under gunicorn, Prism, or the real service.

Nothing here creates a paid task unless ``ALLOW_SPEND=1``. Every answer is validated strictly against the
spec; what the spec does not know (a field, a status, a code) is reported as drift at the end of the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.strict import StrictResponseValidator

DRIFT: list[str] = []


class RemoteServer:
    """A running server under test, with every exchange checked against the spec."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.validator = StrictResponseValidator()
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout=30,
            event_hooks={"response": [self._record]},
        )
        self.allow_spend = os.environ.get("ALLOW_SPEND") == "1"

    def _record(self, response: httpx.Response) -> None:
        response.read()
        errors = self.validator.errors(
            response.request.method,
            str(response.request.url),
            response.status_code,
            response.headers.get("content-type", ""),
            response.content,
        )
        DRIFT.extend(errors)

    def close(self) -> None:
        self.http.close()


@pytest.fixture(scope="session")
def remote(pytestconfig: pytest.Config) -> Iterator[RemoteServer]:
    base_url = pytestconfig.getoption("--base-url")
    if not base_url:
        pytest.skip("no --base-url: only the recording (--recording) is checked")
    token = pytestconfig.getoption("--token") or os.environ.get("KLING_API_TOKEN")
    server = RemoteServer(base_url, token)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def no_drift() -> Iterator[None]:
    """Fail a test whose answers the spec does not describe (the summary lists them all)."""
    before = len(DRIFT)
    yield
    new = DRIFT[before:]
    assert new == [], "DRIFT between the server and openapi.yaml:\n" + "\n".join(new[:5])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.section("drift between the server and openapi.yaml")
    if not DRIFT:
        terminalreporter.write_line("none: every answer matched the spec strictly")
    for line in dict.fromkeys(DRIFT):
        terminalreporter.write_line(f"DRIFT {line}")
