"""The OpenAPI document, loaded once, and what the rest of the toolkit reads from it.

Everything that states a rule of the API (limits, enums, error codes, their HTTP statuses and messages,
the families of operations) comes from ``openapi.yaml`` through this package, so no rule is written twice
in Python. It is the leaf both the client layer (``kling_lipsync``) and the mock (``mock_server``) import:
it needs only PyYAML and jsonschema-rs (and mutagen, when audio is measured), never httpx, Flask or the
generated client.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

__all__ = [
    "SPEC_PATH",
    "ErrorCode",
    "compile_schema",
    "error_catalogue",
    "iter_operations",
    "load_spec",
    "resolve",
    "response_examples",
    "schema_validator",
    "task_statuses",
    "typical_codes",
]

#: The document shipped with the package (in the repository, a link to the root ``openapi.yaml``).
SPEC_PATH = Path(__file__).with_name("openapi.yaml")

_JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> Mapping[str, Any]:
    """Parse the OpenAPI document (YAML anchors resolved) once per path."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=loader)
    return document


def compile_schema(schema: Mapping[str, Any], spec: Mapping[str, Any] | None = None) -> Any:
    """Compile a JSON Schema validator for a schema of the document (its ``$ref``s resolve inside it)."""
    document = load_spec() if spec is None else spec
    root = {"$schema": _JSON_SCHEMA_DIALECT, **schema, "components": document["components"]}
    # `format` is asserted, not just annotated: a value the spec calls invalid must be refused.
    return jsonschema_rs.validator_for(root, validate_formats=True)


def schema_validator(name: str, spec: Mapping[str, Any] | None = None) -> Any:
    """Compile a validator for ``components.schemas[name]``."""
    return compile_schema({"$ref": f"#/components/schemas/{name}"}, spec)


@dataclass(frozen=True)
class ErrorCode:
    """One row of the Kling business-code table (``x-kling-error-codes``)."""

    code: int
    http_status: int
    category: str
    message: str
    meaning_en: str
    meaning_zh: str
    also_http_status: tuple[int, ...] = ()

    @property
    def http_statuses(self) -> tuple[int, ...]:
        """Every HTTP status this code may come with: its own first."""
        return (self.http_status, *self.also_http_status)


@functools.cache
def error_catalogue(path: Path = SPEC_PATH) -> Mapping[int, ErrorCode]:
    """The business codes of the spec, by code."""
    rows = load_spec(path)["x-kling-error-codes"]
    return {
        row["code"]: ErrorCode(
            code=row["code"],
            http_status=row["http_status"],
            category=row["category"],
            message=row["message"],
            meaning_en=row["meaning_en"],
            meaning_zh=row["meaning_zh"],
            also_http_status=tuple(row.get("also_http_status", ())),
        )
        for row in rows
    }


def iter_operations(
    spec: Mapping[str, Any] | None = None,
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Yield ``(path, method, operation)`` for every operation of the document."""
    document = load_spec() if spec is None else spec
    for path, item in document["paths"].items():
        for method in _HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


@functools.cache
def task_statuses() -> tuple[str, ...]:
    """The spec's ``TaskStatus`` enum, in its order (submitted, processing, succeed, failed)."""
    return tuple(load_spec()["components"]["schemas"]["TaskStatus"]["enum"])


@functools.cache
def typical_codes() -> Mapping[int, int]:
    """HTTP status -> its most typical Kling code (``x-kling-typical-codes``)."""
    return {int(status): code for status, code in load_spec()["x-kling-typical-codes"].items()}


def resolve(node: Mapping[str, Any], document: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref``s (a Response, Example, Parameter or Schema object) to their target in ``document``."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def response_examples(
    operation: Mapping[str, Any], spec: Mapping[str, Any] | None = None
) -> dict[str, tuple[int, Any]]:
    """An operation's named response examples: name -> (HTTP status, body), in the document's order."""
    document = load_spec() if spec is None else spec
    found: dict[str, tuple[int, Any]] = {}
    for status, response in operation["responses"].items():
        for media in resolve(response, document).get("content", {}).values():
            for name, example in media.get("examples", {}).items():
                found.setdefault(name, (int(status), resolve(example, document)["value"]))
    return found
