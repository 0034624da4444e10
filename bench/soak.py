"""Soak: minutes of mixed valid and hostile traffic on the production command (granian, 2 workers), with one
worker killed half-way. Reports unplanned 5xx, lost tasks, worker restarts, memory before and after, and how
fast normal requests were answered while hundreds of slow clients were connected. Exits 1 on any 5xx, any
lost task, or a hostile request that got another answer than its documented one.

    python bench/soak.py                # 180 s
    python bench/soak.py --smoke        # 12 s, so the script cannot rot (make test-heavy)

The traffic, all at once:

* valid: threads that create a task (a new account each), query it, and list now and then;
* hostile: a catalogue sent in turn (``HOSTILE``): bad JSON, a lone surrogate, a chunked body over the limit,
  cross-site and text/plain admin writes, a rebinding ``Host``, a callback aimed at the mock's admin API,
  bytes that are not HTTP, an unknown path; each has the answer the docs give it;
* slow: 200 sockets that send their request head a byte at a time and 16 that send their body so, each
  opened again when the server ends it (the body ones get 408 after ``--body-timeout-seconds``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.processes import interrupt_on_sigterm, spawn, stop_all  # noqa: E402
from contract_tests.bodies import text_body  # noqa: E402 - after the path is set
from contract_tests.servers import workers_of  # noqa: E402
from kling_lipsync.testing import free_port  # noqa: E402

TASKS = "/kling/v1/videos/lip-sync"
SLOW_HEADERS, SLOW_BODIES = 200, 16
BODY_TIMEOUT = 5.0
#: The time the issue asks a normal request to be answered in, with slow clients connected.
PROMPT = 1.0


@dataclass
class Tally:
    """What the traffic met, counted under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (token, task_id)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (when, seconds) of valid requests
    statuses: Counter[int] = field(default_factory=Counter)
    unplanned_5xx: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    transport_errors: list[float] = field(default_factory=list)  # when
    hostile: Counter[str] = field(default_factory=Counter)
    slow_408: int = 0
    slow_reopened: int = 0


