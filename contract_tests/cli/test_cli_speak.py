"""`kling-lipsync speak` and `kling-lipsync submit advanced --text`, run as ``cli.main([...])`` against the
in-process mock (its virtual clock advanced by the command's sleeps)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from contract_tests.helpers import CliRun
from kling_lipsync.testing import KlingMock

VIDEO = "https://example.com/face.mp4"
LINE = "你好欢迎来到可灵我们开始吧"  # 13 characters: 3.12 s of the mock's speech


def test_speak_prints_the_audio_id_and_saves_the_mp3(run: Callable[..., CliRun], tmp_path: Path) -> None:
    done = run(
        "speak", "--text", LINE, "--voice-id", "genshin_vindi2", "--voice-language", "zh", "--out", str(tmp_path)
    )
    assert done.exit_code == 0, done.err
    audio_id = done.out.strip()
    saved = tmp_path / f"{audio_id}.mp3"
    with av.open(io.BytesIO(saved.read_bytes())) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples == 3120 * 24, "3.12 s at 24 kHz"
    assert "3120 ms" in done.err


def test_speak_as_json(run: Callable[..., CliRun]) -> None:
    done = run("speak", "--text", "hello there", "--voice-id", "oversea_male1", "--voice-speed", "2", "--json")
    assert done.exit_code == 0, done.err
    shown = json.loads(done.out)
    assert set(shown) == {"audio_id", "url", "duration_ms"}
    assert shown["duration_ms"] == 408, "11 characters of English at 72 ms, twice as fast, in whole 24 ms frames"


@pytest.mark.parametrize(
    ("args", "exit_code", "words"),
    [
        (["--text", "hi"], 2, "speak needs --text and --voice-id"),
        (["--text", "hi", "--voice-id", "no-such-voice"], 2, "no-such-voice"),
        (["--text", "hi", "--voice-id", "oversea_male1", "--voice-language", "zh"], 3, "Voice id not found"),
        (["--text", "好" * 1001, "--voice-id", "genshin_vindi2", "--voice-language", "zh"], 3, "1201"),
    ],
)
def test_speak_errors_are_one_line_with_the_exit_code(
    run: Callable[..., CliRun], args: list[str], exit_code: int, words: str
) -> None:
    done = run("speak", *args)
    assert done.exit_code == exit_code
    assert words in done.err.strip().splitlines()[-1]


def test_a_refused_text_is_exit_1_with_the_reason(run: Callable[..., CliRun]) -> None:
    done = run("speak", "--text", LINE, "--voice-id", "genshin_vindi2", "--voice-language", "zh", scenario="no-human")
    assert done.exit_code == 1
    assert done.err.strip().startswith("kling-lipsync: error: task 88")


def test_submit_advanced_from_a_text_speaks_plans_and_waits(run: Callable[..., CliRun], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    done = run("submit", "advanced", "--video-url", VIDEO, "--text", LINE, "--voice-id", "genshin_vindi2",
               "--voice-language", "zh", "--out", str(out), "--json")  # fmt: skip
    assert done.exit_code == 0, done.err
    shown = json.loads(done.out)
    assert shown["task_status"] == "succeed"
    assert (shown["plan"]["sound_start_time"], shown["plan"]["sound_end_time"]) == (0, 3120), "the spoken length"
    assert out.read_bytes()[4:8] == b"ftyp"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--text", LINE], "submit advanced --text needs --text and --voice-id"),
        (["--audio-url", "https://example.com/a.mp3", "--audio-ms", "3000", "--voice-id", "AOT"], "give --text too"),
        (["--text", LINE, "--voice-id", "AOT", "--audio-id", "870000000000000001"], "not allowed with"),
        (["--text", LINE, "--voice-id", "AOT", "--audio-ms", "3000"], "--audio-ms: a spoken --text is measured"),
    ],
)  # fmt: skip
def test_submit_advanced_text_usage(run: Callable[..., CliRun], args: list[str], words: str) -> None:
    done = run("submit", "advanced", "--video-url", VIDEO, *args)
    assert done.exit_code == 2
    assert words in done.err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"text": LINE, "voice_id": "genshin_vindi2", "audio_ms": 3000}, "give no audio_ms with text"),
        ({"audio_url": "https://example.com/a.mp3", "audio_ms": 3000, "voice_language": "zh"}, "give text too"),
        ({"text": LINE}, "give voice_id with text"),
    ],
)
def test_the_library_refuses_what_a_text_makes_meaningless(
    kling_mock: KlingMock, arguments: dict[str, object], words: str
) -> None:
    with kling_mock.lipsync() as lip, pytest.raises(ValueError, match=words):
        lip.lip_sync_advanced(video_url=VIDEO, **arguments)  # type: ignore[arg-type]
    assert kling_mock.requests() == [], "refused before anything is sent"
