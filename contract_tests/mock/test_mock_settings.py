"""The mock's settings: flags and environment read alike, and the settings no other test exercises."""

from __future__ import annotations

import httpx
import pytest

from contract_tests.bodies import text_body
from mock_server.__main__ import build_parser, main, settings_from_args
from mock_server.settings import Settings

TASKS = "/v1/videos/lip-sync"


def test_flags_are_read_like_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_MOCK_QUEUE_SECONDS", "7")
    args = build_parser().parse_args(
        [
            "--extra-access-keys",
            "ak1:sk1",
            "--extra-access-keys",
            "ak2:sk2",
            "--callback-allowed-hosts",
            "hooks.test",
            "--max-in-flight",
            "3",
            "--strict-video-ids",
            "--clock",
            "virtual",
        ]
    )
    settings = settings_from_args(args)
    assert settings.extra_access_keys == {"ak1": "sk1", "ak2": "sk2"}
    assert settings.callback_allowed_hosts == ("hooks.test",)
    assert (settings.max_in_flight, settings.strict_video_ids, settings.clock) == (3, True, "virtual")
    assert settings.queue_seconds == 7.0, "the environment fills what the flags leave"
    from_env = Settings.from_env({"KLING_MOCK_EXTRA_ACCESS_KEYS": "ak1:sk1,ak2:sk2"})
    assert from_env.extra_access_keys == settings.extra_access_keys


@pytest.mark.parametrize(
    "flags", [["--max-in-flight", "0"], ["--clock", "sometimes"], ["--extra-access-keys", "no-colon"]]
)
def test_impossible_settings_stop_the_mock_with_a_message(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(flags, prog="kling-lipsync mock") == 2
    err = capsys.readouterr().err
    assert err.startswith("kling-lipsync mock: "), "named as the user typed it"
    assert len(err.strip().splitlines()) == 1


def test_public_url_is_the_base_of_result_links(make_mock) -> None:
    mock = make_mock(public_url="https://mock.example.org/")
    with mock.httpx_client("sk-public") as client:
        task_id = client.post(TASKS, json=text_body()).json()["data"]["task_id"]
        mock.advance(60)
        (video,) = client.get(f"{TASKS}/{task_id}").json()["data"]["task_result"]["videos"]
    assert video["url"].startswith("https://mock.example.org/__mock__/videos/")


def test_chaos_latency_delays_answers_on_the_wire(make_mock) -> None:
    """In process the delay is not waited for; what would outlast the client's read timeout times out."""
    mock = make_mock(chaos_latency_rate=1.0, chaos_latency_ms=1500)
    with mock.httpx_client("sk-slow", timeout=1.0) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(TASKS)
    with mock.httpx_client("sk-slow", timeout=2.0) as patient:
        assert patient.get(TASKS).json()["code"] == 0
