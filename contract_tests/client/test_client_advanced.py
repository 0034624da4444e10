"""Advanced lip-sync through the client against the in-process mock: identify-face, create, wait, download,
the one call ``lip_sync_advanced``, and what each refusal looks like (on a virtual clock: no real waiting)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import mutagen
import pytest

from contract_tests.helpers import write_wav
from contract_tests.strategies import ASSETS
from kling_lipsync import (
    InvalidRequestError,
    KlingError,
    LipSync,
    PlanError,
    PlannedTask,
    RetryPolicy,
    ServerError,
    TaskFailed,
    TaskNotFinished,
    WaitTimeout,
    plan_advanced,
)
from kling_lipsync.client import audio_length_ms
from kling_lipsync.planning import DEFAULT_GUARD_MS
from kling_lipsync.testing import KlingMock
from kling_lipsync_client.models import AdvancedLipSyncTask, TaskStatus
from kling_spec.families import family, task_families
from kling_spec.timing import Window, broken_timing_rule, timing_rules
from mock_server.scenarios import NO_HUMAN_MESSAGE

VIDEO = "https://example.com/face.mp4"
AUDIO_URL = "https://example.com/line.mp3"
RULES = timing_rules()
ADVANCED = family("advanced-lip-sync")
#: What the mock answers for a video and an audio URL it was told nothing of (its defaults).
DEFAULT_VIDEO_MS = 10_000
DEFAULT_AUDIO_MS = 10_000


def sent_bodies(mock: KlingMock, path_end: str) -> list[dict[str, Any]]:
    """The JSON bodies of the POSTs to a path ending so, as sent (recorded from now on)."""
    bodies: list[dict[str, Any]] = []

    def observe(request: httpx.Request, response: httpx.Response) -> None:
        if request.method == "POST" and request.url.path.endswith(path_end):
            bodies.append(json.loads(request.content))

    mock.own_observers.append(observe)
    return bodies


def creates(mock: KlingMock) -> list[dict[str, Any]]:
    return sent_bodies(mock, ADVANCED.collection_path)


def register_video(mock: KlingMock, video_url: str, duration_ms: int, faces: list[dict[str, int]]) -> None:
    """Tell the mock a video's real length and faces (its admin API), so identify-face reports them."""
    answer = mock.http.post("/__mock__/media/videos", json={"video_url": video_url, "duration_ms": duration_ms,
                                                           "faces": faces})  # fmt: skip
    assert answer.status_code == 200, answer.text


# -- the steps one by one, on both gateways ------------------------------------------------------------------


def dmxapi(mock: KlingMock) -> LipSync:
    return mock.lipsync()


def kling(mock: KlingMock) -> LipSync:
    return mock.lipsync(mock.settings.api_key, gateway="kling")


@pytest.mark.parametrize("client", [dmxapi, kling], ids=["dmxapi", "kling"])
def test_identify_create_wait_download(
    kling_mock: KlingMock, client: Callable[[KlingMock], LipSync], tmp_path: Path
) -> None:
    sent = creates(kling_mock)
    with client(kling_mock) as lip:
        session = lip.identify_faces(video_url=VIDEO)
        assert [(f.face_id, f.start_time, f.end_time) for f in session.face_data] == [("0", 0, DEFAULT_VIDEO_MS)]
        plan = plan_advanced(session.face_data, 3000)
        created = lip.create_advanced(
            session.session_id,
            plan.face_id,
            sound_file=AUDIO_URL,
            sound_start_time=plan.sound_start_time,
            sound_end_time=plan.sound_end_time,
            sound_insert_time=plan.sound_insert_time,
            sound_volume=1.5,
            original_audio_volume=0.0,
            watermark=True,
            external_task_id="order-1",
        )
        assert created.task_status == TaskStatus.SUBMITTED
        assert created.task_info.external_task_id == "order-1"
        seen: list[str] = []
        task = lip.wait_advanced(created.task_id, on_update=lambda t: seen.append(str(t.task_status)))
        assert isinstance(task, AdvancedLipSyncTask)
        assert task.task_status == TaskStatus.SUCCEED
        assert seen[0] == "submitted"
        assert seen[-1] == "succeed"
        assert lip.get_advanced("order-1").task_id == created.task_id, "found by the external id too"
        assert [t.task_id for t in lip.advanced_tasks()] == [created.task_id]
        assert list(lip.tasks()) == [], "the legacy list does not show advanced tasks"

        saved = lip.download(task, tmp_path)
        marked = lip.download(task, tmp_path, watermarked=True)
    assert saved == tmp_path / f"{task.task_id}.mp4"
    assert marked == tmp_path / f"{task.task_id}-watermarked.mp4"
    assert saved.read_bytes()[4:8] == marked.read_bytes()[4:8] == b"ftyp"
    assert saved.read_bytes() != marked.read_bytes()
    assert sent == [
        {
            "session_id": session.session_id,
            "face_choose": [
                {
                    "face_id": "0",
                    "sound_file": AUDIO_URL,
                    "sound_start_time": 0,
                    "sound_end_time": 3000,
                    "sound_insert_time": 0,
                    "sound_volume": 1.5,
                    "original_audio_volume": 0.0,
                }
            ],
            "watermark_info": {"enabled": True},
            "external_task_id": "order-1",
        }
    ]


