"""The suite's own strength: run the contract tests against deliberately broken mocks; each must fail."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from contract_tests.mutants import MUTANTS
from contract_tests.servers import ROOT

# The typed-client contract tests: spec-driven, not the mock's own unit tests (which know its internals).
# The lifecycle machine and schemathesis catch these mutants too, but later; one file keeps four runs short.
CONTRACT_TESTS = ["contract_tests/client/test_client_contract.py"]

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_contract_tests_fail_against_a_broken_mock(mutant: str, pytestconfig: pytest.Config) -> None:
    seed = pytestconfig.option.hypothesis_seed
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            # A plugin the contract file does not use: its start-up is part of each run's.
            "-p",
            "no:benchmark",
            f"--hypothesis-seed={seed}",
            *CONTRACT_TESTS,
        ],
        cwd=ROOT,
        env={**os.environ, "KLING_CONTRACT_MUTANT": mutant, "HYPOTHESIS_PROFILE": "mutant"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:]
    assert result.returncode == 1, f"mutant {mutant!r} survived: {summary}"
    assert "failed" in summary, summary
