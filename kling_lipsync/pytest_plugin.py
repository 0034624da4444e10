"""pytest fixtures for code that calls Kling lip-sync: the mock in-process, and a client wired to it.

Installed with the package (entry point ``pytest11``)::

    @pytest.mark.kling_mock(max_in_flight=1)
    def test_my_app(kling_mock, kling_client):
        created = kling_client.create_text("Hi", voice_id="AOT", voice_language="en", video_url=URL)
        task = kling_client.wait(created.task_id)       # sleeps move the virtual clock: no real waiting
        kling_mock.assert_request_made(method="POST", count=1)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kling_lipsync.client import LipSync
from kling_lipsync.testing import KlingMock

__all__ = ["kling_client", "kling_mock"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kling_mock(**settings): settings of the kling_mock fixture, e.g. max_in_flight=1, "
        "webhook_secret='whsec_...', queue_seconds=10 (see mock_server.Settings)",
    )


@pytest.fixture
def kling_mock(request: pytest.FixtureRequest) -> Iterator[KlingMock]:
    """The Kling lip-sync mock in this process, on a virtual clock, fresh for each test."""
    marker = request.node.get_closest_marker("kling_mock")
    settings: dict[str, Any] = dict(marker.kwargs) if marker else {}
    with KlingMock(settings) as mock:
        yield mock


@pytest.fixture
def kling_client(kling_mock: KlingMock) -> Iterator[LipSync]:
    """A ``LipSync`` (token ``sk-test``, DMXAPI gateway) talking to ``kling_mock``; its sleeps advance the clock."""
    client: LipSync = kling_mock.lipsync("sk-test")
    yield client
    client.close()
