"""`make bench-smoke` inside `make test`: the benchmark scripts run once, briefly, so they cannot rot.

Timings are printed by the scripts, never asserted; what is asserted is that they work: every request of
ours answered without error, nothing lost in the crash test, the in-process benchmarks pass as tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from contract_tests.servers import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a benchmark script; if the test ends early (failure, timeout, Ctrl-C) it gets SIGTERM, not SIGKILL,
    so it stops the servers it started (they run in sessions of their own) before it exits."""
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=600)
    except BaseException:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_http_benchmark_against_prism_and_the_ceiling_runs() -> None:
    done = run("bench/http_bench.py", "--smoke")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    if shutil.which("wrk") is None:
        assert "wrk is not installed: the HTTP benchmark is skipped" in done.stdout
        return
    for operation in ("create", "query", "list"):
        assert f"| {operation} | ours |" in done.stdout
        assert f"| {operation} | ours-pg |" in done.stdout, "PostgreSQL beside SQLite (make team-servers)"
        assert f"| {operation} | ours-pg-2 |" in done.stdout
        assert f"| {operation} | prism |" in done.stdout
        assert f"| {operation} | ceiling |" in done.stdout


def test_crash_safety_loses_nothing() -> None:
    done = run("bench/crash_safety.py", "--smoke")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert ", lost 0, repeated ids 0" in done.stdout


def test_the_soak_meets_no_5xx_and_loses_nothing() -> None:
    """Mixed valid and hostile traffic with slow clients and a worker killed: its own exit status says it held."""
    done = run("bench/soak.py", "--smoke")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "| unplanned 5xx | 0 |" in done.stdout
    assert "| lost tasks | 0 |" in done.stdout
    assert "| worker restarts (1 planned) | 1 |" in done.stdout


def test_in_process_benchmarks_run() -> None:
    done = run("-m", "pytest", "-p", "no:cacheprovider", "-q", "bench/test_inprocess.py", "--benchmark-disable")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "10 passed" in done.stdout
    assert "create in process (median of 20): SQLite" in done.stdout, "the stores side by side (make team-servers)"
    assert "in-process measurements" in done.stdout
    assert "a 10 s result with 3 s of audio: " in done.stdout, "the media cost is measured"


def processes_tagged(tag: str) -> list[int]:
    """Processes whose environment holds ``KLING_BENCH_TAG=tag`` (what a benchmark started, and its children)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"KLING_BENCH_TAG={tag}".encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


@pytest.mark.skipif(shutil.which("wrk") is None or not Path("/proc").is_dir(), reason="needs wrk and /proc")
def test_an_interrupted_benchmark_leaves_no_server_behind() -> None:
    tag = uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, "bench/http_bench.py", "--smoke"], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, env={**os.environ, "KLING_BENCH_TAG": tag})  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if " run 1: " in line:  # every server is up and measured
                break
        servers = processes_tagged(tag)
        assert len(servers) >= 4, "the script, ours, the ceiling and Prism"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert processes_tagged(tag) == [], "every server it started is stopped"


def test_without_wrk_the_smoke_run_says_so_and_needs_no_root(tmp_path: Path) -> None:
    """`make test` must not need root: with no wrk on the PATH, the HTTP part is skipped, not installed."""
    done = subprocess.run([sys.executable, "bench/http_bench.py", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PATH": str(tmp_path)})  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wrk is not installed: the HTTP benchmark is skipped" in done.stdout
    assert "apt-get" not in done.stdout.replace("`make bench` installs it with apt-get", "")
