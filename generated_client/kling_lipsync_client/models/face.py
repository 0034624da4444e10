from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Face")


@_attrs_define
class Face:
    """A face found in the video and the window (ms from the video's start) in which it can be lip-synced.
    The same person seen again after more than 1 s counts as another face. `end_time` may run a few
    milliseconds past the true end.

    """

    face_id: str
    """ The face's id in this session (`"0"`, `"1"` ...); what `face_choose[].face_id` names. """
    face_image: str
    """ URL of a still of the face, cut from the video. """
    start_time: int
    """ Start of the face's window, ms from the video's start (the best time to insert audio). """
    end_time: int
    """ End of the face's window, ms from the video's start. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        face_id = self.face_id

        face_image = self.face_image

        start_time = self.start_time

        end_time = self.end_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "face_id": face_id,
                "face_image": face_image,
                "start_time": start_time,
                "end_time": end_time,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        face_id = d.pop("face_id")

        face_image = d.pop("face_image")

        start_time = d.pop("start_time")

        end_time = d.pop("end_time")

        face = cls(
            face_id=face_id,
            face_image=face_image,
            start_time=start_time,
            end_time=end_time,
        )

        face.additional_properties = d
        return face

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
