"""`make contract` works: the remote suite passes against the mock served by gunicorn over real HTTP."""

from __future__ import annotations

import pytest

from contract_tests.helpers import assert_the_remote_suite_passes
from contract_tests.servers import GunicornMock

pytestmark = [pytest.mark.slow, pytest.mark.heavy]


def test_remote_suite_passes_against_the_mock_under_gunicorn(tmp_path) -> None:
    server = GunicornMock(
        {
            "KLING_MOCK_DB": str(tmp_path / "remote.sqlite3"),
            "KLING_MOCK_QUEUE_SECONDS": "0.1",
            "KLING_MOCK_PROCESSING_SECONDS": "0.2",
        },
        workers=2,
    )
    try:
        assert_the_remote_suite_passes(f"{server.url}/kling", "sk-remote-mode", timeout=300)
    finally:
        server.stop()
