"""Replaying a recording (``kling-lipsync mock --replay DIR``): a recorded answer is one more fate of a request.

A recording is a folder of cassettes (``cassette.py``: vcrpy's format, redacted by ``redaction.py``). At start the mock
reads it into two things:

* **Recorded tasks.** Each create answered with a task id, with every state its queries and list pages showed
  (by ``task_status``; the task object last seen in it) and when each began (its ``updated_at`` less the
  task's ``created_at``). A create that matches it becomes a task of the replaying account that keeps the
  recorded id and takes its recorded states at their recorded offsets on the mock's clock (``TaskTimeline``:
  a virtual clock compresses a three-minute task into one ``advance``; callbacks fire at the recorded
  transitions). Each recorded task is replayed once, until a reset.
* **Recorded answers.** Everything else (errors, identify-face sessions, list pages, transport faults) is
  answered as recorded, with this request's ``request_id``.

A request matches what was recorded with the same method, operation, task id, query and body (media compared
by hash; a create's ``callback_url`` not compared: it is the replaying client's own). Identical requests get
what was recorded for them in recorded order (files by name, which ``record`` makes its start time), the last
repeating: a create recorded refused, then accepted, is refused, then replayed.

What the recording does not hold is simulated as without it, or with ``--replay-strict`` refused with 400 /
1200 naming the request. Counters live in the store, so several workers replay as one.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from kling_spec.families import Family, families

from ..redact import kept_json
from ..timeline import FAILED, PROCESSING, SUBMITTED, SUCCEED, TaskTimeline
from .cassette import CassetteError, Interaction, cassette_files, load_folder
from .redaction import redact_json

__all__ = [
    "ApiRoute",
    "Recorded",
    "RecordedTask",
    "Recording",
    "ReplayError",
    "api_route",
    "check_folder",
    "request_key",
    "route_table",
]

#: ``finished_at`` of a task whose recording ends before it did: it stays in its last recorded state.
NEVER_MS = 2**62
_TERMINAL = (SUCCEED, FAILED)
#: Paths of the mock's own (admin, media): never part of a replay.
_MOCK_PATHS = ("/__mock__", "/kling-mock")
_PREFIXES = re.compile(r"^(/scenario/[^/]+)?(/kling)?(?=/v1/)")


class ReplayError(ValueError):
    """A recording the mock cannot replay; the message names the file."""


@dataclass
class RecordedTask:
    """A task as the recording saw it: its create, and the task object in each status it was seen in."""

    family: str
    task_id: str
    create: Interaction
    created_at: int
    #: status -> the task object last recorded in it, in the order the statuses were first seen.
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: status -> ms after ``created_at`` it began (the ``updated_at`` first recorded with it).
    begins: dict[str, int] = field(default_factory=dict)

    def observe(self, task: Mapping[str, Any]) -> None:
        status = task.get("task_status")
        if not isinstance(status, str):
            return
        self.states[status] = dict(task)
        updated = task.get("updated_at")
        if status not in self.begins and isinstance(updated, int):
            self.begins[status] = max(0, updated - self.created_at)

    def timeline(self, now_ms: int) -> TaskTimeline:
        """Its recorded life, from ``now_ms`` on: processing and the end where the recording saw them begin."""
        end = next((s for s in reversed(self.states) if s in _TERMINAL), None)
        finished = now_ms + self.begins.get(end, 0) if end else NEVER_MS
        processing = now_ms + self.begins[PROCESSING] if PROCESSING in self.begins else finished
        message = str(self.states[end].get("task_status_msg") or "") if end == FAILED else ""
        return TaskTimeline(now_ms, min(processing, finished), finished, end or SUCCEED, message)

    def recording_json(self) -> str:
        return kept_json({"task_id": self.task_id, "states": self.states})


def _canonical(value: Any) -> str:
    """A request body as matching compares it: redacted as a cassette keeps it, keys sorted."""
    if value is None:
        return ""
    return orjson.dumps(redact_json(value, media=True), option=orjson.OPT_SORT_KEYS).decode()


def request_key(method: str, role: str, template: str, task_id: str | None, query: str, body: Any) -> str:
    """What two requests must share to get the same recorded answers: method, operation, task id, query, body
    (redacted as a cassette keeps it, keys sorted; a create's ``callback_url`` left out)."""
    if role == "create" and isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "callback_url"}  # the replaying client's own
    query = "&".join(sorted(query.split("&"))) if query else ""
    return f"{method} {template} {task_id or ''} ?{query} {_canonical(body)}"


#: What a request gets from a recording: a task to replay (a create the service accepted), or an answer.
Recorded = RecordedTask | Interaction


