"""Polling measured from the mock's journal, on the virtual clock (no real waiting)."""

from __future__ import annotations

import itertools

import pytest

from kling_lipsync import TaskFailed, WaitTimeout
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
