"""``LipSync`` and ``AsyncLipSync``: the generated client with waiting, retries, typed errors and downloads.

The asynchronous client is written once, by hand (``_async_client.py``); the synchronous one is generated from
it (``_sync_client.py``, by ``codegen/unasync.py``). Both drive the same flows (``_flows.py``): generators of
steps (send this request, sleep this long) in which every decision is made. The generated client
(``kling_lipsync_client``) builds every request and parses every answer; nothing here restates the API.
"""

from __future__ import annotations

from kling_lipsync._async_client import AsyncLipSync
from kling_lipsync._files import audio_length_ms
from kling_lipsync._flows import DEFAULT_DMXAPI_URL, DEFAULT_KLING_URL, Found, PlannedTask, Speech
from kling_lipsync._sync_client import LipSync
from kling_lipsync.errors import AudioFileError

__all__ = [
    "DEFAULT_DMXAPI_URL",
    "DEFAULT_KLING_URL",
    "AsyncLipSync",
    "AudioFileError",
    "Found",
    "LipSync",
    "PlannedTask",
    "Speech",
    "audio_length_ms",
]
