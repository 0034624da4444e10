"""Side-by-side HTTP benchmark: the mock's production command against Prism and against the ceiling.

The mock (``python -m mock_server --workers 2``: granian, SQLite file, full validation, journal, one log
line per request) and Prism serve openapi.yaml on loopback; the ceiling is a bare Flask app on the same
server and settings (``bench/ceiling.py``). Beside SQLite, the same command on PostgreSQL (Debian's server,
started for the run by ``contract_tests/postgres.py``): one server, and two sharing the database behind nginx
as docs/team.md sets them up. wrk drives create, single query and list with the same load,
alternating servers run by run. Prints requests/s and p50/p99 latency and the ratios ours/Prism and
ours/ceiling, and (unless --smoke) writes bench/RESULTS.md with a description of the machine.

    python bench/http_bench.py                 # 3 runs x 10 s per operation and server
    python bench/http_bench.py --smoke         # 1 run x 1 s: the scripts work, numbers are noise

Every server runs in a process group of its own and is stopped on the way out, also on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.processes import interrupt_on_sigterm, spawn, stop, stop_all  # noqa: E402
from contract_tests.bodies import text_body  # noqa: E402 - after the path is set
from contract_tests.postgres import Nginx, PostgresServer, postgres_binaries  # noqa: E402
from kling_lipsync.testing import free_port, wait_until_up  # noqa: E402
from mock_server.__main__ import DEFAULT_THREADS  # noqa: E402


@dataclass(frozen=True)
class Measurement:
    server: str
    operation: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def ensure_wrk(install: bool) -> str | None:
    """wrk from the system's packages; installed if missing and ``install`` (that needs root)."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    print("installing wrk (apt-get) ...", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # fmt: skip
    return shutil.which("wrk") or "wrk"


def ensure_prism() -> Path:
    """Prism from the npm registry, pinned by bench/package-lock.json."""
    prism = BENCH / "node_modules" / ".bin" / "prism"
    if not prism.exists():
        print("installing Prism (npm ci) ...", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=BENCH, check=True)
    return prism


