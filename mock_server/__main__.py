"""Run the mock for development: ``python -m mock_server --port 8000 --clock virtual``.

Every setting of ``Settings`` is a flag (``--max-in-flight 3``) and an environment variable
(``KLING_MOCK_MAX_IN_FLIGHT=3``); flags win. For load, serve ``mock_server:create_app()`` with gunicorn.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import MISSING, fields
from typing import Any

from werkzeug.serving import run_simple

from . import create_app
from .settings import Settings, parse_setting

_HELP = {
    "db": "SQLite file (':memory:' keeps nothing)",
    "clock": "real, or virtual (moved only by POST /__mock__/clock/advance)",
    "callback_allowed_hosts": "a host callbacks may reach besides loopback (repeatable)",
    "extra_access_keys": "another official-face account as ACCESS_KEY:SECRET_KEY (repeatable)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mock_server", description="Kling lip-sync mock server.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    for item in fields(Settings):
        flag = "--" + item.name.replace("_", "-")
        default = item.default if item.default is not MISSING else None
        help_text = _HELP.get(item.name, f"default {default!r}")
        if item.name in ("callback_allowed_hosts", "extra_access_keys"):
            parser.add_argument(flag, dest=item.name, action="append", default=None, help=help_text)
        elif isinstance(default, bool):
            parser.add_argument(
                flag, dest=item.name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            parser.add_argument(flag, dest=item.name, default=None, help=help_text)
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValueError as exc:
        print(f"mock_server: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(settings)
    print(
        f"Kling lip-sync mock on http://{args.host}:{args.port} (official face /v1, DMXAPI face /kling/v1; "
        f"admin /__mock__/; clock {settings.clock}; db {settings.db})",
        file=sys.stderr,
        flush=True,
    )
    run_simple(args.host, int(args.port), app, threaded=True, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
