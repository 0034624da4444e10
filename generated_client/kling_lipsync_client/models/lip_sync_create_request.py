from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.lip_sync_input import LipSyncInput


T = TypeVar("T", bound="LipSyncCreateRequest")


@_attrs_define
class LipSyncCreateRequest:
    """Body of a create request."""

    input_: LipSyncInput
    """ What to lip-sync. Requirements depend on `mode`:

    * always exactly one of `video_id` and `video_url`;
    * `text2video`: `text` and `voice_id` (a voice of the chosen `voice_language`, `zh` when omitted);
    * `audio2video`: `audio_type`, then `audio_file` (for `file`) or `audio_url` (for `url`).

    Fields that the chosen mode does not use are ignored.
     """
    callback_url: str | Unset = UNSET
    """ Where the service POSTs the task on each status change (see the `taskStatusChanged` callback). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        input_ = self.input_.to_dict()

        callback_url = self.callback_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "input": input_,
            }
        )
        if callback_url is not UNSET:
            field_dict["callback_url"] = callback_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.lip_sync_input import LipSyncInput  # noqa: PLC0415

        d = dict(src_dict)
        input_ = LipSyncInput.from_dict(d.pop("input"))

        callback_url = d.pop("callback_url", UNSET)

        lip_sync_create_request = cls(
            input_=input_,
            callback_url=callback_url,
        )

        lip_sync_create_request.additional_properties = d
        return lip_sync_create_request

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
