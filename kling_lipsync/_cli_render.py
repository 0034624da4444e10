"""What ``kling-lipsync`` shows: progress on stderr (``Progress``), tasks on stdout (``print_task``)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, TextIO

from kling_lipsync.errors import KlingError
from kling_lipsync_client.models import AdvancedLipSyncTask, AdvancedLipSyncTaskCreated, LipSyncTask, TaskCreated
from kling_lipsync_client.types import Unset

__all__ = ["Progress", "Task", "print_task", "task_json"]

Task = LipSyncTask | AdvancedLipSyncTask


class Progress:
    """Renders task updates, retries and download progress on stderr: one redrawn line on a terminal, else lines."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self._stream = stream
        self._live = stream.isatty() and not quiet
        self._quiet = quiet
        self._last_status: str | None = None
        self._started = time.monotonic()
        self._line_open = False  # something is on the redrawn line, so the next message needs a newline first

    def _redraw(self, text: str) -> None:
        """Replace the terminal's current line with ``text``."""
        self._stream.write(f"\r\x1b[2K{text}")
        self._stream.flush()
        self._line_open = True

    def task(self, task: Task) -> None:
        """A poll's answer: the status redrawn on a terminal, else one line per change of status."""
        status = str(task.task_status)
        if self._live:
            elapsed = time.monotonic() - self._started
            self._redraw(f"task {task.task_id}: {status} ({elapsed:.0f} s)")
        elif status != self._last_status and not self._quiet:
            self._stream.write(f"task {task.task_id}: {status}\n")
        self._last_status = status

    def retry(self, error: KlingError, attempt: int, seconds: float) -> None:
        """A request failed and is tried again in ``seconds``: say so on a terminal, where silence looks hung.

        Elsewhere (logs, scripts) only the outcome is printed, as for any other command.
        """
        if self._live:
            self._redraw(f"retrying in {seconds:.0f} s (attempt {attempt + 1}): {error}")

    def download(self, done: int, total: int | None) -> None:
        """Bytes saved so far (of ``total``, when known): shown on a terminal only."""
        if not self._live:
            return
        shown = f"{done * 100 // total}% of {total // 1024} KiB" if total else f"{done // 1024} KiB"
        self._redraw(f"downloading: {shown}")

    def end_line(self) -> None:
        """Close the redrawn line, so what follows starts on a line of its own."""
        if self._line_open:
            self._stream.write("\n")
            self._stream.flush()
            self._line_open = False


def task_json(task: Task | TaskCreated | AdvancedLipSyncTaskCreated) -> dict[str, Any]:
    """A task (or a created one) as JSON-ready data, in the API's own field names."""
    return task.to_dict()


def print_task(task: Task, as_json: bool, extra: Mapping[str, Any] | None = None) -> None:
    """One task on stdout: a line (id, status, message, videos) or, ``as_json``, an object with ``extra``."""
    if as_json:
        print(json.dumps({**task_json(task), **(extra or {})}, ensure_ascii=False))
        return
    line = f"{task.task_id}  {task.task_status}"
    if task.task_status_msg:
        line += f"  {task.task_status_msg}"
    for video in task.task_result.videos:
        line += f"  {video.url} ({video.duration} s)"
        watermarked = getattr(video, "watermark_url", None)
        if watermarked and not isinstance(watermarked, Unset):
            line += f"  watermarked: {watermarked}"
    print(line)
