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

if TYPE_CHECKING:  # what type checkers see (``as``: re-exported); at run time the names load on first use
    from kling_lipsync.client import (
        DEFAULT_DMXAPI_URL as DEFAULT_DMXAPI_URL,
        DEFAULT_KLING_URL as DEFAULT_KLING_URL,
        AsyncLipSync as AsyncLipSync,
        AudioFileError as AudioFileError,
        Found as Found,
        LipSync as LipSync,
        PlannedTask as PlannedTask,
        Speech as Speech,
    )
    from kling_lipsync.errors import (
        AccountError as AccountError,
        AnswerLost as AnswerLost,
        APIError as APIError,
        AuthenticationError as AuthenticationError,
        InvalidRequestError as InvalidRequestError,
        KlingError as KlingError,
        LocalFileError as LocalFileError,
        PolicyError as PolicyError,
        RateLimitError as RateLimitError,
        ServerError as ServerError,
        TaskFailed as TaskFailed,
        TaskNotFinished as TaskNotFinished,
        TransportError as TransportError,
        UnexpectedResponse as UnexpectedResponse,
        WaitTimeout as WaitTimeout,
    )
    from kling_lipsync.planning import (
        Plan as Plan,
        PlanError as PlanError,
        plan_advanced as plan_advanced,
    )
    from kling_lipsync.retry import (
        PollSchedule as PollSchedule,
        RetryPolicy as RetryPolicy,
    )

# Imported when first used (PEP 562): ``import kling_lipsync`` (and the pytest plugin inside it) stays cheap
# for test runs and tools that never touch the client.
_EXPORTS = {
    "kling_lipsync.client": (
        "DEFAULT_DMXAPI_URL",
        "DEFAULT_KLING_URL",
        "AsyncLipSync",
        "AudioFileError",
        "Found",
        "LipSync",
        "PlannedTask",
        "Speech",
    ),
    "kling_lipsync.errors": (
        "APIError",
        "AccountError",
        "AnswerLost",
        "AuthenticationError",
        "InvalidRequestError",
        "KlingError",
        "LocalFileError",
        "PolicyError",
        "RateLimitError",
        "ServerError",
        "TaskFailed",
        "TaskNotFinished",
        "TransportError",
        "UnexpectedResponse",
        "WaitTimeout",
    ),
    "kling_lipsync.planning": (
        "Plan",
        "PlanError",
        "plan_advanced",
    ),
    "kling_lipsync.retry": (
        "PollSchedule",
        "RetryPolicy",
    ),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


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