#: Thirteen characters: 3.12 s of the mock's speech (240 ms a character of Chinese at speed 1).
LINE = "你好欢迎来到可灵我们开始吧"


def spoken(kling_mock: KlingMock) -> str:
    """The id of audio text-to-speech made for the default account (no scenario: it speaks)."""
    with kling_mock.lipsync() as lip:
        return lip.speak(LINE, "genshin_vindi2").audio_id


def test_the_async_twin(kling_mock: KlingMock, tmp_path: Path) -> None:
    async def scenario() -> tuple[AdvancedLipSyncTask, Path, list[str]]:
        async with kling_mock.async_lipsync(scenario="two-faces") as lip:
            session = await lip.identify_faces(video_id="v-42")
            assert [f.face_id for f in session.face_data] == ["0", "1"]
            speech = await lip.speak(LINE, "genshin_vindi2")
            plan = plan_advanced(session.face_data, speech.duration_ms, face_id="1")
            created = await lip.create_advanced(
                session.session_id,
                plan.face_id,
                audio_id=speech.audio_id,
                sound_start_time=plan.sound_start_time,
                sound_end_time=plan.sound_end_time,
                sound_insert_time=plan.sound_insert_time,
            )
            task = await lip.wait_advanced(created.task_id)
            listed = [t.task_id async for t in lip.advanced_tasks()]
            assert (await lip.get_advanced(created.task_id)).task_id == created.task_id
            return task, await lip.download(task, tmp_path / "out.mp4"), listed

    task, saved, listed = asyncio.run(scenario())
    assert task.task_status == TaskStatus.SUCCEED
    assert listed == [task.task_id]
    assert saved.read_bytes()[4:8] == b"ftyp"


def test_the_async_one_call(kling_mock: KlingMock, three_seconds: Path) -> None:
    async def one_call() -> AdvancedLipSyncTask:
        async with kling_mock.async_lipsync() as lip:
            return await lip.lip_sync_advanced(video_url=VIDEO, audio_path=three_seconds)

    assert asyncio.run(one_call()).task_status == TaskStatus.SUCCEED


# -- the one call ------------------------------------------------------------------------------------------


def test_one_call_measures_plans_and_waits(kling_mock: KlingMock, three_seconds: Path) -> None:
    sent = creates(kling_mock)
    updates: list[AdvancedLipSyncTask] = []
    with kling_mock.lipsync() as lip:
        task = lip.lip_sync_advanced(
            video_url=VIDEO, audio_path=three_seconds, external_task_id="one-call", on_update=updates.append
        )
    assert task.task_status == TaskStatus.SUCCEED
    assert task.task_info.external_task_id == "one-call"
    assert updates[-1].task_status == TaskStatus.SUCCEED
    assert audio_length_ms(three_seconds) == 3000
    (choice,) = sent[0]["face_choose"]
    assert base64.b64decode(choice.pop("sound_file")) == three_seconds.read_bytes()
    assert choice == {"face_id": "0", "sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": 0}


