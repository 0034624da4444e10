"""What counts as audio for ``audio_file``: MP3, WAV, M4A or AAC, told apart by their first bytes."""

from __future__ import annotations

import os

from kling_lipsync.errors import AudioFileError
from kling_lipsync.spec import load_spec

__all__ = ["MAX_AUDIO_BYTES", "audio_format", "read_audio_file"]

#: The decoded size limit of ``audio_file`` (``x-max-decoded-bytes`` in openapi.yaml).
MAX_AUDIO_BYTES: int = load_spec()["components"]["schemas"]["LipSyncInput"]["properties"]["audio_file"][
    "x-max-decoded-bytes"
]


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


def read_audio_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a local audio file the service would take; ``AudioFileError`` says why not, before sending.

    Missing, a folder, unreadable, over ``MAX_AUDIO_BYTES`` or not audio: each is one readable message
    naming the file, never a bare ``OSError``.
    """
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_AUDIO_BYTES:
                # Checked before reading, so a huge file by mistake is not loaded into memory.
                raise AudioFileError(
                    f"{os.fspath(path)}: {size} bytes, more than the {MAX_AUDIO_BYTES} the service takes"
                )
            content = handle.read(MAX_AUDIO_BYTES + 1)
    except OSError as exc:
        raise AudioFileError(f"{os.fspath(path)}: {exc.strerror or exc}") from exc
    # A file that grew while it was read (or whose size the system does not report) is still limited.
    if len(content) > MAX_AUDIO_BYTES:
        raise AudioFileError(f"{os.fspath(path)}: more than the {MAX_AUDIO_BYTES} bytes the service takes")
    if audio_format(content[:16]) is None:
        raise AudioFileError(f"{os.fspath(path)}: not MP3, WAV, M4A or AAC audio")
    return content
