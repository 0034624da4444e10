"""Choosing the face and the times of an advanced lip-sync task, as one pure function: ``plan_advanced``.

Kling refuses a ``face_choose`` entry whose times break a rule JSON Schema cannot say (the cropped audio is
long enough and within the audio, the inserted window lies inside the video and overlaps the face long
enough). The planner picks times that keep every rule, or says in a ``PlanError`` why none exist; its last
step is the very check the mock applies (``kling_spec.timing.broken_timing_rule``), so they cannot disagree.

identify-face does not say how long the video is. Without ``video_ms`` the inserted audio is kept to end
``guard_ms`` before the chosen face's ``end_time``, which Kling says may run a few milliseconds past the
true end (and so past the video's end when the face is seen until the last frame).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from kling_spec.timing import TimingRules, Window, broken_audio_rule, broken_timing_rule, timing_rules

__all__ = ["DEFAULT_GUARD_MS", "FaceLike", "Plan", "PlanError", "PlanTimes", "check_audio", "plan_advanced"]

#: How far before a face's reported end the inserted audio ends when the video's length is unknown.
DEFAULT_GUARD_MS = 50


class FaceLike(Protocol):
    """What the planner reads of a face: the generated ``Face`` model has it."""

    @property
    def face_id(self) -> str: ...

    @property
    def start_time(self) -> int: ...

    @property
    def end_time(self) -> int: ...


class PlanTimes(TypedDict):
    """A plan's times, as ``create_advanced`` takes them: ``lip.create_advanced(..., **plan.times)``."""

    sound_start_time: int
    sound_end_time: int
    sound_insert_time: int


class PlanError(ValueError):
    """No face and times Kling would accept exist for the request; the message says why."""


@dataclass(frozen=True)
class Plan:
    """What to send in ``face_choose[0]``: the face, the crop of the audio and where it goes in the video.

    ``str(plan)`` is the choice in one line; ``why`` says how it was made, for a person reading a log.
    """

    face_id: str
    sound_start_time: int
    sound_end_time: int
    sound_insert_time: int
    why: str = ""

    @property
    def times(self) -> PlanTimes:
        """The three times, as keyword arguments of ``create_advanced``."""
        return PlanTimes(
            sound_start_time=self.sound_start_time,
            sound_end_time=self.sound_end_time,
            sound_insert_time=self.sound_insert_time,
        )

    @property
    def crop_ms(self) -> int:
        """How long the inserted audio lasts."""
        return self.sound_end_time - self.sound_start_time

    def __str__(self) -> str:
        return (
            f"face {self.face_id}: audio [{self.sound_start_time}, {self.sound_end_time}] ms "
            f"inserted at {self.sound_insert_time} ms"
        )


@dataclass(frozen=True)
class _Face:
    face_id: str
    window: Window


def _face_of(face: FaceLike | Mapping[str, Any]) -> _Face:
    if isinstance(face, Mapping):
        return _Face(str(face["face_id"]), Window(int(face["start_time"]), int(face["end_time"])))
    return _Face(str(face.face_id), Window(int(face.start_time), int(face.end_time)))


