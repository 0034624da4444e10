"""Bearer tokens: a static key (DMXAPI ``sk-...``, Kling API key) or a JWT signed from access and secret key."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Generator

import httpx
import jwt

__all__ = ["BearerAuth", "KlingJwtSigner", "StaticToken", "token_source"]


class StaticToken:
    """A token used as is."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(***)"


class KlingJwtSigner:
    """Signs Kling's old-standard JWT (HS256, ``iss`` = access key) and signs anew before it expires."""

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        ttl_seconds: int = 1800,
        refresh_margin_seconds: int = 60,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.access_key = access_key
        self._secret_key = secret_key
        self._ttl = ttl_seconds
        self._margin = refresh_margin_seconds
        self._wall = wall_clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def __call__(self) -> str:
        with self._lock:
            now = self._wall()
            if self._token is None or now >= self._expires - self._margin:
                issued = int(now)
                payload = {"iss": self.access_key, "exp": issued + self._ttl, "nbf": issued - 5}
                self._token = jwt.encode(payload, self._secret_key, algorithm="HS256", headers={"typ": "JWT"})
                self._expires = issued + self._ttl
            return self._token

    def __repr__(self) -> str:
        return f"KlingJwtSigner(access_key={self.access_key!r}, secret_key=***)"


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer <token>`` from a token source on every request."""

    def __init__(self, source: Callable[[], str]) -> None:
        self._source = source

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._source()}"
        yield request

    def __repr__(self) -> str:
        return f"BearerAuth({self._source!r})"


def token_source(
    token: str | None = None, access_key: str | None = None, secret_key: str | None = None
) -> StaticToken | KlingJwtSigner | None:
    """Where the Bearer token comes from: ``token``, else access and secret key, each else from the environment
    (``KLING_API_TOKEN``, ``KLING_ACCESS_KEY`` / ``KLING_SECRET_KEY``); ``None`` when there are no credentials.

    The client and the command line both ask it, so they agree on what counts as credentials.
    """
    token = token or os.environ.get("KLING_API_TOKEN")
    if token:
        return StaticToken(token)
    access_key = access_key or os.environ.get("KLING_ACCESS_KEY")
    secret_key = secret_key or os.environ.get("KLING_SECRET_KEY")
    if access_key and secret_key:
        return KlingJwtSigner(access_key, secret_key)
    return None
