"""Named fates a client can ask for, per request: how a task runs, which error or fault the request gets.

A scenario is one of these kinds (``GET /__mock__/scenarios`` lists each with its kind):

* ``task``: the task the request creates runs to an outcome (``succeed``, ``no-human`` ...), possibly with
  its own durations and a **plan for its polls** ("polls 2 and 3 answer 5001, poll 4 resets");
* ``refusal``: the request is answered at once with a Kling error code (``rate-limit`` ...);
* ``fault``: the answer is replaced by a transport fault (``connection-reset`` ...) or sent badly
  (``dribble``), or the request is processed and then the connection reset (``accepted-then-reset``);
* ``delay``: the answer comes late (fixed, uniform, or lognormal with a cap);
* ``faces``: identify-face finds that many faces.

Built-in scenarios are below; more are defined at run time (``PUT /__mock__/scenarios/NAME``, the pytest
plugin's ``define_scenario``, ``--scenarios FILE``) from JSON that ``mock_server/admin.yaml`` describes
(``ScenarioDefinition``) and ``scenario_from_json`` reads.
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace as dataclass_replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from kling_spec import error_catalogue

from .admin_spec import document, schema_validator
from .timeline import FAILED, SUCCEED

__all__ = [
    "DEFAULT_SCENARIO",
    "FAULTS",
    "NO_HUMAN_MESSAGE",
    "SCENARIOS",
    "Delay",
    "Scenario",
    "check_definition",
    "load_scenario_file",
    "scenario_from_json",
]


NO_HUMAN_MESSAGE = "there is no human in the video"

#: The transport faults, in WireMock's vocabulary, and what a client sees of each.
FAULTS: Mapping[str, str] = MappingProxyType(
    {
        "connection-reset": "the connection is reset (TCP RST) before any byte of the answer",
        "empty-response": "the connection is closed before any byte of the answer",
        "malformed-chunk": "the answer's status and headers, then a broken chunk, then the connection closes",
        "random-data-then-close": "bytes that are not HTTP, then the connection closes",
        "dribble": "the whole answer, sent in pieces over dribble_seconds",
    }
)
#: Faults that need the server's socket (all but ``dribble``, which any server can do by waiting).
SOCKET_FAULTS = frozenset(FAULTS) - {"dribble"}


def _check_fault_names() -> None:
    """The faults a poll may answer, as admin.yaml lists them, are the ones this module knows."""
    listed = set(
        document()["components"]["schemas"]["ScenarioDefinition"]["properties"]["polls"]["additionalProperties"][
            "oneOf"
        ][1]["enum"]
    )
    if listed != set(FAULTS):
        raise RuntimeError(f"admin.yaml's poll faults {sorted(listed)} differ from the mock's {sorted(FAULTS)}")


_check_fault_names()

#: How long a dribbled answer takes when the scenario does not say (admin.yaml's default; chaos's too).
DRIBBLE_SECONDS: float = float(
    document()["components"]["schemas"]["ScenarioDefinition"]["properties"]["dribble_seconds"]["default"]
)


@dataclass(frozen=True)
class Delay:
    """How late an answer comes: ``fixed`` (``ms``), ``uniform`` (``min_ms``..``max_ms``) or ``lognormal``
    (``median_ms``, ``sigma``), never more than ``cap_ms``."""

    kind: str
    ms: float = 0.0
    min_ms: float = 0.0
    max_ms: float = 0.0
    median_ms: float = 0.0
    sigma: float = 0.0
    cap_ms: float = math.inf

    def draw_ms(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            value = self.ms
        elif self.kind == "uniform":
            value = rng.uniform(self.min_ms, self.max_ms)
        else:
            value = rng.lognormvariate(math.log(self.median_ms), self.sigma)
        return min(value, self.cap_ms)

    def to_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"kind": self.kind}
        if self.kind == "fixed":
            shown["ms"] = self.ms
        elif self.kind == "uniform":
            shown.update(min_ms=self.min_ms, max_ms=self.max_ms)
        else:
            shown.update(median_ms=self.median_ms, sigma=self.sigma)
        if math.isfinite(self.cap_ms):
            shown["cap_ms"] = self.cap_ms
        return shown


@dataclass(frozen=True)
class Scenario:
    """A named fate. ``error_code`` answers the request at once; ``fault`` breaks its answer on the wire;
    otherwise a task runs to ``outcome``, its polls answering as ``polls`` says."""

    name: str
    meaning: str
    error_code: int | None = None
    outcome: str = SUCCEED
    failure_message: str = ""
    slow: bool = False  # processing takes settings.slow_factor times longer
    #: identify-face only: how many faces it finds (None: what the mock knows of the video).
    faces: int | None = None
    #: A transport fault instead of the answer (``FAULTS``), or ``dribble``.
    fault: str | None = None
    #: Process the request first (a create stores its task), then the fault: ``accepted-then-reset``.
    fault_after_processing: bool = False
    dribble_seconds: float = DRIBBLE_SECONDS
    delay: Delay | None = None
    #: The task's own durations (None: the settings').
    queue_seconds: float | None = None
    processing_seconds: float | None = None
    #: What individual polls of the task answer, by poll number from 1: a Kling code or a fault.
    polls: Mapping[int, int | str] = field(default_factory=dict)
    builtin: bool = True

    @property
    def kind(self) -> str:
        if self.error_code is not None:
            return "refusal"
        if self.fault is not None:
            return "fault"
        if self.faces is not None:
            return "faces"
        if self.delay is not None:
            return "delay"
        return "task"

    @property
    def creates_task(self) -> bool:
        return self.error_code is None and (self.fault is None or self.fault_after_processing)

    @functools.cached_property
    def needs_socket(self) -> bool:
        """Whether the server must lend its connection for this scenario (a fault on this request or a poll)."""
        wanted = {self.fault, *(answer for answer in self.polls.values() if isinstance(answer, str))}
        return bool(wanted & SOCKET_FAULTS)

    def poll_answer(self, poll: int) -> int | str | None:
        """What poll number ``poll`` of the task answers: a Kling code, a fault, or None (as it stands)."""
        return self.polls.get(poll)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "meaning": self.meaning,
            "builtin": self.builtin,
            "error_code": self.error_code,
            "outcome": self.outcome if self.creates_task else None,
            "failure_message": self.failure_message or None,
            "faces": self.faces,
            "fault": self.fault,
            "fault_after_processing": self.fault_after_processing if self.fault else None,
            "dribble_seconds": self.dribble_seconds if self.fault == "dribble" else None,
            "delay": self.delay.to_json() if self.delay else None,
            "queue_seconds": self.queue_seconds,
            "processing_seconds": self.processing_seconds,
            "polls": {str(poll): answer for poll, answer in sorted(self.polls.items())},
        }


def check_definition(name: str, definition: Any) -> Scenario:
    """The scenario ``definition`` describes, checked against admin.yaml; ``ValueError`` naming what is wrong."""
    for schema, value, where in (("ScenarioName", name, "name"), ("ScenarioDefinition", definition, "")):
        for error in schema_validator(schema).iter_errors(value):
            path = "/".join(str(part) for part in error.instance_path)
            raise ValueError(f"scenario {name[:40]!r}: {where or path or 'definition'}: {error.message}")
    return scenario_from_json(name, definition)


def load_scenario_file(path: str) -> Mapping[str, Scenario]:
    """The scenarios of ``--scenarios FILE`` (JSON or YAML, name -> definition); ``ValueError`` if unusable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        document = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"scenarios_file {path}: cannot read it: {exc}") from None
    if not isinstance(document, dict):
        raise ValueError(f"scenarios_file {path}: must map scenario names to definitions")
    found: dict[str, Scenario] = {}
    for name, definition in document.items():
        if name in SCENARIOS:
            raise ValueError(f"scenarios_file {path}: {name!r} is a built-in scenario; choose another name")
        try:
            found[name] = dataclass_replace(check_definition(str(name), definition), builtin=True)
        except ValueError as exc:
            raise ValueError(f"scenarios_file {path}: {exc}") from None
    return MappingProxyType(found)