def test_one_call_takes_the_longest_face_or_the_one_named(kling_mock: KlingMock, three_seconds: Path) -> None:
    sent = creates(kling_mock)
    with kling_mock.lipsync(scenario="two-faces") as lip:
        lip.lip_sync_advanced(video_url=VIDEO, audio_path=three_seconds)
        lip.lip_sync_advanced(video_url=VIDEO, audio_path=three_seconds, face_id="1", watermark=True)
    # Two faces over 60% of the video each: a tie, which the one seen first wins.
    assert [body["face_choose"][0]["face_id"] for body in sent] == ["0", "1"]
    assert sent[1]["face_choose"][0]["sound_insert_time"] == DEFAULT_VIDEO_MS * 4 // 10
    assert sent[1]["watermark_info"] == {"enabled": True}


def test_one_call_with_an_audio_url_cuts_it_where_the_face_leaves(kling_mock: KlingMock) -> None:
    sent = creates(kling_mock)
    with kling_mock.lipsync() as lip:
        lip.lip_sync_advanced(video_url=VIDEO, audio_url=AUDIO_URL, audio_ms=DEFAULT_AUDIO_MS)
    choice = sent[0]["face_choose"][0]
    assert choice["sound_file"] == AUDIO_URL
    # The video's length is unknown: the audio ends a guard before the face's reported end.
    assert (choice["sound_start_time"], choice["sound_end_time"]) == (0, DEFAULT_VIDEO_MS - DEFAULT_GUARD_MS)


def test_the_guard_keeps_clear_of_a_face_end_that_overruns_the_video(kling_mock: KlingMock) -> None:
    """Kling's ``end_time`` may run past the true end: planned without the guard, the mock refuses the task."""
    video = "https://example.com/overrun.mp4"
    register_video(kling_mock, video, 8000, [{"start_time": 1000, "end_time": 8000}])
    with kling_mock.lipsync() as lip:
        session = lip.identify_faces(video_url=video)
        overrun = [{"face_id": "0", "start_time": 1000, "end_time": 8004}]  # as Kling may report it
        for guard_ms, accepted in ((0, False), (50, True)):
            plan = plan_advanced(overrun, DEFAULT_AUDIO_MS, guard_ms=guard_ms)
            create = lambda plan=plan: lip.create_advanced(  # noqa: E731
                session.session_id,
                plan.face_id,
                sound_file=AUDIO_URL,
                sound_start_time=plan.sound_start_time,
                sound_end_time=plan.sound_end_time,
                sound_insert_time=plan.sound_insert_time,
            )
            if accepted:
                assert create().task_status == TaskStatus.SUBMITTED
            else:
                with pytest.raises(InvalidRequestError, match="after the end of the video"):
                    create()


def test_no_face_is_a_plan_error_and_nothing_is_created(kling_mock: KlingMock, three_seconds: Path) -> None:
    sent = creates(kling_mock)
    with kling_mock.lipsync(scenario="no-face") as lip, pytest.raises(PlanError, match="no face was found"):
        lip.lip_sync_advanced(video_url=VIDEO, audio_path=three_seconds)
    assert sent == []
    assert len(kling_mock.requests(method="POST")) == 1, "identify-face only"


@pytest.mark.parametrize(
    ("options", "error", "words"),
    [
        pytest.param({"face_id": "3"}, PlanError, "its faces are 0", id="unknown-face"),
        pytest.param({"insert_at": 9000}, PlanError, "cannot insert at 9000 ms", id="insert-too-late"),
        pytest.param({"crop": (0, 1999)}, PlanError, "at least", id="crop-too-short"),
    ],
)
def test_plan_errors_name_the_rule(kling_mock: KlingMock, three_seconds: Path, options, error, words: str) -> None:
    sent = creates(kling_mock)
    with kling_mock.lipsync() as lip, pytest.raises(error, match=words):
        lip.lip_sync_advanced(video_url=VIDEO, audio_path=three_seconds, **options)
    assert sent == []


