from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.face_choice import FaceChoice
    from ..models.watermark_info import WatermarkInfo


T = TypeVar("T", bound="AdvancedLipSyncCreateRequest")


@_attrs_define
class AdvancedLipSyncCreateRequest:
    """Body of an advanced lip-sync create."""

    session_id: str
    """ A session from `identify_faces`, of this account, not expired. """
    face_choose: list[FaceChoice]
    """ The face to lip-sync; one for now ("暂时仅支持指定单人对口型"). """
    watermark_info: WatermarkInfo | Unset = UNSET
    """ Whether to make a watermarked copy of the result too (`watermark_url`); custom marks are not supported. """
    external_task_id: str | Unset = UNSET
    """ Your own id for the task, unique for the account; the task can be queried by it too. An empty
    string counts as absent.
     """
    callback_url: str | Unset = UNSET
    """ Where the service POSTs the task on each status change (see the `advancedTaskStatusChanged`
    callback). An empty string counts as absent.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        session_id = self.session_id

        face_choose = []
        for face_choose_item_data in self.face_choose:
            face_choose_item = face_choose_item_data.to_dict()
            face_choose.append(face_choose_item)

        watermark_info: dict[str, Any] | Unset = UNSET
        if not isinstance(self.watermark_info, Unset):
            watermark_info = self.watermark_info.to_dict()

        external_task_id = self.external_task_id

        callback_url = self.callback_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "session_id": session_id,
                "face_choose": face_choose,
            }
        )
        if watermark_info is not UNSET:
            field_dict["watermark_info"] = watermark_info
        if external_task_id is not UNSET:
            field_dict["external_task_id"] = external_task_id
        if callback_url is not UNSET:
            field_dict["callback_url"] = callback_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.face_choice import FaceChoice  # noqa: PLC0415
        from ..models.watermark_info import WatermarkInfo  # noqa: PLC0415

        d = dict(src_dict)
        session_id = d.pop("session_id")

        face_choose = []
        _face_choose = d.pop("face_choose")
        for face_choose_item_data in _face_choose:
            face_choose_item = FaceChoice.from_dict(face_choose_item_data)

            face_choose.append(face_choose_item)

        _watermark_info = d.pop("watermark_info", UNSET)
        watermark_info: WatermarkInfo | Unset
        if isinstance(_watermark_info, Unset):
            watermark_info = UNSET
        else:
            watermark_info = WatermarkInfo.from_dict(_watermark_info)

        external_task_id = d.pop("external_task_id", UNSET)

        callback_url = d.pop("callback_url", UNSET)

        advanced_lip_sync_create_request = cls(
            session_id=session_id,
            face_choose=face_choose,
            watermark_info=watermark_info,
            external_task_id=external_task_id,
            callback_url=callback_url,
        )

        advanced_lip_sync_create_request.additional_properties = d
        return advanced_lip_sync_create_request

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
