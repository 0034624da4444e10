"""``kling-lipsync check-recording DIR``: every recorded exchange against openapi.yaml, one row per difference.

* Each answer of the API is validated against the spec with openapi-core, undocumented properties forbidden (an
  undocumented property is a difference, and so is a property the spec requires missing from an answer).
* Each request the service accepted is validated against the spec's request schema (one it refused is
  expected to break it: that is no difference).
* Each error answer's code is checked against the HTTP status the spec's code table gives it and, for the
  codes whose message the table fixes (all but invalid-request ones, whose messages name a field), against
  the table's wording.
* Each recorded task's life is checked against a lifecycle's invariants: statuses only move forward, a
  finished task stays finished, ``created_at`` never changes, ``updated_at`` never goes back, a succeeded task
  has a result, a failed one says why.

    kling-lipsync check-recording recordings/     # exit 0: no differences; 1: a table of them; 2: unreadable

A row: the operation, the HTTP status, where (``request.input.mode``, ``response.data.task_result``, or
the task), what, and the exchange (``file.yaml#3``). Media a cassette keeps as a reference
(``kling-media:sha256=...``) is checked as base64.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jsonschema.exceptions import best_match
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

from kling_spec import SPEC_PATH, error_catalogue, load_spec
from kling_spec.families import families

from .cassette import CassetteError, Interaction, load_folder
from .redaction import MEDIA_REFERENCE
from .replay import api_route, route_table

__all__ = ["Difference", "build_parser", "check_interactions", "main", "task_lives"]

_SERVER = "http://127.0.0.1:8000"
#: Categories of the code table whose messages vary with the request (a field's name, a task id): their
#: wording is not compared. The others say one thing, in the table's words.
_FREE_WORDING = frozenset({"invalid_request"})
_ORDER = {"submitted": 0, "processing": 1, "succeed": 2, "failed": 2}
_FINISHED = frozenset({"succeed", "failed"})
#: A stand-in for media a cassette keeps as a reference: valid base64.
_MEDIA_STAND_IN = "AAAA"


@dataclass(frozen=True)
class Difference:
    """One way a recorded exchange differs from the spec."""

    operation: str
    status: str
    where: str
    what: str
    origin: str = ""


class _Validator:
    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        # Undocumented properties are differences; a property the spec marks optional may be absent (the mock's
        # contract tests require every one of the mock, which always sends them; the real service need not).
        strict = Config(additional_properties_default_policy="forbid")
        self.openapi = OpenAPI.from_file_path(str(spec_path), config=strict)
        # Requests as the spec says (its allOf/oneOf compositions would read as undocumented properties under
        # "forbid"); the answers, which the spec describes property by property, as strictly as the contract tests.
        self.requests = OpenAPI.from_file_path(str(spec_path))

    def request(self, item: Interaction, path: str) -> list[tuple[str, str]]:
        body = item.request_json()
        data = json.dumps(_with_media_stand_ins(body)).encode() if body is not None else None
        headers = {name: values[0] for name, values in item.request_headers.items() if values}
        headers.setdefault("authorization", "Bearer recorded")
        content_type = headers.get("content-type", "application/json" if data else "")
        request = MockRequest(
            _SERVER,
            item.method.lower(),
            path,
            args=_args(item.query),
            data=data,
            headers=headers,
            content_type=content_type,
        )
        return _errors(lambda: self.requests.validate_request(request), "request")

    def response(self, item: Interaction, path: str) -> list[tuple[str, str]]:
        request = MockRequest(_SERVER, item.method.lower(), path)
        body = item.response_body if isinstance(item.response_body, bytes) else item.response_body.encode()
        response = MockResponse(body, status_code=item.status, content_type=item.header("content-type") or "")
        return _errors(lambda: self.openapi.validate_response(request, response), "response")


def _args(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True))


def _with_media_stand_ins(value: Any) -> Any:
    if isinstance(value, str):
        return _MEDIA_STAND_IN if MEDIA_REFERENCE.fullmatch(value) else value
    if isinstance(value, list):
        return [_with_media_stand_ins(item) for item in value]
    if isinstance(value, dict):
        return {key: _with_media_stand_ins(item) for key, item in value.items()}
    return value


def _errors(validate: Any, side: str) -> list[tuple[str, str]]:
    """``(where, what)`` for each schema error openapi-core finds (the innermost ones, by their paths)."""
    try:
        validate()
    except (PathNotFound, OperationNotFound):
        return []
    except Exception as exc:  # openapi-core raises a tree of validation errors
        schema_errors = [best_match([error]) for error in getattr(exc.__cause__, "schema_errors", None) or []]
        if not schema_errors:
            return [(side, str(exc).splitlines()[0])]
        return [
            (side + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path), error.message)
            for error in schema_errors
        ]
    return []


def check_interactions(
    interactions: Iterable[Interaction], spec_path: Path = SPEC_PATH
) -> tuple[int, list[Difference]]:
    """How many exchanges of the API were checked, and every difference found (a task's last: status ``-``);
    against the shipped spec, or ``spec_path`` (the spec gate checks recordings against a new one)."""
    items = list(interactions)
    validator = _Validator(spec_path)
    catalogue = error_catalogue(spec_path)
    found = families(load_spec(spec_path))
    routes = route_table(found)
    operation_ids = {(name, role): op.operation_id for name, f in found.items() for role, op in f.operations.items()}
    differences: list[Difference] = []
    checked = 0
    for item in items:
        route = api_route(item.method, item.path, routes)
        if route is None or item.fault:
            continue
        checked += 1
        operation = operation_ids[(route.family, route.role)]
        path = route.template.replace("{task_id}", route.task_id or "")

        def differ(where: str, what: str, item: Interaction = item, operation: str = operation) -> None:
            differences.append(Difference(operation, str(item.status), where, what, item.origin))

        body = item.response_json()
        if isinstance(body, dict) and body.get("code") == 0:
            # A request the service took that the spec refuses is drift; one it refused is what the spec says.
            for where, what in dict.fromkeys(validator.request(item, path)):
                differ(where, what)
        for where, what in dict.fromkeys(validator.response(item, path)):  # openapi-core may say one thing twice
            differ(where, what)
        if not isinstance(body, dict):
            differ("response", "not a JSON object")
            continue
        for where, what in _envelope(body, item.status, catalogue):
            differ(where, what)
    for key, broken in task_lives(items).items():
        family, task_id = key.split(" ", 1)
        differences.extend(Difference(family, "-", f"task {task_id}", what) for what in broken)
    return checked, differences


def task_lives(interactions: Iterable[Interaction]) -> dict[str, list[str]]:
    """``"<family> <task id>"`` of every task the recording saw, with what breaks its life (empty: nothing)."""
    seen: dict[str, list[Mapping[str, Any]]] = {}
    for item in interactions:
        route = api_route(item.method, item.path)
        body = item.response_json()
        if route is None or not isinstance(body, dict) or body.get("code") != 0:
            continue
        data = body.get("data")
        for task in data if isinstance(data, list) else [data]:
            if isinstance(task, dict) and isinstance(task.get("task_id"), str) and "task_status" in task:
                seen.setdefault(f"{route.family} {task['task_id']}", []).append(task)
    return {key: list(dict.fromkeys(_lifecycle(sightings))) for key, sightings in seen.items()}


def _envelope(body: Mapping[str, Any], status: int, catalogue: Mapping[int, Any]) -> Iterator[tuple[str, str]]:
    """The code against its HTTP status (the spec's code table), and the table's wording where it is fixed."""
    if "code" not in body:
        if status == 401 and isinstance(body.get("error"), dict):
            return  # DMXAPI's own refusal of a token, documented as such
        yield "response.code", "not a Kling envelope (no code)"
        return
    code = body["code"]
    if not isinstance(code, int) or isinstance(code, bool):
        yield "response.code", f"code {code!r} is not an integer"
        return
    if code == 0:
        if status != 200:
            yield "response.code", f"code 0 with HTTP {status}"
        return
    row = catalogue.get(code)
    if row is None:
        yield "response.code", f"code {code} is not in the spec's code table"
        return
    allowed = (row.http_status, *row.also_http_status)
    if status not in allowed:
        yield "response.code", f"code {code} came with HTTP {status}; the table says {row.http_status}"
    message = body.get("message")
    if row.category not in _FREE_WORDING and isinstance(message, str) and not message.startswith(row.message):
        yield "response.message", f"code {code} says {message!r}; the code table words it {row.message!r}"


def _lifecycle(sightings: list[Mapping[str, Any]]) -> Iterator[str]:
    """What breaks a task's life, over its sightings in recorded order."""
    previous: Mapping[str, Any] | None = None
    for task in sightings:
        status = task.get("task_status")
        if status == "succeed" and not _has_result(task):
            yield "succeed without a result video"
        if status == "failed" and not task.get("task_status_msg"):
            yield "failed without task_status_msg"
        if previous is not None:
            before = previous.get("task_status")
            if before in _FINISHED and status != before:
                yield f"{before} then {status}: a finished task's status is final"
            elif _ORDER.get(str(status), 0) < _ORDER.get(str(before), 0):
                yield f"{before} then {status}: statuses only move forward"
            if "created_at" in task and "created_at" in previous and task["created_at"] != previous["created_at"]:
                yield f"created_at changed from {previous['created_at']} to {task['created_at']}"
            earlier, later = previous.get("updated_at"), task.get("updated_at")
            if isinstance(earlier, int) and isinstance(later, int) and later < earlier:
                yield f"updated_at went back from {earlier} to {later}"
        previous = task


def _has_result(task: Mapping[str, Any]) -> bool:
    result = task.get("task_result")
    return isinstance(result, dict) and any(isinstance(v, list) and v for v in result.values())


def build_parser(prog: str = "kling-lipsync check-recording") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check every recorded exchange (kling-lipsync record, vcrpy cassettes) against openapi.yaml.",
        epilog="exit codes: 0 no differences; 1 differences (one row each); 2 not a folder of cassettes.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="A folder of cassettes (*.yaml, sub-folders too).")
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "kling-lipsync check-recording") -> int:
    """Check and print; the exit code (0 no differences, 1 differences, 2 not a folder of cassettes)."""
    args = build_parser(prog).parse_args(argv)
    try:
        interactions = [item for _path, _meta, items in load_folder(args.folder) for item in items]
    except CassetteError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    checked, differences = check_interactions(interactions)
    if not differences:
        print(f"{checked} exchanges checked against openapi.yaml: no differences")
        return 0
    rows = [("OPERATION", "STATUS", "WHERE", "WHAT", "EXCHANGE")] + [
        (d.operation, d.status, d.where, d.what, d.origin) for d in differences
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)).rstrip())
    print(f"{len(differences)} difference{'s' if len(differences) > 1 else ''} in {checked} exchanges checked")
    return 1
