"""A mock of the Kling lip-sync API that behaves like the real service over time.

``create_app(settings)`` builds the Flask app; without arguments it reads ``KLING_MOCK_*`` from the
environment, so ``gunicorn 'mock_server:create_app()'`` serves the default configuration.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import admin, api, cors
from .context import Call
from .errors import KlingError, ProxyAuthError, new_request_id
from .redact import redact_authorization, without_audio_bytes
from .runtime import MockRuntime, mock_runtime
from .serving import serving_context, share_store
from .settings import Settings
from .store import JournalEntry
from .wire import EFFECT, Wire

__all__ = ["Settings", "create_app"]


# HTTP errors raised by routing or Werkzeug, as the Kling table words them.
_HTTP_TO_KLING = {404: (1203, None), 405: (1202, None), 413: (1200, 413)}


class _MockFlask(Flask):
    """Flask, minus a check the mock does not need on its hot path.

    Flask asks of every hook and view whether it is a coroutine function before calling it (about 5 us a
    request here); every function of the mock is synchronous.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


def create_app(settings: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build a mock app. ``settings``: a ``Settings``, a mapping of setting names, or None for the environment."""
    if settings is None:
        resolved = Settings.from_env()
    elif isinstance(settings, Settings):
        resolved = settings
    else:
        resolved = Settings.from_mapping(settings)

    context = serving_context()
    resolved = share_store(resolved, context)
    app = _MockFlask(__name__)
    mock = MockRuntime(resolved)
    mock.store.begin_run(context.run_id)
    app.extensions["kling_mock"] = mock
    app.config["MOCK_SETTINGS"] = resolved
    app.config["MAX_CONTENT_LENGTH"] = mock.families.max_request_bytes

    # Every family's API on both gateways, and behind a scenario prefix for clients that set no headers.
    families_api = api.blueprint(mock.families)
    app.register_blueprint(families_api)
    app.register_blueprint(families_api, url_prefix="/kling", name="dmxapi")
    app.register_blueprint(families_api, url_prefix="/scenario/<mock_scenario>", name="scenario_kling")
    app.register_blueprint(families_api, url_prefix="/scenario/<mock_scenario>/kling", name="scenario_dmxapi")
    app.register_blueprint(admin.bp)
    for rule in app.url_map.iter_rules():
        # Kling answers a method a path does not have with 404/1202, OPTIONS included.
        rule.methods = {m for m in rule.methods or () if m != "OPTIONS"}

    # A URL value preprocessor runs before anything else of the request, blueprints' included.
    app.url_value_preprocessor(_begin)
    app.after_request(_finish)
    if resolved.cors_origins:
        cors.install(app, resolved.cors_origins, admin.bp.url_prefix or "/__mock__")
    app.register_error_handler(KlingError, _render_kling_error)
    app.register_error_handler(ProxyAuthError, lambda exc: exc.to_response())
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(Exception, _render_unexpected)
    # Transport faults, delays and dribbling happen around the app, where the connection is (wire.py).
    app.wsgi_app = Wire(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _begin(endpoint: str | None, values: dict[str, Any] | None) -> None:
    mock = mock_runtime()
    view = mock.begin_request()
    g.call = Call(
        new_request_id(), time.perf_counter(), view.now_ms, view.settings, mock=mock, scenarios=view.scenarios
    )
    if mock.housekeeping_pid != os.getpid():
        # Started lazily, in the serving process: a thread started before a fork would not survive it.
        mock.start_housekeeping()


def _render_kling_error(exc: KlingError) -> Response:
    return exc.to_response()


def _render_http_error(exc: HTTPException) -> Response:
    """Routing and Werkzeug errors in the envelope: 404 -> 1203, 405 -> 404/1202, 413 -> 413/1200, else 1200/5000."""
    status = exc.code or 500
    if status in _HTTP_TO_KLING:
        code, http_status = _HTTP_TO_KLING[status]
        message = "Request body too large" if status == 413 else None
        return KlingError(code, message, http_status=http_status).to_response()
    if status >= 500:
        return KlingError(5000).to_response()
    return KlingError(1200, f"Invalid request parameters: {exc.description or exc.name}").to_response()


def _render_unexpected(exc: Exception) -> Response:
    """Never a traceback or an HTML page: a bug in the mock is a 5000 in the Kling envelope, and logged."""
    logging.getLogger("mock_server").exception("unexpected error on %s %s", request.method, request.path)
    return KlingError(5000).to_response()


def _finish(response: Response) -> Response:
    call: Call | None = g.get("call")
    if call is None or call.mock is None:
        return response
    mock = call.mock
    elapsed_ms = (time.perf_counter() - call.started) * 1000
    req = request._get_current_object()  # type: ignore[attr-defined]
    settings = call.settings
    # Admin requests are not the API's: not journaled, even those routing refused (an OPTIONS, a typo).
    if not call.admin and not req.path.startswith("/__mock__"):
        body = without_audio_bytes(call.body)
        mock.store.journal_append(
            JournalEntry(
                at=call.now_ms,
                method=req.method,
                path=req.path,
                query=req.query_string.decode("latin-1")[:1000],
                gateway=call.gateway,
                family=call.family,
                # 0: the client got no HTTP answer (a transport fault replaced it).
                status=0 if call.wire is not None and call.wire.replaces_answer else response.status_code,
                code=call.kling_code,
                request_id=call.request_id,
                task_id=call.task_id,
                account=call.account,
                authorization=redact_authorization(req.headers.get("Authorization")),
                scenario=call.scenario.name if call.scenario else None,
                body=json.dumps(body, ensure_ascii=False)[:4000] if body is not None else None,
                duration_ms=round(elapsed_ms, 3),
            ),
            keep=settings.journal_size,
        )
    if settings.log_requests:
        task = f" task={call.task_id}" if call.task_id else ""
        mock.request_log.line(
            f"{req.method} {req.path} -> {response.status_code} code={call.kling_code} {elapsed_ms:.1f}ms{task}"
        )
    if call.deliver_after_response:
        response.call_on_close(mock.dispatcher.deliver_due)
    if call.wire is not None:
        req.environ[EFFECT] = call.wire
    return response
