"""What never reaches a cassette, and a recorder that never fails a request it could forward (in process)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import jwt
import pytest
import vcr

from mock_server.recording.cassette import Cassette, Interaction, read_cassette
from mock_server.recording.recorder import Recorder
from mock_server.recording.redaction import REDACTED, media_reference, pseudonym, redact_json, redact_url
from mock_server.wire import FAULT_HEADER, IN_PROCESS, Wire

SECRET = "top-secret-signing-key-0123456789"
SIGNED = "https://cdn.example.com/v/r.mp4?x-oss-signature=abc123SIG&Expires=1799999999&w=720"


def a_jwt(issuer: str, seconds: int) -> str:
    now = int(time.time())
    return jwt.encode({"iss": issuer, "exp": now + seconds, "nbf": now}, SECRET, algorithm="HS256")


def test_a_key_gets_one_pseudonym_and_two_keys_two() -> None:
    assert pseudonym(f"Bearer {a_jwt('ak-one', 60)}") == pseudonym(f"Bearer {a_jwt('ak-one', 120)}")
    assert pseudonym(f"Bearer {a_jwt('ak-one', 60)}") != pseudonym(f"Bearer {a_jwt('ak-two', 60)}")
    assert pseudonym("Bearer sk-aaa") == pseudonym("Bearer sk-aaa") != pseudonym("Bearer sk-bbb")
    shown = pseudonym("Bearer sk-aaa") or ""
    assert shown.startswith("Bearer key-")
    assert "aaa" not in shown


def test_signing_parameters_are_redacted_and_the_others_kept() -> None:
    assert redact_url(SIGNED) == f"https://cdn.example.com/v/r.mp4?x-oss-signature={REDACTED}&Expires={REDACTED}&w=720"
    assert redact_url("https://cdn.example.com/v/r.mp4?w=720") == "https://cdn.example.com/v/r.mp4?w=720"


def test_media_becomes_the_hash_and_size_of_its_bytes() -> None:
    audio = Path("contract_tests/assets/line-3s.mp3").read_bytes()
    encoded = base64.b64encode(audio).decode()
    expected = f"kling-media:sha256={hashlib.sha256(audio).hexdigest()};bytes={len(audio)}"
    assert media_reference(encoded) == expected
    body = {"input": {"audio_file": encoded, "text": "short", "video_url": SIGNED}}
    assert redact_json(body, media=True) == {
        "input": {"audio_file": expected, "text": "short", "video_url": redact_url(SIGNED)}
    }


# -- vcrpy and pytest-recording users: the plugin's kling_vcr_config --------------------------------------------


class _Service(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"code": 0, "data": {"task_result": {"videos": [{"url": SIGNED}]}}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "session=cookie-secret")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_vcrpy_with_kling_vcr_config_keeps_no_secret(
    service: str, kling_vcr_config: dict[str, Any], tmp_path: Path
) -> None:
    token = a_jwt("ak-vcr", 60)
    audio = base64.b64encode(b"\xff\xfb" + bytes(2000)).decode()
    path = tmp_path / "cassette.yaml"
    with vcr.VCR(**kling_vcr_config).use_cassette(str(path)), httpx.Client() as http:
        answer = http.post(
            f"{service}/v1/videos/lip-sync",
            json={"input": {"audio_file": audio}},
            headers={"Authorization": f"Bearer {token}", "Cookie": "session=cookie-secret"},
        )
    assert answer.json()["data"]["task_result"]["videos"][0]["url"] == SIGNED, "the client gets the real answer"
    text = path.read_text(encoding="utf-8")
    for secret in (token, SECRET, "cookie-secret", "abc123SIG", audio[:200]):
        assert secret not in text
    _, (item,) = read_cassette(path)
    assert item.request_headers["authorization"] == [pseudonym(f"Bearer {token}")]
    assert int(item.response_headers["content-length"][0]) == len(item.response_body), "Content-Length kept true"
    with vcr.VCR(**kling_vcr_config).use_cassette(str(path), record_mode="none"), httpx.Client() as http:
        replayed = http.post(f"{service}/v1/videos/lip-sync", json={"input": {"audio_file": audio}})
    assert replayed.json()["data"]["task_result"]["videos"][0]["url"] == redact_url(SIGNED)


# -- the recorder, in process -------------------------------------------------------------------------------------


class Recorded(NamedTuple):
    client: httpx.Client
    cassette: Cassette
    recorder: Recorder

    def interactions(self) -> list[Interaction]:
        return read_cassette(self.cassette.path)[1]


def recorded_through(upstream: httpx.MockTransport, tmp_path: Path, **options: Any) -> Recorded:
    cassette = Cassette(tmp_path / "run.yaml", {"upstream": "https://api.example.com"})
    recorder = Recorder("https://api.example.com", cassette, transport=upstream, **options)
    app = Wire(recorder)

    def in_process(environ: dict[str, Any], start_response: Any) -> Any:
        environ[IN_PROCESS] = True  # a fault travels as a header here (mock_server.wire)
        return app(environ, start_response)

    return Recorded(
        httpx.Client(transport=httpx.WSGITransport(app=in_process), base_url="http://recorder"), cassette, recorder
    )


def test_a_cassette_that_cannot_be_written_fails_no_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = httpx.MockTransport(lambda request: httpx.Response(200, json={"code": 0, "data": []}))
    client, cassette, _ = recorded_through(upstream, tmp_path)

    def full_disk(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cassette, "_create", full_disk)
    with caplog.at_level(logging.ERROR, logger="kling_lipsync.record"):
        answer = client.get("/v1/videos/lip-sync", headers={"Authorization": "Bearer sk-x"})
    assert (answer.status_code, answer.json()) == (200, {"code": 0, "data": []})
    assert "could not record GET" in caplog.text


def test_an_upstream_timeout_is_no_answer_for_the_client_and_a_fault_in_the_cassette(tmp_path: Path) -> None:
    def stalls(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    recorded = recorded_through(httpx.MockTransport(stalls), tmp_path)
    answer = recorded.client.get("/kling/v1/videos/lip-sync/1", headers={"Authorization": "Bearer sk-x"})
    assert answer.headers[FAULT_HEADER].startswith("fault=empty-response"), "the client is given no answer"
    (item,) = recorded.interactions()
    assert (item.fault, item.status, item.uri) == (
        "empty-response",
        0,
        "https://api.example.com/kling/v1/videos/lip-sync/1",
    )
    assert "ReadTimeout" in (item.upstream_error or "")


def test_results_are_saved_beside_the_cassette_only_when_asked_once_each_under_names_that_cannot_clash(
    tmp_path: Path,
) -> None:
    other = SIGNED.replace("/v/r.mp4", "/w/r.mp4")  # another task's result of the same file name

    def service(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.example.com":
            return httpx.Response(200, content=f"MP4 of {request.url.path}".encode())
        videos = [{"url": SIGNED}, {"url": other}]
        return httpx.Response(200, json={"code": 0, "data": {"task_result": {"videos": videos}}})

    for media, saved in ((None, 0), (tmp_path / "media", 2)):
        recorded = recorded_through(httpx.MockTransport(service), tmp_path, media_folder=media)
        for _ in range(2):
            answer = recorded.client.get("/v1/videos/lip-sync/1")
        recorded.recorder.close()  # the downloads are done in a thread of their own; close waits for them
        assert answer.json()["data"]["task_result"]["videos"][0]["url"] == SIGNED
        assert REDACTED in str(recorded.interactions()[0].response_body)
        files = sorted((tmp_path / "media").glob("*"))
        assert len(files) == saved
    assert sorted(f.read_bytes() for f in files) == [b"MP4 of /v/r.mp4", b"MP4 of /w/r.mp4"]
    assert all(f.name.endswith("-r.mp4") for f in files)


def test_keys_outside_a_bearer_header_stay_out_of_the_cassette(tmp_path: Path) -> None:
    upstream = httpx.MockTransport(lambda request: httpx.Response(200, json={"code": 0, "data": []}))
    recorded = recorded_through(upstream, tmp_path)
    recorded.client.get(
        "/v1/videos/lip-sync?api_key=sk-in-the-query",
        headers={"Authorization": "sk-no-scheme-key", "x-api-key": "sk-x-api-key"},
    )
    text = (tmp_path / "run.yaml").read_text(encoding="utf-8")
    for secret in ("sk-in-the-query", "sk-no-scheme", "sk-x-api-key"):
        assert secret not in text
    assert recorded.interactions()[0].uri.endswith(f"api_key={REDACTED}")


def test_a_replayed_create_cannot_aim_its_callback_at_the_mock() -> None:
    from contract_tests.recording.test_replay import FROM_THE_MOCK, LEGACY_BODY
    from kling_lipsync.testing import KlingMock

    with KlingMock({"replay": str(FROM_THE_MOCK)}) as mock, mock.httpx_client("sk-replayer") as client:
        for hook in (f"{mock.base_url}/__mock__/reset", {"a": 1}):
            refused = client.post("/v1/videos/lip-sync", json={**LEGACY_BODY, "callback_url": hook})
            assert (refused.status_code, refused.json()["code"]) == (400, 1201), refused.text


class Streamed(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def test_what_httpx_would_refuse_or_decode_is_forwarded_as_sent_and_recorded_readable(tmp_path: Path) -> None:
    seen: list[bytes] = []
    page = json.dumps({"code": 0, "data": [], "message": "SUCCEED"}).encode()

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.raw[[k for k, _ in request.headers.raw].index(b"x-note")][1])
        # gzip although the recorder asked for identity: the client still gets it, the cassette reads it
        streamed = Streamed([gzip.compress(page)])  # as the network gives it: not read yet
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=streamed)

    recorded = recorded_through(httpx.MockTransport(upstream), tmp_path)
    # httpx cannot send a non-ASCII header in process: the WSGI call a server makes, by hand
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/v1/videos/lip-sync", "QUERY_STRING": ""}
    environ |= {"wsgi.input": io.BytesIO(b""), "HTTP_X_NOTE": "café".encode().decode("latin1")}
    started: list[str] = []
    body = b"".join(recorded.recorder(environ, lambda status, headers: started.append(status)))
    assert (started, gzip.decompress(body)) == (["200 OK"], page), "the client gets the bytes as sent"
    assert seen == ["café".encode()], "a header value's bytes reach the upstream unchanged"
    (item,) = recorded.interactions()
    assert item.response_json() == json.loads(page)
    assert "content-encoding" not in item.response_headers, "the cassette keeps the body decoded"


def test_a_cassette_grows_by_appending_and_reads_back_whole_after_every_exchange(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "run.yaml", {"note": "appends"})
    written = []
    for n in range(3):
        item = Interaction("POST", f"https://x/v1/{n}", {"a": ["1"]}, json.dumps({"n": n}), 200, "OK", {}, "é\n" * n)
        cassette.append(item)
        written.append(item)
        metadata, items = read_cassette(cassette.path)
        assert (metadata, items) == ({"note": "appends"}, written)
    assert len(vcr.cassette.Cassette.load(path=str(cassette.path)).data) == 3, "vcrpy reads it unchanged"
