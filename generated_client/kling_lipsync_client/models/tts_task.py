from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status import TaskStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.balance_deduction import BalanceDeduction
    from ..models.tts_result import TtsResult


T = TypeVar("T", bound="TtsTask")


@_attrs_define
class TtsTask:
    """A text-to-speech call's task, finished when answered (no query, no callback)."""

    task_id: str
    """ The call's id (not the audio's id, which advanced lip-sync takes). """
    task_status: str | TaskStatus
    """ A known `TaskStatus`, or a status this document does not know yet (kept as a plain string). """
    task_status_msg: str
    """ Why the call failed (empty otherwise), e.g. the content policy. """
    task_result: TtsResult
    """ The speech; `audios` holds one audio when the call succeeded and none when it failed. """
    created_at: int
    """ Unix time in milliseconds. """
    updated_at: int
    """ Unix time in milliseconds. """
    final_unit_deduction: str | Unset = UNSET
    """ Units deducted for this call. """
    final_balance_deduction: BalanceDeduction | Unset = UNSET
    """ What the call cost the account (Chinese documentation only). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        task_id = self.task_id

        task_status: str
        if isinstance(self.task_status, TaskStatus):
            task_status = self.task_status.value
        else:
            task_status = self.task_status

        task_status_msg = self.task_status_msg

        task_result = self.task_result.to_dict()

        created_at = self.created_at

        updated_at = self.updated_at

        final_unit_deduction = self.final_unit_deduction

        final_balance_deduction: dict[str, Any] | Unset = UNSET
        if not isinstance(self.final_balance_deduction, Unset):
            final_balance_deduction = self.final_balance_deduction.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "task_status": task_status,
                "task_status_msg": task_status_msg,
                "task_result": task_result,
                "created_at": created_at,
                "updated_at": updated_at,
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
        from ..models.tts_result import TtsResult  # noqa: PLC0415

        d = dict(src_dict)
        task_id = d.pop("task_id")

        def _parse_task_status(data: object) -> str | TaskStatus:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_task_status_value_type_0 = TaskStatus(data)

                return componentsschemas_task_status_value_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(str | TaskStatus, data)

        task_status = _parse_task_status(d.pop("task_status"))

        task_status_msg = d.pop("task_status_msg")

        task_result = TtsResult.from_dict(d.pop("task_result"))

        created_at = d.pop("created_at")

        updated_at = d.pop("updated_at")

        final_unit_deduction = d.pop("final_unit_deduction", UNSET)

        _final_balance_deduction = d.pop("final_balance_deduction", UNSET)
        final_balance_deduction: BalanceDeduction | Unset
        if isinstance(_final_balance_deduction, Unset):
            final_balance_deduction = UNSET
        else:
            final_balance_deduction = BalanceDeduction.from_dict(_final_balance_deduction)

        tts_task = cls(
            task_id=task_id,
            task_status=task_status,
            task_status_msg=task_status_msg,
            task_result=task_result,
            created_at=created_at,
            updated_at=updated_at,
            final_unit_deduction=final_unit_deduction,
            final_balance_deduction=final_balance_deduction,
        )

        tts_task.additional_properties = d
        return tts_task

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
