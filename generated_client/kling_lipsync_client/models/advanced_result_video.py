from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="AdvancedResultVideo")


@_attrs_define
class AdvancedResultVideo:
    """A lip-synced video."""

    id: str
    """ Id of the result, globally unique. """
    url: str
    """ Download URL of the MP4. Kling clears URLs after 30 days. """
    duration: str
    """ A duration in seconds, as a decimal string (for example `5.0`). """
    watermark_url: str | Unset = UNSET
    """ Download URL of the watermarked copy; empty when `watermark_info.enabled` was not true. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        url = self.url

        duration = self.duration

        watermark_url = self.watermark_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "url": url,
                "duration": duration,
            }
        )
        if watermark_url is not UNSET:
            field_dict["watermark_url"] = watermark_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        url = d.pop("url")

        duration = d.pop("duration")

        watermark_url = d.pop("watermark_url", UNSET)

        advanced_result_video = cls(
            id=id,
            url=url,
            duration=duration,
            watermark_url=watermark_url,
        )

        advanced_result_video.additional_properties = d
        return advanced_result_video

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
