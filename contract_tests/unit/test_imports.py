"""Imports are cheap and go one way: the leaf ``kling_spec``, the client, the mock, the pytest plugin.

Each check imports in a new interpreter and looks at ``sys.modules``, so nothing this suite imported itself
can hide a dependency. The plugin's import cost is measured and printed (timings are never asserted).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("flask", "werkzeug", "httpx", "mock_server", "kling_lipsync_client", "granian", "gunicorn")


def imported_by(statement: str) -> tuple[set[str], float]:
    """The top-level modules a statement imports (beyond pytest's own), and how long it took (ms)."""
    probe = f"""
import json, sys, time
import pytest
before = set(sys.modules)
started = time.perf_counter()
{statement}
took = (time.perf_counter() - started) * 1000
print(json.dumps([sorted({{name.split('.')[0] for name in set(sys.modules) - before}}), took]))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules, took = json.loads(done.stdout)
    return set(modules), took


def test_importing_the_package_imports_nothing_heavy() -> None:
    modules, _ = imported_by("import kling_lipsync")
    assert modules.isdisjoint(HEAVY), modules & set(HEAVY)


def test_the_pytest_plugin_imports_nothing_heavy_until_a_fixture_is_used() -> None:
    modules, took = imported_by("import kling_lipsync.pytest_plugin")
    assert modules.isdisjoint(HEAVY), modules & set(HEAVY)
    print(f"importing the pytest plugin took {took:.1f} ms")


def test_the_client_does_not_import_the_mock() -> None:
    modules, _ = imported_by("from kling_lipsync import LipSync")
    assert "httpx" in modules, "the probe sees what a statement imports"
    assert modules.isdisjoint({"flask", "mock_server"})


def test_the_mock_does_not_import_the_client() -> None:
    modules, _ = imported_by("import mock_server")
    assert "flask" in modules, "the probe sees what a statement imports"
    assert modules.isdisjoint({"kling_lipsync", "kling_lipsync_client"})


@pytest.mark.parametrize("statement", ["import kling_spec", "import kling_spec.families", "import kling_spec.audio"])
def test_the_spec_package_is_a_leaf(statement: str) -> None:
    modules, _ = imported_by(statement)
    assert modules.isdisjoint({*HEAVY, "kling_lipsync"}), modules


# -- no import circle, type-checking imports included (scripts/check_import_cycles.py, run by `make lint`) --

CHECKER = Path(__file__).resolve().parents[2] / "scripts" / "check_import_cycles.py"


def check_import_cycles(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECKER), *args], capture_output=True, text=True, check=False)


def test_the_hand_written_packages_import_each_other_in_no_circle() -> None:
    done = check_import_cycles()
    assert done.returncode == 0, done.stderr
    assert "no import circle among" in done.stdout


def write_package(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")


def test_a_circle_closed_by_a_type_checking_import_is_named(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/errors.py": "from .context import current_call\n",
            "pkg/context.py": """\
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from .runtime import Runtime
            """,
            "pkg/runtime.py": "from pkg import errors\n",
            "pkg/leaf.py": "import pkg.errors\n",
        },
    )
    done = check_import_cycles("--root", str(tmp_path), "pkg")
    assert done.returncode == 1
    assert "import circle: pkg.context -> pkg.runtime -> pkg.errors -> pkg.context" in done.stderr


def test_an_import_deferred_into_a_function_closes_no_circle(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        {
            "pkg/__init__.py": "from .app import make\n",
            "pkg/app.py": "from . import serving\n\ndef make():\n    return serving\n",
            "pkg/serving.py": "def launch():\n    from .app import make\n    return make()\n",
        },
    )
    done = check_import_cycles("--root", str(tmp_path), "pkg")
    assert done.returncode == 0, done.stderr
