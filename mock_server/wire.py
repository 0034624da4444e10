"""What happens to an answer on its way to the client: transport faults, delays, a body that dribbles.

The app decides (a scenario, a poll of a planned task, chaos) and leaves a ``WireEffect`` in the request's
WSGI environ; ``Wire``, a WSGI middleware around the app, carries it out:

* under a server that lends the connection (gunicorn puts its socket in ``environ["gunicorn.socket"]``),
  on the socket itself: a TCP reset, a close before any byte, a broken chunk, bytes that are not HTTP;
* in process (``KlingMock``; ``environ[IN_PROCESS]``), as a header that the in-process transport turns into
  the error ``httpx`` raises for that fault on a real socket (``kling_lipsync.testing``), so no test waits;
* delays and dribbling on any server, by waiting (real time); behind the production server's front
  (``front.py``, ``environ[FRONT]``) the front waits, on its event loop, and no thread is held.

granian lends no connection, so a request asking it for a socket fault is refused (400 / 1201) with the
command that can do it; chaos then draws only what the server can do.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

__all__ = [
    "DRIBBLE_PIECES",
    "EFFECT",
    "FAULT_HEADER",
    "FRONT",
    "IN_PROCESS",
    "SOCKET_HINT",
    "Wire",
    "WireEffect",
    "dribble_pieces",
    "lends_connection",
    "parse_header",
]

#: The environ key ``KlingMock`` sets: the app runs in the test's process, behind an httpx transport.
IN_PROCESS = "kling_mock.in_process"
#: The environ key the app leaves its ``WireEffect`` under.
EFFECT = "kling_mock.wire"
#: The environ key ``front.Front`` sets: it carries out delays and dribbling itself, without a thread.
FRONT = "kling_mock.front"
#: In process: the fault and its timing, for the transport (``fault=NAME; delay_ms=N; dribble_ms=N``).
FAULT_HEADER = "X-Kling-Mock-Wire"
#: What a request asking granian for a socket fault is told.
SOCKET_HINT = (
    "needs a server that lends its connection: serve the mock with gunicorn (kling-lipsync mock --server "
    "gunicorn, or gunicorn -c python:mock_server.gunicorn_conf 'mock_server:create_app()') or use KlingMock in process"
)
DRIBBLE_PIECES = 8
_LINGER_RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST instead of FIN

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class WireEffect:
    """How the answer travels: a fault (``scenarios.FAULTS``) or none, late by ``delay_ms``."""

    fault: str | None = None
    delay_ms: float = 0.0
    dribble_seconds: float = 0.0

    @property
    def replaces_answer(self) -> bool:
        """Whether the client gets no HTTP answer at all (every fault but ``dribble``)."""
        return self.fault is not None and self.fault != "dribble"

    def header(self) -> str:
        return f"fault={self.fault or ''}; delay_ms={self.delay_ms:g}; dribble_ms={self.dribble_seconds * 1000:g}"


def parse_header(value: str) -> WireEffect:
    """The effect a ``FAULT_HEADER`` carries (the in-process transport's side)."""
    parts = dict(part.strip().partition("=")[::2] for part in value.split(";"))
    return WireEffect(
        fault=parts.get("fault") or None,
        delay_ms=float(parts.get("delay_ms", 0)),
        dribble_seconds=float(parts.get("dribble_ms", 0)) / 1000,
    )


def lends_connection(environ: Mapping[str, Any]) -> bool:
    """Whether this request's server lets the mock break the connection (gunicorn, or in process)."""
    return bool(environ.get(IN_PROCESS)) or "gunicorn.socket" in environ


class Wire:
    """WSGI middleware: passes answers through untouched unless the app left a ``WireEffect``."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        held: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # The app's after-request hook has run by now: an answer without an effect goes straight out.
            if EFFECT not in environ:
                return start_response(status, headers, exc_info)
            held[:] = [status, headers]
            return lambda data: None  # WSGI's write(), which Flask never uses

        body = self.app(environ, start)
        effect: WireEffect | None = environ.get(EFFECT)
        if effect is None:
            return body
        status, headers = held
        if environ.get(IN_PROCESS):
            start_response(status, [*headers, (FAULT_HEADER, effect.header())])
            return body
        if environ.get(FRONT):  # the front waits, asynchronously; no socket fault reaches it (not lent)
            start_response(status, headers)
            return body
        if effect.delay_ms:
            time.sleep(effect.delay_ms / 1000)
        if effect.fault is None:
            start_response(status, headers)
            return body
        content = b"".join(body)
        if hasattr(body, "close"):
            body.close()
        if effect.fault == "dribble":
            start_response(status, headers)
            return _dribble(content, effect.dribble_seconds)
        # The whole request is read first: the client has finished sending, so it meets the fault when it
        # reads the answer (a reset that arrived while it was still sending would show as a mere close).
        environ["wsgi.input"].read()
        _break(environ["gunicorn.socket"], effect.fault, content)


def dribble_pieces(content: bytes, seconds: float) -> tuple[list[bytes], float]:
    """The body in ``DRIBBLE_PIECES`` pieces and the pause between two, so the last comes ``seconds`` late."""
    size = max(1, -(-len(content) // DRIBBLE_PIECES))
    pieces = [content[i : i + size] for i in range(0, len(content), size)] or [b""]
    return pieces, seconds / max(1, len(pieces) - 1)


def _dribble(content: bytes, seconds: float) -> Iterator[bytes]:
    """The body in pieces, the first at once and the last ``seconds`` later."""
    pieces, pause = dribble_pieces(content, seconds)
    for index, piece in enumerate(pieces):
        if index:
            time.sleep(pause)
        yield piece


def _break(sock: socket.socket, fault: str, content: bytes) -> NoReturn:
    """Carry out a socket fault, then raise the error gunicorn takes for a client gone (it closes quietly)."""
    if fault == "connection-reset":
        # A close with SO_LINGER 0 sends RST. The connection is closed under gunicorn's feet by putting an
        # unconnected socket on its file descriptor: gunicorn's own close then finds nothing to say goodbye to.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        with socket.socket(sock.family, socket.SOCK_STREAM) as unconnected:
            os.dup2(unconnected.fileno(), sock.fileno())
        raise ConnectionResetError(errno.ECONNRESET, "kling mock: connection-reset")
    if fault == "random-data-then-close":
        # A line of noise, ended like a status line, so that a client reads it and says what it is.
        sock.sendall(os.urandom(48).replace(b"\r", b"").replace(b"\n", b"") + b"\r\n\r\n")
    elif fault == "malformed-chunk":
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        # A chunk that announces more than it holds, in a size line that is not hexadecimal.
        sock.sendall(head + b"7z\r\n" + content[: len(content) // 2])
    raise BrokenPipeError(errno.EPIPE, f"kling mock: {fault}")
