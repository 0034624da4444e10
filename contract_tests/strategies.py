"""Hypothesis strategies for lip-sync requests, built from the spec and the generated models.

Limits and enums come from openapi.yaml (or the generated enums, which come from it); nothing here
restates a rule of the API.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

from kling_lipsync_client.models import (
    AudioType,
    LipSyncCreateRequest,
    LipSyncInput,
    LipSyncMode,
    VoiceIdEn,
    VoiceIdZh,
    VoiceLanguage,
)
from kling_spec import load_spec

ASSETS = Path(__file__).with_name("assets")

#: Real audio of every accepted format (0.2 s tones made with ffmpeg), base64 as the API wants it.
AUDIO_SAMPLES = {
    path.suffix[1:]: base64.b64encode(path.read_bytes()).decode() for path in sorted(ASSETS.glob("tone.*"))
}

_INPUT = load_spec()["components"]["schemas"]["LipSyncInput"]["properties"]
TEXT_MAX = _INPUT["text"]["maxLength"]
TEXT_MIN = _INPUT["text"]["minLength"]
SPEED_MIN = _INPUT["voice_speed"]["minimum"]
SPEED_MAX = _INPUT["voice_speed"]["maximum"]
_VOICES = {VoiceLanguage.EN: list(VoiceIdEn), VoiceLanguage.ZH: list(VoiceIdZh)}


#: Audio long enough for advanced lip-sync (3 s: the minimum crop fits in it).
LONG_AUDIO_SAMPLES = {
    path.suffix[1:]: base64.b64encode(path.read_bytes()).decode() for path in sorted(ASSETS.glob("line-3s.*"))
}


def register_schemathesis_formats() -> None:
    """Teach schemathesis what the spec's audio formats mean: real audio, not random base64.

    ``audio-base64`` (legacy ``audio_file``) and ``audio-base64-or-url`` (advanced ``sound_file``: 3 s of
    real audio, or an audio URL).
    """
    schemathesis.openapi.format("audio-base64", st.sampled_from(sorted(AUDIO_SAMPLES.values())))
    schemathesis.openapi.format(
        "audio-base64-or-url", st.one_of(st.sampled_from(sorted(LONG_AUDIO_SAMPLES.values())), audio_urls)
    )


hosts = st.sampled_from(["example.com", "cdn.example.org", "127.0.0.1:9000", "media.kling.test"])
url_paths = st.lists(st.from_regex(r"\A[A-Za-z0-9_-]{1,12}\Z"), min_size=0, max_size=3).map("/".join)


def media_urls(extensions: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda scheme, host, path, name, ext: f"{scheme}://{host}/{path + '/' if path else ''}{name}.{ext}",
        st.sampled_from(["http", "https"]),
        hosts,
        url_paths,
        st.from_regex(r"\A[A-Za-z0-9_-]{1,16}\Z"),
        st.sampled_from(extensions),
    )


video_urls = media_urls(["mp4", "mov", "MP4", "MOV"])
audio_urls = media_urls(["mp3", "wav", "m4a", "aac"])
video_ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=TEXT_MIN, max_size=TEXT_MAX
)
speeds = st.floats(min_value=SPEED_MIN, max_value=SPEED_MAX, allow_nan=False).map(lambda x: round(x, 1))


@st.composite
def video_choice(draw: st.DrawFn) -> dict[str, Any]:
    return {"video_url": draw(video_urls)} if draw(st.booleans()) else {"video_id": draw(video_ids)}


@st.composite
def text2video_inputs(draw: st.DrawFn) -> LipSyncInput:
    language = draw(st.sampled_from([None, VoiceLanguage.EN, VoiceLanguage.ZH]))
    voice = draw(st.sampled_from(_VOICES[language or VoiceLanguage.ZH]))
    fields: dict[str, Any] = {"mode": LipSyncMode.TEXT2VIDEO, "text": draw(texts), "voice_id": voice.value}
    if language is not None:
        fields["voice_language"] = language
    if draw(st.booleans()):
        fields["voice_speed"] = draw(speeds)
    return LipSyncInput(**fields, **draw(video_choice()))


@st.composite
def audio2video_inputs(draw: st.DrawFn) -> LipSyncInput:
    if draw(st.booleans()):
        audio = {"audio_type": AudioType.FILE, "audio_file": draw(st.sampled_from(sorted(AUDIO_SAMPLES.values())))}
    else:
        audio = {"audio_type": AudioType.URL, "audio_url": draw(audio_urls)}
    return LipSyncInput(mode=LipSyncMode.AUDIO2VIDEO, **audio, **draw(video_choice()))


def create_requests(mode: LipSyncMode | None = None, callback_url: str | None = None) -> st.SearchStrategy[Any]:
    """Valid ``LipSyncCreateRequest`` models (optionally of one mode, with a callback)."""
    inputs = {
        LipSyncMode.TEXT2VIDEO: text2video_inputs(),
        LipSyncMode.AUDIO2VIDEO: audio2video_inputs(),
    }
    chosen = inputs[mode] if mode is not None else st.one_of(*inputs.values())
    if callback_url is None:
        return chosen.map(lambda data: LipSyncCreateRequest(input_=data))
    return chosen.map(lambda data: LipSyncCreateRequest(input_=data, callback_url=callback_url))
