"""``plan_advanced``, the pure planner of advanced lip-sync: each rule at its boundary, and every plan it makes
is one the mock's own check (``broken_timing_rule``) accepts.

The numbers come from the spec (``timing_rules()``), never written here again: a face visible one
millisecond less than the rule asks is refused, exactly as long is planned.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, strategies as st

from kling_lipsync import Plan, PlanError, plan_advanced
from kling_lipsync.planning import DEFAULT_GUARD_MS
from kling_lipsync_client.models import Face
from kling_spec.timing import Window, broken_timing_rule, timing_rules

RULES = timing_rules()
OVERLAP = RULES.min_face_overlap_ms
CROP = RULES.min_crop_ms
GUARD = DEFAULT_GUARD_MS
VIDEO = 10_000  # a video length given to the planner where the guard is not under test


def face(face_id: str, start: int, end: int) -> dict[str, Any]:
    return {"face_id": face_id, "start_time": start, "end_time": end}


def times(plan: Plan) -> tuple[str, int, int, int]:
    return plan.face_id, plan.sound_start_time, plan.sound_end_time, plan.sound_insert_time


# -- plans made: (faces, audio_ms, options) -> (face_id, sound_start, sound_end, sound_insert) ---------------

MADE = [
    pytest.param([face("0", 0, VIDEO)], 3000, {}, ("0", 0, 3000, 0), id="whole-short-audio-at-the-face"),
    pytest.param([face("0", 1000, 9000)], 3000, {}, ("0", 0, 3000, 1000), id="inserted-where-the-face-appears"),
    pytest.param(
        [face("0", 0, 4000)], 9000, {"video_ms": VIDEO}, ("0", 0, 4000, 0), id="long-audio-cut-where-the-face-leaves"
    ),
    pytest.param([face("0", 0, 4000)], 9000, {}, ("0", 0, 4000 - GUARD, 0), id="unknown-video-end-kept-guard-ms-clear"),
    pytest.param(
        [face("0", 0, OVERLAP)], 5000, {"video_ms": VIDEO}, ("0", 0, OVERLAP, 0), id="face-seen-exactly-long-enough"
    ),
    pytest.param([face("0", 0, OVERLAP + GUARD)], 5000, {}, ("0", 0, OVERLAP, 0), id="face-long-enough-with-the-guard"),
    pytest.param([face("0", 0, VIDEO)], CROP, {}, ("0", 0, CROP, 0), id="audio-exactly-the-minimum-crop"),
    pytest.param(
        [face("0", 0, 3000), face("1", 1000, 9000), face("2", 5000, 7000)],
        3000,
        {},
        ("1", 0, 3000, 1000),
        id="longest-visible-face",
    ),
    pytest.param(
        [face("1", 5000, 9000), face("0", 0, 4000)], 3000, {}, ("0", 0, 3000, 0), id="tie-goes-to-the-earliest"
    ),
    pytest.param(
        [face("0", 0, 3000), face("1", 1000, 9000)],
        3000,
        {"face_id": "0"},
        ("0", 0, 3000 - GUARD, 0),
        id="given-face-id-though-shorter",
    ),
    pytest.param(
        [face("0", 0, VIDEO)], 8000, {"crop": (1000, 4000)}, ("0", 1000, 4000, 0), id="given-crop-at-the-face"
    ),
    pytest.param(
        [face("0", 7000, VIDEO)],
        8000,
        {"crop": (0, 5000), "video_ms": VIDEO},
        ("0", 0, 5000, 5000),
        id="given-crop-moved-earlier-to-end-in-the-video",
    ),
    pytest.param(
        [face("0", 0, VIDEO)], 9000, {"insert_at": 1000}, ("0", 0, 9000 - GUARD, 1000), id="given-insert-time"
    ),
    pytest.param(
        [face("0", 0, VIDEO)],
        9000,
        {"insert_at": VIDEO - OVERLAP, "video_ms": VIDEO},
        ("0", 0, OVERLAP, VIDEO - OVERLAP),
        id="latest-insert-time",
    ),
    pytest.param(
        [face("0", 2000, 8000)],
        9000,
        {"insert_at": 0, "crop": (500, 4500), "video_ms": VIDEO},
        ("0", 500, 4500, 0),
        id="given-crop-and-insert",
    ),
]


@pytest.mark.parametrize(("faces", "audio_ms", "options", "expected"), MADE)
def test_a_plan_kling_accepts(faces: list[dict[str, Any]], audio_ms: int, options: dict[str, Any], expected) -> None:
    plan = plan_advanced(faces, audio_ms, **options)
    assert times(plan) == expected
    chosen = next(f for f in faces if f["face_id"] == plan.face_id)
    video_ms = options.get("video_ms", chosen["end_time"] - GUARD)
    assert accepted(plan, chosen, audio_ms, video_ms)


def accepted(plan: Plan, chosen: dict[str, Any], audio_ms: int, video_ms: int) -> bool:
    """The mock's own check (its numbers from the spec) passes the plan."""
    problem = broken_timing_rule(
        RULES,
        audio_ms=audio_ms,
        video_ms=video_ms,
        face_id=plan.face_id,
        face=Window(chosen["start_time"], chosen["end_time"]),
        sound_start_time=plan.sound_start_time,
        sound_end_time=plan.sound_end_time,
        sound_insert_time=plan.sound_insert_time,
    )
    return problem is None


