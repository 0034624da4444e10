"""Callbacks: each status change of a task with a ``callback_url`` is POSTed to it, signed, retried, logged.

A delivery is claimed in the store before it is sent, so with several worker processes each transition
is sent once per attempt. Only loopback addresses (and configured hosts) are ever called.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from .clock import Clock
from .families import Families
from .settings import Settings
from .store import Store
from .tasks import render_task, task_id_of

__all__ = [
    "CallbackDispatcher",
    "aimed_at_the_mock",
    "host_allowed",
    "is_loopback_name",
    "new_message_id",
    "sign_webhook",
]

log = logging.getLogger("mock_server.callbacks")


def new_message_id() -> str:
    """The ``webhook-id`` of one announcement: the same for every attempt to deliver it."""
    return f"msg_{uuid.uuid4().hex}"


def sign_webhook(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature: ``v1,`` + base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def host_allowed(url: str, allowed_hosts: tuple[str, ...]) -> tuple[bool, str]:
    """May the mock call this URL? Loopback addresses always; other hosts only when configured."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here, not later
    except ValueError as exc:  # "http://[", "http://h:notaport": the spec's pattern lets such URLs in
        return False, f"not a valid URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False, "not an http(s) URL"
    host = parts.hostname
    if host in allowed_hosts:
        return True, ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 80, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError) as exc:
        return False, f"cannot resolve {host}: {exc}"
    if addresses and all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses):
        return True, ""
    return False, f"{host} is not a loopback address nor in callback_allowed_hosts"


#: Host names that are this machine without asking DNS (``*.localhost`` too, as browsers resolve it).
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_loopback_name(host: str) -> bool:
    """Whether ``host`` (lower case, no port) names this machine without asking DNS."""
    return host in _LOOPBACK_NAMES or host.endswith(".localhost")


def aimed_at_the_mock(callback_url: str, own_base_url: str) -> str | None:
    """Why ``callback_url`` would make the mock call itself (its admin API, or any path at its own address),
    or None. A pure function of the two URLs: checked at create, so a client cannot have the mock reset itself.

    Its own address is the host and port a request reached it by, or any loopback name with that port;
    other loopback receivers (another port) stay allowed, as tests need them.
    """
    try:
        parts, own = urlsplit(callback_url), urlsplit(own_base_url)
    except ValueError:  # "http://[" (the spec's pattern lets it in): it reaches nothing, and its delivery is blocked
        return None
    if parts.path.startswith("/__mock__"):
        return "callback_url must not point at the mock's admin API (/__mock__/)"
    try:
        port, own_port = parts.port or _PORTS.get(parts.scheme), own.port or _PORTS.get(own.scheme)
    except ValueError:  # a port that is not a number: nothing the mock listens on
        return None
    host = (parts.hostname or "").rstrip(".")
    if port != own_port or not host:
        return None
    if host == own.hostname or is_loopback_name(host) or _is_this_machine_literal(host):
        return f"callback_url must not point at the mock itself ({parts.hostname}:{port})"
    return None


_PORTS = {"http": 80, "https": 443}


def _is_this_machine_literal(host: str) -> bool:
    """A loopback address, or the unspecified one (0.0.0.0, ::), which reaches this machine too."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


class CallbackDispatcher:
    """Finds due deliveries and sends them; runs on demand (virtual clock) or in a thread (real clock)."""

    def __init__(self, store: Store, clock: Clock, settings: Callable[[], Settings], families: Families) -> None:
        self._store = store
        self._families = families
        self._clock = clock
        self._settings = settings
        self._http = httpx.Client(follow_redirects=False, headers={"User-Agent": "kling-lipsync-mock"})
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def deliver_due(self) -> int:
        """Send every delivery due now; return how many attempts were made."""
        made = 0
        while True:
            settings = self._settings()
            lease_ms = int((settings.callback_timeout_seconds + 5) * 1000)
            claimed_at = _wall_ms()
            due = self._store.claim_due_deliveries(self._clock.now_ms(), claimed_at, lease_ms)
            if not due:
                return made
            for row in due:
                # The claim covers one send: renewed before each, so a batch sent slowly (receivers near their
                # timeout) never outlives its lease; a delivery another process took meanwhile is left to it.
                if not self._store.renew_claim(row["id"], claimed_at + lease_ms, _wall_ms() + lease_ms):
                    continue
                self._attempt(row, settings)
                made += 1

    def _attempt(self, row: Any, settings: Settings) -> None:
        body_obj = render_task(self._families[row["family"]], row, row["due_at"])
        body = json.dumps(body_obj, ensure_ascii=False, separators=(",", ":")).encode()
        url: str = row["callback_url"]
        attempt_no = row["attempts"] + 1
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if settings.webhook_secret:
            headers["webhook-id"] = row["message_id"]
            headers["webhook-timestamp"] = str(timestamp)
            headers["webhook-signature"] = sign_webhook(settings.webhook_secret, row["message_id"], timestamp, body)
        http_status: int | None = None
        error: str | None = None
        allowed, why = host_allowed(url, settings.callback_allowed_hosts)
        if not allowed:
            outcome, error = "blocked", why
        else:
            try:
                response = self._http.post(
                    url, content=body, headers=headers, timeout=settings.callback_timeout_seconds
                )
                http_status = response.status_code
                outcome = "delivered" if 200 <= response.status_code < 300 else "failed"
                if outcome == "failed":
                    error = f"receiver answered {response.status_code}"
            except httpx.HTTPError as exc:
                outcome, error = "failed", f"{type(exc).__name__}: {exc}"
        now = self._clock.now_ms()
        if outcome == "failed" and attempt_no < settings.callback_max_attempts:
            state = "pending"
            next_at = now + int(settings.callback_backoff_seconds * 1000 * 2 ** (attempt_no - 1))
        else:
            state, next_at = outcome, now
        self._store.finish_attempt(
            row["id"],
            state=state,
            next_attempt_at=next_at,
            attempt={
                "delivery_id": row["id"],
                "task_id": task_id_of(row["seq"]),
                "task_status": row["delivery_status"],
                "url": url,
                "attempt": attempt_no,
                "at": now,
                "outcome": outcome,
                "http_status": http_status,
                "error": error,
                "message_id": row["message_id"],
                "signed": int(bool(settings.webhook_secret)),
                "headers": json.dumps(headers),
                "body": body.decode(),
            },
        )
        log.info(
            "callback %s %s -> %s attempt %d: %s", body_obj["task_id"], row["delivery_status"], url, attempt_no, outcome
        )

    # -- background delivery on the real clock --------------------------------------------------------

    def start(self, interval_seconds: float, *, deliver: bool = True, also: Callable[[], None] | None = None) -> None:
        """Every ``interval_seconds`` in a daemon thread until ``stop()``: deliver what is due, then ``also()``."""
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    if deliver:
                        self.deliver_due()
                    if also is not None:
                        also()
                except Exception:  # a broken receiver or a locked database must not end the loop
                    log.exception("background pass failed")

        self._thread = threading.Thread(target=loop, name="kling-mock-callbacks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._http.close()


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
