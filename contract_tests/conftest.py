"""Shared fixtures and the hypothesis profiles of the suite."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from contract_tests.helpers import write_wav
from contract_tests.postgres import PostgresServer, postgres_binaries
from contract_tests.servers import GunicornMock
from contract_tests.strict import StrictResponseValidator
from kling_lipsync.testing import CallbackReceiver, KlingMock
from kling_spec import load_spec

# `make test` uses "default"; `make test-thorough` (nightly) ten times the examples.
settings.register_profile(
    "default", max_examples=40, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
# Runs against deliberately broken mocks (test_mutants.py) need only find the first failure, not shrink it.
settings.register_profile(
    "mutant",
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kling", "Kling contract tests against a running server (contract_tests/remote)")
    group.addoption("--base-url", default=None, help="the server, e.g. http://127.0.0.1:8000/kling")
    group.addoption("--token", default=None, help="Bearer token (default: $KLING_API_TOKEN)")
    group.addoption(
        "--recording",
        default=None,
        help="a folder of cassettes (kling-lipsync record): the remote suite's checks over what was recorded",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The remote suite runs only when a server or a recording is named (``make contract BASE_URL=...``)."""
    if collection_path.name == "remote" and not (config.getoption("--base-url") or config.getoption("--recording")):
        return True
    return None


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """Pick a hypothesis seed when none was given, so every run can be replayed from its header.

    With ``KLING_CONTRACT_MUTANT`` set, break the mock first (see ``mutants.py``). SIGTERM (a cancelled CI
    job) ends the run as Ctrl-C does: fixtures tear down, and the servers the tests started (in sessions
    of their own, which no signal of the run reaches) are stopped.
    """
    signal.signal(signal.SIGTERM, _interrupted)
    mutant = os.environ.get("KLING_CONTRACT_MUTANT")
    if mutant:
        from contract_tests.mutants import MUTANTS

        MUTANTS[mutant]()
    worker_input = getattr(config, "workerinput", None)
    if worker_input is not None:  # an xdist worker runs with the controller's seed
        config.option.hypothesis_seed = worker_input["hypothesis_seed"]
    elif getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = random.SystemRandom().randrange(2**32)


@pytest.hookimpl(optionalhook=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first (stable, so a module's tests stay together): with xdist's load scheduling, a
    slow test collected last would run alone at the end while the other worker idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Hand the seed to each xdist worker, so a parallel run replays like a serial one."""
    node.workerinput["hypothesis_seed"] = node.config.option.hypothesis_seed


def pytest_report_header(config: pytest.Config) -> list[str]:
    seed = config.option.hypothesis_seed
    profile = os.environ.get("HYPOTHESIS_PROFILE", "default")
    lines = [f"hypothesis: profile {profile!r}, seed {seed} (replay with --hypothesis-seed={seed})"]
    if os.environ.get("KLING_CONTRACT_MUTANT"):
        lines.append(f"MUTANT mock: {os.environ['KLING_CONTRACT_MUTANT']} (this run is expected to fail)")
    return lines


@pytest.fixture(scope="session")
def spec() -> Mapping[str, Any]:
    """The parsed openapi.yaml."""
    return load_spec()


STRICT = StrictResponseValidator()
KlingMock.observers.append(STRICT.observe)


@pytest.fixture(autouse=True)
def every_response_matches_the_spec() -> Iterator[StrictResponseValidator]:
    """Fail any test during which an in-process mock answered something the spec does not say."""
    STRICT.violations.clear()
    yield STRICT
    found = list(STRICT.violations)
    STRICT.violations.clear()
    assert found == [], "the mock answered outside the spec:\n" + "\n".join(found[:5])


@pytest.fixture
def mock(kling_mock: KlingMock) -> KlingMock:
    """The published ``kling_mock`` (virtual clock, empty store, answers checked against the spec)."""
    return kling_mock


@pytest.fixture
def make_mock(kling_mocks: Callable[..., KlingMock]) -> Callable[..., KlingMock]:
    """The published ``kling_mocks``: more mocks in one test, each with its settings."""
    return kling_mocks


@pytest.fixture
def dmx(mock: KlingMock) -> Iterator[httpx.Client]:
    """Raw HTTP to the mock's DMXAPI gateway as account ``sk-test``."""
    with mock.httpx_client("sk-test") as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    """A real local HTTP receiver for callbacks, on a free loopback port."""
    with CallbackReceiver() as instance:
        yield instance


@pytest.fixture
def three_seconds(tmp_path: Path) -> Path:
    """A 3 s silent WAV: long enough for advanced lip-sync's shortest crop."""
    return write_wav(tmp_path / "line.wav", 3.0)


@pytest.fixture(scope="session")
def served_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornMock]:
    """The mock served over real HTTP, shared by every test that needs a server and no settings of its own.

    gunicorn (so socket faults work too), one worker, the real clock; a task ends 0.3 s after its create,
    so a command can wait for one; scenario ``slow`` takes 20,000 times longer, so a task is surely
    unfinished while a test runs; 50 tasks may run at once per account. Tests keep apart by their tokens.
    """
    served = GunicornMock(
        {
            "KLING_MOCK_DB": str(tmp_path_factory.mktemp("served") / "mock.sqlite3"),
            "KLING_MOCK_QUEUE_SECONDS": "0.1",
            "KLING_MOCK_PROCESSING_SECONDS": "0.2",
            "KLING_MOCK_MAX_IN_FLIGHT": "50",
            "KLING_MOCK_SLOW_FACTOR": "20000",
        },
        workers=1,
    )
    yield served
    served.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test process's own (Debian's, ``make team-servers`` installs it)."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server: `make team-servers` installs Debian's (as root)")
    server = PostgresServer(binaries)
    yield server
    server.close()
