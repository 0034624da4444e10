"""What every family's tasks share: their ids, their timeline, and where the mock serves their media."""

from __future__ import annotations

from .store import TaskRow
from .timeline import TaskTimeline

__all__ = ["TASK_ID_OFFSET", "face_image_url", "result_url", "seq_of", "task_id_of", "timeline_of", "watermark_url"]

#: Task ids are numeric strings like the new system's (18 digits); the offset keeps them that long.
TASK_ID_OFFSET = 860_000_000_000_000_000
_MAX_SEQ = 10**17


def task_id_of(seq: int) -> str:
    return str(TASK_ID_OFFSET + seq)


def seq_of(task_id: str) -> int | None:
    """The sequence number behind a task id, or None when it cannot be one of ours."""
    if not (task_id.isascii() and task_id.isdigit()) or len(task_id) != 18:
        return None
    seq = int(task_id) - TASK_ID_OFFSET
    return seq if 0 < seq < _MAX_SEQ else None


def timeline_of(row: TaskRow) -> TaskTimeline:
    return TaskTimeline(
        created_at=row["created_at"],
        processing_at=row["processing_at"],
        finished_at=row["finished_at"],
        outcome=row["outcome"],
        failure_message=row["failure_message"],
    )


def result_url(base_url: str, video_id: str) -> str:
    return f"{base_url.rstrip('/')}/__mock__/videos/{video_id}.mp4"


def watermark_url(base_url: str, video_id: str) -> str:
    """The watermarked copy of a result (advanced lip-sync with ``watermark_info.enabled``)."""
    return f"{base_url.rstrip('/')}/__mock__/watermarked/{video_id}.mp4"


def face_image_url(base_url: str, session_id: str, face_id: str) -> str:
    return f"{base_url.rstrip('/')}/__mock__/faces/{session_id}/{face_id}.jpg"
