"""The families of operations the spec defines, found through ``x-kling-family`` and ``x-kling-role``.

A family is one API flow (``lip-sync``, ``advanced-lip-sync``, ``tts``). Each of its operations has a role:
``create``, ``get`` and ``list`` for a family of asynchronous tasks, ``session`` for the synchronous step
some families take first (``identify-face`` opens the session an advanced task names), and ``synchronous``
for a call answered whole at once, with nothing to query later (text-to-speech). Everything else in
the toolkit (the mock's routes and validation, the tests' expectations) asks this registry for a family's
paths and schemas instead of writing them again.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kling_spec import iter_operations, load_spec

__all__ = ["ROLES", "Family", "Operation", "families", "family", "task_families"]

#: The roles an operation may have in its family.
ROLES = ("create", "get", "list", "session", "synchronous")


@dataclass(frozen=True)
class Operation:
    """One operation of a family: where it lives and what the spec says of it."""

    path: str
    method: str
    operation_id: str
    spec: Mapping[str, Any]

    @property
    def request_schema(self) -> Mapping[str, Any] | None:
        body = self.spec.get("requestBody")
        return body["content"]["application/json"]["schema"] if body else None

    @property
    def path_aliases(self) -> tuple[str, ...]:
        """Other spellings of the path the service answers too (``x-kling-path-aliases``)."""
        return tuple(self.spec.get("x-kling-path-aliases", ()))

    @property
    def rules_beyond_schema(self) -> bool:
        """Whether the operation refuses some bodies its schema accepts (``x-kling-rules-beyond-schema``)."""
        return bool(self.spec.get("x-kling-rules-beyond-schema", False))

    @property
    def query_parameters(self) -> Mapping[str, Mapping[str, Any]]:
        """The query parameters' schemas by name (``pageNum``, ``pageSize`` ...)."""
        return {p["name"]: p["schema"] for p in self.spec.get("parameters", ()) if p.get("in") == "query"}


@dataclass(frozen=True)
class Family:
    """An API flow and its operations by role."""

    name: str
    operations: Mapping[str, Operation]

    def operation(self, role: str) -> Operation:
        found = self.operations.get(role)
        if found is None:
            raise KeyError(f"family {self.name!r} has no {role!r} operation")
        return found

    def has(self, role: str) -> bool:
        return role in self.operations

    @property
    def has_tasks(self) -> bool:
        """Whether the family makes tasks to query later (roles ``create``, ``get``, ``list``)."""
        return "create" in self.operations

    @property
    def collection_path(self) -> str:
        """The path tasks are created at and listed from."""
        return self.operation("create").path

    @property
    def task_path(self) -> str:
        """The path of one task, with the spec's ``{task_id}`` parameter."""
        return self.operation("get").path


def families(spec: Mapping[str, Any] | None = None) -> Mapping[str, Family]:
    """Every family of the spec (the shipped one by default), by name, in the order the spec names them."""
    return _shipped_families() if spec is None else _families_of(spec)


@functools.cache
def _shipped_families() -> Mapping[str, Family]:
    return _families_of(load_spec())


def _families_of(document: Mapping[str, Any]) -> Mapping[str, Family]:
    found: dict[str, dict[str, Operation]] = {}
    for path, method, operation in iter_operations(document):
        name = operation.get("x-kling-family")
        if name is None:
            continue
        role = operation.get("x-kling-role")
        if role not in ROLES:
            raise ValueError(f"{method.upper()} {path}: x-kling-role must be one of {ROLES}, not {role!r}")
        roles = found.setdefault(name, {})
        if role in roles:
            raise ValueError(f"family {name!r} has two {role!r} operations")
        roles[role] = Operation(path, method, operation["operationId"], operation)
    return MappingProxyType({name: Family(name, MappingProxyType(roles)) for name, roles in found.items()})


def task_families(spec: Mapping[str, Any] | None = None) -> Mapping[str, Family]:
    """The families of asynchronous tasks (``lip-sync``, ``advanced-lip-sync``): those a task id can be of."""
    return MappingProxyType({name: found for name, found in families(spec).items() if found.has_tasks})


def family(name: str) -> Family:
    """The family ``name`` (``KeyError`` naming the known ones if there is none)."""
    known = families()
    if name not in known:
        raise KeyError(f"no family {name!r} in the spec; known: {', '.join(known)}")
    return known[name]
