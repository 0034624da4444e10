"""``kling-lipsync record``: a proxy that forwards each request to the real service and writes a cassette.

    kling-lipsync record --upstream https://api.klingai.com --out recordings/ --port 8010

Point a client at ``http://127.0.0.1:8010`` (both gateways: ``/v1/...`` and ``/kling/v1/...`` go to the same
paths upstream). Each exchange is answered to the client exactly as the upstream answered, then written,
redacted (``redaction.py``), to ``DIR/<start time>.yaml`` (``cassette.py``). An upstream that resets the
connection, closes it, answers garbage or does not answer within ``--upstream-timeout`` is recorded as what
the client saw, and the client sees the same: the proxy breaks its connection the same way. Writing the
cassette never fails a request that was forwarded: an error there is logged and the answer still goes out.

Served by gunicorn (one process, ``--threads`` threads: one cassette file, and gunicorn lends its socket, so
an upstream reset can be passed on as a reset).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from ..wire import EFFECT, Wire, WireEffect
from .cassette import Cassette, Interaction
from .redaction import redact_headers, redact_request_body, redact_response_body, redact_url

__all__ = ["STARTUP_LINE", "Recorder", "build_parser", "main"]

#: How the line a started recorder prints begins; its URL follows.
STARTUP_LINE = "Kling recorder on "

_log = logging.getLogger("kling_lipsync.record")

#: Not forwarded either way: they describe one connection (RFC 9110 §7.6.1), or httpx sets them anew.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "accept-encoding",
    }
)
#: Where the DMXAPI gateway's paths go upstream: ``/kling/v1/...`` is ``/v1/...`` there when the upstream is
#: Kling itself; a DMXAPI upstream (whose base URL ends in ``/kling``) gets the path as sent.
_DMXAPI_PREFIX = "/kling"
_WSGI_REASONS = {502: "Bad Gateway"}


class Recorder:
    """The recording proxy, a WSGI app: forward, answer, record."""

    def __init__(
        self,
        upstream: str,
        cassette: Cassette,
        *,
        timeout_seconds: float = 300.0,
        media_folder: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.cassette = cassette
        self.media_folder = media_folder
        self._saved: set[str] = set()
        # --save-media downloads in a thread of its own: a download never holds up an answer.
        self._downloads: queue.Queue[str | None] = queue.Queue()
        self._saver: threading.Thread | None = None
        if media_folder is not None:
            self._saver = threading.Thread(target=self._save_media, name="kling-record-media", daemon=True)
            self._saver.start()
        # No redirects followed (the client sees what the upstream said), no environment proxies, identity
        # encoding: the recorded body is the one the client gets.
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 30.0)),
            follow_redirects=False,
            trust_env=False,
            transport=transport,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        arrived_ms = int(time.time() * 1000)
        started = time.perf_counter()
        method = environ["REQUEST_METHOD"]
        path, query = _target(environ)
        body = environ["wsgi.input"].read()
        headers = _request_headers(environ)
        url = self.upstream + _upstream_path(path, self.upstream) + (f"?{query}" if query else "")
        # Header values as the client sent their bytes (WSGI gives them as latin-1): httpx would refuse a
        # non-ASCII str, and the upstream, not the recorder, is the one to judge them.
        sent = [(k.encode("latin1"), v.encode("latin1")) for k, vs in headers.items() for v in vs]
        request = self.client.build_request(
            method, url, headers=[*sent, (b"Accept-Encoding", b"identity")], content=body
        )
        fault: str | None = None
        error: str | None = None
        status, reason, response_headers, content, raw = 502, "Bad Gateway", {}, b"", b""
        try:
            response = self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            fault, error = "empty-response", f"{exc.__class__.__name__}: the upstream did not answer in time"
        except httpx.RemoteProtocolError as exc:
            disconnected = "without sending" in str(exc) or "disconnected" in str(exc)
            fault = "empty-response" if disconnected else "random-data-then-close"
            error = f"RemoteProtocolError: {exc}"
        except httpx.TransportError as exc:
            fault, error = "connection-reset", f"{exc.__class__.__name__}: {exc}"
        else:
            try:
                # The bytes as sent (an upstream may compress although asked not to): the client gets them
                # with their Content-Encoding; the cassette gets them decoded (``_decoded``).
                status, reason = response.status_code, response.reason_phrase
                response_headers = _response_headers(response.headers.multi_items())
                if response.is_stream_consumed:  # made in process (``httpx.MockTransport``): read, and decoded
                    raw = response.content
                    response_headers.pop("content-encoding", None)
                else:
                    raw = b"".join(response.iter_raw())
                content = _decoded(raw, response.headers)
            except httpx.TimeoutException as exc:
                fault, error = "empty-response", f"{exc.__class__.__name__}: the upstream's answer stopped"
            except httpx.TransportError as exc:
                # The status line and headers came, then the body broke: a broken chunk, or a reset.
                fault, error = "malformed-chunk", f"{exc.__class__.__name__}: {exc}"
            finally:
                response.close()
        if fault is None:
            out_headers = [(k, v) for k, vs in response_headers.items() for v in vs]
            # A HEAD answer has no body but says how long the GET's would be: the upstream's number.
            length = response.headers.get("content-length") if method == "HEAD" else None
            out_headers.append(("Content-Length", length or str(len(raw))))
            start_response(f"{status} {reason or _WSGI_REASONS.get(status, '')}".strip(), out_headers)
            answer: list[bytes] = [raw]
        else:
            # ``Wire`` (around this app) breaks the client's connection the way the upstream broke ours.
            environ[EFFECT] = WireEffect(fault=fault)
            start_response("502 Bad Gateway", [("Content-Length", "0")])
            answer = [b""]
        self._record(
            method,
            url,
            headers,
            body,
            status,
            reason,
            response_headers,
            content,
            arrived_ms,
            (time.perf_counter() - started) * 1000,
            fault,
            error,
        )
        return answer

    def _record(
        self,
        method: str,
        url: str,
        headers: dict[str, list[str]],
        body: bytes,
        status: int,
        reason: str,
        response_headers: dict[str, list[str]],
        content: bytes,
        arrived_ms: int,
        elapsed_ms: float,
        fault: str | None,
        error: str | None,
    ) -> None:
        """Write the exchange (redacted); never raise: the client has its answer whatever happens here."""
        try:
            recorded_body = redact_response_body(content) if fault is None else ""
            kept_headers = {k: v for k, v in redact_headers(response_headers).items() if k != "content-encoding"}
            if isinstance(recorded_body, str) and fault is None:
                for name in kept_headers:
                    if name.lower() == "content-length":
                        kept_headers[name] = [str(len(recorded_body.encode()))]
            request_body = redact_request_body(body)
            self.cassette.append(
                Interaction(
                    method=method,
                    uri=redact_url(url),
                    request_headers=redact_headers(headers),
                    request_body=request_body if isinstance(request_body, str) else request_body.decode("latin1"),
                    status=0 if fault else status,
                    reason=f"no answer: {fault}" if fault else reason,
                    response_headers=kept_headers if fault is None else {},
                    response_body=recorded_body,
                    recorded_at=arrived_ms,
                    elapsed_ms=elapsed_ms,
                    fault=fault,
                    upstream_error=error,
                )
            )
            if self._saver is not None and fault is None:
                for found in _result_urls(content):
                    if found not in self._saved:
                        self._saved.add(found)
                        self._downloads.put(found)
        except Exception:  # a full disk, a body the redaction cannot read: logged, the answer is out anyway
            _log.exception("kling-lipsync record: could not record %s %s", method, redact_url(url))

    def _save_media(self) -> None:
        """``--save-media``: each result video of a finished task, downloaded once into the media folder as
        ``<sha256 of its URL without query, 12 hex>-<file name>`` (two tasks' ``result.mp4`` stay two files)."""
        assert self.media_folder is not None
        while (url := self._downloads.get()) is not None:
            bare = url.split("?", 1)[0]
            name = f"{hashlib.sha256(bare.encode()).hexdigest()[:12]}-{bare.rsplit('/', 1)[-1] or 'video.mp4'}"
            try:
                downloaded = self.client.get(url)
                downloaded.raise_for_status()
                self.media_folder.mkdir(parents=True, exist_ok=True)
                (self.media_folder / name).write_bytes(downloaded.content)
            except (httpx.HTTPError, OSError) as exc:
                _log.warning("kling-lipsync record: could not save %s: %s", bare, exc)

    def close(self) -> None:
        """Finish the downloads asked for, then let go of the upstream's connections."""
        if self._saver is not None:
            self._downloads.put(None)
            self._saver.join()
            self._saver = None
        self.client.close()


def _target(environ: dict[str, Any]) -> tuple[str, str]:
    """The path and query as the client sent them: gunicorn's ``RAW_URI`` (``PATH_INFO`` is percent-decoded,
    and ``%2F`` in it would reach the upstream as ``/``), else ``PATH_INFO`` and ``QUERY_STRING``."""
    raw = environ.get("RAW_URI")
    if raw:
        found = urlsplit(raw)  # absolute form (``GET http://host/path``) too
        return found.path or "/", found.query
    return environ.get("PATH_INFO", "").encode("latin1").decode(errors="replace"), environ.get("QUERY_STRING", "")


def _decoded(raw: bytes, headers: httpx.Headers) -> bytes:
    """The body of an answer with its Content-Encoding undone; as sent when it cannot be."""
    if headers.get("content-encoding", "identity").lower() in ("", "identity"):
        return raw
    try:
        return httpx.Response(200, headers={"content-encoding": headers["content-encoding"]}, content=raw).read()
    except httpx.DecodingError:
        return raw


def _upstream_path(path: str, upstream: str) -> str:
    """The path upstream: a DMXAPI-gateway path loses its ``/kling`` when the upstream URL already ends in it."""
    if upstream.endswith(_DMXAPI_PREFIX) and path.startswith(_DMXAPI_PREFIX + "/"):
        return path[len(_DMXAPI_PREFIX) :]
    return path


def _request_headers(environ: dict[str, Any]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key.replace("_", "-").lower()
        else:
            continue
        if name not in _HOP_BY_HOP:
            headers.setdefault(name, []).append(value)
    return headers


def _response_headers(items: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in items:
        if name.lower() not in _HOP_BY_HOP:
            headers.setdefault(name.lower(), []).append(value)
    return headers


def _result_urls(content: bytes) -> list[str]:
    """The URLs of the result videos in a task answer (a query or a page of them)."""
    try:
        data = orjson.loads(content).get("data")
    except (orjson.JSONDecodeError, AttributeError):
        return []
    tasks = data if isinstance(data, list) else [data]
    urls = []
    for task in tasks:
        result = task.get("task_result") if isinstance(task, dict) else None
        videos = result.get("videos") if isinstance(result, dict) else None
        for video in videos or ():
            for key in ("url", "watermark_url"):
                if isinstance(video, dict) and isinstance(video.get(key), str):
                    urls.append(video[key])
    return urls


# -- the command ------------------------------------------------------------------------------------------------


def build_parser(prog: str = "kling-lipsync record") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Record the real service: a proxy that forwards every request to --upstream and writes each "
        "exchange, redacted, to a vcrpy cassette in --out.",
        epilog="Replay with `kling-lipsync mock --replay DIR`; check with `kling-lipsync check-recording DIR`.",
    )
    parser.add_argument(
        "--upstream",
        required=True,
        help="The service's base URL: https://api.klingai.com, https://www.dmxapi.cn (or any mock).",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="The folder cassettes are written to.")
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=8010, help="Port to listen on; 0 picks a free one (default 8010).")
    parser.add_argument("--threads", type=int, default=16, help="Requests forwarded at once (default 16).")
    parser.add_argument(
        "--upstream-timeout",
        type=float,
        default=300.0,
        help="Seconds to wait for the upstream's answer before giving the client none (default 300).",
    )
    parser.add_argument("--note", help="A line kept in the cassette's metadata: what was recorded, from where, why.")
    parser.add_argument(
        "--save-media",
        action="store_true",
        help="Also download each finished task's result videos into DIR/media/ (off: cassettes keep URLs only).",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "kling-lipsync record") -> int:
    """Record until stopped (0); a start that cannot work is one line on stderr and 2."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.upstream.startswith(("http://", "https://")):
        print(f"{prog}: --upstream {args.upstream}: give a URL (http:// or https://)", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535 or args.threads < 1 or args.upstream_timeout <= 0:
        print(f"{prog}: --port is 0 to 65535, --threads at least 1, --upstream-timeout more than 0", file=sys.stderr)
        return 2
    out: Path = args.out
    if out.exists() and not out.is_dir():
        print(f"{prog}: --out {out} is a file; name a folder", file=sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"{prog}: --out {out}: {exc.strerror}", file=sys.stderr)
        return 2
    started = datetime.now(UTC)
    cassette = Cassette(
        out / f"{started.strftime('%Y%m%dT%H%M%S%fZ')}.yaml",
        {
            "recorded_by": "kling-lipsync record",
            "upstream": args.upstream.rstrip("/"),
            "started_at": started.isoformat(timespec="milliseconds"),
            **({"note": args.note} if args.note else {}),
        },
    )
    recorder = Recorder(
        args.upstream,
        cassette,
        timeout_seconds=args.upstream_timeout,
        media_folder=out / "media" if args.save_media else None,
    )
    _serve(Wire(recorder), args.host, args.port, args.threads, args.upstream, cassette.path)
    recorder.close()
    return 0


def _serve(app: Any, host: str, port: int, threads: int, upstream: str, path: Path) -> None:
    """gunicorn, one process of ``threads`` threads; the start-up line once it listens."""
    from gunicorn.app.base import BaseApplication  # here: a server library, loaded only to serve

    def when_ready(server: Any) -> None:
        address = server.LISTENERS[0].sock.getsockname()
        shown = f"[{address[0]}]" if ":" in address[0] else address[0]
        print(
            f"{STARTUP_LINE}http://{shown}:{address[1]} (recording {upstream} into {path}; Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )

    settings = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "loglevel": "warning",
        "when_ready": when_ready,
        "timeout": 0,  # a forwarded request may wait as long as --upstream-timeout
    }

    class Served(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            return app

    try:
        Served().run()
    except SystemExit as exit_:
        if exit_.code not in (0, None):
            raise
