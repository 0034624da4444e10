"""The admin API under /__mock__/: health, reset, clock, journal, scenarios, config, admin token."""

from __future__ import annotations

import re

import httpx
import pytest
import yaml

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from kling_lipsync.testing import KlingMock
from mock_server.scenarios import SCENARIOS
from mock_server.settings import RUNTIME_FIELDS

TASKS = "/v1/videos/lip-sync"


def test_health_reports_clock_and_counts(mock: KlingMock, dmx: httpx.Client) -> None:
    dmx.post(TASKS, json=text_body())
    health = mock.http.get("/__mock__/health").json()
    assert health == {
        "status": "ok",
        "clock": "virtual",
        "now_ms": mock.settings.virtual_clock_start_ms,
        "tasks": 1,
        "pending_callbacks": 0,
    }


def test_reset_forgets_tasks_and_rewinds_the_clock(mock: KlingMock, dmx: httpx.Client) -> None:
    dmx.post(TASKS, json=text_body())
    mock.advance(100)
    mock.configure(max_in_flight=1)
    mock.reset()
    assert mock.requests() == []
    assert data(dmx.get(TASKS)) == []
    assert mock.now_ms() == mock.settings.virtual_clock_start_ms
    assert mock.http.get("/__mock__/config").json()["config"]["max_in_flight"] == mock.settings.max_in_flight


@pytest.mark.parametrize(
    "body",
    [{}, {"seconds": -1}, {"seconds": "10"}, {"seconds": True}, {"seconds": 1, "milliseconds": 1}, {"seconds": 1e300}],
)
def test_clock_advance_refuses_nonsense(mock: KlingMock, body: dict) -> None:
    response = mock.http.post("/__mock__/clock/advance", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 1201
    assert mock.now_ms() == mock.settings.virtual_clock_start_ms


def test_clock_advance_in_milliseconds(mock: KlingMock) -> None:
    assert mock.http.post("/__mock__/clock/advance", json={"milliseconds": 250}).json()["now_ms"] == (
        mock.settings.virtual_clock_start_ms + 250
    )


def test_real_clock_cannot_be_advanced(make_mock) -> None:
    mock = make_mock(clock="real")
    response = mock.http.post("/__mock__/clock/advance", json={"seconds": 1})
    assert response.json()["code"] == 1201
    assert "real" in response.json()["message"]


def test_journal_records_each_api_request(mock: KlingMock, dmx: httpx.Client) -> None:
    task_id = data(dmx.post(TASKS, json=text_body(), headers={"X-Mock-Scenario": "slow"}))["task_id"]
    dmx.get(f"{TASKS}/{task_id}")
    dmx.get(f"{TASKS}/nope")
    entries = mock.requests()
    assert [(e["method"], e["status"], e["code"], e["task_id"]) for e in entries] == [
        ("POST", 200, 0, task_id),
        ("GET", 200, 0, task_id),
        ("GET", 404, 1203, "nope"),
    ]
    assert entries[0]["scenario"] == "slow"
    assert entries[0]["body"] == text_body()
    assert entries[0]["gateway"] == "dmxapi"
    assert mock.requests(code=1203)[0]["path"] == f"/kling{TASKS}/nope"


def test_journal_keeps_no_audio_bytes(mock: KlingMock, dmx: httpx.Client) -> None:
    from contract_tests.bodies import audio_file_body

    body = audio_file_body()
    dmx.post(TASKS, json=body)
    (entry,) = mock.requests()
    assert entry["body"]["input"]["audio_file"] == f"<{len(body['input']['audio_file'])} base64 characters>"


def test_scenarios_are_listed_with_their_meaning(mock: KlingMock) -> None:
    listed = mock.http.get("/__mock__/scenarios").json()
    assert [s["name"] for s in listed["scenarios"]] == list(SCENARIOS)
    assert all(s["meaning"] for s in listed["scenarios"])
    assert any("X-Mock-Scenario" in way for way in listed["choose_with"])


def test_config_changes_apply_and_bad_values_are_refused(mock: KlingMock) -> None:
    config = mock.http.get("/__mock__/config").json()
    assert set(config["changeable"]) == RUNTIME_FIELDS
    assert config["config"]["secret_key"] == "***"
    assert mock.configure(max_in_flight=2)["max_in_flight"] == 2
    for bad in ({"max_in_flight": 0}, {"chaos_rate": 2}, {"db": "/tmp/x"}, {"nope": 1}, {"max_in_flight": "many"}):
        response = mock.http.put("/__mock__/config", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["code"] == 1201
    assert mock.http.get("/__mock__/config").json()["config"]["max_in_flight"] == 2


def test_admin_token_protects_everything_but_health_videos_and_docs(make_mock) -> None:
    mock = make_mock(admin_token="let-me-in")
    assert mock.http.get("/__mock__/config").json()["code"] == 1001
    assert mock.http.get("/__mock__/config", headers={"Authorization": "Bearer wrong"}).json()["code"] == 1002
    ok = mock.http.get("/__mock__/config", headers={"Authorization": "Bearer let-me-in"})
    assert ok.json()["config"]["admin_token"] == "***"
    assert mock.http.get("/__mock__/health").json()["status"] == "ok", "liveness probes send no token"
    assert mock.http.get("/__mock__/videos/any.mp4").status_code == 200
    assert mock.http.get("/__mock__/docs").status_code == 200
    assert mock.advance(1) == mock.settings.virtual_clock_start_ms + 1000, "KlingMock sends the token"


def test_admin_openapi_describes_every_admin_route(mock: KlingMock) -> None:
    document = yaml.safe_load(mock.http.get("/__mock__/admin.yaml").text)
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    routes = {
        (re.sub(r"<(\w+)>", r"{\1}", rule.rule.removeprefix("/__mock__")), method.lower())
        for rule in mock.app.url_map.iter_rules()
        if rule.rule.startswith("/__mock__")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert documented == routes


def test_admin_openapi_is_valid() -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    from mock_server.admin import ADMIN_SPEC

    document, base_uri = read_from_filename(str(ADMIN_SPEC))
    validate(document, base_uri=base_uri)


def test_video_download_supports_ranges(mock: KlingMock) -> None:
    partial = mock.http.get("/__mock__/videos/x.mp4", headers={"Range": "bytes=0-7"})
    assert partial.status_code == 206
    assert partial.content[4:8] == b"ftyp"
