"""A task's life on the virtual clock: states, timestamps, the result video, and the scenarios' fates."""

from __future__ import annotations

import pytest

from contract_tests.bodies import example_body, text_body
from kling_lipsync.testing import KlingApi, KlingMock
from mock_server.media import mp4_duration_seconds
from mock_server.scenarios import NO_HUMAN_MESSAGE, SCENARIOS

TASKS = "/v1/videos/lip-sync"


def test_full_lifecycle_on_the_virtual_clock(mock: KlingMock, kling_api: KlingApi) -> None:
    settings = mock.settings
    start = mock.now_ms()
    created = kling_api.create(text_body())
    assert created["task_status"] == "submitted"
    assert created["created_at"] == created["updated_at"] == start

    task = kling_api.status(created["task_id"])
    assert task["task_status"] == "submitted"
    assert task["task_result"] == {"videos": []}

    mock.advance(settings.queue_seconds)
    task = kling_api.status(created["task_id"])
    assert task["task_status"] == "processing"
    assert task["updated_at"] == start + settings.queue_seconds * 1000

    mock.advance(settings.processing_seconds - 0.001)
    assert kling_api.status(created["task_id"])["task_status"] == "processing"

    mock.advance(0.001)
    task = kling_api.status(created["task_id"])
    assert task["task_status"] == "succeed"
    assert task["task_status_msg"] == ""
    assert task["updated_at"] == start + (settings.queue_seconds + settings.processing_seconds) * 1000
    assert task["created_at"] == start
    (video,) = task["task_result"]["videos"]

    download = mock.http.get(video["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert download.content[4:8] == b"ftyp"
    assert f"{mp4_duration_seconds(download.content):.1f}" == video["duration"]

    mock.advance(3600)
    assert kling_api.status(created["task_id"]) == task, "a finished task never changes"


def test_parent_video_describes_the_input(mock: KlingMock, kling_api: KlingApi) -> None:
    by_url = kling_api.status(kling_api.create(text_body())["task_id"])
    assert by_url["task_info"]["parent_video"]["url"] == text_body()["input"]["video_url"]
    by_id = kling_api.status(kling_api.create(example_body("audio2video_by_file"))["task_id"])
    parent = by_id["task_info"]["parent_video"]
    assert parent["id"] == example_body("audio2video_by_file")["input"]["video_id"]
    assert mock.http.get(parent["url"]).content[4:8] == b"ftyp"


def test_result_video_chains_into_a_new_task(make_mock) -> None:
    mock = make_mock(strict_video_ids=True)
    with mock.api(token="sk-chain") as api:
        rejected = api.request("POST", TASKS, json=text_body(video_url=None, video_id="never-made-by-the-mock"))
        assert rejected.status_code == 400
        assert rejected.json()["code"] == 1201

        first = api.create(text_body())
        mock.advance(60)
        result = api.status(first["task_id"])["task_result"]["videos"][0]
        second = api.create(text_body(video_url=None, video_id=result["id"]))
        parent = api.status(second["task_id"])["task_info"]["parent_video"]
        assert parent["id"] == result["id"]
        assert parent["url"] == result["url"]

    with mock.api(token="sk-someone-else") as other:
        stolen = other.request("POST", TASKS, json=text_body(video_url=None, video_id=result["id"]))
        assert stolen.json()["code"] == 1201, "another account's video is not usable"


def test_unknown_video_id_is_accepted_by_default(kling_api: KlingApi) -> None:
    created = kling_api.create(text_body(video_url=None, video_id="a-real-kling-video-we-cannot-know"))
    assert created["task_status"] == "submitted"


@pytest.mark.parametrize(
    ("scenario", "message"),
    [("no-human", NO_HUMAN_MESSAGE), ("task-content-policy", SCENARIOS["task-content-policy"].failure_message)],
)
def test_failing_scenarios_fail_after_processing_with_their_reason(
    mock: KlingMock, kling_api: KlingApi, scenario: str, message: str
) -> None:
    created = kling_api.create(text_body(), headers={"X-Mock-Scenario": scenario})
    mock.advance(mock.settings.queue_seconds)
    assert kling_api.status(created["task_id"])["task_status"] == "processing"
    mock.advance(mock.settings.processing_seconds)
    task = kling_api.status(created["task_id"])
    assert task["task_status"] == "failed"
    assert task["task_status_msg"] == message
    assert task["task_result"] == {"videos": []}


def test_slow_scenario_processes_ten_times_longer(mock: KlingMock, kling_api: KlingApi) -> None:
    settings = mock.settings
    normal = kling_api.create(text_body())
    slow = kling_api.create(text_body(), headers={"X-Mock-Scenario": "slow"})
    mock.advance(settings.queue_seconds + settings.processing_seconds)
    assert kling_api.status(normal["task_id"])["task_status"] == "succeed"
    assert kling_api.status(slow["task_id"])["task_status"] == "processing"
    mock.advance(settings.processing_seconds * (settings.slow_factor - 1) - 0.001)
    assert kling_api.status(slow["task_id"])["task_status"] == "processing"
    mock.advance(0.001)
    assert kling_api.status(slow["task_id"])["task_status"] == "succeed"


def test_scenario_chosen_at_create_holds_for_every_later_poll(mock: KlingMock, kling_api: KlingApi) -> None:
    created = kling_api.create(text_body(), headers={"X-Mock-Scenario": "no-human"})
    mock.advance(60)
    # Later polls carry no scenario (or another one): the fate was fixed at creation.
    assert kling_api.status(created["task_id"])["task_status"] == "failed"
    again = kling_api.status(created["task_id"], headers={"X-Mock-Scenario": "succeed"})
    assert again["task_status"] == "failed"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"headers": {"X-Mock-Scenario": "no-human"}}, id="header"),
        pytest.param({"headers": {"Prefer": "scenario=no-human"}}, id="prefer"),
        pytest.param({"scenario": "no-human"}, id="url-prefix"),
    ],
)
def test_every_way_of_choosing_a_scenario(mock: KlingMock, how: dict) -> None:
    with mock.api(token="sk-x", scenario=how.get("scenario")) as api:
        created = api.create(text_body(), headers=how.get("headers", {}))
    mock.advance(60)
    with mock.api(token="sk-x") as api:
        assert api.status(created["task_id"])["task_status"] == "failed"
    (entry,) = mock.requests(method="POST")
    assert entry["scenario"] == "no-human"
