"""Serving the mock with several processes: one shared store, one run id, and the production launch.

Several worker processes (granian's or gunicorn's) each build their own app. They make one consistent
mock only through one SQLite file: a task created through one worker must be found through the others.
So every way of serving agrees on this:

- A launcher (``kling-lipsync mock``, ``python -m mock_server``, the shipped gunicorn configuration) calls
  ``prepare_run`` once in its main process, before any worker starts: with more than one worker and no
  database it makes one shared file (in a fresh temporary folder, removed when the server exits), opens
  the store once (so workers never race to create a new file), and tells the workers through the
  environment how many they are and which run they belong to.
- ``create_app`` in a worker calls ``serving_context``, then ``share_store``: workers of a server started
  without a launcher (plain gunicorn or granian) all open one file named after their main process, so
  several workers are never served split, whatever the command.
- ``Store.begin_run(run_id)``: the first process of a new run drops the run-time settings changes an
  earlier run left in the database, so the settings given at start win; workers of the same run share the
  id and keep each other's changes, and on a team's database a server joins a run still alive
  (``PreparedRun.cleanup`` ends the run when the server exits).

A launcher (granian's or gunicorn's) prints ``startup_line`` through ``announce_when_listening``: only once a
connection to the address it names succeeds, so a script may connect the moment it reads the line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from .database import DatabaseRefused, is_postgresql, shown_url
from .front import Front
from .settings import ENV_PREFIX, ENV_RUN_ID, ENV_SETTINGS, ENV_THREADS, ENV_WORKERS, Settings
from .store import Store

__all__ = [
    "ENV_RUN_ID",
    "ENV_SETTINGS",
    "ENV_WORKERS",
    "PreparedRun",
    "ServingContext",
    "ServingError",
    "announce_when_listening",
    "check_db_path",
    "export_settings",
    "launched_app",
    "launched_front",
    "prepare_run",
    "serving_context",
    "share_store",
    "startup_line",
]

MEMORY = ":memory:"


class ServingError(RuntimeError):
    """A way of serving that cannot give a correct mock; the message is one line that names the fix."""


@dataclass(frozen=True)
class ServingContext:
    """Who serves this app: the server, how many processes (None: unknown), and the run id they share."""

    server: str
    workers: int | None
    run_id: str


def serving_context() -> ServingContext:
    """Find out how this process serves: told by a launcher, found in gunicorn's state, or on its own."""
    run_id = os.environ.get(ENV_RUN_ID)
    workers = os.environ.get(ENV_WORKERS)
    if run_id and workers and workers.isdigit():
        return ServingContext("launcher", int(workers), run_id)
    found = _gunicorn_context()
    if found is not None:
        return found
    if _is_granian_worker():
        # granian started by hand: its workers are spawned processes that cannot see how many they are.
        master = os.getppid()
        return ServingContext("granian", None, f"granian-{master}-{_process_start(master)}")
    return ServingContext("in-process", 1, uuid.uuid4().hex)


def share_store(settings: Settings, context: ServingContext) -> Settings:
    """The settings with one store for every process of the server, never a split ``:memory:``.

    A server started without a launcher (plain ``gunicorn -w 2`` or ``granian --workers 2``) gets a file
    named after its main process in the temporary folder: every worker finds the same one. It outlives
    the server (nothing of the mock runs when gunicorn's master exits); the next start of this kind
    removes the files of servers that are gone.
    """
    if settings.db != MEMORY or context.workers == 1:
        return settings
    folder = Path(tempfile.gettempdir())
    _remove_files_of_gone_servers(folder)
    path = folder / f"{_RUN_FILE_PREFIX}{context.run_id}.sqlite3"
    print(
        f"mock_server: {context.workers or 'several'} {context.server} workers share the database {path} "
        "(set KLING_MOCK_DB to choose one)",
        file=sys.stderr,
        flush=True,
    )
    return dataclasses.replace(settings, db=str(path))


