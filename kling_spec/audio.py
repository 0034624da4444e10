"""What counts as audio for the API: MP3, WAV, M4A or AAC, told apart by their first bytes, within a size,
and how long it lasts.

The client checks (and measures) a local file with it before sending, the mock checks what it receives:
one rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kling_spec import load_spec

__all__ = ["MAX_AUDIO_BYTES", "audio_format", "audio_length_ms", "decoded_size", "max_audio_bytes"]


def max_audio_bytes(spec: Mapping[str, Any] | None = None) -> int:
    """The decoded size limit of ``audio_file`` (``x-max-decoded-bytes`` in openapi.yaml)."""
    document = load_spec() if spec is None else spec
    limit: int = document["components"]["schemas"]["LipSyncInput"]["properties"]["audio_file"]["x-max-decoded-bytes"]
    return limit


MAX_AUDIO_BYTES = max_audio_bytes()


def audio_format(head: bytes) -> str | None:
    """``mp3``, ``wav``, ``m4a`` or ``aac`` from a file's first bytes (16 are plenty), else None."""
    if head.startswith(b"ID3"):
        return "mp3"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS: 12-bit sync, layer bits 00
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06:
        return "mp3"  # MPEG audio frame: 11-bit sync, layer set
    return None


def decoded_size(encoded: str) -> int:
    """How many bytes a base64 string decodes to, without decoding it (a size check before the work)."""
    padding = len(encoded) - len(encoded.rstrip("="))
    return len(encoded) // 4 * 3 - padding


def audio_length_ms(data: bytes) -> int | None:
    """How long audio lasts, in whole milliseconds (rounded down: never past its end), or None when its
    format is not one of the four or its headers do not say.

    mutagen reads the length from the container (MP4, WAV) or the frames (MP3, ADTS AAC), with the reader
    of the format ``audio_format`` recognised: its own guess needs a file name for a raw AAC stream.
    """
    import io
    import math

    from mutagen.aac import AAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.wave import WAVE

    readers: dict[str, Any] = {"mp3": MP3, "wav": WAVE, "m4a": MP4, "aac": AAC}
    kind = audio_format(data[:16])
    if kind is None:
        return None
    try:
        length = float(readers[kind](io.BytesIO(data)).info.length)
    except Exception:  # mutagen raises many kinds of error on broken files; all mean "cannot tell"
        return None
    return int(length * 1000) if math.isfinite(length) and length > 0 else None
