"""A local audio file for ``audio_file``, checked the way the service checks it (``kling_spec.audio``)."""

from __future__ import annotations

import os

from kling_lipsync.errors import AudioFileError
from kling_spec.audio import MAX_AUDIO_BYTES, audio_format

__all__ = ["MAX_AUDIO_BYTES", "audio_format", "read_audio_file"]


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
