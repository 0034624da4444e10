"""Test doubles: the mock server in-process on a virtual clock, and a real local callback receiver.

``KlingMock`` is what the ``kling_mock`` pytest fixture hands out; it works without pytest too::

    with KlingMock() as mock:
        client = mock.generated_client(token="sk-test")
        ...
        mock.advance(10)
"""

from __future__ import annotations

import io
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx

from kling_lipsync.client import AsyncLipSync, LipSync
from kling_lipsync_client import AuthenticatedClient
from kling_spec.families import family as spec_family
from mock_server import create_app
from mock_server.admin import JOURNAL_FILTERS
from mock_server.settings import RUNTIME_FIELDS, Settings
from mock_server.wire import DRIBBLE_PIECES, FAULT_HEADER, IN_PROCESS, WireEffect, parse_header

__all__ = [
    "AsyncTransport",
    "CallbackReceiver",
    "KlingApi",
    "KlingMock",
    "MockPool",
    "ReceivedCallback",
    "free_port",
    "wait_until_up",
]

MOCK_BASE_URL = "http://kling-mock.test"
#: Journal entries ``KlingMock.requests`` asks for at a time (the most the admin API gives in one answer).
JOURNAL_PAGE = 10_000

#: Called with every request and its (read) response that passes through a ``KlingMock``.
ResponseObserver = Callable[[httpx.Request, httpx.Response], None]


class _InProcessTransport(httpx.BaseTransport):
    """The app called in this process as a WSGI server would call it, each exchange shown to the observers of
    every mock and of its own.

    What ``httpx.WSGITransport`` does, less what the mock never needs (a streamed answer: its answers are
    whole, so the body is read and the app's ``close`` called before the response is handed over, where a
    client reads it at once anyway); a tenth of an in-process request's cost (``make bench``).
    """

    def __init__(self, app: Any, *observers: list[ResponseObserver]) -> None:
        self._app = app
        self._observers = observers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": url.scheme,
            "wsgi.input": io.BytesIO(request.read()),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,  # the whole body is in hand: a chunked one is read, as servers do
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": url.path,
            "QUERY_STRING": url.query.decode("ascii"),
            "SERVER_NAME": url.host,
            "SERVER_PORT": str(url.port or _DEFAULT_PORTS[url.scheme]),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            IN_PROCESS: True,  # transport faults come back as httpx errors (``_on_the_wire``)
        }
        for name, value in request.headers.raw:
            key = _ENVIRON_KEYS.get(name)
            if key is None:
                key = name.decode("ascii").upper().replace("-", "_")
                key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
                if len(_ENVIRON_KEYS) < 256:  # the names a client sends are few; any name can be sent
                    _ENVIRON_KEYS[name] = key
            environ[key] = value.decode("latin-1")
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = (status, headers, exc_info)
            return _ignore

        answer = self._app(environ, start_response)
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        status, headers, exc_info = started
        if exc_info and exc_info[0]:
            raise exc_info[1]
        wire = next((value for name, value in headers if name == FAULT_HEADER), None)
        if wire is not None:
            headers = [(name, value) for name, value in headers if name != FAULT_HEADER]
        response = httpx.Response(int(status[:3]), headers=headers, stream=httpx.ByteStream(body), request=request)
        if wire is not None:
            response = _on_the_wire(request, response, parse_header(wire))
        if any(self._observers):
            response.read()
            for observers in self._observers:
                for observe in observers:
                    observe(request, response)
        return response


_DEFAULT_PORTS = {"http": 80, "https": 443}
#: A header's name as sent -> its WSGI environ key.
_ENVIRON_KEYS: dict[bytes, str] = {}


def _ignore(data: bytes) -> None:
    """WSGI's ``write`` callable: the mock never calls it."""


#: What httpx raises for each transport fault on a real socket (checked against gunicorn by
#: contract_tests/mock/test_mock_faults.py), so that code under test meets the same errors in process.
_FAULT_ERRORS: Mapping[str, tuple[type[httpx.TransportError], str]] = {
    "connection-reset": (httpx.ReadError, "[Errno 104] Connection reset by peer"),
    "empty-response": (httpx.RemoteProtocolError, "Server disconnected without sending a response."),
    "malformed-chunk": (httpx.RemoteProtocolError, "illegal chunk header"),
    "random-data-then-close": (httpx.RemoteProtocolError, "illegal status line"),
}


