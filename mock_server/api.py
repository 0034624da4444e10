"""The API's views, generic over families: open a session, create, query one, list, for every family.

``blueprint(families)`` makes one blueprint with a route per family operation (paths from the spec's
registry); the app registers it once per gateway (Kling's ``/v1``, DMXAPI's ``/kling/v1``) and per
scenario prefix. A request goes through, in this order:

1. ``_begin`` (app): the request id, the clock reading and the settings in force, in one ``Call``.
2. ``_pop_url_scenario``: a ``/scenario/NAME`` prefix, if any.
3. ``_authenticate_and_choose_fate``: the gateway and the account (401s), chaos, then the requested
   scenario (header, ``Prefer``, URL): an error scenario, a named example (``Prefer: example=NAME``) or a
   transport fault that replaces the answer (``wire.py``) answers here.
4. The view: body parsing (1200), the family's validation (1201: the schema in its wording, then its rules
   beyond the schema), the account's concurrency (1303, shared by every family) and the uniqueness of an
   ``external_task_id`` (1201), the store; or a query of the family's tasks; or a session (identify-face:
   synchronous, no task, no slot).
5. ``_finish`` (app): the journal entry, the request log line, callbacks due after the answer; the
   answer's ``WireEffect`` (a fault, a delay, dribbling) for ``wire.Wire`` around the app.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, request

from kling_spec import response_examples, typical_codes
from kling_spec.families import Operation

from . import auth
from .callbacks import new_message_id
from .context import Call, current_call
from .errors import CATALOGUE, KlingError, envelope
from .families import Families, SessionFamily, TaskFamily
from .runtime import mock_runtime
from .scenarios import DEFAULT_SCENARIO, DRIBBLE_SECONDS, FAULTS, SCENARIOS, SOCKET_FAULTS, Scenario
from .store import Store
from .tasks import seq_of, task_id_of
from .timeline import SUBMITTED, plan_timeline
from .validation import BodyError, parse_json_body
from .wire import SOCKET_HINT, WireEffect, lends_connection

__all__ = ["blueprint", "choose_scenario"]

#: The message of every answer with code 0.
SUCCEED_MESSAGE = "SUCCEED"
CHAOS_CODES = (5000, 5001, 5002, 1302)
DMXAPI_BLUEPRINTS = frozenset({"dmxapi", "scenario_dmxapi"})


def _ok(call: Call, data: Any) -> Response:
    call.kling_code = 0
    return envelope({"code": 0, "message": SUCCEED_MESSAGE, "request_id": call.request_id, "data": data})


def _pop_url_scenario(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "mock_scenario" in values:
        current_call().url_scenario = values.pop("mock_scenario")


@dataclass(frozen=True)
class ExampleChoice:
    """``Prefer: example=NAME``: answer the operation's documented example of that name, creating nothing."""

    name: str


class UnknownScenario(KlingError):
    """A scenario name the request's registry does not know (another worker may have just defined it)."""


class FaultInstead(Exception):
    """The answer is replaced by a transport fault (``call.wire`` says which); nothing more is processed."""


def _authenticate_and_choose_fate() -> None:
    """Resolve the account, then apply chaos and the requested scenario, example or fault (in that order)."""
    call = current_call()
    req = request._get_current_object()  # type: ignore[attr-defined]
    headers = req.headers
    if req.view_args:
        call.task_id = req.view_args.get("task_id")
    call.gateway = auth.DMXAPI_GATEWAY if req.blueprint in DMXAPI_BLUEPRINTS else auth.KLING_GATEWAY
    call.account = auth.account_for(call.gateway, headers.get("Authorization"), call.settings)
    _apply_chaos(call, req.environ)
    asked = (headers.get("X-Mock-Scenario"), headers.get("Prefer"), call.url_scenario)
    fate = choose_scenario(*asked, call.scenarios)
    if isinstance(fate, UnknownScenario):
        # Workers read the shared state every 50 ms on the real clock: a scenario another worker defined
        # a moment ago is looked for in the state as it is now before the name is refused.
        call.scenarios = (call.mock or mock_runtime()).scenarios()
        fate = choose_scenario(*asked, call.scenarios)
    if isinstance(fate, KlingError):
        raise fate
    if isinstance(fate, ExampleChoice):
        raise _example_answer(call, fate.name)
    call.scenario = fate
    if fate.error_code is not None:
        raise KlingError(fate.error_code)
    if fate.needs_socket and not lends_connection(req.environ):
        raise KlingError(1201, f"mock scenario '{fate.name}' {SOCKET_HINT}")
    if fate.delay is not None:
        rng = random.Random(mock_runtime().chaos_draw(call.settings.chaos_seed))
        call.wire = WireEffect(delay_ms=fate.delay.draw_ms(rng))
    if fate.fault is not None:
        call.wire = WireEffect(fate.fault, call.wire.delay_ms if call.wire else 0.0, fate.dribble_seconds)
        if not fate.fault_after_processing:
            raise FaultInstead()


