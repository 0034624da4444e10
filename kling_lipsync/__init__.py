"""A thin, typed layer over the generated Kling lip-sync client: waiting, retries, typed errors, downloads.

```python
from kling_lipsync import LipSync

with LipSync() as lip:  # KLING_BASE_URL, KLING_API_TOKEN
    created = lip.create_audio(audio_url="https://example.com/line.mp3", video_url="https://example.com/face.mp4")
    lip.download(lip.wait(created.task_id), "lipsynced.mp4")
```
"""

from kling_lipsync.client import DEFAULT_DMXAPI_URL, DEFAULT_KLING_URL, AsyncLipSync, AudioFileError, LipSync
from kling_lipsync.errors import (
    AccountError,
    APIError,
    AuthenticationError,
    InvalidRequestError,
    KlingError,
    PolicyError,
    RateLimitError,
    ServerError,
    TaskFailed,
    TransportError,
    UnexpectedResponse,
    WaitTimeout,
)
from kling_lipsync.retry import PollSchedule, RetryPolicy

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
    "PolicyError",
    "PollSchedule",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "TaskFailed",
    "TransportError",
    "UnexpectedResponse",
    "WaitTimeout",
]
