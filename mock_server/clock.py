"""The mock's sense of time: the wall clock, or a virtual clock that moves only when told to.

The virtual clock's reading lives in the store (``POST /__mock__/clock/advance`` moves it there), so every
worker process of one mock agrees on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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
    """Time that stands still until advanced; it reads the reading kept by the store."""

    virtual = True

    def __init__(self, read_ms: Callable[[], int]) -> None:
        self._read = read_ms

    def now_ms(self) -> int:
        return self._read()
