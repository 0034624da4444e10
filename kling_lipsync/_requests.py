"""The bodies of the client's requests, as the generated models: each checks what it can before sending."""

from __future__ import annotations

import base64
import os
from typing import Any

from kling_lipsync.audio import read_audio_file
from kling_lipsync.voices import voice_language_for
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AudioType,
    FaceChoice,
    IdentifyFaceRequest,
    LipSyncCreateRequest,
    LipSyncInput,
    LipSyncMode,
    TtsRequest,
    VoiceLanguage,
    WatermarkInfo,
)
from kling_lipsync_client.types import UNSET

__all__ = [
    "advanced_request",
    "audio_file_base64",
    "audio_request",
    "identify_request",
    "planned_speech",
    "speech_request",
    "text_request",
]


def _request(
    mode: LipSyncMode,
    video_id: str | None,
    video_url: str | None,
    callback_url: str | None,
    routing_task_id: str | None,
    **fields: Any,
) -> LipSyncCreateRequest:
    """The body of a create of either mode: exactly one video, and the mode's ``fields`` that were given."""
    if (video_id is None) == (video_url is None):
        raise ValueError("give exactly one of video_id and video_url")
    given = {key: value for key, value in fields.items() if value is not None}
    data = LipSyncInput(
        mode=mode,
        video_id=UNSET if video_id is None else video_id,
        video_url=UNSET if video_url is None else video_url,
        task_id=UNSET if routing_task_id is None else routing_task_id,
        **given,
    )
    if callback_url is None:
        return LipSyncCreateRequest(input_=data)
    return LipSyncCreateRequest(input_=data, callback_url=callback_url)


def text_request(
    text: str,
    voice_id: str,
    video_id: str | None,
    video_url: str | None,
    voice_language: str | VoiceLanguage | None,
    voice_speed: float | None,
    callback_url: str | None,
    routing_task_id: str | None,
) -> LipSyncCreateRequest:
    """The body of a ``text2video`` create; with no ``voice_language``, the only language that has the voice
    (``voice_language_for``: none when several have it, and the service's default picks).

    :raise VoiceError: (a ``ValueError``) no language given, and the spec has no such voice.
    """
    if voice_language is None:
        voice_language = voice_language_for(voice_id)
    language = VoiceLanguage(voice_language) if voice_language is not None else None
    return _request(
        LipSyncMode.TEXT2VIDEO,
        video_id,
        video_url,
        callback_url,
        routing_task_id,
        text=text,
        voice_id=voice_id,
        voice_language=language,
        voice_speed=voice_speed,
    )


def speech_request(
    text: str, voice_id: str, voice_language: str | VoiceLanguage | None, voice_speed: float | None
) -> TtsRequest:
    """The body of a text-to-speech call; the language chosen as ``text_request`` chooses it.

    :raise VoiceError: (a ``ValueError``) no language given, and the spec has no such voice.
    """
    if voice_language is None:
        voice_language = voice_language_for(voice_id)
    return TtsRequest(
        text=text,
        voice_id=voice_id,
        voice_language=UNSET if voice_language is None else VoiceLanguage(voice_language),
        voice_speed=UNSET if voice_speed is None else voice_speed,
    )


def planned_speech(
    text: str | None, voice_id: str | None, voice_language: str | VoiceLanguage | None, voice_speed: float | None
) -> TtsRequest | None:
    """The text-to-speech call a planned task starts with, when it starts from a text."""
    if text is None:
        if voice_id is not None or voice_language is not None or voice_speed is not None:
            raise ValueError("voice_id, voice_language and voice_speed speak a text: give text too")
        return None
    if voice_id is None:
        raise ValueError("give voice_id with text: the voice that speaks it")
    return speech_request(text, voice_id, voice_language, voice_speed)


def audio_request(
    audio_url: str | None,
    audio_path: str | os.PathLike[str] | None,
    video_id: str | None,
    video_url: str | None,
    callback_url: str | None,
    routing_task_id: str | None,
) -> LipSyncCreateRequest:
    """The body of an ``audio2video`` create; a local file is checked and encoded first."""
    if (audio_url is None) == (audio_path is None):
        raise ValueError("give exactly one of audio_url and audio_path")
    if audio_path is not None:
        audio = {"audio_type": AudioType.FILE, "audio_file": audio_file_base64(audio_path)}
    else:
        audio = {"audio_type": AudioType.URL, "audio_url": str(audio_url)}
    return _request(LipSyncMode.AUDIO2VIDEO, video_id, video_url, callback_url, routing_task_id, **audio)


def audio_file_base64(path: str | os.PathLike[str]) -> str:
    """Read, check (readable, format, size) and encode a local audio file; ``AudioFileError`` if unusable."""
    return base64.b64encode(read_audio_file(path)).decode()


def identify_request(video_url: str | None, video_id: str | None) -> IdentifyFaceRequest:
    """The body of an identify-face call: exactly one video."""
    if (video_id is None) == (video_url is None):
        raise ValueError("give exactly one of video_id and video_url")
    return IdentifyFaceRequest(
        video_id=UNSET if video_id is None else video_id, video_url=UNSET if video_url is None else video_url
    )


def advanced_request(
    session_id: str,
    face_id: str,
    *,
    audio_id: str | None,
    sound_file: str | None,
    audio_path: str | os.PathLike[str] | None,
    sound_start_time: int,
    sound_end_time: int,
    sound_insert_time: int,
    sound_volume: float | None,
    original_audio_volume: float | None,
    watermark: bool | None,
    external_task_id: str | None,
    callback_url: str | None,
) -> AdvancedLipSyncCreateRequest:
    """The body of an advanced lip-sync create; a local ``audio_path`` is checked and sent as base64."""
    sources = {"audio_id": audio_id, "sound_file": sound_file, "audio_path": audio_path}
    given = [name for name, value in sources.items() if value is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of audio_id, sound_file and audio_path, not {' and '.join(given) or 'none'}"
        )
    if audio_path is not None:
        sound_file = audio_file_base64(audio_path)
    choice = FaceChoice(
        face_id=face_id,
        sound_start_time=sound_start_time,
        sound_end_time=sound_end_time,
        sound_insert_time=sound_insert_time,
        audio_id=UNSET if audio_id is None else audio_id,
        sound_file=UNSET if sound_file is None else sound_file,
        sound_volume=UNSET if sound_volume is None else sound_volume,
        original_audio_volume=UNSET if original_audio_volume is None else original_audio_volume,
    )
    return AdvancedLipSyncCreateRequest(
        session_id=session_id,
        face_choose=[choice],
        watermark_info=UNSET if watermark is None else WatermarkInfo(enabled=watermark),
        external_task_id=UNSET if external_task_id is None else external_task_id,
        callback_url=UNSET if callback_url is None else callback_url,
    )
