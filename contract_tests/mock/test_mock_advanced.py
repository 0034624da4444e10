"""The mock's advanced lip-sync, rule by rule at its boundary, through the generated client and raw HTTP.

Every number comes from the spec (``kling_spec.timing``): a test breaks a rule by one millisecond and keeps
it at the limit, so a mock that moved a limit, or checked ``>`` for ``>=``, fails here.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.helpers import data
from contract_tests.strategies import ASSETS
from kling_lipsync.testing import KlingMock
from kling_lipsync_client.api.advanced_lip_sync import (
    create_advanced_lip_sync_task,
    get_advanced_lip_sync_task,
    identify_faces,
)
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTaskCreatedResponse,
    ErrorResponse,
    FaceChoice,
    FaceSessionResponse,
    IdentifyFaceRequest,
)
from kling_spec import load_spec
from kling_spec.families import family
from kling_spec.timing import timing_rules
from mock_server.media import mp4_duration_seconds

RULES = timing_rules()
#: The decoded size limit of sound_file (``x-max-decoded-bytes``).
RULES_AUDIO_BYTES: int = load_spec()["components"]["schemas"]["FaceChoice"]["properties"]["sound_file"][
    "x-max-decoded-bytes"
]
ADVANCED = family("advanced-lip-sync")
IDENTIFY = ADVANCED.operation("session").path
TASKS = ADVANCED.collection_path
VIDEO = "https://example.com/two-speakers.mp4"
AUDIO = "https://example.com/line.mp3"
#: A 10 s video: face "0" seen over [3000, 8000] ms, face "1" over all of it.
VIDEO_MS = 10_000
FACE_0 = (3000, 8000)
AUDIO_MS = 6000


def b64(name: str) -> str:
    return base64.b64encode((ASSETS / name).read_bytes()).decode()


@pytest.fixture
def session(kling_mock: KlingMock) -> str:
    """A session over the registered video, with the registered audio known to last ``AUDIO_MS``."""
    kling_mock.register_video(video_url=VIDEO, duration_ms=VIDEO_MS, faces=[FACE_0, (0, VIDEO_MS)])
    kling_mock.register_audio(audio_url=AUDIO, duration_ms=AUDIO_MS)
    with kling_mock.api("advanced-lip-sync") as api:
        opened = api.open_session({"video_url": VIDEO})
    assert [(f["face_id"], f["start_time"], f["end_time"]) for f in opened["face_data"]] == [
        ("0", *FACE_0),
        ("1", 0, VIDEO_MS),
    ]
    return str(opened["session_id"])


def create(kling_mock: KlingMock, session_id: str, **choice: Any) -> Any:
    """Create through the generated client: its typed answer (the created response or the error)."""
    fields: dict[str, Any] = {"face_id": "0", "sound_file": AUDIO, **choice}
    fields = {name: value for name, value in fields.items() if value is not None}
    body = AdvancedLipSyncCreateRequest(session_id=session_id, face_choose=[FaceChoice(**fields)])
    return create_advanced_lip_sync_task.sync(client=kling_mock.generated_client(), body=body)


def refused_with(answer: Any, *words: str) -> None:
    assert isinstance(answer, ErrorResponse), answer
    assert answer.code == 1201
    for word in words:
        assert word in answer.message, answer.message


def accepted(answer: Any) -> str:
    assert isinstance(answer, AdvancedLipSyncTaskCreatedResponse), answer
    return str(answer.data.task_id)


# -- the timing rules, one at a time at the boundary -----------------------------------------------------

MIN_CROP = RULES.min_crop_ms
OVERLAP = RULES.min_face_overlap_ms
# (what, the choice at the limit (accepted), the same broken by one millisecond, words of the refusal)
BOUNDARIES = [
    (
        "the crop lasts the minimum",
        {"sound_start_time": 1000, "sound_end_time": 1000 + MIN_CROP, "sound_insert_time": 3000},
        {"sound_start_time": 1000, "sound_end_time": 1000 + MIN_CROP - 1, "sound_insert_time": 3000},
        [f"= {MIN_CROP - 1} ms", f"at least {MIN_CROP} ms"],
    ),
    (
        "the crop ends at the end of the audio",
        {"sound_start_time": AUDIO_MS - 3000, "sound_end_time": AUDIO_MS, "sound_insert_time": 3000},
        {"sound_start_time": AUDIO_MS - 3000, "sound_end_time": AUDIO_MS + 1, "sound_insert_time": 3000},
        [f"sound_end_time {AUDIO_MS + 1} ms", f"end of the audio ({AUDIO_MS} ms)"],
    ),
    (
        "the inserted window ends at the end of the video",
        {"face_id": "1", "sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": VIDEO_MS - 3000},
        {"face_id": "1", "sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": VIDEO_MS - 2999},
        [f"ends at {VIDEO_MS + 1} ms", f"end of the video ({VIDEO_MS} ms)"],
    ),
    (
        "the window overlaps the face from before it appears",
        {"sound_start_time": 0, "sound_end_time": 4000, "sound_insert_time": FACE_0[0] + OVERLAP - 4000},
        {"sound_start_time": 0, "sound_end_time": 4000, "sound_insert_time": FACE_0[0] + OVERLAP - 4001},
        [f"by {OVERLAP - 1} ms", f"at least {OVERLAP} ms", "face 0's window [3000, 8000] ms"],
    ),
    (
        "the window overlaps the face until after it leaves",
        {"sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": FACE_0[1] - OVERLAP},
        {"sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": FACE_0[1] - OVERLAP + 1},
        [f"by {OVERLAP - 1} ms"],
    ),
]


@pytest.mark.parametrize(("what", "at_limit", "beyond", "words"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_each_timing_rule_at_its_boundary(
    kling_mock: KlingMock, session: str, what: str, at_limit: dict, beyond: dict, words: list[str]
) -> None:
    refused_with(create(kling_mock, session, **beyond), *words)
    accepted(create(kling_mock, session, **at_limit))


@pytest.mark.parametrize(
    ("audio_ms", "ok"),
    [
        (RULES.min_audio_ms - 1, False),
        (RULES.min_audio_ms, True),
        (RULES.max_audio_ms, True),
        (RULES.max_audio_ms + 1, False),
    ],
)
def test_audio_length_bounds(kling_mock: KlingMock, session: str, audio_ms: int, ok: bool) -> None:
    kling_mock.register_audio(audio_id="tts-1", duration_ms=audio_ms)
    answer = create(
        kling_mock, session, sound_file=None, audio_id="tts-1", sound_start_time=0, sound_end_time=2000,
        sound_insert_time=3000,
    )  # fmt: skip
    if ok:
        accepted(answer)
    else:
        refused_with(answer, "face_choose[0].audio_id", f"lasts {audio_ms} ms")


def test_unregistered_audio_lasts_the_default(kling_mock: KlingMock, session: str) -> None:
    default_ms = round(kling_mock.settings.default_audio_seconds * 1000)
    other = "https://example.com/unknown.wav"
    crop = {"sound_start_time": default_ms - 3000, "sound_insert_time": 3000}
    refused_with(
        create(kling_mock, session, sound_file=other, sound_end_time=default_ms + 1, **crop), "end of the audio"
    )
    accepted(create(kling_mock, session, sound_file=other, sound_end_time=default_ms, **crop))


@pytest.mark.parametrize("name", ["line-3s.mp3", "line-3s.wav", "line-3s.m4a", "line-3s.aac"])
def test_base64_audio_is_measured_in_every_format(kling_mock: KlingMock, session: str, name: str) -> None:
    from mutagen import File as read_audio

    # Whole milliseconds, rounded down (never past the end): the raw AAC lasts 3071.68 ms.
    measured = int(read_audio(str(ASSETS / name)).info.length * 1000)
    crop = {"sound_start_time": measured - 2500, "sound_insert_time": 3000, "sound_file": b64(name)}
    refused_with(create(kling_mock, session, sound_end_time=measured + 1, **crop), f"end of the audio ({measured} ms)")
    accepted(create(kling_mock, session, sound_end_time=measured, **crop))


@pytest.mark.parametrize(
    ("sound_file", "words"),
    [
        (b64("tone.mp3"), ["lasts 360 ms", f"must last {RULES.min_audio_ms} to"]),
        (base64.b64encode(b"not audio at all, just text").decode(), ["Audio file format is not supported"]),
        ("SUQz" + "!" * 8, ["File is not in a valid base64 format"]),
    ],
    ids=["too short", "not audio", "not base64"],
)
def test_base64_audio_that_cannot_serve(kling_mock: KlingMock, session: str, sound_file: str, words: list[str]) -> None:
    answer = create(
        kling_mock, session, sound_file=sound_file, sound_start_time=0, sound_end_time=2000, sound_insert_time=3000
    )
    refused_with(answer, *words)


# -- sessions and faces -----------------------------------------------------------------------------------

VALID = {"sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": 3000}


def test_a_session_expires_on_the_mock_s_clock(kling_mock: KlingMock, session: str) -> None:
    ttl_ms = round(kling_mock.settings.session_ttl_seconds * 1000)
    kling_mock.advance((ttl_ms - 1) / 1000)
    accepted(create(kling_mock, session, **VALID))
    kling_mock.advance(0.001)
    refused_with(create(kling_mock, session, **VALID), f"session_id {session}", "expired")


def test_a_session_is_the_account_s_own(kling_mock: KlingMock, session: str) -> None:
    stranger = kling_mock.generated_client("sk-someone-else")
    body = AdvancedLipSyncCreateRequest(
        session_id=session, face_choose=[FaceChoice(face_id="0", sound_file=AUDIO, **VALID)]
    )
    refused_with(create_advanced_lip_sync_task.sync(client=stranger, body=body), "no such session for this account")
    refused_with(create(kling_mock, "850000000000999999", **VALID), "no such session")
    refused_with(create(kling_mock, "not-a-session", **VALID), "no such session")


def test_the_face_must_be_one_of_the_session(kling_mock: KlingMock, session: str) -> None:
    refused_with(create(kling_mock, session, **{**VALID, "face_id": "2"}), "'2' is not a face", "its faces: 0, 1")


def test_identify_face_through_the_generated_client(kling_mock: KlingMock) -> None:
    client = kling_mock.generated_client(gateway="kling", token=kling_mock.settings.api_key)
    answer = identify_faces.sync(client=client, body=IdentifyFaceRequest(video_url=VIDEO, video_id=""))
    assert isinstance(answer, FaceSessionResponse)
    default_ms = round(kling_mock.settings.default_video_seconds * 1000)
    assert [(f.face_id, f.start_time, f.end_time) for f in answer.data.face_data] == [("0", 0, default_ms)]
    assert len(answer.data.session_id) == 18
    assert answer.data.session_id.isdigit()
    still = kling_mock.http.get(answer.data.face_data[0].face_image)
    assert (still.status_code, still.headers["content-type"], still.content[:3]) == (200, "image/jpeg", b"\xff\xd8\xff")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, ["either video_id or video_url is required"]),
        ({"video_id": "", "video_url": ""}, ["either video_id or video_url is required"]),
        ({"video_id": "abc", "video_url": VIDEO}, ["cannot be both provided"]),
        ({"video_url": "https://example.com/clip.avi"}, ["video_url"]),
    ],
    ids=["neither", "both empty", "both", "not mp4 or mov"],
)
def test_identify_face_refuses_a_video_it_cannot_name(kling_mock: KlingMock, body: dict, words: list[str]) -> None:
    with kling_mock.api("advanced-lip-sync") as api:
        answer = api.request("POST", IDENTIFY, json=body).json()
    assert answer["code"] == 1201
    for word in words:
        assert word in answer["message"]


@pytest.mark.parametrize(
    ("duration_ms", "ok"),
    [
        (RULES.min_video_ms - 1, False),
        (RULES.min_video_ms, True),
        (RULES.max_video_ms, True),
        (RULES.max_video_ms + 1, False),
    ],
)
def test_video_length_bounds(kling_mock: KlingMock, duration_ms: int, ok: bool) -> None:
    kling_mock.register_video(video_id="kling-video-1", duration_ms=duration_ms, faces=[(0, duration_ms)])
    with kling_mock.api("advanced-lip-sync") as api:
        answer = api.request("POST", IDENTIFY, json={"video_id": "kling-video-1", "video_url": ""}).json()
    if ok:
        assert answer["data"]["face_data"][0]["end_time"] == duration_ms
    else:
        assert (answer["code"], f"lasts {duration_ms} ms" in answer["message"]) == (1201, True), answer


def test_the_capitalised_path_of_an_older_document_works_too(kling_mock: KlingMock) -> None:
    (alias,) = ADVANCED.operation("session").path_aliases
    with kling_mock.api("advanced-lip-sync") as api:
        answer = api.request("POST", alias, json={"video_url": VIDEO}).json()
    assert answer["code"] == 0
    assert answer["data"]["face_data"]


def test_the_faces_of_the_mock_s_own_result_are_its_real_length(kling_mock: KlingMock) -> None:
    kling_mock.register_video(video_url=VIDEO, duration_ms=7250, faces=[(0, 7250)])
    with kling_mock.api("lip-sync") as legacy, kling_mock.api("advanced-lip-sync") as api:
        created = legacy.create(
            {"input": {"mode": "text2video", "video_url": VIDEO, "text": "hi", "voice_id": "ai_shatang"}}
        )
        kling_mock.advance(60)
        result = legacy.status(created["task_id"])["task_result"]["videos"][0]
        by_id = api.open_session({"video_id": result["id"]})
        by_url = api.open_session({"video_url": result["url"]})
    result_ms = round(mp4_duration_seconds(kling_mock.http.get(result["url"]).content) * 1000)
    assert (result_ms, result["duration"]) == (7300, "7.3"), "the source's length, in whole frames of 100 ms"
    for session in (by_id, by_url):
        assert [(f["start_time"], f["end_time"]) for f in session["face_data"]] == [(0, result_ms)]


def test_unknown_video_ids_are_refused_when_strict(make_mock: Any) -> None:
    strict = make_mock(strict_video_ids=True)
    with strict.api("advanced-lip-sync") as api:
        answer = api.request("POST", IDENTIFY, json={"video_id": "never-made"}).json()
    assert (answer["code"], answer["message"]) == (1201, "video_id not found")


@pytest.mark.parametrize(("scenario", "faces"), [("no-face", []), ("two-faces", [(0, 6000), (4000, 10000)])])
def test_identify_face_scenarios(kling_mock: KlingMock, scenario: str, faces: list) -> None:
    with kling_mock.api("advanced-lip-sync", scenario=scenario) as api:
        session = api.open_session({"video_url": VIDEO})
    assert [(f["start_time"], f["end_time"]) for f in session["face_data"]] == faces


# -- the request's shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"face_choose": []}, ["face_choose: size must be at least 1"]),
        ("two faces", ["face_choose: size must be at most 1"]),
        ({"session_id": None}, ["session_id"]),
        ("no session", ["session_id is required for advanced-lip-sync"]),
        ("no audio", ["either audio_id or sound_file is required"]),
        ("both audios", ["only one of audio_id and sound_file"]),
        ("times as strings", ["sound_start_time"]),
        ("volume above 2", ["soundVolume: must be less than or equal to 2"]),
    ],
)
def test_the_schema_s_rules_are_worded(kling_mock: KlingMock, session: str, change: Any, words: list[str]) -> None:
    choice: dict[str, Any] = {"face_id": "0", "sound_file": AUDIO, **VALID}
    body: dict[str, Any] = {"session_id": session, "face_choose": [choice]}
    if isinstance(change, dict):
        body.update(change)
    elif change == "two faces":
        body["face_choose"] = [choice, {**choice, "face_id": "1"}]
    elif change == "no session":
        del body["session_id"]
    elif change == "no audio":
        del choice["sound_file"]
    elif change == "both audios":
        choice["audio_id"] = "tts-1"
    elif change == "times as strings":
        choice["sound_start_time"] = "0"
    elif change == "volume above 2":
        choice["sound_volume"] = 2.0001
    with kling_mock.api("advanced-lip-sync") as api:
        answer = api.request("POST", TASKS, json=body).json()
    assert answer["code"] == 1201, answer
    for word in words:
        assert word in answer["message"], answer["message"]


def test_empty_strings_count_as_absent(kling_mock: KlingMock, session: str) -> None:
    body = {
        "session_id": session,
        "face_choose": [{"face_id": "0", "audio_id": "", "sound_file": AUDIO, **VALID}],
        "external_task_id": "",
        "callback_url": "",
    }
    with kling_mock.api("advanced-lip-sync") as api:
        first = api.create(body)
        second = api.create(body)
    assert first["task_info"] == second["task_info"] == {"external_task_id": ""}


# -- tasks ---------------------------------------------------------------------------------------------------


def test_external_task_ids_are_unique_per_account_and_find_the_task(kling_mock: KlingMock, session: str) -> None:
    body = {"session_id": session, "face_choose": [{"face_id": "0", "sound_file": AUDIO, **VALID}]}
    with kling_mock.api("advanced-lip-sync") as api:
        created = api.create({**body, "external_task_id": "order-7"})
        assert created["task_info"] == {"external_task_id": "order-7"}
        again = api.request("POST", TASKS, json={**body, "external_task_id": "order-7"}).json()
        assert (again["code"], "'order-7' is already used" in again["message"]) == (1201, True)
        by_external_id = api.status("order-7")
    assert by_external_id["task_id"] == created["task_id"]
    assert by_external_id["task_info"]["external_task_id"] == "order-7"
    (query,) = kling_mock.requests(method="GET", family="advanced-lip-sync")
    assert query["task_id"] == created["task_id"], "the journal names the task, not the id it was asked by"
    with kling_mock.api("advanced-lip-sync", token="sk-another") as other:
        theirs = other.open_session({"video_url": VIDEO})
        other.create({**body, "session_id": theirs["session_id"], "external_task_id": "order-7"})


def test_the_result_and_its_watermarked_copy_are_real_files(kling_mock: KlingMock, session: str) -> None:
    client = kling_mock.generated_client()
    marked = accepted(create(kling_mock, session, **VALID))
    body = AdvancedLipSyncCreateRequest.from_dict(
        {
            "session_id": session,
            "face_choose": [{"face_id": "0", "sound_file": AUDIO, **VALID}],
            "watermark_info": {"enabled": True},
        }
    )
    watermarked = create_advanced_lip_sync_task.sync(client=client, body=body)
    kling_mock.advance(60)
    plain = get_advanced_lip_sync_task.sync(marked, client=client)
    both = get_advanced_lip_sync_task.sync(accepted(watermarked), client=client)
    assert plain is not None
    assert both is not None
    (video,) = plain.data.task_result.videos
    assert (plain.data.watermark_info.enabled, video.watermark_url) == (False, "")
    (marked_video,) = both.data.task_result.videos
    assert both.data.watermark_info.enabled is True
    served = kling_mock.http.get(marked_video.url).content
    served_marked = kling_mock.http.get(marked_video.watermark_url).content
    assert served[4:8] == served_marked[4:8] == b"ftyp"
    assert served_marked != served, "the mark is in the picture"
    assert float(marked_video.duration) == mp4_duration_seconds(served_marked) == VIDEO_MS / 1000
    assert float(marked_video.duration) == mp4_duration_seconds(served)
    assert both.data.task_info.parent_video.url == VIDEO
    assert both.data.task_info.parent_video.duration == f"{VIDEO_MS / 1000:.1f}"


def test_both_families_share_the_account_s_slots(make_mock: Any) -> None:
    mock: KlingMock = make_mock(max_in_flight=2)
    legacy_body = {"input": {"mode": "text2video", "video_url": VIDEO, "text": "hi", "voice_id": "ai_shatang"}}
    with mock.api("lip-sync") as legacy, mock.api("advanced-lip-sync") as api:
        legacy.create(legacy_body)
        session = api.open_session({"video_url": VIDEO})
        body = {"session_id": session["session_id"], "face_choose": [{"face_id": "0", "sound_file": AUDIO, **VALID}]}
        api.create(body)
        assert api.request("POST", TASKS, json=body).json()["code"] == 1303
        assert legacy.request("POST", legacy.family.collection_path, json=legacy_body).json()["code"] == 1303
        assert api.open_session({"video_url": VIDEO})["face_data"], "identify-face takes no slot"
        mock.advance(60)
        api.create(body)


def test_a_task_scenario_decides_an_advanced_task_s_fate(kling_mock: KlingMock, session: str) -> None:
    body = {"session_id": session, "face_choose": [{"face_id": "0", "sound_file": AUDIO, **VALID}]}
    with kling_mock.api("advanced-lip-sync", scenario="no-human") as api:
        created = api.create(body)
        kling_mock.advance(60)
        task = api.status(created["task_id"])
    assert (task["task_status"], task["task_status_msg"]) == ("failed", "there is no human in the video")
    assert task["task_result"]["videos"] == []
    assert task["final_unit_deduction"] == "0"


def test_the_journal_keeps_no_audio_bytes(kling_mock: KlingMock, session: str) -> None:
    audio = b64("line-3s.mp3")
    accepted(create(kling_mock, session, sound_file=audio, **VALID))
    (entry,) = kling_mock.requests(method="POST", path=f"/kling{TASKS}")
    assert entry["body"]["face_choose"][0]["sound_file"] == f"<{len(audio)} base64 characters>"


# -- on the real clock, over real HTTP -----------------------------------------------------------------------


@pytest.mark.slow
def test_the_flow_on_the_real_clock_over_http_on_both_gateways(tmp_path: Path) -> None:
    from contract_tests.servers import ProductionMock
    from kling_lipsync import LipSync

    args = ["--queue-seconds", "0.1", "--processing-seconds", "0.3", "--no-log-requests"]
    with ProductionMock(workers=2, args=args, cwd=tmp_path) as server:
        # Raw HTTP on the Kling gateway, with the account's API key: identify, create, poll until it ends.
        headers = {"Authorization": "Bearer mock-api-key"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
            session = data(http.post(IDENTIFY, json={"video_url": VIDEO}))
            choice = {"face_id": session["face_data"][0]["face_id"], "sound_file": b64("line-3s.mp3"), **VALID}
            created = http.post(TASKS, json={"session_id": session["session_id"], "face_choose": [choice]}).json()
            path = ADVANCED.task_path.replace("{task_id}", created["data"]["task_id"])
            polled = [data(http.get(path))]
            deadline = time.monotonic() + 10
            while polled[-1]["task_status"] not in ("succeed", "failed") and time.monotonic() < deadline:
                polled.append(data(http.get(path)))
        # How soon the polls come depends on the machine; what they see may not: the statuses only move
        # forward, and the task's own times say it queued and processed for the configured 0.1 + 0.3 s.
        order = ["submitted", "processing", "succeed"]
        statuses = [task["task_status"] for task in polled]
        assert statuses[-1] == "succeed"
        assert [order.index(s) for s in statuses] == sorted(order.index(s) for s in statuses)
        finished = polled[-1]
        assert finished["updated_at"] - finished["created_at"] == 400, "queued 0.1 s, processed 0.3 s"
        assert finished["created_at"] == created["data"]["created_at"]
        # The client on the DMXAPI gateway: one call from a local file to the finished task.
        with LipSync(f"{server.url}/kling", "sk-real-clock") as lip:
            task = lip.lip_sync_advanced(video_url=VIDEO, audio_path=ASSETS / "line-3s.mp3", timeout=30)
            saved = lip.download(task, tmp_path / "advanced.mp4")
        assert task.task_status == "succeed"
        assert mp4_duration_seconds(saved.read_bytes()) == float(task.task_result.videos[0].duration)


def test_the_audio_size_limit_at_its_boundary(kling_mock: KlingMock, session: str) -> None:
    """5 MiB of decoded audio (3 s of MP3 and silence after it) is accepted; one byte more is refused."""
    limit = RULES_AUDIO_BYTES
    line = (ASSETS / "line-3s.mp3").read_bytes()
    at_limit = base64.b64encode(line + b"\0" * (limit - len(line))).decode()
    beyond = base64.b64encode(line + b"\0" * (limit + 1 - len(line))).decode()
    accepted(create(kling_mock, session, sound_file=at_limit, **VALID))
    refused_with(
        create(kling_mock, session, sound_file=beyond, **VALID),
        "face_choose[0].sound_file",
        f"decoded size must be at most {limit} bytes",
    )
