"""The result videos: as long as the task's source video, carrying the sound its request asked for.

A create decides what its result will be and stores it as a ``Sound`` (the ``tasks.sound`` column, JSON): the
source video's length and own sound, the request's audio, where it is cropped and inserted, and the two
volumes. Nothing is made then. The first download of the result (``GET /__mock__/videos/<id>.mp4``, or its
watermarked copy) makes the file, once, with PyAV (FFmpeg's libraries, in the wheel: no system ffmpeg), and
keeps it in the store (``results``), which every worker shares. Making one copies the video packets of the
mock's template (``assets/result.mp4``, 10 frames a second, one key frame, no B-frames) in a loop, cut to
the source's length in whole frames, and encodes the mixed sound as AAC: about 55 ms of CPU for 10 s
(``make bench``). Two workers downloading a new result at the same moment both make it (the same bytes).

Without PyAV and NumPy (``pip install 'kling-lipsync[media]'``) the mock serves the template as it always
did, and reports its length: a result's reported duration is always the served file's.

The sound:

* the source video's own sound, scaled by ``original_audio_volume``: none for a video the mock cannot fetch
  (a URL, an id it does not know), unless a registration says it has sound (a steady hum, then); for one of
  the mock's own results, that result's sound;
* the request's audio, cropped to ``[sound_start_time, sound_end_time]``, placed at ``sound_insert_time``,
  scaled by ``sound_volume``: audio sent as base64 decoded as sent (kept in ``blobs`` by its hash); audio the
  mock cannot fetch (a URL) or that it made (text-to-speech, ``text2video``) as the mock's speech of that
  audio's length (``speech.py``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import math
import os
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from .database import Row
from .media import RESULT_MP4, WATERMARKED_MP4, mp4_duration_seconds
from .speech import speech_mp3

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "BLOB_COLUMN",
    "FRAME_MS",
    "RATE",
    "Blob",
    "Sound",
    "audio_blob",
    "media_available",
    "own_result_ms",
    "result_ms",
    "result_seconds",
    "served",
    "sound_of",
]

#: The template's frame: 10 frames a second (a test reads it from the file).
FRAME_MS = 100
#: The sound's sample rate (the template's).
RATE = 16_000
#: A source video that has a sound the mock cannot hear: a hum this loud (of 1), at this pitch.
_HUM = (0.05, 110.0)


@functools.cache
def media_available() -> bool:
    """Whether PyAV and NumPy are installed (the ``media`` extra): results then carry their sound."""
    return all(importlib.util.find_spec(name) is not None for name in ("av", "numpy"))


@functools.cache
def _template_ms() -> int:
    return round(mp4_duration_seconds(RESULT_MP4.read_bytes()) * 1000)


def result_ms(video_ms: int) -> int:
    """How long the result of a source of ``video_ms`` lasts: whole frames of the template, or the template's
    own length when the mock cannot make results."""
    if not media_available():
        return _template_ms()
    return max(1, math.ceil(video_ms / FRAME_MS)) * FRAME_MS


def result_seconds(row_ms: int | None) -> str:
    """A result's ``duration`` as Kling writes it (seconds, one decimal): a task's ``result_ms``, or for a
    task stored before results had lengths, the template's."""
    return f"{(row_ms if row_ms is not None else _template_ms()) / 1000:.1f}"


@dataclass(frozen=True)
class Sound:
    """What a result is made of (stored as JSON at create; see the module's docstring)."""

    video_ms: int
    #: The source's own sound: ``silent``, ``hum``, or ``result:<video_id>`` (one of the mock's results).
    source: str = "silent"
    original_volume: float = 1.0
    #: The request's audio: ``blob:<sha256>`` (sent as base64), ``speech:<ms>`` (the mock's speech), or none.
    audio: str | None = None
    crop_ms: tuple[int, int] | None = None
    insert_ms: int = 0
    volume: float = 1.0

    def to_json(self) -> str:
        return orjson.dumps(self).decode()  # orjson writes a dataclass itself: a thirtieth of asdict's cost

    @classmethod
    def from_json(cls, text: str) -> Sound:
        data: dict[str, Any] = orjson.loads(text)
        crop = data.get("crop_ms")
        return cls(**{**data, "crop_ms": tuple(crop) if crop else None})


#: Audio sent as base64 that a task keeps for its result: its SHA-256 and its bytes. A family returns it with
#: the task's columns (``BLOB_COLUMN``), and the create stores it in the same transaction as the task: a
#: refused create keeps nothing.
Blob = tuple[str, bytes]
BLOB_COLUMN = "blob"


def audio_blob(data: bytes) -> tuple[str, Blob]:
    """The reference a ``Sound`` keeps to audio sent as base64, and the blob to store with the task."""
    digest = hashlib.sha256(data).hexdigest()
    return f"blob:{digest}", (digest, data)


#: How many results deep a result made from a result made from ... is followed for its sound; a longer chain
#: (which nobody downloaded) is silent beyond it, rather than a recursion without end.
_MAX_DEPTH = 8


def served(store: Store, video_id: str, *, watermarked: bool, depth: int = 0) -> bytes | None:
    """The result video ``video_id`` (or its watermarked copy), made on first use; None when the mock serves
    the template instead (no such task's result, a task stored before results had sound, no PyAV)."""
    if not media_available() or depth > _MAX_DEPTH:
        return None
    row = store.task_by_result_video(video_id)
    if row is None or row["sound"] is None:
        return None
    name = f"{video_id}-watermarked" if watermarked else video_id
    made = store.result_file(name)
    if made is None:
        # As long as the task said, whether or not the mock could make results when it was created.
        length_ms = row["result_ms"] if row["result_ms"] is not None else _template_ms()
        made = _make(store, Sound.from_json(row["sound"]), watermarked, length_ms, depth)
        store.put_result_file(name, made)
    return made


