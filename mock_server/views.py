"""The API's views, generic over families: open a session, create a task, query one, list a page.

Each gets the request's ``Call`` (authenticated, its fate chosen: ``pipeline.py``), the family, and what the
route gives it (the parsed body, a task id); it returns the answer, or a ``Fate`` when a scenario's plan for
the task's polls says so. What is a family's own (its validation, stored columns, task object) it asks the
family (``families/``); what every request shares (authentication, fate, body parsing, journal) it never sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response

from .callbacks import aimed_at_the_mock, new_message_id
from .context import Call
from .errors import ErrorAnswer, envelope
from .families import SessionFamily, TaskFamily
from .fates import Fate, Proceed, poll_fate
from .scenarios import DEFAULT_SCENARIO
from .store import Store
from .tasks import seq_of, task_id_of
from .timeline import SUBMITTED, plan_timeline

__all__ = ["SUCCEED_MESSAGE", "create", "get_task", "list_tasks", "ok", "open_session"]

#: The message of every answer with code 0.
SUCCEED_MESSAGE = "SUCCEED"


def ok(call: Call, data: Any) -> Response:
    """The success envelope around ``data``."""
    call.kling_code = 0
    return envelope({"code": 0, "message": SUCCEED_MESSAGE, "request_id": call.request_id, "data": data})


def open_session(call: Call, family: SessionFamily, body: Mapping[str, Any]) -> Response:
    """Open a session (identify-face): synchronous, answered with its ``data``; no task, no slot."""
    data = family.open_session(
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
    with mock.store.transaction() as db:
        # The account's slots are shared by every family, as Kling's concurrency rules count tasks.
        if not Store.has_free_slot(db, account, now, settings.max_in_flight):
            raise ErrorAnswer(1303)
        external_id = columns.get("external_task_id")
        if external_id and Store.external_id_taken(db, account, external_id):
            raise ErrorAnswer(1201, f"external_task_id '{external_id[:64]}' is already used by a task of this account")
        seq = Store.next_seq(db)
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

    A task whose scenario plans its polls answers this poll as planned (an error, a fault, dribbling).
    """
    seq = seq_of(task_id)
    store = call.runtime.store
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
    return ok(call, family.render(row, call.now_ms))


def list_tasks(call: Call, family: TaskFamily, args: Mapping[str, str]) -> Response:
    """A page of the account's tasks of the family, newest first (``args``: the query's parameters)."""
    mock = call.runtime
    page = mock.families.pages[family.name].check_page(args)
    rows = mock.store.list_tasks(call.account or "", family.name, page.size, (page.number - 1) * page.size)
    return ok(call, [family.render(row, call.now_ms) for row in rows])
