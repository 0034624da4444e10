"""The voices of ``text2video``, read from the spec, and the language a voice id implies.

The service reads a voice with no ``voice_language`` as Chinese (the spec's default) and refuses an English
one with "Voice id not found". The client and the command line both ask ``voice_language_for`` which
language to send when none was given, so they infer it alike and refuse alike, in the same words.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kling_spec import load_spec

__all__ = ["Voice", "VoiceError", "languages_of", "voice_catalogue", "voice_language_for"]


class VoiceError(ValueError):
    """No language can be inferred for a voice id: the spec has no such voice."""


@dataclass(frozen=True)
class Voice:
    """One voice: the pair (``voice_id``, ``voice_language``) selects it; ``name`` as the spec gives it."""

    voice_id: str
    voice_language: str
    name: str | None


def _schemas() -> Mapping[str, Any]:
    schemas: Mapping[str, Any] = load_spec()["components"]["schemas"]
    return schemas


@functools.cache
def voice_catalogue() -> tuple[Voice, ...]:
    """Every voice of the spec, by language, read from the rule that picks ``voice_id``'s enum by language.

    The spec says: for ``text2video``, if ``voice_language`` is X then ``voice_id`` is one of schema A, else
    (any other language, or none: the default) one of schema B. Reading that rule, not the schema names,
    keeps this in step with whatever the spec decides.
    """
    schemas = _schemas()
    languages: list[str] = schemas["VoiceLanguage"]["enum"]
    text_rule = next(
        rule["then"]
        for rule in schemas["LipSyncInput"]["allOf"]
        if rule.get("if", {}).get("properties", {}).get("mode", {}).get("const") == "text2video"
    )
    chosen: str = text_rule["if"]["properties"]["voice_language"]["const"]
    schema_of = {
        language: _referenced(text_rule["then" if language == chosen else "else"]["properties"]["voice_id"])
        for language in languages
    }
    voices: list[Voice] = []
    for language in languages:
        schema = schema_of[language]
        names: list[str | None] = list(schema.get("x-enum-descriptions", []))
        names += [None] * (len(schema["enum"]) - len(names))
        voices += [Voice(voice_id, language, name) for voice_id, name in zip(schema["enum"], names, strict=True)]
    return tuple(voices)


def _referenced(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The schema a local ``$ref`` points to, or ``schema`` itself."""
    ref = schema.get("$ref", "")
    return _schemas()[ref.rsplit("/", 1)[-1]] if ref.startswith("#/components/schemas/") else schema


def languages_of(voice_id: str) -> list[str]:
    """The languages that have a voice with this id, in the spec's order."""
    return [voice.voice_language for voice in voice_catalogue() if voice.voice_id == voice_id]


def voice_language_for(voice_id: str, *, option: str = "voice_language=") -> str | None:
    """The language to send with ``voice_id`` when none was given: the only language that has this voice.

    ``None`` when several languages have it: then the service's default picks (Chinese, the spec's ``else``),
    as it always did; the command line asks the person to choose instead. ``option`` is how the caller's
    interface names the language (``--voice-language`` on the command line), for the message. An explicit
    language is always sent as given, so a voice newer than this spec still works.

    :raise VoiceError: the spec has no voice with this id.
    """
    languages = languages_of(voice_id)
    if not languages:
        raise VoiceError(
            f"unknown voice id {voice_id!r}: `kling-lipsync voices` lists them (or give {option} to send it anyway)"
        )
    return languages[0] if len(languages) == 1 else None
