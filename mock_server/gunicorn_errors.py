"""Gunicorn's own error answers, in the Kling envelope instead of an HTML page.

Gunicorn answers requests it cannot parse (a header too large, a malformed request line) before the app
sees them, with an HTML page. ``gunicorn.conf.py`` installs ``write_error`` in its place, so every answer
of the mock, even those, is JSON with a ``request_id``.
"""

from __future__ import annotations

import json
import socket
import uuid

from gunicorn import util

from .errors import CATALOGUE

__all__ = ["install", "write_error"]


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
    util.write_error = write_error
