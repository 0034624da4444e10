"""Gunicorn's own error answers, in the Kling envelope instead of an HTML page or a 500.

Gunicorn answers requests it cannot parse (a malformed request line, a bad header, a header or request
line over its limits) before the app sees them, with an HTML page. ``gunicorn_conf`` installs
``write_error`` in its place, so every answer of the mock, even those, is JSON with a ``request_id``.

A body gunicorn cannot read (a chunk size that is not hexadecimal, a chunk without its CRLF) shows only
when the app reads it: gunicorn raises its parse error from ``wsgi.input``, which the app would answer as
its own failure (500 / 5000). ``ReadableBody`` turns it into Werkzeug's ``BadRequest``, which the app
answers 400 / 1200 like any other unreadable request.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from gunicorn import util
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import BadRequest

from .errors import CATALOGUE

__all__ = ["ReadableBody", "install", "write_error"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Answer 400 / 1200 for a request gunicorn refused, 500 / 5000 for its own failure."""
    code = 5000 if status_int >= 500 and status_int != 501 else 1200
    status = CATALOGUE[code].http_status
    message = CATALOGUE[code].message + (f": {reason}" if reason else "") + (f" ({mesg})" if mesg else "")
    body = json.dumps({"code": code, "message": message, "request_id": str(uuid.uuid4())}).encode()
    head = (
        f"HTTP/1.1 {status} {'Bad Request' if status == 400 else 'Internal Server Error'}\r\n"
        "Connection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    """Make gunicorn answer the requests it refuses with ``write_error``."""
    util.write_error = write_error


class ReadableBody:
    """WSGI middleware: a request body gunicorn cannot read reaches the app as ``BadRequest`` (400 / 1200)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"] = _Input(environ["wsgi.input"])
        return self.app(environ, start_response)


@contextmanager
def _unreadable_is_a_bad_request() -> Iterator[None]:
    try:
        yield
    except ParseException as exc:
        raise BadRequest(f"unreadable request body: {exc}") from exc


class _Input:
    """gunicorn's ``wsgi.input``, its parse errors raised as ``BadRequest``."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int | None = None) -> bytes:
        with _unreadable_is_a_bad_request():
            data: bytes = self._body.read(size)
            return data

    def readline(self, size: int | None = None) -> bytes:
        with _unreadable_is_a_bad_request():
            line: bytes = self._body.readline(size)
            return line

    def readlines(self, hint: int | None = None) -> list[bytes]:
        with _unreadable_is_a_bad_request():
            lines: list[bytes] = self._body.readlines(hint)
            return lines

    def __iter__(self) -> Iterator[bytes]:
        with _unreadable_is_a_bad_request():
            yield from self._body
