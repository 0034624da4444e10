"""The remote suite over a recording instead of a server: ``make contract RECORDING=DIR``.

The same strictness as against a live server, on what ``kling-lipsync record`` kept: every answer as the
spec describes it, every code under its HTTP status, and each recorded task's life against the lifecycle's
invariants, one test per task (``mock_server.recording.check``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.recording.cassette import Interaction, load_folder
from mock_server.recording.check import check_interactions, task_lives


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    folder = metafunc.config.getoption("--recording")
    if "task" in metafunc.fixturenames:
        lives = task_lives(_recorded(folder)) if folder else {}
        metafunc.parametrize("task", sorted(lives) or [None], ids=lambda key: str(key))


def _recorded(folder: str) -> list[Interaction]:
    return [item for _path, _meta, items in load_folder(Path(folder)) for item in items]


@pytest.fixture
def recorded(pytestconfig: pytest.Config) -> list[Interaction]:
    folder = pytestconfig.getoption("--recording")
    if not folder:
        pytest.skip("no --recording")
    return _recorded(folder)


def test_every_recorded_exchange_matches_the_spec(recorded: list[Interaction]) -> None:
    checked, differences = check_interactions(recorded)
    assert checked, "the recording holds exchanges of the API"
    shown = [f"{d.operation} {d.status} {d.where}: {d.what} ({d.origin})" for d in differences if d.status != "-"]
    assert shown == []


def test_each_recorded_task_lives_as_a_task_does(recorded: list[Interaction], task: str | None) -> None:
    if task is None:
        pytest.skip("the recording holds no task")
    broken = task_lives(recorded)[task]
    assert broken == [], f"{task}: " + "; ".join(broken)
