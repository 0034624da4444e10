"""Serve the mock: ``python -m mock_server`` or ``kling-lipsync mock`` (granian or gunicorn, one or more processes).

Every setting of ``Settings`` is a flag (``--max-in-flight 3``) and an environment variable
(``KLING_MOCK_MAX_IN_FLIGHT=3``); flags win. ``--server`` picks the HTTP server, granian (the default, the
fastest) or gunicorn (which lends the mock its connection, so socket faults work); every other flag means
the same under both. ``--workers N`` serves with N processes that share one SQLite store
(``mock_server.serving``): without ``--db``, N > 1 makes a database for the run and removes it on exit.

The start-up line is printed once a connection to the address it names succeeds, with the port really
bound (``--port 0``). A start-up that cannot work is one line on stderr and exit code 2 (a flag, a setting
or ``--db`` that cannot work) or 1 (the address cannot be listened on).
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import MISSING, fields
from typing import Any, NoReturn

from .database import DatabaseRefused, shown_url
from .serving import PreparedRun, ServingError, announce_when_listening, export_settings, prepare_run, startup_line
from .settings import ENV_THREADS, Settings, parse_setting, refuse_unknown

__all__ = [
    "DEFAULT_THREADS",
    "SERVERS",
    "build_parser",
    "granian_server",
    "main",
    "risky_settings",
    "settings_from_args",
    "unguarded_gunicorn",
]

#: Python threads per granian worker process that run the app. Measured (bench/RESULTS.md): on 2 cores one
#: thread per process is fastest, since the GIL lets only one run at a time and SQLite's write lock
#: serialises creates anyway; more threads only add switching. One is the event loop's own: the front
#: (``front.py``) waits for slow clients and for delays without a thread. gunicorn's default is its
#: packaged configuration's (``mock_server/gunicorn_conf.py``).
DEFAULT_THREADS = 1
#: Connections each granian process holds at once (see ``granian_server``).
BACKPRESSURE = 4096
#: The servers ``--server`` can name; the first is the default.
SERVERS = ("granian", "gunicorn")
_REPEATABLE = ("callback_allowed_hosts", "extra_access_keys", "cors_origins", "allowed_hosts")


def _default_prog() -> str:
    launched_as = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "kling-lipsync mock" if launched_as.startswith("kling-lipsync") else "python -m mock_server"


#: Shorter flags people type (issue 14 names ``--scenarios FILE``).
_ALIASES: dict[str, tuple[str, ...]] = {"scenarios_file": ("--scenarios",)}


class UsageError(Exception):
    """A command line that cannot start the mock; the message is one line that names the fix (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line like every other start-up refusal, instead of argparse's usage block."""
        raise UsageError(f"{message} (see --help)")


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog or _default_prog(),
        description="Serve the Kling lip-sync mock (both gateways, the admin API at /__mock__/) with granian "
        "or gunicorn.",
        epilog="Every flag is also an environment variable: --max-in-flight 3 is KLING_MOCK_MAX_IN_FLIGHT=3. "
        "Flags win over variables, and both over run-time changes an earlier run left in the database.",
    )
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default=SERVERS[0],
        help="The HTTP server (default granian, the fastest). gunicorn lends the mock its connection, so "
        "socket faults (connection-reset, empty-response, malformed-chunk, random-data-then-close) work.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    parser.add_argument(
        "--behind-proxy",
        action="store_true",
        help="With --server gunicorn beyond loopback: a buffering proxy such as nginx is in front, as gunicorn's "
        "docs ask (its threads wait for slow clients); without it such a start is refused.",
    )
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
        default=None,
        help=f"Python threads per process that run the app (default {DEFAULT_THREADS} under granian: the event "
        "loop's, see bench/RESULTS.md; under gunicorn the packaged configuration's).",
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


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """The arguments, or ``UsageError`` for an unknown flag (with the closest one) or a number out of range."""
    args, extra = parser.parse_known_args(argv)
    flags = [arg.split("=", 1)[0] for arg in extra if arg.startswith("-")]
    if not flags and extra:
        raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see --help)")
    refuse_unknown(flags, [option for action in parser._actions for option in action.option_strings], kind="flag")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: a port is 0 to 65535 (0 picks a free one)")
    for name in ("workers", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name} {value}: must be at least 1")
    return args


def _claim_address(host: str, port: int) -> socket.socket:
    """A socket bound to the address to serve on (a free port for 0), held until the server listens there.

    It never listens, so it takes no connection, and with ``SO_REUSEADDR`` on both sides the server binds
    beside it; while it is held no other program is given the port. ``ServingError`` if the host is not
    this machine's or something listens on the port; a name such as ``localhost`` is resolved (IPv4 first),
    since granian takes only addresses.
    """
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServingError(f"mock_server: cannot listen on {host}:{port}: {exc.strerror}") from None
    family, _, _, _, address = min(found, key=lambda entry: entry[0] != socket.AF_INET)
    claim = socket.socket(family, socket.SOCK_STREAM)
    claim.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        claim.bind(address[:2])
    except OSError as exc:
        claim.close()
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ServingError(f"mock_server: cannot listen on {host}:{port}: {reason}") from None
    return claim


