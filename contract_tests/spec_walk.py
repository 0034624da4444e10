"""Walk the spec for its named examples, so tests can be parametrized over every one of them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kling_spec import iter_operations, load_spec, resolve


@dataclass(frozen=True)
class NamedExample:
    """A named example of a media type, with where it sits and the schema it must satisfy."""

    where: str  # e.g. "get_lip_sync_task 200 succeed"
    operation_id: str
    status: int | None  # None for a request body
    name: str
    schema: Mapping[str, Any]
    value: Any


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


def _evaluate(template: Any, answer: Any) -> Any:
    """A link's value with its ``$response.body#/...`` expressions read from ``answer`` (JSON pointers)."""
    if isinstance(template, str) and template.startswith("$response.body#"):
        value = answer
        for part in template.removeprefix("$response.body#").strip("/").split("/"):
            value = value[int(part)] if isinstance(value, list) else value[part]
        return value
    if isinstance(template, dict):
        return {key: _evaluate(value, answer) for key, value in template.items()}
    if isinstance(template, list):
        return [_evaluate(value, answer) for value in template]
    return template


def link_request_body(operation: Mapping[str, Any], answer: Any, target_operation_id: str) -> Any:
    """The body the spec's link from ``operation``'s 200 answer to ``target_operation_id`` makes of ``answer``."""
    links = operation["responses"]["200"].get("links", {})
    for link in links.values():
        if link.get("operationId") == target_operation_id and "requestBody" in link:
            return _evaluate(link["requestBody"], answer)
    raise KeyError(f"{operation['operationId']} has no link with a request body to {target_operation_id}")
