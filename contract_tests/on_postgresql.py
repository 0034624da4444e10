"""A pytest plugin that runs in-process mocks on PostgreSQL: every ``Store(":memory:")`` gets a new database of
its own on the server ``KLING_TEST_POSTGRES`` names (``postgresql://user@host:port``), instead of SQLite's memory.

``pytest -p contract_tests.on_postgresql contract_tests/mock`` with that variable set runs the mock's contract
tests on the second store; ``contract_tests/serving/test_team.py`` does so on a server it starts.
"""

from __future__ import annotations

import itertools
import os

import psycopg

import mock_server.runtime
from mock_server.store import Store

_SERVER = os.environ["KLING_TEST_POSTGRES"].rstrip("/")
_numbers = itertools.count()


def _new_database() -> str:
    name = f"store_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(f"{_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    return f"{_SERVER}/{name}"


class PostgresStore(Store):
    """``Store`` on a new PostgreSQL database where a test asked for ``:memory:``; other paths as given."""

    def __init__(self, path: str, *, clock_start_ms: int, prepared: bool = False) -> None:
        fresh = path == ":memory:"
        super().__init__(
            _new_database() if fresh else path, clock_start_ms=clock_start_ms, prepared=prepared and not fresh
        )


mock_server.runtime.Store = PostgresStore  # type: ignore[misc]
