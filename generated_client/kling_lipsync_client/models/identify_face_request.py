from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="IdentifyFaceRequest")


@_attrs_define
class IdentifyFaceRequest:
    """The video whose faces to find: exactly one of `video_id` and `video_url`. An empty string counts as
    absent, as in Kling's own example (`"video_id": ""` beside a URL).

    """

    video_id: str | Unset = UNSET
    """ Id of a video Kling generated (within 30 days, at most 60 s long). Either this or `video_url`.
     """
    video_url: str | Unset = UNSET
    """ Public http(s) URL of an `.mp4` or `.mov` video: at most 100 MB, 2-60 s, 720p or 1080p, each side
    512-2160 px. Either this or `video_id`.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        video_id = self.video_id

        video_url = self.video_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if video_id is not UNSET:
            field_dict["video_id"] = video_id
        if video_url is not UNSET:
            field_dict["video_url"] = video_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        video_id = d.pop("video_id", UNSET)

        video_url = d.pop("video_url", UNSET)

        identify_face_request = cls(
            video_id=video_id,
            video_url=video_url,
        )

        identify_face_request.additional_properties = d
        return identify_face_request

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
