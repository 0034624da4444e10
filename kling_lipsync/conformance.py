"""Does an answer say what openapi.yaml says? Every answer of the in-process mock, checked in your tests.

The ``kling_mock`` fixture checks each answer its mock gives during a test (turn it off for one test with
``@pytest.mark.kling_lenient``): the operation documents the status, the body is JSON its schema accepts.
It needs only what the package needs (the spec and jsonschema-rs). The toolkit's own suite checks more
strictly still, with openapi-core (undocumented properties forbidden, documented ones required).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from kling_spec import compile_schema, iter_operations, load_spec

__all__ = ["SpecConformance", "spec_path"]

# The mock serves the spec's paths under each gateway's prefix and behind a scenario prefix.
_PREFIX = re.compile(r"^(/scenario/[^/]+)?(/kling)?(?=/v1/)")


def spec_path(path: str) -> str:
    """The spec's path for a path the mock serves (``/scenario/x/kling/v1/...`` -> ``/v1/...``)."""
    return _PREFIX.sub("", path)


class SpecConformance:
    """Collects every way an answer differs from the spec; ``violations`` lists them, one line each."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.checked = 0

    def errors(self, method: str, url: str, status: int, content_type: str, body: bytes) -> list[str]:
        """What is wrong with one answer; empty when the spec allows it (or it is not an API operation)."""
        path = spec_path(urlsplit(url).path)
        operation = _operation(method.lower(), path)
        if operation is None:
            return []  # the admin API, or a path or method the API does not have (the mock answers 404)
        self.checked += 1
        where = f"{method} {path} -> {status}"
        validators = _responses(operation)
        validator = validators.get(str(status), validators.get(f"{status // 100}XX", validators.get("default")))
        if validator is None:
            return [f"{where}: status not documented for {operation}"]
        if not content_type.startswith("application/json"):
            return [f"{where}: content type {content_type!r}, the spec says application/json"]
        try:
            document = json.loads(body)
        except ValueError:
            return [f"{where}: the body is not JSON"]
        if validator is True:
            return []
        found = [error.message for error in validator.iter_errors(document)]
        return [f"{where}: {'; '.join(found[:3])}"] if found else []

    def observe(self, request: httpx.Request, response: httpx.Response) -> None:
        """A ``KlingMock`` observer: record what is wrong with each exchange."""
        content_type = response.headers.get("content-type", "")
        self.violations.extend(
            self.errors(request.method, str(request.url), response.status_code, content_type, response.content)
        )


@functools.cache
def _templates() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """``(path regex, method, operationId)`` of every operation of the spec."""
    found = []
    for path, method, operation in iter_operations():
        pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
        found.append((pattern, method, operation["operationId"]))
    return tuple(found)


def _operation(method: str, path: str) -> str | None:
    for pattern, candidate, operation_id in _templates():
        if candidate == method and pattern.match(path):
            return operation_id
    return None


@functools.cache
def _responses(operation_id: str) -> Mapping[str, Any]:
    """Per documented status: a compiled validator of its JSON body, or True when it has no schema."""
    spec = load_spec()
    operation = next(op for _, _, op in iter_operations(spec) if op["operationId"] == operation_id)
    validators: dict[str, Any] = {}
    for status, response in operation["responses"].items():
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        validators[str(status)] = compile_schema(schema, spec) if schema is not None else True
    return validators
