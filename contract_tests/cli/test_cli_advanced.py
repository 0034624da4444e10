"""`kling-lipsync faces` and `kling-lipsync submit advanced` (and `--family advanced-lip-sync`), run as
``cli.main([...])``.

Most tests wire the command to the in-process mock, whose virtual clock the command's sleeps advance, so
waiting takes no time; the last one goes over real HTTP to the mock under gunicorn, as ``test_cli.py`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.helpers import CliRun, write_wav
from contract_tests.servers import GunicornMock
from kling_lipsync import cli
from kling_lipsync.testing import KlingMock
from kling_lipsync_client.models import AdvancedLipSyncTask, FaceSession
from kling_spec.families import family, task_families
from kling_spec.timing import timing_rules
from mock_server.scenarios import NO_HUMAN_MESSAGE

VIDEO = "https://example.com/face.mp4"
AUDIO_URL = "https://example.com/line.mp3"
ADVANCED = family("advanced-lip-sync")
RULES = timing_rules()


def sent_creates(mock: KlingMock) -> list[dict[str, Any]]:
    """The advanced creates' bodies, as sent from now on."""
    bodies: list[dict[str, Any]] = []

    def observe(request: httpx.Request, response: httpx.Response) -> None:
        if request.method == "POST" and request.url.path.endswith(ADVANCED.collection_path):
            bodies.append(json.loads(request.content))

    mock.own_observers.append(observe)
    return bodies


# -- faces ----------------------------------------------------------------------------------------------------


def test_faces_prints_the_session_and_each_face(run: Callable[..., CliRun]) -> None:
    done = run("faces", "--video-url", VIDEO)
    assert done.exit_code == 0, done.err
    session_line, face_line = done.out.splitlines()
    assert session_line.startswith("session 8")
    face_id, window, image = face_line.split("  ")
    assert (face_id, window) == ("face 0", "[0, 10000] ms")
    assert image.startswith("http")
    assert image.endswith(".jpg")


def test_faces_as_json(run: Callable[..., CliRun]) -> None:
    done = run("faces", "--video-id", "v-1", "--json", scenario="two-faces")
    assert done.exit_code == 0, done.err
    session = FaceSession.from_dict(json.loads(done.out))
    assert [(f.face_id, f.start_time, f.end_time) for f in session.face_data] == [("0", 0, 6000), ("1", 4000, 10000)]
    assert done.err == ""


def test_faces_of_a_video_without_one(run: Callable[..., CliRun]) -> None:
    done = run("faces", "--video-url", VIDEO, scenario="no-face")
    assert done.exit_code == 0
    assert done.out.splitlines()[1] == "no usable face in this video"


# -- submit advanced ------------------------------------------------------------------------------------------


def test_submit_plans_waits_and_saves(
    run: Callable[..., CliRun], kling_mock: KlingMock, three_seconds: Path, tmp_path: Path
) -> None:
    sent = sent_creates(kling_mock)
    out = tmp_path / "result.mp4"
    done = run("submit", "advanced", "--video-url", VIDEO, "--audio-file", str(three_seconds), "--out", str(out))
    assert done.exit_code == 0, done.err
    assert "plan: face 0: audio [0, 3000] ms inserted at 0 ms (the only face" in done.err
    assert out.read_bytes()[4:8] == b"ftyp"
    assert "succeed" in done.out
    assert f"saved {out}" in done.out
    (choice,) = sent[0]["face_choose"]
    assert (choice["face_id"], choice["sound_end_time"]) == ("0", 3000)


def test_submit_with_every_choice_given_then_the_other_commands(
    run: Callable[..., CliRun], kling_mock: KlingMock, tmp_path: Path
) -> None:
    sent = sent_creates(kling_mock)
    done = run("submit", "advanced", "--video-url", VIDEO, "--audio-url", AUDIO_URL, "--audio-ms", "5000",
               "--face-id", "1", "--insert-at", "5000", "--crop", "1000:4000", "--watermark",
               "--external-task-id", "order-7", scenario="two-faces")  # fmt: skip
    assert done.exit_code == 0, done.err
    task_id = done.out.strip()
    assert task_id.isdigit(), "without --wait only the task id is printed, for scripts"
    assert "plan: face 1: audio [1000, 4000] ms inserted at 5000 ms" in done.err
    assert sent == [
        {
            "session_id": sent[0]["session_id"],
            "face_choose": [
                {
                    "face_id": "1",
                    "sound_file": AUDIO_URL,
                    "sound_start_time": 1000,
                    "sound_end_time": 4000,
                    "sound_insert_time": 5000,
                }
            ],
            "watermark_info": {"enabled": True},
            "external_task_id": "order-7",
        }
    ]

    family_option = ("--family", "advanced-lip-sync")
    status = run("status", task_id, *family_option)
    assert status.out.split()[:2] == [task_id, "submitted"]
    waited = run("wait", task_id, *family_option, "--out", f"{tmp_path}/")
    assert waited.exit_code == 0, waited.err
    assert (tmp_path / f"{task_id}.mp4").read_bytes()[4:8] == b"ftyp"
    assert "watermarked: http" in waited.out
    marked = run("download", task_id, str(tmp_path), "--watermarked", *family_option)
    assert marked.exit_code == 0, marked.err
    assert marked.out.strip() == f"saved {tmp_path / f'{task_id}-watermarked.mp4'}"
    listed = [json.loads(line) for line in run("list", "--json", *family_option).out.splitlines()]
    assert [AdvancedLipSyncTask.from_dict(task).task_id for task in listed] == [task_id]
    assert run("list", "--json").out == "", "the legacy list does not show advanced tasks"


