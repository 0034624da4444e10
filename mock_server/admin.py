"""``/__mock__/``: control and inspect the mock (clock, reset, journal, tasks, callbacks, scenarios, config).

Described in ``mock_server/admin.yaml``. When ``admin_token`` is set, every route but health, the result
videos and the docs needs ``Authorization: Bearer <admin_token>``.
"""

from __future__ import annotations

import hmac
import io
import ipaddress
import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request, send_file, send_from_directory

from kling_spec import SPEC_PATH

from .admin_rules import ADMIN_SPEC, QueryRules, check_body, property_default, schema_validator
from .callbacks import is_loopback_name, new_message_id
from .context import current_call
from .errors import ErrorAnswer, envelope
from .families.advanced import registered_faces
from .families.tts import AUDIO_IDS
from .media import FACE_JPG, RESULT_MP4, WATERMARKED_MP4
from .results import served
from .runtime import MockRuntime, mock_runtime
from .scenarios import DEFAULT_SCENARIO, check_definition
from .settings import RUNTIME_FIELDS, Settings
from .speech import speech_mp3
from .store import Store, TaskRow
from .tasks import render_task, seq_of, timeline_of
from .validation import BodyError, parse_json_body, read_body
from .wire import IN_PROCESS

__all__ = ["ADMIN_SPEC", "JOURNAL_FILTERS", "bp"]

bp = Blueprint("mock_admin", __name__, url_prefix="/__mock__")
# Liveness probes cannot send a token; the videos are fetched by clients, the docs by people. The dashboard's
# page and modules hold no data: the page asks for the token and sends it with the admin requests it makes.
_PUBLIC_ENDPOINTS = frozenset(
    {
        "mock_admin.health",
        "mock_admin.video",
        "mock_admin.watermarked_video",
        "mock_admin.face_image",
        "mock_admin.speech",
        "mock_admin.docs",
        "mock_admin.dashboard",
        "mock_admin.dashboard_asset",
    }
)
#: The API reference ``make docs`` renders from openapi.yaml, shipped in the package.
DEFAULT_DOCS_FILE = Path(__file__).with_name("assets") / "api-reference.html"
#: The dashboard: one page, its style sheet and its JavaScript modules, shipped in the package.
DASHBOARD_DIR = Path(__file__).with_name("assets") / "dashboard"
# The only kinds of file the dashboard serves: a module needs a JavaScript type, whatever the host's
# mime.types says, and anything else in the folder is not served.
_DASHBOARD_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# The page shows request bodies any client sent: it writes them as text only, and this policy stops any
# script but its own modules, should one ever slip into the page.
_DASHBOARD_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600


@bp.before_request
def _require_admin_token() -> None:
    call = current_call()
    call.admin = True  # not journaled: the journal is the API's
    if request.endpoint not in _PUBLIC_ENDPOINTS:
        _refuse_web_pages(call.settings)
    token = call.settings.admin_token
    if token is None or request.endpoint in _PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    if not header:
        raise ErrorAnswer(1001)
    if not hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        raise ErrorAnswer(1002)


#: Methods that change the mock's state.
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: ``Sec-Fetch-Site`` values of a request a page of another site made (browsers set it; curl does not).
_OTHER_SITES = frozenset({"cross-site", "same-site"})


def _refuse_web_pages(settings: Settings) -> None:
    """Refuse what a web page could make a browser send to the admin API (1103, 403).

    * A ``Host`` that is a name but not a loopback one, ``public_url``'s or an ``allowed_hosts`` one: DNS
      rebinding (a page whose name now points at this machine). An IP address cannot be rebound.
    * A write from another site (``Sec-Fetch-Site``, or an ``Origin`` other than the mock's own address),
      unless ``admin_cors`` lets the CORS origins drive it.
    * A browser's write whose body is not JSON: forms and ``text/plain`` are what a page sends without asking
      first (the same from curl, which sends no ``Origin``, is taken as JSON, as the docs' examples send it).
    """
    try:
        host = (urlsplit("//" + request.host).hostname or "").rstrip(".")
    except ValueError:  # not a host at all
        host = request.host
    # In process there is no network to rebind: ``KlingMock``'s made-up host is its own.
    if not request.environ.get(IN_PROCESS) and not _known_host(host, settings):
        raise ErrorAnswer(1103, f"Host {host[:100]!r} is not this mock's: add it with --allowed-host to use it")
    if request.method not in _WRITES:
        return
    origin = request.headers.get("Origin")
    site = request.headers.get("Sec-Fetch-Site")
    allowed_origin = settings.admin_cors and origin is not None and _cors_allows(origin, settings)
    foreign = site in _OTHER_SITES or (origin is not None and origin != request.host_url.rstrip("/"))
    if foreign and not allowed_origin:
        raise ErrorAnswer(1103, "admin writes from another site's page are refused (Origin, Sec-Fetch-Site)")
    # A browser's write must be JSON, which no page can send without asking first; curl's -d (a form type,
    # no Origin) stays as the docs show it.
    from_a_browser = origin is not None or site is not None
    if from_a_browser and request.content_length and request.mimetype != "application/json":
        raise ErrorAnswer(1200, "Invalid request parameters: admin writes take Content-Type application/json")


