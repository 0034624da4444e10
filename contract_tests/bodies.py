"""Request bodies for tests, taken from the spec's own named examples."""

from __future__ import annotations

import copy
from typing import Any

from kling_spec.families import family

_CREATE = family("lip-sync").operation("create").spec["requestBody"]["content"]["application/json"]


def example_body(name: str, **input_changes: Any) -> dict[str, Any]:
    """A deep copy of a named create example, with ``input`` fields changed (None removes one)."""
    body: dict[str, Any] = copy.deepcopy(_CREATE["examples"][name]["value"])
    for key, value in input_changes.items():
        if value is None:
            body["input"].pop(key, None)
        else:
            body["input"][key] = value
    return body


def text_body(**changes: Any) -> dict[str, Any]:
    """A valid text2video body (English voice, video by URL)."""
    body = example_body("text2video_english", **changes)
    body.pop("callback_url", None)
    return body


def audio_file_body(**changes: Any) -> dict[str, Any]:
    """A valid audio2video body with a tiny real WAV file."""
    return example_body("audio2video_by_file", **changes)
