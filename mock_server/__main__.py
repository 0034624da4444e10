"""Serve the mock: ``python -m mock_server`` or ``kling-lipsync mock`` (granian, one or more processes).

Every setting of ``Settings`` is a flag (``--max-in-flight 3``) and an environment variable
(``KLING_MOCK_MAX_IN_FLIGHT=3``); flags win. ``--workers N`` serves with N processes that share one
SQLite store (``mock_server.serving``): without ``--db``, N > 1 makes a database for the run and removes
it on exit. The start-up line is printed once the socket is bound, with the port really bound.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import MISSING, fields
from typing import Any

from .serving import PreparedRun, ServingError, export_settings, prepare_run
from .settings import Settings, parse_setting

__all__ = ["DEFAULT_THREADS", "build_parser", "granian_server", "main", "settings_from_args"]

#: Python threads per worker process that run the app. Measured (bench/RESULTS.md): on 2 cores one
#: thread per process is fastest, since the GIL lets only one run at a time and SQLite's write lock
#: serialises creates anyway; more threads only add switching. More are needed only for slow clients
#: of the app itself, such as chaos latency, which sleeps in the thread.
DEFAULT_THREADS = 1
_REPEATABLE = ("callback_allowed_hosts", "extra_access_keys", "cors_origins")


def _default_prog() -> str:
    launched_as = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "kling-lipsync mock" if launched_as.startswith("kling-lipsync") else "python -m mock_server"


#: Shorter flags people type (issue 14 names ``--scenarios FILE``).
_ALIASES: dict[str, tuple[str, ...]] = {"scenarios_file": ("--scenarios",)}


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or _default_prog(),
        description="Serve the Kling lip-sync mock (both gateways, the admin API at /__mock__/) with granian.",
        epilog="Every flag is also an environment variable: --max-in-flight 3 is KLING_MOCK_MAX_IN_FLIGHT=3. "
        "Flags win over variables, and both over run-time changes an earlier run left in the database.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=8000, help="Port to listen on; 0 picks a free one (default 8000).")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Processes that serve; they share one database (default 1). Without --db, more than one makes a "
        "database for the run, removed on exit.",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"Python threads per process that run the app (default {DEFAULT_THREADS}; see bench/RESULTS.md).",
    )
    for item in fields(Settings):
        flags = ["--" + item.name.replace("_", "-"), *_ALIASES.get(item.name, ())]
        flag = flags[0]
        default = item.default if item.default is not MISSING else None
        help_text = item.metadata["help"]
        if default not in (None, (), ""):
            help_text += f" Default: {default}."
        if item.name in _REPEATABLE:
            # Each use gives one value, so the singular reads as typed: --cors-origin A --cors-origin B.
            flags = [flag, flag.removesuffix("s")]
            metavar = item.name.upper().removesuffix("S")
            parser.add_argument(*flags, dest=item.name, action="append", default=None, metavar=metavar, help=help_text)
        elif isinstance(default, bool):
            parser.add_argument(
                flag, dest=item.name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            parser.add_argument(*flags, dest=item.name, default=None, help=help_text)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Environment first, then the flags that were given."""
    overrides: dict[str, Any] = {}
    for item in fields(Settings):
        value = getattr(args, item.name)
        if value is None:
            continue
        if isinstance(value, list):  # a repeatable flag: read like its comma-separated variable
            value = parse_setting(item.name, ",".join(value))
        overrides[item.name] = value
    return Settings.from_env(**overrides)


def _claim_port(host: str, port: int) -> int:
    """The port to serve on (a free one for 0); ``ServingError`` if it is taken or the host is not ours."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise ServingError(f"mock_server: cannot listen on {host}:{port}: {reason}") from None
        bound: int = probe.getsockname()[1]
        return bound


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    try:
        port = _claim_port(args.host, args.port)
        prepared = prepare_run(settings, args.workers)
    except ServingError as refused:
        print(str(refused).replace("mock_server:", f"{parser.prog}:", 1), file=sys.stderr)
        return 2 if "--db" in str(refused) else 1
    except sqlite3.DatabaseError as unusable:  # not SQLite, or the mock's data in another layout
        print(f"{parser.prog}: --db {settings.db}: {unusable}", file=sys.stderr)
        return 2
    export_settings(prepared.settings, os.environ)
    try:
        return _serve(args.host, port, args.workers, args.threads, prepared)
    finally:
        prepared.cleanup()


def granian_server(target: str, host: str, port: int, workers: int, threads: int) -> Any:
    """granian as the mock runs on it, for a WSGI app factory ``target`` (``bench/`` serves its ceiling so too)."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels

    return Granian(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        factory=True,
        workers=workers,
        blocking_threads=threads,
        # Requests one process takes on at once; beyond it they wait in the socket's queue.
        backpressure=max(threads * 32, 64),
        http=HTTPModes.http1,
        websockets=False,
        log_level=LogLevels.warning,
        log_access=False,
        workers_kill_timeout=5,
    )


def _serve(host: str, port: int, workers: int, threads: int, prepared: PreparedRun) -> int:
    settings = prepared.settings
    shown_host = f"[{host}]" if ":" in host else host

    def announce() -> None:
        # granian calls this once its socket is bound, before the workers start: connections wait for them.
        print(
            f"Kling lip-sync mock on http://{shown_host}:{port} (Kling gateway /v1, DMXAPI gateway /kling/v1; "
            f"admin /__mock__/; {workers} worker{'s' if workers > 1 else ''} x {threads} thread"
            f"{'s' if threads > 1 else ''}; clock {settings.clock}; db {prepared.describe_db()})",
            file=sys.stderr,
            flush=True,
        )

    server = granian_server("mock_server.serving:launched_app", host, port, workers, threads)
    server.on_startup(announce)
    server.on_shutdown(prepared.cleanup)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