def _apply_chaos(call: Call, environ: Mapping[str, Any]) -> None:
    settings = call.settings
    if not (settings.chaos_rate or settings.chaos_latency_rate or settings.chaos_fault_rate):
        return
    mock = mock_runtime()
    if settings.chaos_latency_rate and mock.chaos_draw(settings.chaos_seed) < settings.chaos_latency_rate:
        call.wire = WireEffect(delay_ms=settings.chaos_latency_ms)
    if settings.chaos_rate and mock.chaos_draw(settings.chaos_seed) < settings.chaos_rate:
        pick = mock.chaos_draw(settings.chaos_seed)
        raise KlingError(CHAOS_CODES[int(pick * len(CHAOS_CODES)) % len(CHAOS_CODES)])
    if settings.chaos_fault_rate and mock.chaos_draw(settings.chaos_seed) < settings.chaos_fault_rate:
        # Only the faults this server can do: under granian, that is dribbling.
        possible = sorted(FAULTS) if lends_connection(environ) else sorted(set(FAULTS) - SOCKET_FAULTS)
        fault = possible[int(mock.chaos_draw(settings.chaos_seed) * len(possible)) % len(possible)]
        call.wire = WireEffect(fault, call.wire.delay_ms if call.wire else 0.0, dribble_seconds=DRIBBLE_SECONDS)
        if call.wire.replaces_answer:
            raise FaultInstead()


def _example_answer(call: Call, name: str) -> KlingError | _ExampleResponse:
    """The current operation's named example, with this request's id; 1201 naming the known ones if none."""
    view: Any = current_app.view_functions[request.endpoint or ""]
    operation: Operation = view.kling_operation
    examples = response_examples(operation.spec)
    found = examples.get(name)
    if found is None:
        known = ", ".join(examples)
        return KlingError(
            1201, f"Prefer example={name[:40]}: {operation.operation_id} has no such example; known: {known}"
        )
    status, body = found
    answer = dict(body) if isinstance(body, dict) else body
    if isinstance(answer, dict) and "request_id" in answer:
        answer["request_id"] = call.request_id
    call.kling_code = answer.get("code") if isinstance(answer, dict) else None
    response = envelope(answer)
    response.status_code = status
    return _ExampleResponse(response)


class _ExampleResponse(Exception):
    """Carries a documented example out of the before-request hook (see ``blueprint``'s error handler)."""

    def __init__(self, response: Response) -> None:
        super().__init__("example")
        self.response = response


def choose_scenario(
    header: str | None,
    prefer_header: str | None,
    url_scenario: str | None,
    scenarios: Mapping[str, Scenario] = SCENARIOS,
) -> Scenario | ExampleChoice | KlingError:
    """The fate a request asks for: by ``X-Mock-Scenario``, ``Prefer`` (Prism's convention) or URL prefix.

    ``succeed`` if none; ``Prefer: example=NAME`` a documented example; a ``KlingError`` for an unknown name
    or ``Prefer: code=...`` (a pure function of its arguments, unit-tested in
    ``contract_tests/unit/test_pure_cores.py``).
    """
    name = header
    if name is None and prefer_header is None and url_scenario is None:
        return DEFAULT_SCENARIO
    prefer = _parse_prefer(prefer_header or "")
    if name is None and "example" in prefer:
        return ExampleChoice(prefer["example"])
    if name is None and "code" in prefer:
        return _fate_for_prefer_code(prefer["code"])
    name = name or prefer.get("scenario") or url_scenario
    if name is None:
        return DEFAULT_SCENARIO
    found = scenarios.get(name.strip())
    if found is None:
        return UnknownScenario(1201, f"unknown mock scenario '{name[:40]}'; known: {', '.join(scenarios)}")
    return found


