"""CORS, opt-in: off by default (Kling's 404 / 1202 for OPTIONS), and with ``cors_origins`` set, preflights
answered and every answer to an allowed origin readable by the page; once over real HTTP as served."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.servers import ProductionMock
from kling_lipsync.testing import KlingMock
from kling_spec.families import family
from mock_server.__main__ import build_parser, main, settings_from_args
from mock_server.cors import MAX_AGE_SECONDS
from mock_server.settings import Settings

APP = "http://app.test:3000"
TASKS = family("lip-sync").collection_path
ASKED = "authorization, content-type, x-mock-scenario"


def preflight(http: httpx.Client, path: str, origin: str = APP, method: str = "POST") -> httpx.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": ASKED}
    return http.request("OPTIONS", path, headers=headers)


@pytest.fixture
def cors(make_mock) -> KlingMock:
    return make_mock(cors_origins=(APP, "https://admin.example.org"), admin_cors=True, retry_after_seconds=7)


def routed_methods(mock: KlingMock) -> set[str]:
    return {m for rule in mock.app.url_map.iter_rules() for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}


@pytest.mark.parametrize("path", [f"/kling{TASKS}", TASKS, "/__mock__/config"])
def test_off_by_default_options_is_klings_404_1202(kling_mock: KlingMock, path: str) -> None:
    answer = preflight(kling_mock.http, path)
    assert (answer.status_code, answer.json()["code"]) == (404, 1202)
    assert "access-control-allow-origin" not in answer.headers
    with kling_mock.httpx_client() as dmx:
        assert "access-control-allow-origin" not in dmx.get(TASKS, headers={"Origin": APP}).headers


@pytest.mark.parametrize(
    "path",
    [
        f"/kling{TASKS}",
        f"/kling{TASKS}/860000000000000001",
        TASKS,
        f"/scenario/slow/kling{TASKS}",
        "/__mock__/requests",
        "/__mock__/tasks/860000000000000001/state",
        "/nowhere",
    ],
)
def test_a_preflight_from_an_allowed_origin_is_answered_on_every_path(cors: KlingMock, path: str) -> None:
    answer = preflight(cors.http, path)
    assert answer.status_code == 204
    assert answer.content == b""
    assert answer.headers["access-control-allow-origin"] == APP
    assert set(answer.headers["access-control-allow-methods"].split(", ")) == routed_methods(cors)
    assert answer.headers["access-control-allow-headers"] == ASKED
    assert answer.headers["access-control-max-age"] == str(MAX_AGE_SECONDS)
    assert {"Origin", "Access-Control-Request-Headers"} <= {v.strip() for v in answer.headers["vary"].split(",")}


def test_origins_match_whole_and_regardless_of_case(cors: KlingMock) -> None:
    assert preflight(cors.http, TASKS, origin="HTTPS://ADMIN.EXAMPLE.ORG").status_code == 204
    for other in ("http://app.test", "http://app.test:3001", "https://app.test:3000", "http://evil.test", "null"):
        answer = preflight(cors.http, TASKS, origin=other)
        assert (answer.status_code, answer.json()["code"]) == (404, 1202), other
        assert "access-control-allow-origin" not in answer.headers


def test_options_that_is_no_preflight_stays_404_1202(cors: KlingMock) -> None:
    answer = cors.http.request("OPTIONS", TASKS, headers={"Origin": APP})
    assert (answer.status_code, answer.json()["code"]) == (404, 1202)
    assert answer.headers["access-control-allow-origin"] == APP, "readable by the page, as every answer"


def test_cors_opens_the_admin_api_only_with_its_own_setting(make_mock) -> None:
    """``cors_origins`` alone opens the API to those pages, never the admin API (issue 21, defect 8)."""
    mock = make_mock(cors_origins=("*",))
    assert preflight(mock.http, f"/kling{TASKS}").status_code == 204
    refused = preflight(mock.http, "/__mock__/reset", method="POST")
    assert (refused.status_code, refused.json()["code"]) == (404, 1202), "as if CORS were off"
    answer = mock.http.get("/__mock__/config", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_preflight_needs_no_token_not_even_with_an_admin_token(make_mock) -> None:
    mock = make_mock(cors_origins=(APP,), admin_cors=True, admin_token="let-me-in")
    assert preflight(mock.http, "/__mock__/config", method="PUT").status_code == 204
    assert mock.http.get("/__mock__/config", headers={"Origin": APP}).json()["code"] == 1001, "the request does"


def test_every_answer_to_an_allowed_origin_is_readable(cors: KlingMock) -> None:
    with cors.httpx_client("sk-page", headers={"Origin": APP}) as page:
        answers = {
            "created": page.post(TASKS, json=text_body()),
            "refused": page.post(TASKS, json={"input": {}}),
            "rate limited": page.get(TASKS, headers={"X-Mock-Scenario": "rate-limit"}),
            "unknown task": page.get(f"{TASKS}/nope"),
            "wrong method": page.delete(TASKS),
            "proxy's 401": page.get(TASKS, headers={"Authorization": "Bearer nope"}),
            "admin": cors.http.get("/__mock__/clock", headers={"Origin": APP}),
            "video range": cors.http.get("/__mock__/videos/x.mp4", headers={"Origin": APP, "Range": "bytes=0-7"}),
        }
    assert {what: a.status_code for what, a in answers.items()} == {
        "created": 200,
        "refused": 400,
        "rate limited": 429,
        "unknown task": 404,
        "wrong method": 404,
        "proxy's 401": 401,
        "admin": 200,
        "video range": 206,
    }
    for what, answer in answers.items():
        assert answer.headers["access-control-allow-origin"] == APP, what
        assert answer.headers["access-control-expose-headers"] == "Retry-After, Content-Range", what
        assert "Origin" in answer.headers["vary"], what
    assert answers["rate limited"].headers["retry-after"] == "7"


def test_answers_to_no_origin_or_another_carry_no_permission(cors: KlingMock) -> None:
    with cors.httpx_client("sk-page") as page:
        for headers in ({}, {"Origin": "http://evil.test"}):
            answer = page.get(TASKS, headers=headers)
            assert answer.status_code == 200
            assert "access-control-allow-origin" not in answer.headers
            assert answer.headers["vary"] == "Origin", "a cache must not reuse it for an allowed origin"


def test_any_origin_with_a_star(make_mock) -> None:
    mock = make_mock(cors_origins=("*",))
    answer = preflight(mock.http, TASKS, origin="http://anything.test")
    assert (answer.status_code, answer.headers["access-control-allow-origin"]) == (204, "*")
    with mock.httpx_client("sk-page", headers={"Origin": "https://elsewhere.test"}) as page:
        assert page.get(TASKS).headers["access-control-allow-origin"] == "*"


def test_api_preflights_are_journaled_admin_ones_are_not(cors: KlingMock) -> None:
    preflight(cors.http, f"/kling{TASKS}")
    preflight(cors.http, "/__mock__/requests")
    (entry,) = cors.requests()
    assert (entry["method"], entry["path"], entry["status"], entry["code"]) == ("OPTIONS", f"/kling{TASKS}", 204, None)


def test_the_setting_from_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["--cors-origin", APP, "--cors-origins", "https://b.example.org"])
    assert settings_from_args(args).cors_origins == (APP, "https://b.example.org")
    monkeypatch.setenv("KLING_MOCK_CORS_ORIGINS", f"{APP}, *")
    assert Settings.from_env().cors_origins == (APP, "*")
    assert Settings().cors_origins == (), "off by default"
    assert Settings(cors_origins=(APP,)).public()["cors_origins"] == [APP]


@pytest.mark.parametrize("origin", ["http://app.test/", "app.test", "http://app.test/path", "http://", "null"])
def test_what_is_not_an_origin_stops_the_mock(origin: str, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:  # were the origin let through, the mock would stop at this port, not serve
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert main(["--cors-origin", origin, "--port", port], prog="kling-lipsync mock") == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == f"kling-lipsync mock: cors_origins: {origin!r} is not an origin (scheme://host[:port], no path) nor '*'"
    )
    assert len(err.splitlines()) == 1


@pytest.fixture(scope="module")
def served() -> Iterator[ProductionMock]:
    mock = ProductionMock(workers=1, args=["--cors-origin", APP])
    yield mock
    mock.stop()


@pytest.mark.slow
def test_over_real_http_as_served(served: ProductionMock) -> None:
    with httpx.Client(base_url=served.url) as http:
        answer = preflight(http, f"/kling{TASKS}")
        assert (answer.status_code, answer.headers["access-control-allow-origin"]) == (204, APP)
        assert answer.headers["access-control-allow-headers"] == ASKED
        listed = http.get(f"/kling{TASKS}", headers={"Origin": APP, "Authorization": "Bearer sk-http"})
        assert (listed.status_code, listed.headers["access-control-allow-origin"]) == (200, APP)
        refused = preflight(http, f"/kling{TASKS}", origin="http://evil.test")
        assert (refused.status_code, refused.json()["code"]) == (404, 1202)
