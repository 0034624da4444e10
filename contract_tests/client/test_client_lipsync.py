"""The hand-written client, through the pytest plugin's fixtures: create, get, list, wait, download."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import random
from pathlib import Path

import httpx
import jwt
import pytest

import kling_lipsync
from contract_tests.strategies import ASSETS
from kling_lipsync import (
    AccountError,
    AsyncLipSync,
    AudioFileError,
    AuthenticationError,
    InvalidRequestError,
    LipSync,
    PolicyError,
    RateLimitError,
    ServerError,
    TaskFailed,
)
from kling_lipsync.audio import MAX_AUDIO_BYTES
from kling_lipsync.auth import KlingJwtSigner
from kling_lipsync.errors import error_from_response
from kling_lipsync.testing import KlingMock
from kling_lipsync_client.models import LipSyncTask, TaskStatus
from kling_spec import error_catalogue
from mock_server.scenarios import NO_HUMAN_MESSAGE

VIDEO = "https://example.com/face.mp4"


def test_public_names_are_exactly_all() -> None:
    public = {name for name in dir(kling_lipsync) if not name.startswith(("_", "@"))}
    modules = {
        "audio",
        "auth",
        "client",
        "conformance",
        "errors",
        "planning",
        "retry",
        "testing",
        "pytest_plugin",
        "cli",
        "voices",
    }
    assert public - modules == set(kling_lipsync.__all__)


def test_type_checkers_see_exactly_the_names_loaded_at_run_time() -> None:
    """The package's names load on first use (``_EXPORTS``); its ``TYPE_CHECKING`` imports must name the same."""
    import ast

    tree = ast.parse(Path(kling_lipsync.__file__).read_text(encoding="utf-8"))
    guarded = next(node for node in tree.body if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))
    for_type_checkers = {
        (node.module, alias.name) for node in guarded.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    at_run_time = {(module, name) for module, names in kling_lipsync._EXPORTS.items() for name in names}
    assert for_type_checkers == at_run_time
    assert all(getattr(kling_lipsync, name) is not None for _, name in at_run_time)


def test_text_task_from_create_to_download(kling_mock: KlingMock, kling_client: LipSync, tmp_path: Path) -> None:
    created = kling_client.create_text("Hello there", "oversea_male1", voice_language="en", video_url=VIDEO)
    assert created.task_status is TaskStatus.SUBMITTED
    task = kling_client.wait(created.task_id)
    assert task.task_status is TaskStatus.SUCCEED
    progress: list[tuple[int, int | None]] = []
    path = kling_client.download(
        task, tmp_path / "out" / "result.mp4", on_progress=lambda d, t: progress.append((d, t))
    )
    content = path.read_bytes()
    assert content[4:8] == b"ftyp"
    assert progress[-1] == (len(content), len(content))
    assert [p.name for p in path.parent.iterdir()] == ["result.mp4"], "no partial file is left behind"
    (sent,) = kling_mock.assert_request_made(method="POST", count=1)
    assert sent["body"]["input"] == {
        "mode": "text2video",
        "video_url": VIDEO,
        "text": "Hello there",
        "voice_id": "oversea_male1",
        "voice_language": "en",
        "voice_speed": 1.0,
    }


@pytest.mark.parametrize("kind", ["mp3", "wav", "m4a", "aac"])
def test_audio_from_a_local_file_is_checked_and_sent_as_base64(
    kling_mock: KlingMock, kling_client: LipSync, kind: str
) -> None:
    path = ASSETS / f"tone.{kind}"
    created = kling_client.create_audio(audio_path=path, video_id="my-kling-video")
    assert kling_client.wait(created.task_id).task_status is TaskStatus.SUCCEED
    (sent,) = kling_mock.requests(method="POST")
    assert sent["body"]["input"]["audio_file"] == f"<{len(base64.b64encode(path.read_bytes()))} base64 characters>"


def test_audio_files_are_refused_before_sending(kling_mock: KlingMock, kling_client: LipSync, tmp_path: Path) -> None:
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("not audio")
    too_big = tmp_path / "big.wav"
    too_big.write_bytes((ASSETS / "tone.wav").read_bytes() + b"\0" * MAX_AUDIO_BYTES)
    for path in (not_audio, too_big):
        with pytest.raises(AudioFileError):
            kling_client.create_audio(audio_path=path, video_url=VIDEO)
    assert kling_mock.requests() == [], "nothing was sent"


def test_audio_from_a_url(kling_client: LipSync) -> None:
    created = kling_client.create_audio(audio_url="https://example.com/line.m4a", video_url=VIDEO)
    assert kling_client.get(created.task_id).task_status is TaskStatus.SUBMITTED


def test_exactly_one_video_and_one_audio_source(kling_client: LipSync) -> None:
    with pytest.raises(ValueError, match="video"):
        kling_client.create_text("hi", "AOT", voice_language="en")
    with pytest.raises(ValueError, match="audio"):
        kling_client.create_audio(video_url=VIDEO)


def test_failed_task_raises_with_the_service_message(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync(scenario="no-human") as client:
        created = client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
        with pytest.raises(TaskFailed) as failure:
            client.wait(created.task_id)
    assert failure.value.message == NO_HUMAN_MESSAGE
    assert failure.value.task_id == created.task_id


@pytest.mark.kling_mock(max_in_flight=100)
def test_tasks_iterates_every_page_newest_first(kling_client: LipSync) -> None:
    ids = [kling_client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO).task_id for _ in range(7)]
    assert [t.task_id for t in kling_client.tasks(page_size=3)] == ids[::-1]


# -- errors -------------------------------------------------------------------------------------------

CATEGORY_CLASSES = {
    "authentication": AuthenticationError,
    "account": AccountError,
    "invalid_request": InvalidRequestError,
    "policy": PolicyError,
    "rate_limit": RateLimitError,
    "server": ServerError,
}


@pytest.mark.parametrize("row", list(error_catalogue().values()), ids=lambda row: str(row.code))
def test_every_code_maps_to_its_category_class(row) -> None:
    error = error_from_response(row.http_status, {"code": row.code, "message": row.message, "request_id": "r-1"})
    assert type(error) is CATEGORY_CLASSES[row.category]
    assert (error.code, error.message, error.request_id, error.http_status) == (
        row.code,
        row.message,
        "r-1",
        row.http_status,
    )
    assert f"Kling {row.code}" in str(error)


@pytest.mark.kling_mock(retry_after_seconds=None)
def test_api_errors_reach_the_caller_typed(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync(scenario="content-policy") as client, pytest.raises(PolicyError) as refused:
        client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
    assert refused.value.code == 1301
    assert refused.value.request_id
    with kling_mock.lipsync() as client, pytest.raises(InvalidRequestError) as missing:
        client.get("860000000000000999")
    assert (missing.value.code, missing.value.http_status) == (1203, 404)


def test_the_proxys_own_401_is_an_authentication_error(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync("not-an-sk-token") as client, pytest.raises(AuthenticationError) as refused:
        client.get("860000000000000001")
    assert refused.value.code is None
    assert refused.value.request_id
    assert "not-an-sk-token" not in str(refused.value) + repr(refused.value)


def test_validation_errors_are_never_retried(kling_mock: KlingMock, kling_client: LipSync) -> None:
    with pytest.raises(InvalidRequestError):
        kling_client.create_text("x" * 121, "AOT", voice_language="en", video_url=VIDEO)
    kling_mock.assert_request_made(method="POST", count=1)


def test_create_is_retried_when_refused_before_acceptance(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync(scenario="concurrency") as client, pytest.raises(RateLimitError):
        client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
    attempts = kling_mock.requests(method="POST")
    assert len(attempts) == client._core.retry.max_attempts
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(attempts)]
    assert gaps == sorted(gaps), "backoff grows"
    assert gaps[0] >= 900, "the first retry waits about a second"


@pytest.mark.parametrize("scenario", ["server-error", "timeout"])
def test_create_is_not_sent_twice_when_it_may_have_been_accepted(kling_mock: KlingMock, scenario: str) -> None:
    with kling_mock.lipsync(scenario=scenario) as client, pytest.raises(ServerError):
        client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
    kling_mock.assert_request_made(method="POST", count=1)
    with kling_mock.lipsync(scenario=scenario) as client, pytest.raises(ServerError):
        client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO, retry_unsafe=True)
    assert len(kling_mock.requests(method="POST")) == 1 + client._core.retry.max_attempts


@pytest.mark.kling_mock(retry_after_seconds=7)
def test_retry_after_is_honoured(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync(scenario="rate-limit") as client, pytest.raises(RateLimitError):
        client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
    attempts = kling_mock.requests(method="POST")
    assert all(b["at"] - a["at"] >= 7000 for a, b in itertools.pairwise(attempts))


def test_transport_errors_are_typed_and_connect_failures_retried() -> None:
    calls: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("connection refused", request=request)

    client = LipSync("http://127.0.0.1:9", "sk-x", transport=httpx.MockTransport(refuse), sleep=lambda s: None)
    with pytest.raises(kling_lipsync.TransportError):
        client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
    assert len(calls) == client._core.retry.max_attempts, "never sent, so safe to send again"


def test_tokens_never_appear_in_reprs_or_errors(kling_mock: KlingMock) -> None:
    secret = "sk-super-secret-token"
    with kling_mock.lipsync(secret, scenario="balance") as client:
        with pytest.raises(AccountError) as refused:
            client.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
        shown = repr(client) + str(refused.value) + repr(refused.value) + repr(client._http.auth)
    assert secret not in shown
    jwt_client = LipSync("http://x", access_key="ak", secret_key="sk-the-secret-key-of-32-bytes!!!")
    assert "the-secret" not in repr(jwt_client) + repr(jwt_client._http.auth)


def test_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_BASE_URL", "http://from-env.test/kling")
    monkeypatch.setenv("KLING_API_TOKEN", "sk-env")
    assert LipSync().base_url == "http://from-env.test/kling"
    monkeypatch.delenv("KLING_BASE_URL")
    assert LipSync().base_url == kling_lipsync.DEFAULT_DMXAPI_URL
    monkeypatch.delenv("KLING_API_TOKEN")
    with pytest.raises(kling_lipsync.KlingError, match="no credentials"):
        LipSync()


def test_access_keys_sign_a_jwt_that_the_kling_gateway_accepts(kling_mock: KlingMock) -> None:
    settings = kling_mock.settings
    with kling_mock.lipsync(
        gateway="kling", token=None, access_key=settings.access_key, secret_key=settings.secret_key
    ) as c:
        created = c.create_text("hi", "AOT", voice_language="en", video_url=VIDEO)
        assert c.get(created.task_id).task_id == created.task_id
    (entry,) = kling_mock.requests(method="POST")
    assert entry["account"] == f"kling:{settings.access_key}"


def test_the_jwt_is_cached_while_fresh_and_signed_anew_before_it_expires() -> None:
    wall = [1_800_000_000.0]
    signer = KlingJwtSigner("ak", "a-secret-key-of-thirty-two-bytes", wall_clock=lambda: wall[0])
    first = signer()
    claims = jwt.decode(
        first,
        "a-secret-key-of-thirty-two-bytes",
        algorithms=["HS256"],
        options={"verify_exp": False, "verify_nbf": False},
    )
    assert claims == {"iss": "ak", "exp": 1_800_001_800, "nbf": 1_799_999_995}
    wall[0] += 1000
    assert signer() == first
    wall[0] += 1800 - 1000 - 30
    assert signer() != first


def test_async_twin(kling_mock: KlingMock, tmp_path: Path) -> None:
    async def scenario() -> tuple[LipSyncTask, Path, list[str]]:
        async with kling_mock.async_lipsync() as client:
            assert isinstance(client, AsyncLipSync)
            created = await client.create_audio(audio_url="https://example.com/a.mp3", video_url=VIDEO)
            task = await client.wait(created.task_id)
            path = await client.download(task, tmp_path / "async.mp4")
            listed = [t.task_id async for t in client.tasks()]
            return task, path, listed

    task, path, listed = asyncio.run(scenario())
    assert task.task_status is TaskStatus.SUCCEED
    assert path.read_bytes()[4:8] == b"ftyp"
    assert listed == [task.task_id]


def test_retry_delays_grow_and_stay_jittered() -> None:
    policy = kling_lipsync.RetryPolicy()
    rng = random.Random(3)
    delays = [policy.delay(n, rng) for n in range(1, 8)]
    assert all(0.9 * min(30, 2 ** (n - 1)) <= d <= 1.1 * min(30, 2 ** (n - 1)) for n, d in enumerate(delays, 1))
    assert policy.delay(1, rng, retry_after=12) == 12
    assert dataclasses.replace(policy, jitter=0).delay(3, rng) == 4


# -- what a new user met ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("voice_id", "language"), [("oversea_male1", "en"), ("girlfriend_1_speech02", "zh")])
def test_create_text_infers_the_language_from_the_voice_as_the_cli_does(
    kling_mock: KlingMock, voice_id: str, language: str
) -> None:
    with kling_mock.lipsync() as lip:
        created = lip.create_text("Hi", voice_id, video_url=VIDEO)
        assert lip.get(created.task_id).task_id == created.task_id
    (create,) = kling_mock.requests(method="POST")
    assert create["body"]["input"]["voice_language"] == language


def test_an_unknown_voice_without_a_language_is_refused_before_sending(kling_mock: KlingMock) -> None:
    with (
        kling_mock.lipsync() as lip,
        pytest.raises(ValueError, match=r"unknown voice id 'no_such_voice': `kling-lipsync voices`"),
    ):
        lip.create_text("Hi", "no_such_voice", video_url=VIDEO)
    assert kling_mock.requests() == []


def test_a_voice_in_two_languages_is_left_to_the_service_s_default(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync() as lip:
        lip.create_text("Hi", "genshin_vindi2", video_url=VIDEO)
    (create,) = kling_mock.requests(method="POST")
    assert "voice_language" not in create["body"]["input"]


def test_a_dmxapi_key_on_the_kling_gateway_is_told_where_dmxapi_keys_go(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync("sk-a-dmxapi-key", gateway="kling") as lip, pytest.raises(AuthenticationError) as refused:
        lip.get("860000000000000001")
    assert refused.value.code == 1002
    assert "an sk- key is a DMXAPI key, and DMXAPI answers under /kling" in str(refused.value)
    assert "sk-a-dmxapi-key" not in str(refused.value)


def test_a_kling_key_refused_on_the_kling_gateway_gets_no_dmxapi_hint(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync("not-a-kling-key", gateway="kling") as lip, pytest.raises(AuthenticationError) as refused:
        lip.get("860000000000000001")
    assert "DMXAPI" not in str(refused.value)
