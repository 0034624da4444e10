"""The mock's settings: flags and environment read alike, and the settings no other test exercises."""

from __future__ import annotations

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from mock_server.__main__ import build_parser, main, settings_from_args
from mock_server.settings import ENV_RUN_ID, ENV_SETTINGS, ENV_WORKERS, Settings, UnknownSetting

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
        task_id = data(client.post(TASKS, json=text_body()))["task_id"]
        mock.advance(60)
        (video,) = data(client.get(f"{TASKS}/{task_id}"))["task_result"]["videos"]
    assert video["url"].startswith("https://mock.example.org/__mock__/videos/")


def test_chaos_latency_delays_answers_on_the_wire(make_mock) -> None:
    """In process the delay is not waited for; what would outlast the client's read timeout times out."""
    mock = make_mock(chaos_latency_rate=1.0, chaos_latency_ms=1500)
    with mock.httpx_client("sk-slow", timeout=1.0) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.get(TASKS)
    with mock.httpx_client("sk-slow", timeout=2.0) as patient:
        assert patient.get(TASKS).json()["code"] == 0


# -- an unknown setting is refused with the closest known name, wherever it is given ------------------------

MAX_INFLIGHT = "unknown setting: max_inflight (did you mean max_in_flight?)"


def test_an_unknown_setting_in_a_mapping_names_the_closest(make_mock) -> None:
    """``Settings.from_mapping`` is what ``KlingMock`` and the marker ``@pytest.mark.kling_mock(...)`` use."""
    with pytest.raises(UnknownSetting) as refused:
        Settings.from_mapping({"max_inflight": 1})
    assert str(refused.value) == MAX_INFLIGHT
    with pytest.raises(UnknownSetting, match=r"did you mean max_in_flight\?"):
        make_mock(max_inflight=1)


def test_an_unknown_variable_names_the_closest() -> None:
    with pytest.raises(UnknownSetting) as refused:
        Settings.from_env({"KLING_MOCK_MAX_INFLIGHT": "1"})
    assert str(refused.value) == "unknown variable: KLING_MOCK_MAX_INFLIGHT (did you mean KLING_MOCK_MAX_IN_FLIGHT?)"


def test_what_a_launcher_tells_its_workers_is_not_an_unknown_variable() -> None:
    told = {ENV_RUN_ID: "run", ENV_WORKERS: "2", ENV_SETTINGS: "{}", "KLING_MOCK_QUEUE_SECONDS": "2"}
    assert Settings.from_env(told).queue_seconds == 2


def test_an_unknown_flag_names_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--max-inflight", "1"], prog="kling-lipsync mock") == 2
    said = capsys.readouterr().err
    assert said == "kling-lipsync mock: unknown flag: --max-inflight (did you mean --max-in-flight?)\n"


def test_an_unknown_run_time_change_names_the_closest(make_mock) -> None:
    mock = make_mock()
    answer = mock.http.put("/__mock__/config", json={"max_inflight": 1})
    assert (answer.status_code, answer.json()["code"]) == (400, 1201)
    assert answer.json()["message"] == MAX_INFLIGHT
    known_but_fixed = mock.http.put("/__mock__/config", json={"db": "x.sqlite3"}).json()
    assert known_but_fixed["message"] == "not changeable at run time: db"


def test_a_name_like_no_other_is_refused_without_a_guess() -> None:
    with pytest.raises(UnknownSetting) as refused:
        Settings.from_mapping({"zzz": 1, "qqq": 2})
    assert str(refused.value) == "unknown settings: qqq, zzz"


# -- a command line that cannot start is one line and exit 2 ------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "line"),
    [
        pytest.param(["--port", "99999"], "--port 99999: a port is 0 to 65535 (0 picks a free one)", id="port-99999"),
        pytest.param(["--port", "65536"], "--port 65536: a port is 0 to 65535 (0 picks a free one)", id="port-65536"),
        pytest.param(["--port", "-1"], "--port -1: a port is 0 to 65535 (0 picks a free one)", id="port-minus-1"),
        pytest.param(["--workers", "0"], "--workers 0: must be at least 1", id="no-workers"),
        pytest.param(["--threads", "0"], "--threads 0: must be at least 1", id="no-threads"),
        pytest.param(
            ["--server", "uvicorn"],
            "argument --server: invalid choice: 'uvicorn' (choose from 'granian', 'gunicorn') (see --help)",
            id="unknown-server",
        ),
    ],
)
def test_a_command_line_that_cannot_start_is_one_line(
    flags: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(flags, prog="kling-lipsync mock") == 2
    assert capsys.readouterr().err == f"kling-lipsync mock: {line}\n"