_RUN_FILE_PREFIX = "kling-mock-run-"


def _remove_files_of_gone_servers(folder: Path) -> None:
    for path in folder.glob(f"{_RUN_FILE_PREFIX}*.sqlite3"):
        parts = path.name.removeprefix(_RUN_FILE_PREFIX).removesuffix(".sqlite3").split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        if _process_start(int(parts[1])) == parts[2]:
            continue  # its server still runs
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def check_db_path(db: str) -> None:
    """A database file the mock can create or open, or ``ServingError`` naming what is wrong (a PostgreSQL URL
    is checked by connecting to it: ``DatabaseRefused``)."""
    if db == MEMORY or is_postgresql(db):
        return
    path = Path(db)
    if path.is_dir():
        raise ServingError(f"mock_server: --db {db} is a folder; name a file in it, e.g. {path / 'mock.sqlite3'}")
    folder = path.parent
    if not folder.is_dir():
        raise ServingError(f"mock_server: --db {db}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        raise ServingError(f"mock_server: --db {db}: not writable")


@dataclass
class PreparedRun:
    """What a launcher made for one server run: the settings workers get, and how to clean up after it."""

    settings: Settings
    run_id: str
    shared_folder: Path | None

    def describe_db(self) -> str:
        if self.shared_folder is not None:
            return f"{self.settings.db} (made for this run, removed when the server exits)"
        return shown_url(self.settings.db)

    def cleanup(self) -> None:
        """The server exited: its run has ended (a team's server started from now on does not join it), and the
        database made for this run, if any, is removed (the WAL files with it)."""
        if self.shared_folder is not None:
            shutil.rmtree(self.shared_folder, ignore_errors=True)
            self.shared_folder = None
        elif is_postgresql(self.settings.db):  # runs are joined on a team's database only
            _end_run(self.settings, self.run_id)


def _end_run(settings: Settings, run_id: str) -> None:
    """Mark run ``run_id`` ended in its database; if the database is gone too, the run counts as gone once its
    workers have not said they are alive for a while (``Store.begin_run``)."""
    try:
        store = Store(settings.db, clock_start_ms=settings.virtual_clock_start_ms, prepared=True)
    except DatabaseRefused:
        return
    try:
        with contextlib.suppress(*store.errors):
            store.end_run(run_id)
    finally:
        store.close()


def prepare_run(
    settings: Settings,
    workers: int,
    environ: MutableMapping[str, str] | None = None,
    *,
    port: int | None = None,
    make_folder: Callable[[], str] = lambda: tempfile.mkdtemp(prefix="kling-mock-"),
) -> PreparedRun:
    """In the launcher's main process, before workers start: choose the store and open it once.

    ``environ`` (``os.environ`` by default) receives the run id, the worker count and the database, so
    workers forked or spawned afterwards build the same mock. Raises ``ServingError`` for a database path
    that cannot work. ``port``: where it listens, which names this server in the journal (``server_name``) unless
    the settings name it.
    """
    env = os.environ if environ is None else environ
    if settings.server_name is None and port is not None:
        settings = dataclasses.replace(settings, server_name=f"{socket.gethostname()}:{port}")
    shared_folder: Path | None = None
    if settings.db == MEMORY and workers > 1:
        shared_folder = Path(make_folder())
        settings = dataclasses.replace(settings, db=str(shared_folder / "mock.sqlite3"))
    check_db_path(settings.db)
    run_id = uuid.uuid4().hex
    if settings.db != MEMORY:
        # Create the file, switch it to WAL and make the tables here, once: workers then only open it.
        store = Store(settings.db, clock_start_ms=settings.virtual_clock_start_ms)
        store.begin_run(run_id)
        store.close()
    env[ENV_RUN_ID] = run_id
    env[ENV_WORKERS] = str(workers)
    env[ENV_PREFIX + "DB"] = settings.db
    if settings.server_name is not None:
        env[ENV_PREFIX + "SERVER_NAME"] = settings.server_name
    return PreparedRun(settings, run_id, shared_folder)


def _gunicorn_context() -> ServingContext | None:
    """gunicorn's worker count and master pid, read from its objects on the call stack.

    ``gunicorn 'mock_server:create_app()'`` calls ``create_app`` from ``BaseApplication.wsgi``, in each
    worker (or once in the master with ``--preload``); gunicorn passes the app nothing else.
    """
    if "gunicorn.app.base" not in sys.modules:
        return None
    from gunicorn.app.base import BaseApplication
    from gunicorn.workers.base import Worker

    workers: int | None = None
    master_pid = os.getpid()  # with --preload the app is built in the master itself
    frame = sys._getframe(1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, Worker):
            master_pid = owner.ppid
        elif isinstance(owner, BaseApplication) and owner.cfg is not None:
            workers = int(owner.cfg.workers)
        frame = frame.f_back  # type: ignore[assignment]
    if workers is None:
        return None
    return ServingContext("gunicorn", workers, f"gunicorn-{master_pid}-{_process_start(master_pid)}")


def _is_granian_worker() -> bool:
    if "granian" not in sys.modules:
        return False
    import multiprocessing

    return multiprocessing.current_process().name == "granian-worker"


def _process_start(pid: int) -> str:
    """When process ``pid`` started (Linux clock ticks), so a reused pid is not taken for the same run."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "0"


def export_settings(settings: Settings, environ: MutableMapping[str, str]) -> None:
    """Hand the launcher's settings to workers through the environment (flags included, not only variables)."""
    environ[ENV_SETTINGS] = json.dumps(dataclasses.asdict(settings))


def launched_app() -> Flask:
    """The app a launcher's worker serves: the launcher's settings (gunicorn's, and the front's app)."""
    from . import create_app

    raw = os.environ.get(ENV_SETTINGS)
    return create_app(Settings.from_mapping(json.loads(raw)) if raw else None)


def launched_front() -> Front:
    """What a granian worker serves (``granian --interface rsgi --factory`` target): the app behind its front."""
    app = launched_app()
    settings: Settings = app.config["MOCK_SETTINGS"]
    return Front(
        app.wsgi_app,
        max_body_bytes=app.config["MAX_CONTENT_LENGTH"],
        body_timeout_seconds=settings.body_timeout_seconds,
        threads=int(os.environ.get(ENV_THREADS, "1")),
    )


def startup_line(host: str, port: int, server: str, workers: int, threads: int, prepared: PreparedRun) -> str:
    """The one line a launcher prints when the mock can be reached: where, how it serves, which store."""
    shown_host = f"[{host}]" if ":" in host else host
    return (
        f"Kling lip-sync mock on http://{shown_host}:{port} (Kling gateway /v1, DMXAPI gateway /kling/v1; "
        f"admin /__mock__/; {server}, {workers} worker{'s' if workers > 1 else ''} x {threads} thread"
        f"{'s' if threads > 1 else ''}; clock {prepared.settings.clock}; db {prepared.describe_db()})"
    )


def announce_when_listening(
    host: str, port: int, line: str, stop: threading.Event, then: Callable[[], object] = lambda: None
) -> bool:
    """Write ``line`` on stderr once a connection to ``host:port`` succeeds; False if ``stop`` came first.

    The one test of "the server can be reached" is the one its users make: connect. granian's workers
    open their listening sockets only once they have loaded the app; gunicorn's master listens before its
    workers start (a connection then waits in the queue). ``then`` runs just before the line.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    while not stop.is_set():
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.connect((host, port))  # an address, never a name: no resolver call in a forking process
            except OSError:
                stop.wait(0.005)
                continue
        then()
        # os.write, not print: in granian's main process this runs in a thread while workers are forked,
        # and a fork taken while this thread held sys.stderr's lock would leave the lock held in the worker.
        os.write(2, (line + "\n").encode())
        return True
    return False
