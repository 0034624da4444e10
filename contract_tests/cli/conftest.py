"""The CLI run in this process against the in-process mock, for the modules that do not run it their own way."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract_tests.helpers import CliRun, run_cli, wire_cli
from kling_lipsync.testing import KlingMock


@pytest.fixture
def run(
    kling_mock: KlingMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliRun]:
    """``kling-lipsync ARGS`` against ``kling_mock`` (``scenario=`` puts its prefix in ``--base-url``), whose
    virtual clock the command's sleeps advance."""
    wire_cli(monkeypatch, kling_mock)

    def run(*args: str, scenario: str | None = None) -> CliRun:
        return run_cli(capsys, ["--base-url", kling_mock.url("dmxapi", scenario), "--token", "sk-cli", *args])

    return run
