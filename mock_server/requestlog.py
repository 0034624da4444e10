"""The mock's console: one line per request on stderr, written in batches off the request path.

Formatting a ``logging`` record and writing it with a system call for every request cost about a tenth of
a query's time under load (bench/RESULTS.md). Lines are queued instead and written together when 64 are
waiting, when the oldest has waited 0.1 s, from the housekeeping thread, and at exit.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
from typing import TextIO

__all__ = ["RequestLog"]

_BATCH = 64
_WAIT_SECONDS = 0.1


class RequestLog:
    """Queued request lines, each prefixed with its local time (``2026-11-26 02:37:36,489``)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._due = 0.0
        self._second = -1
        self._second_text = ""
        self._flush_at_exit = False

    def line(self, text: str) -> None:
        now = time.time()
        second = int(now)
        with self._lock:
            if second != self._second:
                self._second, self._second_text = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
            if not self._pending:
                self._due = now + _WAIT_SECONDS
            if not self._flush_at_exit:
                # Registered on the first line, not per instance: a test suite makes many mocks that log nothing.
                atexit.register(self.flush)
                self._flush_at_exit = True
            self._pending.append(f"{self._second_text},{int(now * 1000) % 1000:03d} {text}\n")
            due = len(self._pending) >= _BATCH or now >= self._due
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if pending:
            stream = self._stream or sys.stderr
            try:
                stream.write("".join(pending))
                stream.flush()
            except (OSError, ValueError):  # stderr closed at shutdown: nothing left to tell
                pass
