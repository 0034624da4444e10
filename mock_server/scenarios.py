"""Named fates a client can ask for, per request: how a task runs, or which error the request gets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .timeline import FAILED, SUCCEED

__all__ = ["DEFAULT_SCENARIO", "NO_HUMAN_MESSAGE", "SCENARIOS", "Scenario"]

NO_HUMAN_MESSAGE = "there is no human in the video"


@dataclass(frozen=True)
class Scenario:
    """A named fate. ``error_code`` answers the request at once; otherwise a task runs to ``outcome``."""

    name: str
    meaning: str
    error_code: int | None = None
    outcome: str = SUCCEED
    failure_message: str = ""
    slow: bool = False  # processing takes settings.slow_factor times longer
    #: identify-face only: how many faces it finds (None: what the mock knows of the video).
    faces: int | None = None

    @property
    def creates_task(self) -> bool:
        return self.error_code is None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "meaning": self.meaning,
            "error_code": self.error_code,
            "outcome": self.outcome if self.creates_task else None,
            "failure_message": self.failure_message or None,
            "faces": self.faces,
        }


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
)

DEFAULT_SCENARIO = SCENARIOS["succeed"]
