"""Results that carry their input: as long as the source video, with the request's sound where it asked,
checked by decoding the files the mock serves (PyAV)."""

from __future__ import annotations

import base64
import io
import wave
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from kling_lipsync.testing import KlingMock
from kling_spec.families import family
from mock_server import results
from mock_server.media import RESULT_MP4, mp4_duration_seconds, result_video_id as results_video_id

ADVANCED = family("advanced-lip-sync")
LEGACY = family("lip-sync")
ASSETS = Path(__file__).resolve().parents[1] / "assets"
VIDEO = "https://example.com/speaker.mp4"
WINDOW = 100  # ms: the sound is measured in windows this long


def decoded(data: bytes) -> tuple[float, float, Any]:
    """(video seconds, audio seconds, the sound's RMS in each WINDOW ms) of an MP4."""
    with av.open(io.BytesIO(data)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        video_s, audio_s = (float((stream.duration or 0) * (stream.time_base or 0)) for stream in (video, audio))
        pcm = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio)])
    step = results.RATE * WINDOW // 1000
    return video_s, audio_s, np.array([np.sqrt(np.mean(pcm[i : i + step] ** 2)) for i in range(0, len(pcm), step)])


def loud(rms: Any, start_ms: int, end_ms: int) -> bool:
    """Sound in every window of [start, end), away from its edges (AAC smears a window's worth)."""
    inside = rms[start_ms // WINDOW + 1 : end_ms // WINDOW - 1]
    return len(inside) > 0 and bool(np.all(inside > 0.02))


def quiet(rms: Any, start_ms: int, end_ms: int) -> bool:
    inside = rms[start_ms // WINDOW + 1 : end_ms // WINDOW - 1]
    return len(inside) > 0 and bool(np.all(inside < 0.005))


def advanced_result(mock: KlingMock, choice: dict[str, Any], video: str = VIDEO) -> tuple[dict[str, Any], bytes]:
    with mock.api("advanced-lip-sync") as api:
        session = api.open_session({"video_url": video})
        created = api.create({"session_id": session["session_id"], "face_choose": [{"face_id": "0", **choice}]})
        mock.advance(300)
        (result,) = api.status(created["task_id"])["task_result"]["videos"]
    return result, mock.http.get(result["url"]).content


def b64(name: str) -> str:
    return base64.b64encode((ASSETS / name).read_bytes()).decode()


def test_the_template_is_what_results_are_cut_from() -> None:
    with av.open(str(RESULT_MP4)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == 1000 // results.FRAME_MS, "results are cut in whole frames of FRAME_MS"
        assert container.streams.audio[0].rate == results.RATE


@pytest.mark.parametrize("video_ms", [2000, 7250, 12345])
def test_a_result_lasts_as_long_as_its_source_and_says_so(kling_mock: KlingMock, video_ms: int) -> None:
    kling_mock.register_video(video_url=VIDEO, duration_ms=video_ms, faces=[(0, video_ms)])
    result, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), "sound_start_time": 0,
                                                "sound_end_time": 2000, "sound_insert_time": 0})  # fmt: skip
    video_s, audio_s, _ = decoded(data)
    frames_ms = -(-video_ms // results.FRAME_MS) * results.FRAME_MS
    assert video_s == frames_ms / 1000
    assert audio_s == video_s
    assert float(result["duration"]) == pytest.approx(video_s, abs=0.05), "the reported duration is the file's"
    assert mp4_duration_seconds(data) == video_s


def test_the_audio_sounds_where_it_was_inserted_and_nowhere_else(kling_mock: KlingMock) -> None:
    kling_mock.register_video(video_url=VIDEO, duration_ms=9000, faces=[(0, 9000)])
    _, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), "sound_start_time": 500,
                                                "sound_end_time": 2500, "sound_insert_time": 4000})  # fmt: skip
    _, _, rms = decoded(data)
    assert quiet(rms, 0, 4000), "the source has no sound of its own"
    assert loud(rms, 4000, 6000), "two seconds of the audio, inserted at 4 s"
    assert quiet(rms, 6000, 9000)


