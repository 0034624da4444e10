"""Request rules, compiled once from openapi.yaml, with Kling's own wording for what breaks them.

The schema decides what is valid (a compiled JSON Schema validator, about a microsecond per request);
this module only phrases the first broken rule the way Kling's validator does, and checks what JSON
Schema cannot say: that ``audio_file`` decodes to real audio within its size, and which ``video_id``s
the mock knows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema_rs import ValidationErrorKind as Kind

from kling_lipsync.audio import audio_format
from kling_lipsync.spec import compile_schema, load_spec

from .errors import KlingError

__all__ = ["BodyError", "RequestRules", "parse_json_body"]

# The order Kling's validator reports problems in (live observations): the first broken field wins.
_FIELD_ORDER = (
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
)
_RANK = {name: rank for rank, name in enumerate(_FIELD_ORDER)}

# Kling's wording where it is known; everything else names the field the same way.
_MISSING = {
    "input": "input: must not be null",
    "input.mode": "input.mode: must not be null",
    "input.audio_type": "Audio type is null",
    "input.text": "text is required",
    "input.voice_id": "voice_id is required",
    "input.audio_file": "audio_file is required",
    "input.audio_url": "audio_url is required",
}
NO_VIDEO = "video_id or video_url is required"
TWO_VIDEOS = "only one of video_id and video_url may be given"
BAD_BASE64 = "File is not in a valid base64 format"
UNKNOWN_VOICE = "Voice id not found"
UNSUPPORTED_AUDIO = "Audio file format is not supported"
UNKNOWN_VIDEO = "video_id not found"


class BodyError(ValueError):
    """The body is not a JSON object (code 1200)."""


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Parse strict JSON: UTF-8, no NaN or Infinity, bounded nesting; the top level must be an object."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BodyError(str(exc)) from None
    if not isinstance(value, dict):
        raise BodyError("the body must be a JSON object")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Page:
    number: int
    size: int


class RequestRules:
    """Validators for each operation's input, compiled from the spec at start-up."""

    def __init__(self, spec: Mapping[str, Any] | None = None) -> None:
        document = load_spec() if spec is None else spec
        create = document["paths"]["/v1/videos/lip-sync"]["post"]
        schema = create["requestBody"]["content"]["application/json"]["schema"]
        self._create = compile_schema(schema, document)
        self.max_request_bytes: int = create["x-kling-max-request-bytes"]
        audio_file = document["components"]["schemas"]["LipSyncInput"]["properties"]["audio_file"]
        self.max_audio_bytes: int = audio_file["x-max-decoded-bytes"]
        listing = document["paths"]["/v1/videos/lip-sync"]["get"]
        self._page_params = {p["name"]: p["schema"] for p in listing["parameters"]}
        self._page_validators = {name: compile_schema(s, document) for name, s in self._page_params.items()}

    # -- create ---------------------------------------------------------------------------------------

    def check_create(self, body: Mapping[str, Any]) -> None:
        """Raise ``KlingError(1201)`` naming the first broken rule; accept what the schema accepts."""
        try:
            if self._create.is_valid(body):
                self._check_audio_file(body)
                return
            errors = list(self._create.iter_errors(body))
        except (ValueError, OverflowError) as exc:  # numbers the validator cannot represent
            raise KlingError(1201, f"invalid value: {exc}") from None
        first = min(errors, key=_error_rank)
        raise KlingError(1201, _phrase(first))

    def _check_audio_file(self, body: Mapping[str, Any]) -> None:
        data = body["input"]
        if data.get("mode") != "audio2video" or data.get("audio_type") != "file":
            return
        encoded: str = data["audio_file"]
        padding = len(encoded) - len(encoded.rstrip("="))
        if len(encoded) // 4 * 3 - padding > self.max_audio_bytes:
            raise KlingError(1201, f"input.audio_file: decoded size must be at most {self.max_audio_bytes} bytes")
        try:
            head = base64.b64decode(encoded[:24], validate=True)
        except (binascii.Error, ValueError):
            raise KlingError(1201, BAD_BASE64) from None
        if audio_format(head) is None:
            raise KlingError(1201, UNSUPPORTED_AUDIO)

    # -- list -------------------------------------------------------------------------------------------

    def check_page(self, args: Mapping[str, str]) -> Page:
        """Read ``pageNum`` and ``pageSize`` with the spec's defaults and bounds."""
        values: dict[str, int] = {}
        for name, schema in self._page_params.items():
            raw = args.get(name)
            if raw is None:
                values[name] = schema["default"]
                continue
            try:
                number = int(raw, 10)
            except ValueError:
                raise KlingError(1201, f"{name} value '{_short(raw)}' is invalid") from None
            errors = list(self._page_validators[name].iter_errors(number))
            if errors:
                raise KlingError(1201, _phrase_bound(name, errors[0]))
            values[name] = number
        return Page(values["pageNum"], values["pageSize"])


def _field_of(error: Any) -> str:
    path = [str(part) for part in error.instance_path]
    kind = error.kind
    if isinstance(kind, Kind.Required):
        path.append(kind.property)
    if isinstance(kind, Kind.OneOfNotValid | Kind.OneOfMultipleValid) and path == ["input"]:
        return "input.video"
    return ".".join(path)


def _error_rank(error: Any) -> tuple[int, int]:
    field = _field_of(error)
    top = ".".join(field.split(".")[:2])
    return _RANK.get(top, len(_RANK)), 0 if isinstance(error.kind, Kind.Required) else 1


def _phrase(error: Any) -> str:
    """Kling's wording for one schema error."""
    field = _field_of(error)
    kind = error.kind
    if isinstance(kind, Kind.Required):
        return _MISSING.get(field, f"{field}: must not be null")
    if isinstance(kind, Kind.OneOfNotValid):
        return NO_VIDEO if field == "input.video" else f"{field} value is invalid"
    if isinstance(kind, Kind.OneOfMultipleValid):
        return TWO_VIDEOS if field == "input.video" else f"{field} value is invalid"
    if field == "input.voice_id" and isinstance(kind, Kind.Enum):
        return UNKNOWN_VOICE
    if field == "input.audio_file" and isinstance(kind, Kind.Pattern | Kind.MinLength):
        return BAD_BASE64
    if isinstance(kind, Kind.Enum):
        options = ", ".join(str(option) for option in kind.options)
        return f"{field} value '{_short(error.instance)}' is invalid, allowed values: {options}"
    return _phrase_bound(field, error)


def _phrase_bound(field: str, error: Any) -> str:
    kind = error.kind
    # Kling reports numeric bounds with its internal camelCase name (input.voiceSpeed).
    name = _camel(field)
    if isinstance(kind, Kind.Maximum):
        return f"{name}: must be less than or equal to {kind.limit}"
    if isinstance(kind, Kind.Minimum):
        return f"{name}: must be greater than or equal to {kind.limit}"
    if isinstance(kind, Kind.MaxLength):
        return f"{field}: length must be less than or equal to {kind.limit}"
    if isinstance(kind, Kind.MinLength):
        return f"{field}: length must be greater than or equal to {kind.limit}"
    return f"{field} value '{_short(error.instance)}' is invalid"


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _short(value: Any, limit: int = 64) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."