def _parse_prefer(header: str) -> dict[str, str]:
    prefs: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            prefs[key.strip().lower()] = value.strip().strip('"')
    return prefs


def _fate_for_prefer_code(value: str) -> Scenario | KlingError:
    """``Prefer: code=1303`` picks a Kling code; ``code=429`` the spec's typical code of that HTTP status
    (``x-kling-typical-codes``: 1302); ``code=200`` the default, a success."""
    if value.isdigit():
        number = int(value)
        if number == 200:
            return DEFAULT_SCENARIO
        if number in CATALOGUE:
            return KlingError(number)
        typical = typical_codes().get(number)
        if typical is not None:
            return KlingError(typical)
    return KlingError(
        1201, f"Prefer code={value[:10]} is neither a Kling code, 200, nor an HTTP status of the Kling table"
    )


# -- the views, for any family ---------------------------------------------------------------------------


def _json_body(call: Call) -> dict[str, Any]:
    """The request's JSON object (1200 for another content type or anything but a JSON object)."""
    if request.mimetype != "application/json":
        raise KlingError(1200, "Invalid request parameters: Content-Type must be application/json")
    try:
        body = parse_json_body(request.get_data(cache=True))
    except BodyError as exc:
        raise KlingError(1200, f"Invalid request parameters: {exc}") from None
    call.body = body
    return body


def open_session(family: SessionFamily) -> Response:
    """Open a session (identify-face): synchronous, answered with its ``data``; no task, no slot."""
    call = current_call()
    mock = call.mock or mock_runtime()
    call.family = family.name
    body = _json_body(call)
    data = family.open_session(
        body,
        call.account or "",
        settings=call.settings,
        store=mock.store,
        base_url=call.settings.public_url or request.host_url,
        scenario=call.scenario or DEFAULT_SCENARIO,
        now_ms=call.now_ms,
    )
    return _ok(call, data)


def create(family: TaskFamily) -> Response:
    """Create a task: validate, check the account's concurrency, store the task and its planned callbacks."""
    call = current_call()
    mock = call.mock or mock_runtime()
    call.family = family.name
    settings = call.settings
    body = _json_body(call)
    family.check_create(body)
    account = call.account or ""
    base_url = settings.public_url or request.host_url
    now = call.now_ms
    columns = family.task_columns(body, account, settings=settings, store=mock.store, base_url=base_url, now_ms=now)
    scenario = call.scenario or DEFAULT_SCENARIO
    timeline = plan_timeline(
        now,
        queue_seconds=settings.queue_seconds if scenario.queue_seconds is None else scenario.queue_seconds,
        processing_seconds=(
            settings.processing_seconds if scenario.processing_seconds is None else scenario.processing_seconds
        ),
        processing_factor=settings.slow_factor if scenario.slow else 1.0,
        outcome=scenario.outcome,
        failure_message=scenario.failure_message,
    )
    callback_url = body.get("callback_url")
    with mock.store.transaction() as db:
        # The account's slots are shared by every family, as Kling's concurrency rules count tasks.
        if Store.count_in_flight(db, account, now) >= settings.max_in_flight:
            raise KlingError(1303)
        external_id = columns.get("external_task_id")
        if external_id and Store.external_id_taken(db, account, external_id):
            raise KlingError(1201, f"external_task_id '{external_id[:64]}' is already used by a task of this account")
        seq = Store.next_seq(db)
        task_id = task_id_of(seq)
        Store.insert_task(
            db,
            {
                "seq": seq,
                "kind": family.name,
                "account": account,
                "scenario": scenario.name,
                "created_at": timeline.created_at,
                "processing_at": timeline.processing_at,
                "finished_at": timeline.finished_at,
                "outcome": timeline.outcome,
                "failure_message": timeline.failure_message,
                "result_video_id": family.result_video(task_id),
                "base_url": base_url,
                "callback_url": callback_url,
                **columns,
            },
        )
        if callback_url:
            # Each status the task is in for some time, and its last: a status lasting no time (no queue) is
            # not announced, as its callback would already show the next one.
            Store.insert_deliveries(db, seq, [(s, at, new_message_id()) for s, at in timeline.announced()])
    call.task_id = task_id
    if callback_url and mock.clock.virtual:
        # On the virtual clock nothing runs in the background: announce `submitted` once the answer is out.
        call.deliver_after_response = True
    return _ok(call, family.created(task_id, SUBMITTED, now, columns))


