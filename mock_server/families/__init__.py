"""The mock's side of each family of the spec: what a family's tasks validate, store and look like.

``kling_spec.families`` finds the families in openapi.yaml (``x-kling-family``); here each gets its
implementation. Everything else of the mock (views, authentication, fate choice, the journal, callbacks,
the store) is generic and asks a family for these few things.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

from kling_spec import load_spec
from kling_spec.families import Family, families

from ..scenarios import Scenario
from ..settings import Settings
from ..store import Store, TaskRow
from ..validation import PageRules
from .advanced import AdvancedLipSyncFamily
from .lipsync import LipSyncFamily
from .tts import TextToSpeechFamily

__all__ = ["AtOnce", "Families", "ServedFamily", "SessionFamily", "SynchronousFamily", "TaskFamily"]


class TaskFamily(Protocol):
    """A family of asynchronous tasks (roles create, get, list), as the mock serves it."""

    name: str
    spec: Family
    max_request_bytes: int
    #: Whether a task can be queried by the ``external_task_id`` it was created with.
    finds_by_external_id: bool

    def check_create(self, body: Mapping[str, Any]) -> None:
        """Raise ``ErrorAnswer(1201)`` for the first broken rule of the schema, in the family's words."""

    def task_columns(
        self,
        body: Mapping[str, Any],
        account: str,
        *,
        settings: Settings,
        store: Store,
        base_url: str,
        now_ms: int,
    ) -> dict[str, Any]:
        """Check the rules beyond the schema (``ErrorAnswer(1201)``); the columns a new task stores."""
        ...

    def created(self, task_id: str, status: str, now_ms: int, columns: Mapping[str, Any]) -> dict[str, Any]:
        """The create answer's ``data``."""
        ...

    def render(self, row: TaskRow, now_ms: int) -> dict[str, Any]:
        """The task object as it stands at ``now_ms``."""
        ...

    def result_video(self, task_id: str) -> str:
        """The id of a task's result video."""
        ...


class AtOnce(Protocol):
    """A call answered whole with its ``data``: identify-face's session, text-to-speech."""

    def __call__(
        self,
        body: Mapping[str, Any],
        account: str,
        *,
        settings: Settings,
        store: Store,
        base_url: str,
        scenario: Scenario,
        now_ms: int,
    ) -> dict[str, Any]: ...


class SessionFamily(TaskFamily, Protocol):
    """A family whose tasks name a session opened first (role ``session``: identify-face)."""

    @property
    def open_session(self) -> AtOnce:
        """Validate, open and store a session."""
        ...


class SynchronousFamily(Protocol):
    """A family of one call answered whole at once (role ``synchronous``: text-to-speech); no task to query."""

    name: str
    spec: Family
    max_request_bytes: int

    @property
    def answer(self) -> AtOnce:
        """Validate and carry out the call."""
        ...


#: What serves an operation of the API.
ServedFamily = TaskFamily | SynchronousFamily

#: Which class serves which family of the spec.
_TASK_FAMILIES: Mapping[str, type[LipSyncFamily | AdvancedLipSyncFamily]] = {
    "lip-sync": LipSyncFamily,
    "advanced-lip-sync": AdvancedLipSyncFamily,
}
_SYNCHRONOUS_FAMILIES: Mapping[str, type[TextToSpeechFamily]] = {"tts": TextToSpeechFamily}


class Families:
    """The families of one mock app, compiled from the spec at start-up, with their list rules."""

    def __init__(self, spec: Mapping[str, Any] | None = None) -> None:
        document = load_spec() if spec is None else spec
        found = families(document)
        missing = sorted(set(found) - set(_TASK_FAMILIES) - set(_SYNCHRONOUS_FAMILIES))
        if missing:
            raise RuntimeError(f"the spec names families the mock does not serve: {', '.join(missing)}")
        #: The families of tasks (those a task row is of).
        self.by_name: Mapping[str, TaskFamily] = MappingProxyType(
            {name: _TASK_FAMILIES[name](family, document) for name, family in found.items() if family.has_tasks}
        )
        #: The families of synchronous calls.
        self.synchronous: Mapping[str, SynchronousFamily] = MappingProxyType(
            {
                name: _SYNCHRONOUS_FAMILIES[name](family, document)
                for name, family in found.items()
                if not family.has_tasks
            }
        )
        #: Every family, in the spec's order: what the API's routes are made from.
        self.served: Mapping[str, ServedFamily] = MappingProxyType(
            {name: self.by_name.get(name) or self.synchronous[name] for name in found}
        )
        self.pages: Mapping[str, PageRules] = MappingProxyType(
            {name: PageRules(family.spec.operation("list"), document) for name, family in self.by_name.items()}
        )
        self.max_request_bytes = max(family.max_request_bytes for family in self.served.values())

    def __getitem__(self, name: str) -> TaskFamily:
        return self.by_name[name]
