"""gunicorn's configuration for the mock, shipped in the package: ``gunicorn -c python:mock_server.gunicorn_conf``.

    gunicorn -c python:mock_server.gunicorn_conf -w 4 -b 127.0.0.1:8000 'mock_server:create_app()'

The mock's own settings come from ``KLING_MOCK_*`` variables (README, "Configuration"). Before the workers
start, ``on_starting`` prepares the run (``mock_server.serving.prepare_run``): with several workers and no
``KLING_MOCK_DB`` it makes one shared database, removed by ``on_exit``. Requests gunicorn refuses before the
app sees them are answered in the Kling envelope (``gunicorn_errors``).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

from mock_server.gunicorn_errors import install
from mock_server.serving import PreparedRun, ServingError, prepare_run
from mock_server.settings import Settings

bind = "127.0.0.1:8000"
workers = 2
worker_class = "gthread"
threads = 4
keepalive = 5

install()

_prepared: list[PreparedRun] = []


def on_starting(server: Any) -> None:
    """In the master, before any worker: one store for all workers, and the run id they share."""
    try:
        prepared = prepare_run(Settings.from_env(), int(server.cfg.workers))
    except (ServingError, ValueError, sqlite3.DatabaseError) as refused:
        print(str(refused), file=sys.stderr, flush=True)
        os._exit(1)  # gunicorn has not started anything yet; an exception here would print a traceback
    _prepared.append(prepared)
    server.log.info("Kling lip-sync mock: %d worker(s); db %s", server.cfg.workers, prepared.describe_db())


def on_exit(server: Any) -> None:
    for prepared in _prepared:
        prepared.cleanup()
