"""The processes a benchmark script starts: each in a session of its own, each stopped on the way out.

Shared by ``http_bench.py`` and ``crash_safety.py``. SIGTERM and SIGINT become ``KeyboardInterrupt`` (so
``finally`` runs), and they wait while a process starts or the servers are stopped: arriving between a
fork and its bookkeeping, they would leave a process nobody knows of.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["interrupt_on_sigterm", "spawn", "stop", "stop_all"]

_STARTED: list[subprocess.Popen[Any]] = []
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


@contextlib.contextmanager
def _stop_signals_wait() -> Iterator[None]:
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _unblock() -> None:
    # A child inherits the blocked signals and would then ignore a SIGTERM: unblock them there.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """SIGTERM ends the script as Ctrl-C does, through its ``finally`` blocks."""
    signal.signal(signal.SIGTERM, _interrupted)


def spawn(command: list[str], *, cwd: Path, **options: Any) -> subprocess.Popen[Any]:
    """Start a process in a session of its own and remember it, so ``stop_all`` stops it."""
    with _stop_signals_wait():
        process = subprocess.Popen(command, cwd=cwd, start_new_session=True, preexec_fn=_unblock, **options)
        _STARTED.append(process)
    return process


def stop(process: subprocess.Popen[Any], how: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Signal the process's whole group; SIGKILL it if it has not ended within ``timeout`` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, how)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ValueError):
        _STARTED.remove(process)


def stop_all() -> None:
    """Stop every process started here that still runs; a second Ctrl-C waits for it."""
    with _stop_signals_wait():
        while _STARTED:
            stop(_STARTED[-1])
