"""Deliberately broken mocks, to show the contract suite fails when the mock drifts from the spec.

``KLING_CONTRACT_MUTANT=<name>`` makes ``conftest.py`` apply one before any test runs; ``test_mutants.py``
runs the contract tests that way and expects them to fail.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import mock_server.errors
import mock_server.runtime
from kling_spec import load_spec
from mock_server.families import Families
from mock_server.families.lipsync import LipSyncFamily
from mock_server.timeline import TaskTimeline


def wrong_status() -> None:
    """The table says 429 for 1303; this mock answers 400."""
    catalogue = dict(mock_server.errors.CATALOGUE)
    catalogue[1303] = dataclasses.replace(catalogue[1303], http_status=400)
    mock_server.errors.CATALOGUE = catalogue


def missing_field() -> None:
    """The task object loses ``task_status_msg``."""
    original = LipSyncFamily.render

    def render_without_message(self: LipSyncFamily, row: Any, now_ms: int) -> dict[str, Any]:
        task = original(self, row, now_ms)
        task.pop("task_status_msg")
        return task

    LipSyncFamily.render = render_without_message  # type: ignore[method-assign]


def status_goes_backwards() -> None:
    """Ten seconds after finishing, a task claims to be processing again."""
    original = TaskTimeline.status_at

    def status_at(self: TaskTimeline, now_ms: int) -> tuple[str, int]:
        if now_ms >= self.finished_at + 10_000:
            return "processing", self.finished_at + 10_000
        return original(self, now_ms)

    TaskTimeline.status_at = status_at  # type: ignore[method-assign]


def changed_limit() -> None:
    """A limit from the spec written again in Python, differently: text may be 200 characters."""
    spec = copy.deepcopy(dict(load_spec()))
    spec["components"]["schemas"]["LipSyncInput"]["properties"]["text"]["maxLength"] = 200
    mock_server.runtime.Families = lambda _shipped=None: Families(spec)  # type: ignore[assignment,misc]


MUTANTS: dict[str, Callable[[], None]] = {
    "wrong-status": wrong_status,
    "missing-field": missing_field,
    "status-goes-backwards": status_goes_backwards,
    "changed-limit": changed_limit,
}
