"""pytest fixtures for code that calls Kling lip-sync: the mock in-process, and clients wired to it.

Installed with the package (entry point ``pytest11``)::

    @pytest.mark.kling_mock(max_in_flight=1)
    def test_my_app(kling_mock, kling_client):
        created = kling_client.create_text("Hi", voice_id="AOT", voice_language="en", video_url=URL)
        task = kling_client.wait(created.task_id)       # sleeps move the virtual clock: no real waiting
        kling_mock.assert_request_made(method="POST", count=1)

- ``kling_mock``: the mock (virtual clock, empty store) for one test. Mocks live for the session and are
  reset between tests (about a millisecond, against tens for a new one), one per set of start-up settings.
- ``kling_mocks``: more mocks in one test, ``kling_mocks(webhook_secret="whsec_...")``.
- ``kling_client``: a ``LipSync`` (token ``sk-test``, DMXAPI gateway) wired to ``kling_mock``.
- ``kling_api``: the lip-sync family in the domain's words (``create``, ``status``, ``tasks``);
  ``kling_mock.api(family, gateway=...)`` for another.
- ``@pytest.mark.kling_mock(replay="recordings/")``: the mock replays a recording (``kling-lipsync record``).
- ``kling_vcr_config``: for users who record with pytest-recording or vcrpy instead, vcrpy's configuration with
  the recorder's redaction (pseudonymous keys, no cookies, signed URLs and media redacted):
  a ``vcr_config`` fixture in ``conftest.py`` that returns it (docs/recording.md).

Every answer a test's mocks give is checked against openapi.yaml, and the test fails if one is not what
the spec documents; ``@pytest.mark.kling_lenient`` turns that off for a test. This module imports nothing
heavy (Flask, the mock, httpx) until a fixture is used, so installing the package costs other test runs
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kling_lipsync.client import LipSync
    from kling_lipsync.conformance import SpecConformance
    from kling_lipsync.testing import KlingApi, KlingMock, MockPool

__all__ = ["kling_api", "kling_client", "kling_mock", "kling_mocks", "kling_vcr_config"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kling_mock(**settings): settings of the kling_mock fixture, e.g. max_in_flight=1, "
        "webhook_secret='whsec_...', queue_seconds=10 (see mock_server.Settings)",
    )
    config.addinivalue_line(
        "markers", "kling_lenient: do not fail the test when the kling mock answers outside openapi.yaml"
    )


@pytest.fixture(scope="session")
def kling_mock_pool() -> Iterator[MockPool]:
    """The session's mocks, reset for each test that asks for one."""
    from kling_lipsync.testing import MockPool

    pool = MockPool()
    yield pool
    pool.close()


@pytest.fixture
def kling_mocks(request: pytest.FixtureRequest, kling_mock_pool: MockPool) -> Iterator[Callable[..., KlingMock]]:
    """More mocks for this test, each with its settings (``kling_mocks(max_in_flight=1)``), checked by the spec."""
    from kling_lipsync.conformance import SpecConformance

    checker: SpecConformance | None = None
    if request.node.get_closest_marker("kling_lenient") is None:
        checker = SpecConformance()
    taken: list[KlingMock] = []

    def acquire(**settings: Any) -> KlingMock:
        mock = kling_mock_pool.acquire(settings)
        if checker is not None:
            mock.own_observers.append(checker.observe)
        taken.append(mock)
        return mock

    yield acquire
    for mock in taken:
        kling_mock_pool.release(mock)
    if checker is not None and checker.violations:
        pytest.fail(
            "the kling mock answered outside openapi.yaml (mark the test kling_lenient if that is intended):\n"
            + "\n".join(checker.violations[:5]),
            pytrace=False,
        )


@pytest.fixture
def kling_mock(request: pytest.FixtureRequest, kling_mocks: Callable[..., KlingMock]) -> KlingMock:
    """The Kling lip-sync mock in this process, on a virtual clock, empty for each test."""
    marker = request.node.get_closest_marker("kling_mock")
    return kling_mocks(**(marker.kwargs if marker else {}))


@pytest.fixture
def kling_client(kling_mock: KlingMock) -> Iterator[LipSync]:
    """A ``LipSync`` (token ``sk-test``, DMXAPI gateway) talking to ``kling_mock``; its sleeps advance the clock."""
    client: LipSync = kling_mock.lipsync("sk-test")
    yield client
    client.close()


@pytest.fixture
def kling_api(kling_mock: KlingMock) -> Iterator[KlingApi]:
    """The lip-sync family of ``kling_mock`` on the DMXAPI gateway as ``sk-test``, in the domain's words."""
    with kling_mock.api() as api:
        yield api


@pytest.fixture(scope="session")
def kling_vcr_config() -> dict[str, Any]:
    """vcrpy's configuration with ``kling-lipsync record``'s redaction, for pytest-recording's ``vcr_config``."""
    from mock_server.recording.redaction import vcr_config

    return vcr_config()
