"""In-process speed with the pytest plugin's mock (pytest-benchmark): `make bench` reports, nothing asserts time."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path
from typing import Any

from kling_lipsync.testing import KlingMock, MockPool
from kling_lipsync_client import AuthenticatedClient
from kling_lipsync_client.api.advanced_lip_sync import create_advanced_lip_sync_task, identify_faces
from kling_lipsync_client.api.lip_sync import create_lip_sync_task, get_lip_sync_task
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTaskCreatedResponse,
    AudioType,
    FaceChoice,
    FaceSessionResponse,
    IdentifyFaceRequest,
    LipSyncCreateRequest,
    LipSyncInput,
    LipSyncMode,
    TaskCreatedResponse,
    TaskResponse,
    TaskStatus,
)

BODY = LipSyncCreateRequest(
    input_=LipSyncInput(
        mode=LipSyncMode.AUDIO2VIDEO,
        video_url="https://example.com/face.mp4",
        audio_type=AudioType.URL,
        audio_url="https://example.com/line.mp3",
    )
)


def create(client: AuthenticatedClient) -> str:
    answer = create_lip_sync_task.sync(client=client, body=BODY)
    assert isinstance(answer, TaskCreatedResponse), answer
    return answer.data.task_id


def status(client: AuthenticatedClient, task_id: str) -> object:
    answer = get_lip_sync_task.sync(task_id, client=client)
    assert isinstance(answer, TaskResponse), answer
    return answer.data.task_status


def test_create_and_poll_through_the_generated_client(benchmark: Any) -> None:
    with KlingMock({"max_in_flight": 10**9}) as mock:
        client = mock.generated_client("sk-bench")

        def create_and_poll() -> None:
            assert status(client, create(client)) is TaskStatus.SUBMITTED

        benchmark(create_and_poll)


#: Three seconds of real MP3, as a client sends a local file: the mock decodes and measures it (mutagen).
LINE = base64.b64encode((Path(__file__).parent.parent / "demo" / "line-3s.mp3").read_bytes()).decode()


def test_identify_then_create_advanced_through_the_generated_client(benchmark: Any) -> None:
    """Advanced lip-sync's two calls, with base64 audio the mock measures: the family's costliest path."""
    with KlingMock({"max_in_flight": 10**9}) as mock:
        client = mock.generated_client("sk-bench")
        video = IdentifyFaceRequest(video_url="https://example.com/face.mp4")

        def identify_and_create() -> None:
            session = identify_faces.sync(client=client, body=video)
            assert isinstance(session, FaceSessionResponse), session
            choice = FaceChoice(
                face_id="0", sound_file=LINE, sound_start_time=0, sound_end_time=3000, sound_insert_time=0
            )
            body = AdvancedLipSyncCreateRequest(session_id=session.data.session_id, face_choose=[choice])
            created = create_advanced_lip_sync_task.sync(client=client, body=body)
            assert isinstance(created, AdvancedLipSyncTaskCreatedResponse), created

        benchmark(identify_and_create)


def test_a_thousand_lifecycles_on_the_virtual_clock(benchmark: Any) -> None:
    accounts = itertools.count()

    def thousand_lifecycles() -> None:
        with KlingMock() as mock:
            settings = mock.settings
            clients = [mock.generated_client(f"sk-life-{next(accounts)}") for _ in range(200)]
            for _ in range(5):  # 200 accounts x 5 tasks (the default limit in flight) = 1000 lifecycles
                ids = [(c, create(c)) for c in clients]
                mock.advance(settings.queue_seconds)
                assert all(status(c, t) is TaskStatus.PROCESSING for c, t in ids)
                mock.advance(settings.processing_seconds)
                assert all(status(c, t) is TaskStatus.SUCCEED for c, t in ids)

    benchmark.pedantic(thousand_lifecycles, rounds=3, iterations=1)


def test_what_kling_mock_costs_a_test(benchmark: Any) -> None:
    """The ``kling_mock`` fixture's cost per test: a session mock reset and handed out again."""
    pool = MockPool()
    pool.release(pool.acquire())

    def one_test() -> None:
        pool.release(pool.acquire({"max_in_flight": 1}))

    benchmark(one_test)
    pool.close()


def test_what_a_new_mock_costs(benchmark: Any) -> None:
    """What each test paid before the pool: a new app, its compiled rules and database."""

    def new_mock() -> None:
        KlingMock().close()

    benchmark(new_mock)
