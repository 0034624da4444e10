"""Text-to-speech (``POST /v1/audio/tts``): the first synchronous family, and where advanced lip-sync's audio
ids come from.

A call is answered whole: its body checked against the spec's schema in the legacy validator's words (a voice
that is not one of its language's is ``Voice id not found``), the text spoken by the mock's rule
(``speech.py``), the audio stored for the account on the mock's clock (``audios``), and the finished task
returned with the audio's id, URL and duration. No task to query, no callback, no concurrency slot. A scenario
whose task fails (``content-policy`` refuses before, as for any call) answers ``failed`` with its reason and
no audio.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kling_spec import compile_schema, resolve
from kling_spec.families import Family

from ..errors import ErrorAnswer
from ..scenarios import Scenario
from ..settings import Settings
from ..speech import rounded_speed, spoken_ms
from ..store import Store
from ..tasks import NumericIds
from ..timeline import FAILED, SUCCEED
from ..validation import Wording, first_broken_rule
from .lipsync import UNKNOWN_VOICE

__all__ = ["AUDIO_IDS", "WORDING", "TextToSpeechFamily", "audio_url"]

#: Audio ids and the ids of the calls that made them, from one sequence: 18 digits, as Kling's.
AUDIO_IDS = NumericIds(870_000_000_000_000_000)
CALL_IDS = NumericIds(880_000_000_000_000_000)

#: The legacy validator's words (text2video speaks through the same voice table).
WORDING = Wording(
    field_order=("text", "voice_language", "voice_id", "voice_speed"),
    missing={"text": "text is required", "voice_id": "voice_id is required"},
    enum_messages={"voice_id": UNKNOWN_VOICE},
)


def audio_url(base_url: str, audio_id: str) -> str:
    """Where the mock serves a text-to-speech MP3 (admin.py's route)."""
    return f"{base_url.rstrip('/')}/__mock__/audio/{audio_id}.mp3"


class TextToSpeechFamily:
    """The mock's text-to-speech: one synchronous call, its audio kept for advanced lip-sync."""

    def __init__(self, family: Family, spec: Mapping[str, Any]) -> None:
        self.name = family.name
        self.spec = family
        operation = family.operation("synchronous")
        self._request = compile_schema(operation.request_schema or {}, spec)
        self.max_request_bytes: int = operation.spec["x-kling-max-request-bytes"]
        #: Milliseconds per character at speed 1, by language (the spec's ``x-kling-mock-speech``).
        self.ms_per_character: Mapping[str, int] = dict(operation.spec["x-kling-mock-speech"])
        #: What a call deducts (``x-kling-mock-units``: the price one proxy reports of Kling's list).
        self.units: str = operation.spec["x-kling-mock-units"]
        schemas = spec["components"]["schemas"]
        request = resolve(operation.request_schema or {}, spec)
        self._default_language: str = schemas["VoiceLanguage"]["default"]
        self._default_speed: float = request["properties"]["voice_speed"]["default"]

    def answer(
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
        """Check, speak and store; the answer's ``data`` (the finished task)."""
        message = first_broken_rule(self._request, body, WORDING)
        if message is not None:
            raise ErrorAnswer(1201, message)
        text: str = body["text"]
        language: str = body.get("voice_language") or self._default_language
        speed: float = body.get("voice_speed", self._default_speed)
        failed = scenario.outcome == FAILED
        duration_ms = 0 if failed else spoken_ms(text, language, speed, self.ms_per_character)
        seq = store.insert_audio(
            {
                "account": account,
                "created_at": now_ms,
                "duration_ms": duration_ms,  # 0: the call failed, and made no audio
                "voice_id": body["voice_id"],
                "voice_language": language,
                "voice_speed": str(rounded_speed(speed)),
                "characters": len(text),
            }
        )
        audios = []
        if not failed:
            audio_id = AUDIO_IDS.id_of(seq)
            audios.append(
                {"id": audio_id, "url": audio_url(base_url, audio_id), "duration": f"{duration_ms / 1000:.3f}"}
            )
        units = "0" if failed else self.units
        return {
            "task_id": CALL_IDS.id_of(seq),
            "task_status": FAILED if failed else SUCCEED,
            "task_status_msg": scenario.failure_message if failed else "",
            "task_result": {"audios": audios},
            "final_unit_deduction": units,
            "final_balance_deduction": {"quota": units, "list_price": units},
            "created_at": now_ms,
            "updated_at": now_ms,
        }