def get_task(family: TaskFamily, task_id: str) -> Response:
    """One task of the account and family, as it stands now: by its id, or by its ``external_task_id``."""
    call = current_call()
    call.family = family.name
    seq = seq_of(task_id)
    store = (call.mock or mock_runtime()).store
    row = store.get_task(call.account or "", seq, family.name) if seq is not None else None
    if row is None and family.finds_by_external_id:
        row = store.get_task_by_external_id(call.account or "", task_id, family.name)
    if row is None:
        raise KlingError(1203, f"task {task_id[:64]} not found")
    call.task_id = task_id_of(row["seq"])  # the journal names the task, however it was asked for
    planned = call.scenarios.get(row["scenario"])
    if planned is None:  # defined a moment ago through another worker (see _authenticate_and_choose_fate)
        call.scenarios = (call.mock or mock_runtime()).scenarios()
        planned = call.scenarios.get(row["scenario"])
    if planned is not None and planned.polls:
        _answer_as_planned(call, planned, store.count_poll(row["seq"]))
    return _ok(call, family.render(row, call.now_ms))


def _answer_as_planned(call: Call, scenario: Scenario, poll: int) -> None:
    """What poll number ``poll`` of a task answers, by its scenario's plan: a Kling code, or a fault."""
    answer = scenario.poll_answer(poll)
    if isinstance(answer, int):
        raise KlingError(answer)
    if isinstance(answer, str):
        if answer in SOCKET_FAULTS and not lends_connection(request.environ):
            raise KlingError(1201, f"mock scenario '{scenario.name}' {SOCKET_HINT}")
        call.wire = WireEffect(answer, dribble_seconds=scenario.dribble_seconds)
        if call.wire.replaces_answer:
            raise FaultInstead()


def list_tasks(family: TaskFamily) -> Response:
    """A page of the account's tasks of the family, newest first."""
    call = current_call()
    mock = call.mock or mock_runtime()
    call.family = family.name
    page = mock.families.pages[family.name].check_page(request.args)
    rows = mock.store.list_tasks(call.account or "", family.name, page.size, (page.number - 1) * page.size)
    return _ok(call, [family.render(row, call.now_ms) for row in rows])


def _flask_path(path: str) -> str:
    """A path template of the spec (``{task_id}``) as Flask writes it (``<task_id>``)."""
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def blueprint(families: Families) -> Blueprint:
    """The API of every family, as one blueprint (registered once per gateway and scenario prefix)."""
    bp = Blueprint("kling", __name__)
    bp.url_value_preprocessor(_pop_url_scenario)
    bp.before_request(_authenticate_and_choose_fate)
    bp.register_error_handler(_ExampleResponse, lambda exc: exc.response)
    # The body is never seen: wire.Wire replaces the answer with the fault.
    bp.register_error_handler(FaultInstead, lambda exc: Response(b"", status=500))
    views = {"create": create, "get": get_task, "list": list_tasks, "session": open_session}
    for family in families.by_name.values():
        for role, operation in family.spec.operations.items():
            view = views[role]

            def bound(*args: Any, _view: Any = view, _family: TaskFamily = family, **kwargs: Any) -> Response:
                response: Response = _view(_family, *args, **kwargs)
                return response

            bound.kling_operation = operation  # type: ignore[attr-defined]  # for Prefer: example=NAME

            for index, path in enumerate((operation.path, *operation.path_aliases)):
                bp.add_url_rule(
                    _flask_path(path),
                    endpoint=f"{family.name}_{role}" + (f"_alias{index}" if index else ""),
                    view_func=bound,
                    methods=[operation.method.upper()],
                )
    return bp
