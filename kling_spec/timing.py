"""The timing rules of advanced lip-sync, which JSON Schema cannot say, as pure functions.

The numbers come from openapi.yaml (``x-kling-min-crop-ms``, ``x-kling-min-face-overlap-ms``,
``x-kling-audio-ms``, ``x-kling-video-ms``); the mock refuses a task that breaks a rule with these
messages, and the client's planner (``kling_lipsync.planning``) uses the same functions to pick times Kling
accepts. One rule, one place.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kling_spec import load_spec

__all__ = ["TimingRules", "Window", "broken_audio_rule", "broken_timing_rule", "timing_rules"]


@dataclass(frozen=True)
class Window:
    """A span of time in milliseconds, ``[start_ms, end_ms]``."""

    start_ms: int
    end_ms: int

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms

    def overlap_ms(self, other: Window) -> int:
        """How long the two windows share (0 when they do not meet)."""
        return max(0, min(self.end_ms, other.end_ms) - max(self.start_ms, other.start_ms))

    def __str__(self) -> str:
        return f"[{self.start_ms}, {self.end_ms}] ms"


@dataclass(frozen=True)
class TimingRules:
    """The numbers of the rules, read from the spec."""

    min_crop_ms: int
    min_face_overlap_ms: int
    min_audio_ms: int
    max_audio_ms: int
    min_video_ms: int
    max_video_ms: int


def timing_rules(spec: Mapping[str, Any] | None = None) -> TimingRules:
    """The rules of the shipped spec (or of ``spec``)."""
    return _shipped_rules() if spec is None else _rules_of(spec)


@functools.cache
def _shipped_rules() -> TimingRules:
    return _rules_of(load_spec())


def _rules_of(document: Mapping[str, Any]) -> TimingRules:
    schemas = document["components"]["schemas"]
    choice = schemas["FaceChoice"]
    audio = choice["properties"]["sound_file"]["x-kling-audio-ms"]
    video = schemas["IdentifyFaceRequest"]["x-kling-video-ms"]
    return TimingRules(
        min_crop_ms=choice["x-kling-min-crop-ms"],
        min_face_overlap_ms=choice["x-kling-min-face-overlap-ms"],
        min_audio_ms=audio["minimum"],
        max_audio_ms=audio["maximum"],
        min_video_ms=video["minimum"],
        max_video_ms=video["maximum"],
    )


def broken_audio_rule(rules: TimingRules, audio_ms: int, field: str) -> str | None:
    """Why audio of ``audio_ms`` is refused (too short or too long), or None."""
    if not rules.min_audio_ms <= audio_ms <= rules.max_audio_ms:
        return f"{field}: the audio lasts {audio_ms} ms; it must last {rules.min_audio_ms} to {rules.max_audio_ms} ms"
    return None


def broken_timing_rule(
    rules: TimingRules,
    *,
    audio_ms: int,
    video_ms: int,
    face_id: str,
    face: Window,
    sound_start_time: int,
    sound_end_time: int,
    sound_insert_time: int,
    field: str = "face_choose[0]",
) -> str | None:
    """The first timing rule the choice breaks, with its numbers, or None when Kling accepts it.

    In order: the crop lasts long enough, it ends within the audio, the inserted window lies inside the
    video, and it overlaps the face's window long enough.
    """
    crop = sound_end_time - sound_start_time
    if crop < rules.min_crop_ms:
        return (
            f"{field}: sound_end_time - sound_start_time = {sound_end_time} - {sound_start_time} = {crop} ms; "
            f"the cropped audio must last at least {rules.min_crop_ms} ms"
        )
    if sound_end_time > audio_ms:
        return f"{field}: sound_end_time {sound_end_time} ms is after the end of the audio ({audio_ms} ms)"
    inserted = Window(sound_insert_time, sound_insert_time + crop)
    if inserted.end_ms > video_ms:
        return (
            f"{field}: the audio inserted at {sound_insert_time} ms for {crop} ms ends at {inserted.end_ms} ms, "
            f"after the end of the video ({video_ms} ms)"
        )
    overlap = inserted.overlap_ms(face)
    if overlap < rules.min_face_overlap_ms:
        return (
            f"{field}: the audio inserted over {inserted} overlaps face {face_id}'s window {face} by {overlap} ms; "
            f"it must overlap it by at least {rules.min_face_overlap_ms} ms"
        )
    return None
