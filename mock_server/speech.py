"""The mock's text-to-speech: how long a text is spoken, and the MP3 that says it.

The mock cannot speak, but it can make a real, audible MP3 of any length in whole frames at no cost: its
asset ``assets/speech.mp3`` is one syllable, twelve constant-bit-rate MP3 frames of 24 ms that borrow no bits
from each other (``scripts/make_speech_asset.py`` made it), so any run of them, in cycle order, is a valid MP3
that decodes to exactly 24 ms a frame. A text's length is the spec's rule (``x-kling-mock-speech`` on
``text_to_speech``: milliseconds per character at speed 1, per language), divided by the speed rounded half
up to one decimal, rounded up to whole frames.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from kling_spec.families import families

__all__ = ["FRAME_MS", "SPEECH_MP3", "rounded_speed", "speech_mp3", "speech_rule", "spoken_ms"]

SPEECH_MP3 = Path(__file__).with_name("assets") / "speech.mp3"
#: One MPEG-2 Layer III frame: 576 samples at 24 kHz.
FRAME_MS = 24
_FRAME_BYTES = 144
#: The frame header every frame of the asset starts with (MPEG-2, Layer III, 48 kbit/s, 24 kHz, mono).
_HEADER = b"\xff\xf3\x64\xc4"


@functools.cache
def _frames() -> tuple[bytes, ...]:
    data = SPEECH_MP3.read_bytes()
    frames = tuple(data[i : i + _FRAME_BYTES] for i in range(0, len(data), _FRAME_BYTES))
    if not frames or any(len(f) != _FRAME_BYTES or not f.startswith(_HEADER) for f in frames):
        raise RuntimeError(f"{SPEECH_MP3} is not the speech asset (scripts/make_speech_asset.py makes it)")
    return frames


def speech_rule(spec: Mapping[str, Any]) -> Mapping[str, int]:
    """Milliseconds per character at speed 1, by language: the ``x-kling-mock-speech`` of the spec's
    text-to-speech operation (found by the extension, wherever its family is)."""
    for family in families(spec).values():
        for operation in family.operations.values():
            if "x-kling-mock-speech" in operation.spec:
                return dict(operation.spec["x-kling-mock-speech"])
    raise KeyError("no operation of the spec has x-kling-mock-speech (the rule of the mock's speech)")


def rounded_speed(speed: float) -> Decimal:
    """The speed spoken at: one decimal, rounded half up (1.25 -> 1.3; ``Decimal(str())``: 0.85 is 0.9, not
    the 0.8499... a float holds)."""
    return Decimal(str(speed)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def spoken_ms(text: str, language: str, speed: float, ms_per_character: Mapping[str, int]) -> int:
    """How long the mock speaks ``text``: characters (code points) x the language's milliseconds / the rounded
    speed, rounded up to whole frames (at least one)."""
    tenths = int(rounded_speed(speed) * 10)
    # ceil(characters * ms * 10 / (tenths * FRAME_MS)) frames, in integers: no float decides a frame.
    frames = -(-len(text) * ms_per_character[language] * 10 // (tenths * FRAME_MS))
    return max(1, frames) * FRAME_MS


def speech_mp3(duration_ms: int) -> bytes:
    """An MP3 lasting ``duration_ms`` (a multiple of ``FRAME_MS``): the syllable, again and again."""
    frames = _frames()
    count = max(1, duration_ms // FRAME_MS)
    whole, rest = divmod(count, len(frames))
    return b"".join(frames) * whole + b"".join(frames[:rest])
