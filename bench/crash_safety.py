"""Crash safety: load the mock's production command (granian, 2 workers), SIGKILL the whole server at random
moments, restart it on the same database, and check that every task whose create answered code 0 is still
there, consistent, with an id never handed out twice. Prints acknowledged / found / lost; exits 1 if
anything was lost. The server is stopped on the way out, also on Ctrl-C or SIGTERM.

    python bench/crash_safety.py               # 3 kills
    python bench/crash_safety.py --smoke       # 1 kill
"""

from __future__ import annotations

import argparse
import itertools
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.processes import interrupt_on_sigterm, spawn, stop, stop_all  # noqa: E402
from contract_tests.bodies import text_body  # noqa: E402 - after the path is set
from kling_lipsync.testing import free_port, wait_until_up  # noqa: E402

TASKS = "/kling/v1/videos/lip-sync"
STATUSES = {"submitted", "processing", "succeed", "failed"}


def start(port: int, db: Path) -> subprocess.Popen[Any]:
    command = [str(BIN / "python"), "-m", "mock_server", "--workers", "2", "--port", str(port), "--db", str(db),
               "--no-log-requests"]  # fmt: skip
    process = spawn(command, cwd=ROOT, stderr=subprocess.DEVNULL)
    wait_until_up(f"http://127.0.0.1:{port}/__mock__/health", process, seconds=30)
    return process


class Load:
    """Threads that create tasks as fast as they can, each request from a new account, and remember acks."""

    def __init__(self, url: str, threads: int) -> None:
        self.url = url
        self.acknowledged: list[tuple[str, str, int]] = []  # (token, task_id, created_at)
        self.refused = 0
        self.unanswered = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._counter = itertools.count(1)
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        body = text_body()
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while not self._stop.is_set():
                token = f"sk-crash-{next(self._counter)}"
                try:
                    response = client.post(TASKS, json=body, headers={"Authorization": f"Bearer {token}"})
                except httpx.TransportError:
                    with self._lock:
                        self.unanswered += 1
                    time.sleep(0.01)
                    continue
                answer = response.json()
                with self._lock:
                    if response.status_code == 200 and answer["code"] == 0:
                        self.acknowledged.append((token, answer["data"]["task_id"], answer["data"]["created_at"]))
                    else:
                        self.refused += 1

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=10)


def check(url: str, acknowledged: list[tuple[str, str, int]]) -> tuple[int, list[str]]:
    """How many acknowledged tasks are found, and what is wrong with the others."""
    found, problems = 0, []
    with httpx.Client(base_url=url, timeout=10) as client:
        for token, task_id, created_at in acknowledged:
            response = client.get(f"{TASKS}/{task_id}", headers={"Authorization": f"Bearer {token}"})
            data = response.json().get("data") if response.status_code == 200 else None
            if data is None:
                problems.append(f"{task_id}: {response.status_code} {response.text[:100]}")
                continue
            consistent = (
                data["task_id"] == task_id
                and data["created_at"] == created_at <= data["updated_at"]
                and data["task_status"] in STATUSES
            )
            if consistent:
                found += 1
            else:
                problems.append(f"{task_id}: inconsistent {data}")
    return found, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=None, help="seed of the kill moments (printed)")
    parser.add_argument("--smoke", action="store_true", help="one kill, shorter runs")
    args = parser.parse_args()
    kills = 1 if args.smoke else args.kills
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "crash.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"crash safety: {kills} SIGKILL(s) under load, seed {seed}", flush=True)

    interrupt_on_sigterm()
    load = Load(url, args.threads)
    try:
        server = start(port, db)
        load.start()
        for kill in range(1, kills + 1):
            pause = rng.uniform(0.3, 0.8) if args.smoke else rng.uniform(0.5, 2.5)
            time.sleep(pause)  # a random moment under load
            stop(server, signal.SIGKILL)
            print(
                f"  kill {kill}: SIGKILL after {pause:.2f} s, {len(load.acknowledged)} acknowledged so far", flush=True
            )
            server = start(port, db)
        time.sleep(0.3 if args.smoke else 1.0)
        load.stop()
        found, problems = check(url, load.acknowledged)
    finally:
        load.stop()
        stop_all()
    ids = [task_id for _, task_id, _ in load.acknowledged]
    repeated = len(ids) - len(set(ids))
    lost = len(load.acknowledged) - found
    print(f"acknowledged {len(load.acknowledged)}, found {found}, lost {lost}, repeated ids {repeated} "
          f"(refused {load.refused}, unanswered while down {load.unanswered})")  # fmt: skip
    for problem in problems[:10]:
        print(f"  LOST {problem}")
    return 1 if lost or repeated or not load.acknowledged else 0


if __name__ == "__main__":
    sys.exit(main())