def _known_host(host: str, settings: Settings) -> bool:
    if is_loopback_name(host) or host in {allowed.lower() for allowed in settings.allowed_hosts}:
        return True
    if settings.public_url and host == (urlsplit(settings.public_url).hostname or "").lower():
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _cors_allows(origin: str, settings: Settings) -> bool:
    return "*" in settings.cors_origins or origin.lower() in {o.lower() for o in settings.cors_origins}


def _json_body() -> dict[str, Any]:
    """The admin request's JSON object (the API's strict parsing); an empty body is ``{}``."""
    raw = read_body(request)
    if not raw.strip():
        return {}
    try:
        return parse_json_body(raw)
    except BodyError as exc:
        raise ErrorAnswer(1200, f"Invalid request parameters: {exc}") from None


@bp.get("/health")
def health() -> Response:
    mock = mock_runtime()
    return envelope(
        {
            "status": "ok",
            "clock": "virtual" if mock.clock.virtual else "real",
            "now_ms": current_call().now_ms,
            "tasks": mock.store.count_tasks(),
            "pending_callbacks": mock.store.pending_deliveries(),
        }
    )


@bp.post("/reset")
def reset() -> Response:
    """Forget every task, delivery and journal entry and rewind the virtual clock; ids are never reused."""
    mock_runtime().reset()
    return envelope({"reset": True})


@bp.get("/clock")
def clock() -> Response:
    mock = mock_runtime()
    return envelope({"virtual": mock.clock.virtual, "now_ms": mock.clock.now_ms()})


@bp.post("/clock/advance")
def advance_clock() -> Response:
    """Move the virtual clock forward by ``seconds`` (or ``milliseconds``), then send the callbacks now due."""
    mock = mock_runtime()
    body = _json_body()
    if not mock.clock.virtual:
        raise ErrorAnswer(1201, "the clock is real; start the mock with --clock virtual to move it")
    seconds = body.get("seconds")
    milliseconds = body.get("milliseconds")
    if (seconds is None) == (milliseconds is None):
        raise ErrorAnswer(1201, "give exactly one of seconds and milliseconds")
    amount = seconds if seconds is not None else milliseconds
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount) or amount < 0:
        raise ErrorAnswer(1201, "the clock moves forward by a finite, non-negative number")
    delta = round(amount * 1000) if seconds is not None else round(amount)
    if delta > _MAX_ADVANCE_SECONDS * 1000:
        raise ErrorAnswer(1201, f"advance at most {_MAX_ADVANCE_SECONDS} seconds at a time")
    now = mock.store.advance_clock(delta)
    attempts = mock.dispatcher.deliver_due()
    return envelope({"now_ms": now, "callback_attempts": attempts})


# The journal's filters are exactly what `count_requests` takes; `list_requests` adds its paging to them.
_JOURNAL_PAGE = QueryRules("list_requests")
_JOURNAL_COUNT = QueryRules("count_requests")
#: The names ``GET /__mock__/requests`` filters the journal by (each a column of it), from admin.yaml.
JOURNAL_FILTERS: tuple[str, ...] = _JOURNAL_COUNT.names


