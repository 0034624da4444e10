"""The legacy lip-sync family (text2video / audio2video): what is its own in the mock.

Its validator's wording (the order Kling reports fields in, its messages), what a task of it stores (the
input video), and how its task object looks. Paths and schemas come from the spec's family registry.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from kling_spec import compile_schema
from kling_spec.audio import audio_format, decoded_size, max_audio_bytes
from kling_spec.families import Family

from ..errors import ErrorAnswer
from ..media import result_video_id, video_id_for_url
from ..redact import kept_json, without_audio_bytes
from ..results import BLOB_COLUMN, Blob, Sound, audio_blob, own_result_ms, result_ms, result_seconds, sound_of
from ..settings import Settings
from ..speech import speech_rule, spoken_ms
from ..store import Store, TaskRow
from ..tasks import own_video_id, result_url, task_id_of, timeline_of
from ..timeline import SUCCEED
from ..validation import Wording, first_broken_rule

__all__ = ["BAD_BASE64", "NO_VIDEO", "UNKNOWN_VIDEO", "UNSUPPORTED_AUDIO", "WORDING", "LipSyncFamily"]

NO_VIDEO = "video_id or video_url is required"
TWO_VIDEOS = "only one of video_id and video_url may be given"
BAD_BASE64 = "File is not in a valid base64 format"
UNKNOWN_VOICE = "Voice id not found"
UNSUPPORTED_AUDIO = "Audio file format is not supported"
UNKNOWN_VIDEO = "video_id not found"

#: Kling's validator, as observed (docs/sources.md: OBS-VAL, OBS-AT).
WORDING = Wording(
    # The order Kling's validator reports problems in: the first broken field wins.
    field_order=(
        "input",
        "input.mode",
        "input.video",
        "input.video_id",
        "input.video_url",
        "input.audio_type",
        "input.audio_file",
        "input.audio_url",
        "input.text",
        "input.voice_language",
        "input.voice_id",
        "input.voice_speed",
    ),
    missing={
        "input": "input: must not be null",
        "input.mode": "input.mode: must not be null",
        "input.audio_type": "Audio type is null",
        "input.text": "text is required",
        "input.voice_id": "voice_id is required",
        "input.audio_file": "audio_file is required",
        "input.audio_url": "audio_url is required",
    },
    # ``oneOf`` over the input: exactly one video.
    one_of_field="input.video",
    one_of_none=NO_VIDEO,
    one_of_many=TWO_VIDEOS,
    enum_messages={"input.voice_id": UNKNOWN_VOICE},
    format_messages={"input.audio_file": BAD_BASE64},
)


class LipSyncFamily:
    """The mock's lip-sync tasks: validation compiled from the spec, stored columns, the task object."""

    finds_by_external_id = False

    def __init__(self, family: Family, spec: Mapping[str, Any]) -> None:
        self.name = family.name
        self.spec = family
        create = family.operation("create")
        self._create = compile_schema(create.request_schema or {}, spec)
        self.max_request_bytes: int = create.spec["x-kling-max-request-bytes"]
        self.max_audio_bytes = max_audio_bytes(spec)
        # text2video speaks as text-to-speech does (the spec's rule for the mock's speech)
        self._speech_ms: Mapping[str, int] = speech_rule(spec)
        schemas = spec["components"]["schemas"]
        self._default_language: str = schemas["VoiceLanguage"]["default"]
        self._default_speed: float = schemas["LipSyncInput"]["properties"]["voice_speed"]["default"]

    # -- create -------------------------------------------------------------------------------------------

    def check_create(self, body: Mapping[str, Any]) -> None:
        """Raise ``ErrorAnswer(1201)`` naming the first broken rule; accept what the schema accepts."""
        message = first_broken_rule(self._create, body, WORDING)
        if message is not None:
            raise ErrorAnswer(1201, message)
        self._check_audio_file(body)

    def _check_audio_file(self, body: Mapping[str, Any]) -> None:
        """What JSON Schema cannot say: the base64 decodes to real audio within its size."""
        data = body["input"]
        if data.get("mode") != "audio2video" or data.get("audio_type") != "file":
            return
        encoded: str = data["audio_file"]
        if decoded_size(encoded) > self.max_audio_bytes:
            raise ErrorAnswer(1201, f"input.audio_file: decoded size must be at most {self.max_audio_bytes} bytes")
        try:
            head = base64.b64decode(encoded[:24], validate=True)
        except (binascii.Error, ValueError):
            raise ErrorAnswer(1201, BAD_BASE64) from None
        if audio_format(head) is None:
            raise ErrorAnswer(1201, UNSUPPORTED_AUDIO)

    def task_columns(
        self,
        body: Mapping[str, Any],
        account: str,
        *,
        settings: Settings,
        store: Store,
        base_url: str,
        now_ms: int,
    ) -> dict[str, Any]:
        """What a task of this family stores besides the generic columns: its input video and request, and
        what its result is made of (``results.Sound``: the video's length, the audio or the spoken text)."""
        data = body["input"]
        video_id, video_url, video_ms, source = self._parent_video(data, account, settings, store)
        audio, blob = self._audio(data, settings, store)
        return {
            "parent_video_id": video_id,
            "parent_video_url": video_url or result_url(base_url, video_id),
            "parent_video_duration": f"{video_ms / 1000:.1f}",
            "request_input": kept_json(without_audio_bytes(data)),
            "result_ms": result_ms(video_ms),
            "sound": Sound(video_ms, source, audio=audio).to_json(),
            BLOB_COLUMN: blob,
        }

    @staticmethod
    def _parent_video(
        data: Mapping[str, Any], account: str, settings: Settings, store: Store
    ) -> tuple[str, str | None, int, str]:
        """``(id, url, length in ms, own sound)`` of the input video; a ``None`` URL means "the mock serves it"."""
        default_ms = round(settings.default_video_seconds * 1000)
        video_url = data.get("video_url")
        if video_url:
            served = own_video_id(video_url)  # one of the mock's results, by its URL: any account may fetch it
            task = store.task_by_result_video(served) if served is not None else None
            if served is not None and task is not None:
                return video_id_for_url(video_url), video_url, own_result_ms(task), sound_of(None, served)
            registered = store.media("video", video_url)
            video_ms = registered["duration_ms"] if registered is not None else default_ms
            return video_id_for_url(video_url), video_url, video_ms, sound_of(registered, None)
        video_id: str = data["video_id"]
        own = store.task_by_result_video(video_id)
        if own is not None and own["account"] == account:
            return video_id, None, own_result_ms(own), sound_of(None, video_id)
        registered = store.media("video", video_id)
        if registered is None and settings.strict_video_ids:
            raise ErrorAnswer(1201, UNKNOWN_VIDEO)
        video_ms = registered["duration_ms"] if registered is not None else default_ms
        return video_id, None, video_ms, sound_of(registered, None)

    def _audio(self, data: Mapping[str, Any], settings: Settings, store: Store) -> tuple[str, Blob | None]:
        """The result's audio: the text spoken (``text2video``), the file sent (and its blob, to keep), or the
        mock's speech as long as the audio at a URL is said to be (a registration, or ``default_audio_seconds``)."""
        if data["mode"] == "text2video":
            language = data.get("voice_language") or self._default_language
            speed = data.get("voice_speed", self._default_speed)
            return f"speech:{spoken_ms(data['text'], language, speed, self._speech_ms)}", None
        if data.get("audio_type") == "file":
            return audio_blob(base64.b64decode(data["audio_file"]))
        registered = store.media("audio", data["audio_url"])
        audio_ms = registered["duration_ms"] if registered is not None else round(settings.default_audio_seconds * 1000)
        return f"speech:{audio_ms}", None

    @staticmethod
    def created(task_id: str, status: str, now_ms: int, columns: Mapping[str, Any]) -> dict[str, Any]:
        """The create answer's ``data``."""
        return {"task_id": task_id, "task_status": status, "created_at": now_ms, "updated_at": now_ms}

    # -- the task object ------------------------------------------------------------------------------------

    def render(self, row: TaskRow, now_ms: int) -> dict[str, Any]:
        """The task object (``LipSyncTask`` in the spec) as it stands at ``now_ms``."""
        timeline = timeline_of(row)
        status, updated_at = timeline.status_at(now_ms)
        videos = []
        if status == SUCCEED:
            video_id = row["result_video_id"]
            videos.append(
                {
                    "id": video_id,
                    "url": result_url(row["base_url"], video_id),
                    "duration": result_seconds(row["result_ms"]),
                }
            )
        return {
            "task_id": task_id_of(row["seq"]),
            "task_status": status,
            "task_status_msg": timeline.message_at(now_ms),
            "task_info": {
                "parent_video": {
                    "id": row["parent_video_id"],
                    "url": row["parent_video_url"],
                    "duration": row["parent_video_duration"],
                }
            },
            "task_result": {"videos": videos},
            "created_at": timeline.created_at,
            "updated_at": updated_at,
        }

    @staticmethod
    def result_video(task_id: str) -> str:
        return result_video_id(task_id)
