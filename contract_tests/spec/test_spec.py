"""openapi.yaml is valid, complete, and its examples and request rules say what they mean."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from contract_tests.spec_walk import named_examples, resolve
from kling_spec import SPEC_PATH, compile_schema, error_catalogue, iter_operations, schema_validator

# The Kling business-code table as published (official error-code page, DMXAPI's copy): code -> HTTP status.
KLING_TABLE = {
    1000: 401, 1001: 401, 1002: 401, 1003: 401, 1004: 401,
    1100: 429, 1101: 429, 1102: 429, 1103: 403,
    1200: 400, 1201: 400, 1202: 404, 1203: 404,
    1300: 400, 1301: 400, 1302: 429, 1303: 429, 1304: 429,
    5000: 500, 5001: 503, 5002: 504,
}  # fmt: skip

EXAMPLES = named_examples()


def test_spec_is_valid_openapi_3_1() -> None:
    document, base_uri = read_from_filename(str(SPEC_PATH))
    assert document["openapi"].startswith("3.1")
    validate(document, base_uri=base_uri)


def test_operations_are_those_of_both_generations(spec: Mapping[str, Any]) -> None:
    found = {(path, method): op["operationId"] for path, method, op in iter_operations(spec)}
    assert found == {
        ("/v1/videos/lip-sync", "post"): "create_lip_sync_task",
        ("/v1/videos/lip-sync", "get"): "list_lip_sync_tasks",
        ("/v1/videos/lip-sync/{task_id}", "get"): "get_lip_sync_task",
        ("/v1/videos/identify-face", "post"): "identify_faces",
        ("/v1/audio/tts", "post"): "text_to_speech",
        ("/v1/videos/advanced-lip-sync", "post"): "create_advanced_lip_sync_task",
        ("/v1/videos/advanced-lip-sync", "get"): "list_advanced_lip_sync_tasks",
        ("/v1/videos/advanced-lip-sync/{task_id}", "get"): "get_advanced_lip_sync_task",
    }
    for _, _, operation in iter_operations(spec):
        assert operation["security"] == [{"bearerAuth": []}]


def test_servers_cover_the_proxy_and_kling(spec: Mapping[str, Any]) -> None:
    urls = {server["url"] for server in spec["servers"]}
    assert "https://www.dmxapi.cn/kling" in urls
    assert {"https://api-beijing.klingai.com", "https://api-singapore.klingai.com"} <= urls


def test_list_paging_limits(spec: Mapping[str, Any]) -> None:
    for path in ("/v1/videos/lip-sync", "/v1/videos/advanced-lip-sync"):
        params = {p["name"]: p["schema"] for p in spec["paths"][path]["get"]["parameters"]}
        assert params["pageNum"] == {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1}
        assert params["pageSize"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 30}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.where for e in EXAMPLES])
def test_every_named_example_matches_its_schema(example: Any) -> None:
    errors = [e.message for e in compile_schema(example.schema).iter_errors(example.value)]
    assert errors == []


def test_every_response_has_a_named_example(spec: Mapping[str, Any]) -> None:
    for _, _, operation in iter_operations(spec):
        for status, response in operation["responses"].items():
            for media in resolve(response, spec)["content"].values():
                assert media.get("examples"), f"{operation['operationId']} {status} has no named example"


# --- the error-code table ---------------------------------------------------------------------------


def test_catalogue_is_the_kling_table() -> None:
    assert {code: row.http_status for code, row in error_catalogue().items()} == KLING_TABLE


def _error_examples(spec: Mapping[str, Any]) -> dict[int, set[int]]:
    """Business code -> HTTP statuses under which some operation shows it as a named example."""
    shown: dict[int, set[int]] = {}
    for example in EXAMPLES:
        if example.status is not None and example.status >= 400 and "code" in example.value:
            shown.setdefault(example.value["code"], set()).add(example.status)
    return shown


def test_every_code_is_an_example_under_its_http_status(spec: Mapping[str, Any]) -> None:
    shown = _error_examples(spec)
    for code, row in error_catalogue().items():
        assert row.http_status in shown.get(code, set()), f"code {code} has no example under {row.http_status}"


def test_no_example_shows_a_code_under_a_foreign_status(spec: Mapping[str, Any]) -> None:
    catalogue = error_catalogue()
    for code, statuses in _error_examples(spec).items():
        assert code in catalogue, f"example code {code} is not in x-kling-error-codes"
        assert statuses <= set(catalogue[code].http_statuses), (code, statuses)


def test_every_operation_documents_every_error_status(spec: Mapping[str, Any]) -> None:
    needed = {row.http_status for row in error_catalogue().values()}
    for _, _, operation in iter_operations(spec):
        assert needed <= {int(s) for s in operation["responses"]}, operation["operationId"]


def test_proxy_token_rejection_is_documented(spec: Mapping[str, Any]) -> None:
    proxy = [e for e in EXAMPLES if e.status == 401 and "error" in e.value]
    assert proxy, "the DMXAPI 401 body is not documented"
    assert all(e.value["error"]["type"] == "rix_api_error" for e in proxy)


# --- request rules, in both directions --------------------------------------------------------------

TEXT = {"mode": "text2video", "video_id": "abc123", "text": "hello", "voice_id": "AOT", "voice_language": "en"}
AUDIO_URL = {
    "mode": "audio2video",
    "video_url": "https://example.com/a.mp4",
    "audio_type": "url",
    "audio_url": "https://example.com/a.mp3",
}
AUDIO_FILE = {"mode": "audio2video", "video_id": "abc123", "audio_type": "file", "audio_file": "UklGRg=="}


def _body(base: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return {"input": body}


VALID = [
    pytest.param(_body(TEXT), id="text2video"),
    pytest.param(_body(TEXT, voice_language=None, voice_id="tiyuxi_xuedi"), id="language-defaults-to-zh"),
    pytest.param(_body(TEXT, voice_language="zh", voice_id="genshin_vindi2"), id="voice-in-both-languages"),
    pytest.param(_body(TEXT, text="字" * 120), id="text-120-characters"),
    pytest.param(_body(TEXT, voice_speed=0.8), id="speed-minimum"),
    pytest.param(_body(TEXT, voice_speed=2), id="speed-maximum"),
    pytest.param(_body(TEXT, task_id="Cl6kH2gHPegAAAAABJAWDA"), id="proxy-routing-hint"),
    pytest.param(_body(TEXT, model_name="kling-v1"), id="unknown-field-ignored"),
    pytest.param(_body(AUDIO_URL), id="audio2video-url"),
    pytest.param(_body(AUDIO_URL, video_url="http://example.com/clip.MOV?sig=1"), id="mov-with-query"),
    pytest.param(_body(AUDIO_FILE), id="audio2video-file"),
    pytest.param({**_body(TEXT), "callback_url": "https://example.com/cb"}, id="callback"),
]

INVALID = [
    pytest.param({}, id="no-input"),
    pytest.param(_body(TEXT, mode=None), id="no-mode"),
    pytest.param(_body(TEXT, mode="audio"), id="unknown-mode"),
    pytest.param(_body(TEXT, video_id=None), id="no-video"),
    pytest.param(_body(TEXT, video_url="https://example.com/a.mp4"), id="both-videos"),
    pytest.param(_body(TEXT, video_id="has space"), id="malformed-video-id"),
    pytest.param(_body(AUDIO_URL, video_url="ftp://example.com/a.mp4"), id="video-url-not-http"),
    pytest.param(_body(AUDIO_URL, video_url="https://example.com/a.avi"), id="video-url-not-mp4-mov"),
    pytest.param(_body(TEXT, text=None), id="text2video-without-text"),
    pytest.param(_body(TEXT, text=""), id="empty-text"),
    pytest.param(_body(TEXT, text="x" * 121), id="text-121-characters"),
    pytest.param(_body(TEXT, voice_id=None), id="text2video-without-voice"),
    pytest.param(_body(TEXT, voice_id="bogus"), id="unknown-voice"),
    pytest.param(_body(TEXT, voice_language="zh"), id="english-only-voice-in-zh"),
    pytest.param(_body(TEXT, voice_language=None), id="english-only-voice-default-zh"),
    pytest.param(_body(TEXT, voice_language="fr"), id="unknown-language"),
    pytest.param(_body(TEXT, voice_speed=2.01), id="speed-too-high"),
    pytest.param(_body(TEXT, voice_speed=0.79), id="speed-too-low"),
    pytest.param(_body(TEXT, voice_speed="1.0"), id="speed-as-string"),
    pytest.param(_body(AUDIO_URL, audio_type=None), id="audio2video-without-type"),
    pytest.param(_body(AUDIO_URL, audio_type="text"), id="unknown-audio-type"),
    pytest.param(_body(AUDIO_URL, audio_url=None), id="url-type-without-url"),
    pytest.param(_body(AUDIO_URL, audio_url="https://example.com/a.ogg"), id="audio-url-wrong-format"),
    pytest.param(_body(AUDIO_FILE, audio_file=None), id="file-type-without-file"),
    pytest.param(_body(AUDIO_FILE, audio_file="data:audio/wav;base64,UklGRg=="), id="data-uri"),
    pytest.param(_body(AUDIO_FILE, audio_file="UklGR"), id="base64-bad-length"),
    pytest.param(_body(AUDIO_FILE, audio_file="A" * 6990512), id="audio-over-5-mib"),
    pytest.param({**_body(TEXT), "callback_url": "javascript:alert(1)"}, id="callback-not-http"),
]


@pytest.mark.parametrize("body", VALID)
def test_request_schema_accepts(body: dict[str, Any]) -> None:
    errors = [e.message for e in schema_validator("LipSyncCreateRequest").iter_errors(body)]
    assert errors == []


@pytest.mark.parametrize("body", INVALID)
def test_request_schema_rejects(body: dict[str, Any]) -> None:
    assert not schema_validator("LipSyncCreateRequest").is_valid(body)


def test_voice_catalogue_sizes(spec: Mapping[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("VoiceIdZh", "VoiceIdEn"):
        voices = schemas[name]["enum"]
        assert len(voices) == len(set(voices)) == len(schemas[name]["x-enum-descriptions"])
    assert len(schemas["VoiceIdEn"]["enum"]) == 27
    assert len(schemas["VoiceIdZh"]["enum"]) == 35
