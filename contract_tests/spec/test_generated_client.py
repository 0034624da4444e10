"""The generated client is current, parses every documented answer into its type, and survives tomorrow's API."""

from __future__ import annotations

import copy
import importlib
import json
from typing import Any

import httpx
import pytest

from codegen import generate
from contract_tests.spec_walk import named_examples
from kling_lipsync_client import Client
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTask,
    AdvancedLipSyncTaskResponse,
    FaceSessionResponse,
    IdentifyFaceRequest,
    LipSyncCreateRequest,
    LipSyncTask,
    TaskResponse,
    TaskStatus,
)
from kling_spec import iter_operations

CALLBACKS = {"lip_sync_task_callback": LipSyncTask, "advanced_lip_sync_task_callback": AdvancedLipSyncTask}
REQUEST_MODELS = {
    "create_lip_sync_task": LipSyncCreateRequest,
    "identify_faces": IdentifyFaceRequest,
    "create_advanced_lip_sync_task": AdvancedLipSyncCreateRequest,
}
RESPONSES = [e for e in named_examples() if e.status is not None and e.operation_id not in CALLBACKS]
REQUESTS = [e for e in named_examples() if e.status is None and e.operation_id in REQUEST_MODELS]
#: The generator puts an operation in the module of its first tag (``advanced-lip-sync`` -> advanced_lip_sync).
MODULES = {op["operationId"]: op["tags"][0].replace("-", "_") for _, _, op in iter_operations()}


def parse(operation_id: str, status: int, body: Any) -> Any:
    """Parse a body exactly as the generated endpoint function does."""
    module = importlib.import_module(f"kling_lipsync_client.api.{MODULES[operation_id]}.{operation_id}")
    response = httpx.Response(status, json=body)
    return module._parse_response(client=Client(base_url="http://mock"), response=response)


def test_generated_client_matches_the_spec() -> None:
    assert generate.check() == []


@pytest.mark.parametrize("example", RESPONSES, ids=[e.where for e in RESPONSES])
def test_every_documented_answer_parses_into_a_model_and_round_trips(example: Any) -> None:
    parsed = parse(example.operation_id, example.status, example.value)
    assert parsed is not None
    assert not isinstance(parsed, dict)
    assert parsed.to_dict() == example.value
    again = type(parsed).from_dict(parsed.to_dict())
    assert again == parsed


@pytest.mark.parametrize("example", REQUESTS, ids=[e.where for e in REQUESTS])
def test_every_request_example_round_trips(example: Any) -> None:
    model_type: Any = REQUEST_MODELS[example.operation_id]
    model = model_type.from_dict(example.value)
    assert model.to_dict() == example.value
    assert model_type.from_dict(model.to_dict()) == model


@pytest.mark.parametrize("operation_id", CALLBACKS)
def test_callback_bodies_parse_as_tasks_in_every_status(operation_id: str) -> None:
    callbacks = [e for e in named_examples() if e.operation_id == operation_id and e.status is None]
    model: Any = CALLBACKS[operation_id]
    tasks = {e.name: model.from_dict(e.value) for e in callbacks}
    assert {name: task.task_status for name, task in tasks.items()} == {status.value: status for status in TaskStatus}
    assert tasks["succeed"].task_result.videos[0].url.endswith(".mp4")
    assert tasks["failed"].task_status_msg


def test_advanced_answers_parse_into_their_models() -> None:
    session = next(e for e in RESPONSES if e.where == "identify_faces 200 two_faces")
    parsed = parse("identify_faces", 200, session.value)
    assert isinstance(parsed, FaceSessionResponse)
    assert [(face.face_id, face.start_time, face.end_time) for face in parsed.data.face_data] == [
        ("0", 0, 6000),
        ("1", 4000, 10000),
    ]
    succeed = next(e for e in RESPONSES if e.where == "get_advanced_lip_sync_task 200 succeed")
    task = parse("get_advanced_lip_sync_task", 200, succeed.value)
    assert isinstance(task, AdvancedLipSyncTaskResponse)
    assert task.data.watermark_info.enabled is True
    assert task.data.task_result.videos[0].watermark_url.endswith("-watermarked.mp4")
    assert task.data.task_info.external_task_id == "order-1234"