def scenario_from_json(name: str, definition: Mapping[str, Any]) -> Scenario:
    """A scenario from its JSON definition (already valid against admin.yaml's ``ScenarioDefinition``).

    ``ValueError`` for what the schema cannot say (a poll answer that is neither a Kling code nor a fault).
    """
    timeline = definition.get("timeline", {})
    outcome = timeline.get("outcome", SUCCEED)
    delay = definition.get("delay")
    fault = definition.get("fault")
    # accepted-then-reset and dribble answer the processed request (badly); the others replace the answer.
    fault_after = fault in ("accepted-then-reset", "dribble")
    polls: dict[int, int | str] = {}
    codes = error_catalogue()
    for poll, answer in definition.get("polls", {}).items():
        if isinstance(answer, str) and answer not in FAULTS:
            raise ValueError(f"polls/{poll}: '{answer}' is not a fault; known: {', '.join(FAULTS)}")
        if isinstance(answer, int) and answer not in codes:
            raise ValueError(f"polls/{poll}: {answer} is not a code of the Kling table")
        polls[int(poll)] = answer
    if definition.get("error_code") is not None and definition["error_code"] not in codes:
        raise ValueError(f"error_code: {definition['error_code']} is not a code of the Kling table")
    return Scenario(
        name=name,
        meaning=definition.get("meaning", f"defined at run time: {name}"),
        error_code=definition.get("error_code"),
        outcome=outcome,
        failure_message=timeline.get("failure_message", NO_HUMAN_MESSAGE if outcome == FAILED else ""),
        faces=definition.get("faces"),
        fault="connection-reset" if fault in ("accepted-then-reset", "reset-before-accept") else fault,
        fault_after_processing=fault_after,
        dribble_seconds=definition.get("dribble_seconds", DRIBBLE_SECONDS),
        delay=Delay(**delay) if delay else None,
        queue_seconds=timeline.get("queue_seconds"),
        processing_seconds=timeline.get("processing_seconds"),
        polls=MappingProxyType(polls),
        builtin=False,
    )


