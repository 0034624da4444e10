"""Both gateways' tokens: the proxy's sk- keys and the official JWT or API key, with Kling's 401 codes."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from kling_lipsync.testing import KlingMock
from mock_server.auth import make_jwt

TASKS = "/v1/videos/lip-sync"


def official(mock: KlingMock, token: str | None) -> httpx.Response:
    with mock.httpx_client(token, gateway="kling") as client:
        return client.get(TASKS)


def test_kling_gateway_accepts_a_fresh_jwt(mock: KlingMock) -> None:
    token = make_jwt(mock.settings.access_key, mock.settings.secret_key)
    response = official(mock, token)
    assert response.status_code == 200
    assert response.json()["code"] == 0


def test_kling_gateway_accepts_the_api_key_as_the_same_account(mock: KlingMock) -> None:
    token = make_jwt(mock.settings.access_key, mock.settings.secret_key)
    with mock.httpx_client(token, gateway="kling") as client:
        task_id = data(client.post(TASKS, json=text_body()))["task_id"]
    with mock.httpx_client(mock.settings.api_key, gateway="kling") as client:
        assert client.get(f"{TASKS}/{task_id}").json()["code"] == 0


def _claims(mock: KlingMock, **claims: object) -> str:
    now = int(time.time())
    payload = {"iss": mock.settings.access_key, "exp": now + 1800, "nbf": now - 5, **claims}
    return jwt.encode(payload, mock.settings.secret_key, algorithm="HS256")


@pytest.mark.parametrize(
    ("token", "code"),
    [
        pytest.param(lambda m: None, 1001, id="missing"),
        pytest.param(lambda m: "", 1001, id="empty-header"),
        pytest.param(lambda m: "garbage", 1002, id="not-a-jwt"),
        pytest.param(
            lambda m: jwt.encode(
                {"iss": m.settings.access_key, "exp": int(time.time()) + 60},
                "a-wrong-secret-of-thirty-two-bytes!",
                algorithm="HS256",
            ),
            1002,
            id="bad-signature",
        ),
        pytest.param(
            lambda m: jwt.encode(
                {"iss": "stranger", "exp": int(time.time()) + 60}, m.settings.secret_key, algorithm="HS256"
            ),
            1002,
            id="unknown-access-key",
        ),
        pytest.param(
            lambda m: jwt.encode({"iss": m.settings.access_key}, m.settings.secret_key, algorithm="HS256"),
            1002,
            id="no-exp",
        ),
        pytest.param(
            lambda m: jwt.encode(
                {"iss": m.settings.access_key, "exp": int(time.time()) + 60}, m.settings.secret_key, algorithm="HS512"
            ),
            1002,
            id="wrong-algorithm",
            marks=pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
        ),
        pytest.param(lambda m: _claims(m, nbf=int(time.time()) + 600), 1003, id="not-yet-valid"),
        pytest.param(lambda m: _claims(m, exp=int(time.time()) - 10), 1004, id="expired"),
    ],
)
def test_official_token_failures(mock: KlingMock, token, code: int) -> None:
    value = token(mock)
    with mock.httpx_client(None, gateway="kling") as client:
        headers = {} if value is None else {"Authorization": f"Bearer {value}" if value else ""}
        response = client.get(TASKS, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["request_id"]


def test_extra_official_accounts_are_isolated(make_mock) -> None:
    mock = make_mock(extra_access_keys={"team-b": "secret-b-of-at-least-thirty-two-bytes"})
    a = make_jwt(mock.settings.access_key, mock.settings.secret_key)
    b = make_jwt("team-b", "secret-b-of-at-least-thirty-two-bytes")
    with mock.httpx_client(a, gateway="kling") as client:
        task_id = data(client.post(TASKS, json=text_body()))["task_id"]
    with mock.httpx_client(b, gateway="kling") as client:
        assert client.get(f"{TASKS}/{task_id}").json()["code"] == 1203


@pytest.mark.parametrize("token", [None, "not-an-sk-key", "sk-", "Bearer"])
def test_dmxapi_gateway_rejects_with_its_own_body(mock: KlingMock, token: str | None) -> None:
    with mock.httpx_client(token) as client:
        response = client.get(TASKS)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "rix_api_error"
    assert error["code"] == ""
    assert error["message"].startswith("Invalid Token (request id: ")


def test_official_tokens_do_not_open_the_dmxapi_gateway(mock: KlingMock) -> None:
    with mock.httpx_client(mock.settings.api_key) as client:
        assert "error" in client.get(TASKS).json()


def test_tokens_never_reach_the_journal(mock: KlingMock) -> None:
    secret_proxy = "sk-very-secret-proxy-token"
    secret_jwt = make_jwt(mock.settings.access_key, mock.settings.secret_key)
    with mock.httpx_client(secret_proxy) as client:
        client.get(TASKS)
    with mock.httpx_client(secret_jwt, gateway="kling") as client:
        client.get(TASKS)
    journal = mock.http.get("/__mock__/requests").text
    assert "very-secret" not in journal
    assert secret_jwt not in journal
    assert secret_jwt.split(".")[2] not in journal
    assert [e["authorization"] for e in mock.requests()] == ["Bearer sk-***", "Bearer ***"]