def _raw(port: int, data: bytes, timeout: float = 30) -> int | None:
    """Send bytes on a connection of their own; the answer's status, or None if there was none."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        try:
            while b"\r\n" not in received and (chunk := sock.recv(4096)):
                received += chunk
        except OSError:
            return None
    parts = received.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


Hostile = tuple[str, Callable[[httpx.Client], "int | None"], "set[int | None]"]


def _hostile_catalogue(port: int) -> list[Hostile]:
    """(name, send it, the statuses the docs give it)."""
    json_headers = {"Authorization": "Bearer sk-hostile", "Content-Type": "application/json"}
    surrogate = b'{"input": {"mode": "text2video", "video_url": "https://example.com/a.mp4", "text": "\\ud800"}}'

    def big_chunked(_: httpx.Client) -> int | None:
        head = f"POST {TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-hostile\r\n"
        head += "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b"a" * (1 << 20)
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(11)) + b"0\r\n\r\n"
        return _raw(port, head.encode() + body)

    own_reset = f"http://127.0.0.1:{port}/__mock__/reset"
    return [
        ("bad JSON", lambda c: c.post(TASKS, content=b"{not json", headers=json_headers).status_code, {400}),
        ("lone surrogate", lambda c: c.post(TASKS, content=surrogate, headers=json_headers).status_code, {400}),
        ("chunked over the limit", big_chunked, {413}),
        (
            "cross-site admin reset",
            lambda c: (
                c.post(
                    "/__mock__/reset", headers={"Origin": "http://evil.example", "Content-Type": "text/plain"}
                ).status_code
            ),
            {403},
        ),
        (
            "text/plain admin write",
            lambda c: (
                c.post(
                    "/__mock__/reset",
                    content=b"{}",
                    headers={"Sec-Fetch-Site": "same-origin", "Content-Type": "text/plain"},
                ).status_code
            ),
            {400},
        ),
        (
            "rebinding Host",
            lambda c: c.get("/__mock__/config", headers={"Host": f"rebind.test:{port}"}).status_code,
            {403},
        ),
        (
            "callback at the mock",
            lambda c: c.post(TASKS, json={**text_body(), "callback_url": own_reset}, headers=json_headers).status_code,
            {400},
        ),
        (
            "not HTTP",
            lambda _: _raw(port, os.urandom(64).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n\r\n"),
            {400, None},
        ),
        ("unknown path", lambda c: c.get("/kling/v1/nothing", headers=json_headers).status_code, {404}),
    ]


class Soak:
    def __init__(self, port: int, seconds: float, valid_threads: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.seconds = seconds
        self.tally = Tally()
        self.stop = threading.Event()
        self.started = time.monotonic()
        self._counter = itertools.count(1)
        self._threads = [threading.Thread(target=self._valid, daemon=True) for _ in range(valid_threads)]
        self._threads += [threading.Thread(target=self._hostile, daemon=True)]
        self._threads += [threading.Thread(target=self._slow_heads, daemon=True)]
        self._threads += [
            threading.Thread(target=self._slow_bodies, args=(i,), daemon=True) for i in range(SLOW_BODIES)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=BODY_TIMEOUT + 30)

    def _note(self, response: httpx.Response, what: str) -> None:
        with self.tally.lock:
            self.tally.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.tally.unplanned_5xx.append(f"{what}: {response.status_code} {response.text[:120]}")

    def _valid(self) -> None:
        body = text_body()
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while not self.stop.is_set():
                number = next(self._counter)
                auth = {"Authorization": f"Bearer sk-soak-{number}"}
                try:
                    began = time.monotonic()
                    created = client.post(TASKS, json=body, headers=auth)
                    took = time.monotonic() - began
                    self._note(created, "create")
                    if created.status_code != 200:
                        with self.tally.lock:
                            self.tally.unexpected.append(f"create: {created.status_code} {created.text[:120]}")
                        continue
                    task_id = created.json()["data"]["task_id"]
                    with self.tally.lock:
                        self.tally.acknowledged.append((auth["Authorization"], task_id))
                        self.tally.latencies.append((began - self.started, took))
                    began = time.monotonic()
                    queried = client.get(f"{TASKS}/{task_id}", headers=auth)
                    self._note(queried, "query")
                    with self.tally.lock:
                        self.tally.latencies.append((began - self.started, time.monotonic() - began))
                    if number % 10 == 0:
                        self._note(client.get(TASKS, headers=auth), "list")
                except httpx.TransportError:
                    with self.tally.lock:
                        self.tally.transport_errors.append(time.monotonic() - self.started)

    def _hostile(self) -> None:
        catalogue = _hostile_catalogue(self.port)
        with httpx.Client(base_url=self.url, timeout=30) as client:
            for turn, (name, send, expected) in enumerate(itertools.cycle(catalogue)):
                if self.stop.is_set():
                    return
                if name == "chunked over the limit" and turn % (10 * len(catalogue)) >= len(catalogue):
                    continue  # 11 MiB: one in ten rounds
                try:
                    status = send(client)
                except (httpx.TransportError, OSError):
                    with self.tally.lock:
                        self.tally.transport_errors.append(time.monotonic() - self.started)
                    continue
                with self.tally.lock:
                    self.tally.hostile[name] += 1
                    if status is not None and status >= 500:
                        self.tally.unplanned_5xx.append(f"hostile {name}: {status}")
                    elif status not in expected:
                        self.tally.unexpected.append(f"hostile {name}: {status}, expected {sorted(map(str, expected))}")
                time.sleep(0.01)  # a steady trickle, not a flood: the flood is the valid traffic's

    def _slow_heads(self) -> None:
        """200 sockets whose request head never ends (a byte a second); opened again when the server ends one."""
        head = f"GET {TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-slowloris\r\nX-Pad: ".encode()
        sockets: list[socket.socket] = []
        while not self.stop.is_set():
            while len(sockets) < SLOW_HEADERS:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                sock.sendall(head)
                sockets.append(sock)
            kept = []
            for sock in sockets:
                try:
                    sock.send(b"a")
                    kept.append(sock)
                except OSError:
                    sock.close()
                    with self.tally.lock:
                        self.tally.slow_reopened += 1
            sockets = kept
            self.stop.wait(1.0)
        for sock in sockets:
            sock.close()

    def _slow_bodies(self, index: int) -> None:
        body = json.dumps(text_body()).encode()
        head = f"POST {TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-slowbody-{index}\r\n"
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=BODY_TIMEOUT + 30) as sock:
                    sock.sendall(head.encode())
                    for byte in body[: len(body) // 2]:
                        if self.stop.wait(0.5):
                            return
                        sock.sendall(bytes([byte]))
                        if _readable(sock):
                            break
                    answer = sock.recv(4096)
            except OSError:
                continue
            with self.tally.lock:
                if answer.startswith(b"HTTP/1.1 408"):
                    self.tally.slow_408 += 1
                elif answer:
                    self.tally.unexpected.append(f"slow body: {answer[:60]!r}")


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0)[0])


def rss_mib(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def check(url: str, acknowledged: list[tuple[str, str]]) -> list[str]:
    """The acknowledged tasks that cannot be found."""
    lost = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for auth, task_id in acknowledged:
            response = client.get(f"{TASKS}/{task_id}", headers={"Authorization": auth})
            if response.status_code != 200 or response.json()["data"]["task_id"] != task_id:
                lost.append(f"{task_id}: {response.status_code}")
    return lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--threads", type=int, default=4, help="threads of valid traffic")
    parser.add_argument("--smoke", action="store_true", help="12 s, to check the script works")
    args = parser.parse_args()
    seconds = 12.0 if args.smoke else args.seconds
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "soak.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    port = free_port()
    interrupt_on_sigterm()
    command = [str(BIN / "python"), "-m", "mock_server", "--workers", "2", "--port", str(port), "--db", str(db),
               "--no-log-requests", "--body-timeout-seconds", str(BODY_TIMEOUT),
               "--max-in-flight", "100000"]  # fmt: skip
    try:
        server = spawn(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        assert server.stderr is not None
        server.stderr.readline()  # the start-up line: it comes once the server answers
        threading.Thread(target=server.stderr.read, daemon=True).start()  # keep the pipe from filling up
        print(f"soak: {seconds:g} s of mixed traffic on the production command (granian, 2 workers)", flush=True)
        soak = Soak(port, seconds, args.threads)
        every_worker = set(workers_of(server.pid))
        soak.start()
        time.sleep(min(10.0, seconds / 4))
        memory_before = rss_mib(workers_of(server.pid) | {server.pid})
        time.sleep(max(0.0, seconds / 2 - (time.monotonic() - soak.started)))
        victim = min(workers_of(server.pid))
        killed_at = time.monotonic() - soak.started
        os.kill(victim, signal.SIGKILL)
        print(f"  {killed_at:.0f} s: SIGKILL to worker {victim}", flush=True)
        while time.monotonic() - soak.started < seconds:
            every_worker |= workers_of(server.pid)
            time.sleep(0.2)
        memory_after = rss_mib(workers_of(server.pid) | {server.pid})
        soak.finish()
        alive = server.poll() is None
        lost = check(soak.url, soak.tally.acknowledged)
    finally:
        stop_all()
    tally = soak.tally
    restarts = len(every_worker) - 2
    calm = [took for when, took in tally.latencies if not killed_at - 1 <= when <= killed_at + 5]
    prompt = sum(took <= PROMPT for took in calm) / max(1, len(calm))
    quantiles = statistics.quantiles(calm, n=100) if len(calm) > 1 else [0.0] * 99
    window = sum(killed_at - 1 <= when <= killed_at + 5 for when in tally.transport_errors)
    rows = [
        (
            "valid requests (create + query), acknowledged tasks",
            f"{len(tally.latencies):,}, {len(tally.acknowledged):,}",
        ),
        (
            "their answer time p50 / p99 / max, outside the kill's 6 s",
            f"{quantiles[49] * 1000:.1f} / {quantiles[98] * 1000:.1f} / {max(calm, default=0) * 1000:.0f} ms",
        ),
        (f"answered within {PROMPT:g} s, outside the kill's 6 s", f"{prompt:.2%}"),
        ("hostile requests sent, unexpected answers", f"{sum(tally.hostile.values()):,}, {len(tally.unexpected)}"),
        ("slow bodies ended with 408 / slow heads closed by the server", f"{tally.slow_408} / {tally.slow_reopened}"),
        ("unplanned 5xx", str(len(tally.unplanned_5xx))),
        (
            "transport errors (requests lost in flight), of them within the kill's 6 s",
            f"{len(tally.transport_errors)}, {window}",
        ),
        ("lost tasks", str(len(lost))),
        ("worker restarts (1 planned)", str(restarts)),
        ("server still up at the end", "yes" if alive else "no"),
        (
            "memory of the server's processes, after warm-up / at the end",
            f"{memory_before:.0f} / {memory_after:.0f} MiB",
        ),
    ]
    print("\n| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    for problem in (tally.unplanned_5xx + tally.unexpected + lost)[:15]:
        print(f"  {problem}")
    failed = tally.unplanned_5xx or lost or tally.unexpected or not alive or not tally.acknowledged or restarts != 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
