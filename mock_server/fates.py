"""A request's fate, chosen by a pure function: the normal answer, an error, an example, or a transport fault.

``choose_fate`` reads what the request asks for (``X-Mock-Scenario``, ``Prefer``, a ``/scenario/NAME``
prefix) and what chaos draws, and returns one of these values; it raises nothing and touches no request,
clock or store, so it is unit-tested as a table (``contract_tests/unit/test_fates.py``):

* ``Proceed(scenario, wire)``: process the request; its answer may travel late or badly (``wire``), or be
  replaced after processing (``accepted-then-reset``);
* ``Refuse(code, message)``: answer an error at once (a refusal scenario, ``Prefer: code=``, chaos, a
  scenario this server cannot carry out);
* ``ShowExample(name)``: answer the operation's documented example of that name, creating nothing;
* ``BreakConnection(wire)``: no answer at all, a transport fault instead; nothing is processed;
* ``UnknownScenario(name)``: no scenario of that name (the pipeline looks again in the shared state, where
  another worker may have defined it a moment ago, before refusing with ``refusal()``).

``poll_fate`` does the same for one poll of a task whose scenario plans its polls. ``_travel`` is the one
place a ``WireEffect`` is made.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kling_spec import typical_codes

from .errors import CATALOGUE
from .scenarios import DEFAULT_SCENARIO, DRIBBLE_SECONDS, FAULTS, SCENARIOS, SOCKET_FAULTS, Scenario
from .settings import Settings
from .wire import SOCKET_HINT, WireEffect

__all__ = [
    "CHAOS_CODES",
    "Asked",
    "BreakConnection",
    "Fate",
    "Proceed",
    "Refuse",
    "ShowExample",
    "UnknownScenario",
    "choose_fate",
    "choose_scenario",
    "poll_fate",
]

#: The codes chaos answers with, drawn evenly.
CHAOS_CODES = (5000, 5001, 5002, 1302)


@dataclass(frozen=True)
class Asked:
    """What a request asks for: ``X-Mock-Scenario``, ``Prefer`` (Prism's convention), the URL's scenario."""

    header: str | None = None
    prefer: str | None = None
    url_scenario: str | None = None


@dataclass(frozen=True)
class Proceed:
    """Process the request under ``scenario``; ``wire`` (if any) says how its answer travels."""

    scenario: Scenario
    wire: WireEffect | None = None


@dataclass(frozen=True)
class Refuse:
    """Answer Kling's error ``code`` now (the catalogue's message unless ``message``); nothing is processed."""

    code: int
    message: str | None = None
    #: The scenario that asked for it, if one did (the journal names it).
    scenario: Scenario | None = None


@dataclass(frozen=True)
class ShowExample:
    """``Prefer: example=NAME``: answer the operation's documented example of that name, creating nothing."""

    name: str


@dataclass(frozen=True)
class BreakConnection:
    """A transport fault instead of any answer (``wire.fault``); nothing is processed."""

    wire: WireEffect
    #: The scenario that asked for it, if one did (chaos draws faults too).
    scenario: Scenario | None = None


@dataclass(frozen=True)
class UnknownScenario:
    """No scenario ``name`` among those the request may ask for (``known``)."""

    name: str
    known: tuple[str, ...]

    def refusal(self) -> Refuse:
        return Refuse(1201, f"unknown mock scenario '{self.name[:40]}'; known: {', '.join(self.known)}")


Fate = Proceed | Refuse | ShowExample | BreakConnection | UnknownScenario


def _travel(
    scenario: Scenario | None, fault: str | None, delay_ms: float, dribble_seconds: float, *, processed_first: bool
) -> Proceed | BreakConnection:
    """How the answer travels, the one place a ``WireEffect`` is made; a fault that replaces the answer
    breaks the connection at once, unless the request is ``processed_first`` (``accepted-then-reset``).
    ``scenario``: the one that asked (None: chaos; it draws on top of the default scenario)."""
    chosen = scenario or DEFAULT_SCENARIO
    if fault is None and not delay_ms:
        return Proceed(chosen)
    wire = WireEffect(fault, delay_ms, dribble_seconds if fault else 0.0)
    if wire.replaces_answer and not processed_first:
        return BreakConnection(wire, scenario)
    return Proceed(chosen, wire)