@bp.get("/requests")
def requests_journal() -> Response:
    """The journal entries matching the filters, oldest first (``since`` tails it) or newest first."""
    query = _JOURNAL_PAGE.parse(request.args)
    rows = mock_runtime().store.journal(
        query["limit"],
        query["since"],
        newest_first=query["order"] == "newest",
        match={name: query[name] for name in JOURNAL_FILTERS if name in query},
    )
    entries = []
    for row in rows:
        entry = dict(row)
        entry["body"] = json.loads(entry["body"]) if entry["body"] else None
        entries.append(entry)
    return envelope({"requests": entries})


@bp.get("/requests/count")
def count_requests() -> Response:
    """How many journal entries match the filters."""
    return envelope({"count": mock_runtime().store.count_journal(_JOURNAL_COUNT.parse(request.args))})


# -- tasks, for operators ---------------------------------------------------------------------------------

_TASK_LIST = QueryRules("list_tasks")
_STATE_CHANGE = schema_validator("TaskStateChange")
_FORCED_FAILURE = property_default("TaskStateChange", "message")
#: The filters of ``GET /__mock__/tasks`` but ``status``: each is a column of the tasks.
_TASK_COLUMNS = ("account", "family", "scenario")


def _operator_task(mock: MockRuntime, row: TaskRow, now_ms: int) -> dict[str, Any]:
    """A task as its family's query answers it at ``now_ms``, plus whose it is, how it was created and its plan."""
    task = render_task(mock.families[row["family"]], row, now_ms)
    plan = timeline_of(row)
    return {
        **task,
        "account": row["account"],
        "family": row["family"],
        "scenario": row["scenario"],
        # What the API never shows: when the task starts processing and ends, which the dashboard draws.
        "plan": {
            "created_at": plan.created_at,
            "processing_at": plan.processing_at,
            "finished_at": plan.finished_at,
            "outcome": plan.outcome,
        },
    }


@bp.get("/tasks")
def operator_tasks() -> Response:
    """Every account's tasks, newest first, filtered (``status``: the status now) and paged."""
    query = _TASK_LIST.parse(request.args)
    mock = mock_runtime()
    now = current_call().now_ms
    match = {column: query[column] for column in _TASK_COLUMNS if column in query}
    rows, total = mock.store.all_tasks(
        now, limit=query["limit"], offset=query["offset"], status=query.get("status"), match=match
    )
    return envelope({"tasks": [_operator_task(mock, row, now) for row in rows], "total": total})


@bp.post("/tasks/<task_id>/state")
def force_task_state(task_id: str) -> Response:
    """Force a task into processing, succeed or failed from the mock's now on; replan its callbacks."""
    body = _json_body()
    check_body(_STATE_CHANGE, body)
    call = current_call()
    mock = mock_runtime()
    now = call.now_ms
    seq = seq_of(task_id)
    with mock.store.transaction() as db:
        row = mock.store.any_task(db, seq) if seq is not None else None
        if row is None:
            raise ErrorAnswer(1203, f"task {task_id[:64]} not found")
        # The task's scenario as it is now (built in, from the file, or defined at run time).
        scenario = call.scenarios.get(row["scenario"], DEFAULT_SCENARIO)
        factor = call.settings.slow_factor if scenario.slow else 1.0
        processing = (
            call.settings.processing_seconds if scenario.processing_seconds is None else scenario.processing_seconds
        )
        try:
            timeline = timeline_of(row).forced(
                body["status"],
                now,
                processing_ms=round(processing * factor * 1000),
                message=body.get("message", _FORCED_FAILURE),
            )
        except ValueError as exc:
            raise ErrorAnswer(1201, f"task {task_id}: {exc}") from None
        Store.rewrite_timeline(db, row["seq"], timeline)
        if row["callback_url"]:
            Store.replan_deliveries(db, row["seq"], timeline.announced(), new_message_id)
        row = mock.store.any_task(db, row["seq"])
    assert row is not None
    # As clock/advance: on the virtual clock nothing runs in the background, so what is due goes now.
    attempts = mock.dispatcher.deliver_due() if mock.clock.virtual else 0
    return envelope({"task": _operator_task(mock, row, now), "callback_attempts": attempts})


_CALLBACK_LIST = QueryRules("list_callbacks")