def test_volumes_scale_the_audio_and_the_source_s_own_sound(kling_mock: KlingMock) -> None:
    kling_mock.register_video(video_url=VIDEO, duration_ms=8000, faces=[(0, 8000)], sound=True)
    times = {"sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": 2000}
    _, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), **times})
    _, _, both = decoded(data)
    assert loud(both, 0, 2000), "the registered video's own sound (a hum)"
    _, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), **times, "original_audio_volume": 0})
    _, _, muted = decoded(data)
    assert quiet(muted, 0, 2000), "original_audio_volume 0 silences it"
    assert loud(muted, 2000, 5000)
    _, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), **times, "sound_volume": 2})
    _, _, louder = decoded(data)
    window = slice(2000 // WINDOW + 1, 5000 // WINDOW - 1)
    assert np.mean(louder[window]) > 1.5 * np.mean(both[window] - 0.05 / np.sqrt(2)), "sound_volume 2"


def test_text_to_speech_audio_sounds_for_its_length(kling_mock: KlingMock) -> None:
    with kling_mock.httpx_client() as client:
        audio = client.post("/v1/audio/tts", json={"text": "好" * 13, "voice_id": "genshin_vindi2"}).json()
    spoken = audio["data"]["task_result"]["audios"][0]
    assert spoken["duration"] == "3.120"
    _, data = advanced_result(kling_mock, {"audio_id": spoken["id"], "sound_start_time": 0, "sound_end_time": 3120,
                                           "sound_insert_time": 1000})  # fmt: skip
    _, _, rms = decoded(data)
    assert quiet(rms, 0, 1000)
    assert np.mean(rms[1000 // WINDOW : 4120 // WINDOW]) > 0.05, "speech (syllables and their gaps)"
    assert quiet(rms, 4200, 10_000), "then nothing, to the end of the default 10 s video"


def test_legacy_results_carry_the_uploaded_audio_or_the_spoken_text(kling_mock: KlingMock) -> None:
    with kling_mock.api("lip-sync") as api:
        by_file = api.create({"input": {"mode": "audio2video", "video_url": VIDEO, "audio_type": "file",
                                        "audio_file": b64("line-3s.mp3")}})  # fmt: skip
        by_text = api.create({"input": {"mode": "text2video", "video_url": VIDEO, "text": "好" * 10,
                                        "voice_id": "genshin_vindi2", "voice_speed": 2}})  # fmt: skip
        kling_mock.advance(300)
        files = [api.status(t["task_id"])["task_result"]["videos"][0]["url"] for t in (by_file, by_text)]
    _, _, uploaded = decoded(kling_mock.http.get(files[0]).content)
    assert loud(uploaded, 0, 3000)
    assert quiet(uploaded, 3100, 10_000)
    _, _, spoken = decoded(kling_mock.http.get(files[1]).content)
    assert np.mean(spoken[0 : 1200 // WINDOW]) > 0.05, "ten characters at 240 ms, twice as fast: 1.2 s"
    assert quiet(spoken, 1300, 10_000)


def test_a_result_made_from_a_result_keeps_its_sound_under_the_new_audio(kling_mock: KlingMock) -> None:
    kling_mock.register_video(video_url=VIDEO, duration_ms=6000, faces=[(0, 6000)])
    first, _ = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), "sound_start_time": 0,
                                            "sound_end_time": 2000, "sound_insert_time": 0})  # fmt: skip
    again = {"sound_file": b64("line-3s.mp3"), "sound_start_time": 0, "sound_end_time": 2000, "sound_insert_time": 4000}
    second, data = advanced_result(kling_mock, again, first["url"])
    assert second["duration"] == "6.0"
    assert first["duration"] == "6.0"
    _, _, rms = decoded(data)
    assert loud(rms, 0, 2000), "the first result's sound"
    assert quiet(rms, 2000, 4000)
    assert loud(rms, 4000, 6000), "the new audio"


def test_a_result_is_made_once_and_a_reset_forgets_it(kling_mock: KlingMock, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[bool] = []
    make = results._make
    monkeypatch.setattr(results, "_make", lambda *args: made.append(True) or make(*args))
    result, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), "sound_start_time": 0,
                                                "sound_end_time": 2000, "sound_insert_time": 0})  # fmt: skip
    assert kling_mock.http.get(result["url"]).content == data
    assert made == [True], "the second download is the first's file"
    kling_mock.reset()
    assert kling_mock.http.get(result["url"]).content == RESULT_MP4.read_bytes(), "no such task: the template"


def test_without_the_media_extra_results_are_the_template_and_say_so(
    kling_mock: KlingMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(results, "media_available", lambda: False)
    kling_mock.register_video(video_url=VIDEO, duration_ms=9000, faces=[(0, 9000)])
    result, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), "sound_start_time": 0,
                                                "sound_end_time": 2000, "sound_insert_time": 0})  # fmt: skip
    assert data == RESULT_MP4.read_bytes()
    assert float(result["duration"]) == mp4_duration_seconds(data)
    assert mp4_duration_seconds(data) == 5.0


