"""Tasks for operators: ``GET /__mock__/tasks`` over every account, and ``POST /__mock__/tasks/{id}/state``.

Listing is checked against what each account's own query answers; the ``status`` filter (SQL) against the
timeline's ``status_at`` (Python) at every boundary; forcing against the clock, the account's slots and the
callbacks a real receiver gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import create_body, create_with_callback
from kling_lipsync.testing import CallbackReceiver, KlingApi, KlingMock
from kling_spec import task_statuses
from mock_server.admin_rules import QueryRules, operation, property_default, schema_validator
from mock_server.scenarios import SCENARIOS
from mock_server.timeline import FAILED, PROCESSING, SUBMITTED, SUCCEED, TaskTimeline

FORCED_FAILURE = property_default("TaskStateChange", "message")
OPERATOR_TASK = schema_validator("OperatorTask")
EXTRAS = ("account", "family", "scenario", "plan")
LISTED = ", ".join(QueryRules("list_tasks").names)


def advance_ms(mock: KlingMock, milliseconds: int) -> int:
    now: int = mock.http.post("/__mock__/clock/advance", json={"milliseconds": milliseconds}).json()["now_ms"]
    return now


def force(mock: KlingMock, task_id: str, body: Any) -> httpx.Response:
    return mock.http.post(f"/__mock__/tasks/{task_id}/state", json=body)


def own_view(entry: dict[str, Any]) -> dict[str, Any]:
    """An operator's entry without what only operators see: the account's own answer."""
    return {key: value for key, value in entry.items() if key not in EXTRAS}


@pytest.fixture
def alice(kling_mock: KlingMock) -> Iterator[KlingApi]:
    with kling_mock.api(token="sk-alice") as api:
        yield api


# -- the timeline, pure ----------------------------------------------------------------------------------

PLAN = TaskTimeline(created_at=1000, processing_at=2000, finished_at=6000, outcome=SUCCEED)


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        pytest.param(SUCCEED, 1500, TaskTimeline(1000, 1500, 1500, SUCCEED), id="succeed-while-submitted"),
        pytest.param(SUCCEED, 1000, TaskTimeline(1000, 1000, 1000, SUCCEED), id="succeed-at-creation"),
        pytest.param(FAILED, 2000, TaskTimeline(1000, 2000, 2000, FAILED, "why"), id="failed-as-processing-begins"),
        pytest.param(FAILED, 5999, TaskTimeline(1000, 2000, 5999, FAILED, "why"), id="failed-1ms-before-the-end"),
        pytest.param(PROCESSING, 1500, TaskTimeline(1000, 1500, 1500 + 700, SUCCEED), id="processing-early"),
        pytest.param(PROCESSING, 3000, TaskTimeline(1000, 2000, 3000 + 700, SUCCEED), id="processing-again"),
    ],
)
def test_a_forced_timeline_has_the_status_from_now_on(status: str, now: int, expected: TaskTimeline) -> None:
    forced = PLAN.forced(status, now, processing_ms=700, message="why")
    assert forced == expected
    assert forced.status_at(now)[0] == status
    assert forced.status_at(now - 1) == PLAN.status_at(now - 1), "what already happened stays"


def test_forced_processing_lasts_at_least_a_millisecond() -> None:
    forced = PLAN.forced(PROCESSING, 1500, processing_ms=0)
    assert forced.status_at(1500)[0] == PROCESSING
    assert forced.status_at(1501)[0] == SUCCEED


@pytest.mark.parametrize("status", [PROCESSING, SUCCEED, FAILED])
def test_a_finished_timeline_cannot_be_forced(status: str) -> None:
    with pytest.raises(ValueError, match="already succeed"):
        PLAN.forced(status, 6000, processing_ms=700)
    with pytest.raises(ValueError, match="cannot be forced into 'submitted'"):
        PLAN.forced(SUBMITTED, 1500, processing_ms=700)


@pytest.mark.parametrize(
    ("timeline", "announced"),
    [
        pytest.param(PLAN, [(SUBMITTED, 1000), (PROCESSING, 2000), (SUCCEED, 6000)], id="every-status"),
        pytest.param(TaskTimeline(1000, 1500, 1500, FAILED), [(SUBMITTED, 1000), (FAILED, 1500)], id="no-processing"),
        pytest.param(TaskTimeline(1000, 1000, 1000, SUCCEED), [(SUCCEED, 1000)], id="only-the-end"),
        pytest.param(TaskTimeline(1000, 1000, 1001, SUCCEED), [(PROCESSING, 1000), (SUCCEED, 1001)], id="no-queue"),
    ],
)
def test_callbacks_announce_the_statuses_that_last(timeline: TaskTimeline, announced: list[tuple[str, int]]) -> None:
    assert timeline.announced() == announced


# -- listing ---------------------------------------------------------------------------------------------


def test_the_admin_statuses_are_the_specs() -> None:
    listed = next(p for p in operation("list_tasks")["parameters"] if p["name"] == "status")["schema"]["enum"]
    assert listed == list(task_statuses())
    forced = schema_validator("TaskStateChange")
    assert [s for s in task_statuses() if forced.is_valid({"status": s})] == [PROCESSING, SUCCEED, FAILED]


def test_every_account_and_family_newest_first_as_each_account_sees_it(kling_mock: KlingMock) -> None:
    created: list[tuple[str, KlingApi, str]] = []
    apis = [
        kling_mock.api("lip-sync", token="sk-alice"),
        kling_mock.api("advanced-lip-sync", token="sk-alice"),
        kling_mock.api("lip-sync", token="sk-bob", scenario="slow"),
        kling_mock.api("lip-sync", gateway="kling", token=kling_mock.settings.api_key, scenario="no-human"),
    ]
    for api in apis:
        created.append((api.create(create_body(api))["task_id"], api, api.family.name))
        advance_ms(kling_mock, 2500)
    listed = kling_mock.http.get("/__mock__/tasks").json()
    assert listed["total"] == 4
    assert [t["task_id"] for t in listed["tasks"]] == [task_id for task_id, _, _ in reversed(created)]
    journal = {(e["task_id"], e["account"]) for e in kling_mock.requests(method="POST", status=200)}
    for entry, (task_id, api, family) in zip(listed["tasks"], reversed(created), strict=True):
        assert OPERATOR_TASK.is_valid(entry)
        assert own_view(entry) == api.status(task_id), "the family's own task object, as it stands now"
        assert (entry["family"], (task_id, entry["account"]) in journal) == (family, True)
    assert [t["scenario"] for t in listed["tasks"]] == ["no-human", "slow", "succeed", "succeed"]
    assert [t["task_status"] for t in listed["tasks"]] == ["processing", "processing", "succeed", "succeed"]
    for api in apis:
        api.close()


@pytest.mark.parametrize("name", ["account", "family", "scenario", "status"])
def test_each_filter_matches_exactly(kling_mock: KlingMock, name: str) -> None:
    for token, family, scenario in [
        ("sk-alice", "lip-sync", None),
        ("sk-bob", "lip-sync", "slow"),
        ("sk-alice", "advanced-lip-sync", "no-human"),
        ("sk-carol", "lip-sync", "no-human"),
    ]:
        with kling_mock.api(family, token=token, scenario=scenario) as api:
            api.create(create_body(api))
        advance_ms(kling_mock, 3000)
    everything = kling_mock.tasks()
    values = {entry[name if name != "status" else "task_status"] for entry in everything}
    assert len(values) >= 2
    for value in values:
        expected = [e for e in everything if e[name if name != "status" else "task_status"] == value]
        answer = kling_mock.http.get("/__mock__/tasks", params={name: value}).json()
        assert (answer["tasks"], answer["total"]) == (expected, len(expected))
        assert 0 < len(expected) < len(everything)
    assert kling_mock.tasks(**{name: "nobody" if name != "status" else "submitted"}) == []


@pytest.mark.parametrize("scenario", ["succeed", "no-human"])
def test_the_status_filter_agrees_with_the_timeline_at_every_boundary(
    kling_mock: KlingMock, alice: KlingApi, scenario: str
) -> None:
    task_id = alice.create(text_body(), headers={"X-Mock-Scenario": scenario})["task_id"]
    queue = round(kling_mock.settings.queue_seconds * 1000)
    processing = round(kling_mock.settings.processing_seconds * 1000)
    # From creation: just before and at each transition, and long after.
    for step in (0, queue - 1, 1, processing - 1, 1, 10**6):
        advance_ms(kling_mock, step)
        status = alice.status(task_id)["task_status"]
        found = {s for s in task_statuses() if [t["task_id"] for t in kling_mock.tasks(status=s)] == [task_id]}
        assert found == {status}, f"{step} ms on"


def test_pages_neither_repeat_nor_skip(kling_mock: KlingMock) -> None:
    kling_mock.configure(max_in_flight=20)
    with kling_mock.api(token="sk-pages") as api:
        ids = [api.create(text_body())["task_id"] for _ in range(7)][::-1]
    seen: list[str] = []
    for offset in range(0, 9, 3):
        page = kling_mock.http.get("/__mock__/tasks", params={"limit": 3, "offset": offset}).json()
        assert page["total"] == 7
        seen += [t["task_id"] for t in page["tasks"]]
    assert seen == ids
    assert kling_mock.http.get("/__mock__/tasks", params={"offset": 7}).json() == {"tasks": [], "total": 7}
    assert len(kling_mock.http.get("/__mock__/tasks", params={"limit": 1}).json()["tasks"]) == 1
    assert len(kling_mock.http.get("/__mock__/tasks", params={"limit": 1000}).json()["tasks"]) == 7


@pytest.mark.parametrize(
    ("params", "words"),
    [
        pytest.param({"state": "failed"}, f"unknown query parameter 'state'; known: {LISTED}", id="unknown-name"),
        pytest.param({"pageSize": "10"}, "'pageSize'", id="the-apis-paging"),
        pytest.param({"status": "done"}, "status: \"done\" is not one of", id="unknown-status"),
        pytest.param({"limit": "0"}, "minimum of 1", id="limit-zero"),
        pytest.param({"limit": "1001"}, "maximum of 1000", id="limit-over"),
        pytest.param({"offset": "-1"}, "minimum of 0", id="offset-negative"),
        pytest.param({"offset": "x"}, "offset value 'x' is not an integer", id="offset-not-a-number"),
    ],
)  # fmt: skip
def test_bad_list_parameters_are_refused(kling_mock: KlingMock, params: dict[str, str], words: str) -> None:
    answer = kling_mock.http.get("/__mock__/tasks", params=params)
    assert (answer.status_code, answer.json()["code"]) == (400, 1201)
    assert words in answer.json()["message"]


# -- forcing ---------------------------------------------------------------------------------------------


def test_forcing_succeed_ends_the_task_now_and_frees_its_slot(kling_mock: KlingMock, alice: KlingApi) -> None:
    kling_mock.configure(max_in_flight=1)
    task_id = alice.create(text_body())["task_id"]
    now = advance_ms(kling_mock, 400)
    assert alice.request("POST", alice.family.collection_path, json=text_body()).json()["code"] == 1303
    entry = kling_mock.force_task_state(task_id, "succeed")
    assert own_view(entry) == alice.status(task_id)
    assert (entry["task_status"], entry["updated_at"], entry["task_status_msg"]) == ("succeed", now, "")
    assert len(entry["task_result"]["videos"]) == 1, "a forced success has its result video"
    alice.create(text_body())
    advance_ms(kling_mock, 10**6)
    assert alice.status(task_id) == own_view(entry), "and stays as forced"


@pytest.mark.parametrize("message", [None, "there is no human in the video", "x", "y" * 500])
def test_forcing_failed_gives_the_message(kling_mock: KlingMock, alice: KlingApi, message: str | None) -> None:
    task_id = alice.create(text_body())["task_id"]
    now = advance_ms(kling_mock, 1500)
    entry = kling_mock.force_task_state(task_id, "failed", message=message)
    task = alice.status(task_id)
    assert task == own_view(entry)
    assert (task["task_status"], task["task_status_msg"], task["updated_at"]) == (
        "failed",
        message or FORCED_FAILURE,
        now,
    )
    assert task["task_result"]["videos"] == []


@pytest.mark.parametrize("scenario", ["succeed", "no-human", "slow"])
def test_forced_processing_lasts_as_the_scenario_processes_then_ends_as_planned(
    kling_mock: KlingMock, alice: KlingApi, scenario: str
) -> None:
    task_id = alice.create(text_body(), headers={"X-Mock-Scenario": scenario})["task_id"]
    forced_at = advance_ms(kling_mock, 200)
    entry = kling_mock.force_task_state(task_id, "processing")
    assert (entry["task_status"], entry["updated_at"]) == ("processing", forced_at)
    settings = kling_mock.settings
    lasts = round(settings.processing_seconds * (settings.slow_factor if scenario == "slow" else 1) * 1000)
    advance_ms(kling_mock, lasts - 1)
    assert alice.status(task_id)["task_status"] == "processing"
    advance_ms(kling_mock, 1)
    task = alice.status(task_id)
    assert (task["task_status"], task["updated_at"]) == (SCENARIOS[scenario].outcome, forced_at + lasts)
    assert task["task_status_msg"] == SCENARIOS[scenario].failure_message


@pytest.mark.parametrize("scenario", ["succeed", "no-human"])
def test_the_plan_is_when_each_status_begins_before_and_after_forcing(
    kling_mock: KlingMock, alice: KlingApi, scenario: str
) -> None:
    task_id = alice.create(text_body(), headers={"X-Mock-Scenario": scenario})["task_id"]
    created = alice.status(task_id)["created_at"]
    settings = kling_mock.settings
    queue, processing = round(settings.queue_seconds * 1000), round(settings.processing_seconds * 1000)
    (listed,) = kling_mock.tasks()
    outcome = SCENARIOS[scenario].outcome
    assert listed["plan"] == {
        "created_at": created,
        "processing_at": created + queue,
        "finished_at": created + queue + processing,
        "outcome": outcome,
    }
    forced_at = advance_ms(kling_mock, 100)
    forced = kling_mock.force_task_state(task_id, "succeed")
    assert forced["plan"] == {"created_at": created, "processing_at": forced_at, "finished_at": forced_at,
                              "outcome": "succeed"}  # fmt: skip


def test_forcing_processing_again_starts_its_time_over(kling_mock: KlingMock, alice: KlingApi) -> None:
    task_id = alice.create(text_body())["task_id"]
    began = advance_ms(kling_mock, round(kling_mock.settings.queue_seconds * 1000) + 1000) - 1000
    forced_at = advance_ms(kling_mock, 2000)
    entry = kling_mock.force_task_state(task_id, "processing")
    assert (entry["task_status"], entry["updated_at"]) == ("processing", began), "processing since it began"
    advance_ms(kling_mock, round(kling_mock.settings.processing_seconds * 1000) - 1)
    assert alice.status(task_id)["task_status"] == "processing", "past its first plan's end"
    advance_ms(kling_mock, 1)
    assert alice.status(task_id)["updated_at"] == forced_at + round(kling_mock.settings.processing_seconds * 1000)


@pytest.mark.parametrize("asked", ["processing", "succeed", "failed"])
@pytest.mark.parametrize("scenario", ["succeed", "no-human"])
def test_a_finished_task_is_final(kling_mock: KlingMock, alice: KlingApi, scenario: str, asked: str) -> None:
    task_id = alice.create(text_body(), headers={"X-Mock-Scenario": scenario})["task_id"]
    settings = kling_mock.settings
    advance_ms(kling_mock, round((settings.queue_seconds + settings.processing_seconds) * 1000))
    before = alice.status(task_id)
    answer = force(kling_mock, task_id, {"status": asked})
    assert (answer.status_code, answer.json()["code"]) == (400, 1201)
    assert (
        answer.json()["message"]
        == f"task {task_id}: the task is already {before['task_status']}: a finished task's status is final"
    )
    assert alice.status(task_id) == before


@pytest.mark.parametrize("task_id", ["860000000000999999", "nope", "1" * 18, "8600000000000000001"])
def test_an_unknown_task_is_404_1203(kling_mock: KlingMock, task_id: str) -> None:
    answer = force(kling_mock, task_id, {"status": "succeed"})
    assert (answer.status_code, answer.json()["code"]) == (404, 1203)
    assert answer.json()["request_id"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param({}, "body: \"status\" is a required property", id="no-status"),
        pytest.param({"status": "submitted"}, "status: \"submitted\" is not one of", id="back-to-submitted"),
        pytest.param({"status": "done"}, "status:", id="unknown-status"),
        pytest.param({"status": "succeed", "message": "why"}, 'status: "failed" was expected', id="message-not-failed"),
        pytest.param({"status": "failed", "message": ""}, "message:", id="empty-message"),
        pytest.param({"status": "failed", "message": "y" * 501}, "message:", id="message-too-long"),
        pytest.param({"status": "failed", "reason": "why"}, "'reason' was unexpected", id="unknown-field"),
        pytest.param({"status": 1}, "status:", id="status-not-a-string"),
    ],
)  # fmt: skip
def test_bad_bodies_are_refused_with_1201(kling_mock: KlingMock, alice: KlingApi, body: Any, words: str) -> None:
    task_id = alice.create(text_body())["task_id"]
    answer = force(kling_mock, task_id, body)
    assert (answer.status_code, answer.json()["code"]) == (400, 1201)
    assert words in answer.json()["message"]
    assert alice.status(task_id)["task_status"] == "submitted"


def test_a_body_that_is_not_json_is_1200(kling_mock: KlingMock, alice: KlingApi) -> None:
    task_id = alice.create(text_body())["task_id"]
    answer = kling_mock.http.post(f"/__mock__/tasks/{task_id}/state", content=b"{status: failed}")
    assert (answer.status_code, answer.json()["code"]) == (400, 1200)


def test_the_routes_need_the_admin_token(make_mock) -> None:
    mock = make_mock(admin_token="let-me-in")
    assert mock.http.get("/__mock__/tasks").json()["code"] == 1001
    assert mock.http.post("/__mock__/tasks/860000000000000001/state", json={"status": "succeed"}).json()["code"] == 1001
    assert mock.tasks() == [], "KlingMock sends the token"


def test_on_the_real_clock_the_background_pass_announces_it(make_mock, receiver: CallbackReceiver) -> None:
    mock = make_mock(clock="real", queue_seconds=60)
    with mock.api(token="sk-real") as api:
        task_id = created_and_announced(api, receiver)
        answer = force(mock, task_id, {"status": "failed"}).json()
        assert (answer["task"]["task_status"], answer["callback_attempts"]) == ("failed", 0)
        assert api.status(task_id)["task_status_msg"] == FORCED_FAILURE
    receiver.wait_for(2)
    assert statuses(receiver) == ["submitted", "failed"]


# -- callbacks follow ------------------------------------------------------------------------------------


def created_and_announced(api: KlingApi, receiver: CallbackReceiver) -> str:
    task_id = create_with_callback(api, receiver.url)
    receiver.wait_for(1)
    return task_id


def statuses(receiver: CallbackReceiver) -> list[str]:
    return [c.json()["task_status"] for c in receiver.received]


def test_failed_while_submitted_is_announced_at_once_and_nothing_else(
    kling_mock: KlingMock, alice: KlingApi, receiver: CallbackReceiver
) -> None:
    task_id = created_and_announced(alice, receiver)
    answer = force(kling_mock, task_id, {"status": "failed", "message": "there is no human in the video"}).json()
    assert answer["callback_attempts"] == 1, "delivered before the answer, on the virtual clock"
    assert statuses(receiver) == ["submitted", "failed"]
    assert receiver.received[-1].json() == alice.status(task_id)
    kling_mock.advance(3600)
    assert statuses(receiver) == ["submitted", "failed"], "the first plan's processing and succeed are never sent"
    assert [(a["task_status"], a["outcome"]) for a in kling_mock.callbacks()] == [
        ("submitted", "delivered"),
        ("failed", "delivered"),
    ]
    assert kling_mock.http.get("/__mock__/health").json()["pending_callbacks"] == 0


def test_processing_then_succeed_are_announced_when_they_happen(
    kling_mock: KlingMock, alice: KlingApi, receiver: CallbackReceiver
) -> None:
    task_id = created_and_announced(alice, receiver)
    forced_at = advance_ms(kling_mock, 300)
    kling_mock.force_task_state(task_id, "processing")
    assert statuses(receiver) == ["submitted", "processing"]
    assert receiver.received[-1].json()["updated_at"] == forced_at
    kling_mock.advance(kling_mock.settings.processing_seconds)
    assert statuses(receiver) == ["submitted", "processing", "succeed"]
    assert receiver.received[-1].json() == alice.status(task_id)
    assert receiver.received[-1].json()["updated_at"] == forced_at + round(
        kling_mock.settings.processing_seconds * 1000
    )
    kling_mock.advance(3600)
    assert len(receiver.received) == 3


def test_succeed_while_processing_replaces_the_planned_end(
    kling_mock: KlingMock, alice: KlingApi, receiver: CallbackReceiver
) -> None:
    task_id = created_and_announced(alice, receiver)
    kling_mock.advance(kling_mock.settings.queue_seconds)
    assert statuses(receiver) == ["submitted", "processing"]
    forced_at = advance_ms(kling_mock, 1000)
    assert force(kling_mock, task_id, {"status": "succeed"}).json()["callback_attempts"] == 1
    assert statuses(receiver) == ["submitted", "processing", "succeed"]
    assert receiver.received[-1].json()["updated_at"] == forced_at
    kling_mock.advance(3600)
    assert [(a["task_status"], a["attempt"]) for a in kling_mock.callbacks()] == [
        ("submitted", 1),
        ("processing", 1),
        ("succeed", 1),
    ], "what was sent is not sent again, and the first plan's end never"


def test_a_task_without_callback_url_gets_no_deliveries(kling_mock: KlingMock, alice: KlingApi) -> None:
    task_id = alice.create(text_body())["task_id"]
    assert force(kling_mock, task_id, {"status": "succeed"}).json()["callback_attempts"] == 0
    assert kling_mock.callbacks() == []