class Recording:
    """A folder of cassettes, read for replay (``ReplayError`` for one the mock cannot read)."""

    def __init__(self, folder: Path, document: Mapping[str, Any] | None = None) -> None:
        self.folder = folder
        self._routes = route_table(families(document) if document is not None else families())
        #: The recorded task of each id.
        self.tasks: dict[str, RecordedTask] = {}
        #: What each request got, in recorded order (``request_key``).
        self.answers: dict[str, list[Recorded]] = {}
        #: The identify-face sessions and text-to-speech audio it holds (a simulated one never takes their ids).
        self.session_ids: set[str] = set()
        self.audio_ids: set[str] = set()
        try:
            for _path, _metadata, interactions in load_folder(folder):
                for interaction in interactions:
                    self._read(interaction)
        except CassetteError as exc:
            raise ReplayError(str(exc)) from None

    def _read(self, item: Interaction) -> None:
        route = api_route(item.method, item.path, self._routes)
        if route is None:
            return  # not an operation of the API (the mock's admin API, a download): nothing to replay
        family, role, template, task_id = route
        key = request_key(item.method, role, template, task_id, item.query, item.request_json())
        answer = item.response_json()
        code = answer.get("code") if isinstance(answer, dict) else None
        data = answer.get("data") if isinstance(answer, dict) else None
        if code == 0 and role == "create" and isinstance(data, dict) and isinstance(data.get("task_id"), str):
            created = data.get("created_at", data.get("updated_at"))
            start = created if isinstance(created, int) else item.recorded_at  # never 0: offsets of decades
            task = RecordedTask(family, data["task_id"], item, start)
            task.observe(data)
            task.states.pop(SUBMITTED, None)  # the create answer is no task object: a query's is wanted
            self.answers.setdefault(key, []).append(task)
            self.tasks[task.task_id] = task
            return
        if code == 0 and role == "get" and isinstance(data, dict) and data.get("task_id") in self.tasks:
            self.tasks[data["task_id"]].observe(data)
            return
        if code == 0 and role == "session" and isinstance(data, dict) and isinstance(data.get("session_id"), str):
            self.session_ids.add(data["session_id"])
        if code == 0 and role == "synchronous" and isinstance(data, dict):
            result = data.get("task_result")
            audios = result.get("audios") if isinstance(result, dict) else None
            self.audio_ids.update(a["id"] for a in audios or () if isinstance(a, dict) and isinstance(a.get("id"), str))
        if code == 0 and role == "list" and isinstance(data, list):
            for task in data:
                if isinstance(task, dict) and task.get("task_id") in self.tasks:
                    self.tasks[task["task_id"]].observe(task)
        self.answers.setdefault(key, []).append(item)

    # -- matching -----------------------------------------------------------------------------------------

    def answers_to(
        self, method: str, role: str, template: str, task_id: str | None, query: str, body: Any
    ) -> tuple[str, list[Recorded]] | None:
        """What this request got when recorded (with its key, for counting uses); None when nothing."""
        key = request_key(method, role, template, task_id, query, body)
        found = self.answers.get(key)
        return (key, found) if found else None

    def unmatched(self, method: str, template: str, task_id: str | None, query: str, body: Any) -> str:
        """What ``--replay-strict`` answers a request the recording holds nothing for: it names the request."""
        shown = f"{method} {template.replace('{task_id}', task_id or '')}{'?' + query if query else ''}"
        digest = hashlib.sha256(_canonical(body).encode()).hexdigest()[:12] if body is not None else ""
        return (
            f"replay: the recording {self.folder.name} holds no answer to {shown}"
            + (f" with this body (sha256 {digest})" if digest else "")
            + " (--replay-strict)"
        )


class ApiRoute(NamedTuple):
    """The operation a recorded request was for."""

    family: str
    role: str
    #: The spec's path, with ``{task_id}``.
    template: str
    task_id: str | None


_Routes = list[tuple[re.Pattern[str], str, str, str, str]]


def route_table(found: Mapping[str, Family]) -> _Routes:
    """``(path pattern, METHOD, family, role, template)`` of every operation, fixed paths first."""
    routes = []
    for name, family in found.items():
        for role, operation in family.operations.items():
            for path in (operation.path, *operation.path_aliases):
                pattern = re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)))
                routes.append((pattern, operation.method.upper(), name, role, operation.path))
    return sorted(routes, key=lambda route: "{" in route[4])


def api_route(method: str, path: str, routes: _Routes | None = None) -> ApiRoute | None:
    """The operation of a request to either gateway (a scenario prefix too); None for a path not of the API."""
    if path.startswith(_MOCK_PATHS):
        return None
    bare = _PREFIXES.sub("", path)
    for pattern, route_method, family, role, template in routes or _shipped_routes():
        found = pattern.fullmatch(bare)
        if found and route_method == method.upper():
            return ApiRoute(family, role, template, found.groupdict().get("task_id"))
    return None


@functools.cache
def _shipped_routes() -> _Routes:
    return route_table(families())


def check_folder(folder: Path) -> None:
    """``ReplayError`` unless ``folder`` holds cassettes a replay can read (``Settings.check``, at every settings
    change: a folder whose files did not change since it was last read is not read again)."""
    try:
        files = cassette_files(folder) if folder.is_dir() else []
        stamp = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    except OSError as exc:
        raise ReplayError(f"{folder}: {exc.strerror}") from None
    _read_once(folder, stamp)


@functools.lru_cache(maxsize=8)
def _read_once(folder: Path, stamp: tuple[tuple[str, int, int], ...]) -> None:
    Recording(folder)
