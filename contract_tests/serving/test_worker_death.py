"""A worker's death is survived (issue 21, defect 2): a replacement starts, the server goes on serving, and
every task a worker acknowledged is still there.

Before, ``kill -9`` of one granian worker took the whole server down (granian's master exited, and the other
worker with it: 1,802 of 2,000 creates refused); gunicorn already replaced its workers.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import SERVED_TASKS, data
from contract_tests.servers import ProductionMock, workers_of

pytestmark = pytest.mark.slow

AUTH = {"Authorization": "Bearer sk-survivor"}
BEFORE, AFTER = 10, 30
#: How long a replacement may take to start: loading the app takes a second or two; far below forever.
REPLACED_WITHIN = 60.0


@pytest.fixture(params=["granian", "gunicorn"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProductionMock]:
    env = {"KLING_MOCK_DB": str(tmp_path / "deaths.sqlite3"), "KLING_MOCK_MAX_IN_FLIGHT": "1000"}
    mock = ProductionMock(env, workers=2, server=request.param)
    yield mock
    mock.stop()


def gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie has: its sockets are closed), as the kernel sees it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.05)


def create(server: ProductionMock) -> str:
    """One create on a connection of its own, so the kernel may hand it to either worker."""
    return str(data(httpx.post(f"{server.url}{SERVED_TASKS}", json=text_body(), headers=AUTH, timeout=30))["task_id"])


def test_a_killed_worker_is_replaced_and_no_acknowledged_task_is_lost(server: ProductionMock) -> None:
    acknowledged = [create(server) for _ in range(BEFORE)]
    first = workers_of(server.process.pid)
    assert len(first) == 2, server.log
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: gone(victim), REPLACED_WITHIN, f"worker {victim} exits")
    # The other worker serves at once: every create on a new connection is answered.
    acknowledged += [create(server) for _ in range(AFTER)]
    wait_until(lambda: len(workers_of(server.process.pid) - first) == 1, REPLACED_WITHIN, "a replacement starts")
    assert server.process.poll() is None, "the server itself goes on"
    listed = data(httpx.get(f"{server.url}{SERVED_TASKS}", params={"pageSize": 500}, headers=AUTH))
    assert sorted(task["task_id"] for task in listed) == sorted(acknowledged)
