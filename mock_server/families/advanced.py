"""Advanced lip-sync (identify-face, then advanced-lip-sync): what is its own in the mock.

A session is opened over a video (its faces come from what the mock knows of the video: one of its own
results, a video registered through the admin API, or a default one), then a task lip-syncs one face of
the session to a segment of audio. The schema (openapi.yaml) says what a body may look like; the rules it
cannot say (session, face, audio length, timing) are checked here, in the order the spec lists them, with
the numbers from ``kling_spec.timing``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from kling_spec import compile_schema
from kling_spec.audio import audio_format, audio_length_ms, decoded_size
from kling_spec.families import Family
from kling_spec.timing import Window, broken_audio_rule, broken_timing_rule, timing_rules

from ..database import Row
from ..errors import ErrorAnswer
from ..media import result_video_id, video_id_for_url
from ..redact import kept_json, without_audio_bytes
from ..results import BLOB_COLUMN, Sound, audio_blob, own_result_ms, result_ms, result_seconds, sound_of
from ..scenarios import Scenario
from ..settings import Settings
from ..store import Store, TaskRow
from ..tasks import NumericIds, face_image_url, own_video_id, result_url, task_id_of, timeline_of, watermark_url
from ..timeline import SUCCEED
from ..validation import Wording, first_broken_rule
from .lipsync import BAD_BASE64, UNKNOWN_VIDEO, UNSUPPORTED_AUDIO
from .tts import AUDIO_IDS

__all__ = ["CREATE_WORDING", "IDENTIFY_WORDING", "AdvancedLipSyncFamily", "session_id_of", "session_seq_of"]

#: Session ids look like Kling's (18 digits, `850508686686064678`).
SESSION_IDS = NumericIds(850_000_000_000_000_000)
session_id_of = SESSION_IDS.id_of
session_seq_of = SESSION_IDS.seq_of

IDENTIFY_WORDING = Wording(
    field_order=("video", "video_id", "video_url"),
    one_of_field="video",
    one_of_none="either video_id or video_url is required for identify-face",
    one_of_many="video_id and video_url cannot be both provided for identify-face",
)

CREATE_WORDING = Wording(
    field_order=(
        "session_id",
        "face_choose",
        "face_choose.0",
        "watermark_info",
        "external_task_id",
        "callback_url",
    ),
    missing={"session_id": "session_id is required for advanced-lip-sync"},
    # The choice of audio inside the (single) face_choose entry.
    one_of_field="face_choose.0.audio",
    one_of_none="face_choose[0]: either audio_id or sound_file is required",
    one_of_many="face_choose[0]: only one of audio_id and sound_file may be given",
    format_messages={"face_choose.0.sound_file": BAD_BASE64},
)


def _seconds(milliseconds: int) -> str:
    """A duration as Kling writes it: seconds, one decimal, as a string."""
    return f"{milliseconds / 1000:.1f}"


def _whole_video(video_ms: int) -> list[dict[str, Any]]:
    return [{"face_id": "0", "start_time": 0, "end_time": video_ms}]


def _scenario_faces(count: int, video_ms: int) -> list[dict[str, Any]]:
    """The faces a scenario asks for: none, or two whose windows overlap in the middle of the video."""
    if count == 0:
        return []
    share = video_ms * 6 // 10
    return [
        {"face_id": "0", "start_time": 0, "end_time": share},
        {"face_id": "1", "start_time": video_ms - share, "end_time": video_ms},
    ]


def registered_faces(faces: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Face windows as registered (``face_id`` optional: ``"0"``, ``"1"`` ... in order)."""
    return [
        {"face_id": str(face.get("face_id", index)), "start_time": face["start_time"], "end_time": face["end_time"]}
        for index, face in enumerate(faces)
    ]


