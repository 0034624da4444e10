"""What counts as audio for the API: MP3, WAV, M4A or AAC, told apart by their first bytes, within a size.

The client checks a local file with it before sending, the mock checks what it receives: one rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kling_spec import load_spec

__all__ = ["MAX_AUDIO_BYTES", "audio_format", "decoded_size", "max_audio_bytes"]


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
