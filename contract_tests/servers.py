"""Run the mock as a real server (gunicorn) on loopback for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from kling_lipsync.testing import free_port

ROOT = Path(__file__).resolve().parent.parent


class GunicornMock:
    """``gunicorn 'mock_server:create_app()'`` with settings from the environment; ready once workers booted."""

    def __init__(self, env: Mapping[str, str], *, workers: int = 2, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers", str(workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--log-level", "info",
            "mock_server:create_app()",
        ]  # fmt: skip
        full_env = {**os.environ, "KLING_MOCK_LOG_REQUESTS": "false", **env}
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=full_env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        self.log: list[str] = []
        booted = 0
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if "Booting worker" in line:
                booted += 1
            if booted == workers:
                break
        else:
            raise RuntimeError(f"gunicorn did not start (exit {self.process.wait()})")
        # Keep reading the log, or gunicorn blocks once the pipe is full. The listening socket accepts
        # already, so requests wait for a worker rather than fail.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def kill(self) -> None:
        """SIGKILL the whole server (master and workers), as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
