from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.tts_task import TtsTask


T = TypeVar("T", bound="TtsResponse")


@_attrs_define
class TtsResponse:
    """Answer of a text-to-speech call."""

    code: Literal[0]
    """ 0 on success. """
    message: str
    request_id: str
    """ Id of this request, for tracing (a UUID on the new system, 22 characters on older ones). """
    data: TtsTask
    """ A text-to-speech call's task, finished when answered (no query, no callback). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        request_id = self.request_id

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
                "request_id": request_id,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.tts_task import TtsTask  # noqa: PLC0415

        d = dict(src_dict)
        code = cast(Literal[0], d.pop("code"))
        if code != 0:
            raise ValueError(f"code must match const 0, got '{code}'")

        message = d.pop("message")

        request_id = d.pop("request_id")

        data = TtsTask.from_dict(d.pop("data"))

        tts_response = cls(
            code=code,
            message=message,
            request_id=request_id,
            data=data,
        )

        tts_response.additional_properties = d
        return tts_response

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
