"""How a stored task looks to clients at a given moment: ids, timeline, and the task object."""

from __future__ import annotations

from typing import Any

from .media import result_duration
from .store import TaskRow
from .timeline import SUCCEED, TaskTimeline

__all__ = ["TASK_ID_OFFSET", "render_task", "result_url", "seq_of", "task_id_of", "timeline_of"]

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


def render_task(row: TaskRow, now_ms: int) -> dict[str, Any]:
    """The task object (``LipSyncTask`` in the spec) as it stands at ``now_ms``."""
    timeline = timeline_of(row)
    status, updated_at = timeline.status_at(now_ms)
    videos = []
    if status == SUCCEED:
        video_id = row["result_video_id"]
        videos.append({"id": video_id, "url": result_url(row["base_url"], video_id), "duration": result_duration()})
    return {
        "task_id": task_id_of(row["seq"]),
        "task_status": status,
        "task_status_msg": timeline.message_at(now_ms),
        "task_info": {
            "parent_video": {
                "id": row["parent_video_id"],
                "url": row["parent_video_url"],
                "duration": row["parent_video_duration"],
            }
        },
        "task_result": {"videos": videos},
        "created_at": timeline.created_at,
        "updated_at": updated_at,
    }
