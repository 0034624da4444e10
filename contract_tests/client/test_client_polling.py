"""Polling measured from the mock's journal, on the virtual clock (no real waiting)."""

from __future__ import annotations

import itertools
import random

import pytest

from kling_lipsync import PollSchedule, TaskFailed, WaitTimeout
from kling_lipsync.cli import build_parser
from kling_lipsync.testing import KlingMock
from kling_lipsync_client.models import TaskStatus

VIDEO = "https://example.com/face.mp4"
THREE_MINUTES = {"queue_seconds": 20.0, "processing_seconds": 160.0}


def polls(mock: KlingMock, task_id: str) -> list[dict]:
    return [e for e in mock.requests(method="GET") if e["task_id"] == task_id]


@pytest.mark.kling_mock(**THREE_MINUTES)
def test_a_three_minute_task_costs_at_most_20_polls_and_is_seen_within_2_seconds(kling_mock, kling_client) -> None:
    created = kling_client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
    task = kling_client.wait(created.task_id)
    assert task.task_status is TaskStatus.SUCCEED
    made = polls(kling_mock, created.task_id)
    assert len(made) <= 20
    assert made[-1]["at"] - task.updated_at <= 2000
    assert task.updated_at - task.created_at == 180_000


@pytest.mark.kling_mock(**THREE_MINUTES)
@pytest.mark.parametrize("scenario", ["succeed", "no-human"])
def test_polling_stops_at_the_terminal_state(kling_mock, scenario: str) -> None:
    with kling_mock.lipsync(scenario=scenario) as client:
        created = client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
        if scenario == "succeed":
            client.wait(created.task_id)
        else:
            with pytest.raises(TaskFailed):
                client.wait(created.task_id)
    made = polls(kling_mock, created.task_id)
    finished_at = created.created_at + 180_000
    assert [e["at"] >= finished_at for e in made].count(True) == 1, "one poll sees the end, none follow"


@pytest.mark.kling_mock(**THREE_MINUTES)
def test_polling_backs_off_under_bursts_of_429_and_5xx(kling_mock) -> None:
    """From 30 s to 90 s after the start every request fails with 5000/5001/5002/1302; then all is well."""
    start = kling_mock.now_ms()
    kling_mock.configure(chaos_seed=11)

    def sleep(seconds: float) -> None:
        now = kling_mock.advance(seconds)
        kling_mock.configure(chaos_rate=1.0 if 30_000 <= now - start < 90_000 else 0.0)

    with kling_mock.lipsync(sleep=sleep) as client:
        created = client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
        task = client.wait(created.task_id)
    assert task.task_status is TaskStatus.SUCCEED
    made = polls(kling_mock, created.task_id)
    failed = [e for e in made if e["code"] != 0]
    assert len(failed) >= 3
    assert {e["code"] for e in failed} <= {5000, 5001, 5002, 1302}
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(failed)]
    assert gaps == sorted(gaps), f"waits grow during the burst: {gaps}"
    assert gaps[-1] >= 4 * gaps[0] * 0.9
    assert made[-1]["code"] == 0


@pytest.mark.kling_mock(**THREE_MINUTES)
def test_wait_respects_its_deadline(kling_mock, kling_client) -> None:
    created = kling_client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
    start = kling_mock.now_ms()
    with pytest.raises(WaitTimeout) as timed_out:
        kling_client.wait(created.task_id, timeout=45)
    assert kling_mock.now_ms() - start <= 45_000
    assert all(e["at"] - start <= 45_000 for e in polls(kling_mock, created.task_id))
    assert timed_out.value.task.task_status in (TaskStatus.SUBMITTED, TaskStatus.PROCESSING)


@pytest.mark.kling_mock(**THREE_MINUTES, chaos_rate=1.0)
def test_wait_respects_its_deadline_while_every_request_fails(kling_mock, kling_client) -> None:
    start = kling_mock.now_ms()
    with pytest.raises(WaitTimeout):
        kling_client.wait("860000000000000001", timeout=60)
    assert kling_mock.now_ms() - start <= 60_000
    made = kling_mock.requests(method="GET")
    assert 3 <= len(made) <= 10, "backing off, not hammering"


@pytest.mark.kling_mock(queue_seconds=1.0, processing_seconds=4.0)
def test_a_five_second_task_is_seen_within_2_seconds_of_its_end_with_the_cli_default(kling_mock: KlingMock) -> None:
    expected_seconds = build_parser().parse_args(["wait", "1"]).expected_seconds
    assert expected_seconds == 180
    with kling_mock.lipsync(poll=PollSchedule(expected_seconds=expected_seconds)) as client:
        created = client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
        task = client.wait(created.task_id)
    assert task.updated_at - task.created_at == 5_000
    assert polls(kling_mock, created.task_id)[-1]["at"] - task.updated_at <= 2000


@pytest.mark.parametrize(
    ("settings", "elapsed", "interval"),
    [
        pytest.param({}, 0, 1, id="at-once-then-every-second"),
        pytest.param({}, 3, 1, id="every-second-for-the-first-four"),
        pytest.param({}, 4, 2, id="then-growing"),
        pytest.param({}, 6, 4, id="doubling-1"),
        pytest.param({}, 10, 8, id="doubling-2"),
        pytest.param({}, 100, 80 * 2 / 3, id="closing-in-on-the-expected-end"),
        pytest.param({}, 170, 10 * 2 / 3, id="closing-in-near-the-end"),
        pytest.param({}, 179.5, 1, id="never-below-the-minimum"),
        pytest.param({}, 180, 1, id="due"),
        pytest.param({}, 200, 10, id="overdue-half-the-time-overdue"),
        pytest.param({}, 1000, 60, id="overdue-at-most-the-maximum"),
        pytest.param({"expected_seconds": 2}, 0.5, 1, id="short-expected-minimum"),
        pytest.param({"expected_seconds": 600}, 300, 60, id="long-expected-maximum"),
        pytest.param({"min_interval": 2, "quick_seconds": 0}, 1, 2, id="own-minimum"),
    ],
)
def test_the_poll_schedule(settings: dict[str, float], elapsed: float, interval: float) -> None:
    schedule = PollSchedule(**settings)
    assert schedule.interval(elapsed) == pytest.approx(interval)
    assert schedule.interval(elapsed) == schedule.interval(elapsed), "a pure function of the elapsed time"
    spread = [schedule.next_wait(elapsed, random.Random(seed)) for seed in range(50)]
    assert all(max(schedule.min_interval, interval * 0.9) <= s <= interval * 1.1 + 1e-9 for s in spread)
