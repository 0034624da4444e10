"""Schemathesis checks that understand the Kling envelope; registered once, by name, on import.

Each states a property every answer of the API must have, and raises a typed ``Failure`` naming it.
They also run against real servers (``make contract``), where a failure is drift between the spec and
the service.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import schemathesis
from schemathesis.core.failures import Failure

from contract_tests.strict import StrictResponseValidator
from kling_spec import error_catalogue, load_spec

__all__ = [
    "CHECKS",
    "kling_code_matches_http_status",
    "request_id_is_present",
    "strictly_matches_the_spec",
    "task_status_is_known",
]

CATALOGUE = error_catalogue()
KNOWN_STATUSES = frozenset(load_spec()["components"]["schemas"]["TaskStatus"]["enum"])
_STRICT = StrictResponseValidator()


class EnvelopeMismatch(Failure):
    """An answer's business code and HTTP status disagree with the Kling table."""

    code: ClassVar[str] = "ST911"
    kind_title: ClassVar[str] = "Kling code and HTTP status disagree"


class MissingRequestId(Failure):
    """An answer carries no request id."""

    code: ClassVar[str] = "ST912"
    kind_title: ClassVar[str] = "No request_id"


class UnknownTaskStatus(Failure):
    """A task is in a status the spec does not know (drift)."""

    code: ClassVar[str] = "ST913"
    kind_title: ClassVar[str] = "Unknown task_status"


class StrictSchemaMismatch(Failure):
    """An answer has a property the spec does not document, or lacks one it does."""

    code: ClassVar[str] = "ST914"
    kind_title: ClassVar[str] = "Answer differs from the spec (strict)"


def _json(response: Any) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _operation(case: Any) -> str:
    return str(case.operation.label)


@schemathesis.check
def kling_code_matches_http_status(ctx: Any, response: Any, case: Any) -> None:
    """A Kling code comes with the HTTP status the table gives it; 0 only with 200; no unknown codes."""
    body = _json(response)
    if not isinstance(body, dict) or "code" not in body:
        if response.status_code == 401 and isinstance(body, dict) and "error" in body:
            return  # the proxy's own token rejection, documented as such
        raise EnvelopeMismatch(operation=_operation(case), message=f"not a Kling envelope: {response.content[:200]!r}")
    code, status = body["code"], response.status_code
    if code == 0:
        if status != 200:
            raise EnvelopeMismatch(operation=_operation(case), message=f"code 0 with HTTP {status}")
        return
    row = CATALOGUE.get(code)
    if row is None:
        raise EnvelopeMismatch(operation=_operation(case), message=f"code {code} is not in the Kling table")
    if status not in row.http_statuses:
        raise EnvelopeMismatch(
            operation=_operation(case), message=f"code {code} came with HTTP {status}, the table says {row.http_status}"
        )


@schemathesis.check
def request_id_is_present(ctx: Any, response: Any, case: Any) -> None:
    """Every answer names its request: ``request_id``, or the proxy's ``(request id: ...)``."""
    body = _json(response)
    if isinstance(body, dict) and isinstance(body.get("request_id"), str) and body["request_id"]:
        return
    if isinstance(body, dict) and "request id:" in str(body.get("error", {}).get("message", "")):
        return
    raise MissingRequestId(operation=_operation(case), message=f"{response.status_code}: {response.content[:200]!r}")


@schemathesis.check
def task_status_is_known(ctx: Any, response: Any, case: Any) -> None:
    """Every task is in one of the statuses the spec lists."""
    body = _json(response)
    data = body.get("data") if isinstance(body, dict) else None
    tasks = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    unknown = {t.get("task_status") for t in tasks if isinstance(t, dict)} - KNOWN_STATUSES - {None}
    if unknown:
        raise UnknownTaskStatus(operation=_operation(case), message=f"statuses {sorted(unknown)} are not in the spec")


@schemathesis.check
def strictly_matches_the_spec(ctx: Any, response: Any, case: Any) -> None:
    """No undocumented property, no documented property missing (openapi-core, strict policies)."""
    method = str(case.method)
    url = str(getattr(response.request, "url", case.formatted_path))
    errors = _STRICT.errors(
        method, url, response.status_code, response.headers.get("content-type", [""])[0], response.content
    )
    if errors:
        raise StrictSchemaMismatch(operation=_operation(case), message="\n".join(errors))


#: The checks of this module, by name, for ``case.call_and_validate(checks=...)``.
CHECKS = (kling_code_matches_http_status, request_id_is_present, task_status_is_known, strictly_matches_the_spec)