def _on_the_wire(request: httpx.Request, response: httpx.Response, effect: WireEffect) -> httpx.Response:
    """The in-process side of ``mock_server.wire``: a fault becomes the error a real socket would give; time
    on the wire is not waited for, but what would outlast the client's read timeout ends in ``ReadTimeout``."""
    read_timeout = request.extensions.get("timeout", {}).get("read")
    # The longest silence the client would sit through: the delay, or a pause between dribbled pieces.
    silence = max(effect.delay_ms / 1000, effect.dribble_seconds / (DRIBBLE_PIECES - 1) if effect.fault else 0.0)
    if read_timeout is not None and silence > read_timeout:
        response.close()
        raise httpx.ReadTimeout(f"kling mock: no byte for {silence:g} s, beyond the read timeout", request=request)
    failure = _FAULT_ERRORS.get(effect.fault or "")
    if failure is not None:
        response.close()
        error, message = failure
        raise error(message, request=request)
    return response


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(
    url: str, process: subprocess.Popen[Any], *, headers: Mapping[str, str] | None = None, seconds: float = 60
) -> None:
    """Return once ``url`` answers at all (any status); fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            httpx.get(url, headers=dict(headers or {}), timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up within {seconds:g} s")


class AsyncTransport(httpx.AsyncBaseTransport):
    """An async front for a synchronous transport (the in-process mock answers at once)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sync_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = self._inner.handle_request(sync_request)
        content = response.read()
        return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)