# -- making one (PyAV and NumPy, imported here: only a download needs them) --------------------------------------


@dataclass(frozen=True)
class _Template:
    """The template's video stream, and its packets: (bytes, pts, dts, key frame)."""

    stream: Any
    packets: tuple[tuple[bytes, int, int, bool], ...]
    ticks_per_frame: int


@functools.cache
def _template(watermarked: bool) -> _Template:
    import av

    container = av.open(str(WATERMARKED_MP4 if watermarked else RESULT_MP4))
    stream = container.streams.video[0]
    packets = tuple(
        (bytes(packet), int(packet.pts or 0), int(packet.dts or 0), bool(packet.is_keyframe))
        for packet in container.demux(stream)
        if packet.size
    )
    ticks = packets[1][1] - packets[0][1]
    assert stream.time_base is not None
    assert round(ticks * stream.time_base * 1000) == FRAME_MS, "the template is 10 frames a second"
    return _Template(stream, packets, ticks)


def _make(store: Store, sound: Sound, watermarked: bool, length_ms: int, depth: int = 0) -> bytes:
    import av

    template = _template(watermarked)
    frames = max(1, math.ceil(length_ms / FRAME_MS))
    pcm = _mixed(store, sound, frames * FRAME_MS * RATE // 1000, depth)
    # A file, not memory: the MP4 muxer moves its index to the front (faststart) by reading the file again.
    handle, path = tempfile.mkstemp(suffix=".mp4", prefix="kling-mock-result-")
    os.close(handle)
    try:
        with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video = out.add_stream_from_template(template.stream)
            audio = out.add_stream("aac", rate=RATE, layout="mono")
            loop_ticks = len(template.packets) * template.ticks_per_frame
            for index in range(frames):
                data, pts, dts, key = template.packets[index % len(template.packets)]
                packet = av.Packet(data)
                shift = index // len(template.packets) * loop_ticks
                packet.pts, packet.dts, packet.duration = pts + shift, dts + shift, template.ticks_per_frame
                packet.time_base, packet.stream, packet.is_keyframe = template.stream.time_base, video, key
                out.mux(packet)
            size = audio.codec_context.frame_size or 1024
            for start in range(0, len(pcm), size):
                frame = av.AudioFrame.from_ndarray(
                    pcm[start : start + size].reshape(1, -1), format="fltp", layout="mono"
                )
                frame.sample_rate, frame.pts = RATE, start
                out.mux(audio.encode(frame))
            out.mux(audio.encode(None))
        with open(path, "rb") as made:
            return made.read()
    finally:
        os.unlink(path)


def _mixed(store: Store, sound: Sound, samples: int, depth: int) -> Any:
    """The result's sound: ``samples`` of float32 mono at ``RATE``."""
    import numpy as np

    mix = np.zeros(samples, dtype=np.float32)
    if sound.source == "hum":
        level, pitch = _HUM
        mix += (level * np.sin(2 * np.pi * pitch * np.arange(samples) / RATE)).astype(np.float32)
    elif sound.source.startswith("result:"):
        own = served(store, sound.source.removeprefix("result:"), watermarked=False, depth=depth + 1)
        if own is not None:
            earlier = _decoded(own)[:samples]
            mix[: len(earlier)] += earlier
    mix *= sound.original_volume
    if sound.audio is not None:
        audio = _decoded(_audio_bytes(store, sound.audio))
        if not len(audio):  # bytes FFmpeg cannot read (their first bytes passed): the mock's speech instead
            audio = _decoded(speech_mp3(sound.crop_ms[1] if sound.crop_ms else sound.video_ms))
        if sound.crop_ms is not None:
            start, end = (ms * RATE // 1000 for ms in sound.crop_ms)
            audio = audio[start:end]
        at = sound.insert_ms * RATE // 1000
        placed = audio[: max(0, samples - at)] * sound.volume
        mix[at : at + len(placed)] += placed
    return np.clip(mix, -1.0, 1.0)


def _audio_bytes(store: Store, reference: str) -> bytes:
    kind, _, value = reference.partition(":")
    if kind == "speech":
        return speech_mp3(int(value))
    data = store.blob(value)
    if data is None:  # gone with a reset while the task stayed: the mock's speech instead, never a failure
        return speech_mp3(1000)
    return data


def _decoded(data: bytes) -> Any:
    """Audio of any format FFmpeg reads, as float32 mono at ``RATE``."""
    import av
    import numpy as np

    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks = []
    try:
        with av.open(io.BytesIO(data), "r") as container:
            for frame in container.decode(audio=0):
                chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(frame)]
        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    except (av.FFmpegError, IndexError, ValueError):  # not audio after all, or no audio stream: none
        chunks = []
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)


def sound_of(video: Row | None, own_result: str | None) -> str:
    """A source video's own sound: one of the mock's results that exists (``result:<id>``: the caller found
    its task), a registration's (``hum``), or none."""
    if own_result is not None:
        return f"result:{own_result}"
    return "hum" if video is not None and video["sound"] else "silent"


def own_result_ms(task: Row | None) -> int:
    """How long one of the mock's results lasts (stored before results had lengths: the template's)."""
    return round(float(result_seconds(task["result_ms"] if task is not None else None)) * 1000)
