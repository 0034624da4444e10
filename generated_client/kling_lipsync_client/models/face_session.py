from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.balance_deduction import BalanceDeduction
    from ..models.face import Face


T = TypeVar("T", bound="FaceSession")


@_attrs_define
class FaceSession:
    """A session over one video, with the faces found in it; an empty `face_data` means no usable face."""

    session_id: str
    """ Names this video and its faces in `create_advanced_lip_sync_task`; valid for 24 hours. """
    face_data: list[Face]
    final_unit_deduction: str | Unset = UNSET
    """ Units deducted for this call. """
    final_balance_deduction: BalanceDeduction | Unset = UNSET
    """ What the call cost the account (Chinese documentation only). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        session_id = self.session_id

        face_data = []
        for face_data_item_data in self.face_data:
            face_data_item = face_data_item_data.to_dict()
            face_data.append(face_data_item)

        final_unit_deduction = self.final_unit_deduction

        final_balance_deduction: dict[str, Any] | Unset = UNSET
        if not isinstance(self.final_balance_deduction, Unset):
            final_balance_deduction = self.final_balance_deduction.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "session_id": session_id,
                "face_data": face_data,
            }
        )
        if final_unit_deduction is not UNSET:
            field_dict["final_unit_deduction"] = final_unit_deduction
        if final_balance_deduction is not UNSET:
            field_dict["final_balance_deduction"] = final_balance_deduction

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.balance_deduction import BalanceDeduction  # noqa: PLC0415
        from ..models.face import Face  # noqa: PLC0415

        d = dict(src_dict)
        session_id = d.pop("session_id")

        face_data = []
        _face_data = d.pop("face_data")
        for face_data_item_data in _face_data:
            face_data_item = Face.from_dict(face_data_item_data)

            face_data.append(face_data_item)

        final_unit_deduction = d.pop("final_unit_deduction", UNSET)

        _final_balance_deduction = d.pop("final_balance_deduction", UNSET)
        final_balance_deduction: BalanceDeduction | Unset
        if isinstance(_final_balance_deduction, Unset):
            final_balance_deduction = UNSET
        else:
            final_balance_deduction = BalanceDeduction.from_dict(_final_balance_deduction)

        face_session = cls(
            session_id=session_id,
            face_data=face_data,
            final_unit_deduction=final_unit_deduction,
            final_balance_deduction=final_balance_deduction,
        )

        face_session.additional_properties = d
        return face_session

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
