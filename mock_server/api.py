"""The lip-sync API itself: create, query one, list. Registered once per face (official, DMXAPI)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from flask import Blueprint, Response, request

from . import auth
from .context import Call, current_call
from .errors import CATALOGUE, KlingError, envelope
from .media import result_duration, result_video_id, video_id_for_url
from .redact import without_audio_bytes
from .runtime import mock_runtime
from .scenarios import DEFAULT_SCENARIO, SCENARIOS, Scenario
from .settings import Settings
from .store import Store
from .tasks import render_task, result_url, seq_of, task_id_of
from .timeline import SUBMITTED, plan_timeline
from .validation import UNKNOWN_VIDEO, BodyError, parse_json_body

__all__ = ["bp"]

bp = Blueprint("kling", __name__)

SUCCEED = "SUCCEED"
CHAOS_CODES = (5000, 5001, 5002, 1302)
_PROXY_BLUEPRINTS = frozenset({"dmxapi", "scenario_dmxapi"})


def _ok(call: Call, data: Any) -> Response:
    call.kling_code = 0
    return envelope({"code": 0, "message": SUCCEED, "request_id": call.request_id, "data": data})


@bp.url_value_preprocessor
def _pop_url_scenario(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "mock_scenario" in values:
        current_call().url_scenario = values.pop("mock_scenario")


@bp.before_request
def _authenticate_and_choose_fate() -> None:
    """Resolve the account, then apply chaos and any requested error scenario (in that order)."""
    call = current_call()
    req = request._get_current_object()  # type: ignore[attr-defined]
    headers = req.headers
    if req.view_args:
        call.task_id = req.view_args.get("task_id")
    call.face = auth.PROXY_FACE if req.blueprint in _PROXY_BLUEPRINTS else auth.OFFICIAL_FACE
    call.account = auth.account_for(call.face, headers.get("Authorization"), call.settings)
    _apply_chaos(call.settings)
    scenario = _requested_scenario(headers, call.url_scenario)
    if isinstance(scenario, KlingError):
        raise scenario
    call.scenario = scenario
    if scenario.error_code is not None:
        raise KlingError(scenario.error_code)


def _apply_chaos(settings: Settings) -> None:
    if not (settings.chaos_rate or settings.chaos_latency_rate):
        return
    mock = mock_runtime()
    if settings.chaos_latency_rate and mock.chaos_draw(settings.chaos_seed) < settings.chaos_latency_rate:
        time.sleep(settings.chaos_latency_ms / 1000)
    if settings.chaos_rate and mock.chaos_draw(settings.chaos_seed) < settings.chaos_rate:
        pick = mock.chaos_draw(settings.chaos_seed)
        raise KlingError(CHAOS_CODES[int(pick * len(CHAOS_CODES)) % len(CHAOS_CODES)])


def _requested_scenario(headers: Any, url_scenario: str | None) -> Scenario | KlingError:
    """The scenario asked for by header, ``Prefer`` (Prism's convention) or URL prefix; ``succeed`` if none."""
    name = headers.get("X-Mock-Scenario")
    prefer_header = headers.get("Prefer")
    if name is None and prefer_header is None and url_scenario is None:
        return DEFAULT_SCENARIO
    prefer = _parse_prefer(prefer_header or "")
    if name is None and "code" in prefer:
        return _error_for_prefer_code(prefer["code"])
    name = name or prefer.get("scenario") or url_scenario
    if name is None:
        return DEFAULT_SCENARIO
    found = SCENARIOS.get(name.strip())
    if found is None:
        return KlingError(1201, f"unknown mock scenario '{name[:40]}'; known: {', '.join(SCENARIOS)}")
    return found


def _parse_prefer(header: str) -> dict[str, str]:
    prefs: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            prefs[key.strip().lower()] = value.strip().strip('"')
    return prefs


def _error_for_prefer_code(value: str) -> KlingError:
    """``Prefer: code=1303`` picks a Kling code; ``code=429`` the table's first code with that HTTP status."""
    if value.isdigit():
        number = int(value)
        if number in CATALOGUE:
            return KlingError(number)
        for code, row in CATALOGUE.items():
            if row.http_status == number:
                return KlingError(code)
    return KlingError(1201, f"Prefer code={value[:10]} is neither a Kling code nor an HTTP status of the table")


# -- create -----------------------------------------------------------------------------------------


@bp.post("/v1/videos/lip-sync")
def create() -> Response:
    """Create a task: validate, check the account's concurrency, store the task and its planned callbacks."""
    mock = mock_runtime()
    call = current_call()
    settings = call.settings
    if request.mimetype != "application/json":
        raise KlingError(1200, "Invalid request parameters: Content-Type must be application/json")
    try:
        body = parse_json_body(request.get_data(cache=True))
    except BodyError as exc:
        raise KlingError(1200, f"Invalid request parameters: {exc}") from None
    call.body = body
    mock.rules.check_create(body)
    data = body["input"]
    account = call.account or ""
    parent = _parent_video(data, account, settings.strict_video_ids, mock.store)
    scenario = call.scenario or DEFAULT_SCENARIO
    now = call.now_ms
    timeline = plan_timeline(
        now,
        queue_seconds=settings.queue_seconds,
        processing_seconds=settings.processing_seconds,
        processing_factor=settings.slow_factor if scenario.slow else 1.0,
        outcome=scenario.outcome,
        failure_message=scenario.failure_message,
    )
    base_url = settings.public_url or request.host_url
    callback_url = body.get("callback_url")
    with mock.store.transaction() as db:
        if Store.count_in_flight(db, account, now) >= settings.max_in_flight:
            raise KlingError(1303)
        seq = Store.next_seq(db)
        task_id = task_id_of(seq)
        Store.insert_task(
            db,
            {
                "seq": seq,
                "account": account,
                "scenario": scenario.name,
                "created_at": timeline.created_at,
                "processing_at": timeline.processing_at,
                "finished_at": timeline.finished_at,
                "outcome": timeline.outcome,
                "failure_message": timeline.failure_message,
                "parent_video_id": parent[0],
                "parent_video_url": parent[1] or result_url(base_url, parent[0]),
                "parent_video_duration": parent[2],
                "result_video_id": result_video_id(task_id),
                "base_url": base_url,
                "callback_url": callback_url,
                "request_input": json.dumps(without_audio_bytes(data), ensure_ascii=False),
            },
        )
        if callback_url:
            Store.insert_deliveries(db, seq, [(s, at, f"msg_{uuid.uuid4().hex}") for s, at in timeline.transitions()])
    call.task_id = task_id
    if callback_url and mock.clock.virtual:
        # On the virtual clock nothing runs in the background: announce `submitted` once the answer is out.
        call.deliver_after_response = True
    return _ok(call, {"task_id": task_id, "task_status": SUBMITTED, "created_at": now, "updated_at": now})


def _parent_video(data: dict[str, Any], account: str, strict: bool, store: Store) -> tuple[str, str | None, str]:
    """``(id, url, duration)`` of the input video; a ``None`` URL means "the mock serves it"."""
    video_url = data.get("video_url")
    if video_url:
        return video_id_for_url(video_url), video_url, result_duration()
    video_id: str = data["video_id"]
    own = store.task_by_result_video(video_id)
    if own is not None and own["account"] == account:
        return video_id, None, result_duration()
    if strict:
        raise KlingError(1201, UNKNOWN_VIDEO)
    return video_id, None, result_duration()


# -- query ------------------------------------------------------------------------------------------


@bp.get("/v1/videos/lip-sync/<task_id>")
def get_task(task_id: str) -> Response:
    """One task of the account, as it stands now."""
    call = current_call()
    seq = seq_of(task_id)
    row = mock_runtime().store.get_task(call.account or "", seq) if seq is not None else None
    if row is None:
        raise KlingError(1203, f"task {task_id[:64]} not found")
    return _ok(call, render_task(row, call.now_ms))


@bp.get("/v1/videos/lip-sync")
def list_tasks() -> Response:
    """A page of the account's tasks, newest first."""
    mock = mock_runtime()
    call = current_call()
    page = mock.rules.check_page(request.args)
    rows = mock.store.list_tasks(call.account or "", page.size, (page.number - 1) * page.size)
    return _ok(call, [render_task(row, call.now_ms) for row in rows])
