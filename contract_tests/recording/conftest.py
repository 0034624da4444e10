"""A recording made the way a user makes one: the mock served as the upstream, ``kling-lipsync record`` in front.

``recorded`` (once per worker) runs ``journey.py`` through the recorder, then a few exchanges a recording
should keep as they were (a list page, an unknown task's 1203, a 500 the upstream answered, a refused create),
all with keys whose every form the tests then look for in the cassette.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest

from contract_tests.helpers import CLI
from contract_tests.recording.journey import LEGACY, Seen, journey
from contract_tests.servers import ProductionMock, ServedMock
from mock_server.recording.recorder import STARTUP_LINE

#: The upstream's Kling-gateway account: the secret that signs its JWTs, and its static API key.
ACCESS_KEY = "ak-recorded-account"
SECRET_KEY = "sk-upstream-secret-0123456789abcdef"
API_KEY = "api-key-9f8e7d6c5b4a"
DMXAPI_TOKEN = "sk-dmxapi-token-5a5a5a5a5a5a"


def a_jwt(seconds: int = 1800) -> str:
    now = int(time.time())
    return jwt.encode({"iss": ACCESS_KEY, "exp": now + seconds, "nbf": now - 5}, SECRET_KEY, algorithm="HS256")


def upstream(*args: str, server: str = "granian") -> ProductionMock:
    """The mock as the service to record: virtual clock, the account above."""
    keys = ["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, "--api-key", API_KEY]
    return ProductionMock(workers=1, server=server, args=["--clock", "virtual", *keys, *args])


def recorder(upstream_url: str, out: Path, *args: str) -> ServedMock:
    """``kling-lipsync record`` in front of ``upstream_url``, on a free port."""
    command = [CLI, "record", "--upstream", upstream_url, "--out", str(out)]
    return ServedMock([*command, "--port", "0", *args], {}, port=0, announced=True, startup_line=STARTUP_LINE)


def advancing(base_url: str) -> Callable[[int], None]:
    def advance(milliseconds: int) -> None:
        httpx.post(f"{base_url}/__mock__/clock/advance", json={"milliseconds": milliseconds}).raise_for_status()

    return advance


@dataclass(frozen=True)
class Recorded:
    folder: Path
    seen: list[Seen]
    #: Every secret the recorded requests carried.
    secrets: tuple[str, ...]


def record_session(folder: Path, note: str) -> Recorded:
    """Run the journey and the exchanges above through a recorder into ``folder``; what the client saw."""
    tokens = (a_jwt(), a_jwt(1200))  # two JWTs of one account: one pseudonym
    with upstream() as served, recorder(served.url, folder, "--note", note) as proxy:
        seen = journey(proxy.url, tokens[0], advancing(served.url), dmxapi_token=DMXAPI_TOKEN)
        with httpx.Client(base_url=proxy.url, timeout=30) as http:
            kling = {"Authorization": f"Bearer {tokens[1]}"}
            page = http.get(LEGACY.collection_path, params={"pageNum": 1, "pageSize": 30}, headers=kling)
            assert page.json()["code"] == 0
            assert http.get(f"{LEGACY.collection_path}/404404", headers=kling).json()["code"] == 1203
            api_key = {"Authorization": f"Bearer {API_KEY}"}
            failed = http.get(LEGACY.collection_path, headers={**api_key, "X-Mock-Scenario": "server-error"})
            assert failed.status_code == 500
            refused = http.post(LEGACY.collection_path, json={"input": {"mode": "audio"}}, headers=api_key)
            assert refused.json()["code"] == 1201
    return Recorded(folder, seen, (SECRET_KEY, API_KEY, DMXAPI_TOKEN, *tokens))


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    return record_session(tmp_path_factory.mktemp("recorded"), "contract_tests/recording")