def test_unusable_audio_is_refused_before_identify_face_is_charged(kling_mock: KlingMock, tmp_path: Path) -> None:
    short = write_wav(tmp_path / "short.wav", (RULES.min_audio_ms - 100) / 1000)
    with kling_mock.lipsync() as lip:
        with pytest.raises(PlanError, match=f"lasts {RULES.min_audio_ms - 100} ms"):
            lip.lip_sync_advanced(video_url=VIDEO, audio_path=short)
        with pytest.raises(ValueError, match="give audio_ms with audio_url"):
            lip.lip_sync_advanced(video_url=VIDEO, audio_url=AUDIO_URL)
        with pytest.raises(ValueError, match="exactly one of audio_path, audio_url, audio_id and text"):
            lip.lip_sync_advanced(video_url=VIDEO, audio_url=AUDIO_URL, audio_id="tts-1", audio_ms=3000)
    assert kling_mock.requests() == []


# -- refusals, typed ---------------------------------------------------------------------------------------


def test_a_broken_timing_rule_is_an_invalid_request_in_the_planner_s_words(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync() as lip:
        session = lip.identify_faces(video_url=VIDEO)
        short = RULES.min_crop_ms - 1
        with pytest.raises(InvalidRequestError) as refused:
            lip.create_advanced(
                session.session_id,
                "0",
                sound_file=AUDIO_URL,
                sound_start_time=0,
                sound_end_time=short,
                sound_insert_time=0,
            )
    assert refused.value.code == 1201
    assert refused.value.http_status == 400
    assert refused.value.message == broken_timing_rule(
        RULES,
        audio_ms=DEFAULT_AUDIO_MS,
        video_ms=DEFAULT_VIDEO_MS,
        face_id="0",
        face=Window(0, DEFAULT_VIDEO_MS),
        sound_start_time=0,
        sound_end_time=short,
        sound_insert_time=0,
    )


def test_exactly_one_audio_and_one_video_are_checked_before_sending(kling_mock: KlingMock) -> None:
    times = {"sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": 0}
    with kling_mock.lipsync() as lip:
        with pytest.raises(ValueError, match="not audio_id and sound_file"):
            lip.create_advanced("850000000000000001", "0", audio_id="a", sound_file=AUDIO_URL, **times)
        with pytest.raises(ValueError, match="not none"):
            lip.create_advanced("850000000000000001", "0", **times)
        with pytest.raises(ValueError, match="exactly one of video_id and video_url"):
            lip.identify_faces(video_url=VIDEO, video_id="v-1")
        with pytest.raises(ValueError, match="exactly one of video_id and video_url"):
            lip.identify_faces()
    assert kling_mock.requests() == []


def test_identify_face_is_retried_like_a_query(kling_mock: KlingMock) -> None:
    """It makes no task, so sending it again after a 5000 cannot make two."""
    with kling_mock.lipsync(scenario="server-error") as lip, pytest.raises(ServerError):
        lip.identify_faces(video_url=VIDEO)
    assert len(kling_mock.requests(method="POST")) == RetryPolicy().max_attempts


def test_a_failed_task_raises_with_the_service_s_reason(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync(scenario="no-human") as lip:
        session = lip.identify_faces(video_url=VIDEO)
        created = lip.create_advanced(
            session.session_id,
            "0",
            audio_id=spoken(kling_mock),
            sound_start_time=0,
            sound_end_time=3000,
            sound_insert_time=0,
        )
        with pytest.raises(TaskFailed) as failed:
            lip.wait_advanced(created.task_id)
        with pytest.raises(TaskFailed):
            lip.download(failed.value.task, "never.mp4")
    assert failed.value.message == NO_HUMAN_MESSAGE


def test_unfinished_unmarked_and_late(kling_mock: KlingMock, tmp_path: Path) -> None:
    with kling_mock.lipsync() as lip:
        session = lip.identify_faces(video_url=VIDEO)
        created = lip.create_advanced(
            session.session_id,
            "0",
            audio_id=spoken(kling_mock),
            sound_start_time=0,
            sound_end_time=3000,
            sound_insert_time=0,
        )
        with pytest.raises(TaskNotFinished):
            lip.download(lip.get_advanced(created.task_id), tmp_path)
        with pytest.raises(WaitTimeout) as late:
            lip.wait_advanced(created.task_id, timeout=0.5)
        assert late.value.task is not None
        assert late.value.task.task_id == created.task_id
        task = lip.wait_advanced(created.task_id)
        with pytest.raises(KlingError, match="no watermarked copy"):
            lip.download(task, tmp_path, watermarked=True)
    assert list(tmp_path.iterdir()) == [], "nothing half-written"


@pytest.mark.parametrize("name", ["line-3s.mp3", "line-3s.wav", "line-3s.m4a", "line-3s.aac"])
def test_the_client_measures_a_file_as_the_mock_measures_what_it_receives(kling_mock: KlingMock, name: str) -> None:
    """One measure on both sides, so a plan the client makes from a file's length is one the mock accepts."""
    path = ASSETS / name
    length = audio_length_ms(path)
    assert length == int(mutagen.File(str(path)).info.length * 1000), "whole milliseconds, rounded down"
    with kling_mock.lipsync() as lip:
        session = lip.identify_faces(video_url="https://example.com/a.mp4").session_id
        sound = base64.b64encode(path.read_bytes()).decode()
        with pytest.raises(InvalidRequestError, match=f"end of the audio \\({length} ms\\)"):
            lip.create_advanced(session, "0", sound_file=sound, sound_start_time=0, sound_end_time=length + 1,
                                sound_insert_time=0)  # fmt: skip
        lip.create_advanced(session, "0", sound_file=sound, sound_start_time=0, sound_end_time=length,
                            sound_insert_time=0)  # fmt: skip


# -- the plan reported, the family found ----------------------------------------------------------------------


def test_the_planned_create_reports_the_plan_it_sent(kling_mock: KlingMock, three_seconds: Path) -> None:
    sent = creates(kling_mock)
    with kling_mock.lipsync(scenario="two-faces") as lip:
        planned = lip.create_advanced_planned(video_id="v-1", audio_path=three_seconds, face_id="1")
    (choice,) = sent[0]["face_choose"]
    assert planned.task_id == planned.created.task_id
    assert (planned.plan.face_id, planned.plan.sound_start_time, planned.plan.sound_end_time) == ("1", 0, 3000)
    assert planned.plan.sound_insert_time == choice["sound_insert_time"]
    assert planned.session_id == sent[0]["session_id"]
    assert planned.plan_dict()["session_id"] == planned.session_id
    assert "face 1" in planned.plan.why or "asked" in planned.plan.why


def test_the_one_call_reports_its_plan_before_waiting(kling_mock: KlingMock, three_seconds: Path) -> None:
    reported: list[PlannedTask] = []
    with kling_mock.lipsync() as lip:
        task = lip.lip_sync_advanced(video_url=VIDEO, audio_path=three_seconds, on_plan=reported.append)
    (planned,) = reported
    assert planned.task_id == task.task_id
    assert str(planned.plan) == "face 0: audio [0, 3000] ms inserted at 0 ms"


@pytest.mark.parametrize("family_name", ["lip-sync", "advanced-lip-sync"])
def test_find_tells_the_family_of_a_task_id(kling_mock: KlingMock, three_seconds: Path, family_name: str) -> None:
    with kling_mock.lipsync() as lip:
        if family_name == "lip-sync":
            task_id = lip.create_audio(audio_url=AUDIO_URL, video_url=VIDEO).task_id
        else:
            task_id = lip.create_advanced_planned(video_url=VIDEO, audio_path=three_seconds).task_id
        found = lip.find(task_id)
    assert found.family == family_name
    assert found.task.task_id == task_id


def test_find_of_an_unknown_id_is_1203_naming_every_family_looked_in(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync() as lip, pytest.raises(InvalidRequestError) as missing:
        lip.find("860000000000009999")
    assert missing.value.code == 1203
    assert missing.value.message.endswith(f"(looked in every family: {', '.join(task_families())})")


def test_the_async_client_plans_finds_and_waits_on_any_family(kling_mock: KlingMock, three_seconds: Path) -> None:
    async def scenario() -> tuple[PlannedTask, str, AdvancedLipSyncTask | Any]:
        async with kling_mock.async_lipsync() as lip:
            planned = await lip.create_advanced_planned(video_url=VIDEO, audio_path=three_seconds)
            found = await lip.find(planned.task_id)
            return planned, found.family, await lip.wait_any(planned.task_id)

    planned, found_family, task = asyncio.run(scenario())
    assert found_family == "advanced-lip-sync"
    assert isinstance(task, AdvancedLipSyncTask)
    assert (task.task_id, task.task_status) == (planned.task_id, TaskStatus.SUCCEED)