def test_error_bodies_parse_into_the_right_type() -> None:
    kling = parse("get_lip_sync_task", 401, {"code": 1004, "message": "expired", "request_id": "r"})
    proxy = parse("get_lip_sync_task", 401, {"error": {"code": "", "message": "Invalid Token", "type": "x"}})
    assert type(kling).__name__ == "ErrorResponse"
    assert kling.code == 1004
    assert type(proxy).__name__ == "ProxyErrorResponse"
    assert proxy.error.message == "Invalid Token"


# --- forward compatibility: a client generated today reads tomorrow's answers -------------------------

SUCCEED = next(e.value for e in RESPONSES if e.where == "get_lip_sync_task 200 succeed")


def test_unknown_task_status_stays_a_plain_string() -> None:
    body = copy.deepcopy(SUCCEED)
    body["data"]["task_status"] = "queued_for_review"
    parsed = parse("get_lip_sync_task", 200, body)
    assert isinstance(parsed, TaskResponse)
    assert parsed.data.task_status == "queued_for_review"
    assert not isinstance(parsed.data.task_status, TaskStatus)
    assert parsed.to_dict() == body


def test_known_task_status_is_the_enum() -> None:
    parsed = parse("get_lip_sync_task", 200, SUCCEED)
    assert parsed.data.task_status is TaskStatus.SUCCEED


def test_new_fields_at_every_level_are_kept() -> None:
    body = copy.deepcopy(SUCCEED)
    body["trace"] = {"region": "sg"}
    body["data"]["final_unit_deduction"] = "1"
    body["data"]["task_info"]["external_task_id"] = "mine-1"
    body["data"]["task_info"]["parent_video"]["width"] = 1280
    body["data"]["task_result"]["videos"][0]["watermark_url"] = "https://example.com/w.mp4"
    parsed = parse("get_lip_sync_task", 200, body)
    assert parsed["trace"] == {"region": "sg"}
    assert parsed.data["final_unit_deduction"] == "1"
    assert parsed.data.task_info["external_task_id"] == "mine-1"
    assert parsed.data.task_info.parent_video["width"] == 1280
    assert parsed.data.task_result.videos[0]["watermark_url"].endswith("w.mp4")
    assert json.loads(json.dumps(parsed.to_dict())) == body


def test_list_with_unknown_status_and_fields_parses() -> None:
    page = next(e.value for e in RESPONSES if e.where == "list_lip_sync_tasks 200 page")
    body = copy.deepcopy(page)
    body["data"][1]["task_status"] = "cancelled"
    body["data"][1]["priority"] = 3
    parsed = parse("list_lip_sync_tasks", 200, body)
    assert [t.task_status for t in parsed.data] == [TaskStatus.SUCCEED, "cancelled"]
    assert parsed.data[1]["priority"] == 3


ADVANCED_SUCCEED = next(e.value for e in RESPONSES if e.where == "get_advanced_lip_sync_task 200 succeed")
SESSION = next(e.value for e in RESPONSES if e.where == "identify_faces 200 one_face")


def test_advanced_answers_keep_new_fields_and_unknown_statuses() -> None:
    body = copy.deepcopy(ADVANCED_SUCCEED)
    body["data"]["task_status"] = "queued_for_review"
    body["data"]["model_version"] = "v2"
    body["data"]["task_info"]["parent_video"]["fps"] = 25
    body["data"]["task_result"]["videos"][0]["cover_url"] = "https://example.com/c.jpg"
    body["data"]["watermark_info"]["position"] = "bottom-right"
    parsed = parse("get_advanced_lip_sync_task", 200, body)
    assert isinstance(parsed, AdvancedLipSyncTaskResponse)
    assert parsed.data.task_status == "queued_for_review"
    assert not isinstance(parsed.data.task_status, TaskStatus)
    assert parsed.data["model_version"] == "v2"
    assert parsed.data.task_info.parent_video["fps"] == 25
    assert parsed.data.task_result.videos[0]["cover_url"].endswith("c.jpg")
    assert parsed.data.watermark_info["position"] == "bottom-right"
    assert json.loads(json.dumps(parsed.to_dict())) == body


def test_sessions_keep_new_fields() -> None:
    body = copy.deepcopy(SESSION)
    body["data"]["expires_at"] = 1722856000000
    body["data"]["face_data"][0]["confidence"] = 0.93
    parsed = parse("identify_faces", 200, body)
    assert isinstance(parsed, FaceSessionResponse)
    assert parsed.data["expires_at"] == 1722856000000
    assert parsed.data.face_data[0]["confidence"] == 0.93
    assert json.loads(json.dumps(parsed.to_dict())) == body
