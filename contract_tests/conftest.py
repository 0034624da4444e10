"""Shared fixtures and the hypothesis profiles of the suite."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from kling_lipsync.spec import load_spec

# `make test` uses "default"; `make test-thorough` (nightly) ten times the examples.
settings.register_profile(
    "default", max_examples=40, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_configure(config: pytest.Config) -> None:
    """Pick a hypothesis seed when none was given, so every run can be replayed from its header."""
    if getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = random.SystemRandom().randrange(2**32)


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.option.hypothesis_seed
    profile = os.environ.get("HYPOTHESIS_PROFILE", "default")
    return f"hypothesis: profile {profile!r}, seed {seed} (replay with --hypothesis-seed={seed})"


@pytest.fixture(scope="session")
def spec() -> Mapping[str, Any]:
    """The parsed openapi.yaml."""
    return load_spec()
