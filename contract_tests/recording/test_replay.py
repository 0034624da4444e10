"""Replaying recordings into the mock in process (``KlingMock(replay=...)``, the plugin's marker).

``recordings/from-the-mock`` was recorded through ``kling-lipsync record`` (``record_sample.py``):
its legacy task 860000000000000001 was seen submitted, processing from +1 s, succeed from +5 s; its advanced
task 860000000000000002 likewise. ``recordings/observed`` holds answers written from the facts files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from contract_tests.recording.journey import ADVANCED, AUDIO, LEGACY, VIDEO_URL
from kling_lipsync.testing import KlingMock
from mock_server.recording.cassette import Interaction, read_cassette

ROOT = Path(__file__).resolve().parents[2]
FROM_THE_MOCK = ROOT / "recordings" / "from-the-mock"
OBSERVED = ROOT / "recordings" / "observed"
LEGACY_BODY = {"input": {"mode": "audio2video", "video_url": VIDEO_URL, "audio_type": "file", "audio_file": AUDIO}}


def recorded(folder: Path) -> list[Interaction]:
    return [item for path in sorted(folder.glob("*.yaml")) for item in read_cassette(path)[1]]


def answer(item: Interaction) -> Any:
    return json.loads(item.response_body)


RECORDED = recorded(FROM_THE_MOCK)
LEGACY_ID = answer(RECORDED[0])["data"]["task_id"]
RESULT_URL = next(
    answer(item)["data"]["task_result"]["videos"][0]["url"]
    for item in RECORDED
    if item.path.endswith(LEGACY_ID) and answer(item)["data"]["task_status"] == "succeed"
)


@pytest.fixture
def replaying() -> Any:
    with KlingMock({"replay": str(FROM_THE_MOCK)}) as mock:
        yield mock


def data(response: httpx.Response) -> Any:
    body = response.json()
    assert (response.status_code, body["code"]) == (200, 0), body
    return body["data"]


def test_a_recorded_task_keeps_its_id_and_takes_its_states_at_their_offsets(replaying: KlingMock) -> None:
    with replaying.httpx_client("sk-replayer") as client:
        created = data(client.post(f"{LEGACY.collection_path}", json=LEGACY_BODY))
        assert created["task_id"] == LEGACY_ID
        assert created["created_at"] == replaying.now_ms(), "its times are the mock's"
        path = f"{LEGACY.collection_path}/{LEGACY_ID}"
        seen = []
        for step_ms in (999, 1, 3999, 1):
            task = data(client.get(path))
            seen.append((task["task_status"], task["updated_at"] - created["created_at"]))
            replaying.advance(step_ms / 1000)
        seen.append((data(client.get(path))["task_status"], None))
    assert seen == [("submitted", 0), ("submitted", 0), ("processing", 1000), ("processing", 1000), ("succeed", None)]


def test_a_three_minute_task_ends_in_one_advance_with_its_recorded_result(replaying: KlingMock) -> None:
    with replaying.httpx_client("sk-replayer") as client:
        data(client.post(f"{LEGACY.collection_path}", json=LEGACY_BODY))
        replaying.advance(180)
        task = data(client.get(f"{LEGACY.collection_path}/{LEGACY_ID}"))
    assert task["task_status"] == "succeed"
    assert [video["url"] for video in task["task_result"]["videos"]] == [RESULT_URL]


def test_the_task_is_the_matching_account_s_and_a_recorded_create_replays_once(replaying: KlingMock) -> None:
    path = f"{LEGACY.collection_path}/{LEGACY_ID}"
    with replaying.httpx_client("sk-first") as first, replaying.httpx_client("sk-second") as second:
        assert data(first.post(f"{LEGACY.collection_path}", json=LEGACY_BODY))["task_id"] == LEGACY_ID
        assert second.get(f"{path}").json()["code"] == 1203, "another account's"
        again = data(second.post(f"{LEGACY.collection_path}", json=LEGACY_BODY))
        assert again["task_id"] != LEGACY_ID, "simulated: the recorded create was replayed already"
        assert int(again["task_id"]) > int(answer(RECORDED[0])["data"]["task_id"]) + 1, "never a recorded id"
        replaying.reset()
        assert data(second.post(f"{LEGACY.collection_path}", json=LEGACY_BODY))["task_id"] == LEGACY_ID


def test_media_is_matched_by_its_bytes_and_the_callback_url_not_at_all(replaying: KlingMock) -> None:
    other_audio = {**LEGACY_BODY["input"], "audio_file": AUDIO[:-8] + "AAAAAAAA"}
    with replaying.httpx_client("sk-replayer") as client:
        simulated = data(client.post(f"{LEGACY.collection_path}", json={"input": other_audio}))
        assert simulated["task_id"] != LEGACY_ID
        with_callback = {**LEGACY_BODY, "callback_url": "http://127.0.0.1:9/hook"}
        assert data(client.post(f"{LEGACY.collection_path}", json=with_callback))["task_id"] == LEGACY_ID


def test_callbacks_announce_the_recorded_transitions(replaying: KlingMock) -> None:
    with replaying.httpx_client("sk-replayer") as client:
        body = {**LEGACY_BODY, "callback_url": "http://127.0.0.1:9/hook"}
        created = data(client.post(f"{LEGACY.collection_path}", json=body))
        replaying.advance(10)
    attempts = replaying.callbacks()
    assert [(a["task_status"], a["body"]["task_id"]) for a in attempts if a["attempt"] == 1] == [
        ("submitted", LEGACY_ID),
        ("processing", LEGACY_ID),
        ("succeed", LEGACY_ID),
    ]
    assert [a["body"]["updated_at"] - created["created_at"] for a in attempts if a["attempt"] == 1] == [0, 1000, 5000]


def test_the_advanced_flow_replays_from_its_recorded_session(replaying: KlingMock) -> None:
    session_answer = answer(next(item for item in RECORDED if item.path.endswith("identify-face")))
    advanced_id = answer(next(item for item in RECORDED if item.path.endswith(ADVANCED.collection_path)))["data"]
    with replaying.httpx_client("sk-replayer") as client:
        opened = data(client.post(f"{ADVANCED.operation('session').path}", json={"video_url": VIDEO_URL}))
        assert opened == session_answer["data"], "the recorded session, as recorded"
        choice = {"face_id": opened["face_data"][0]["face_id"], "sound_file": AUDIO, "sound_start_time": 0,
                  "sound_end_time": 3000, "sound_insert_time": 1000}  # fmt: skip
        body = {"session_id": opened["session_id"], "face_choose": [choice]}
        created = data(client.post(f"{ADVANCED.collection_path}", json=body))
        assert created["task_id"] == advanced_id["task_id"]
        replaying.advance(60)
        assert data(client.get(f"{ADVANCED.collection_path}/{created['task_id']}"))["task_status"] == "succeed"
        # Another video is not in the recording: a simulated session, whose id is never the recorded one's
        other = data(client.post(f"{ADVANCED.operation('session').path}", json={"video_url": VIDEO_URL + "?v=2"}))
        assert int(other["session_id"]) > int(opened["session_id"]), "never a recorded session id"


def test_recorded_errors_and_pages_come_back_as_recorded_with_this_request_s_id(replaying: KlingMock) -> None:
    unknown = next(item for item in RECORDED if item.path.endswith("/404404"))
    page = next(item for item in RECORDED if item.query)
    with replaying.httpx_client("sk-replayer") as client:
        refused = client.get(f"{LEGACY.collection_path}/404404")
        assert refused.status_code == unknown.status
        assert {**refused.json(), "request_id": None} == {**answer(unknown), "request_id": None}
        assert refused.json()["request_id"] != answer(unknown)["request_id"]
        listed = client.get(f"{LEGACY.collection_path}", params={"pageNum": 1, "pageSize": 30})
        assert listed.json()["data"] == answer(page)["data"], "the page as recorded, its times included"
        failed = [client.get(f"{LEGACY.collection_path}") for _ in range(2)]
        assert [(r.status_code, r.json()["code"]) for r in failed] == [(500, 5000)] * 2, "the last repeats"


def test_strict_replay_names_what_the_recording_does_not_hold() -> None:
    settings = {"replay": str(FROM_THE_MOCK), "replay_strict": True}
    with KlingMock(settings) as mock, mock.httpx_client("sk-replayer") as client:
        data(client.post(f"{LEGACY.collection_path}", json=LEGACY_BODY))
        again = client.post(f"{LEGACY.collection_path}", json=LEGACY_BODY)
        unknown = client.get(f"{LEGACY.collection_path}/860000000000000777")
    assert (again.status_code, again.json()["code"]) == (400, 1200)
    assert again.json()["message"].startswith("replay: the recording from-the-mock holds no answer to POST ")
    assert "with this body (sha256 " in again.json()["message"]
    assert unknown.json()["message"].startswith(
        f"replay: the recording from-the-mock holds no answer to GET {LEGACY.task_path.replace('{task_id}', '')}"
    )


def test_what_one_request_got_comes_back_in_recorded_order_across_cassettes() -> None:
    # kling-refusals.yaml (first by name) refused this create with 1303; kling-validator.yaml then accepted it.
    # Recorded on the Kling gateway, replayed on DMXAPI's: a recording answers on both.
    observed = recorded(OBSERVED)
    over_limit = next(item for item in observed if answer(item).get("code") == 1303)
    accepted = next(item for item in observed if answer(item).get("code") == 0)
    assert accepted.request_body == over_limit.request_body
    with KlingMock({"replay": str(OBSERVED)}) as mock, mock.httpx_client("sk-replayer") as client:
        post = lambda: client.post(  # noqa: E731
            LEGACY.collection_path, content=over_limit.request_body, headers={"Content-Type": "application/json"}
        )
        refused = post()
        assert (refused.status_code, refused.json()["code"], refused.json()["message"]) == (
            429,
            1303,
            "parallel task over resource pack limit",
        ), "the account has every slot free: only the recording says so"
        created = data(post())
        assert created["task_id"] == answer(accepted)["data"]["task_id"]
        task = data(client.get(f"{LEGACY.collection_path}/{created['task_id']}"))
    assert (task["task_id"], task["task_status"]) == (created["task_id"], "submitted"), "never seen again: as created"


@pytest.mark.kling_mock(replay=str(FROM_THE_MOCK))
def test_the_plugin_s_marker_replays(kling_mock: KlingMock) -> None:
    with kling_mock.httpx_client() as client:
        assert data(client.post(f"{LEGACY.collection_path}", json=LEGACY_BODY))["task_id"] == LEGACY_ID


def test_a_recorded_fault_is_that_fault_in_process(tmp_path: Path) -> None:
    first_poll = f"{LEGACY.collection_path}/{LEGACY_ID}"
    cassette = yaml.safe_load((FROM_THE_MOCK / "journey.yaml").read_text(encoding="utf-8"))
    for item in cassette["interactions"]:
        if item["request"]["uri"].endswith("/404404"):  # its answer becomes a reset the client saw
            item["fault"], item["upstream_error"] = (
                "connection-reset",
                "ReadError: [Errno 104] Connection reset by peer",
            )
            item["response"] = {"body": {"string": ""}, "headers": {}, "status": {"code": 0, "message": "no answer"}}
    (tmp_path / "faulty.yaml").write_text(yaml.safe_dump(cassette), encoding="utf-8")
    with KlingMock({"replay": str(tmp_path)}) as mock, mock.httpx_client("sk-replayer") as client:
        with pytest.raises(httpx.ReadError):
            client.get(f"{LEGACY.collection_path}/404404")
        assert client.get(f"{first_poll}").json()["code"] == 1203, "not created here: not found"
