"""The project's own hygiene, checked by `make test`: ruff, mypy, and docs that name every setting."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from contract_tests.servers import ROOT
from mock_server.settings import Settings

BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    lint = run(str(BIN / "ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = run(str(BIN / "ruff"), "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


@pytest.mark.slow
def test_mypy_strict_is_clean() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_mock_command_line_names_the_command_typed_and_explains_every_flag() -> None:
    from mock_server.__main__ import build_parser

    shown = run(str(BIN / "kling-lipsync"), "mock", "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: kling-lipsync mock "), "named as the user typed it"
    for item in fields(Settings):
        assert f"--{item.name.replace('_', '-')}" in shown.stdout
    vague = [
        action.option_strings[0]
        for action in build_parser()._actions
        if action.option_strings and action.dest != "help" and not (action.help or "").rstrip(" )").endswith(".")
    ]
    assert vague == [], "every flag has a sentence of help"
    assert "default 1.0" not in shown.stdout, "help says what a flag does, not only its default"
