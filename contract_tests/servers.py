"""Run the mock as a real server on loopback for end-to-end tests: the production command or gunicorn.

Every server is started in a session of its own and stopped with its whole process group, also when the
test fails or the run is interrupted (``atexit``), so nothing is left listening.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from kling_lipsync.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

_RUNNING: set[subprocess.Popen[str]] = set()


def _stop_all() -> None:
    for process in list(_RUNNING):
        _kill_group(process)


atexit.register(_stop_all)


def _kill_group(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    _RUNNING.discard(process)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc; empty where there is none)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command in parentheses may hold spaces: the parent is the second field after it.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def workers_of(pid: int) -> set[int]:
    """A server's worker processes: the live children of its main process ``pid``, but multiprocessing's
    resource tracker (granian's workers are spawned processes, gunicorn's forked ones)."""
    found = set()
    for child in _children(pid):
        with contextlib.suppress(OSError, IndexError):
            state = Path(f"/proc/{child}/stat").read_text().rpartition(")")[2].split()[0]
            if state != "Z" and b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(child)
    return found


#: How the start-up line of a launcher (and of the packaged gunicorn configuration) begins; the URL follows.
STARTUP_LINE = "Kling lip-sync mock on "


class ServedMock:
    """A mock server process: started, waited for until it answers, its log kept, stopped with its group."""

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        *,
        port: int,
        cwd: Path = ROOT,
        ready_seconds: float = 60,
        announced: bool = False,
        startup_line: str = STARTUP_LINE,
    ) -> None:
        """``announced``: ready when the start-up line comes (``startup_line``, then the URL: it names the port,
        so ``port`` may be 0); otherwise when ``/__mock__/health`` answers."""
        self.startup_line = startup_line
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        full_env = {**os.environ, "KLING_MOCK_LOG_REQUESTS": "false", **env}
        self.process = subprocess.Popen(
            list(command), cwd=cwd, env=full_env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        _RUNNING.add(self.process)
        self.log: list[str] = []
        #: Set when the start-up line came; ``url`` and ``port`` are then the ones it names.
        self.announced = threading.Event()
        self._drained = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        try:
            if announced:
                self._wait_for_the_line(ready_seconds)
            else:
                self._wait_until_serving(ready_seconds)
        except BaseException:
            self.kill()
            raise

    @property
    def address(self) -> tuple[str, int]:
        """Where to connect: the host and port of ``url``."""
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or 80

    def _drain(self) -> None:
        # Keep reading the log, or the server blocks once the pipe is full.
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if line.startswith(self.startup_line) and not self.announced.is_set():
                self.url = line.removeprefix(self.startup_line).split(" ", 1)[0]
                self.port = self.address[1]
                self.announced.set()
        self._drained.set()

    def _wait_for_the_line(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.announced.wait(0.05):
            if self._drained.is_set():
                self.process.wait()
                raise RuntimeError(f"the server exited with {self.process.returncode}: {''.join(self.log)[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no start-up line within {seconds:g} s: {''.join(self.log)[-2000:]}")

    def _wait_until_serving(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._drained.wait(2)  # let the drain thread read the last lines
                raise RuntimeError(f"the server exited with {self.process.returncode}: {''.join(self.log)[-2000:]}")
            try:
                httpx.get(f"{self.url}/__mock__/health", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.url} did not come up within {seconds:g} s: {''.join(self.log)[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole server (main process and workers), as a crash would."""
        _kill_group(self.process)

    def stop(self) -> None:
        """SIGTERM, as an operator would; SIGKILL if it has not ended within 15 s.

        A granian worker still loading the app when the stop comes misses it, and granian kills it only
        after ``workers_kill_timeout`` (5 s): that worker alone is killed after a second, so the main process
        still ends as it would (its clean-up included) without costing the test 5 s.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=1)
            for worker in _children(self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        _kill_group(self.process)

    def __enter__(self) -> ServedMock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ProductionMock(ServedMock):
    """The production command, ``python -m mock_server --workers N`` (granian, or ``server="gunicorn"``).

    Ready when its start-up line comes, which names the port: ``port`` None serves on ``--port 0``.
    ``launcher``: how it is typed, ``kling-lipsync mock`` being the other way.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        workers: int = 2,
        args: Sequence[str] = (),
        port: int | None = None,
        cwd: Path = ROOT,
        launcher: Sequence[str] = (sys.executable, "-m", "mock_server"),
        server: str = "granian",
    ) -> None:
        chosen = port or 0
        command = [*launcher, "--server", server, "--workers", str(workers), "--port", str(chosen), *args]
        super().__init__(command, env or {}, port=chosen, cwd=cwd, announced=True)


class GunicornMock(ServedMock):
    """``gunicorn 'mock_server:create_app()'`` with settings from the environment.

    From the repository root gunicorn reads ``gunicorn.conf.py``; from another ``cwd`` it runs with no
    configuration unless ``config`` names one (``python:mock_server.gunicorn_conf``).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        workers: int = 2,
        port: int | None = None,
        config: str | None = None,
        cwd: Path = ROOT,
        extra: Sequence[str] = (),
    ) -> None:
        chosen = port or free_port()
        command = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{chosen}", *extra]
        if config:
            command += ["-c", config]
        command.append("mock_server:create_app()")
        super().__init__(command, env or {}, port=chosen, cwd=cwd)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer as it came off the wire."""

    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    @property
    def status_code(self) -> int:
        """``status`` under httpx's name, so ``helpers.data`` reads both kinds of answer."""
        return self.status

    def json(self) -> Any:
        return json.loads(self.body)


def send(port: int, method: str, path: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()) -> Answer:
    """One request on a connection of its own, through http.client, which sends paths, methods and doubled
    headers as given (an httpx client per request would also cost 10 ms of TLS set-up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body or method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


def fresh(method: str, url: str, *, json_body: object = None, headers: Mapping[str, str] | None = None) -> Answer:
    """``send`` for a URL on 127.0.0.1, with an optional JSON body."""
    parts = urlsplit(url)
    sent = list((headers or {}).items())
    body = b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        sent.append(("Content-Type", "application/json"))
    return send(parts.port or 80, method, parts.path + (f"?{parts.query}" if parts.query else ""), body, sent)