def plan_advanced(
    faces: Sequence[FaceLike | Mapping[str, Any]],
    audio_ms: int,
    *,
    face_id: str | None = None,
    insert_at: int | None = None,
    crop: tuple[int, int] | None = None,
    video_ms: int | None = None,
    guard_ms: int = DEFAULT_GUARD_MS,
    rules: TimingRules | None = None,
) -> Plan:
    """The face and times for lip-syncing ``audio_ms`` of audio onto one of ``faces`` (a session's ``face_data``).

    * **faces** - generated ``Face`` models or mappings with ``face_id``, ``start_time``, ``end_time``.
    * **audio_ms** - how long the whole audio lasts.
    * **face_id** - the face to lip-sync; by default the one visible longest (the earliest of equals).
    * **insert_at** - where the audio starts in the video (ms); by default where the face appears.
    * **crop** - ``(start, end)``: the part of the audio to use (ms); by default from its start for as long
      as the face stays visible (or the whole audio, if shorter).
    * **video_ms** - the video's length when known; otherwise the face's end less ``guard_ms`` bounds it.
    * **rules** - the timing rules (default: the shipped spec's).

    :raise PlanError: no face, an unknown face id, a face visible too briefly, audio too short or too long,
        or a given ``crop`` / ``insert_at`` that breaks a rule; the message names the numbers.
    """
    rules = rules or timing_rules()
    known = [_face_of(face) for face in faces]
    if not known:
        raise PlanError("no face was found in the video, so there is nothing to lip-sync")
    check_audio(audio_ms, rules)
    if guard_ms < 0:
        raise PlanError(f"guard_ms must not be negative, not {guard_ms}")

    def usable(face: _Face) -> Window:
        """The part of the face's window that the inserted audio may reach."""
        end = min(face.window.end_ms, video_ms) if video_ms is not None else face.window.end_ms - guard_ms
        return Window(face.window.start_ms, max(face.window.start_ms, end))

    def video_end(face: _Face) -> int:
        return video_ms if video_ms is not None else face.window.end_ms - guard_ms

    def bound_note(face: _Face) -> str:
        if video_ms is not None:
            return ""
        return (
            f" (the video's length is unknown, so its end is taken as face {face.face_id}'s end less "
            f"{guard_ms} ms: pass video_ms to use the real length)"
        )

    if face_id is not None:
        chosen = next((face for face in known if face.face_id == face_id), None)
        if chosen is None:
            names = ", ".join(face.face_id for face in known)
            raise PlanError(f"no face {face_id!r} in this session; its faces are {names}")
        how = "the face asked for"
    else:
        # max() keeps the first of equals, so sorting by start first makes the earliest win a tie.
        chosen = max(sorted(known, key=lambda face: face.window.start_ms), key=lambda face: usable(face).length_ms)
        how = f"visible longest of {len(known)}" if len(known) > 1 else "the only face"
    reach = usable(chosen)
    if reach.length_ms < rules.min_face_overlap_ms:
        subject = f"face {chosen.face_id}"
        if face_id is None and len(known) > 1:
            subject += ", the one visible longest,"
        raise PlanError(
            f"{subject} is visible over {chosen.window} for {reach.length_ms} ms of usable time; "
            f"the audio must overlap it by at least {rules.min_face_overlap_ms} ms{bound_note(chosen)}"
        )

    end_of_video = video_end(chosen)
    for name, value in (("insert_at", insert_at), ("crop start", crop[0] if crop else None)):
        if value is not None and value < 0:
            raise PlanError(f"{name} {value} ms is before 0")
    if insert_at is not None and insert_at >= end_of_video:
        raise PlanError(f"insert_at {insert_at} ms is not before the end of the video ({end_of_video} ms)")

    if crop is not None:
        sound_start, sound_end = crop
        insert = insert_at if insert_at is not None else _place(sound_end - sound_start, reach, end_of_video)
        detail = "crop as asked"
    else:
        insert = insert_at if insert_at is not None else reach.start_ms
        # Play until the face leaves (or the audio ends); before the face, the audio simply plays over.
        latest = reach.end_ms - rules.min_face_overlap_ms
        if insert > latest:
            raise PlanError(
                f"cannot insert at {insert} ms: face {chosen.face_id} is visible until {reach.end_ms} ms, so the "
                f"audio must start by {latest} ms to overlap it for {rules.min_face_overlap_ms} ms{bound_note(chosen)}"
            )
        sound_start, sound_end = 0, min(audio_ms, reach.end_ms - insert)
        detail = (
            "the whole audio" if sound_end == audio_ms else f"the audio's first {sound_end} ms, while the face is seen"
        )

    problem = broken_timing_rule(
        rules,
        audio_ms=audio_ms,
        video_ms=end_of_video,
        face_id=chosen.face_id,
        face=chosen.window,
        sound_start_time=sound_start,
        sound_end_time=sound_end,
        sound_insert_time=insert,
        field=f"audio [{sound_start}, {sound_end}] ms inserted at {insert} ms",
    )
    if problem is not None:
        # The guess at the video's end is worth mentioning only when it is what the choice ran into.
        past_the_guess = insert + (sound_end - sound_start) > end_of_video
        raise PlanError(problem + (bound_note(chosen) if past_the_guess else ""))
    where = "as asked" if insert_at is not None else "where it fits the face best"
    why = f"{how}, seen over {chosen.window}; {detail}; inserted {where}"
    return Plan(chosen.face_id, sound_start, sound_end, insert, why)


def check_audio(audio_ms: int, rules: TimingRules | None = None) -> None:
    """``PlanError`` when no plan can use audio of ``audio_ms`` (too short or too long), whatever the faces.

    Worth asking before identify-face, which is charged.
    """
    rules = rules or timing_rules()
    problem = broken_audio_rule(rules, audio_ms, "audio")
    if problem is not None:
        raise PlanError(problem)
    if audio_ms < rules.min_crop_ms:
        raise PlanError(f"the audio lasts {audio_ms} ms; the part inserted must last at least {rules.min_crop_ms} ms")


def _place(length_ms: int, reach: Window, end_of_video: int) -> int:
    """Where a crop of ``length_ms`` overlaps the face most: at its start, moved earlier if the video ends first."""
    return max(0, min(reach.start_ms, end_of_video - length_ms))
