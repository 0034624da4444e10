"""Record through ``kling-lipsync record``, replay with ``kling-lipsync mock --replay``, check, over real HTTP.

The upstream is the mock itself, served on another port (there is no network here): what the recorder must
do does not depend on who answers, and the mock's own transport faults stand in for a failing service.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import httpx
import pytest
import vcr
import yaml

from contract_tests.helpers import CLI
from contract_tests.recording.conftest import (
    Recorded,
    a_jwt,
    advancing,
    recorder,
    upstream,
)
from contract_tests.recording.journey import LEGACY, journey
from contract_tests.servers import ProductionMock
from mock_server.recording.cassette import cassette_files, read_cassette

pytestmark = pytest.mark.slow


def only_cassette(folder: Path) -> Path:
    (path,) = cassette_files(folder)
    return path


def test_a_replay_sees_the_tasks_the_recording_saw(recorded: Recorded) -> None:
    assert [seen.statuses for seen in recorded.seen] == [("submitted", "processing", "succeed")] * 2
    # Another account replays it: the replaying client's own key works, pseudonyms are only the cassette's.
    with ProductionMock(workers=1, args=["--clock", "virtual", "--replay", str(recorded.folder)]) as replaying:
        seen = journey(replaying.url, a_jwt_of_the_replay(), advancing(replaying.url), dmxapi_token="sk-replayer")
    assert seen == recorded.seen, "the same ids, states in the same order, result URLs"


def a_jwt_of_the_replay() -> str:
    """A JWT the replaying mock takes: its own default account (not the recorded one)."""
    import time

    import jwt

    now = int(time.time())
    claims = {"iss": "mock-access-key", "exp": now + 600, "nbf": now - 5}
    return jwt.encode(claims, "mock-secret-key-for-local-testing-only", algorithm="HS256")


def forms_of(secret: str) -> set[str]:
    """A secret as it could leak: raw, base64 (standard and URL-safe, padded or not), each part of a JWT."""
    raw = secret.encode()
    forms = {secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    forms |= {form.rstrip("=") for form in forms}
    if secret.count(".") == 2:
        forms |= set(secret.split("."))
    return {form for form in forms if len(form) >= 8}


def test_no_form_of_a_secret_reaches_the_cassette(recorded: Recorded) -> None:
    text = only_cassette(recorded.folder).read_text(encoding="utf-8")
    for secret in recorded.secrets:
        for form in forms_of(secret):
            assert form not in text, f"a form of {secret[:6]}... is in the cassette"
    assert base64.b64encode(Path("contract_tests/assets/line-3s.mp3").read_bytes()).decode()[:64] not in text
    assert "kling-media:sha256=" in text, "the audio is kept as a reference"
    metadata, interactions = read_cassette(only_cassette(recorded.folder))
    pseudonyms = [item.request_headers["authorization"][0] for item in interactions]
    jwt_calls = {p for p, item in zip(pseudonyms, interactions, strict=True) if not item.path.startswith("/kling")}
    assert len(set(pseudonyms)) == 3, "the account's JWTs share one pseudonym; the API key and DMXAPI's differ"
    assert all(p.startswith("Bearer key-") for p in jwt_calls)
    assert metadata["note"] == "contract_tests/recording"
    assert all(item.recorded_at > 0 and item.elapsed_ms > 0 for item in interactions), "each exchange's time"


def test_vcrpy_plays_the_cassette_back_to_httpx(recorded: Recorded) -> None:
    path = only_cassette(recorded.folder)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = raw["interactions"][0]["request"]
    task_id = json.loads(raw["interactions"][0]["response"]["body"]["string"])["data"]["task_id"]
    base = first["uri"].removesuffix(LEGACY.collection_path)
    with vcr.use_cassette(str(path), record_mode="none"), httpx.Client(base_url=base) as http:
        created = http.post(LEGACY.collection_path, content=first["body"], headers={"Content-Type": "application/json"})
        assert created.json()["data"]["task_id"] == task_id
        statuses = [http.get(f"{LEGACY.collection_path}/{task_id}").json()["data"]["task_status"] for _ in range(3)]
    assert statuses[0] == "submitted"
    assert "succeed" in statuses or "processing" in statuses, statuses


def test_check_recording_passes_on_what_was_recorded(recorded: Recorded) -> None:
    done = run_cli("check-recording", str(recorded.folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no differences" in done.stdout


def test_an_upstream_fault_reaches_the_client_and_the_cassette_as_the_client_saw_it(tmp_path: Path) -> None:
    # gunicorn lends the upstream its socket, so it can reset; the recorder passes the reset on.
    with upstream(server="gunicorn") as served, recorder(served.url, tmp_path) as proxy:
        headers = {"Authorization": f"Bearer {a_jwt()}"}
        with pytest.raises(httpx.TransportError):
            httpx.get(
                f"{proxy.url}{LEGACY.collection_path}", headers={**headers, "X-Mock-Scenario": "connection-reset"}
            )
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{proxy.url}{LEGACY.collection_path}", headers={**headers, "X-Mock-Scenario": "empty-response"})
        unavailable = httpx.get(
            f"{proxy.url}{LEGACY.collection_path}", headers={**headers, "X-Mock-Scenario": "unavailable"}
        )
        assert (unavailable.status_code, unavailable.json()["code"]) == (503, 5001)
        assert httpx.get(f"{proxy.url}{LEGACY.collection_path}", headers=headers).json()["code"] == 0, "still serving"
    _, interactions = read_cassette(only_cassette(tmp_path))
    assert [(item.fault, item.status) for item in interactions] == [
        ("connection-reset", 0),
        ("empty-response", 0),
        (None, 503),
        (None, 200),
    ]
    assert interactions[0].upstream_error


def test_an_upstream_that_is_gone_is_a_reset_and_the_recorder_still_serves(tmp_path: Path) -> None:
    with recorder("http://127.0.0.1:9", tmp_path) as proxy:  # the discard port: nothing listens
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{proxy.url}{LEGACY.collection_path}", headers={"Authorization": "Bearer x"})
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{proxy.url}{LEGACY.collection_path}", headers={"Authorization": "Bearer x"})
    _, interactions = read_cassette(only_cassette(tmp_path))
    assert [item.fault for item in interactions] == ["connection-reset"] * 2
    assert "ConnectError" in (interactions[0].upstream_error or "")


def test_record_refuses_what_cannot_work_in_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    for args, words in [
        (["--upstream", "api.klingai.com", "--out", str(tmp_path)], "give a URL"),
        (["--upstream", "http://127.0.0.1:9", "--out", str(a_file)], "is a file"),
    ]:
        done = run_cli("record", *args)
        assert (done.returncode, len(done.stderr.strip().splitlines())) == (2, 1), done.stderr
        assert words in done.stderr


def test_mock_refuses_a_replay_folder_it_cannot_read_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("interactions: 3\n")
    for folder, words in [(tmp_path / "missing", "not a folder"), (tmp_path, "not a vcrpy cassette")]:
        done = run_cli("mock", "--port", "0", "--replay", str(folder))
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert words in done.stderr
    done = run_cli("mock", "--port", "0", "--replay-strict")
    assert done.returncode == 2, done.stderr
    assert "replay_strict needs replay" in done.stderr


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, check=False)
