"""The choice of a request's fate (``mock_server.fates``), table by table, without HTTP.

``choose_fate`` and ``poll_fate`` are pure: what the request asks for, the scenarios, the settings and the
chaos draws in, a value out. The HTTP tests (``test_mock_faults.py``, ``test_mock_errors.py``, the journal's)
show each fate answered through the pipeline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from kling_spec import error_catalogue
from mock_server.fates import (
    CHAOS_CODES,
    Asked,
    BreakConnection,
    Proceed,
    Refuse,
    ShowExample,
    UnknownScenario,
    choose_fate,
    choose_scenario,
    poll_fate,
)
from mock_server.scenarios import DRIBBLE_SECONDS, SCENARIOS, Scenario, check_definition
from mock_server.settings import Settings
from mock_server.wire import SOCKET_HINT, WireEffect

# -- the scenario a request names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "prefer", "url", "chosen"),
    [
        pytest.param(None, None, None, "succeed", id="nothing-asked-succeeds"),
        pytest.param("no-human", None, None, "no-human", id="by-header"),
        pytest.param(None, "scenario=slow", None, "slow", id="by-prefer"),
        pytest.param(None, None, "rate-limit", "rate-limit", id="by-url"),
        pytest.param("no-human", "scenario=slow", "balance", "no-human", id="the-header-first"),
        pytest.param(None, "scenario=slow", "balance", "slow", id="then-prefer-then-the-url"),
        pytest.param(None, "respond-async, scenario=timeout", None, "timeout", id="prefer-among-others"),
        pytest.param(None, "code=1303", None, 1303, id="a-kling-code"),
        pytest.param(None, "code=429", None, 1302, id="an-http-status-its-typical-code"),
        pytest.param(None, "code=401", None, 1000, id="401-its-typical-code"),
        pytest.param(None, "code=200", None, "succeed", id="prisms-way-of-asking-for-success"),
        pytest.param(None, "code=banana", None, 1201, id="a-code-that-is-none"),
    ],
)
def test_the_scenario_a_request_names(header: str | None, prefer: str | None, url: str | None, chosen: Any) -> None:
    fate = choose_scenario(Asked(header, prefer, url))
    if isinstance(chosen, str):
        assert isinstance(fate, Scenario)
        assert fate.name == chosen
    else:
        assert isinstance(fate, Refuse)
        assert fate.code == chosen


def test_an_unknown_name_is_refused_naming_the_known_ones() -> None:
    fate = choose_fate(Asked("nope"))
    assert isinstance(fate, UnknownScenario)
    refusal = fate.refusal()
    assert refusal.code == 1201
    assert refusal.message is not None
    assert refusal.message.startswith("unknown mock scenario 'nope'; known: succeed, no-human")


def test_prefer_example_names_a_documented_example() -> None:
    assert choose_fate(Asked(None, "example=code_1303_parallel_task_limit")) == ShowExample(
        "code_1303_parallel_task_limit"
    )
    fate = choose_fate(Asked("no-human", "example=empty"))
    assert fate == Proceed(SCENARIOS["no-human"]), "the header first"


def test_scenarios_defined_at_run_time_are_chosen_by_name() -> None:
    flaky = check_definition("flaky", {"polls": {"2": 5001, "4": "connection-reset"}})
    assert choose_fate(Asked("flaky"), {**SCENARIOS, "flaky": flaky}) == Proceed(flaky)
    assert [flaky.poll_answer(n) for n in (1, 2, 3, 4, 5)] == [None, 5001, None, "connection-reset", None]
    assert isinstance(choose_fate(Asked("flaky")), UnknownScenario), "unknown to the built-in registry"


def test_an_http_status_picks_a_code_of_that_status() -> None:
    fate = choose_fate(Asked(None, "code=429"))
    assert isinstance(fate, Refuse)
    assert error_catalogue()[fate.code].http_status == 429
    assert fate.scenario is None, "no scenario asked for it"


# -- the fate of a named scenario ----------------------------------------------------------------------------


def _break(fault: str, scenario: str, *, delay_ms: float = 0.0) -> BreakConnection:
    return BreakConnection(WireEffect(fault, delay_ms, DRIBBLE_SECONDS), SCENARIOS[scenario])


@pytest.mark.parametrize(
    ("name", "fate"),
    [
        pytest.param("succeed", Proceed(SCENARIOS["succeed"]), id="succeed-proceeds-untouched"),
        pytest.param("rate-limit", Refuse(1302, scenario=SCENARIOS["rate-limit"]), id="a-refusal-answers-its-code"),
        pytest.param("timeout", Refuse(5002, scenario=SCENARIOS["timeout"]), id="timeout-is-5002"),
        pytest.param("connection-reset", _break("connection-reset", "connection-reset"), id="a-fault-replaces-all"),
        pytest.param(
            "reset-before-accept", _break("connection-reset", "reset-before-accept"), id="reset-before-processing"
        ),
        pytest.param(
            "accepted-then-reset",
            Proceed(SCENARIOS["accepted-then-reset"], WireEffect("connection-reset", 0.0, DRIBBLE_SECONDS)),
            id="processed-then-reset",
        ),
        pytest.param(
            "dribble",
            Proceed(SCENARIOS["dribble"], WireEffect("dribble", 0.0, DRIBBLE_SECONDS)),
            id="dribble-processes-then-sends-slowly",
        ),
        pytest.param(
            "latency", Proceed(SCENARIOS["latency"], WireEffect(None, 1000.0, 0.0)), id="latency-a-second-late"
        ),
    ],
)
def test_the_fate_of_each_kind_of_scenario(name: str, fate: object) -> None:
    assert choose_fate(Asked(name)) == fate


def test_a_socket_fault_is_refused_where_the_server_lends_no_connection() -> None:
    fate = choose_fate(Asked("connection-reset"), lends_connection=False)
    assert fate == Refuse(1201, f"mock scenario 'connection-reset' {SOCKET_HINT}", SCENARIOS["connection-reset"])
    assert isinstance(choose_fate(Asked("dribble"), lends_connection=False), Proceed), "dribbling needs no socket"


# -- chaos -----------------------------------------------------------------------------------------------


def draws(*values: float) -> Callable[[], float]:
    """The chaos sequence, as given; the test fails if the fate draws more than that."""
    return iter(values).__next__


CHAOS = Settings.from_mapping({"chaos_rate": 0.5})


@pytest.mark.parametrize(
    ("pick", "code"), [(0.0, CHAOS_CODES[0]), (0.3, CHAOS_CODES[1]), (0.6, CHAOS_CODES[2]), (0.99, CHAOS_CODES[3])]
)
def test_chaos_answers_an_error_drawn_evenly(pick: float, code: int) -> None:
    assert choose_fate(Asked("no-human"), settings=CHAOS, draw=draws(0.1, pick)) == Refuse(code)


def test_chaos_that_does_not_strike_leaves_the_scenario() -> None:
    assert choose_fate(Asked("no-human"), settings=CHAOS, draw=draws(0.9)) == Proceed(SCENARIOS["no-human"])


def test_chaos_latency_then_a_fault_keeps_the_delay() -> None:
    settings = Settings.from_mapping({"chaos_latency_rate": 1.0, "chaos_latency_ms": 250, "chaos_fault_rate": 1.0})
    # latency strikes; a fault strikes; the first of the sorted faults (connection-reset) is drawn.
    fate = choose_fate(Asked(), settings=settings, draw=draws(0.0, 0.0, 0.0))
    assert fate == BreakConnection(WireEffect("connection-reset", 250.0, DRIBBLE_SECONDS))


def test_chaos_draws_only_dribbling_where_the_server_lends_no_connection() -> None:
    settings = Settings.from_mapping({"chaos_fault_rate": 1.0})
    fate = choose_fate(Asked(), settings=settings, lends_connection=False, draw=draws(0.0, 0.7))
    assert fate == Proceed(SCENARIOS["succeed"], WireEffect("dribble", 0.0, DRIBBLE_SECONDS))


def test_a_scenario_delay_replaces_the_delay_chaos_drew() -> None:
    settings = Settings.from_mapping({"chaos_latency_rate": 1.0, "chaos_latency_ms": 250})
    fate = choose_fate(Asked("latency"), settings=settings, draw=draws(0.0, 0.5))
    assert fate == Proceed(SCENARIOS["latency"], WireEffect(None, 1000.0, 0.0))


# -- the polls a scenario plans ----------------------------------------------------------------------------

FLAKY = dataclasses.replace(
    check_definition("flaky", {"polls": {"2": 5001, "3": "dribble", "4": "connection-reset"}}), dribble_seconds=1.0
)


@pytest.mark.parametrize(
    ("poll", "fate"),
    [
        pytest.param(1, None, id="an-unplanned-poll-answers-the-task"),
        pytest.param(2, Refuse(5001), id="a-code"),
        pytest.param(3, Proceed(FLAKY, WireEffect("dribble", 0.0, 1.0)), id="dribbling-answers-the-task-slowly"),
        pytest.param(4, BreakConnection(WireEffect("connection-reset", 0.0, 1.0), FLAKY), id="a-fault-instead"),
    ],
)
def test_what_each_planned_poll_answers(poll: int, fate: object) -> None:
    assert poll_fate(FLAKY, poll) == fate


def test_a_planned_socket_fault_is_refused_where_the_server_lends_no_connection() -> None:
    assert poll_fate(FLAKY, 4, lends_connection=False) == Refuse(1201, f"mock scenario 'flaky' {SOCKET_HINT}")