def test_submit_as_json_carries_the_plan(run: Callable[..., CliRun], three_seconds: Path) -> None:
    done = run("--json", "submit", "advanced", "--video-id", "v-1", "--audio-file", str(three_seconds))
    assert done.exit_code == 0, done.err
    assert done.err == ""
    created = json.loads(done.out)
    assert created["task_status"] == "submitted"
    plan = created["plan"]
    assert plan["session_id"].isdigit()
    assert {key: plan[key] for key in ("face_id", "sound_start_time", "sound_end_time", "sound_insert_time")} == {
        "face_id": "0",
        "sound_start_time": 0,
        "sound_end_time": 3000,
        "sound_insert_time": 0,
    }


def test_a_failed_task_exits_1(run: Callable[..., CliRun], three_seconds: Path) -> None:
    done = run("submit", "advanced", "--video-url", VIDEO, "--audio-file", str(three_seconds), "--wait",
               scenario="no-human")  # fmt: skip
    assert done.exit_code == 1
    assert NO_HUMAN_MESSAGE in done.err.splitlines()[-1]


# -- what cannot be done: one line, the README's exit code ----------------------------------------------------


@pytest.mark.parametrize(
    ("args", "scenario", "shown"),
    [
        pytest.param(["--face-id", "9"], None, "no face '9' in this session; its faces are 0", id="unknown-face"),
        pytest.param(["--insert-at", "9000"], None, "cannot insert at 9000 ms", id="insert-too-late"),
        pytest.param(["--crop", "0:1999"], None, "the cropped audio must last at least", id="crop-too-short"),
        pytest.param([], "no-face", "no face was found in the video", id="no-face"),
    ],
)
def test_a_plan_that_cannot_be_made_is_a_usage_error(
    run: Callable[..., CliRun], kling_mock: KlingMock, three_seconds: Path, args: list[str], scenario, shown: str
) -> None:
    sent = sent_creates(kling_mock)
    done = run("submit", "advanced", "--video-url", VIDEO, "--audio-file", str(three_seconds), *args,
               scenario=scenario)  # fmt: skip
    assert done.exit_code == 2
    assert shown in done.one_error_line()
    assert sent == [], "nothing was created"


def test_audio_too_short_is_refused_before_identify_face(
    run: Callable[..., CliRun], kling_mock: KlingMock, tmp_path: Path
) -> None:
    short_ms = RULES.min_audio_ms - 500
    short = write_wav(tmp_path / "short.wav", short_ms / 1000)
    done = run("submit", "advanced", "--video-url", VIDEO, "--audio-file", str(short))
    assert done.exit_code == 2
    assert f"the audio lasts {short_ms} ms" in done.one_error_line()
    assert kling_mock.requests() == [], "identify-face is charged: not called for audio no plan can use"


def test_a_file_that_is_not_audio_exits_6(run: Callable[..., CliRun], kling_mock: KlingMock) -> None:
    done = run("submit", "advanced", "--video-url", VIDEO, "--audio-file", __file__)
    assert done.exit_code == 6
    assert "not MP3" in done.one_error_line()
    assert kling_mock.requests() == []


def test_an_unknown_advanced_task_is_the_service_s_refusal(run: Callable[..., CliRun]) -> None:
    done = run("status", "860000000000009999", "--family", "advanced-lip-sync")
    assert done.exit_code == 3
    assert "Kling 1203 (HTTP 404)" in done.one_error_line()


def test_a_watermarked_legacy_download_is_a_usage_error(run: Callable[..., CliRun], tmp_path: Path) -> None:
    done = run("download", "860000000000000001", str(tmp_path), "--watermarked", "--family", "lip-sync")
    assert done.exit_code == 2
    assert "--watermarked is for --family advanced-lip-sync" in done.one_error_line()


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        pytest.param(["submit", "advanced", "--video-url", VIDEO, "--audio-url", AUDIO_URL], "--audio-ms", id="no-ms"),
        pytest.param(["submit", "advanced", "--video-url", VIDEO], "needs --audio-file", id="no-audio"),
        pytest.param(
            ["submit", "advanced", "--video-url", VIDEO, "--audio-id", "a", "--audio-ms", "3000", "--crop", "3000"],
            "START:END",
            id="bad-crop",
        ),
        pytest.param(
            ["submit", "audio", "--video-url", VIDEO, "--audio-url", AUDIO_URL, "--face-id", "0"],
            "--face-id: only for submit advanced",
            id="advanced-option-elsewhere",
        ),
        pytest.param(
            ["submit", "advanced", "--video-url", VIDEO, "--audio-id", "a", "--audio-ms", "3000", "--text", "hi"],
            "argument --text: not allowed with argument --audio-id",
            id="text-and-audio-for-advanced",
        ),
        pytest.param(["faces"], "one of the arguments --video-id --video-url is required", id="faces-without-video"),
    ],
)
def test_usage_mistakes_are_caught_before_sending(
    run: Callable[..., CliRun], kling_mock: KlingMock, args: list[str], shown: str
) -> None:
    done = run(*args)
    assert done.exit_code == 2
    assert shown in done.err
    assert kling_mock.requests() == []


