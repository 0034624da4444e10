"""The production server's front: a request's body arrives whole, within a deadline, before the app runs.

granian's WSGI interface hands the app a body that the app's own thread reads from the socket, so a client
that sends its body slowly holds that thread for as long as it likes (issue 21: one such client made 7 of
16 other requests time out, 8 of them all). The mock is served through granian's RSGI interface instead:
the body is received on the worker's event loop, where a slow client costs a coroutine, not a thread, and
only a request whose body has arrived reaches the WSGI app:

* a body that takes longer than ``body_timeout_seconds`` is answered 408 in Kling's envelope (code 1200,
  the spec's typical code of 408) by the front itself, and the connection closes; the app never sees it;
* a body whose ``Content-Length`` is over the limit is not read: the app answers 413 from the header;
* a chunked body is read until it passes the limit, then the app is told its length so far and answers
  413 as well (what came is not kept).

The app runs on the event loop's thread (one app thread a process, which measured fastest), or, with
``--threads N`` above 1, in a pool of N threads. A delay or dribble the app asks for (``wire.py``) is
waited out here, asynchronously, so a slow answer holds no thread either.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import orjson

from kling_spec import typical_codes

from .errors import CATALOGUE, new_request_id
from .wire import EFFECT, FRONT, WireEffect, dribble_pieces

__all__ = ["Front"]

log = logging.getLogger("mock_server.front")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: What the front answers a body that did not arrive in time: 408 and the spec's typical code for it, which
#: is also its code for a body that cannot be read (with that code's own status).
_LATE_STATUS = 408
_BODY_CODE = typical_codes()[_LATE_STATUS]


class _Scope(Protocol):
    """The part of granian's RSGI HTTP scope the front reads."""

    proto: str
    http_version: str
    server: str
    client: str
    scheme: str
    method: str
    path: str
    query_string: str
    headers: Any


class Front:
    """An RSGI application (granian's ``--interface rsgi``) that serves a WSGI app to whole requests only."""

    def __init__(self, app: WsgiApp, *, max_body_bytes: int, body_timeout_seconds: float, threads: int = 1) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_seconds = body_timeout_seconds
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="kling-mock-app") if threads > 1 else None

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        pass

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    async def __rsgi__(self, scope: _Scope, protocol: Any) -> None:
        if scope.proto != "http":  # granian is started without websockets; nothing else arrives
            return
        try:
            async with asyncio.timeout(self.body_timeout_seconds):
                body = await self._receive(scope.headers, protocol)
        except TimeoutError:
            seconds = self.body_timeout_seconds
            log.warning("%s %s: 408, the body did not arrive within %g s", scope.method, scope.path, seconds)
            refusal = _refusal(f"the request body did not arrive within {seconds:g} s")
            protocol.response_bytes(_LATE_STATUS, [*_JSON, ("connection", "close")], refusal)
            return
        except Exception:  # a broken chunk, or the client gone (granian raises its own error)
            refusal = _refusal("the request body could not be read")
            protocol.response_bytes(CATALOGUE[_BODY_CODE].http_status, [*_JSON, ("connection", "close")], refusal)
            return
        unread = isinstance(body, int)
        if isinstance(body, int):
            # Over the limit: the app refuses it from its length (413), unread.
            environ = _environ(scope, b"")
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["CONTENT_LENGTH"] = str(body)
        else:
            environ = _environ(scope, body)
        if self._pool is None:
            status, headers, content = self._call(environ)
        else:
            status, headers, content = await asyncio.get_running_loop().run_in_executor(self._pool, self._call, environ)
        if unread:  # the rest of the body is still on the connection: it cannot carry another request
            headers = [*headers, ("connection", "close")]
        effect: WireEffect | None = environ.get(EFFECT)
        if effect is None:
            protocol.response_bytes(status, headers, content)
            return
        if effect.delay_ms:
            await asyncio.sleep(effect.delay_ms / 1000)
        if effect.fault != "dribble":
            protocol.response_bytes(status, headers, content)
            return
        await _dribble(protocol.response_stream(status, headers), content, effect.dribble_seconds)

    async def _receive(self, headers: Any, protocol: Any) -> bytes | int:
        """The body, whole; or, for a body over the limit, its length (a chunked one's so far), unread (what
        came of a chunked one is not kept: 11 MiB bodies must not pile up)."""
        length = headers.get("content-length")
        if length is None:
            if "transfer-encoding" not in headers:
                return b""
            chunks: list[bytes] = []
            received = 0
            async for chunk in protocol:
                received += len(chunk)
                if received > self.max_body_bytes:
                    return received
                chunks.append(chunk)
            return b"".join(chunks)
        if not length.isdigit():
            return b""  # the app refuses the header (hyper refuses most such heads before)
        if int(length) > self.max_body_bytes:
            return int(length)
        body: bytes = await protocol()
        return body

    def _call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            started[:] = [status, headers]

        result = self.app(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return int(status[:3]), headers, content


_JSON = [("content-type", "application/json")]


def _refusal(why: str) -> bytes:
    """Kling's envelope for a body the front could not have."""
    message = f"{CATALOGUE[_BODY_CODE].message}: {why}"
    return orjson.dumps({"code": _BODY_CODE, "message": message, "request_id": new_request_id()})


def _environ(scope: _Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of a request granian has parsed, as its WSGI interface would build it."""
    server_host, _, server_port = scope.server.rpartition(":")
    client_host, _, client_port = scope.client.rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # PEP 3333: the decoded path's bytes, as latin-1 (granian gives it decoded as UTF-8).
        "PATH_INFO": scope.path.encode().decode("latin1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_PROTOCOL": "HTTP/" + scope.http_version,
        "SERVER_NAME": server_host.strip("[]"),
        "SERVER_PORT": server_port,
        "REMOTE_ADDR": client_host.strip("[]"),
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,  # the body is whole: read it to its end, whatever the headers say
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        FRONT: True,
    }
    for name, value in scope.headers.items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


async def _dribble(transport: Any, content: bytes, seconds: float) -> None:
    """The body in pieces, the first at once and the last ``seconds`` later (as ``wire`` does, without a thread)."""
    pieces, pause = dribble_pieces(content, seconds)
    for index, piece in enumerate(pieces):
        if index:
            await asyncio.sleep(pause)
        await transport.send_bytes(piece)
