"""A task's life as a pure function of its plan and the clock: submitted -> processing -> succeed | failed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from kling_spec import task_statuses

__all__ = ["FAILED", "PROCESSING", "SUBMITTED", "SUCCEED", "TaskTimeline", "plan_timeline"]


def _status(value: str) -> str:
    """A status of the spec's ``TaskStatus`` enum: one the spec renames or drops fails here, at import."""
    if value not in task_statuses():
        raise RuntimeError(f"openapi.yaml's TaskStatus has no {value!r}: {task_statuses()}")
    return value


SUBMITTED = _status("submitted")
PROCESSING = _status("processing")
SUCCEED = _status("succeed")
FAILED = _status("failed")


@dataclass(frozen=True)
class TaskTimeline:
    """When a task enters each state (Unix ms) and how it ends."""

    created_at: int
    processing_at: int
    finished_at: int
    outcome: str  # SUCCEED | FAILED
    failure_message: str = ""

    def status_at(self, now_ms: int) -> tuple[str, int]:
        """The status at ``now_ms`` and when it began (``updated_at``)."""
        if now_ms >= self.finished_at:
            return self.outcome, self.finished_at
        if now_ms >= self.processing_at:
            return PROCESSING, self.processing_at
        return SUBMITTED, self.created_at

    def transitions(self) -> list[tuple[str, int]]:
        """Every status the task takes, with its start time, in order."""
        return [(SUBMITTED, self.created_at), (PROCESSING, self.processing_at), (self.outcome, self.finished_at)]

    def is_finished(self, now_ms: int) -> bool:
        return now_ms >= self.finished_at

    def message_at(self, now_ms: int) -> str:
        """``task_status_msg``: the failure reason once failed, empty otherwise."""
        return self.failure_message if self.is_finished(now_ms) and self.outcome == FAILED else ""

    def announced(self) -> list[tuple[str, int]]:
        """The transitions a callback announces: each status the task is in for some time, and the last."""
        steps = self.transitions()
        return [step for step, after in pairwise(steps) if after[1] > step[1]] + steps[-1:]

    def forced(self, status: str, now_ms: int, *, processing_ms: int, message: str = "") -> TaskTimeline:
        """This timeline rewritten so that the task is ``status`` from ``now_ms`` on (an operator's order).

        ``processing``: processing from now (or since it began, if it had) until ``processing_ms`` from now
        (at least 1 ms), then it ends as planned. ``succeed`` or ``failed`` (with ``message``): it ends now; a
        task that had not begun processing passes through processing for no time. What already happened
        stays as it was.

        :raise ValueError: the task is finished (a finished task's status is final), or ``status`` is
            ``submitted`` or unknown.
        """
        if self.is_finished(now_ms):
            raise ValueError(f"the task is already {self.outcome}: a finished task's status is final")
        processing_at = min(self.processing_at, now_ms)
        if status == PROCESSING:
            return replace(self, processing_at=processing_at, finished_at=now_ms + max(processing_ms, 1))
        if status in (SUCCEED, FAILED):
            return replace(
                self,
                processing_at=processing_at,
                finished_at=now_ms,
                outcome=status,
                failure_message=message if status == FAILED else "",
            )
        raise ValueError(f"a task cannot be forced into {status!r}")


def plan_timeline(
    created_at: int,
    *,
    queue_seconds: float,
    processing_seconds: float,
    processing_factor: float,
    outcome: str,
    failure_message: str = "",
) -> TaskTimeline:
    """Plan a task's life from its creation time and durations."""
    processing_at = created_at + round(queue_seconds * 1000)
    finished_at = processing_at + round(processing_seconds * processing_factor * 1000)
    return TaskTimeline(created_at, processing_at, finished_at, outcome, failure_message)
