"""The admin API's request rules, compiled from ``admin.yaml``: query parameters and JSON bodies.

``admin.yaml`` decides which query parameters an admin route takes, their types, bounds and defaults, and
what a body may hold; this module only reads them (no rule is retyped here) and words a broken one as the
Kling envelope's 400 / 1201. A query parameter the route does not document is refused, never ignored: a
misspelt filter that matched everything would pass a test that should fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from kling_spec import compile_schema

from .admin_spec import ADMIN_SPEC, COMPONENTS, operation, property_default, resolve, schema_validator
from .errors import ErrorAnswer

__all__ = ["ADMIN_SPEC", "QueryRules", "check_body", "operation", "property_default", "schema_validator"]


def check_body(validator: Any, body: Mapping[str, Any]) -> None:
    """Raise 400 / 1201 naming where ``body`` first breaks the schema and how."""
    errors = list(validator.iter_errors(body))
    if errors:
        error = errors[0]
        where = "/".join(str(part) for part in error.instance_path) or "body"
        raise ErrorAnswer(1201, f"{where}: {error.message}")


class QueryRules:
    """The query parameters of one admin operation: their names, integer or string values, bounds, defaults."""

    def __init__(self, operation_id: str) -> None:
        parameters = [resolve(p) for p in operation(operation_id).get("parameters", ())]
        self._schemas = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
        self._validators = {name: compile_schema(schema, COMPONENTS) for name, schema in self._schemas.items()}
        #: The parameter names, in the order admin.yaml lists them.
        self.names: tuple[str, ...] = tuple(self._schemas)

    def parse(self, args: MultiDict[str, str]) -> dict[str, Any]:
        """The given parameters as typed values, plus the documented defaults of the others.

        :raise ErrorAnswer: 1201 for a parameter the operation does not document, one given twice, or a
            value its schema refuses.
        """
        unknown = sorted(set(args) - set(self._schemas))
        if unknown:
            names = ", ".join(repr(name[:40]) for name in unknown[:5])
            raise ErrorAnswer(1201, f"unknown query parameter {names}; known: {', '.join(self.names)}")
        values: dict[str, Any] = {}
        for name, schema in self._schemas.items():
            given = args.getlist(name)
            if not given:
                if "default" in schema:
                    values[name] = schema["default"]
                continue
            if len(given) > 1:
                raise ErrorAnswer(1201, f"{name} is given {len(given)} times; give it once")
            values[name] = self._value(name, schema, given[0])
        return values

    def _value(self, name: str, schema: Mapping[str, Any], raw: str) -> Any:
        value: Any = raw
        if schema.get("type") == "integer":
            # int() alone would also take " 7", "7_000" and non-ASCII digits.
            digits = raw.removeprefix("-")
            try:
                if not (digits.isascii() and digits.isdigit()):
                    raise ValueError(raw)
                value = int(raw, 10)
            except ValueError:  # also a number of more digits than int() reads
                raise ErrorAnswer(1201, f"{name} value '{raw[:20]}' is not an integer") from None
        errors = list(self._validators[name].iter_errors(value))
        if errors:
            raise ErrorAnswer(1201, f"{name}: {errors[0].message}")
        return value
