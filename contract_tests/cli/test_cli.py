"""The `kling-lipsync` command over real HTTP against the mock under gunicorn, and `make demo`.

The first test runs the installed console script; the others run the command in this process
(``run_cli_as_a_process_would``), which is the same code less 0.4 s of imports a run.
"""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.helpers import CLI, run_cli_as_a_process_would
from contract_tests.servers import ROOT, GunicornMock
from kling_lipsync.cli import EXIT_CODES, Progress
from kling_lipsync_client.models import LipSyncTask

pytestmark = pytest.mark.slow

VIDEO = "https://example.com/face.mp4"


def cli(served_mock: GunicornMock, *args: str, token: str = "sk-cli") -> subprocess.CompletedProcess[str]:
    return run_cli_as_a_process_would(["--base-url", f"{served_mock.url}/kling", "--token", token, *args])


def test_submit_wait_and_save(served_mock: GunicornMock, tmp_path: Path) -> None:
    """The installed console script, in a process of its own, as a user runs it."""
    out = tmp_path / "result.mp4"
    command = [CLI, "--base-url", f"{served_mock.url}/kling", "--token", "sk-cli", "submit", "text",
               "--video-url", VIDEO, "--text", "hi", "--voice-id", "AOT", "--voice-language", "en",
               "--expected-seconds", "0.3", "--out", str(out)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[4:8] == b"ftyp"
    assert "succeed" in done.stdout
    assert f"saved {out}" in done.stdout
    assert ": submitted\n" in done.stderr, "plain progress lines when not a terminal"
    assert done.stderr.strip().endswith(": succeed")


def test_json_output_for_scripts(served_mock: GunicornMock, tmp_path: Path) -> None:
    created = cli(served_mock, "--json", "submit", "audio", "--video-id", "v-1", "--audio-file",
                  str(ROOT / "demo" / "line.mp3"))  # fmt: skip
    assert created.returncode == 0, created.stderr
    task_id = json.loads(created.stdout)["task_id"]
    waited = cli(served_mock, "--json", "wait", task_id, "--expected-seconds", "0.3")
    assert json.loads(waited.stdout)["task_status"] == "succeed"
    assert waited.stderr == "", "--json keeps stderr quiet"
    status = json.loads(cli(served_mock, "--json", "status", task_id).stdout)
    assert LipSyncTask.from_dict(status).task_id == task_id
    listed = [json.loads(line) for line in cli(served_mock, "--json", "list").stdout.splitlines()]
    assert task_id in {t["task_id"] for t in listed}
    saved = cli(served_mock, "--json", "download", task_id, str(tmp_path / "again.mp4"))
    assert json.loads(saved.stdout)["saved_to"].endswith("again.mp4")


@pytest.mark.parametrize(
    ("args", "exit_code", "shown"),
    [
        pytest.param(["status", "860000000000009999"], 3, "Kling 1203 (HTTP 404)", id="unknown-task"),
        pytest.param(
            [
                "submit",
                "text",
                "--video-url",
                VIDEO,
                "--text",
                "x" * 121,
                "--voice-id",
                "AOT",
                "--voice-language",
                "en",
            ],
            3,
            "Kling 1201",
            id="invalid",
        ),
        pytest.param(["submit", "audio", "--video-url", VIDEO, "--audio-file", __file__], 6, "not MP3", id="not-audio"),
        pytest.param(["submit", "text", "--video-url", VIDEO], 2, "needs --text", id="usage"),
    ],
)
def test_errors_are_one_line_with_the_code_and_a_meaningful_exit(served_mock, args, exit_code: int, shown: str) -> None:
    done = cli(served_mock, *args)
    assert done.returncode == exit_code, (done.stdout, done.stderr)
    assert shown in done.stderr
    assert "Traceback" not in done.stderr
    assert exit_code in EXIT_CODES


def test_a_failed_task_exits_1(served_mock: GunicornMock) -> None:
    done = run_cli_as_a_process_would(
        [
            "--base-url",
            f"{served_mock.url}/scenario/no-human/kling",
            "--token",
            "sk-cli",
            "submit",
            "text",
            "--video-url",
            VIDEO,
            "--text",
            "hi",
            "--voice-id",
            "AOT",
            "--voice-language",
            "en",
            "--wait",
            "--expected-seconds",
            "0.3",
        ]
    )
    assert done.returncode == 1
    assert "there is no human in the video" in done.stderr.splitlines()[-1]


def test_the_proxy_refusing_the_token_is_a_readable_line(served_mock: GunicornMock) -> None:
    done = cli(served_mock, "list", token="wrong")
    assert done.returncode == 3
    assert done.stderr.strip().startswith("kling-lipsync: error: proxy (HTTP 401): Invalid Token")
    assert "wrong" not in done.stderr


def test_unreachable_service_exits_4() -> None:
    done = run_cli_as_a_process_would(
        ["--base-url", "http://127.0.0.1:9/kling", "--token", "sk-x", "--max-attempts", "1", "status", "1"]
    )
    assert done.returncode == 4
    assert "ConnectError" in done.stderr


def test_progress_redraws_one_line_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(stream)
    progress.download(512 * 1024, 1024 * 1024)
    progress.download(1024 * 1024, 1024 * 1024)
    progress.end_line()
    assert stream.getvalue().count("\r") == 2
    assert "100% of 1024 KiB" in stream.getvalue()
    assert stream.getvalue().endswith("\n")


@pytest.mark.heavy
def test_make_demo_runs_end_to_end() -> None:
    done = subprocess.run([sys.executable, "demo/demo.py"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for name in ("text2video.mp4", "audio2video.mp4", "advanced.mp4", "advanced-watermarked.mp4", "spoken.mp4"):
        assert (ROOT / "out" / name).read_bytes()[4:8] == b"ftyp"
        assert f"out/{name}" in done.stdout
    assert (ROOT / "out" / "spoken.mp3").read_bytes()[:2] == b"\xff\xf3", "an MP3 frame: the speech, saved"
    shown = [shlex.split(line[2:]) for line in done.stdout.splitlines() if line.startswith("$ ")]
    assert shown, "the demo shows the commands it runs"
    assert all(command[0] == "kling-lipsync" for command in shown)
    assert "Hello from the Kling lip-sync toolkit" in shown[0], "each shown command pastes back into a shell"
