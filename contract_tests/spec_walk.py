"""Walk the spec for its named examples, so tests can be parametrized over every one of them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kling_spec import iter_operations, load_spec


@dataclass(frozen=True)
class NamedExample:
    """A named example of a media type, with where it sits and the schema it must satisfy."""

    where: str  # e.g. "get_lip_sync_task 200 succeed"
    operation_id: str
    status: int | None  # None for a request body
    name: str
    schema: Mapping[str, Any]
    value: Any


def resolve(node: Mapping[str, Any], spec: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local ``$ref`` (an Example, Response or Parameter object) to its target."""
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _media_examples(
    content: Mapping[str, Any], spec: Mapping[str, Any]
) -> Iterator[tuple[str, Mapping[str, Any], Any]]:
    for media in content.values():
        for name, example in media.get("examples", {}).items():
            yield name, media["schema"], resolve(example, spec)["value"]


def named_examples(spec: Mapping[str, Any] | None = None) -> list[NamedExample]:
    """Every named request and response example of every operation, callbacks included."""
    document = load_spec() if spec is None else spec
    found: list[NamedExample] = []

    def collect(operation: Mapping[str, Any]) -> None:
        op_id = operation["operationId"]
        body = operation.get("requestBody")
        if body:
            for name, schema, value in _media_examples(resolve(body, document)["content"], document):
                found.append(NamedExample(f"{op_id} request {name}", op_id, None, name, schema, value))
        for status, response in operation["responses"].items():
            content = resolve(response, document).get("content", {})
            for name, schema, value in _media_examples(content, document):
                found.append(NamedExample(f"{op_id} {status} {name}", op_id, int(status), name, schema, value))
        for callback in operation.get("callbacks", {}).values():
            for item in callback.values():
                for sub in item.values():
                    collect(sub)

    for _, _, operation in iter_operations(document):
        collect(operation)
    return found
