"""What a web page could make a browser send to the admin API is refused, over real HTTP (issue 21, defects 3
and 8): a rebound host name, a write from another site, a browser's write that is not JSON; and a start that
exposes the admin API says so."""

from __future__ import annotations

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from contract_tests.servers import GunicornMock
from mock_server.__main__ import risky_settings
from mock_server.settings import Settings

TASKS = "/kling/v1/videos/lip-sync"
EVIL = "http://evil.test"


def refused_1103(answer: httpx.Response) -> str:
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["code"] == 1103
    assert body["request_id"]
    return str(body["message"])


def test_a_rebound_host_name_gets_nothing_of_the_admin_api(served_mock: GunicornMock) -> None:
    port = served_mock.port
    for host in (f"rebind.test:{port}", f"evil.example.com:{port}"):
        answer = httpx.get(f"{served_mock.url}/__mock__/config", headers={"Host": host})
        assert "--allowed-host" in refused_1103(answer)
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"app.localhost:{port}", f"[::1]:{port}"):
        assert httpx.get(f"{served_mock.url}/__mock__/config", headers={"Host": host}).status_code == 200, host
    health = httpx.get(f"{served_mock.url}/__mock__/health", headers={"Host": f"rebind.test:{port}"})
    assert health.status_code == 200, "health, videos and docs stay open"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": EVIL}, id="other-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, id="cross-site"),
        pytest.param({"Origin": EVIL, "Content-Type": "text/plain"}, id="no-cors-fetch"),
        pytest.param({"Origin": "null", "Content-Type": "application/x-www-form-urlencoded"}, id="form"),
    ],
)
def test_a_write_from_another_site_changes_nothing(served_mock: GunicornMock, headers: dict[str, str]) -> None:
    auth = {"Authorization": "Bearer sk-csrf"}
    task_id = data(httpx.post(f"{served_mock.url}{TASKS}", json=text_body(), headers=auth))["task_id"]
    answer = httpx.post(f"{served_mock.url}/__mock__/reset", content=b"x=1", headers=headers)
    assert "another site" in refused_1103(answer)
    assert data(httpx.get(f"{served_mock.url}{TASKS}/{task_id}", headers=auth))["task_id"] == task_id


def test_the_mock_s_own_page_may_write_in_json_only(served_mock: GunicornMock) -> None:
    own = {"Origin": served_mock.url, "Sec-Fetch-Site": "same-origin"}
    body = b'{"audio_id": "own-page-audio", "duration_ms": 3000}'
    plain = httpx.post(
        f"{served_mock.url}/__mock__/media/audio", content=body, headers={**own, "Content-Type": "text/plain"}
    )
    assert (plain.status_code, plain.json()["code"]) == (400, 1200)
    registered = httpx.post(
        f"{served_mock.url}/__mock__/media/audio", content=body, headers={**own, "Content-Type": "application/json"}
    )
    assert registered.status_code == 200, registered.text
    from_curl = httpx.post(f"{served_mock.url}/__mock__/media/audio", content=body.replace(b"own-page", b"curl"),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert from_curl.status_code == 200, "curl -d sends no Origin: taken as JSON, as the docs show"


def test_cors_origins_drive_the_admin_api_only_with_admin_cors(make_mock) -> None:
    app = "http://app.test:3000"
    advance = {"json": {"seconds": 1}, "headers": {"Origin": app}}
    api_only = make_mock(cors_origins=(app,))
    assert api_only.http.post("/__mock__/clock/advance", **advance).json()["code"] == 1103
    both = make_mock(cors_origins=(app,), admin_cors=True)
    assert both.http.post("/__mock__/clock/advance", **advance).status_code == 200
    other = both.http.post("/__mock__/clock/advance", json={"seconds": 1}, headers={"Origin": EVIL})
    assert other.json()["code"] == 1103, "only the named origins"


@pytest.mark.parametrize(
    ("host", "settings", "warned"),
    [
        ("127.0.0.1", Settings(), []),
        ("::1", Settings(), []),
        ("0.0.0.0", Settings(), ["--admin-token"]),
        ("0.0.0.0", Settings(admin_token="t"), []),
        ("127.0.0.1", Settings(cors_origins=("*",), admin_cors=True), ["name the origins"]),
        ("127.0.0.1", Settings(cors_origins=("*",)), []),
    ],
)
def test_a_start_that_exposes_the_admin_api_warns_naming_the_fix(
    host: str, settings: Settings, warned: list[str]
) -> None:
    warnings = risky_settings(host, settings)
    assert len(warnings) == len(warned)
    for warning, fix in zip(warnings, warned, strict=True):
        assert fix in warning


def test_a_host_name_the_user_allowed_is_answered(tmp_path) -> None:
    """``--allowed-host`` (``KLING_MOCK_ALLOWED_HOSTS``): that name is the mock's too, in any case."""
    server = GunicornMock({"KLING_MOCK_ALLOWED_HOSTS": "Mock.Example"}, workers=1, cwd=tmp_path)
    try:
        port = server.port
        allowed = httpx.get(f"{server.url}/__mock__/config", headers={"Host": f"mock.example:{port}"})
        assert allowed.status_code == 200, allowed.text
        assert allowed.json()["config"]["allowed_hosts"] == ["Mock.Example"]
        other = httpx.get(f"{server.url}/__mock__/config", headers={"Host": f"other.example:{port}"})
        refused_1103(other)
    finally:
        server.stop()
