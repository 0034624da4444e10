"""admin.yaml, the admin API's OpenAPI document, loaded once: its operations and compiled schemas.

A leaf (PyYAML and jsonschema-rs through ``kling_spec``), so that any module of the mock may read the admin
document's rules, scenarios included, without importing Flask-side modules.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kling_spec import compile_schema, resolve as resolve_in

__all__ = ["ADMIN_SPEC", "COMPONENTS", "document", "operation", "property_default", "resolve", "schema_validator"]

ADMIN_SPEC = Path(__file__).with_name("admin.yaml")
_DOCUMENT: Mapping[str, Any] = yaml.safe_load(ADMIN_SPEC.read_text(encoding="utf-8"))
#: For compile_schema, which resolves `$ref`s inside the document it is given: the admin document's components.
COMPONENTS = {"components": _DOCUMENT["components"]}


def operation(operation_id: str) -> Mapping[str, Any]:
    """The admin operation ``operation_id`` of admin.yaml (``KeyError`` if it documents none)."""
    for item in _DOCUMENT["paths"].values():
        for method, found in item.items():
            if method != "parameters" and found.get("operationId") == operation_id:
                return found  # type: ignore[no-any-return]
    raise KeyError(f"admin.yaml has no operation {operation_id!r}")


def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    """A parameter, or the component a ``$ref`` names (admin.yaml refers only inside itself)."""
    return resolve_in(node, _DOCUMENT)


def document() -> Mapping[str, Any]:
    """The whole admin document."""
    return _DOCUMENT


@functools.cache
def schema_validator(schema_name: str) -> Any:
    """A compiled validator for ``components.schemas[schema_name]`` of admin.yaml."""
    return compile_schema({"$ref": f"#/components/schemas/{schema_name}"}, COMPONENTS)


def property_default(schema_name: str, name: str) -> Any:
    """The ``default`` admin.yaml gives property ``name`` of ``components.schemas[schema_name]``."""
    return _DOCUMENT["components"]["schemas"][schema_name]["properties"][name]["default"]
