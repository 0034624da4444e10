from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.task_status import TaskStatus

if TYPE_CHECKING:
    from ..models.advanced_task_created_info import AdvancedTaskCreatedInfo


T = TypeVar("T", bound="AdvancedLipSyncTaskCreated")


@_attrs_define
class AdvancedLipSyncTaskCreated:
    """The new task, as the create call answers it."""

    task_id: str
    """ The task's id, unique. """
    task_info: AdvancedTaskCreatedInfo
    """ The create answer's `task_info`. """
    task_status: str | TaskStatus
    """ A known `TaskStatus`, or a status this document does not know yet (kept as a plain string). """
    created_at: int
    """ Unix time in milliseconds. """
    updated_at: int
    """ Unix time in milliseconds. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        task_id = self.task_id

        task_info = self.task_info.to_dict()

        task_status: str
        if isinstance(self.task_status, TaskStatus):
            task_status = self.task_status.value
        else:
            task_status = self.task_status

        created_at = self.created_at

        updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "task_info": task_info,
                "task_status": task_status,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.advanced_task_created_info import AdvancedTaskCreatedInfo  # noqa: PLC0415

        d = dict(src_dict)
        task_id = d.pop("task_id")

        task_info = AdvancedTaskCreatedInfo.from_dict(d.pop("task_info"))

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

        created_at = d.pop("created_at")

        updated_at = d.pop("updated_at")

        advanced_lip_sync_task_created = cls(
            task_id=task_id,
            task_info=task_info,
            task_status=task_status,
            created_at=created_at,
            updated_at=updated_at,
        )

        advanced_lip_sync_task_created.additional_properties = d
        return advanced_lip_sync_task_created

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
