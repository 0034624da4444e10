"""The API's views, generic over families: open a session, create a task, query one, list a page.

Each gets the request's ``Call`` (authenticated, its fate chosen: ``pipeline.py``), the family, and what the
route gives it (the parsed body, a task id); it returns the answer, or a ``Fate`` when a scenario's plan for
the task's polls says so. What is a family's own (its validation, stored columns, task object) it asks the
family (``families/``); what every request shares (authentication, fate, body parsing, journal) it never sees.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, cast

from flask import Response

from mock_server.recording.cassette import Interaction

from .callbacks import aimed_at_the_mock, new_message_id
from .context import Call
from .errors import ErrorAnswer, envelope
from .families import AtOnce, ServedFamily, TaskFamily
from .fates import BreakConnection, Fate, Proceed, Refuse, poll_fate
from .recording.replay import RecordedTask
from .redact import kept_json, without_audio_bytes
from .results import BLOB_COLUMN, Blob
from .scenarios import DEFAULT_SCENARIO
from .store import Store
from .tasks import render_task, seq_of, task_id_of
from .timeline import SUBMITTED, plan_timeline
from .wire import SOCKET_HINT, WireEffect

__all__ = ["SUCCEED_MESSAGE", "at_once", "create", "get_task", "list_tasks", "ok", "replayed"]

#: The message of every answer with code 0.
SUCCEED_MESSAGE = "SUCCEED"
#: The scenario column of a replayed task (it follows its recording, not a scenario).
REPLAY_SCENARIO = "replay"


def ok(call: Call, data: Any) -> Response:
    """The success envelope around ``data``."""
    call.kling_code = 0
    return envelope({"code": 0, "message": SUCCEED_MESSAGE, "request_id": call.request_id, "data": data})


def at_once(call: Call, answer: AtOnce, body: Mapping[str, Any]) -> Response:
    """A call answered whole with its ``data`` (identify-face's session, text-to-speech): no task, no slot."""
    data = answer(
        body,
        call.account or "",
        settings=call.settings,
        store=call.runtime.store,
        base_url=call.base_url,
        scenario=call.scenario or DEFAULT_SCENARIO,
        now_ms=call.now_ms,
    )
    return ok(call, data)


def create(call: Call, family: TaskFamily, body: Mapping[str, Any]) -> Response:
    """Create a task: the family's checks, the account's concurrency, the task and its planned callbacks."""
    mock = call.runtime
    settings = call.settings
    family.check_create(body)
    account = call.account or ""
    base_url = call.base_url
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
    if callback_url and (refusal := aimed_at_the_mock(callback_url, base_url or "")) is not None:
        raise ErrorAnswer(1201, refusal)
    blob: Blob | None = columns.pop(BLOB_COLUMN, None)
    with mock.store.transaction() as db:
        # The account's slots are shared by every family, as Kling's concurrency rules count tasks.
        if not mock.store.has_free_slot(db, account, now, settings.max_in_flight):
            raise ErrorAnswer(1303)
        external_id = columns.get("external_task_id")
        if external_id and Store.external_id_taken(db, account, external_id):
            raise ErrorAnswer(1201, f"external_task_id '{external_id[:64]}' is already used by a task of this account")
        seq = mock.store.next_seq(db)
        task_id = task_id_of(seq)
        Store.insert_task(
            db,
            {
                "seq": seq,
                "family": family.name,
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
        if blob is not None:
            Store.insert_blob(db, *blob)
        if callback_url:
            # Each status the task is in for some time, and its last: a status lasting no time (no queue) is
            # not announced, as its callback would already show the next one.
            Store.insert_deliveries(db, seq, [(s, at, new_message_id()) for s, at in timeline.announced()])
    call.task_id = task_id
    if callback_url and mock.clock.virtual:
        # On the virtual clock nothing runs in the background: announce `submitted` once the answer is out.
        call.deliver_after_response = True
    return ok(call, family.created(task_id, SUBMITTED, now, columns))


def get_task(call: Call, family: TaskFamily, task_id: str) -> Response | Fate:
    """One task of the account and family, as it stands now: by its id, or by its ``external_task_id``.

    A task whose scenario plans its polls answers this poll as planned (an error, a fault, dribbling). A
    replayed task was answered before (``replayed``).
    """
    store = call.runtime.store
    seq = seq_of(task_id)
    row = store.get_task(call.account or "", seq, family.name) if seq is not None else None
    if row is None and family.finds_by_external_id:
        row = store.get_task_by_external_id(call.account or "", task_id, family.name)
    if row is None:
        raise ErrorAnswer(1203, f"task {task_id[:64]} not found")
    call.task_id = task_id_of(row["seq"])  # the journal names the task, however it was asked for
    planned = call.scenarios.get(row["scenario"])
    if planned is None:  # defined a moment ago through another worker (see pipeline.choose)
        call.scenarios = call.runtime.scenarios()
        planned = call.scenarios.get(row["scenario"])
    if planned is not None and planned.polls:
        fate = poll_fate(planned, store.count_poll(row["seq"]), lends_connection=call.lends_connection)
        if fate is not None and not isinstance(fate, Proceed):
            return fate
        if fate is not None:
            call.wire = fate.wire
    return ok(call, render_task(family, row, call.now_ms))


def list_tasks(call: Call, family: TaskFamily, args: Mapping[str, str]) -> Response:
    """A page of the account's tasks of the family, newest first (``args``: the query's parameters)."""
    mock = call.runtime
    page = mock.families.pages[family.name].check_page(args)
    rows = mock.store.list_tasks(call.account or "", family.name, page.size, (page.number - 1) * page.size)
    return ok(call, [render_task(family, row, call.now_ms) for row in rows])


# -- replay (``--replay DIR``: replay.py reads the recording) ------------------------------------------------


def replayed(
    call: Call, method: str, family: ServedFamily, role: str, template: str, task_id: str | None, query: str, body: Any
) -> Response | Fate | None:
    """The recording's answer to this request; None when it holds none and the request is simulated."""
    mock = call.runtime
    recording = mock.replay
    assert recording is not None
    account = call.account or ""
    if role == "get" and task_id is not None:
        row = mock.store.get_task_by_recorded_id(account, task_id, family.name)
        if row is not None:  # a replayed task, which answers to its recorded id first (``tasks.render_task``)
            call.task_id = task_id
            return ok(call, render_task(cast(TaskFamily, family), row, call.now_ms))
    found = recording.answers_to(method, role, template, task_id, query, body)
    if found is not None:
        key, answers = found
        chosen = answers[min(mock.store.replay_use(key), len(answers) - 1)]
        if isinstance(chosen, Interaction):
            return _recorded_answer(call, chosen)
        created = _replay_create(call, cast(TaskFamily, family), chosen, body)
        if created is not None:
            return created
    if call.settings.replay_strict and not (role == "get" and task_id and _simulated_task(call, family.name, task_id)):
        return Refuse(1200, recording.unmatched(method, template, task_id, query, body))
    return None


def _replay_create(call: Call, family: TaskFamily, chosen: RecordedTask, body: Any) -> Response | None:
    """``chosen`` as a task of this account, with its recorded id; None when it was replayed already."""
    store = call.runtime.store
    now = call.now_ms
    callback_url = body.get("callback_url") if isinstance(body, dict) else None
    if callback_url is not None and not isinstance(callback_url, str):
        raise ErrorAnswer(1201, "callback_url must be a string")
    if callback_url and (refusal := aimed_at_the_mock(callback_url, call.base_url or "")) is not None:
        raise ErrorAnswer(1201, refusal)
    account = call.account or ""
    # The family's own columns, for a status the recording never saw the task in (shown as the family would).
    # The service took the request, so a rule of the mock's that refuses it (a session only the recording
    # opened, say) leaves them as the body gives them.
    columns: dict[str, Any] = {
        "parent_video_id": "",
        "parent_video_url": str(body.get("video_url") or "") if isinstance(body, dict) else "",
        "parent_video_duration": "0",
        "request_input": kept_json(without_audio_bytes(body)),
        "external_task_id": body.get("external_task_id") if isinstance(body, dict) else None,
    }
    with contextlib.suppress(ErrorAnswer):
        columns.update(
            family.task_columns(body, account, settings=call.settings, store=store, base_url=call.base_url, now_ms=now)
        )
    # Its result is the recorded one (its URL as recorded): nothing for the mock to make, no audio to keep.
    columns.pop(BLOB_COLUMN, None)
    columns.pop("sound", None)
    with store.transaction() as db:
        # The account's lock, as a simulated create takes it, then the recorded task's: two servers replaying one
        # recorded create at once wait in line (PostgreSQL), and the second sees the first's task.
        store.lock_account(db, account)
        store.lock_recorded(db, chosen.task_id)
        if Store.recorded_id_taken(db, chosen.task_id):
            return None
        external_id = columns.get("external_task_id")
        if external_id and Store.external_id_taken(db, account, external_id):
            return None  # this account holds that external id already: simulated, which refuses it
        timeline = chosen.timeline(now)
        final = next(reversed(chosen.states.values()), {})
        videos = (final.get("task_result") or {}).get("videos") or [{}]
        seq = store.next_seq(db)
        Store.insert_task(
            db,
            {
                "seq": seq,
                "family": family.name,
                "account": account,
                "scenario": REPLAY_SCENARIO,
                "created_at": timeline.created_at,
                "processing_at": timeline.processing_at,
                "finished_at": timeline.finished_at,
                "outcome": timeline.outcome,
                "failure_message": timeline.failure_message,
                "result_video_id": str(videos[0].get("id") or "") if isinstance(videos[0], dict) else "",
                "base_url": call.base_url,
                "callback_url": callback_url,
                **columns,
                "recorded_id": chosen.task_id,
                "recording": chosen.recording_json(),
            },
        )
        if callback_url:
            Store.insert_deliveries(db, seq, [(s, at, new_message_id()) for s, at in timeline.announced()])
    call.task_id = chosen.task_id
    if callback_url and call.runtime.clock.virtual:
        call.deliver_after_response = True
    answer = chosen.create.response_json()
    data = {**answer["data"], "created_at": now, "updated_at": now}
    return _recorded_envelope(call, {**answer, "data": data}, chosen.create.status)


def _simulated_task(call: Call, family: str, task_id: str) -> bool:
    """Whether a task of this account the mock simulated answers to ``task_id`` (strict replay serves those)."""
    seq = seq_of(task_id)
    return seq is not None and call.runtime.store.get_task(call.account or "", seq, family) is not None


def _recorded_answer(call: Call, item: Interaction) -> Response | Fate:
    """A recorded answer as recorded, but for this request's id; a recorded fault as that fault."""
    if item.fault:
        if not call.lends_connection:
            return Refuse(1201, f"the recording answers this request with {item.fault}, which {SOCKET_HINT}")
        return BreakConnection(WireEffect(fault=item.fault))
    body = item.response_json()
    if isinstance(body, dict):
        return _recorded_envelope(call, body, item.status)
    content = item.response_body if isinstance(item.response_body, bytes) else item.response_body.encode()
    return Response(content, status=item.status, mimetype=item.header("content-type") or "application/json")


def _recorded_envelope(call: Call, body: dict[str, Any], status: int) -> Response:
    shown = {**body, "request_id": call.request_id} if "request_id" in body else body
    code = shown.get("code")
    call.kling_code = code if isinstance(code, int) else None
    response = envelope(shown)
    response.status_code = status
    return response
