"""Imports are cheap and go one way: the leaf ``kling_spec``, the client, the mock, the pytest plugin.

Each check imports in a new interpreter and looks at ``sys.modules``, so nothing this suite imported itself
can hide a dependency. The plugin's import cost is measured and printed (timings are never asserted).
"""

from __future__ import annotations

import json
import subprocess
import sys

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
