"""A task's life on the virtual clock: states, timestamps, the result video, and the scenarios' fates."""

from __future__ import annotations

import httpx
import pytest

from contract_tests.bodies import example_body, text_body
from kling_lipsync.testing import KlingMock
from mock_server.media import mp4_duration_seconds
from mock_server.scenarios import NO_HUMAN_MESSAGE, SCENARIOS

TASKS = "/v1/videos/lip-sync"


def create(client: httpx.Client, body: dict | None = None, **headers: str) -> dict:
    response = client.post(TASKS, json=body or text_body(), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def status(client: httpx.Client, task_id: str) -> dict:
    response = client.get(f"{TASKS}/{task_id}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_full_lifecycle_on_the_virtual_clock(mock: KlingMock, dmx: httpx.Client) -> None:
    settings = mock.settings
    start = mock.now_ms()
    created = create(dmx)
    assert created["task_status"] == "submitted"
    assert created["created_at"] == created["updated_at"] == start

    task = status(dmx, created["task_id"])
    assert task["task_status"] == "submitted"
    assert task["task_result"] == {"videos": []}

    mock.advance(settings.queue_seconds)
    task = status(dmx, created["task_id"])
    assert task["task_status"] == "processing"
    assert task["updated_at"] == start + settings.queue_seconds * 1000

    mock.advance(settings.processing_seconds - 0.001)
    assert status(dmx, created["task_id"])["task_status"] == "processing"

    mock.advance(0.001)
    task = status(dmx, created["task_id"])
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
    assert status(dmx, created["task_id"]) == task, "a finished task never changes"


def test_parent_video_describes_the_input(mock: KlingMock, dmx: httpx.Client) -> None:
    by_url = status(dmx, create(dmx, text_body())["task_id"])
    assert by_url["task_info"]["parent_video"]["url"] == text_body()["input"]["video_url"]
    by_id = status(dmx, create(dmx, example_body("audio2video_by_file"))["task_id"])
    parent = by_id["task_info"]["parent_video"]
    assert parent["id"] == example_body("audio2video_by_file")["input"]["video_id"]
    assert mock.http.get(parent["url"]).content[4:8] == b"ftyp"


def test_result_video_chains_into_a_new_task(make_mock) -> None:
    mock = make_mock(strict_video_ids=True)
    with mock.httpx_client("sk-chain") as client:
        rejected = client.post(TASKS, json=text_body(video_url=None, video_id="never-made-by-the-mock"))
        assert rejected.status_code == 400
        assert rejected.json()["code"] == 1201

        first = create(client)
        mock.advance(60)
        result = status(client, first["task_id"])["task_result"]["videos"][0]
        second = create(client, text_body(video_url=None, video_id=result["id"]))
        parent = status(client, second["task_id"])["task_info"]["parent_video"]
        assert parent["id"] == result["id"]
        assert parent["url"] == result["url"]

    with mock.httpx_client("sk-someone-else") as other:
        stolen = other.post(TASKS, json=text_body(video_url=None, video_id=result["id"]))
        assert stolen.json()["code"] == 1201, "another account's video is not usable"


def test_unknown_video_id_is_accepted_by_default(dmx: httpx.Client) -> None:
    created = create(dmx, text_body(video_url=None, video_id="a-real-kling-video-we-cannot-know"))
    assert created["task_status"] == "submitted"


@pytest.mark.parametrize(
    ("scenario", "message"),
    [("no-human", NO_HUMAN_MESSAGE), ("task-content-policy", SCENARIOS["task-content-policy"].failure_message)],
)
def test_failing_scenarios_fail_after_processing_with_their_reason(
    mock: KlingMock, dmx: httpx.Client, scenario: str, message: str
) -> None:
    created = create(dmx, **{"X-Mock-Scenario": scenario})
    mock.advance(mock.settings.queue_seconds)
    assert status(dmx, created["task_id"])["task_status"] == "processing"
    mock.advance(mock.settings.processing_seconds)
    task = status(dmx, created["task_id"])
    assert task["task_status"] == "failed"
    assert task["task_status_msg"] == message
    assert task["task_result"] == {"videos": []}


def test_slow_scenario_processes_ten_times_longer(mock: KlingMock, dmx: httpx.Client) -> None:
    settings = mock.settings
    normal = create(dmx)
    slow = create(dmx, **{"X-Mock-Scenario": "slow"})
    mock.advance(settings.queue_seconds + settings.processing_seconds)
    assert status(dmx, normal["task_id"])["task_status"] == "succeed"
    assert status(dmx, slow["task_id"])["task_status"] == "processing"
    mock.advance(settings.processing_seconds * (settings.slow_factor - 1) - 0.001)
    assert status(dmx, slow["task_id"])["task_status"] == "processing"
    mock.advance(0.001)
    assert status(dmx, slow["task_id"])["task_status"] == "succeed"


def test_scenario_chosen_at_create_holds_for_every_later_poll(mock: KlingMock, dmx: httpx.Client) -> None:
    created = create(dmx, **{"X-Mock-Scenario": "no-human"})
    mock.advance(60)
    # Later polls carry no scenario (or another one): the fate was fixed at creation.
    assert status(dmx, created["task_id"])["task_status"] == "failed"
    again = dmx.get(f"{TASKS}/{created['task_id']}", headers={"X-Mock-Scenario": "succeed"})
    assert again.json()["data"]["task_status"] == "failed"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"headers": {"X-Mock-Scenario": "no-human"}}, id="header"),
        pytest.param({"headers": {"Prefer": "scenario=no-human"}}, id="prefer"),
        pytest.param({"prefix": "/scenario/no-human"}, id="url-prefix"),
    ],
)
def test_every_way_of_choosing_a_scenario(mock: KlingMock, how: dict) -> None:
    prefix = how.get("prefix", "")
    with httpx.Client(
        transport=mock.transport, base_url=f"{mock.base_url}{prefix}/kling", headers={"Authorization": "Bearer sk-x"}
    ) as client:
        created = create(client, **how.get("headers", {}))
    mock.advance(60)
    with mock.httpx_client("sk-x") as client:
        assert status(client, created["task_id"])["task_status"] == "failed"
    (entry,) = mock.requests(method="POST")
    assert entry["scenario"] == "no-human"
