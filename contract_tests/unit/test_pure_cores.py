"""The pure cores, table by table, without HTTP: a task's timeline, Kling's wording of a broken rule, and the
client's decision to send a request again (the choice of a request's fate: ``test_fates.py``).

The HTTP tests show each at work through the mock and the client; these pin every row of each table.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.bodies import audio_file_body, text_body
from kling_lipsync.retry import REFUSED_BEFORE_ACCEPTING, may_send_again
from kling_spec import compile_schema, error_catalogue
from kling_spec.families import family
from mock_server.families.lipsync import WORDING
from mock_server.timeline import FAILED, PROCESSING, SUBMITTED, SUCCEED, plan_timeline
from mock_server.validation import first_broken_rule

# -- the timeline ----------------------------------------------------------------------------------------

PLAN = plan_timeline(
    1_000, queue_seconds=2, processing_seconds=3, processing_factor=2, outcome=FAILED, failure_message="no human"
)


@pytest.mark.parametrize(
    ("now", "status", "since", "message"),
    [
        (1_000, SUBMITTED, 1_000, ""),
        (2_999, SUBMITTED, 1_000, ""),
        (3_000, PROCESSING, 3_000, ""),  # queue_seconds after creation
        (8_999, PROCESSING, 3_000, ""),
        (9_000, FAILED, 9_000, "no human"),  # then processing_seconds x processing_factor
        (99_000, FAILED, 9_000, "no human"),
    ],
)
def test_the_timeline_gives_the_status_at_each_moment(now: int, status: str, since: int, message: str) -> None:
    assert PLAN.status_at(now) == (status, since)
    assert PLAN.message_at(now) == message


def test_the_timeline_lists_its_transitions_in_order() -> None:
    assert PLAN.transitions() == [(SUBMITTED, 1_000), (PROCESSING, 3_000), (FAILED, 9_000)]
    quick = plan_timeline(0, queue_seconds=0, processing_seconds=0, processing_factor=1, outcome=SUCCEED)
    assert quick.status_at(0) == (SUCCEED, 0)


# -- Kling's wording of a broken rule --------------------------------------------------------------------

CREATE = compile_schema(family("lip-sync").operation("create").request_schema or {})


def without(body: dict[str, Any], *fields: str) -> dict[str, Any]:
    for name in fields:
        body["input"].pop(name)
    return body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "input: must not be null"),
        ({"input": {}}, "input.mode: must not be null"),
        (without(text_body(), "video_url"), "video_id or video_url is required"),
        (text_body(video_id="v-1"), "only one of video_id and video_url may be given"),
        (without(text_body(), "text"), "text is required"),
        (text_body(voice_id="nobody"), "Voice id not found"),
        (text_body(voice_speed=2.5), "input.voiceSpeed: must be less than or equal to 2.0"),
        (text_body(voice_speed=0.5), "input.voiceSpeed: must be greater than or equal to 0.8"),
        (without(audio_file_body(), "audio_type"), "Audio type is null"),
        (audio_file_body(audio_file="!!!"), "File is not in a valid base64 format"),
        # Several broken fields: the one Kling's validator reports first.
        (without(text_body(voice_speed=9), "text"), "text is required"),
        (text_body(), None),
    ],
)
def test_kling_words_the_first_broken_rule(body: dict[str, Any], message: str | None) -> None:
    assert first_broken_rule(CREATE, body, WORDING) == message


def test_an_enum_lists_its_allowed_values() -> None:
    message = first_broken_rule(CREATE, text_body(mode="audio"), WORDING)
    assert message is not None
    assert message.startswith("input.mode value 'audio' is invalid, allowed values: ")
    assert "text2video" in message


# -- the client's decision to send again ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answered", "code", "retryable", "maybe_received", "repeatable", "again"),
    [
        (False, None, False, False, False, True),  # the connection never opened: nothing was sent
        (False, None, False, True, False, False),  # a lost answer to a create: the task may exist
        (False, None, False, True, True, True),  # a lost answer to a query
        (True, 1303, True, True, False, True),  # a create refused: safe to send again
        (True, 1302, True, True, False, True),
        (True, 5001, True, True, False, True),
        (True, 5000, True, True, False, False),  # a create that may have been taken
        (True, 5002, True, True, False, False),
        (True, 5000, True, True, True, True),  # ... unless the caller accepts duplicates
        (True, 1201, False, True, True, False),  # a broken rule is broken again
        (True, None, False, True, True, False),  # the proxy's own 401
    ],
)
def test_when_the_client_sends_again(
    answered: bool, code: int | None, retryable: bool, maybe_received: bool, repeatable: bool, again: bool
) -> None:
    decided = may_send_again(
        answered=answered, code=code, retryable=retryable, maybe_received=maybe_received, repeatable=repeatable
    )
    assert decided is again


def test_the_refusals_are_codes_of_the_table() -> None:
    assert set(error_catalogue()) >= REFUSED_BEFORE_ACCEPTING