def choose_fate(
    asked: Asked,
    scenarios: Mapping[str, Scenario] = SCENARIOS,
    settings: Settings | None = None,
    *,
    lends_connection: bool = True,
    draw: Callable[[], float] = random.random,
) -> Fate:
    """The fate of a request: chaos first (when ``settings`` turn it on), then the scenario it asks for.

    :param lends_connection: whether the server lets the mock break the connection (gunicorn, in process);
        a scenario that needs it is refused otherwise, and chaos draws only what the server can do.
    :param draw: the next number of the seeded chaos sequence (in ``[0, 1)``), for chaos and delays.
    """
    fault: str | None = None
    delay_ms = 0.0
    dribble_seconds = 0.0
    if settings is not None and (settings.chaos_rate or settings.chaos_latency_rate or settings.chaos_fault_rate):
        if settings.chaos_latency_rate and draw() < settings.chaos_latency_rate:
            delay_ms = settings.chaos_latency_ms
        if settings.chaos_rate and draw() < settings.chaos_rate:
            return Refuse(CHAOS_CODES[int(draw() * len(CHAOS_CODES)) % len(CHAOS_CODES)])
        if settings.chaos_fault_rate and draw() < settings.chaos_fault_rate:
            possible = sorted(FAULTS) if lends_connection else sorted(set(FAULTS) - SOCKET_FAULTS)
            fault = possible[int(draw() * len(possible)) % len(possible)]
            dribble_seconds = DRIBBLE_SECONDS
            if fault in SOCKET_FAULTS:
                return _travel(None, fault, delay_ms, dribble_seconds, processed_first=False)
    chosen = choose_scenario(asked, scenarios)
    if not isinstance(chosen, Scenario):
        return chosen
    if chosen.error_code is not None:
        return Refuse(chosen.error_code, scenario=chosen)
    if chosen.needs_socket and not lends_connection:
        return Refuse(1201, f"mock scenario '{chosen.name}' {SOCKET_HINT}", chosen)
    if chosen.delay is not None:  # the scenario's delay replaces what chaos drew
        fault, delay_ms = None, chosen.delay.draw_ms(random.Random(draw()))
    if chosen.fault is not None:
        fault, dribble_seconds = chosen.fault, chosen.dribble_seconds
    return _travel(chosen, fault, delay_ms, dribble_seconds, processed_first=chosen.fault_after_processing)


def choose_scenario(
    asked: Asked, scenarios: Mapping[str, Scenario] = SCENARIOS
) -> Scenario | ShowExample | Refuse | UnknownScenario:
    """The scenario a request names, by ``X-Mock-Scenario``, then ``Prefer``, then the URL; ``succeed`` if none.

    ``Prefer: example=NAME`` asks for a documented example, ``Prefer: code=N`` for a Kling code (or the
    typical code of an HTTP status; 200 is a success).
    """
    name = asked.header
    if name is None and asked.prefer is None and asked.url_scenario is None:
        return DEFAULT_SCENARIO
    prefer = _parse_prefer(asked.prefer or "")
    if name is None and "example" in prefer:
        return ShowExample(prefer["example"])
    if name is None and "code" in prefer:
        return _fate_for_prefer_code(prefer["code"])
    name = name or prefer.get("scenario") or asked.url_scenario
    if name is None:
        return DEFAULT_SCENARIO
    found = scenarios.get(name.strip())
    if found is None:
        return UnknownScenario(name, tuple(scenarios))
    return found


def poll_fate(scenario: Scenario, poll: int, *, lends_connection: bool = True) -> Fate | None:
    """What poll number ``poll`` of a task answers by its scenario's plan; None: the task as it stands."""
    answer = scenario.poll_answer(poll)
    if answer is None:
        return None
    if isinstance(answer, int):
        return Refuse(answer)
    if answer in SOCKET_FAULTS and not lends_connection:
        return Refuse(1201, f"mock scenario '{scenario.name}' {SOCKET_HINT}")
    return _travel(scenario, answer, 0.0, scenario.dribble_seconds, processed_first=False)


def _parse_prefer(header: str) -> dict[str, str]:
    prefs: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            prefs[key.strip().lower()] = value.strip().strip('"')
    return prefs


def _fate_for_prefer_code(value: str) -> Scenario | Refuse:
    """``Prefer: code=1303`` picks a Kling code; ``code=429`` the spec's typical code of that HTTP status
    (``x-kling-typical-codes``: 1302); ``code=200`` the default, a success."""
    if value.isdigit():
        number = int(value)
        if number == 200:
            return DEFAULT_SCENARIO
        if number in CATALOGUE:
            return Refuse(number)
        typical = typical_codes().get(number)
        if typical is not None:
            return Refuse(typical)
    return Refuse(1201, f"Prefer code={value[:10]} is neither a Kling code, 200, nor an HTTP status of the Kling table")