def silence_then_tone(silent_ms: int, tone_ms: int) -> str:
    """A WAV (base64): silence, then a 440 Hz tone; a crop that starts in the silence is heard late."""
    rate = 16_000
    samples = np.concatenate(
        [np.zeros(silent_ms * rate // 1000), 0.5 * np.sin(2 * np.pi * 440 * np.arange(tone_ms * rate // 1000) / rate)]
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((samples * 32767).astype("<i2").tobytes())
    return base64.b64encode(out.getvalue()).decode()


@pytest.mark.parametrize(("crop", "loud_from"), [((1000, 3000), 4000), ((0, 2000), 5000)])
def test_the_crop_starts_where_it_says(kling_mock: KlingMock, crop: tuple[int, int], loud_from: int) -> None:
    kling_mock.register_video(video_url=VIDEO, duration_ms=8000, faces=[(0, 8000)])
    _, data = advanced_result(kling_mock, {"sound_file": silence_then_tone(1000, 2500), "sound_start_time": crop[0],
                                           "sound_end_time": crop[1], "sound_insert_time": 4000})  # fmt: skip
    _, _, rms = decoded(data)
    assert quiet(rms, 0, loud_from), "nothing before the tone: the crop's silence, if any, comes first"
    assert loud(rms, loud_from, 6000)
    assert quiet(rms, 6000, 8000)


def test_a_result_that_names_itself_as_its_source_is_silent_not_a_crash(kling_mock: KlingMock) -> None:
    """The next result's URL can be guessed: a session over it finds no such task, so it is an unknown video."""
    with kling_mock.api("lip-sync") as legacy:
        first = legacy.create({"input": {"mode": "text2video", "video_url": VIDEO, "text": "hi",
                                         "voice_id": "genshin_vindi2"}})  # fmt: skip
    next_id = results_video_id(str(int(first["task_id"]) + 1))  # a session takes no task id
    own = f"{kling_mock.url('kling')}/__mock__/videos/{next_id}.mp4"
    result, data = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), "sound_start_time": 0,
                                                "sound_end_time": 2000, "sound_insert_time": 0}, own)  # fmt: skip
    assert result["url"].endswith(f"/{next_id}.mp4"), "the guess was right"
    _, _, rms = decoded(data)
    assert loud(rms, 0, 2000)


def test_audio_ffmpeg_cannot_read_sounds_as_the_mock_s_speech(kling_mock: KlingMock) -> None:
    broken = base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x01" * 400).decode()
    with kling_mock.api("lip-sync") as legacy:
        created = legacy.create({"input": {"mode": "audio2video", "video_url": VIDEO, "audio_type": "file",
                                           "audio_file": broken}})  # fmt: skip
        kling_mock.advance(300)
        result = legacy.status(created["task_id"])["task_result"]["videos"][0]
    answer = kling_mock.http.get(result["url"])
    assert answer.status_code == 200
    video_s, _, rms = decoded(answer.content)
    assert video_s == float(result["duration"])
    assert np.mean(rms) > 0.05, "the mock's speech, for the whole of a file of unknown length"


def test_a_legacy_task_on_a_result_s_url_takes_its_length_and_sound(kling_mock: KlingMock) -> None:
    kling_mock.register_video(video_url=VIDEO, duration_ms=6000, faces=[(0, 6000)])
    first, _ = advanced_result(kling_mock, {"sound_file": b64("line-3s.mp3"), "sound_start_time": 0,
                                            "sound_end_time": 2000, "sound_insert_time": 0})  # fmt: skip
    with kling_mock.api("lip-sync") as legacy:
        created = legacy.create({"input": {"mode": "text2video", "video_url": first["url"], "text": "好" * 5,
                                           "voice_id": "genshin_vindi2"}})  # fmt: skip
        kling_mock.advance(300)
        second = legacy.status(created["task_id"])
    (video,) = second["task_result"]["videos"]
    assert (video["duration"], second["task_info"]["parent_video"]["duration"]) == ("6.0", "6.0")
    _, _, rms = decoded(kling_mock.http.get(video["url"]).content)
    assert loud(rms, 0, 2000), "the first result's sound, under five characters of speech (1.2 s)"
    assert quiet(rms, 2000, 6000)
