"""The order of a request to the mock, from the socket and back; ``install`` registers it on the app.

Read this module top to bottom to follow a request (a create, say):

1. **Wire** (``wire.Wire``, WSGI middleware around the app): passes the request in; on the way out it
   carries out the answer's ``WireEffect``, if step 4 or the view left one (a delay, dribbling, a transport
   fault instead of the answer).
2. **Route and begin** (``Pipeline``, the WSGI app inside the wire): a request for an operation of the API
   is served by the steps below directly; anything else (the admin API, a path or method the API does not
   have, every request when CORS is on) goes through Flask, where the same steps are hooks and one view
   (``begin``, ``api_view``, ``finish``, the error handlers). Either way a ``Call`` is made first: the
   request id, the clock reading, the settings in force, the ``/scenario/NAME`` prefix of the URL, if any.
   Through Flask, a CORS preflight is answered right after (``cors.py``), and an admin request
   (``/__mock__/``) goes to ``admin.py``, which checks the admin token; neither goes on.
3. **Gateway and authentication** (``answer``): the gateway from the route (Kling's ``/v1`` or DMXAPI's
   ``/kling/v1``), the account from the Bearer token (``auth.py``: 401 with 1001-1004, or the proxy's own).
4. **Scenario and fate** (``fates.choose_fate``, a pure function): chaos, then the scenario, example or
   code the request asks for. Anything but ``Proceed`` is answered here (``respond``): an error, the
   operation's documented example, or a transport fault; nothing is processed.
5. **Validation** shared by every family: the body is a JSON object (1200); then the family's own rules
   (1201), in the view. With ``--replay DIR``, what the recording holds is answered as recorded first
   (``views.replayed``, ``recording/replay.py``): a replayed task, or a recorded answer.
6. **The family's view** (``views.py``, asking the family in ``families/``): answer a call at once (open a
   session, speak a text), create a task (validate, the account's concurrency 1303, store), query one (a
   planned poll may answer a fate), or list a page.
7. **Journal** (``finish``, after the answer is made, errors included): one journal entry per API request
   (admin requests are not the API's), the request log line, callbacks due once the answer is out, the
   ``WireEffect`` handed to step 1.
8. **Response**: the view's answer, or an ``ErrorAnswer`` raised anywhere above rendered in Kling's
   envelope (``render_error``); routing errors and bugs too, never an HTML page or a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter
from werkzeug.wrappers import Request

from kling_spec import response_examples
from kling_spec.families import Operation

from . import admin, auth, cors, views
from .context import Call, current_call
from .errors import ErrorAnswer, ProxyAuthError, envelope, new_request_id
from .families import Families, ServedFamily, SessionFamily, SynchronousFamily, TaskFamily
from .fates import (
    Asked,
    BreakConnection,
    Fate,
    Proceed,
    Refuse,
    ShowExample,
    UnknownScenario,
    choose_fate,
    choose_scenario as asked_scenario,
)
from .redact import kept_json, redact_authorization, without_audio_bytes
from .runtime import MockRuntime
from .store import JournalEntry
from .validation import BodyError, parse_json_body, read_body
from .wire import EFFECT, Wire, lends_connection

__all__ = ["Pipeline", "answer", "begin", "finish", "install", "render_error", "render_exception"]

#: The blueprints of DMXAPI's gateway (``/kling/...``); the others are Kling's own.
DMXAPI_BLUEPRINTS = frozenset({"dmxapi", "scenario_dmxapi"})
#: HTTP errors raised by routing or Werkzeug, as the Kling table words them.
_HTTP_TO_KLING = {404: (1203, None), 405: (1202, None), 413: (1200, 413)}
#: Operations whose request carries a JSON body (the others are queries).
_WITH_BODY = frozenset({"create", "session", "synchronous"})


def install(app: Flask, mock: MockRuntime) -> None:
    """Register the pipeline on ``app``: the API's routes, the admin API, the hooks, the error rendering."""
    api = _api_blueprint(mock.families)
    # Every family's API on both gateways, and behind a scenario prefix for clients that set no headers.
    app.register_blueprint(api)
    app.register_blueprint(api, url_prefix="/kling", name="dmxapi")
    app.register_blueprint(api, url_prefix="/scenario/<mock_scenario>", name="scenario_kling")
    app.register_blueprint(api, url_prefix="/scenario/<mock_scenario>/kling", name="scenario_dmxapi")
    app.register_blueprint(admin.bp)
    for rule in app.url_map.iter_rules():
        # Kling answers a method a path does not have with 404/1202, OPTIONS included.
        rule.methods = {m for m in rule.methods or () if m != "OPTIONS"}
    # Step 2: a URL value preprocessor runs before anything else of the request, blueprints' included.
    app.url_value_preprocessor(begin)
    # Step 7 (Flask runs after-request hooks last registered first: CORS marks the answer, then this).
    app.after_request(finish)
    settings = mock.base_settings
    if settings.cors_origins:
        cors.install(app, settings.cors_origins, admin.bp.url_prefix or "/__mock__", admin=settings.admin_cors)
    # Step 8.
    for error in (ErrorAnswer, ProxyAuthError, HTTPException, Exception):
        app.register_error_handler(error, _flask_error)
    # Steps 1 and 2: faults, delays and dribbling happen around the app, where the connection is; inside it,
    # the API's operations are served without Flask's request machinery (a third of a query's time).
    app.wsgi_app = Wire(Pipeline(app, mock))  # type: ignore[method-assign]


