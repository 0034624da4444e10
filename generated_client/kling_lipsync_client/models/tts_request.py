from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.voice_language import VoiceLanguage
from ..types import UNSET, Unset

T = TypeVar("T", bound="TtsRequest")


@_attrs_define
class TtsRequest:
    """Body of a text-to-speech call: a text, and a voice of the voice table (the pair `voice_id`,
    `voice_language` picks it, as for legacy `text2video`).

    """

    text: str
    """ The text to speak: 1 to 1000 characters, counted as Unicode code points (a Chinese character is one,
    a character outside the BMP such as an emoji is one). Kling also moderates it (1301).
     """
    voice_id: str
    """ A voice of `voice_language`; see `VoiceIdZh` and `VoiceIdEn`. """
    voice_language: VoiceLanguage | Unset = UNSET
    """ Language of the voice. """
    voice_speed: float | Unset = 1.0
    """ Speaking speed, 0.8 to 2.0 as sent (outside: 1201); extra decimals are rounded half up to one (1.25
    speaks at 1.3).
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        voice_id = self.voice_id

        voice_language: str | Unset = UNSET
        if not isinstance(self.voice_language, Unset):
            voice_language = self.voice_language.value

        voice_speed = self.voice_speed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "text": text,
                "voice_id": voice_id,
            }
        )
        if voice_language is not UNSET:
            field_dict["voice_language"] = voice_language
        if voice_speed is not UNSET:
            field_dict["voice_speed"] = voice_speed

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        text = d.pop("text")

        voice_id = d.pop("voice_id")

        _voice_language = d.pop("voice_language", UNSET)
        voice_language: VoiceLanguage | Unset
        if isinstance(_voice_language, Unset):
            voice_language = UNSET
        else:
            voice_language = VoiceLanguage(_voice_language)

        voice_speed = d.pop("voice_speed", UNSET)

        tts_request = cls(
            text=text,
            voice_id=voice_id,
            voice_language=voice_language,
            voice_speed=voice_speed,
        )

        tts_request.additional_properties = d
        return tts_request

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
