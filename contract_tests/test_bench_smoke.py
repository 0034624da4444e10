"""`make bench-smoke` inside `make test`: the benchmark scripts run once, briefly, so they cannot rot.

Timings are printed by the scripts, never asserted; what is asserted is that they work: every request of
ours answered without error, nothing lost in the crash test, the in-process benchmarks pass as tests.
"""

from __future__ import annotations

import subprocess
import sys

from contract_tests.servers import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_http_benchmark_against_prism_runs() -> None:
    done = run("bench/http_bench.py", "--smoke")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for operation in ("create", "query", "list"):
        assert f"| {operation} | ours |" in done.stdout
        assert f"| {operation} | prism |" in done.stdout


def test_crash_safety_loses_nothing() -> None:
    done = run("bench/crash_safety.py", "--smoke")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert ", lost 0, repeated ids 0" in done.stdout


def test_in_process_benchmarks_run() -> None:
    done = run("-m", "pytest", "-p", "no:cacheprovider", "-q", "bench/test_inprocess.py", "--benchmark-disable")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "2 passed" in done.stdout
