"""The contract suite against a running server: ``make contract BASE_URL=... TOKEN=...``.

Read-only checks always run, for every family of the spec. Creating a task (and identifying faces) costs
money on the real service, so it runs only with ``ALLOW_SPEND=1`` (and then one task per family, polled
with backoff until it ends).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st

from contract_tests import checks  # noqa: F401 - registers the Kling checks
from contract_tests.remote.conftest import RemoteServer
from contract_tests.strategies import register_schemathesis_formats
from kling_lipsync_client import AuthenticatedClient
from kling_lipsync_client.api.advanced_lip_sync import (
    create_advanced_lip_sync_task,
    get_advanced_lip_sync_task,
    identify_faces,
    list_advanced_lip_sync_tasks,
)
from kling_lipsync_client.api.lip_sync import create_lip_sync_task, get_lip_sync_task, list_lip_sync_tasks
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTaskCreatedResponse,
    AdvancedLipSyncTaskListResponse,
    AdvancedLipSyncTaskResponse,
    AudioType,
    ErrorResponse,
    FaceChoice,
    FaceSessionResponse,
    IdentifyFaceRequest,
    LipSyncCreateRequest,
    LipSyncInput,
    LipSyncMode,
    TaskCreatedResponse,
    TaskListResponse,
    TaskResponse,
)
from kling_spec import SPEC_PATH, error_catalogue
from kling_spec.families import task_families

register_schemathesis_formats()
CATALOGUE = error_catalogue()
FAMILIES = task_families()
TASKS = FAMILIES["lip-sync"].collection_path


def typed(remote: RemoteServer) -> AuthenticatedClient:
    client = AuthenticatedClient(base_url=remote.base_url, token=remote.token or "", raise_on_unexpected_status=True)
    client.set_httpx_client(remote.http)
    return client


def test_list_parses_into_typed_tasks(remote: RemoteServer) -> None:
    page = list_lip_sync_tasks.sync(client=typed(remote), page_num=1, page_size=5)
    assert isinstance(page, TaskListResponse), page
    assert len(page.data) <= 5


def test_every_listed_task_can_be_queried(remote: RemoteServer) -> None:
    page = list_lip_sync_tasks.sync(client=typed(remote), page_size=3)
    assert isinstance(page, TaskListResponse)
    for task in page.data:
        one = get_lip_sync_task.sync(task.task_id, client=typed(remote))
        assert isinstance(one, TaskResponse)
        assert one.data.task_id == task.task_id


def test_advanced_tasks_list_and_query_as_typed_tasks(remote: RemoteServer) -> None:
    page = list_advanced_lip_sync_tasks.sync(client=typed(remote), page_num=1, page_size=3)
    assert isinstance(page, AdvancedLipSyncTaskListResponse), page
    for task in page.data:
        one = get_advanced_lip_sync_task.sync(task.task_id, client=typed(remote))
        assert isinstance(one, AdvancedLipSyncTaskResponse)
        assert one.data.task_id == task.task_id


@pytest.mark.parametrize("family", FAMILIES)
def test_an_unknown_task_is_404_1203(remote: RemoteServer, family: str) -> None:
    response = remote.http.get(FAMILIES[family].task_path.replace("{task_id}", "000000000000000000"))
    assert (response.status_code, response.json()["code"]) == (CATALOGUE[1203].http_status, 1203)


@pytest.mark.parametrize("family", FAMILIES)
def test_paging_out_of_range_is_1201(remote: RemoteServer, family: str) -> None:
    response = remote.http.get(FAMILIES[family].collection_path, params={"pageSize": 501})
    assert (response.status_code, response.json()["code"]) == (CATALOGUE[1201].http_status, 1201)


def test_a_missing_token_is_401(remote: RemoteServer) -> None:
    response = httpx.get(f"{remote.base_url}{TASKS}", timeout=30)
    assert response.status_code == 401
    remote._record(response)


READ_ONLY = schemathesis.openapi.from_path(SPEC_PATH).include(method="GET")


@pytest.fixture(scope="module")
def configured_schema(remote: RemoteServer) -> schemathesis.BaseSchema:
    READ_ONLY.config.update(
        base_url=remote.base_url, headers={"Authorization": f"Bearer {remote.token}"} if remote.token else {}
    )
    return READ_ONLY


def test_read_operations_conform(configured_schema: schemathesis.BaseSchema) -> None:
    """Schemathesis on the GET operations (no task is created), with the Kling checks."""

    paths = [path for family in FAMILIES.values() for path in (family.collection_path, family.task_path)]
    operations = [configured_schema[path]["GET"] for path in paths]

    @given(case=st.one_of([operation.as_strategy() for operation in operations]))
    @settings(
        max_examples=min(25, settings.default.max_examples),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate()

    run()


@pytest.mark.skipif(os.environ.get("ALLOW_SPEND") != "1", reason="creates a paid task; set ALLOW_SPEND=1")
def test_one_task_from_create_to_its_end(remote: RemoteServer) -> None:
    video_url = os.environ.get("KLING_TEST_VIDEO_URL", "https://example.com/videos/speaker.mp4")
    audio_url = os.environ.get("KLING_TEST_AUDIO_URL", "https://example.com/audio/line.mp3")
    client = typed(remote)
    body = LipSyncCreateRequest(
        input_=LipSyncInput(
            mode=LipSyncMode.AUDIO2VIDEO, video_url=video_url, audio_type=AudioType.URL, audio_url=audio_url
        )
    )
    created = create_lip_sync_task.sync(client=client, body=body)
    assert isinstance(created, TaskCreatedResponse), created
    task = until_it_ends(lambda: get_lip_sync_task.sync(created.data.task_id, client=client), TaskResponse)
    if task.data.task_status == "succeed":
        assert task.data.task_result.videos
    else:
        assert task.data.task_status_msg
    assert not isinstance(task, ErrorResponse)


@pytest.mark.skipif(os.environ.get("ALLOW_SPEND") != "1", reason="identifies faces and creates a paid task")
def test_one_advanced_task_from_identify_face_to_its_end(remote: RemoteServer) -> None:
    from kling_lipsync import plan_advanced

    video_url = os.environ.get("KLING_TEST_VIDEO_URL", "https://example.com/videos/speaker.mp4")
    audio_url = os.environ.get("KLING_TEST_AUDIO_URL", "https://example.com/audio/line.mp3")
    audio_ms = int(os.environ.get("KLING_TEST_AUDIO_MS", "3000"))
    client = typed(remote)
    session = identify_faces.sync(client=client, body=IdentifyFaceRequest(video_url=video_url))
    assert isinstance(session, FaceSessionResponse), session
    assert session.data.face_data, "the test video must show a face"
    plan = plan_advanced(session.data.face_data, audio_ms)
    choice = FaceChoice(face_id=plan.face_id, sound_file=audio_url, **plan.times)
    body = AdvancedLipSyncCreateRequest(session_id=session.data.session_id, face_choose=[choice])
    created = create_advanced_lip_sync_task.sync(client=client, body=body)
    assert isinstance(created, AdvancedLipSyncTaskCreatedResponse), created
    task = until_it_ends(
        lambda: get_advanced_lip_sync_task.sync(created.data.task_id, client=client), AdvancedLipSyncTaskResponse
    )
    assert task.data.task_result.videos if task.data.task_status == "succeed" else task.data.task_status_msg


def until_it_ends(query: Callable[[], Any], expected: type) -> Any:
    """Poll with backoff until the task ends (``KLING_TEST_TIMEOUT`` seconds at most): the last answer."""
    deadline = time.monotonic() + float(os.environ.get("KLING_TEST_TIMEOUT", "600"))
    delay = 0.2
    while True:
        task = query()
        assert isinstance(task, expected), task
        if task.data.task_status in ("succeed", "failed"):
            return task
        assert time.monotonic() < deadline, f"still {task.data.task_status} at the deadline"
        time.sleep(delay)  # real time: this suite talks to a real server
        delay = min(delay * 2, 10)