@bp.get("/callbacks")
def callbacks() -> Response:
    """Callback attempts, oldest (or newest) first, with the headers and body sent and the receiver's answer."""
    query = _CALLBACK_LIST.parse(request.args)
    attempts = []
    for row in mock_runtime().store.delivery_attempts(query["limit"], newest_first=query["order"] == "newest"):
        entry = dict(row)
        entry["signed"] = bool(entry["signed"])
        entry["headers"] = json.loads(entry["headers"])
        entry["body"] = json.loads(entry["body"])
        attempts.append(entry)
    return envelope({"callbacks": attempts})


@bp.post("/callbacks/deliver")
def deliver_callbacks() -> Response:
    """Send the callbacks due now, without waiting for the background pass."""
    return envelope({"callback_attempts": mock_runtime().dispatcher.deliver_due()})


@bp.get("/scenarios")
def scenarios() -> Response:
    example = next(iter(mock_runtime().families.by_name.values())).spec.collection_path
    return envelope(
        {
            "scenarios": [s.to_json() for s in current_call().scenarios.values()],
            "choose_with": [
                "header X-Mock-Scenario: NAME",
                "header Prefer: scenario=NAME",
                "header Prefer: code=KLING_CODE_OR_HTTP_STATUS (200: succeed)",
                "header Prefer: example=NAME (a documented example of the operation; nothing is created)",
                f"URL prefix /scenario/NAME (for example /scenario/no-human/kling{example})",
            ],
        }
    )


@bp.put("/scenarios/<name>")
def define_scenario(name: str) -> Response:
    """Define a scenario (admin.yaml's ``ScenarioDefinition``) for every worker until a reset."""
    definition = _json_body()
    try:
        scenario = check_definition(name, definition)
        mock_runtime().define_scenario(scenario, definition)
    except ValueError as exc:
        raise ErrorAnswer(1201, str(exc)) from None
    return envelope({"scenario": scenario.to_json()})


@bp.delete("/scenarios/<name>")
def forget_scenario(name: str) -> Response:
    mock = mock_runtime()
    if name in mock.fixed_scenarios:
        raise ErrorAnswer(1201, f"scenario {name!r} is built in (or from --scenarios FILE): it cannot be forgotten")
    if not mock.forget_scenario(name):
        raise ErrorAnswer(1203, f"no scenario {name[:40]!r} was defined at run time")
    return envelope({"forgotten": name})


@bp.get("/config")
def get_config() -> Response:
    return envelope({"config": current_call().settings.public(), "changeable": sorted(RUNTIME_FIELDS)})


@bp.put("/config")
def put_config() -> Response:
    """Change settings at run time (chaos, limits, durations); every worker sees the change."""
    mock = mock_runtime()
    changes = {**mock.store.state().config_changes, **_json_body()}
    try:
        settings = mock.set_config_changes(changes)
    except ValueError as exc:
        raise ErrorAnswer(1201, str(exc)) from None
    return envelope({"config": settings.public(), "changeable": sorted(RUNTIME_FIELDS)})


@bp.get("/videos/<video_id>.mp4")
def video(video_id: str) -> Response:
    """A result video: as long as its source, with its request's sound (``results.py``; made on first use);
    for any other id, the template, a small playable MP4."""
    return _video_file(video_id, watermarked=False)


@bp.get("/watermarked/<video_id>.mp4")
def watermarked_video(video_id: str) -> Response:
    """The watermarked copy of a result (the same, with a mark in its corner)."""
    return _video_file(video_id, watermarked=True)


def _video_file(video_id: str, *, watermarked: bool) -> Response:
    made = served(mock_runtime().store, video_id, watermarked=watermarked)
    if made is None:
        return send_file(
            WATERMARKED_MP4 if watermarked else RESULT_MP4, mimetype="video/mp4", conditional=True, max_age=3600
        )
    return send_file(
        io.BytesIO(made), mimetype="video/mp4", conditional=True, max_age=3600, etag=f"{video_id}-{len(made)}"
    )


@bp.get("/audio/<audio_id>.mp3")
def speech(audio_id: str) -> Response:
    """A text-to-speech audio (``task_result.audios[].url``): an MP3 as long as its ``duration`` says."""
    seq = AUDIO_IDS.seq_of(audio_id)
    audio = mock_runtime().store.get_audio(seq) if seq is not None else None
    if audio is None or not audio["duration_ms"]:
        raise ErrorAnswer(1203, f"no audio {audio_id[:64]}")
    data = io.BytesIO(speech_mp3(audio["duration_ms"]))
    return send_file(
        data, mimetype="audio/mpeg", conditional=True, max_age=3600, etag=f"{audio_id}-{audio['duration_ms']}"
    )


