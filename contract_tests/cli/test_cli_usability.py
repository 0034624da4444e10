"""`kling-lipsync` as a person at a shell meets it: readable failures, folders, voices, options anywhere.

Each test runs the command with the console script's arguments, environment and umask against the mock
under gunicorn over HTTP (or against a port nothing listens on), as a user would: in this process, but for
the tests of what a terminal shows, which run the installed script on a pseudo-terminal.
"""

from __future__ import annotations

import json
import os
import pty
import stat
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from contract_tests.helpers import CLI, run_cli_as_a_process_would
from contract_tests.servers import ROOT, GunicornMock
from kling_lipsync.audio import MAX_AUDIO_BYTES
from kling_lipsync.testing import free_port
from kling_spec import load_spec

pytestmark = pytest.mark.slow

VIDEO = "https://example.com/face.mp4"
AUDIO = str(ROOT / "demo" / "line.mp3")
TOKEN = "sk-usability"
#: The environment of every run: no credentials or base URL leak in from the developer's shell.
ENV = {key: value for key, value in os.environ.items() if not key.startswith("KLING_")}


def run(*args: str, umask: int = -1, env: Mapping[str, str] = ENV) -> subprocess.CompletedProcess[str]:
    return run_cli_as_a_process_would(args, env=env, umask=umask)


