from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audio_type import AudioType
from ..models.lip_sync_mode import LipSyncMode
from ..models.voice_language import VoiceLanguage
from ..types import UNSET, Unset

T = TypeVar("T", bound="LipSyncInput")


@_attrs_define
class LipSyncInput:
    """What to lip-sync. Requirements depend on `mode`:

    * always exactly one of `video_id` and `video_url`;
    * `text2video`: `text` and `voice_id` (a voice of the chosen `voice_language`, `zh` when omitted);
    * `audio2video`: `audio_type`, then `audio_file` (for `file`) or `audio_url` (for `url`).

    Fields that the chosen mode does not use are ignored.

    """

    mode: LipSyncMode
    """ `text2video`: speak `text` with a voice; `audio2video`: follow the given audio. """
    video_id: str | Unset = UNSET
    """ Id of a video Kling generated (on the same account, within 30 days, 5-10 s long). Either this or
    `video_url`.
     """
    video_url: str | Unset = UNSET
    """ Public http(s) URL of an `.mp4` or `.mov` video (at most 100 MB, 2-10 s, 720p or 1080p, sides of
    720-1920 px). Either this or `video_id`.
     """
    task_id: str | Unset = UNSET
    """ DMXAPI only: the id of the task that produced `video_id`, so the proxy sends this request to the
    same upstream account. Ignored by Kling.
     """
    text: str | Unset = UNSET
    """ The text to speak (`text2video`), at most 120 characters. """
    voice_id: str | Unset = UNSET
    """ A voice of `voice_language` (`text2video`); see `VoiceIdZh` and `VoiceIdEn`. """
    voice_language: VoiceLanguage | Unset = UNSET
    """ Language of the voice. """
    voice_speed: float | Unset = 1.0
    """ Speaking speed (`text2video`), 0.8 to 2.0; the service keeps one decimal. """
    audio_type: AudioType | Unset = UNSET
    """ How the audio is sent. """
    audio_file: str | Unset = UNSET
    """ The audio (`audio2video` with `audio_type: file`) as raw base64, no `data:` prefix: MP3, WAV, M4A
    or AAC, at most 5 MiB decoded.
     """
    audio_url: str | Unset = UNSET
    """ Public http(s) URL of the audio (`audio2video` with `audio_type: url`): `.mp3`, `.wav`, `.m4a` or
    `.aac`, at most 5 MiB.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        mode = self.mode.value

        video_id = self.video_id

        video_url = self.video_url

        task_id = self.task_id

        text = self.text

        voice_id = self.voice_id

        voice_language: str | Unset = UNSET
        if not isinstance(self.voice_language, Unset):
            voice_language = self.voice_language.value

        voice_speed = self.voice_speed

        audio_type: str | Unset = UNSET
        if not isinstance(self.audio_type, Unset):
            audio_type = self.audio_type.value

        audio_file = self.audio_file

        audio_url = self.audio_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "mode": mode,
            }
        )
        if video_id is not UNSET:
            field_dict["video_id"] = video_id
        if video_url is not UNSET:
            field_dict["video_url"] = video_url
        if task_id is not UNSET:
            field_dict["task_id"] = task_id
        if text is not UNSET:
            field_dict["text"] = text
        if voice_id is not UNSET:
            field_dict["voice_id"] = voice_id
        if voice_language is not UNSET:
            field_dict["voice_language"] = voice_language
        if voice_speed is not UNSET:
            field_dict["voice_speed"] = voice_speed
        if audio_type is not UNSET:
            field_dict["audio_type"] = audio_type
        if audio_file is not UNSET:
            field_dict["audio_file"] = audio_file
        if audio_url is not UNSET:
            field_dict["audio_url"] = audio_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        mode = LipSyncMode(d.pop("mode"))

        video_id = d.pop("video_id", UNSET)

        video_url = d.pop("video_url", UNSET)

        task_id = d.pop("task_id", UNSET)

        text = d.pop("text", UNSET)

        voice_id = d.pop("voice_id", UNSET)

        _voice_language = d.pop("voice_language", UNSET)
        voice_language: VoiceLanguage | Unset
        if isinstance(_voice_language, Unset):
            voice_language = UNSET
        else:
            voice_language = VoiceLanguage(_voice_language)

        voice_speed = d.pop("voice_speed", UNSET)

        _audio_type = d.pop("audio_type", UNSET)
        audio_type: AudioType | Unset
        if isinstance(_audio_type, Unset):
            audio_type = UNSET
        else:
            audio_type = AudioType(_audio_type)

        audio_file = d.pop("audio_file", UNSET)

        audio_url = d.pop("audio_url", UNSET)

        lip_sync_input = cls(
            mode=mode,
            video_id=video_id,
            video_url=video_url,
            task_id=task_id,
            text=text,
            voice_id=voice_id,
            voice_language=voice_language,
            voice_speed=voice_speed,
            audio_type=audio_type,
            audio_file=audio_file,
            audio_url=audio_url,
        )

        lip_sync_input.additional_properties = d
        return lip_sync_input

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
