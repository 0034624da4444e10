from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="FaceChoice")


@_attrs_define
class FaceChoice:
    """Which face speaks which audio, and when. The audio is cropped to `[sound_start_time, sound_end_time]`
    (ms of the audio) and inserted at `sound_insert_time` (ms of the video). Rules beyond the schema
    (each a 400 / 1201 naming the numbers): the cropped audio lasts at least `x-kling-min-crop-ms` and
    ends within the audio; the inserted window lies inside the video; it overlaps the face's window by at
    least `x-kling-min-face-overlap-ms`.

    """

    face_id: str
    """ A `face_id` of the session's `face_data`. """
    sound_start_time: int
    """ A time in integer milliseconds. Audio and video last at most 60 s, so no valid time is larger.
     """
    sound_end_time: int
    """ A time in integer milliseconds. Audio and video last at most 60 s, so no valid time is larger.
     """
    sound_insert_time: int
    """ A time in integer milliseconds. Audio and video last at most 60 s, so no valid time is larger.
     """
    audio_id: str | Unset = UNSET
    """ Id of audio made by Kling's text-to-speech (`text_to_speech`: `task_result.audios[].id`) for this
    account within `x-kling-audio-ttl-ms` (30 days), lasting 2-60 s. Either this or `sound_file`.
     """
    sound_file: str | Unset = UNSET
    """ The audio, as raw base64 (no `data:` prefix) or a public http(s) URL ending in `.mp3`, `.wav`,
    `.m4a` or `.aac`: at most 5 MiB, 2-60 s. Either this or `audio_id`.
     """
    sound_volume: float | Unset = UNSET
    """ A volume factor from 0 (silent) to 2; 1 keeps the volume as it is. """
    original_audio_volume: float | Unset = UNSET
    """ A volume factor from 0 (silent) to 2; 1 keeps the volume as it is. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        face_id = self.face_id

        sound_start_time = self.sound_start_time

        sound_end_time = self.sound_end_time

        sound_insert_time = self.sound_insert_time

        audio_id = self.audio_id

        sound_file = self.sound_file

        sound_volume = self.sound_volume

        original_audio_volume = self.original_audio_volume

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "face_id": face_id,
                "sound_start_time": sound_start_time,
                "sound_end_time": sound_end_time,
                "sound_insert_time": sound_insert_time,
            }
        )
        if audio_id is not UNSET:
            field_dict["audio_id"] = audio_id
        if sound_file is not UNSET:
            field_dict["sound_file"] = sound_file
        if sound_volume is not UNSET:
            field_dict["sound_volume"] = sound_volume
        if original_audio_volume is not UNSET:
            field_dict["original_audio_volume"] = original_audio_volume

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        face_id = d.pop("face_id")

        sound_start_time = d.pop("sound_start_time")

        sound_end_time = d.pop("sound_end_time")

        sound_insert_time = d.pop("sound_insert_time")

        audio_id = d.pop("audio_id", UNSET)

        sound_file = d.pop("sound_file", UNSET)

        sound_volume = d.pop("sound_volume", UNSET)

        original_audio_volume = d.pop("original_audio_volume", UNSET)

        face_choice = cls(
            face_id=face_id,
            sound_start_time=sound_start_time,
            sound_end_time=sound_end_time,
            sound_insert_time=sound_insert_time,
            audio_id=audio_id,
            sound_file=sound_file,
            sound_volume=sound_volume,
            original_audio_volume=original_audio_volume,
        )

        face_choice.additional_properties = d
        return face_choice

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