def start_mock(port: int, workers: int, threads: int, db: str | None = None) -> subprocess.Popen[Any]:
    """The production command, as the README shows it, on a fresh SQLite file (or the database ``db`` names)."""
    WORK.mkdir(exist_ok=True)
    if db is None:
        db = str(WORK / "mock.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    # Default settings but one: the list's account holds a full page of 30 running tasks.
    command = [str(BIN / "python"), "-m", "mock_server", "--workers", str(workers), "--threads", str(threads),
               "--port", str(port), "--db", db, "--max-in-flight", "30"]  # fmt: skip
    return _start(command, f"mock-{port}.log")


def start_ceiling(port: int, workers: int, threads: int) -> subprocess.Popen[Any]:
    command = [str(BIN / "python"), str(BENCH / "ceiling.py"), "--port", str(port), "--workers", str(workers),
               "--threads", str(threads)]  # fmt: skip
    return _start(command, "ceiling.log")


def _start(command: list[str], log_name: str) -> subprocess.Popen[Any]:
    with (WORK / log_name).open("wb") as log:  # the child keeps its own copy of the descriptor
        return spawn(command, cwd=ROOT, stdout=log, stderr=log)


def start_prism(port: int) -> subprocess.Popen[Any]:
    prism = ensure_prism()
    return _start([str(prism), "mock", str(ROOT / "openapi.yaml"), "--host", "127.0.0.1", "--port", str(port)],
                  "prism.log")  # fmt: skip


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(wrk: str, url: str, script: str, seconds: float, connections: int) -> tuple[float, float, float, int]:
    env = {**os.environ, "KLING_BENCH_BODY": str(WORK / "create.json")}
    duration = f"{max(1, round(seconds))}s"
    command = [wrk, "-t", "1", "-c", str(connections), "-d", duration, "--latency", "-s", str(BENCH / "wrk" / script)]
    process = spawn([*command, url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out, err = process.communicate()
    stop(process)  # it has ended: only forgotten
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {err}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {p: float(v) * _UNITS[u] for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors_found = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(errors_found.group(1)) if errors_found else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return rps, latency["50"], latency["99"], errors


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        cpu = names[0] if names else cpu
    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        memory = f"{int(total.group(1)) / 1024 / 1024:.0f} GiB" if total else memory
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {system}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="1 run of 1 s each; no RESULTS.md")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--no-prism", action="store_true", help="measure the mock alone")
    parser.add_argument("--no-postgresql", action="store_true", help="measure the mock on SQLite only")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.seconds = 1, 1.0
    wrk = ensure_wrk(install=not args.smoke)
    if wrk is None:
        # `make test` must not need root: the smoke run skips the HTTP part, `make bench` installs wrk.
        print("wrk is not installed: the HTTP benchmark is skipped (`make bench` installs it with apt-get)")
        return 0
    WORK.mkdir(exist_ok=True)
    (WORK / "create.json").write_text(json.dumps(text_body()))
    interrupt_on_sigterm()
    team: list[Any] = []
    try:
        results, servers = measure(wrk, args, team)
    finally:
        stop_all()
        for part in team:
            part.stop() if isinstance(part, Nginx) else part.close()

    table = render(results, servers)
    print()
    print(table)
    if not args.smoke:
        written = BENCH / "RESULTS.md"
        kept = written.read_text(encoding="utf-8").partition(HAND_WRITTEN)[2] if written.exists() else ""
        written.write_text(report(table, args) + "\n" + HAND_WRITTEN + kept, encoding="utf-8")
        print(f"\nwritten to {(BENCH / 'RESULTS.md').relative_to(ROOT)}")
    failed = [m for m in results if m.server.startswith("ours") and m.errors]
    return 1 if failed else 0


AUTH = {"Authorization": "Bearer sk-bench"}


def seed(url: str) -> str:
    """30 tasks of the bench account: the single query reads the last (its id), the list a full page."""
    created = [httpx.post(f"{url}/v1/videos/lip-sync", json=text_body(), headers=AUTH) for _ in range(30)]
    task_id: str = created[-1].json()["data"]["task_id"]
    return task_id


def start_postgresql(args: argparse.Namespace, team: list[Any]) -> dict[str, tuple[str, str]]:
    """The mock on PostgreSQL: one server, and two sharing a database behind nginx; name -> (URL, task id)."""
    binaries = postgres_binaries()
    if binaries is None or shutil.which("nginx") is None:
        print("no PostgreSQL server or nginx: PostgreSQL is not measured (`make team-servers` installs them)")
        return {}
    database = PostgresServer(binaries)
    team.append(database)
    one_port, first_port, second_port = free_port(), free_port(), free_port()
    one = start_mock(one_port, args.workers, args.threads, database.url("bench_one"))
    shared = database.url("bench_two")
    pair = [start_mock(port, args.workers, args.threads, shared) for port in (first_port, second_port)]
    for port, process in ((one_port, one), (first_port, pair[0]), (second_port, pair[1])):
        wait_until_up(f"http://127.0.0.1:{port}/kling/v1/videos/lip-sync", process, headers=AUTH)
    front = Nginx([f"127.0.0.1:{first_port}", f"127.0.0.1:{second_port}"])
    team.append(front)
    one_url, pair_url = f"http://127.0.0.1:{one_port}/kling", f"{front.url}/kling"
    return {"ours-pg": (one_url, seed(one_url)), "ours-pg-2": (pair_url, seed(pair_url))}


def measure(wrk: str, args: argparse.Namespace, team: list[Any]) -> tuple[list[Measurement], dict[str, str]]:
    ours_port, prism_port, ceiling_port = free_port(), free_port(), free_port()
    ours = start_mock(ours_port, args.workers, args.threads)
    ceiling = start_ceiling(ceiling_port, args.workers, args.threads)
    prism = None if args.no_prism else start_prism(prism_port)
    auth = AUTH
    ours_url = f"http://127.0.0.1:{ours_port}/kling"
    wait_until_up(f"{ours_url}/v1/videos/lip-sync", ours, headers=auth)
    task_id = seed(ours_url)
    servers = {"ours": ours_url}
    task_ids = {"ours": task_id}
    if not args.no_postgresql:
        for name, (url, its_task) in start_postgresql(args, team).items():
            servers[name], task_ids[name] = url, its_task
    if prism is not None:
        prism_url = f"http://127.0.0.1:{prism_port}"
        wait_until_up(f"{prism_url}/v1/videos/lip-sync", prism, headers=auth)
        servers["prism"] = prism_url
    ceiling_url = f"http://127.0.0.1:{ceiling_port}/kling"
    wait_until_up(f"{ceiling_url}/v1/videos/lip-sync", ceiling)
    servers["ceiling"] = ceiling_url
    operations = {
        "create": ("create.lua", "/v1/videos/lip-sync"),
        "query": ("get.lua", "/v1/videos/lip-sync/{task_id}"),
        "list": ("get.lua", "/v1/videos/lip-sync?pageSize=30"),
    }
    results: list[Measurement] = []
    for operation, (script, path) in operations.items():
        for run in range(args.runs):
            order = list(servers) if run % 2 == 0 else list(reversed(servers))
            for name in order:
                url = servers[name] + path.format(task_id=task_ids.get(name, task_id))
                rps, p50, p99, errors = run_wrk(wrk, url, script, args.seconds, args.connections)
                results.append(Measurement(name, operation, rps, p50, p99, errors))
                print(f"  {operation:6} {name:9} run {run + 1}: {rps:8.0f} req/s  p50 {p50:6.2f} ms  "
                      f"p99 {p99:6.2f} ms  errors {errors}", flush=True)  # fmt: skip
    return results, servers


def render(results: list[Measurement], servers: dict[str, str]) -> str:
    lines = ["| operation | server | req/s (median) | p50 ms | p99 ms | errors | ours / Prism | ours / ceiling |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip

    def median_rps(name: str, operation: str) -> float:
        return statistics.median(
            m.requests_per_second for m in results if m.server == name and m.operation == operation
        )

    for operation in ("create", "query", "list"):
        for name in servers:
            runs = [m for m in results if m.server == name and m.operation == operation]
            rps = median_rps(name, operation)
            ratios = ["", ""]
            if name.startswith("ours"):
                for column, other in enumerate(("prism", "ceiling")):
                    if other in servers:
                        ratios[column] = f"{rps / median_rps(other, operation):.2f}x"
            lines.append(
                f"| {operation} | {name} | {rps:.0f} | {statistics.median(m.p50_ms for m in runs):.2f} | "
                f"{statistics.median(m.p99_ms for m in runs):.2f} | {sum(m.errors for m in runs)} | "
                f"{ratios[0]} | {ratios[1]} |"
            )
    return "\n".join(lines)


#: What follows this line in RESULTS.md is written by hand (the analysis of a run) and kept by a new run.
HAND_WRITTEN = "<!-- written by hand below this line; make bench keeps it -->"


def postgres_version() -> str:
    binaries = postgres_binaries()
    if binaries is None:
        return "(not installed)"
    return subprocess.run([str(binaries / "postgres"), "--version"], capture_output=True, text=True).stdout.split()[2]


def nginx_version() -> str:
    found = subprocess.run(["nginx", "-v"], capture_output=True, text=True) if shutil.which("nginx") else None
    return found.stderr.strip().removeprefix("nginx version: ") if found else "(not installed)"


def report(table: str, args: argparse.Namespace) -> str:
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0:1]
    return f"""# Benchmark results

Measured {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} by `make bench` (`bench/http_bench.py`).

- Machine: {machine()}
- Load: {" ".join(wrk_version) or "wrk"}, 1 thread, {args.connections} connections, {args.seconds:g} s per run,
  {args.runs} runs per operation and server, servers alternating; the median run is shown.
- Ours: the production command, `python -m mock_server --workers {args.workers} --threads {args.threads}
  --db FILE` (granian), default settings (but 30 tasks in flight per account, so the list's account holds a
  full page; creates come from a new account each), SQLite file in WAL mode, validation compiled from
  openapi.yaml, request journal and one log line per request.
- ours-pg: the same command with `--db postgresql://...`: Debian's PostgreSQL {postgres_version()} on loopback
  (fsync off, as the tests run it), started for the run. ours-pg-2: two such servers sharing one database,
  behind nginx ({nginx_version()}, `docs/team-nginx.conf`), every process on the same 2 cores.
- Ceiling: `bench/ceiling.py`, a bare Flask app answering a fixed JSON body, behind the same front
  (`mock_server/front.py`) on the same granian settings.
- Prism: `@stoplight/prism-cli` 5.16.0 (`prism mock openapi.yaml`), pinned by `bench/package-lock.json`.
- Everything on loopback, on the same 2 cores as wrk.

{table}
"""


if __name__ == "__main__":
    sys.exit(main())
