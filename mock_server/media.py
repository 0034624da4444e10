"""The media the mock serves: a small, real, playable MP4 for every result, its watermarked copy, a face."""

from __future__ import annotations

import functools
import hashlib
import struct
import uuid
from pathlib import Path

__all__ = [
    "FACE_JPG",
    "RESULT_MP4",
    "WATERMARKED_MP4",
    "mp4_duration_seconds",
    "result_duration",
    "result_video_id",
    "video_id_for_url",
]

RESULT_MP4 = Path(__file__).with_name("assets") / "result.mp4"
#: The same video with a mark in its corner (ffmpeg drawbox), for ``watermark_url``.
WATERMARKED_MP4 = RESULT_MP4.with_name("result-watermarked.mp4")
#: A face cut from the result video (96 px wide), for ``face_data[].face_image``.
FACE_JPG = RESULT_MP4.with_name("face.jpg")

# Ids derived from URLs or tasks are stable across restarts and processes.
_NAMESPACE = uuid.UUID("6f1c1d5e-3b0a-4b8e-9a57-5c2f0e1d4a33")
_NAMESPACE_BYTES = _NAMESPACE.bytes


def mp4_duration_seconds(data: bytes) -> float:
    """Read the duration from an MP4's ``moov/mvhd`` box."""
    index = data.find(b"mvhd")
    if index < 4:
        raise ValueError("no mvhd box: not an MP4 file")
    version = data[index + 4]
    if version == 1:
        timescale, duration = struct.unpack(">IQ", data[index + 24 : index + 36])
    else:
        timescale, duration = struct.unpack(">II", data[index + 16 : index + 24])
    return float(duration) / float(timescale)


@functools.cache
def result_duration() -> str:
    """The result video's duration as Kling writes it: seconds, one decimal, as a string."""
    return f"{mp4_duration_seconds(RESULT_MP4.read_bytes()):.1f}"


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(_NAMESPACE, name))``, written from the SHA-1 directly: a third of its cost, per create."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@functools.lru_cache(maxsize=1024)
def video_id_for_url(url: str) -> str:
    """The id the mock gives a video known only by its URL."""
    return _uuid5(url)


def result_video_id(task_id: str) -> str:
    """The id of a task's result video (valid as ``video_id`` of a later task)."""
    return _uuid5(f"result:{task_id}")
