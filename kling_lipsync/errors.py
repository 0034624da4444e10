"""Exceptions of the client. Every one carries what the service said, never a token.

::

    KlingError                      anything this package raises
    ├── TransportError              no answer: connection refused, reset, timed out
    ├── APIError                    an answer in the Kling envelope (or the proxy's), with code and request_id
    │   ├── AuthenticationError     1000-1004, or the proxy rejected the token
    │   ├── AccountError            1100-1103: account state, balance, permission
    │   ├── InvalidRequestError     1200-1203: a bad request, an unknown task or method
    │   ├── PolicyError             1300, 1301, 1304: platform or content policy, IP allow list
    │   ├── RateLimitError          1302, 1303: too fast, too many tasks in flight (retryable)
    │   ├── ServerError             5000-5002 (retryable)
    │   └── UnexpectedResponse      an answer the spec does not describe
    ├── LocalFileError              a local file is unusable: missing, a folder, unreadable, unwritable
    │   └── AudioFileError          ... or not MP3/WAV/M4A/AAC audio within the size limit
    ├── TaskFailed                  the task ended in ``failed``; ``message`` is the service's reason
    ├── TaskNotFinished             the task has no result yet (``download`` before it ended)
    └── WaitTimeout                 the task had not ended by the deadline
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kling_spec import error_catalogue

__all__ = [
    "APIError",
    "AccountError",
    "AnswerLost",
    "AudioFileError",
    "AuthenticationError",
    "InvalidRequestError",
    "KlingError",
    "LocalFileError",
    "PolicyError",
    "RateLimitError",
    "ServerError",
    "TaskFailed",
    "TaskNotFinished",
    "TransportError",
    "UnexpectedResponse",
    "WaitTimeout",
    "error_from_response",
]


class KlingError(Exception):
    """Base of every error this package raises."""


class TransportError(KlingError):
    """The request got no answer (connection refused or reset, timeout)."""


class AnswerLost(TransportError):
    """A create was sent and its answer lost (a reset, a timeout): the task may exist, so it was not sent again."""


class APIError(KlingError):
    """The service answered with an error envelope."""

    retryable = False

    def __init__(self, message: str, *, code: int | None, request_id: str | None, http_status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status

    def __str__(self) -> str:
        code = f"Kling {self.code}" if self.code is not None else "proxy"
        # The request id is what Kling's support asks for; "[request_id None]" would only be noise.
        request_id = f" [request_id {self.request_id}]" if self.request_id is not None else ""
        return f"{code} (HTTP {self.http_status}): {self.message}{request_id}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, http_status={self.http_status!r}, message={self.message!r})"


class AuthenticationError(APIError):
    """The token is missing, invalid, not yet valid or expired, or the proxy refused it."""


class AccountError(APIError):
    """The account is in a bad state, out of balance, or may not use this API."""


class InvalidRequestError(APIError):
    """The request is invalid, or names a task or method that does not exist."""


class PolicyError(APIError):
    """A platform, content or IP policy refused the request."""


class RateLimitError(APIError):
    """Too many requests, or too many tasks in flight; worth retrying later."""

    retryable = True


class ServerError(APIError):
    """The service failed, is in maintenance, or timed out; worth retrying later."""

    retryable = True


class UnexpectedResponse(APIError):
    """An answer the spec does not describe (not JSON, an unknown code or shape)."""


class LocalFileError(KlingError):
    """A local file cannot be used: missing, a folder, unreadable, or a destination that cannot be written."""


class AudioFileError(LocalFileError, ValueError):
    """A local audio file that the service would refuse (format or size), caught before sending."""


class TaskFailed(KlingError):
    """The task ended in ``failed``."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.task_id: str = task.task_id
        self.message: str = task.task_status_msg
        super().__init__(f"task {self.task_id} failed: {self.message}")


class TaskNotFinished(KlingError):
    """The task has no result yet: it is still ``submitted`` or ``processing``."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.task_id: str = task.task_id
        super().__init__(f"task {self.task_id} has not finished yet (status {task.task_status})")


class WaitTimeout(KlingError):
    """The task had not ended by the deadline; ``task`` is the last state seen (if any).

    ``last_error`` is why the last poll got no task, when it got none (the service down, rate limits).
    """

    def __init__(self, task_id: str, timeout: float, task: Any | None, *, last_error: KlingError | None = None) -> None:
        self.task_id = task_id
        self.task = task
        self.last_error = last_error
        status = getattr(task, "task_status", "unknown")
        message = f"task {task_id} still {status} after {timeout:g} s"
        super().__init__(f"{message}; last error: {last_error}" if last_error is not None else message)


#: The category of each code (``x-kling-error-codes`` in openapi.yaml) decides the class: one table, no if-chains.
_BY_CATEGORY: Mapping[str, type[APIError]] = {
    "authentication": AuthenticationError,
    "account": AccountError,
    "invalid_request": InvalidRequestError,
    "policy": PolicyError,
    "rate_limit": RateLimitError,
    "server": ServerError,
}
_CLASS_BY_CODE: Mapping[int, type[APIError]] = {
    code: _BY_CATEGORY[row.category] for code, row in error_catalogue().items()
}


def error_from_response(status: int, body: Any) -> APIError:
    """The most specific error for an answer: a Kling envelope, the proxy's 401 body, or anything else."""
    if isinstance(body, dict) and isinstance(body.get("code"), int) and body["code"] != 0:
        code: int = body["code"]
        cls = _CLASS_BY_CODE.get(code, UnexpectedResponse)
        return cls(str(body.get("message", "")), code=code, request_id=body.get("request_id"), http_status=status)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message", ""))
        cls = AuthenticationError if status == 401 else UnexpectedResponse
        return cls(message, code=None, request_id=_proxy_request_id(message), http_status=status)
    text = str(body)[:200]
    if status >= 500:
        return ServerError(text, code=None, request_id=None, http_status=status)
    return UnexpectedResponse(text, code=None, request_id=None, http_status=status)


def _proxy_request_id(message: str) -> str | None:
    marker = "(request id: "
    if marker in message:
        return message.split(marker, 1)[1].rstrip(")")
    return None