class KlingMock:
    """The mock server in this process (no socket), on a virtual clock unless told otherwise.

    **Parameters:**

    * **settings** - ``Settings`` or a mapping of setting names; defaults: virtual clock, ``:memory:``.
    * **base_url** - the URL the in-process clients use (nothing listens there).

    ``KlingMock.observers`` (shared by every instance) lets a test suite see every exchange, for
    example to validate each response against the spec; ``own_observers`` are this instance's.
    """

    observers: ClassVar[list[ResponseObserver]] = []

    def __init__(self, settings: Settings | Mapping[str, Any] | None = None, *, base_url: str = MOCK_BASE_URL) -> None:
        values: dict[str, Any] = {"clock": "virtual", "log_requests": False}
        if isinstance(settings, Settings):
            self.settings = settings
        else:
            values.update(settings or {})
            self.settings = Settings.from_mapping(values)
        #: The settings it was made with; ``settings`` adds the run-time changes ``MockPool`` applied.
        self.start_settings = self.settings
        self.app = create_app(self.settings)
        self.base_url = base_url
        self.own_observers: list[ResponseObserver] = []
        self.pool_key: tuple[tuple[str, str], ...] = ()
        self.transport: httpx.BaseTransport = _InProcessTransport(self.app, self.observers, self.own_observers)
        self.http = httpx.Client(transport=self.transport, base_url=base_url)

    # -- clients ------------------------------------------------------------------------------------

    def url(self, gateway: str = "dmxapi", scenario: str | None = None) -> str:
        """Base URL of one gateway, ``dmxapi`` (``/kling``) or ``kling`` (official paths), with a scenario prefix."""
        prefix = f"/scenario/{scenario}" if scenario else ""
        return f"{self.base_url}{prefix}{'/kling' if gateway == 'dmxapi' else ''}"

    def httpx_client(self, token: str | None = "sk-test", *, gateway: str = "dmxapi", **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` wired to the in-process mock, with a Bearer token when given."""
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        base_url = kwargs.pop("base_url", self.url(gateway))
        return httpx.Client(transport=self.transport, base_url=base_url, headers=headers, **kwargs)

    def generated_client(self, token: str = "sk-test", *, gateway: str = "dmxapi") -> AuthenticatedClient:
        """The generated ``AuthenticatedClient``, wired to the in-process mock."""
        client = AuthenticatedClient(base_url=self.url(gateway), token=token, raise_on_unexpected_status=True)
        client.set_httpx_client(self.httpx_client(token, gateway=gateway))
        return client

    def lipsync(
        self, token: str = "sk-test", *, gateway: str = "dmxapi", scenario: str | None = None, **kwargs: Any
    ) -> LipSync:
        """A ``LipSync`` wired to this mock; its sleeps advance the virtual clock, so ``wait`` takes no time.

        ``scenario`` fixes the fate of every task it creates (through the mock's ``/scenario/NAME`` prefix).
        """
        options: dict[str, Any] = {"rng": random.Random(0), **kwargs}
        if self.settings.clock == "virtual":
            options.setdefault("sleep", self.advance)
            options.setdefault("monotonic", lambda: self.now_ms() / 1000)
        options.setdefault("transport", self.transport)  # a test may put its own in front of the mock's
        return LipSync(self.url(gateway, scenario), token, **options)

    def async_lipsync(
        self, token: str = "sk-test", *, gateway: str = "dmxapi", scenario: str | None = None, **kwargs: Any
    ) -> AsyncLipSync:
        """An ``AsyncLipSync`` wired to this mock, sleeping on its virtual clock."""

        async def advance(seconds: float) -> None:
            self.advance(seconds)

        options: dict[str, Any] = {"rng": random.Random(0), **kwargs}
        if self.settings.clock == "virtual":
            options.setdefault("sleep", advance)
            options.setdefault("monotonic", lambda: self.now_ms() / 1000)
        return AsyncLipSync(self.url(gateway, scenario), token, transport=AsyncTransport(self.transport), **options)

    def api(
        self, family: str = "lip-sync", *, gateway: str = "dmxapi", token: str = "sk-test", scenario: str | None = None
    ) -> KlingApi:
        """Raw HTTP to one family on one gateway, in the domain's words (``create``, ``status``, ``tasks``).

        ``scenario`` puts the mock's ``/scenario/NAME`` prefix before every path, as a client that cannot
        set headers would.
        """
        return KlingApi(self, family, gateway=gateway, token=token, scenario=scenario)

    # -- control ------------------------------------------------------------------------------------

    def advance(self, seconds: float) -> int:
        """Move the virtual clock forward, delivering the callbacks that fall due; return the new time (ms)."""
        now: int = self._admin("POST", "/clock/advance", json={"seconds": seconds})["now_ms"]
        return now

    def now_ms(self) -> int:
        value: int = self._admin("GET", "/clock")["now_ms"]
        return value

    def reset(self) -> None:
        self._admin("POST", "/reset")

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings at run time (``max_in_flight=1``, ``chaos_rate=0.2``, ...)."""
        config: dict[str, Any] = self._admin("PUT", "/config", json=changes)["config"]
        return config

    def assert_request_made(self, count: int | None = None, **match: Any) -> list[dict[str, Any]]:
        """Assert the journal has requests matching ``match`` (exactly ``count`` of them, if given).

        ``match`` is what ``requests`` takes: the mock's journal filters, matched by the mock.
        """
        found = self.requests(**match)
        if (count is None and not found) or (count is not None and len(found) != count):
            newest = self._admin("GET", "/requests", params={"order": "newest", "limit": 10})["requests"]
            seen = [(e["method"], e["path"], e["status"], e["code"]) for e in reversed(newest)]
            raise AssertionError(
                f"expected {count or 'some'} request(s) matching {match}, found {len(found)}; last: {seen}"
            )
        return found

    def requests(self, **match: Any) -> list[dict[str, Any]]:
        """The request journal, oldest first; only the entries whose fields equal ``match``, if given.

        The mock does the matching (``GET /__mock__/requests?status=429``), on the fields it filters by:
        ``method``, ``path``, ``status``, ``code``, ``task_id``, ``account``, ``gateway``, ``family`` and
        ``scenario``. Another name, or a value that is not a string or an integer, raises ``TypeError``.
        """
        filters = _journal_filters(match)
        entries: list[dict[str, Any]] = []
        while True:
            since = entries[-1]["id"] if entries else 0
            page: list[dict[str, Any]] = self._admin(
                "GET", "/requests", params={**filters, "since": since, "limit": JOURNAL_PAGE}
            )["requests"]
            entries.extend(page)
            if len(page) < JOURNAL_PAGE:
                return entries

    def count_requests(self, **match: Any) -> int:
        """How many journal entries match (the filters of ``requests``), counted by the mock."""
        count: int = self._admin("GET", "/requests/count", params=_journal_filters(match))["count"]
        return count

    def callbacks(self, **match: Any) -> list[dict[str, Any]]:
        """Every callback attempt, optionally only those whose fields equal ``match``."""
        attempts: list[dict[str, Any]] = self._admin("GET", "/callbacks", params={"limit": 10_000})["callbacks"]
        return [a for a in attempts if all(a.get(k) == v for k, v in match.items())]

    def tasks(self, **filters: str | int) -> list[dict[str, Any]]:
        """Every account's tasks, newest first, as ``GET /__mock__/tasks`` lists them (a page of 1000).

        ``filters``: ``account``, ``family``, ``status`` (the status now), ``scenario``; ``offset``.
        """
        found: list[dict[str, Any]] = self._admin("GET", "/tasks", params={"limit": 1000, **filters})["tasks"]
        return found

    def force_task_state(self, task_id: str, status: str, *, message: str | None = None) -> dict[str, Any]:
        """Force a task into ``processing``, ``succeed`` or ``failed`` (with ``message``) from now on.

        Its callbacks follow, and on the virtual clock the ones due now are sent before this returns.
        Returns the task as ``tasks()`` shows it.
        """
        body: dict[str, Any] = {"status": status}
        if message is not None:
            body["message"] = message
        task: dict[str, Any] = self._admin("POST", f"/tasks/{task_id}/state", json=body)["task"]
        return task

    def register_video(
        self,
        *,
        video_url: str | None = None,
        video_id: str | None = None,
        duration_ms: int,
        faces: Sequence[tuple[int, int] | Mapping[str, Any]] = (),
        sound: bool = False,
    ) -> dict[str, Any]:
        """Tell the mock a video's length and faces, so identify-face finds them (advanced lip-sync), and
        whether it has a sound of its own (results made from it then hum under their audio).

        ``faces``: windows ``(start_ms, end_ms)`` (ids ``"0"``, ``"1"`` ... in order) or mappings with
        ``face_id``, ``start_time`` and ``end_time``. Exactly one of ``video_url`` and ``video_id``.
        """
        windows = [
            {"start_time": face[0], "end_time": face[1]} if isinstance(face, tuple) else dict(face) for face in faces
        ]
        body: dict[str, Any] = {"duration_ms": duration_ms, "faces": windows, "sound": sound}
        body.update({k: v for k, v in (("video_url", video_url), ("video_id", video_id)) if v is not None})
        registered: dict[str, Any] = self._admin("POST", "/media/videos", json=body)["video"]
        return registered

    def register_audio(
        self, *, audio_url: str | None = None, audio_id: str | None = None, duration_ms: int
    ) -> dict[str, Any]:
        """Tell the mock how long audio given by URL or ``audio_id`` lasts (base64 audio is measured)."""
        body: dict[str, Any] = {"duration_ms": duration_ms}
        body.update({k: v for k, v in (("audio_url", audio_url), ("audio_id", audio_id)) if v is not None})
        registered: dict[str, Any] = self._admin("POST", "/media/audio", json=body)["audio"]
        return registered

    def define_scenario(self, name: str, definition: Mapping[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Define a scenario until the next reset (``PUT /__mock__/scenarios/NAME``; the definition is
        admin.yaml's ``ScenarioDefinition``), for example ``define_scenario("flaky", polls={2: 5001, 4:
        "connection-reset"})``. Returns the scenario as the mock applies it."""
        body = {**(definition or {}), **fields}
        if "polls" in body:
            body["polls"] = {str(poll): answer for poll, answer in body["polls"].items()}
        scenario: dict[str, Any] = self._admin("PUT", f"/scenarios/{name}", json=body)["scenario"]
        return scenario

    def deliver_callbacks(self) -> int:
        attempts: int = self._admin("POST", "/callbacks/deliver")["callback_attempts"]
        return attempts

    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {}
        if self.settings.admin_token:
            headers["Authorization"] = f"Bearer {self.settings.admin_token}"
        response = self.http.request(method, f"/__mock__{path}", headers=headers, **kwargs)
        if response.status_code != 200:
            raise AssertionError(f"admin {method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    def close(self) -> None:
        self.http.close()
        self.app.extensions["kling_mock"].close()

    def __enter__(self) -> KlingMock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _journal_filters(match: Mapping[str, Any]) -> dict[str, str | int]:
    """``match`` as the journal's query parameters; ``TypeError`` for a field it cannot filter by."""
    unknown = sorted(set(match) - set(JOURNAL_FILTERS))
    if unknown:
        raise TypeError(
            f"the journal cannot be filtered by {', '.join(unknown)}; filter by {', '.join(JOURNAL_FILTERS)} "
            "(or look at the entries requests() returns)"
        )
    for name, value in match.items():
        # bool is an int to Python, and None has no query form: neither could match as the caller meant.
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"journal filter {name}={value!r}: give a string or an integer")
    return dict(match)


class KlingApi:
    """One family of the mock on one gateway, as tests speak of it: create a task, ask its status, list.

    Paths come from the spec's family registry; each method returns the answer's ``data`` and fails with
    the whole answer when its code is not 0. ``request`` is the raw exchange, for tests of refusals.
    """

    def __init__(
        self,
        mock: KlingMock,
        family: str = "lip-sync",
        *,
        gateway: str = "dmxapi",
        token: str = "sk-test",
        scenario: str | None = None,
    ) -> None:
        self.family = spec_family(family)
        self.gateway = gateway
        self.http = mock.httpx_client(token, gateway=gateway, base_url=mock.url(gateway, scenario))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def open_session(self, body: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        """The family's session step (identify-face); its ``data`` (``session_id``, ``face_data``)."""
        session: dict[str, Any] = self._data(
            self.request("POST", self.family.operation("session").path, json=body, **kwargs)
        )
        return session

    def create(self, body: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Create a task; its ``data`` (``task_id``, ``task_status`` ...)."""
        created: dict[str, Any] = self._data(self.request("POST", self.family.collection_path, json=body, **kwargs))
        return created

    def status(self, task_id: str, **kwargs: Any) -> dict[str, Any]:
        """The task object as it stands."""
        path = self.family.task_path.replace("{task_id}", task_id)
        task: dict[str, Any] = self._data(self.request("GET", path, **kwargs))
        return task

    def tasks(self, **params: Any) -> list[dict[str, Any]]:
        """A page of the account's tasks (``pageNum``, ``pageSize``)."""
        found: list[dict[str, Any]] = self._data(self.request("GET", self.family.collection_path, params=params))
        return found

    @staticmethod
    def _data(response: httpx.Response) -> Any:
        answer = response.json()
        if response.status_code != 200 or answer.get("code") != 0:
            raise AssertionError(f"{response.request.method} {response.request.url.path} answered "
                                 f"{response.status_code}: {answer}")  # fmt: skip
        return answer["data"]

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> KlingApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MockPool:
    """Mocks kept for a whole test session, one per set of start-up settings, reset for each test.

    A new ``KlingMock`` costs tens of milliseconds (the app, the spec's compiled rules, a database); a
    reset (empty store, clock rewound, run-time settings dropped, chaos re-seeded) about one. Settings
    ``PUT /__mock__/config`` can change are applied after the reset; the others choose the mock.
    """

    def __init__(self) -> None:
        self._idle: dict[tuple[tuple[str, str], ...], list[KlingMock]] = {}
        self._all: list[KlingMock] = []

    def acquire(self, settings: Mapping[str, Any] | None = None) -> KlingMock:
        wanted = dict(settings or {})
        at_run_time = {name: wanted.pop(name) for name in list(wanted) if name in RUNTIME_FIELDS}
        key = tuple(sorted((name, repr(value)) for name, value in wanted.items()))
        idle = self._idle.setdefault(key, [])
        if idle:
            mock = idle.pop()
            mock.reset()
        else:
            mock = KlingMock(wanted)
            mock.pool_key = key
            self._all.append(mock)
        mock.settings = mock.start_settings.with_changes(at_run_time)
        if at_run_time:
            mock.configure(**at_run_time)
        return mock

    def release(self, mock: KlingMock) -> None:
        """Give a mock back for the next test (its observers of this test removed)."""
        mock.own_observers.clear()
        self._idle.setdefault(mock.pool_key, []).append(mock)

    def close(self) -> None:
        for mock in self._all:
            mock.close()
        self._all.clear()
        self._idle.clear()


@dataclass(frozen=True)
class ReceivedCallback:
    """One POST the receiver got."""

    path: str
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class CallbackReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST and answers ``status``.

    ``answers`` overrides the status per request in order (``[500, 500]`` fails the first two).
    """

    status: int = 200
    answers: list[int] = field(default_factory=list)
    received: list[ReceivedCallback] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._changed:
                    status = receiver.answers.pop(0) if receiver.answers else receiver.status
                    receiver.received.append(
                        ReceivedCallback(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/callback"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedCallback]:
        """Block until ``count`` callbacks arrived (or fail after ``timeout`` seconds)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} callbacks, got {len(self.received)}")
            return list(self.received)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CallbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
