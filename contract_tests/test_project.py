"""The project's own hygiene, checked by `make test`: ruff, mypy, and docs that name every setting."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from mock_server.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    lint = run(str(BIN / "ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = run(str(BIN / "ruff"), "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


def test_mypy_strict_is_clean() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_documents_every_mock_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [item.name for item in fields(Settings) if f"{ENV_PREFIX}{item.name.upper()}" not in readme]
    assert missing == []