class AdvancedLipSyncFamily:
    """The mock's advanced lip-sync: sessions over videos, tasks over one face of a session."""

    finds_by_external_id = True

    def __init__(self, family: Family, spec: Mapping[str, Any]) -> None:
        self.name = family.name
        self.spec = family
        create = family.operation("create")
        self._create = compile_schema(create.request_schema or {}, spec)
        self._identify = compile_schema(family.operation("session").request_schema or {}, spec)
        self.max_request_bytes: int = max(
            create.spec["x-kling-max-request-bytes"], family.operation("session").spec["x-kling-max-request-bytes"]
        )
        choice = spec["components"]["schemas"]["FaceChoice"]["properties"]
        self.max_audio_bytes: int = choice["sound_file"]["x-max-decoded-bytes"]
        self.audio_ttl_ms: int = choice["audio_id"]["x-kling-audio-ttl-ms"]
        self.default_volume: float = spec["components"]["schemas"]["Volume"]["default"]
        self.rules = timing_rules(spec)

    # -- identify-face ------------------------------------------------------------------------------------

    def open_session(
        self,
        body: Mapping[str, Any],
        account: str,
        *,
        settings: Settings,
        store: Store,
        base_url: str,
        scenario: Scenario,
        now_ms: int,
    ) -> dict[str, Any]:
        """Find the faces of the body's video and store a session over them; the answer's ``data``."""
        message = first_broken_rule(self._identify, body, IDENTIFY_WORDING)
        if message is not None:
            raise ErrorAnswer(1201, message)
        video_id, video_url, video_ms, faces = self._video(body, account, settings, store)
        if not self.rules.min_video_ms <= video_ms <= self.rules.max_video_ms:
            field = "video_id" if body.get("video_id") else "video_url"
            raise ErrorAnswer(
                1201,
                f"{field}: the video lasts {video_ms} ms; it must last "
                f"{self.rules.min_video_ms} to {self.rules.max_video_ms} ms",
            )
        if scenario.faces is not None:
            faces = _scenario_faces(scenario.faces, video_ms)
        seq = store.insert_session(
            {
                "account": account,
                "created_at": now_ms,
                "expires_at": now_ms + round(settings.session_ttl_seconds * 1000),
                "video_id": video_id,
                "video_url": video_url,
                "video_ms": video_ms,
                "faces": json.dumps(faces),
            }
        )
        session_id = session_id_of(seq)
        return {
            "session_id": session_id,
            "final_unit_deduction": "1",
            "final_balance_deduction": {"quota": "1", "list_price": "0.05"},
            "face_data": [
                {**face, "face_image": face_image_url(base_url, session_id, face["face_id"])} for face in faces
            ],
        }

    def _video(
        self, body: Mapping[str, Any], account: str, settings: Settings, store: Store
    ) -> tuple[str, str, int, list[dict[str, Any]]]:
        """``(id, url, length in ms, faces)`` of the body's video, from what the mock knows of it."""
        video_id: str = body.get("video_id") or ""
        video_url: str = body.get("video_url") or ""
        if video_url:
            own = own_video_id(video_url)
            served = store.task_by_result_video(own) if own is not None else None
            if own is not None and served is not None:  # one of the mock's results: any account may fetch it
                own_ms = own_result_ms(served)
                return own, video_url, own_ms, _whole_video(own_ms)
            key, video_id = video_url, video_id_for_url(video_url)
        else:
            task = store.task_by_result_video(video_id)
            if task is not None and task["account"] == account:
                own_ms = own_result_ms(task)
                return video_id, result_url(task["base_url"], video_id), own_ms, _whole_video(own_ms)
            key = video_id
        registered = store.media("video", key)
        if registered is not None:
            return video_id, video_url, registered["duration_ms"], json.loads(registered["faces"] or "[]")
        if not video_url and settings.strict_video_ids:
            raise ErrorAnswer(1201, UNKNOWN_VIDEO)
        video_ms = round(settings.default_video_seconds * 1000)
        return video_id, video_url, video_ms, _whole_video(video_ms)

    # -- create -------------------------------------------------------------------------------------------

    def check_create(self, body: Mapping[str, Any]) -> None:
        """Raise ``ErrorAnswer(1201)`` naming the first rule of the schema the body breaks."""
        message = first_broken_rule(self._create, body, CREATE_WORDING)
        if message is not None:
            raise ErrorAnswer(1201, message)

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
        """Check the rules beyond the schema, in the spec's order; the columns of the new task."""
        session_id: str = body["session_id"]
        seq = session_seq_of(session_id)
        session = store.get_session(seq) if seq is not None else None
        if session is None or session["account"] != account:
            raise ErrorAnswer(1201, f"session_id {session_id[:64]}: no such session for this account")
        if now_ms >= session["expires_at"]:
            raise ErrorAnswer(
                1201,
                f"session_id {session_id}: the session expired at {session['expires_at']} "
                f"(now {now_ms}; sessions last {settings.session_ttl_seconds:g} s)",
            )
        choice: Mapping[str, Any] = body["face_choose"][0]
        faces = {face["face_id"]: face for face in json.loads(session["faces"])}
        face = faces.get(choice["face_id"])
        if face is None:
            known = ", ".join(faces) if faces else "none"
            raise ErrorAnswer(
                1201,
                f"face_choose[0].face_id '{choice['face_id'][:64]}' is not a face of session {session_id} "
                f"(its faces: {known})",
            )
        audio_ms, audio = self._audio(choice, account, settings, store, now_ms)
        broken = broken_timing_rule(
            self.rules,
            audio_ms=audio_ms,
            video_ms=session["video_ms"],
            face_id=face["face_id"],
            face=Window(face["start_time"], face["end_time"]),
            sound_start_time=choice["sound_start_time"],
            sound_end_time=choice["sound_end_time"],
            sound_insert_time=choice["sound_insert_time"],
        )
        if broken is not None:
            raise ErrorAnswer(1201, broken)
        watermark = body.get("watermark_info")
        reference, blob = (audio, None) if isinstance(audio, str) else audio_blob(audio)
        sound = Sound(
            session["video_ms"],
            self._source_sound(session, account, store),
            choice.get("original_audio_volume", self.default_volume),
            reference,
            (choice["sound_start_time"], choice["sound_end_time"]),
            choice["sound_insert_time"],
            choice.get("sound_volume", self.default_volume),
        )
        return {
            "parent_video_id": session["video_id"],
            "parent_video_url": session["video_url"] or result_url(base_url, session["video_id"]),
            "parent_video_duration": _seconds(session["video_ms"]),
            "request_input": kept_json(without_audio_bytes(dict(body))),
            "external_task_id": body.get("external_task_id") or None,
            "watermark": int(bool(watermark and watermark["enabled"])),
            "result_ms": result_ms(session["video_ms"]),
            "sound": sound.to_json(),
            BLOB_COLUMN: blob,  # kept with the task, in its transaction
        }

    @staticmethod
    def _source_sound(session: Row, account: str, store: Store) -> str:
        """The session video's own sound (``results.sound_of``): one of the mock's results as ``_video`` took
        it (by URL, any that exists; by id, the account's own), a registration's, or none."""
        if session["video_url"]:
            own = own_video_id(session["video_url"])
            task = store.task_by_result_video(own) if own is not None else None
        else:
            own = session["video_id"]
            task = store.task_by_result_video(own)
            task = task if task is not None and task["account"] == account else None
        return sound_of(store.media("video", session["video_url"] or session["video_id"]), own if task else None)

    def _audio(
        self, choice: Mapping[str, Any], account: str, settings: Settings, store: Store, now_ms: int
    ) -> tuple[int, str | bytes]:
        """How long the chosen audio lasts, and what sounds in the result: measured from the bytes sent (and
        those bytes), or what the mock was told of it (a registration), the length of this account's own
        text-to-speech audio, or, for a URL it cannot fetch, ``default_audio_seconds`` (and the mock's speech
        of that length)."""
        sound: str = choice.get("sound_file") or ""
        data: bytes | None = None
        if sound and not sound.startswith(("http://", "https://")):
            field = "face_choose[0].sound_file"
            audio_ms, data = self._decoded_audio(sound, field)
        else:
            field = "face_choose[0].sound_file" if sound else "face_choose[0].audio_id"
            key = sound or choice["audio_id"]
            registered = store.media("audio", key)
            if registered is not None:
                audio_ms = registered["duration_ms"]
            elif sound:
                audio_ms = round(settings.default_audio_seconds * 1000)
            else:
                audio_ms = self._spoken_ms(key, account, store, now_ms)
        broken = broken_audio_rule(self.rules, audio_ms, field)
        if broken is not None:
            raise ErrorAnswer(1201, broken)
        return audio_ms, data if data is not None else f"speech:{audio_ms}"

    def _spoken_ms(self, audio_id: str, account: str, store: Store, now_ms: int) -> int:
        """The length of text-to-speech audio ``audio_id``: 1201 unless it is this account's, made within
        ``x-kling-audio-ttl-ms``."""
        seq = AUDIO_IDS.seq_of(audio_id)
        audio = store.get_audio(seq) if seq is not None else None
        if audio is None or audio["account"] != account or not audio["duration_ms"]:
            raise ErrorAnswer(
                1201,
                f"face_choose[0].audio_id {audio_id[:64]}: no such audio for this account (an audio_id is "
                "task_result.audios[].id of text-to-speech)",
            )
        age_ms = now_ms - audio["created_at"]
        if age_ms > self.audio_ttl_ms:
            raise ErrorAnswer(
                1201,
                f"face_choose[0].audio_id {audio_id}: the audio was made {age_ms} ms ago; audio ids last "
                f"{self.audio_ttl_ms} ms ({self.audio_ttl_ms / 86_400_000:g} days)",
            )
        duration_ms: int = audio["duration_ms"]
        return duration_ms

    def _decoded_audio(self, encoded: str, field: str) -> tuple[int, bytes]:
        if decoded_size(encoded) > self.max_audio_bytes:
            raise ErrorAnswer(1201, f"{field}: decoded size must be at most {self.max_audio_bytes} bytes")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ErrorAnswer(1201, BAD_BASE64) from None
        if audio_format(data[:16]) is None:
            raise ErrorAnswer(1201, UNSUPPORTED_AUDIO)
        length_ms = audio_length_ms(data)
        if length_ms is None:
            raise ErrorAnswer(1201, f"{field}: the audio cannot be read")
        return length_ms, data

    def created(self, task_id: str, status: str, now_ms: int, columns: Mapping[str, Any]) -> dict[str, Any]:
        """The create answer's ``data``: the generic fields and the external id."""
        return {
            "task_id": task_id,
            "task_info": {"external_task_id": columns.get("external_task_id") or ""},
            "task_status": status,
            "created_at": now_ms,
            "updated_at": now_ms,
        }

    # -- the task object ------------------------------------------------------------------------------------

    def render(self, row: TaskRow, now_ms: int) -> dict[str, Any]:
        """The task object (``AdvancedLipSyncTask`` in the spec) as it stands at ``now_ms``."""
        timeline = timeline_of(row)
        status, updated_at = timeline.status_at(now_ms)
        watermark = bool(row["watermark"])
        task: dict[str, Any] = {
            "task_id": task_id_of(row["seq"]),
            "task_status": status,
            "task_status_msg": timeline.message_at(now_ms),
            "task_info": {
                "parent_video": {
                    "id": row["parent_video_id"],
                    "url": row["parent_video_url"],
                    "duration": row["parent_video_duration"],
                },
                "external_task_id": row["external_task_id"] or "",
            },
            "task_result": {"videos": []},
            "watermark_info": {"enabled": watermark},
            "created_at": timeline.created_at,
            "updated_at": updated_at,
        }
        # The mock's own price: one unit per started 5 seconds of result, 0.5 yuan each, once it exists.
        units = 0
        if status == SUCCEED:
            video_id = row["result_video_id"]
            duration = result_seconds(row["result_ms"])
            task["task_result"]["videos"].append(
                {
                    "id": video_id,
                    "url": result_url(row["base_url"], video_id),
                    "watermark_url": watermark_url(row["base_url"], video_id) if watermark else "",
                    "duration": duration,
                }
            )
            units = math.ceil(float(duration) / 5)
        task["final_unit_deduction"] = str(units)
        task["final_balance_deduction"] = {"quota": str(units), "list_price": f"{units * 0.5:g}"}
        return task

    @staticmethod
    def result_video(task_id: str) -> str:
        return result_video_id(task_id)