def _registry(*scenarios: Scenario) -> Mapping[str, Scenario]:
    by_name = {s.name: s for s in scenarios}
    if len(by_name) != len(scenarios):
        raise ValueError("scenario names must be unique")
    return MappingProxyType(by_name)


SCENARIOS = _registry(
    Scenario("succeed", "The task is queued, processed, and succeeds with a playable MP4 (the default)."),
    Scenario(
        "no-human",
        "The task is processed, then fails: there is no human in the video.",
        outcome=FAILED,
        failure_message=NO_HUMAN_MESSAGE,
    ),
    Scenario(
        "task-content-policy",
        "The task is processed, then fails on the content security policy.",
        outcome=FAILED,
        failure_message="Failure to pass the risk control system",
    ),
    Scenario("no-face", "identify-face finds no usable face (code 0, empty face_data).", faces=0),
    Scenario(
        "two-faces",
        "identify-face finds two faces: '0' over the first 60% of the video, '1' over the last 60%.",
        faces=2,
    ),
    Scenario("slow", "Like succeed, but processing takes slow_factor (default 10) times longer.", slow=True),
    Scenario("content-policy", "The request is refused: 400 / 1301.", error_code=1301),
    Scenario("rate-limit", "The request is refused: 429 / 1302.", error_code=1302),
    Scenario("concurrency", "The request is refused: 429 / 1303.", error_code=1303),
    Scenario("balance", "The request is refused: 429 / 1102.", error_code=1102),
    Scenario("server-error", "The request fails: 500 / 5000.", error_code=5000),
    Scenario("unavailable", "The request fails: 503 / 5001.", error_code=5001),
    Scenario("timeout", "The request fails: 504 / 5002.", error_code=5002),
    *(
        Scenario(name, f"Transport fault, nothing processed: {meaning}.", fault=name)
        for name, meaning in FAULTS.items()
        if name != "dribble"
    ),
    Scenario(
        "reset-before-accept",
        "The connection is reset before the request is processed: a create stores no task.",
        fault="connection-reset",
    ),
    Scenario(
        "accepted-then-reset",
        "The request is processed (a create stores its task), then the connection is reset instead of the answer.",
        fault="connection-reset",
        fault_after_processing=True,
    ),
    Scenario(
        "dribble",
        f"The request is processed; its answer is sent in pieces over dribble_seconds ({DRIBBLE_SECONDS:g} s).",
        fault="dribble",
        fault_after_processing=True,
    ),
    Scenario("latency", "The answer comes 1 s late (real time).", delay=Delay("fixed", ms=1000)),
)

DEFAULT_SCENARIO = SCENARIOS["succeed"]
