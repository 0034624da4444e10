from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tts_audio import TtsAudio


T = TypeVar("T", bound="TtsResult")


@_attrs_define
class TtsResult:
    """The speech; `audios` holds one audio when the call succeeded and none when it failed."""

    audios: list[TtsAudio]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audios = []
        for audios_item_data in self.audios:
            audios_item = audios_item_data.to_dict()
            audios.append(audios_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "audios": audios,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tts_audio import TtsAudio  # noqa: PLC0415

        d = dict(src_dict)
        audios = []
        _audios = d.pop("audios")
        for audios_item_data in _audios:
            audios_item = TtsAudio.from_dict(audios_item_data)

            audios.append(audios_item)

        tts_result = cls(
            audios=audios,
        )

        tts_result.additional_properties = d
        return tts_result

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