# -- no plan: (faces, audio_ms, options) -> words the message must hold ---------------------------------------

REFUSED = [
    pytest.param([], 3000, {}, ["no face was found"], id="no-faces"),
    pytest.param(
        [face("0", 0, 5000), face("1", 0, 5000)], 3000, {"face_id": "7"}, ["'7'", "0, 1"], id="unknown-face-lists-known"
    ),
    pytest.param(
        [face("0", 0, OVERLAP - 1)],
        5000,
        {"video_ms": VIDEO},
        [f"for {OVERLAP - 1} ms", f"at least {OVERLAP} ms"],
        id="face-seen-1-ms-too-briefly",
    ),
    pytest.param(
        [face("0", 0, OVERLAP + GUARD - 1)],
        5000,
        {},
        [f"for {OVERLAP - 1} ms", f"less {GUARD} ms", "video_ms"],
        id="face-too-brief-once-the-guard-is-kept",
    ),
    pytest.param(
        [face("0", 0, 1000), face("1", 0, 1500)],
        5000,
        {},
        ["face 1, the one visible longest,", "for 1450 ms"],
        id="every-face-too-brief",
    ),
    pytest.param([face("0", 0, VIDEO)], CROP - 1, {}, [f"lasts {CROP - 1} ms"], id="audio-1-ms-too-short"),
    pytest.param(
        [face("0", 0, VIDEO)], RULES.max_audio_ms + 1, {}, [f"lasts {RULES.max_audio_ms + 1} ms"], id="audio-too-long"
    ),
    pytest.param(
        [face("0", 0, VIDEO)],
        5000,
        {"crop": (1000, 1000 + CROP - 1)},
        [f"= {CROP - 1} ms", f"at least {CROP} ms"],
        id="given-crop-1-ms-too-short",
    ),
    pytest.param(
        [face("0", 0, VIDEO)],
        5000,
        {"crop": (1000, 5001)},
        ["after the end of the audio (5000 ms)"],
        id="crop-past-audio",
    ),
    pytest.param(
        [face("0", 0, 5000)],
        9000,
        {"crop": (0, 8000)},
        ["after the end of the video (4950 ms)", "video_ms"],
        id="crop-longer-than-the-video-as-known",
    ),
    pytest.param(
        [face("0", 0, VIDEO)],
        9000,
        {"insert_at": VIDEO - OVERLAP + 1, "video_ms": VIDEO},
        [f"cannot insert at {VIDEO - OVERLAP + 1} ms", f"start by {VIDEO - OVERLAP} ms"],
        id="insert-1-ms-too-late",
    ),
    pytest.param(
        [face("0", 4000, 9000)],
        9000,
        {"insert_at": 0, "crop": (0, 5500), "video_ms": VIDEO},
        ["overlaps face 0's window [4000, 9000] ms by 1500 ms", f"at least {OVERLAP} ms"],
        id="given-crop-and-insert-overlap-too-little",
    ),
    pytest.param([face("0", 0, VIDEO)], 5000, {"insert_at": -1}, ["insert_at -1 ms is before 0"], id="negative-insert"),
    pytest.param([face("0", 0, VIDEO)], 5000, {"crop": (-1, 3000)}, ["before 0"], id="negative-crop"),
    pytest.param(
        [face("0", 0, VIDEO)], 5000, {"insert_at": VIDEO, "video_ms": VIDEO}, ["not before the end"], id="insert-at-end"
    ),
]


