from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TtsAudio")


@_attrs_define
class TtsAudio:
    """A spoken text."""

    id: str
    """ The audio's id, unique: `face_choose[].audio_id` of advanced lip-sync takes it for 30 days.
     """
    url: str
    """ Download URL of the MP3. Kling clears it after 30 days. """
    duration: str
    """ How long the audio lasts, in seconds with three decimals (`3.276`). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        url = self.url

        duration = self.duration

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "duration": duration,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        duration = d.pop("duration")

        tts_audio = cls(
            id=id,
            url=url,
            duration=duration,
        )

        tts_audio.additional_properties = d
        return tts_audio

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
