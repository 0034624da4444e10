"""gunicorn's configuration for the mock, shipped in the package: ``gunicorn -c python:mock_server.gunicorn_conf``.

    gunicorn -c python:mock_server.gunicorn_conf -w 4 -b 127.0.0.1:8000 'mock_server:create_app()'
    kling-lipsync mock --server gunicorn --workers 4 --port 8000     # the same, with the launcher's flags

The mock's own settings come from ``KLING_MOCK_*`` variables (README, "Configuration"), or from the
launcher's flags (``launch``). Before the workers start, ``on_starting`` prepares the run
(``mock_server.serving.prepare_run``) unless the launcher already did: with several workers and no database
it makes one shared file, removed by ``on_exit``. ``when_ready`` prints the start-up line once a connection
to the address succeeds. Requests gunicorn refuses before the app sees them, and bodies it cannot read,
are answered in the Kling envelope (``gunicorn_errors``).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from mock_server.database import DatabaseRefused
from mock_server.gunicorn_errors import ReadableBody, install
from mock_server.serving import (
    PreparedRun,
    ServingError,
    announce_when_listening,
    launched_app,
    prepare_run,
    startup_line,
)
from mock_server.settings import Settings

__all__ = [
    "bind",
    "keepalive",
    "launch",
    "on_exit",
    "on_starting",
    "post_worker_init",
    "pre_request",
    "threads",
    "when_ready",
    "worker_class",
    "workers",
]

bind = "127.0.0.1:8000"
workers = 2
worker_class = "gthread"
threads = 4
keepalive = 5

install()

#: The run being served: prepared by ``on_starting``, or handed over by the launcher (``launch``).
_prepared: list[PreparedRun] = []
#: What the launcher does once the mock can be reached (let go of the address it held).
_on_listening: list[Callable[[], object]] = []


def on_starting(server: Any) -> None:
    """In the master, before any worker: one store for all workers, and the run id they share."""
    if _prepared:
        return  # the launcher prepared it, from its flags
    try:
        prepared = prepare_run(Settings.from_env(), int(server.cfg.workers), port=_first_port(server.cfg.bind))
    except (ServingError, ValueError, DatabaseRefused) as refused:
        message = str(refused)
        print(message if message.startswith("mock_server:") else f"mock_server: {message}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(1)  # gunicorn has not started anything yet; an exception here would print a traceback
    _prepared.append(prepared)


def _first_port(binds: list[str]) -> int | None:
    """The port of gunicorn's first TCP address (``host:port``), which names this server in the journal."""
    for bind in binds:
        _host, colon, port = bind.rpartition(":")
        if colon and port.isdigit() and not bind.startswith(("unix:", "fd://")):
            return int(port)
    return None


def when_ready(server: Any) -> None:
    """In the master, once it listens (workers not yet started): the start-up line, when a connection succeeds."""
    addresses = [listener.sock.getsockname() for listener in server.LISTENERS]
    tcp = [address for address in addresses if isinstance(address, tuple)]
    if not tcp or not _prepared:
        return  # a Unix socket, or --reuse-port (each worker listens): no address to announce from here
    host, port = tcp[0][:2]
    line = startup_line(host, port, "gunicorn", int(server.cfg.workers), int(server.cfg.threads), _prepared[0])

    def listening() -> None:
        for callback in _on_listening:
            callback()

    # The master listens already: the first connection succeeds (it waits in the queue for a worker).
    announce_when_listening(host, port, line, threading.Event(), then=listening)


def post_worker_init(worker: Any) -> None:
    """In each worker, once the app is loaded: a body gunicorn cannot read is the app's 400, not a 500."""
    worker.kling_max_body_bytes = worker.wsgi.config["MAX_CONTENT_LENGTH"]  # for ``pre_request``
    worker.wsgi = ReadableBody(worker.wsgi)


def pre_request(worker: Any, req: Any) -> None:
    """In each worker, before the app: a body over the mock's limit is answered 413 unread, so the answer
    says ``Connection: close``; gunicorn ignores the app's own ``Connection`` header, kept the connection,
    and would read the whole body (any size) to find the next request."""
    for name, value in req.headers:
        if name == "CONTENT-LENGTH" and value.isdigit() and int(value) > worker.kling_max_body_bytes:
            req.must_close = True


def on_exit(server: Any) -> None:
    """In the master, last: remove the database made for the run."""
    for prepared in _prepared:
        prepared.cleanup()


def launch(
    host: str,
    port: int,
    worker_count: int,
    thread_count: int | None,
    prepared: PreparedRun,
    *,
    on_listening: Callable[[], object] = lambda: None,
) -> None:
    """Serve ``prepared`` with gunicorn, this configuration and the launcher's flags (``--server gunicorn``).

    ``thread_count`` None keeps this configuration's ``threads``. gunicorn logs only warnings, as granian
    does under the launcher: the start-up line is the one line a start prints. Ends with ``SystemExit``.
    """
    from gunicorn.app.base import BaseApplication

    _prepared[:] = [prepared]
    _on_listening[:] = [on_listening]
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    chosen = {
        "bind": [address],
        "workers": worker_count,
        "threads": thread_count or threads,
        "worker_class": worker_class,
        "keepalive": keepalive,
        "loglevel": "warning",
        "on_starting": on_starting,
        "when_ready": when_ready,
        "post_worker_init": post_worker_init,
        "pre_request": pre_request,
        "on_exit": on_exit,
    }

    class Launched(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            """This configuration with the launcher's flags, and nothing read from the command line."""
            for name, value in chosen.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            """In each worker: the app with the launcher's settings."""
            return launched_app()

    Launched(prog="kling-lipsync mock --server gunicorn").run()