@pytest.mark.parametrize(("faces", "audio_ms", "options", "words"), REFUSED)
def test_no_plan_says_why(
    faces: list[dict[str, Any]], audio_ms: int, options: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(PlanError) as refused:
        plan_advanced(faces, audio_ms, **options)
    for word in words:
        assert word in str(refused.value)
    assert isinstance(refused.value, ValueError), "callers that catch ValueError (the CLI's usage errors) see it"


def test_generated_faces_and_mappings_plan_alike() -> None:
    models = [Face("0", "https://example.com/0.jpg", 0, 3000), Face("1", "https://example.com/1.jpg", 1000, 9000)]
    mappings = [model.to_dict() for model in models]
    assert plan_advanced(models, 4000) == plan_advanced(mappings, 4000)
    assert plan_advanced(models, 4000).face_id == "1"


def test_the_plan_reads_as_one_line() -> None:
    plan = plan_advanced([face("0", 0, 6000), face("1", 4000, 10000)], 8000, video_ms=VIDEO)
    assert str(plan) == "face 0: audio [0, 6000] ms inserted at 0 ms"
    assert plan.crop_ms == 6000
    assert plan.times == {"sound_start_time": 0, "sound_end_time": 6000, "sound_insert_time": 0}
    assert "visible longest of 2" in plan.why
    assert "\n" not in plan.why


# -- every plan made is accepted; with no options, one is made whenever one exists ---------------------------

windows = st.tuples(st.integers(0, 60_000), st.integers(0, 60_000)).map(sorted)
face_lists = st.lists(windows, max_size=4).map(
    lambda ws: [face(str(i), start, end) for i, (start, end) in enumerate(ws)]
)


@given(
    faces=face_lists,
    audio_ms=st.integers(0, 70_000),
    video_ms=st.none() | st.integers(RULES.min_video_ms, RULES.max_video_ms),
    insert_at=st.none() | st.integers(0, 60_000),
    crop=st.none() | st.tuples(st.integers(0, 60_000), st.integers(0, 60_000)),
)
def test_every_plan_made_is_one_kling_accepts(faces, audio_ms, video_ms, insert_at, crop) -> None:
    try:
        plan = plan_advanced(faces, audio_ms, video_ms=video_ms, insert_at=insert_at, crop=crop)
    except PlanError:
        return
    chosen = next(f for f in faces if f["face_id"] == plan.face_id)
    assert accepted(plan, chosen, audio_ms, video_ms if video_ms is not None else chosen["end_time"] - GUARD)
    if crop is not None:
        assert (plan.sound_start_time, plan.sound_end_time) == crop
    if insert_at is not None:
        assert plan.sound_insert_time == insert_at


@given(faces=face_lists, audio_ms=st.integers(0, 70_000))
def test_with_no_options_a_plan_is_made_whenever_one_exists(faces, audio_ms) -> None:
    audio_fits = RULES.min_audio_ms <= audio_ms <= RULES.max_audio_ms and audio_ms >= CROP
    some_face_fits = any(f["end_time"] - GUARD - f["start_time"] >= OVERLAP for f in faces)
    try:
        plan_advanced(faces, audio_ms)
    except PlanError:
        assert not (audio_fits and some_face_fits)
    else:
        assert audio_fits
        assert some_face_fits
