"""When to retry and how often to poll: pure functions of attempt numbers and elapsed time."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["REFUSED_BEFORE_ACCEPTING", "PollSchedule", "RetryPolicy", "may_send_again"]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for retryable answers (1302, 1303, 5000-5002, no answer).

    Kling asks clients to back off from at least one second; ``Retry-After`` is honoured when sent.
    ``max_connect_attempts`` caps the tries when the connection never opens (refused, unreachable host);
    ``None`` means ``max_attempts``. A command line that must report a server that is down at once sets 1.
    """

    max_attempts: int = 5
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1
    max_connect_attempts: int | None = None

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        jittered = base * rng.uniform(1 - self.jitter, 1 + self.jitter)
        return max(jittered, retry_after) if retry_after is not None else jittered


@dataclass(frozen=True)
class PollSchedule:
    """How long to wait between polls of a running task.

    Three phases, each for a reason:

    * **Quick start.** The gap is the time waited minus ``quick_seconds`` (at least ``min_interval``): every
      second for the first ``quick_seconds + 2`` seconds, so a short task (a cached job, a mock) is seen
      finished within a second or two, then doubling, so a long task costs no more polls than with plain
      doubling from the start.
    * **Closing in.** The gap never exceeds ``closing_fraction`` of the time left until ``expected_seconds``,
      so polls crowd towards the expected end, every ``min_interval`` once it is due.
    * **Overdue.** Past the expected end the gap is half the time overdue: a stuck task is polled less and
      less often, up to ``max_interval``.

    With the defaults a three-minute task costs about 16 polls (15 to 17 with the jitter, as many as with
    plain doubling from the start) and is seen finished within a second of it; a five-second task within
    1.2 s.
    ``interval`` is the plan, a pure function of the elapsed time; ``next_wait`` spreads it by ``jitter``
    so that many waiters started together do not poll in step.
    """

    expected_seconds: float = 180.0
    min_interval: float = 1.0
    max_interval: float = 60.0
    quick_seconds: float = 2.0
    closing_fraction: float = 2 / 3
    jitter: float = 0.1

    def interval(self, elapsed: float) -> float:
        """Seconds to wait before the next poll, ``elapsed`` seconds after waiting began."""
        remaining = self.expected_seconds - elapsed
        quick_start_or_closing_in = min(elapsed - self.quick_seconds, self.closing_fraction * remaining)
        overdue = -remaining / 2
        base = quick_start_or_closing_in if remaining > 0 else overdue
        return min(max(base, self.min_interval), self.max_interval)

    def next_wait(self, elapsed: float, rng: random.Random) -> float:
        """``interval(elapsed)`` spread by ``jitter``; the shortest gap is kept as it is, never shortened."""
        planned = self.interval(elapsed)
        if planned <= self.min_interval:
            return planned
        return max(self.min_interval, planned * rng.uniform(1 - self.jitter, 1 + self.jitter))


#: Answers that prove the service refused a create before accepting it: safe to send again.
REFUSED_BEFORE_ACCEPTING = frozenset({1302, 1303, 5001})


def may_send_again(
    *,
    answered: bool,
    repeatable: bool,
    code: int | None = None,
    retryable: bool = False,
    maybe_received: bool = True,
) -> bool:
    """May a failed request be sent again? The client's one rule, a pure function (unit-tested).

    * ``answered``: an answer came (an error envelope, or the proxy's own 401), or none at all.
    * ``code``, ``retryable``: the answer's Kling code, and whether its family allows a retry (1302, 1303,
      5000-5002).
    * ``maybe_received``: without an answer, could the service have got the request (the connection opened)?
    * ``repeatable``: sending twice does no harm (a query, or a create with ``retry_unsafe=True``).

    A create is sent again only when the service surely did not take it: the connection never opened, or
    the answer proves a refusal (``REFUSED_BEFORE_ACCEPTING``); after 5000, 5002 or a lost answer the
    task may exist already, and a second create would make a second task.
    """
    if not answered:
        return repeatable or not maybe_received
    if not retryable:
        return False
    return repeatable or code in REFUSED_BEFORE_ACCEPTING
