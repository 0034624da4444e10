"""The generated client against the mock: valid requests built from its own models are accepted and every
answer parses into its documented type; each broken rule, one at a time, gets its documented status and code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from contract_tests.strategies import TEXT_MAX, create_requests
from kling_lipsync.testing import KlingMock
from kling_lipsync_client.api.lip_sync import create_lip_sync_task, get_lip_sync_task, list_lip_sync_tasks
from kling_lipsync_client.models import (
    ErrorResponse,
    LipSyncCreateRequest,
    LipSyncMode,
    TaskCreatedResponse,
    TaskListResponse,
    TaskResponse,
    TaskStatus,
    VoiceIdEn,
    VoiceIdZh,
)
from kling_spec import error_catalogue, load_spec

CATALOGUE = error_catalogue()
INPUT_SCHEMA = load_spec()["components"]["schemas"]["LipSyncInput"]["properties"]


@pytest.fixture(scope="module")
def shared_mock():
    with KlingMock({"max_in_flight": 1_000_000}) as mock:
        yield mock


@given(request=create_requests())
def test_valid_requests_are_accepted_and_every_answer_parses(shared_mock: KlingMock, request) -> None:
    client = shared_mock.generated_client("sk-contract")
    created = create_lip_sync_task.sync(client=client, body=request)
    assert isinstance(created, TaskCreatedResponse), created
    assert created.data.task_status is TaskStatus.SUBMITTED
    task = get_lip_sync_task.sync(created.data.task_id, client=client)
    assert isinstance(task, TaskResponse)
    assert task.data.task_id == created.data.task_id
    assert TaskResponse.from_dict(task.to_dict()) == task
    assert LipSyncCreateRequest.from_dict(request.to_dict()) == request


@settings(max_examples=5)
@given(requests=st.lists(create_requests(), min_size=3, max_size=3))
def test_lists_parse_into_typed_pages(shared_mock: KlingMock, requests: list[LipSyncCreateRequest]) -> None:
    client = shared_mock.generated_client("sk-lists")
    for request in requests:
        create_lip_sync_task.sync(client=client, body=request)
    shared_mock.advance(3600)
    page = list_lip_sync_tasks.sync(client=client, page_size=2)
    assert isinstance(page, TaskListResponse)
    assert len(page.data) == 2
    assert all(t.task_status is TaskStatus.SUCCEED and t.task_result.videos for t in page.data)


@settings(max_examples=5)
@given(request=create_requests())
def test_concurrency_limit_reaches_the_client_as_1303(request: LipSyncCreateRequest) -> None:
    with KlingMock({"max_in_flight": 1}) as mock:
        client = mock.generated_client("sk-limit")
        assert isinstance(create_lip_sync_task.sync(client=client, body=request), TaskCreatedResponse)
        refused = create_lip_sync_task.sync_detailed(client=client, body=request)
        assert refused.status_code == CATALOGUE[1303].http_status
        assert isinstance(refused.parsed, ErrorResponse)
        assert refused.parsed.code == 1303


@settings(max_examples=5)
@given(request=create_requests().filter(lambda r: isinstance(r.input_.video_id, str)))
def test_strict_video_ids_reach_the_client_as_1201(request: LipSyncCreateRequest) -> None:
    with KlingMock({"strict_video_ids": True}) as mock:
        client = mock.generated_client("sk-strict")
        refused = create_lip_sync_task.sync_detailed(client=client, body=request)
        assert isinstance(refused.parsed, ErrorResponse)
        assert (refused.status_code, refused.parsed.code) == (CATALOGUE[1201].http_status, 1201)


# -- one broken rule at a time -----------------------------------------------------------------------

Body = dict[str, Any]


def _drop(key: str) -> Callable[[Body], Body]:
    return lambda body: {**body, "input": {k: v for k, v in body["input"].items() if k != key}}


def _set(key: str, value: Any) -> Callable[[Body], Body]:
    return lambda body: {**body, "input": {**body["input"], key: value}}


def _other_language_voice(body: Body) -> Body:
    language = body["input"].get("voice_language", "zh")
    foreign = set(VoiceIdEn) if language == "zh" else set(VoiceIdZh)
    mine = {v.value for v in (VoiceIdZh if language == "zh" else VoiceIdEn)}
    only_foreign = sorted(v.value for v in foreign if v.value not in mine)
    return _set("voice_id", only_foreign[0])(body)


def _both_videos(body: Body) -> Body:
    return _set("video_url", "https://example.com/v.mp4")(_set("video_id", "abc")(body))


def _no_video(body: Body) -> Body:
    return _drop("video_id")(_drop("video_url")(body))


TEXT_RULES: dict[str, Callable[[Body], Body]] = {
    "no-input": lambda body: {},
    "no-mode": _drop("mode"),
    "unknown-mode": _set("mode", "audio"),
    "no-video": _no_video,
    "both-videos": _both_videos,
    "malformed-video-id": lambda body: _set("video_id", "bad id!")(_drop("video_url")(body)),
    "video-url-not-http": lambda body: _set("video_url", "ftp://example.com/a.mp4")(_drop("video_id")(body)),
    "video-url-not-mp4-mov": lambda body: _set("video_url", "https://example.com/a.avi")(_drop("video_id")(body)),
    "no-text": _drop("text"),
    "empty-text": _set("text", ""),
    "text-too-long": _set("text", "字" * (TEXT_MAX + 1)),
    "no-voice": _drop("voice_id"),
    "unknown-voice": _set("voice_id", "no_such_voice"),
    "voice-of-the-other-language": _other_language_voice,
    "unknown-language": _set("voice_language", "fr"),
    "speed-too-high": _set("voice_speed", INPUT_SCHEMA["voice_speed"]["maximum"] + 0.1),
    "speed-too-low": _set("voice_speed", INPUT_SCHEMA["voice_speed"]["minimum"] - 0.1),
    "speed-not-a-number": _set("voice_speed", "fast"),
    "callback-not-http": lambda body: {**body, "callback_url": "mailto:someone@example.com"},
}
AUDIO_RULES: dict[str, Callable[[Body], Body]] = {
    "no-audio-type": _drop("audio_type"),
    "unknown-audio-type": _set("audio_type", "text"),
    "file-without-audio-file": lambda body: _set("audio_type", "file")(_drop("audio_file")(body)),
    "url-without-audio-url": lambda body: _set("audio_type", "url")(_drop("audio_url")(body)),
    "audio-url-wrong-format": lambda body: _set("audio_type", "url")(_set("audio_url", "https://e.com/a.ogg")(body)),
    "audio-file-not-base64": lambda body: _set("audio_type", "file")(_set("audio_file", "not base64!")(body)),
    "audio-file-data-uri": lambda body: _set("audio_type", "file")(
        _set("audio_file", "data:audio/wav;base64,AAAA")(body)
    ),
    # rules JSON Schema cannot say, checked by the mock
    "audio-file-not-audio": lambda body: _set("audio_type", "file")(_set("audio_file", "AAAAAAAAAAAA")(body)),
}
RULES = [(name, LipSyncMode.TEXT2VIDEO, rule) for name, rule in TEXT_RULES.items()] + [
    (name, LipSyncMode.AUDIO2VIDEO, rule) for name, rule in AUDIO_RULES.items()
]


@pytest.mark.parametrize(("name", "mode", "rule"), RULES, ids=[r[0] for r in RULES])
@settings(max_examples=8)
@given(data=st.data())
def test_each_broken_rule_gets_its_documented_status_and_code(
    shared_mock: KlingMock, name: str, mode: LipSyncMode, rule: Callable[[Body], Body], data: st.DataObject
) -> None:
    valid = data.draw(create_requests(mode)).to_dict()
    broken = rule(copy.deepcopy(valid))
    client = shared_mock.generated_client("sk-rules")
    raw = client.get_httpx_client().post("/v1/videos/lip-sync", json=broken)
    parsed = create_lip_sync_task._build_response(client=client, response=raw).parsed
    assert isinstance(parsed, ErrorResponse), (name, raw.text)
    assert parsed.code == 1201
    assert raw.status_code == CATALOGUE[1201].http_status
    assert parsed.message
