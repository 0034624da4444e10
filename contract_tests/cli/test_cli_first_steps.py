"""What a new user met first with `kling-lipsync`, each run as ``cli.main([...])`` in-process: help per mode,
``--version``, a missing token, a DMXAPI key on Kling's gateway, Ctrl-C while waiting."""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable

import pytest

from contract_tests.helpers import CliRun, run_cli, wire_cli
from kling_lipsync import cli
from kling_lipsync.testing import KlingMock

VIDEO = "https://example.com/face.mp4"
AUDIO_URL = "https://example.com/line.mp3"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """``kling-lipsync ARGS`` in this process."""
    return lambda *args: run_cli(capsys, list(args))


# -- help and version ---------------------------------------------------------------------------------------------

OWN_OPTIONS = {
    "text": {"--text", "--voice-id", "--voice-language", "--voice-speed"},
    "audio": {"--audio-url", "--audio-file"},
    "advanced": {
        "--audio-url",
        "--audio-file",
        "--audio-id",
        "--audio-ms",
        "--face-id",
        "--crop",
        "--watermark",
        "--text",
        "--voice-id",
        "--voice-language",
        "--voice-speed",
    },  # a text is spoken first
}


@pytest.mark.parametrize("mode", OWN_OPTIONS)
def test_each_submit_mode_s_help_lists_only_its_own_options(run: Callable[..., CliRun], mode: str) -> None:
    done = run("submit", mode, "--help")
    assert done.exit_code == 0
    assert done.out.startswith(f"usage: kling-lipsync submit {mode} ")
    others = set().union(*(options for other, options in OWN_OPTIONS.items() if other != mode)) - OWN_OPTIONS[mode]
    shown = set(done.out.replace(",", " ").replace("[", " ").replace("]", " ").split())
    assert OWN_OPTIONS[mode] <= shown
    assert shown.isdisjoint(others), shown & others
    assert {"--video-url", "--video-id", "--wait", "--out", "--callback-url"} <= shown


def test_version_comes_from_the_package_metadata(run: Callable[..., CliRun]) -> None:
    done = run("--version")
    assert done.exit_code == 0
    assert done.out.strip() == f"kling-lipsync {importlib.metadata.version('kling-lipsync')}"


# -- credentials ---------------------------------------------------------------------------------------------------


def test_a_missing_token_names_the_option_and_the_variables(
    run: Callable[..., CliRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("KLING_API_TOKEN", "KLING_ACCESS_KEY", "KLING_SECRET_KEY", "KLING_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    done = run("status", "860000000000000001")
    assert done.exit_code == 2
    line = done.one_error_line()
    assert "--token" in line
    assert "KLING_API_TOKEN" in line
    assert "token=" not in line


def test_a_dmxapi_key_on_kling_s_gateway_is_told_to_go_under_kling(
    run: Callable[..., CliRun], kling_mock: KlingMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire_cli(monkeypatch, kling_mock)
    done = run("--base-url", kling_mock.url("kling"), "--token", "sk-a-dmxapi-key", "status", "860000000000000001")
    assert done.exit_code == 3
    line = done.one_error_line()
    assert line.startswith("Kling 1002 (HTTP 401)")
    assert "an sk- key is a DMXAPI key, and DMXAPI answers under /kling" in line


# -- Ctrl-C ---------------------------------------------------------------------------------------------------------


def interrupt(seconds: float) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("family_given", "resume_family"),
    [
        pytest.param([], [], id="family-found"),
        pytest.param(["--family", "lip-sync"], ["--family", "lip-sync"], id="family-given"),
    ],
)
def test_ctrl_c_while_waiting_says_the_task_still_runs_and_how_to_resume(
    run: Callable[..., CliRun], kling_mock: KlingMock, monkeypatch: pytest.MonkeyPatch, family_given, resume_family
) -> None:
    base = ["--base-url", kling_mock.url("dmxapi"), "--token", "sk-first-steps"]
    wire_cli(monkeypatch, kling_mock)
    task_id = run(*base, "submit", "audio", "--video-url", VIDEO, "--audio-url", AUDIO_URL).out.strip()
    wire_cli(monkeypatch, kling_mock, sleep=interrupt)
    done = run(*base, "wait", task_id, *family_given, "--out", "out dir/")
    assert done.exit_code == 130
    resume = " ".join(
        ["kling-lipsync wait", task_id, *resume_family, "--out 'out dir/' --base-url", kling_mock.url("dmxapi")]
    )
    *progress, last = done.err.splitlines()
    assert progress == [f"task {task_id}: submitted"], "one line per status, then the error on a line of its own"
    assert last == f"kling-lipsync: error: interrupted; task {task_id} still runs: `{resume}`"


def test_ctrl_c_while_submitting_with_wait_gives_the_new_task_s_id(
    run: Callable[..., CliRun], kling_mock: KlingMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire_cli(monkeypatch, kling_mock, sleep=interrupt)
    done = run("--token", "sk-first-steps", "--base-url", kling_mock.url("dmxapi"), "--json",
               "submit", "audio", "--video-url", VIDEO, "--audio-url", AUDIO_URL, "--wait")  # fmt: skip
    assert done.exit_code == 130
    with kling_mock.lipsync("sk-first-steps") as lip:
        (task,) = lip.tasks()
    resume = f"kling-lipsync wait {task.task_id} --family lip-sync --base-url {kling_mock.url('dmxapi')} --json"
    assert json.loads(done.err) == {
        "error": f"interrupted; task {task.task_id} still runs: `{resume}`",
        "exit_code": 130,
    }


def test_the_module_docstring_lists_every_exit_code_as_the_table_does() -> None:
    documented = cli.__doc__ or ""
    for code, meaning in cli.EXIT_CODES.items():
        assert f"\n    {code}  {meaning}\n" in documented
    assert "\n    130  interrupted" in documented


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        pytest.param(["submit", "audio", "--video-url", VIDEO, "--voice-id", "AOT"],
                     "--voice-id: only for submit text and submit advanced", id="another-mode-s-option"),
        pytest.param(["submit", "text", "--video-url", VIDEO, "--audio-url", AUDIO_URL],
                     "--audio-url: only for submit audio and submit advanced", id="two-other-modes-option"),
        pytest.param(["submit", "--wait", "text", "--video-url", VIDEO, "--text", "hi", "--voice-id", "AOT"],
                     "--wait: give it after the mode (kling-lipsync submit text --wait ...)", id="before-the-mode"),
    ],
)  # fmt: skip
def test_an_option_of_another_mode_is_named_as_such(run: Callable[..., CliRun], args: list[str], shown: str) -> None:
    done = run("--token", "sk-first-steps", *args)
    assert done.exit_code == 2
    assert (
        done.err.splitlines()[-1]
        == f"kling-lipsync submit {args[2] if args[1] == '--wait' else args[1]}: error: {shown}"
    )