@bp.get("/faces/<session_id>/<face_id>.jpg")
def face_image(session_id: str, face_id: str) -> Response:
    """A face's still (``face_data[].face_image``): a small real JPEG cut from the result video."""
    return send_file(FACE_JPG, mimetype="image/jpeg", conditional=True, max_age=3600)


# -- what the mock is told of media it cannot fetch ------------------------------------------------------

_VIDEO_REGISTRATION = schema_validator("VideoRegistration")
_AUDIO_REGISTRATION = schema_validator("AudioRegistration")


def _registration(validator: Any) -> dict[str, Any]:
    body = _json_body()
    check_body(validator, body)
    return body


@bp.post("/media/videos")
def register_video() -> Response:
    """Tell the mock a video's length and faces (by URL or id); identify-face then finds those faces."""
    body = _registration(_VIDEO_REGISTRATION)
    faces = registered_faces(body["faces"])
    for face in faces:
        if not 0 <= face["start_time"] < face["end_time"] <= body["duration_ms"]:
            raise ErrorAnswer(1201, f"face {face['face_id']}: its window must lie inside the video and not be empty")
    if len({face["face_id"] for face in faces}) != len(faces):
        raise ErrorAnswer(1201, "faces: face ids must be unique")
    key = body.get("video_url") or body["video_id"]
    sound = bool(body.get("sound", False))
    mock_runtime().store.register_media("video", key, body["duration_ms"], json.dumps(faces), sound)
    return envelope({"video": {"key": key, "duration_ms": body["duration_ms"], "faces": faces, "sound": sound}})


@bp.post("/media/audio")
def register_audio() -> Response:
    """Tell the mock how long audio given by URL or ``audio_id`` lasts."""
    body = _registration(_AUDIO_REGISTRATION)
    key = body.get("audio_url") or body["audio_id"]
    mock_runtime().store.register_media("audio", key, body["duration_ms"], None)
    return envelope({"audio": {"key": key, "duration_ms": body["duration_ms"]}})


@bp.get("/media")
def media() -> Response:
    """Every video and audio registration."""
    found = [
        {
            "kind": row["kind"],
            "key": row["key"],
            "duration_ms": row["duration_ms"],
            **({"faces": json.loads(row["faces"]), "sound": bool(row["sound"])} if row["faces"] is not None else {}),
        }
        for row in mock_runtime().store.registered_media()
    ]
    return envelope({"media": found})


@bp.get("/docs")
def docs() -> Response:
    """The API reference rendered from openapi.yaml (shipped in the package; no token needed)."""
    configured = current_call().settings.docs_file
    page = Path(configured) if configured else DEFAULT_DOCS_FILE
    if not page.is_file():
        raise ErrorAnswer(1203, f"no API reference page at {page} (docs_file): run `make docs` or unset docs_file")
    return send_file(page, mimetype="text/html", max_age=60)


@bp.get("/")
def dashboard() -> Response:
    """The dashboard page (no token needed: it holds no data, and asks for the token when the mock has one)."""
    response = _dashboard_file("index.html")
    response.headers["Content-Security-Policy"] = _DASHBOARD_POLICY
    return response


@bp.get("/dashboard/<name>")
def dashboard_asset(name: str) -> Response:
    """A style sheet or module of the dashboard (no token needed)."""
    return _dashboard_file(name)


def _dashboard_file(name: str) -> Response:
    """A file of the dashboard's folder, revalidated on every load (ETag) so an upgrade shows at once.

    :raise 404: no such file, or not a kind the dashboard serves.
    """
    mimetype = _DASHBOARD_TYPES.get(Path(name).suffix)
    if mimetype is None:
        raise ErrorAnswer(1203, f"no dashboard file {name[:64]}")
    # send_from_directory refuses a name that leaves the folder.
    response = send_from_directory(DASHBOARD_DIR, name, mimetype=mimetype)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/openapi.yaml")
def openapi() -> Response:
    return send_file(SPEC_PATH, mimetype="application/yaml")


@bp.get("/admin.yaml")
def admin_openapi() -> Response:
    return send_file(ADMIN_SPEC, mimetype="application/yaml")