def cli(
    served_mock: GunicornMock, *args: str, scenario: str | None = None, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    prefix = f"/scenario/{scenario}" if scenario else ""
    return run("--base-url", f"{served_mock.url}{prefix}/kling", "--token", TOKEN, *args, umask=umask)


def run_on_a_terminal(*args: str) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal (``isatty()`` is true there); the exit code and what it showed.

    Read only once the command ended: fine for the few lines these commands show, well under the
    terminal's buffer (a command writing more would block until read).
    """
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            [CLI, *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal, env=ENV, timeout=60
        )
    finally:
        os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the terminal is closed and everything written was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    return done.returncode, shown.decode(errors="replace")


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The failure as shown: exactly one line on stderr, ``kling-lipsync: error: ...``, no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("kling-lipsync: error: "), done.stderr
    return lines[0]


def finished_task(served_mock: GunicornMock, scenario: str | None = None) -> str:
    """A task that already ended (succeeded, or failed under a failing scenario)."""
    created = cli(served_mock, "submit", "audio", "--video-url", VIDEO, "--audio-url", "https://example.com/a.mp3",
                  scenario=scenario)  # fmt: skip
    assert created.returncode == 0, created.stderr
    task_id = created.stdout.strip()
    waited = cli(served_mock, "wait", task_id, "--expected-seconds", "0.3")
    assert waited.returncode == (1 if scenario else 0), waited.stderr
    return task_id


# -- 1. every failure is one line with the README's exit code -----------------------------------------------


def _folder(tmp_path: Path) -> Path:
    return tmp_path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "missing.mp3"


def _unreadable(tmp_path: Path) -> Path:
    path = tmp_path / "secret.mp3"
    path.write_bytes(Path(AUDIO).read_bytes())
    path.chmod(0)
    return path


def _not_audio(tmp_path: Path) -> Path:
    path = tmp_path / "notes.mp3"
    path.write_text("not audio at all\n")
    return path


def _too_large(tmp_path: Path) -> Path:
    path = tmp_path / "long.mp3"
    with path.open("wb") as handle:
        handle.write(b"ID3")
        handle.truncate(MAX_AUDIO_BYTES + 1)  # sparse: no 5 MiB written to disk
    return path


@pytest.mark.parametrize(
    ("make_file", "shown"),
    [
        pytest.param(_missing, "No such file or directory", id="missing"),
        pytest.param(_folder, "Is a directory", id="folder"),
        pytest.param(
            _unreadable,
            "Permission denied",
            id="unreadable",
            marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode"),
        ),
        pytest.param(_not_audio, "not MP3, WAV, M4A or AAC audio", id="not-audio"),
        pytest.param(_too_large, f"more than the {MAX_AUDIO_BYTES}", id="too-large"),
    ],
)
def test_an_unusable_audio_file_exits_6_with_one_line_naming_it(
    served_mock: GunicornMock, tmp_path: Path, make_file: Callable[[Path], Path], shown: str
) -> None:
    path = make_file(tmp_path)
    done = cli(served_mock, "submit", "audio", "--video-url", VIDEO, "--audio-file", str(path))
    assert done.returncode == 6, done.stderr
    line = one_error_line(done)
    assert str(path) in line
    assert shown in line


def test_a_failed_task_exits_1_for_wait_and_for_download(served_mock: GunicornMock, tmp_path: Path) -> None:
    task_id = finished_task(served_mock, scenario="no-human")
    failure = f"kling-lipsync: error: task {task_id} failed: there is no human in the video"
    waited = cli(served_mock, "wait", task_id)
    assert waited.returncode == 1
    assert waited.stderr.splitlines() == [f"task {task_id}: failed", failure], "its progress line, then the failure"
    downloaded = cli(served_mock, "download", task_id, str(tmp_path))
    assert downloaded.returncode == 1
    assert one_error_line(downloaded) == failure
    assert list(tmp_path.iterdir()) == [], "nothing written"


def test_downloading_an_unfinished_task_says_how_to_wait_for_it(served_mock: GunicornMock, tmp_path: Path) -> None:
    created = cli(served_mock, "submit", "audio", "--video-url", VIDEO, "--audio-file", AUDIO, scenario="slow")
    task_id = created.stdout.strip()
    done = cli(served_mock, "download", task_id, str(tmp_path))
    assert done.returncode == 5, done.stderr
    assert f"kling-lipsync wait {task_id} --out" in one_error_line(done)


ONE_SHOT_COMMANDS = {
    "status": ["status", "860000000000000001"],
    "list": ["list"],
    "download": ["download", "860000000000000001", "out.mp4"],
    "submit": ["submit", "audio", "--video-url", VIDEO, "--audio-url", "https://example.com/a.mp3"],
}


@pytest.mark.parametrize("args", ONE_SHOT_COMMANDS.values(), ids=ONE_SHOT_COMMANDS.keys())
def test_a_server_that_is_down_is_named_and_reported_at_once(args: list[str], tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/kling"
    started = time.monotonic()
    done = run("--base-url", base_url, "--token", TOKEN, *args)
    took = time.monotonic() - started
    assert done.returncode == 4, done.stderr
    assert one_error_line(done) == f"kling-lipsync: error: no answer from {base_url}: connection refused [ConnectError]"
    assert took < 5, f"{took:.1f} s: a refused connection is not retried in silence"


def test_retries_show_a_progress_line_on_a_terminal(served_mock: GunicornMock) -> None:
    exit_code, shown = run_on_a_terminal(
        "--base-url", f"{served_mock.url}/scenario/unavailable/kling", "--token", TOKEN, "--max-attempts", "2",
        "status", "860000000000000001",
    )  # fmt: skip
    assert exit_code == 3
    retrying, failed = shown.rstrip().split("\r\n")  # the terminal turns "\n" into "\r\n"
    assert retrying.startswith("\r\x1b[2Kretrying in 1 s (attempt 2): Kling 5001 (HTTP 503)")
    assert failed.startswith("kling-lipsync: error: Kling 5001 (HTTP 503)")
    quiet = cli(served_mock, "--max-attempts", "2", "status", "860000000000000001", scenario="unavailable")
    assert "retrying" not in quiet.stderr, "not on a terminal: only the outcome"


def test_waiting_on_a_server_that_is_down_retries_visibly_until_the_deadline() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/kling"
    exit_code, shown = run_on_a_terminal("--base-url", base_url, "--token", TOKEN, "wait", "1", "--timeout", "2")
    assert exit_code == 5
    assert f"retrying in 1 s (attempt 2): no answer from {base_url}: connection refused" in shown
    last_line = shown.strip().splitlines()[-1]
    assert last_line.startswith("kling-lipsync: error: task 1 still unknown after 2 s; last error: no answer from")


# -- 2. downloads into a folder, with the umask's mode ------------------------------------------------------


def test_download_into_a_folder_saves_task_id_mp4_there(served_mock: GunicornMock, tmp_path: Path) -> None:
    task_id = finished_task(served_mock)
    folder = tmp_path / "videos"
    folder.mkdir()
    done = cli(served_mock, "download", task_id, str(folder))
    assert done.returncode == 0, done.stderr
    saved = folder / f"{task_id}.mp4"
    assert done.stdout == f"saved {saved}\n"
    assert saved.read_bytes()[4:8] == b"ftyp"
    assert sorted(tmp_path.rglob("*")) == [folder, saved], "no partial file left anywhere"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_downloaded_file_has_the_mode_the_umask_gives(
    served_mock: GunicornMock, tmp_path: Path, umask: int, mode: int
) -> None:
    task_id = finished_task(served_mock)
    done = cli(served_mock, "download", task_id, str(tmp_path / "result.mp4"), umask=umask)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((tmp_path / "result.mp4").stat().st_mode) == mode


def test_a_destination_that_cannot_be_written_exits_6(served_mock: GunicornMock, tmp_path: Path) -> None:
    task_id = finished_task(served_mock)
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way\n")
    done = cli(served_mock, "download", task_id, str(blocker / "result.mp4"))
    assert done.returncode == 6
    assert str(blocker) in one_error_line(done)


# -- 3. the voice catalogue, and the language a voice id implies -------------------------------------------


def spec_voices() -> set[tuple[str, str, str]]:
    schemas = load_spec()["components"]["schemas"]
    return {
        (voice_id, language, name)
        for language, schema in (("en", schemas["VoiceIdEn"]), ("zh", schemas["VoiceIdZh"]))
        for voice_id, name in zip(schema["enum"], schema["x-enum-descriptions"], strict=True)
    }


def test_voices_lists_the_spec_catalogue_without_a_token() -> None:
    done = run("voices", "--json")
    assert done.returncode == 0, done.stderr
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    assert {(v["voice_id"], v["voice_language"], v["name"]) for v in listed} == spec_voices()
    assert len(listed) == len(spec_voices())


def test_voices_of_one_language_as_lines() -> None:
    done = run("voices", "--language", "en")
    assert done.returncode == 0, done.stderr
    english = {(voice_id, name) for voice_id, language, name in spec_voices() if language == "en"}
    lines = done.stdout.splitlines()
    assert len(lines) == len(english)
    assert {(line.split()[1], " ".join(line.split()[2:])) for line in lines} == english
    assert all(line.startswith("en  ") for line in lines)


@pytest.mark.parametrize("voice_id", ["oversea_male1", "girlfriend_1_speech02"], ids=["english", "chinese"])
def test_submit_text_infers_the_voice_language_from_the_voice_id(served_mock: GunicornMock, voice_id: str) -> None:
    done = cli(served_mock, "submit", "text", "--video-url", VIDEO, "--text", "hi", "--voice-id", voice_id)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().isdigit()


@pytest.mark.parametrize(
    ("voice_id", "shown"),
    [
        pytest.param("genshin_vindi2", "exists in zh and en: choose one with --voice-language", id="in-both"),
        pytest.param("no_such_voice", "`kling-lipsync voices` lists them", id="in-none"),
    ],
)
def test_a_voice_id_that_does_not_decide_the_language_is_a_usage_error(
    served_mock: GunicornMock, voice_id: str, shown: str
) -> None:
    done = cli(served_mock, "submit", "text", "--video-url", VIDEO, "--text", "hi", "--voice-id", voice_id)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: kling-lipsync submit")
    assert shown in done.stderr.splitlines()[-1]


# -- 4. global options anywhere; usage errors with the subcommand's usage --------------------------------


def test_global_options_work_after_the_subcommand(served_mock: GunicornMock) -> None:
    task_id = finished_task(served_mock)
    globals_ = ["--json", "--base-url", f"{served_mock.url}/kling", "--token", TOKEN, "--max-attempts", "2"]
    status = run("status", task_id, *globals_)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["task_id"] == task_id
    mixed = run("--json", "--token", TOKEN, "list", "--limit", "1", "--base-url", f"{served_mock.url}/kling")
    assert mixed.returncode == 0, mixed.stderr
    assert "task_id" in json.loads(mixed.stdout)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["submit", "text", "--video-url", VIDEO], id="submit-needs-text"),
        pytest.param(["submit", "audio", "--video-url", VIDEO], id="submit-needs-audio"),
        pytest.param(["status"], id="status-needs-a-task"),
        pytest.param(["status", "1", "--bogus"], id="status-unknown-option"),
        pytest.param(["download", "1"], id="download-needs-a-path"),
        pytest.param(["list", "--limit", "0"], id="list-limit-positive"),
        pytest.param(["wait", "1", "--timeout", "-1"], id="wait-timeout-positive"),
    ],
)
def test_usage_errors_show_the_usage_of_the_subcommand(args: list[str]) -> None:
    done = run(*args)
    assert done.returncode == 2
    command = " ".join(args[:2]) if args[0] == "submit" else args[0]
    assert done.stderr.startswith(f"usage: kling-lipsync {command} ")
    assert done.stderr.splitlines()[-1].startswith(f"kling-lipsync {command}: error: ")
