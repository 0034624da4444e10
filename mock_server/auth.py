"""Who is calling: the Bearer token of each gateway of the API, turned into an account.

* DMXAPI gateway (``/kling/...``): any ``sk-`` token is an account of its own; anything else is refused
  with the proxy's own 401 body.
* Kling gateway (``/v1/...``, the official service): a JWT (HS256, ``iss`` = access key, ``nbf``/``exp``
  checked against wall time) or the static API key. Missing 1001, invalid 1002, not yet valid 1003, expired 1004.

Tokens are never stored or logged: an account is named by a hash of its proxy token, or by its access key.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

import jwt

from .errors import ErrorAnswer, ProxyAuthError
from .redact import PROXY_TOKEN_PREFIX
from .settings import Settings

__all__ = ["DMXAPI_GATEWAY", "KLING_GATEWAY", "account_for", "make_jwt"]

DMXAPI_GATEWAY = "dmxapi"
KLING_GATEWAY = "kling"


def _bearer(header: str | None) -> str | None:
    """The token of a ``Bearer`` header; None when there is no header, "" when it is unusable.

    A token never holds whitespace or commas: a doubled Authorization header, which the server joins
    with ", ", is refused rather than read as an odd token.
    """
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c in token for c in " ,\t"):
        return ""
    return token


def account_for(gateway: str, authorization: str | None, settings: Settings) -> str:
    """The account behind an Authorization header on one gateway, or the gateway's 401."""
    token = _bearer(authorization)
    if gateway == DMXAPI_GATEWAY:
        if not token or not token.startswith(PROXY_TOKEN_PREFIX) or len(token) <= len(PROXY_TOKEN_PREFIX):
            raise ProxyAuthError()
        return "dmx:" + hashlib.sha256(token.encode()).hexdigest()[:24]
    if token is None:
        raise ErrorAnswer(1001)
    if not token:
        raise ErrorAnswer(1002)
    if hmac.compare_digest(token.encode(), settings.api_key.encode()):
        return f"kling:{settings.access_key}"
    return f"kling:{_verify_jwt(token, _access_keys(settings))}"


def _access_keys(settings: Settings) -> Mapping[str, str]:
    return {settings.access_key: settings.secret_key, **settings.extra_access_keys}


def _verify_jwt(token: str, keys: Mapping[str, str]) -> str:
    """Return the access key of a valid token."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise ErrorAnswer(1002) from None
    issuer = claims.get("iss")
    if header.get("alg") != "HS256" or not isinstance(issuer, str) or issuer not in keys:
        raise ErrorAnswer(1002)
    try:
        # Tokens are signed with wall time by the client, so they are checked against wall time,
        # whatever the mock's (possibly virtual) task clock says.
        jwt.decode(
            token,
            keys[issuer],
            algorithms=["HS256"],
            options={"require": ["exp"], "verify_iat": False},
            leeway=0,
        )
    except jwt.ImmatureSignatureError:
        raise ErrorAnswer(1003) from None
    except jwt.ExpiredSignatureError:
        raise ErrorAnswer(1004) from None
    except jwt.PyJWTError:
        raise ErrorAnswer(1002) from None
    return issuer


def make_jwt(access_key: str, secret_key: str, *, ttl_seconds: int = 1800, now: float | None = None) -> str:
    """Sign a token the way Kling's documentation shows (exp = now + 1800, nbf = now - 5)."""
    issued = int(time.time() if now is None else now)
    payload = {"iss": access_key, "exp": issued + ttl_seconds, "nbf": issued - 5}
    return jwt.encode(payload, secret_key, algorithm="HS256", headers={"typ": "JWT"})
