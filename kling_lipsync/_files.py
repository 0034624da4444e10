"""Local files of the client: where a result video goes, writing it whole or not at all, measuring audio."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from kling_lipsync.audio import read_audio_file
from kling_lipsync.errors import AudioFileError, LocalFileError
from kling_spec.audio import audio_length_ms as measure_audio

__all__ = ["audio_length_ms", "destination", "written_whole"]


def destination(path: str | os.PathLike[str], name: str, suffix: str = "", extension: str = ".mp4") -> Path:
    """Where a download goes: ``path``, or ``<name><suffix><extension>`` inside it when it is a folder (like
    ``wget -P``).

    A path ending in a separator names a folder too, created if need be.
    """
    named_a_folder = os.fspath(path).endswith((os.sep, "/"))
    target = Path(path)
    return target / f"{name}{suffix}{extension}" if named_a_folder or target.is_dir() else target


def audio_length_ms(path: str | os.PathLike[str], data: bytes | None = None) -> int:
    """How long a local audio file lasts, in whole milliseconds, measured as the mock measures what it
    receives (``kling_spec.audio.audio_length_ms``); ``data``: its bytes, when already read.

    :raise AudioFileError: the file is unusable (``read_audio_file``), or its headers do not say.
    """
    length = measure_audio(read_audio_file(path) if data is None else data)
    if length is None:
        raise AudioFileError(f"{os.fspath(path)}: cannot tell how long the audio lasts (give its length in ms)")
    return length


def _open_partial(target: Path) -> tuple[int, Path]:
    """A new hidden file next to ``target``, created with mode 0666 so that the umask decides, as for any file.

    ``tempfile.mkstemp`` would make it 0600, and ``os.replace`` keeps that mode: a video only its owner reads.
    """
    while True:
        partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            return os.open(partial, flags, 0o666), partial
        except FileExistsError:
            continue  # another download chose the same random name; draw again


@contextmanager
def written_whole(target: Path) -> Iterator[BinaryIO]:
    """A file that appears at ``target`` only once everything was written (no half videos).

    Local failures (a missing or read-only folder, a full disk) are ``LocalFileError`` naming the file.
    """
    partial: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = _open_partial(target)
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(partial, target)
    except BaseException as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise LocalFileError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