# -- over real HTTP --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_over_http_the_server_measures_the_file_sent(
    served_mock: GunicornMock, three_seconds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--base-url", f"{served_mock.url}/kling", "--token", "sk-cli-advanced"]
    assert cli.main([*base, "faces", "--video-url", VIDEO]) == 0
    assert "face 0  [0, 10000] ms" in capsys.readouterr().out
    # The mock measures the base64 audio itself: a plan beyond its 3 s would be refused there.
    assert cli.main([*base, "submit", "advanced", "--video-url", VIDEO, "--audio-file", str(three_seconds)]) == 0
    task_id = capsys.readouterr().out.strip()
    assert cli.main([*base, "--json", "status", task_id, "--family", "advanced-lip-sync"]) == 0
    assert json.loads(capsys.readouterr().out)["task_id"] == task_id
    refused = cli.main([*base, "submit", "advanced", "--video-url", VIDEO, "--audio-file", str(three_seconds),
                        "--audio-ms", "4000"])  # fmt: skip
    assert refused == 3, "told the audio is longer than it is, the plan runs past its end: the service says so"
    assert "after the end of the audio (3000 ms)" in capsys.readouterr().err


@pytest.mark.slow
def test_over_http_on_the_kling_gateway_it_waits_on_the_real_clock_and_saves(
    served_mock: GunicornMock, three_seconds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--base-url", served_mock.url, "--token", "mock-api-key"]
    out = tmp_path / "advanced.mp4"
    command = ["submit", "advanced", "--video-url", VIDEO, "--audio-file", str(three_seconds), "--watermark"]
    assert cli.main([*base, *command, "--expected-seconds", "1", "--out", str(out)]) == 0
    assert out.read_bytes()[4:8] == b"ftyp"
    assert "succeed" in capsys.readouterr().err
    marked = tmp_path / "marked.mp4"
    listed = cli.main([*base, "--json", "list", "--family", "advanced-lip-sync", "--limit", "1"])
    (task,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed == 0
    assert task["task_status"] == "succeed"
    download = ["download", "--family", "advanced-lip-sync", "--watermarked", task["task_id"], str(marked)]
    assert cli.main([*base, *download]) == 0
    assert marked.read_bytes() != out.read_bytes(), "the watermarked copy is another file"


# -- the family found without --family ------------------------------------------------------------------------


def test_status_wait_and_download_find_an_advanced_task_without_family(
    run: Callable[..., CliRun], three_seconds: Path, tmp_path: Path
) -> None:
    submitted = run("submit", "advanced", "--video-url", VIDEO, "--audio-file", str(three_seconds), "--watermark")
    task_id = submitted.out.strip()
    status = run("status", task_id)
    assert status.exit_code == 0, status.err
    assert status.out.split()[:2] == [task_id, "submitted"]
    waited = run("wait", task_id, "--out", f"{tmp_path}/")
    assert waited.exit_code == 0, waited.err
    assert (tmp_path / f"{task_id}.mp4").read_bytes()[4:8] == b"ftyp"
    marked = run("download", task_id, str(tmp_path), "--watermarked")
    assert marked.exit_code == 0, marked.err
    assert marked.out.strip() == f"saved {tmp_path / f'{task_id}-watermarked.mp4'}"


def test_an_id_no_family_has_is_1203_naming_the_families_looked_in(run: Callable[..., CliRun]) -> None:
    done = run("status", "860000000000009999")
    assert done.exit_code == 3
    line = done.one_error_line()
    assert "Kling 1203 (HTTP 404)" in line
    assert f"(looked in every family: {', '.join(task_families())})" in line


def test_a_watermarked_download_of_a_found_legacy_task_is_a_usage_error(
    run: Callable[..., CliRun], tmp_path: Path
) -> None:
    task_id = run("submit", "audio", "--video-url", VIDEO, "--audio-url", AUDIO_URL, "--wait").out.split()[0]
    done = run("download", task_id, str(tmp_path), "--watermarked")
    assert done.exit_code == 2
    assert f"task {task_id} is a lip-sync task, whose results have no watermarked copy" in done.one_error_line()
