"""A thin, typed layer over the generated Kling lip-sync client: waiting, retries, typed errors, downloads.

```python
from kling_lipsync import LipSync

with LipSync() as lip:  # KLING_BASE_URL, KLING_API_TOKEN
    created = lip.create_audio(audio_url="https://example.com/line.mp3", video_url="https://example.com/face.mp4")
    lip.download(lip.wait(created.task_id), "lipsynced.mp4")
```
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kling_lipsync.client import DEFAULT_DMXAPI_URL, DEFAULT_KLING_URL, AsyncLipSync, AudioFileError, LipSync
    from kling_lipsync.errors import (
        AccountError,
        APIError,
        AuthenticationError,
        InvalidRequestError,
        KlingError,
        LocalFileError,
        PolicyError,
        RateLimitError,
        ServerError,
        TaskFailed,
        TaskNotFinished,
        TransportError,
        UnexpectedResponse,
        WaitTimeout,
    )
    from kling_lipsync.retry import PollSchedule, RetryPolicy

# Imported when first used (PEP 562): ``import kling_lipsync`` (and the pytest plugin inside it) stays cheap
# for test runs and tools that never touch the client.
_WHERE = {
    "DEFAULT_DMXAPI_URL": "kling_lipsync.client",
    "DEFAULT_KLING_URL": "kling_lipsync.client",
    "APIError": "kling_lipsync.errors",
    "AccountError": "kling_lipsync.errors",
    "AsyncLipSync": "kling_lipsync.client",
    "AudioFileError": "kling_lipsync.client",
    "AuthenticationError": "kling_lipsync.errors",
    "InvalidRequestError": "kling_lipsync.errors",
    "KlingError": "kling_lipsync.errors",
    "LipSync": "kling_lipsync.client",
    "LocalFileError": "kling_lipsync.errors",
    "PolicyError": "kling_lipsync.errors",
    "PollSchedule": "kling_lipsync.retry",
    "RateLimitError": "kling_lipsync.errors",
    "RetryPolicy": "kling_lipsync.retry",
    "ServerError": "kling_lipsync.errors",
    "TaskFailed": "kling_lipsync.errors",
    "TaskNotFinished": "kling_lipsync.errors",
    "TransportError": "kling_lipsync.errors",
    "UnexpectedResponse": "kling_lipsync.errors",
    "WaitTimeout": "kling_lipsync.errors",
}

__all__ = [
    "DEFAULT_DMXAPI_URL",
    "DEFAULT_KLING_URL",
    "APIError",
    "AccountError",
    "AsyncLipSync",
    "AudioFileError",
    "AuthenticationError",
    "InvalidRequestError",
    "KlingError",
    "LipSync",
    "LocalFileError",
    "PolicyError",
    "PollSchedule",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "TaskFailed",
    "TaskNotFinished",
    "TransportError",
    "UnexpectedResponse",
    "WaitTimeout",
]


if not TYPE_CHECKING:  # for type checkers the names are the imports above, so a misspelt one is an error

    def __getattr__(name: str) -> Any:
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module 'kling_lipsync' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """The public names and the submodules loaded so far (not the names this module itself imports)."""
    import sys

    loaded = {name.split(".")[1] for name in sys.modules if name.startswith("kling_lipsync.")}
    return sorted(set(__all__) | loaded)