def risky_settings(host: str, settings: Settings) -> list[str]:
    """What a start with these settings exposes that a user may not mean to: one sentence each, naming the fix."""
    warnings = []
    if not ipaddress.ip_address(host).is_loopback and settings.admin_token is None:
        warnings.append(
            f"listening on {host} with no admin token: anyone who reaches it can reset it or change its "
            "settings through /__mock__/; set one with --admin-token (KLING_MOCK_ADMIN_TOKEN)"
        )
    if settings.admin_cors and "*" in settings.cors_origins:
        warnings.append(
            "--admin-cors with --cors-origin '*': a page of any site may drive the admin API; name the origins"
        )
    return warnings


def unguarded_gunicorn(args: argparse.Namespace, host: str) -> str | None:
    """Why gunicorn may not listen on ``host`` as asked, or None: a slow client holds one of its threads for
    as long as it likes, so beyond loopback it serves only behind a buffering proxy, as its docs ask."""
    if args.server != "gunicorn" or args.behind_proxy or ipaddress.ip_address(host).is_loopback:
        return None
    return (
        f"--server gunicorn on {host}: a few slow clients would stop it (each holds a thread); serve with "
        "granian (the default), or put a buffering proxy such as nginx in front and say --behind-proxy"
    )


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Serve until stopped (0); a start that cannot work is one line on stderr and 2 (usage) or 1 (address)."""
    parser = build_parser(prog)
    try:
        args = _parse(parser, argv)
        settings = settings_from_args(args)
    except (UsageError, ValueError) as refused:  # an unknown setting is a ValueError too
        print(f"{parser.prog}: {refused}", file=sys.stderr)
        return 2
    try:
        claim = _claim_address(args.host, args.port)
    except ServingError as refused:
        print(str(refused).replace("mock_server:", f"{parser.prog}:", 1), file=sys.stderr)
        return 1
    if (unguarded := unguarded_gunicorn(args, claim.getsockname()[0])) is not None:
        claim.close()
        print(f"{parser.prog}: {unguarded}", file=sys.stderr)
        return 2
    try:
        try:
            prepared = prepare_run(settings, args.workers, port=claim.getsockname()[1])
        except ServingError as refused:
            print(str(refused).replace("mock_server:", f"{parser.prog}:", 1), file=sys.stderr)
            return 2
        except DatabaseRefused as unusable:  # not SQLite, unreachable, or the mock's data in another layout
            shown = shown_url(settings.db)
            said = str(unusable).removeprefix(f"{shown}: ").removeprefix(f"{shown} ")  # the URL once, not twice
            print(f"{parser.prog}: --db {shown}: {said}", file=sys.stderr)
            return 2
        export_settings(prepared.settings, os.environ)
        host, port = claim.getsockname()[:2]
        for warning in risky_settings(host, settings):
            print(f"{parser.prog}: warning: {warning}", file=sys.stderr)
        try:
            serve = _serve_gunicorn if args.server == "gunicorn" else _serve_granian
            return serve(host, port, args.workers, args.threads, prepared, claim)
        finally:
            prepared.cleanup()
    finally:
        claim.close()


def granian_server(target: str, host: str, port: int, workers: int, threads: int) -> Any:
    """granian as the mock runs on it, for a factory ``target`` of an RSGI app: a WSGI app behind its
    ``front.Front`` (``bench/`` serves its bare ceiling so too). ``threads`` is the front's to use."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels

    return Granian(
        target,
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        factory=True,
        workers=workers,
        # Under RSGI the app runs on the event loop's one thread (or the front's pool of ``threads``).
        blocking_threads=1,
        # Connections one process holds at once (granian takes a permit per connection, idle ones too): high
        # enough that hundreds of slow or idle clients leave room for the rest; the front holds no thread.
        backpressure=BACKPRESSURE,
        http=HTTPModes.http1,
        websockets=False,
        log_level=LogLevels.warning,
        log_access=False,
        workers_kill_timeout=5,
        # A worker that dies (a crash, the OOM killer, kill -9) is replaced; the store is shared, so the new
        # one serves every task the dead one acknowledged. Two deaths of one worker within 5.5 s still stop
        # the server (granian's crash-loop guard).
        respawn_failed_workers=True,
    )


def _serve_granian(
    host: str, port: int, workers: int, threads: int | None, prepared: PreparedRun, claim: socket.socket
) -> int:
    """Serve ``prepared`` with granian; the start-up line comes from a thread, once a connection succeeds."""
    threads = threads or DEFAULT_THREADS
    line = startup_line(host, port, "granian", workers, threads, prepared)
    stop = threading.Event()

    def announce() -> None:
        # granian calls this in its main process once it has checked the address, before the workers
        # start; each worker opens its own listening socket (SO_REUSEPORT) only after loading the app. So
        # the line waits, in a thread, for a connection to succeed.
        threading.Thread(
            target=announce_when_listening, args=(host, port, line, stop, claim.close), daemon=True
        ).start()

    os.environ[ENV_THREADS] = str(threads)  # for the front in each worker (``serving.launched_front``)
    server = granian_server("mock_server.serving:launched_front", host, port, workers, threads)
    server.on_startup(announce)
    server.on_shutdown(stop.set)
    server.on_shutdown(prepared.cleanup)
    server.serve()
    return 0


def _serve_gunicorn(
    host: str, port: int, workers: int, threads: int | None, prepared: PreparedRun, claim: socket.socket
) -> int:
    """Serve ``prepared`` with gunicorn and its packaged configuration (``gunicorn_conf.launch``)."""
    from . import gunicorn_conf

    gunicorn_conf.launch(host, port, workers, threads, prepared, on_listening=claim.close)
    return 0


if __name__ == "__main__":
    sys.exit(main())
