"""Request rules compiled from openapi.yaml, phrased the way Kling's validator phrases them.

The schema decides what is valid (a compiled JSON Schema validator, about a microsecond per request);
this module only phrases the first broken rule, from a family's ``Wording`` (its field order and its
messages: ``families/lipsync.py``), and reads the list operations' page parameters. Pure functions, so
the wording is unit-tested without HTTP (``contract_tests/unit/test_pure_cores.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema_rs import ValidationErrorKind as Kind
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

from kling_spec import compile_schema
from kling_spec.families import Operation

from .errors import ErrorAnswer

__all__ = [
    "BodyError",
    "Page",
    "PageRules",
    "Wording",
    "first_broken_rule",
    "parse_json_body",
    "phrase",
    "read_body",
]


class BodyError(ValueError):
    """The body is not a JSON object (code 1200)."""


def read_body(req: Request) -> bytes:
    """The request's body, whole: at most ``max_content_length`` bytes, or 413 (``RequestEntityTooLarge``).

    Werkzeug checks a ``Content-Length`` against the limit, but a chunked body (no length) it only reads up to
    the limit and stops: a larger one would be cut silently and taken as whole. One more byte is asked of the
    server's stream then, and any answer means the body was larger.
    """
    raw = req.get_data(cache=True)
    limit = req.max_content_length
    if limit is not None and len(raw) >= limit and req.content_length is None and req.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
    return raw


def parse_json_body(raw: bytes) -> dict[str, Any]:
    """Parse strict JSON: UTF-8, no NaN or Infinity, no text that is not Unicode, bounded nesting; the top level
    must be an object."""
    try:
        text = raw.decode("utf-8")
        value = json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BodyError(str(exc)) from None
    if not isinstance(value, dict):
        raise BodyError("the body must be a JSON object")
    # A lone surrogate can only come from a \uD800-\uDFFF escape (a pair becomes one character): such text
    # cannot be stored or sent on, so it is refused here, naming where it is, before anything keeps it.
    if "\\u" in text and (where := _not_unicode(value, "")) is not None:
        raise BodyError(f"{where} holds a lone surrogate escape (\\uD800-\\uDFFF), which is not text")
    return value


def _not_unicode(value: Any, path: str) -> str | None:
    """The path of the first string (key or value) in ``value`` holding a lone surrogate; None if there is none."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):  # named as escapes: the answer must not carry it either
                shown = key.encode("utf-8", "backslashreplace").decode("ascii", "replace")
                return f"{path}.{shown}" if path else shown
            inner = f"{path}.{key}" if path else key
            found = _not_unicode(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _not_unicode(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Page:
    number: int
    size: int


@dataclass(frozen=True)
class Wording:
    """How a family's validator words a broken rule: field order, messages for missing fields and the rest."""

    field_order: tuple[str, ...]
    missing: Mapping[str, str] = field(default_factory=dict)
    #: The name a top-level ``oneOf`` of the body is reported under, and its two messages.
    one_of_field: str = ""
    one_of_none: str = ""
    one_of_many: str = ""
    #: A field whose value is not in its enum, by field: the message.
    enum_messages: Mapping[str, str] = field(default_factory=dict)
    #: A field whose value breaks its pattern or minimum length (a format), by field: the message.
    format_messages: Mapping[str, str] = field(default_factory=dict)


def first_broken_rule(validator: Any, body: Any, wording: Wording) -> str | None:
    """The message for the first rule ``body`` breaks, in the family's order and words; None if valid."""
    try:
        if validator.is_valid(body):
            return None
        errors = list(validator.iter_errors(body))
    except (ValueError, OverflowError) as exc:  # numbers the validator cannot represent
        return f"invalid value: {exc}"
    rank = {name: index for index, name in enumerate(wording.field_order)}
    return phrase(min(errors, key=lambda error: _error_rank(error, wording, rank)), wording)


class PageRules:
    """``pageNum`` and ``pageSize`` of a list operation, with the spec's defaults and bounds."""

    def __init__(self, operation: Operation, spec: Mapping[str, Any]) -> None:
        self._params = dict(operation.query_parameters)
        self._validators = {name: compile_schema(schema, spec) for name, schema in self._params.items()}

    def check_page(self, args: Mapping[str, str]) -> Page:
        values: dict[str, int] = {}
        for name, schema in self._params.items():
            raw = args.get(name)
            if raw is None:
                values[name] = schema["default"]
                continue
            try:
                number = int(raw, 10)
            except ValueError:
                raise ErrorAnswer(1201, f"{name} value '{_short(raw)}' is invalid") from None
            errors = list(self._validators[name].iter_errors(number))
            if errors:
                raise ErrorAnswer(1201, _phrase_bound(name, errors[0]))
            values[name] = number
        return Page(values["pageNum"], values["pageSize"])


def _field_of(error: Any, wording: Wording) -> str:
    path = [str(part) for part in error.instance_path]
    kind = error.kind
    if isinstance(kind, Kind.Required):
        path.append(kind.property)
    if wording.one_of_field and isinstance(kind, Kind.OneOfNotValid | Kind.OneOfMultipleValid):
        parent = wording.one_of_field.rpartition(".")[0]
        if ".".join(path) == parent:
            return wording.one_of_field
    return ".".join(path)


def _error_rank(error: Any, wording: Wording, rank: Mapping[str, int]) -> tuple[int, int]:
    field = _field_of(error, wording)
    top = ".".join(field.split(".")[:2])
    return rank.get(top, len(rank)), 0 if isinstance(error.kind, Kind.Required) else 1


def phrase(error: Any, wording: Wording) -> str:
    """Kling's wording for one schema error of a family."""
    field = _field_of(error, wording)
    kind = error.kind
    if isinstance(kind, Kind.Required):
        return wording.missing.get(field, f"{field}: must not be null")
    if isinstance(kind, Kind.OneOfNotValid):
        return wording.one_of_none if field == wording.one_of_field else f"{field} value is invalid"
    if isinstance(kind, Kind.OneOfMultipleValid):
        return wording.one_of_many if field == wording.one_of_field else f"{field} value is invalid"
    if isinstance(kind, Kind.Enum) and field in wording.enum_messages:
        return wording.enum_messages[field]
    if isinstance(kind, Kind.Pattern | Kind.MinLength) and field in wording.format_messages:
        return wording.format_messages[field]
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
    if isinstance(kind, Kind.MaxItems):
        return f"{field}: size must be at most {kind.limit}"
    if isinstance(kind, Kind.MinItems):
        return f"{field}: size must be at least {kind.limit}"
    return f"{field} value '{_short(error.instance)}' is invalid"


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _short(value: Any, limit: int = 64) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."
