"""What every family's tasks share: their ids, their timeline, where the mock serves their media, how one is shown."""

from __future__ import annotations

import re
from typing import Any, Protocol

import orjson

from .store import TaskRow
from .timeline import TaskTimeline

__all__ = [
    "TASK_IDS",
    "TASK_ID_OFFSET",
    "NumericIds",
    "face_image_url",
    "own_video_id",
    "render_task",
    "result_url",
    "seq_of",
    "task_id_of",
    "timeline_of",
    "watermark_url",
]


class NumericIds:
    """Ids like Kling's (18-digit numeric strings) made from a table's sequence numbers, and back."""

    _MAX_SEQ = 10**17

    def __init__(self, offset: int) -> None:
        self.offset = offset

    def id_of(self, seq: int) -> str:
        return str(self.offset + seq)

    def seq_of(self, value: str) -> int | None:
        """The sequence number behind an id, or None when it cannot be one of ours."""
        if not (value.isascii() and value.isdigit()) or len(value) != 18:
            return None
        seq = int(value) - self.offset
        return seq if 0 < seq < self._MAX_SEQ else None


#: Task ids (``860000000000000042``); the offset keeps them 18 digits long.
TASK_ID_OFFSET = 860_000_000_000_000_000
TASK_IDS = NumericIds(TASK_ID_OFFSET)
task_id_of = TASK_IDS.id_of
seq_of = TASK_IDS.seq_of


def timeline_of(row: TaskRow) -> TaskTimeline:
    return TaskTimeline(
        created_at=row["created_at"],
        processing_at=row["processing_at"],
        finished_at=row["finished_at"],
        outcome=row["outcome"],
        failure_message=row["failure_message"],
    )


#: Where the mock serves a result and its watermarked copy (admin.py's routes), under any base URL.
_OWN_VIDEO = re.compile(r"/__mock__/(?:videos|watermarked)/([^/?#]+)\.mp4(?:[?#]|$)")


def own_video_id(url: str) -> str | None:
    """The id of the mock's own result that ``url`` serves (``result_url``, ``watermark_url``), or None."""
    found = _OWN_VIDEO.search(url)
    return found.group(1) if found else None


def result_url(base_url: str, video_id: str) -> str:
    return f"{base_url.rstrip('/')}/__mock__/videos/{video_id}.mp4"


def watermark_url(base_url: str, video_id: str) -> str:
    """The watermarked copy of a result (advanced lip-sync with ``watermark_info.enabled``)."""
    return f"{base_url.rstrip('/')}/__mock__/watermarked/{video_id}.mp4"


def face_image_url(base_url: str, session_id: str, face_id: str) -> str:
    return f"{base_url.rstrip('/')}/__mock__/faces/{session_id}/{face_id}.jpg"


class _Renders(Protocol):
    def render(self, row: TaskRow, now_ms: int) -> dict[str, Any]: ...


def render_task(family: _Renders, row: TaskRow, now_ms: int) -> dict[str, Any]:
    """A task as it stands at ``now_ms``: its family's rendering, or for a replayed task the recorded one."""
    recording = row["recording"]
    if recording is None:
        return family.render(row, now_ms)
    recorded = orjson.loads(recording)
    states: dict[str, dict[str, Any]] = recorded["states"]
    timeline = timeline_of(row)
    status, updated_at = timeline.status_at(now_ms)
    shown = states.get(status)
    if shown is None:
        # Never seen in this status (a poll came later, or an operator forced it): the next state seen,
        # without its results, or the family's own rendering.
        later = [states[s] for s in states if s != status]
        if not later:
            shown = {**family.render(row, now_ms), "task_id": recorded["task_id"]}
        else:
            shown = {**later[0]}
            result = shown.get("task_result")
            if isinstance(result, dict):
                shown["task_result"] = {key: [] for key in result}
        shown["task_status_msg"] = timeline.message_at(now_ms)
    return {**shown, "task_status": status, "created_at": timeline.created_at, "updated_at": updated_at}