#: What ``Map.bind_to_environ`` reads of a request besides its path, method and query (which ``match`` is given).
_BINDING = (
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "wsgi.url_scheme",
    "SCRIPT_NAME",
    "HTTP_CONNECTION",
    "HTTP_UPGRADE",
)


_BODILESS = frozenset({204, 304})


class Pipeline:
    """The app's WSGI entry: an operation of the API through the steps of this module, the rest through Flask."""

    def __init__(self, app: Flask, mock: MockRuntime) -> None:
        self.flask = app.wsgi_app
        self.mock = mock
        self.url_map = app.url_map
        self.max_content_length: int | None = app.config["MAX_CONTENT_LENGTH"]
        #: endpoint -> what ``answer`` needs (every API route, on every gateway and scenario prefix).
        self.routes: dict[str, tuple[ServedFamily, Operation, str]] = {
            endpoint: view.kling_route for endpoint, view in app.view_functions.items() if hasattr(view, "kling_route")
        }
        # CORS marks every answer in Flask's after-request hooks: with it on, everything goes through Flask.
        self.direct = not mock.base_settings.cors_origins
        self._adapters: dict[tuple[Any, ...], MapAdapter] = {}
        #: (path, method) -> endpoint of the API's routes without variables: found without Werkzeug's matcher,
        #: which finds the same (a rule without variables wins over any with them).
        self.static_routes: dict[tuple[str, str], str] = {
            (rule.rule, method): rule.endpoint
            for rule in app.url_map.iter_rules()
            if not rule.arguments and rule.endpoint in self.routes
            for method in rule.methods or ()
        }
        #: (path up to its last "/", method) -> endpoint of the API's routes whose one variable is the task id at
        #: the end (a task's query): found without the matcher (a tenth of a query), which finds the same.
        self.task_routes: dict[tuple[str, str], str] = {
            (rule.rule.removesuffix("<task_id>"), method): rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.arguments == {"task_id"} and rule.rule.endswith("/<task_id>") and rule.endpoint in self.routes
            for method in rule.methods or ()
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not self.direct:
            return self.flask(environ, start_response)
        path = environ.get("PATH_INFO")
        if not path:
            return self.flask(environ, start_response)
        method = environ["REQUEST_METHOD"]
        static = self.static_routes.get((path, method))
        matched: Mapping[str, Any]
        if static is not None:
            endpoint, matched = static, {}
        elif (task_route := self._task_route(path, method)) is not None:
            endpoint, matched = task_route
        else:
            try:
                # WSGI gives the path as latin-1 (PEP 3333): the characters it stands for, as Werkzeug reads them.
                endpoint, matched = self._routing(environ).match(path.encode("latin1").decode(errors="replace"), method)
            except HTTPException:  # unknown path or method, a redirect: Flask answers as Kling does
                return self.flask(environ, start_response)
        route = self.routes.get(str(endpoint))
        if route is None:
            return self.flask(environ, start_response)
        req = Request(environ)
        req.max_content_length = self.max_content_length
        values = dict(matched)
        try:
            call = _new_call(self.mock, values)
        except Exception as exc:  # the shared state unreadable (its database restarting): 5000, in the envelope
            call = Call(new_request_id(), time.perf_counter(), 0, self.mock.base_settings, self.mock)
            _drain(req)  # the connection stays usable for the next request
            return render_exception(call, req, exc)(environ, start_response)
        family, operation, role = route
        try:
            response = answer(call, req, str(endpoint), family, operation, role, values.get("task_id"))
        except Exception as exc:  # as Flask's error handlers below: every error in the envelope
            response = render_exception(call, req, exc)
        _journal(call, req, response)
        if call.body is None:  # a parsed body was read whole already
            _drain(req)
        if response.status_code in _BODILESS or method == "HEAD" or response._on_close:
            return response(environ, start_response)
        # What ``response(environ, start_response)`` does for the API's answers (a body of bytes, no
        # Location), without its checks.
        start_response(response.status, response.headers.to_wsgi_list())
        return response.response

    def _task_route(self, path: str, method: str) -> tuple[str, dict[str, Any]] | None:
        """A task's query: its endpoint and id, as the matcher would give them; None for any other path."""
        head, slash, task_id = path.rpartition("/")
        endpoint = self.task_routes.get((head + slash, method))
        if endpoint is None or not task_id:
            return None
        return endpoint, {"task_id": task_id.encode("latin1").decode(errors="replace")}

    def _routing(self, environ: dict[str, Any]) -> MapAdapter:
        """The URL map bound to this request's host and scheme, kept per host (binding is a tenth of a query)."""
        key = tuple(environ.get(name) for name in _BINDING)
        adapter = self._adapters.get(key)
        if adapter is None:
            if len(self._adapters) >= 64:  # any Host header can be sent: keep only a few
                self._adapters.clear()
            adapter = self._adapters[key] = self.url_map.bind_to_environ(environ)
        return adapter


# -- 2. begin ------------------------------------------------------------------------------------------


def begin(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Through Flask: make the request's ``Call`` (a URL value preprocessor runs before anything else)."""
    g.call = _new_call(current_app.extensions["kling_mock"], values)


def _new_call(mock: MockRuntime, values: dict[str, Any] | None) -> Call:
    """The request's ``Call``: its id, the clock reading, the settings in force, the URL's scenario."""
    view = mock.begin_request()
    call = Call(new_request_id(), time.perf_counter(), view.now_ms, view.settings, mock, begun=True)
    call.scenarios = view.scenarios
    if values and "mock_scenario" in values:
        call.url_scenario = values.pop("mock_scenario")
    if mock.housekeeping_pid != os.getpid():
        # Started lazily, in the serving process: a thread started before a fork would not survive it.
        mock.start_housekeeping()
    return call


# -- 3 to 6: the API's one view ----------------------------------------------------------------------------


def answer(
    call: Call,
    req: Request,
    endpoint: str,
    family: ServedFamily,
    operation: Operation,
    role: str,
    task_id: str | None = None,
) -> Response:
    """Authenticate, choose the fate, parse the body and run the family's view for it (steps 3 to 6)."""
    call.task_id = task_id
    # 3. Gateway and authentication (ErrorAnswer or ProxyAuthError: rendered in step 8).
    gateway_of_route = endpoint.partition(".")[0]
    call.gateway = auth.DMXAPI_GATEWAY if gateway_of_route in DMXAPI_BLUEPRINTS else auth.KLING_GATEWAY
    environ = req.environ  # the headers as WSGI gives them: what ``req.headers`` reads, without its lookups
    call.account = auth.account_for(call.gateway, environ.get("HTTP_AUTHORIZATION"), call.settings)
    # 4. Scenario and fate.
    call.lends_connection = lends_connection(environ)
    fate = _choose(call, Asked(environ.get("HTTP_X_MOCK_SCENARIO"), environ.get("HTTP_PREFER"), call.url_scenario))
    if not isinstance(fate, Proceed):
        return respond(call, fate, operation)
    call.scenario, call.wire = fate.scenario, fate.wire
    # 5. Validation every family shares: a JSON object.
    call.family = family.name
    body: dict[str, Any] | None = None
    if role in _WITH_BODY:
        call.base_url = call.settings.public_url or _host_url(req)
        # The server reads at most the largest operation's limit; this operation's own is the spec's.
        limit = operation.spec.get("x-kling-max-request-bytes")
        if limit is not None and (req.max_content_length is None or limit < req.max_content_length):
            req.max_content_length = limit
        body = _json_body(call, req)
    # 5b. Replay (``--replay DIR``): what the recording holds is answered as recorded.
    result: Response | Fate | None
    if call.runtime.replay is not None:
        query = req.query_string.decode("latin1")
        result = views.replayed(call, req.method, family, role, operation.path, task_id, query, body)
        if result is not None:
            return result if isinstance(result, Response) else respond(call, result, operation)
    # 6. The family's view (the role says which kind of family it is: ``families.Families`` made it so).
    if role == "synchronous":
        result = views.at_once(call, cast(SynchronousFamily, family).answer, body or {})
    elif role == "session":
        result = views.at_once(call, cast(SessionFamily, family).open_session, body or {})
    elif role == "create":
        result = views.create(call, cast(TaskFamily, family), body or {})
    elif role == "get":
        result = views.get_task(call, cast(TaskFamily, family), task_id or "")
    else:
        result = views.list_tasks(call, cast(TaskFamily, family), req.args)
    return result if isinstance(result, Response) else respond(call, result, operation)


def _host_url(req: Request) -> str:
    """``request.host_url``, remembered per scheme and host: Werkzeug builds it anew each time (~20 us)."""
    environ = req.environ
    key = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("SCRIPT_NAME"))
    found = _HOST_URLS.get(key)
    if found is None:
        if len(_HOST_URLS) >= 64:  # any Host header can be sent: keep only a few
            _HOST_URLS.clear()
        found = _HOST_URLS[key] = req.host_url
    return found


_HOST_URLS: dict[tuple[Any, ...], str] = {}


def _choose(call: Call, asked: Asked) -> Fate:
    """The request's fate; a scenario name unknown here is looked for again in the shared state first."""
    if asked != _NOTHING_ASKED and isinstance(asked_scenario(asked, call.scenarios), UnknownScenario):
        # Workers read the shared state every 50 ms on the real clock: a scenario another worker defined
        # a moment ago is looked for in the state as it is now before the name is refused.
        call.scenarios = call.runtime.scenarios()
    mock = call.runtime
    seed = call.settings.chaos_seed
    fate = choose_fate(
        asked,
        call.scenarios,
        call.settings,
        lends_connection=call.lends_connection,
        draw=lambda: mock.chaos_draw(seed),
    )
    return fate.refusal() if isinstance(fate, UnknownScenario) else fate


_NOTHING_ASKED = Asked()


def respond(call: Call, fate: Fate, operation: Operation) -> Response:
    """The answer for a fate other than the normal one: an error, an example, or nothing (a fault)."""
    if isinstance(fate, Refuse | BreakConnection) and fate.scenario is not None:
        call.scenario = fate.scenario  # the journal names the scenario that answered
    if isinstance(fate, Refuse):
        return render_error(ErrorAnswer(fate.code, fate.message), call)
    if isinstance(fate, ShowExample):
        return _example(call, fate.name, operation)
    if isinstance(fate, BreakConnection):
        call.wire = fate.wire
        return Response(b"", status=500)  # never seen: wire.Wire replaces the answer with the fault
    raise AssertionError(f"no answer for {fate!r}")  # Proceed is answered by the view; Unknown is a Refuse


def _example(call: Call, name: str, operation: Operation) -> Response:
    """The operation's documented example ``name``, with this request's id; 1201 naming the known ones if none."""
    examples = response_examples(operation.spec)
    found = examples.get(name)
    if found is None:
        known = ", ".join(examples)
        message = f"Prefer example={name[:40]}: {operation.operation_id} has no such example; known: {known}"
        return render_error(ErrorAnswer(1201, message), call)
    status, body = found
    shown = dict(body) if isinstance(body, dict) else body
    if isinstance(shown, dict) and "request_id" in shown:
        shown["request_id"] = call.request_id
    call.kling_code = shown.get("code") if isinstance(shown, dict) else None
    response = envelope(shown)
    response.status_code = status
    return response


def _json_body(call: Call, req: Request) -> dict[str, Any]:
    """The request's JSON object (1200 for another content type or anything but a JSON object)."""
    if req.mimetype != "application/json":
        raise ErrorAnswer(1200, "Invalid request parameters: Content-Type must be application/json")
    try:
        body = parse_json_body(read_body(req))
    except BodyError as exc:
        raise ErrorAnswer(1200, f"Invalid request parameters: {exc}") from None
    call.body = body
    return body


def _flask_path(path: str) -> str:
    """A path template of the spec (``{task_id}``) as Flask writes it (``<task_id>``)."""
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def _api_blueprint(families: Families) -> Blueprint:
    """The API of every family, as one blueprint (registered once per gateway and scenario prefix)."""
    bp = Blueprint("kling", __name__)
    for family in families.served.values():
        for role, operation in family.spec.operations.items():

            def api_view(
                task_id: str | None = None,
                _family: ServedFamily = family,
                _operation: Operation = operation,
                _role: str = role,
            ) -> Response:
                """Through Flask (CORS on): the same steps, the ``Call`` and request from Flask's context."""
                req = request._get_current_object()  # type: ignore[attr-defined]
                return answer(current_call(), req, req.endpoint or "", _family, _operation, _role, task_id)

            api_view.kling_route = (family, operation, role)  # type: ignore[attr-defined]  # for Pipeline

            for index, path in enumerate((operation.path, *operation.path_aliases)):
                bp.add_url_rule(
                    _flask_path(path),
                    endpoint=f"{family.name}_{role}" + (f"_alias{index}" if index else ""),
                    view_func=api_view,
                    methods=[operation.method.upper()],
                )
    return bp


# -- 7. journal ------------------------------------------------------------------------------------------


def finish(response: Response) -> Response:
    """Through Flask (an after-request hook): ``_journal`` the request, errors and unknown paths included."""
    call: Call | None = g.get("call")
    if call is not None and call.begun:
        _journal(call, request._get_current_object(), response)  # type: ignore[attr-defined]
    _drain(request._get_current_object())  # type: ignore[attr-defined]
    return response


def _drain(req: Request) -> None:
    """Read what the answer left of the body (up to the limit; nothing to do once it was read).

    An answer given before the body is read (a 401, say) leaves it on the connection; gunicorn keeps the
    connection alive anyway, and the client's next request on it then failed (12 of 20 with a 100 KB body).
    A body over the limit is not read: its 413 ends the connection where the server lets it.
    """
    if not req.content_length and "HTTP_TRANSFER_ENCODING" not in req.environ:
        return
    with contextlib.suppress(HTTPException, OSError, ValueError):
        read_body(req)


def _journal(call: Call, req: Request, response: Response) -> None:
    """Journal the API request, log its line, schedule callbacks due after it, hand the wire its effect."""
    mock = call.runtime
    elapsed_ms = (time.perf_counter() - call.started) * 1000
    settings = call.settings
    # Admin requests are not the API's: not journaled, even those routing refused (an OPTIONS, a typo).
    path = req.path
    if not call.admin and not path.startswith("/__mock__"):
        environ = req.environ
        body = without_audio_bytes(call.body)
        # The journal table's columns, in order (``JournalEntry``; positional: a tenth of its cost by name).
        entry = JournalEntry(
            call.now_ms,
            req.method,
            path,
            environ.get("QUERY_STRING", "")[:1000],  # as WSGI gives it: latin-1, the bytes sent
            call.gateway,
            call.family,
            # 0: the client got no HTTP answer (a transport fault replaced it).
            0 if call.wire is not None and call.wire.replaces_answer else response.status_code,
            call.kling_code,
            call.request_id,
            call.task_id,
            call.account,
            redact_authorization(environ.get("HTTP_AUTHORIZATION")),
            call.scenario.name if call.scenario else None,
            kept_json(body)[:4000] if body is not None else None,
            round(elapsed_ms, 3),
            mock.server_name,
        )
        mock.store.journal_append(entry, keep=settings.journal_size)
    if settings.log_requests:
        task = f" task={call.task_id}" if call.task_id else ""
        mock.request_log.line(
            f"{req.method} {path} -> {response.status_code} code={call.kling_code} {elapsed_ms:.1f}ms{task}"
        )
    if call.deliver_after_response:
        response.call_on_close(mock.dispatcher.deliver_due)
    if call.wire is not None:
        req.environ[EFFECT] = call.wire


# -- 8. response: errors in Kling's envelope -----------------------------------------------------------------


def render_exception(call: Call, req: Request, exc: Exception) -> Response:
    """Any error raised while answering, in its envelope: the error handlers ``install`` gives Flask, in one."""
    if isinstance(exc, ErrorAnswer):
        return render_error(exc, call)
    if isinstance(exc, ProxyAuthError):
        return _render_proxy_refusal(exc, call)
    if isinstance(exc, HTTPException):
        return _render_http_error(exc, call)
    return _render_unexpected(exc, call, req)


def _flask_error(exc: Exception) -> Response:
    """Through Flask: an error raised by a hook, a view or routing, rendered as ``render_exception`` does."""
    return render_exception(current_call(), request._get_current_object(), exc)  # type: ignore[attr-defined]


def render_error(exc: ErrorAnswer, call: Call) -> Response:
    """``{code, message, request_id}`` under the catalogue's HTTP status (and ``Retry-After`` if configured)."""
    response = envelope({"code": exc.code, "message": exc.message, "request_id": call.request_id})
    response.status_code = exc.http_status
    call.kling_code = exc.code
    retry_after = call.settings.retry_after_seconds
    if retry_after is not None and exc.http_status in (429, 503):
        response.headers["Retry-After"] = str(retry_after)
    return response


def _render_proxy_refusal(exc: ProxyAuthError, call: Call) -> Response:
    """DMXAPI's 401 for a token it does not take, in its own (OpenAI-style) body."""
    message = f"Invalid Token (request id: {call.request_id})"
    response = envelope({"error": {"code": "", "message": message, "type": "rix_api_error"}})
    response.status_code = 401
    return response


def _render_http_error(exc: HTTPException, call: Call) -> Response:
    """Routing and Werkzeug errors in the envelope: 404 -> 1203, 405 -> 404/1202, 413 -> 413/1200, else 1200/5000."""
    status = exc.code or 500
    if status in _HTTP_TO_KLING:
        code, http_status = _HTTP_TO_KLING[status]
        message = "Request body too large" if status == 413 else None
        return render_error(ErrorAnswer(code, message, http_status=http_status), call)
    if status >= 500:
        return render_error(ErrorAnswer(5000), call)
    return render_error(ErrorAnswer(1200, f"Invalid request parameters: {exc.description or exc.name}"), call)


def _render_unexpected(exc: Exception, call: Call, req: Request) -> Response:
    """Never a traceback or an HTML page: a bug in the mock is a 5000 in the Kling envelope, and logged."""
    logging.getLogger("mock_server").error("unexpected error on %s %s", req.method, req.path, exc_info=exc)
    return render_error(ErrorAnswer(5000), call)
