"""Every Kling code is reachable, with its HTTP status and envelope; bad input never hurts the mock."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, strategies as st

from contract_tests.bodies import audio_file_body, text_body
from contract_tests.helpers import data
from contract_tests.strategies import AUDIO_SAMPLES
from kling_lipsync.testing import KlingMock
from kling_spec import error_catalogue
from kling_spec.families import family
from mock_server.scenarios import SCENARIOS

TASKS = "/v1/videos/lip-sync"
CATALOGUE = error_catalogue()


def assert_kling_error(response: httpx.Response, code: int, status: int | None = None) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert response.status_code == (status or CATALOGUE[code].http_status)
    assert body["request_id"]
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "data" not in body
    return body


@pytest.mark.parametrize("code", sorted(CATALOGUE), ids=str)
def test_every_code_is_reachable_with_prefer(dmx: httpx.Client, code: int) -> None:
    response = dmx.post(TASKS, json=text_body(), headers={"Prefer": f"code={code}"})
    body = assert_kling_error(response, code)
    assert body["message"] == CATALOGUE[code].message


def test_prefer_with_an_http_status_picks_a_code_of_that_status(dmx: httpx.Client) -> None:
    response = dmx.get(TASKS, headers={"Prefer": "code=503"})
    assert_kling_error(response, 5001)


ERROR_SCENARIOS = [s for s in SCENARIOS.values() if s.error_code is not None]


@pytest.mark.parametrize("scenario", ERROR_SCENARIOS, ids=[s.name for s in ERROR_SCENARIOS])
def test_error_scenarios_answer_their_code(mock: KlingMock, dmx: httpx.Client, scenario) -> None:
    response = dmx.post(TASKS, json=text_body(), headers={"X-Mock-Scenario": scenario.name})
    assert_kling_error(response, scenario.error_code)
    assert data(dmx.get(TASKS)) == [], "a refused create makes no task"


def test_required_scenarios_exist() -> None:
    required = {"succeed", "no-human", "content-policy", "rate-limit", "concurrency", "balance"}
    required |= {"server-error", "unavailable", "timeout", "slow"}
    assert required <= set(SCENARIOS)
    assert SCENARIOS["content-policy"].error_code == 1301
    assert SCENARIOS["concurrency"].error_code == 1303
    assert SCENARIOS["balance"].error_code == 1102


def test_unknown_scenario_is_refused(dmx: httpx.Client) -> None:
    body = assert_kling_error(dmx.post(TASKS, json=text_body(), headers={"X-Mock-Scenario": "nope"}), 1201)
    assert "nope" in body["message"]


# -- codes reached the natural way ----------------------------------------------------------------


def test_unknown_task_is_1203(dmx: httpx.Client) -> None:
    for task_id in ("860000000000000999", "abc", "0" * 200):
        assert_kling_error(dmx.get(f"{TASKS}/{task_id}"), 1203)


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", f"{TASKS}/1"), ("PUT", TASKS), ("PATCH", TASKS), ("OPTIONS", TASKS), ("POST", f"{TASKS}/1")],
)
def test_a_method_the_path_does_not_have_is_404_1202(dmx: httpx.Client, method: str, path: str) -> None:
    assert_kling_error(dmx.request(method, path), 1202)


def test_unknown_path_is_404_1203(dmx: httpx.Client) -> None:
    assert_kling_error(dmx.get("/v1/videos/unknown"), 1203)


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(b"{not json", {"Content-Type": "application/json"}, id="broken-json"),
        pytest.param(json.dumps(text_body()).encode(), {"Content-Type": "text/plain"}, id="wrong-content-type"),
        pytest.param(json.dumps(text_body()).encode(), {}, id="no-content-type"),
        pytest.param(
            b'{"input": {"mode": "text2video", "voice_speed": NaN}}', {"Content-Type": "application/json"}, id="nan"
        ),
        pytest.param(b'{"input": "\xff\xfe"}', {"Content-Type": "application/json"}, id="not-utf-8"),
        pytest.param(b"[1, 2]", {"Content-Type": "application/json"}, id="array"),
        pytest.param(b"", {"Content-Type": "application/json"}, id="empty"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"}, id="deep-nesting"),
    ],
)
def test_unreadable_bodies_are_1200(dmx: httpx.Client, content: bytes, headers: dict) -> None:
    assert_kling_error(dmx.post(TASKS, content=content, headers=headers), 1200)


def test_body_over_the_limit_is_413_in_the_envelope(mock: KlingMock, dmx: httpx.Client) -> None:
    limit = family("lip-sync").operation("create").spec["x-kling-max-request-bytes"]
    body = assert_kling_error(
        dmx.post(TASKS, content=b" " * (limit + 1), headers={"Content-Type": "application/json"}), 1200, 413
    )
    assert body["message"] == "Request body too large"


# Live observations of Kling's validator (the facts file), one broken rule at a time.
VALIDATOR_MESSAGES = [
    pytest.param({"input": {}}, "input.mode: must not be null", id="empty-input"),
    pytest.param(
        text_body(mode="audio"),
        "input.mode value 'audio' is invalid, allowed values: text2video, audio2video",
        id="bad-mode",
    ),
    pytest.param(text_body(video_url=None), "video_id or video_url is required", id="no-video"),
    pytest.param(text_body(video_id="abc"), "only one of video_id and video_url may be given", id="two-videos"),
    pytest.param(audio_file_body(audio_type=None), "Audio type is null", id="no-audio-type"),
    pytest.param(
        audio_file_body(audio_type="text"),
        "input.audio_type value 'text' is invalid, allowed values: file, url",
        id="bad-audio-type",
    ),
    pytest.param(text_body(text=None), "text is required", id="no-text"),
    pytest.param(text_body(voice_id="bogus"), "Voice id not found", id="bad-voice"),
    pytest.param(
        text_body(voice_language="bogus"),
        "input.voice_language value 'bogus' is invalid, allowed values: zh, en",
        id="bad-language",
    ),
    pytest.param(text_body(voice_speed=99), "input.voiceSpeed: must be less than or equal to 2.0", id="speed-99"),
    pytest.param(text_body(voice_speed=0.5), "input.voiceSpeed: must be greater than or equal to 0.8", id="speed-0.5"),
    pytest.param(text_body(text="x" * 121), "input.text: length must be less than or equal to 120", id="long-text"),
    pytest.param(
        audio_file_body(audio_file="data:audio/wav;base64,AAAA"), "File is not in a valid base64 format", id="data-uri"
    ),
    pytest.param(audio_file_body(audio_file="AAAAAAAA"), "Audio file format is not supported", id="not-audio"),
]


@pytest.mark.parametrize(("body", "message"), VALIDATOR_MESSAGES)
def test_validator_wording(dmx: httpx.Client, body: dict, message: str) -> None:
    assert assert_kling_error(dmx.post(TASKS, json=body), 1201)["message"] == message


@pytest.mark.parametrize("kind", sorted(AUDIO_SAMPLES))
def test_each_audio_format_is_recognised(dmx: httpx.Client, kind: str) -> None:
    assert dmx.post(TASKS, json=audio_file_body(audio_file=AUDIO_SAMPLES[kind])).status_code == 200, kind


def test_list_paging_bounds(dmx: httpx.Client) -> None:
    assert_kling_error(dmx.get(TASKS, params={"pageNum": 0}), 1201)
    assert_kling_error(dmx.get(TASKS, params={"pageSize": 501}), 1201)
    assert_kling_error(dmx.get(TASKS, params={"pageNum": "one"}), 1201)
    assert dmx.get(TASKS, params={"pageNum": 1000, "pageSize": 500}).status_code == 200


# -- chaos ------------------------------------------------------------------------------------------


def _chaos_run(mock: KlingMock, count: int = 60) -> list[int]:
    with mock.httpx_client("sk-chaos") as client:
        return [client.get(TASKS).json()["code"] for _ in range(count)]


def test_chaos_is_reproducible_from_its_seed(make_mock) -> None:
    first = _chaos_run(make_mock(chaos_rate=0.5, chaos_seed=7))
    again = _chaos_run(make_mock(chaos_rate=0.5, chaos_seed=7))
    other = _chaos_run(make_mock(chaos_rate=0.5, chaos_seed=8))
    assert first == again
    assert first != other
    assert set(first) <= {0, 5000, 5001, 5002, 1302}
    assert 10 < sum(code != 0 for code in first) < 50


def test_chaos_can_be_switched_on_at_run_time(mock: KlingMock) -> None:
    assert set(_chaos_run(mock, 20)) == {0}
    mock.configure(chaos_rate=1.0, chaos_seed=1)
    assert 0 not in set(_chaos_run(mock, 20))


# -- nothing a client sends crashes the mock --------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@given(
    body=st.one_of(
        st.binary(max_size=300),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(st.sampled_from([*text_body()["input"], "audio_file", "audio_type"]), JSON_VALUES).map(
            lambda d: json.dumps({"input": d}).encode()
        ),
    ),
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""]),
)
def test_random_input_always_gets_an_envelope_never_a_500(body: bytes, content_type: str) -> None:
    with KlingMock() as mock, mock.httpx_client("sk-fuzz") as client:
        response = client.post(TASKS, content=body, headers={"Content-Type": content_type} if content_type else {})
        assert response.status_code in (200, 400, 413)
        parsed = response.json()
        assert parsed["request_id"]
        assert parsed["code"] == 0 or CATALOGUE[parsed["code"]].http_status in (400, 413)
