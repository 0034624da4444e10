"""When to retry and how often to poll: pure functions of attempt numbers and elapsed time."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["PollSchedule", "RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for retryable answers (1302, 1303, 5000-5002, no answer).

    Kling asks clients to back off from at least one second; ``Retry-After`` is honoured when sent.
    """

    max_attempts: int = 5
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        jittered = base * rng.uniform(1 - self.jitter, 1 + self.jitter)
        return max(jittered, retry_after) if retry_after is not None else jittered


@dataclass(frozen=True)
class PollSchedule:
    """How long to wait between polls of a running task.

    Polls come quickly at first (1, 2, 4, 8 s ...), never later than half the time left until the task is
    expected to finish, so they close in on ``expected_seconds``, and every ``min_interval`` once it is
    due; an overdue task is polled less and less often. A three-minute task costs about 16 polls and is
    seen finished about a second after it finished.
    """

    expected_seconds: float = 180.0
    min_interval: float = 1.0
    max_interval: float = 60.0
    jitter: float = 0.1

    def interval(self, elapsed: float, rng: random.Random) -> float:
        """Seconds to wait before the next poll, ``elapsed`` seconds after waiting began."""
        remaining = self.expected_seconds - elapsed
        # Before the expected end: grow with the time waited, but never past half the time left.
        # After it: overdue tasks are polled less and less often.
        base = min(remaining / 2, max(elapsed, self.min_interval)) if remaining > 0 else -remaining / 2
        base = min(max(base, self.min_interval), self.max_interval)
        return base * rng.uniform(1 - self.jitter, 1 + self.jitter) if base > self.min_interval else base
