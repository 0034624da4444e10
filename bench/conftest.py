"""The in-process benchmarks' summary: lines that ``report`` collects, printed at the end of the run."""

from __future__ import annotations

from typing import Any

__all__ = ["report"]

_LINES: list[str] = []


def report(line: str) -> None:
    """Print ``line`` in the run's summary (pytest captures what tests print)."""
    _LINES.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _LINES:
        terminalreporter.section("in-process measurements")
        for line in _LINES:
            terminalreporter.write_line(line)
