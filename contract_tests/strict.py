"""Strict validation of the mock's answers against openapi.yaml with openapi-core.

Stricter than the spec itself: properties the spec does not document are forbidden and every documented
property is required, so the mock can only answer exactly what the spec says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

from kling_lipsync.conformance import spec_path
from kling_spec import SPEC_PATH

_SERVER = "http://127.0.0.1:8000"


@dataclass
class StrictResponseValidator:
    """Collects every way a response differs from the spec (as strictly as openapi-core can say)."""

    violations: list[str] = field(default_factory=list)
    checked: int = 0

    def __post_init__(self) -> None:
        config = Config(additional_properties_default_policy="forbid", response_properties_default_policy="required")
        self._openapi = OpenAPI.from_file_path(str(SPEC_PATH), config=config)

    def errors(self, method: str, url: str, status: int, content_type: str, body: bytes) -> list[str]:
        """What is wrong with one answer; empty when it is what the spec says (or not an operation of it)."""
        parts = urlsplit(url)
        path = spec_path(parts.path)
        if not path.startswith("/v1/"):
            return []
        request = MockRequest(_SERVER, method.lower(), path)
        response = MockResponse(body, status_code=status, content_type=content_type or "application/json")
        try:
            self._openapi.validate_response(request, response)
        except (PathNotFound, OperationNotFound):
            return []  # a path or method the API does not have: checked by the mock's own tests
        except Exception as exc:  # openapi-core raises a tree of validation errors
            return [f"{method} {parts.path} -> {status}: {exc}{_details(exc)}"]
        finally:
            self.checked += 1
        return []

    def observe(self, request: httpx.Request, response: httpx.Response) -> None:
        """A ``KlingMock`` observer: record what is wrong with each exchange."""
        self.violations.extend(
            self.errors(
                request.method,
                str(request.url),
                response.status_code,
                response.headers.get("content-type", ""),
                response.content,
            )
        )


def _details(exc: BaseException) -> str:
    """The schema errors under an openapi-core exception, which its message leaves out."""
    cause = exc.__cause__
    errors = getattr(cause, "schema_errors", None) or []
    return f" ({'; '.join(str(e.message) for e in errors)})" if errors else ""
