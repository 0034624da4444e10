"""A mock of the Kling lip-sync API that behaves like the real service over time.

``create_app(settings)`` builds the Flask app; without arguments it reads ``KLING_MOCK_*`` from the
environment, so ``gunicorn 'mock_server:create_app()'`` serves the default configuration. What happens to
a request, in order, is in ``pipeline.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from . import pipeline
from .runtime import MockRuntime
from .serving import MEMORY, serving_context, share_store
from .settings import Settings

__all__ = ["UNREACHABLE_AT_START", "Settings", "create_app"]

#: What a worker started while its database is away says (and then answers 5000 until it is back).
UNREACHABLE_AT_START = "the database is unreachable as this worker starts: it answers 5000 until the database is back"


class _MockFlask(Flask):
    """Flask, minus a check the mock does not need on its hot path.

    Flask asks of every hook and view whether it is a coroutine function before calling it (about 5 us a
    request here); every function of the mock is synchronous.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


def create_app(settings: Settings | Mapping[str, Any] | None = None, *, spec: Mapping[str, Any] | None = None) -> Flask:
    """Build a mock app. ``settings``: a ``Settings``, a mapping of setting names, or None for the environment;
    ``spec``: another OpenAPI document than the shipped one (the spec gate runs old clients against a mock of a
    new spec), whose families it serves and validates."""
    if settings is None:
        resolved = Settings.from_env()
    elif isinstance(settings, Settings):
        resolved = settings
    else:
        resolved = Settings.from_mapping(settings)

    context = serving_context()
    resolved = share_store(resolved, context)
    app = _MockFlask(__name__)
    # A launcher opened the store and began the run before any worker (serving.prepare_run): a worker then
    # needs the database only to say it joined, and starts even while it is away (a worker replaced then).
    prepared = context.server == "launcher" and resolved.db != MEMORY
    mock = MockRuntime(resolved, spec, prepared=prepared)
    mock.owns_run = context.server == "in-process"
    try:
        mock.store.begin_run(context.run_id)
    except mock.store.errors:
        if not prepared:
            raise
        print(f"mock_server: {UNREACHABLE_AT_START}", file=sys.stderr, flush=True)
    app.extensions["kling_mock"] = mock
    app.config["MOCK_SETTINGS"] = resolved
    app.config["MAX_CONTENT_LENGTH"] = mock.families.max_request_bytes
    pipeline.install(app, mock)
    return app
