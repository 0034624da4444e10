"""The mock's sense of time: the wall clock, or a virtual clock that moves only when told to.

The virtual clock's reading lives in the store, so every worker process of one mock agrees on it.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock", "VirtualClock"]


class Clock(Protocol):
    """Tells the current time in Unix milliseconds."""

    virtual: bool

    def now_ms(self) -> int: ...


class SystemClock:
    """Wall-clock time."""

    virtual = False

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class VirtualClock:
    """Time that stands still until advanced; its reading is kept by a store shared across processes."""

    virtual = True

    def __init__(self, read_ms: ReadMs, advance_ms: AdvanceMs) -> None:
        self._read = read_ms
        self._advance = advance_ms

    def now_ms(self) -> int:
        return self._read()

    def advance(self, milliseconds: int) -> int:
        """Move the clock forward and return the new reading."""
        if milliseconds < 0:
            raise ValueError("the clock only moves forward")
        return self._advance(milliseconds)


class ReadMs(Protocol):
    def __call__(self) -> int: ...


class AdvanceMs(Protocol):
    def __call__(self, milliseconds: int, /) -> int: ...
