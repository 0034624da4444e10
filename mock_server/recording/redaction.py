"""What never reaches a cassette: keys, cookies, signed URLs, megabytes of media.

* ``Authorization``: a stable pseudonym per key (``Bearer key-<12 hex>``: a hash of the token, or of a JWT's
  ``iss``, the access key, so every JWT of one account gets the same pseudonym). Accounts stay distinguishable
  and no form of the key (raw, JWT, base64) is written.
* ``Cookie`` and ``Set-Cookie``: dropped, whatever their case.
* URLs in JSON bodies (result videos, callback URLs): the values of query parameters that sign or authorise
  (``Signature``, ``x-oss-signature``, ``token``, ``Expires`` ...) become ``REDACTED``.
* A long string in a request body that is not a URL (base64 audio): a reference,
  ``kling-media:sha256=<hex>;bytes=<n>`` of the bytes it encodes. The mock compares a replayed request's
  media by the same reference.

The same rules serve ``kling-lipsync record``, the mock's replay (which redacts an incoming request before
matching it) and users who record with vcrpy or pytest-recording (``vcr_config``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import orjson

__all__ = [
    "MEDIA_REFERENCE",
    "REDACTED",
    "media_reference",
    "pseudonym",
    "redact_headers",
    "redact_json",
    "redact_request_body",
    "redact_response_body",
    "redact_url",
    "vcr_config",
]

REDACTED = "REDACTED"
#: A media string in a request body, as a cassette keeps it.
MEDIA_REFERENCE = re.compile(r"kling-media:sha256=(?P<sha256>[0-9a-f]{64});bytes=(?P<bytes>\d+)")
#: A string at least this long in a request body, that is not a URL, is media.
MEDIA_MIN_CHARS = 1024
#: Query parameters that sign or authorise a URL (AWS, Alibaba OSS, Tencent COS, CDN tokens ...).
_SIGNED = re.compile(r"sign|token|key|secret|credential|auth|expires|policy|security|x-amz-|x-oss-|x-cos-", re.I)
_DROPPED_HEADERS = frozenset({"cookie", "set-cookie", "proxy-authorization"})


def pseudonym(authorization: str | None) -> str | None:
    """The Authorization header as a cassette keeps it: ``Bearer key-<12 hex>``, the same for one key."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if not token:  # no scheme: the whole value is the key
        scheme, token = "", scheme
    if not token:
        return "(empty)"
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        issuer = None
    subject = f"iss:{issuer}" if isinstance(issuer, str) and issuer else f"token:{token}"
    return f"{scheme[:12]} key-{hashlib.sha256(subject.encode()).hexdigest()[:12]}".strip()


def redact_headers(headers: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Headers without cookies, Authorization as its pseudonym."""
    kept: dict[str, list[str]] = {}
    for name, values in headers.items():
        lowered = name.lower()
        if lowered in _DROPPED_HEADERS:
            continue
        if lowered == "authorization" or _SIGNED.search(lowered):  # x-api-key, x-amz-security-token ...
            kept[name] = [pseudonym(value) or "" for value in values]
        else:
            kept[name] = list(values)
    return kept


def redact_url(url: str) -> str:
    """``url`` with the values of its signing query parameters replaced by ``REDACTED``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(_SIGNED.search(name) for name, _ in pairs):
        return url
    query = urlencode([(name, REDACTED if _SIGNED.search(name) else value) for name, value in pairs], safe="")
    return urlunsplit(parts._replace(query=query))


def media_reference(text: str) -> str:
    """The reference a cassette keeps for a media string: the hash and size of the bytes it encodes."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        data = text.encode()
    return f"kling-media:sha256={hashlib.sha256(data).hexdigest()};bytes={len(data)}"


def redact_json(value: Any, *, media: bool) -> Any:
    """A JSON value with signed URLs redacted and, with ``media``, long media strings as references."""
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            return redact_url(value)
        if media and len(value) >= MEDIA_MIN_CHARS:
            return media_reference(value)
        return value
    if isinstance(value, list):
        return [redact_json(item, media=media) for item in value]
    if isinstance(value, dict):
        return {key: redact_json(item, media=media) for key, item in value.items()}
    return value


def _redact_body(body: str | bytes, *, media: bool) -> str | bytes:
    if not body:
        return body if isinstance(body, str) else body.decode()
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        if isinstance(body, bytes):
            try:
                return body.decode()
            except UnicodeDecodeError:
                return body  # binary: vcrpy's !!binary
        return body
    redacted = redact_json(parsed, media=media)
    if redacted == parsed:
        return body.decode() if isinstance(body, bytes) else body
    return orjson.dumps(redacted).decode()


def redact_request_body(body: str | bytes) -> str | bytes:
    """A request body as a cassette keeps it (JSON: signed URLs redacted, media as references)."""
    return _redact_body(body, media=True)


def redact_response_body(body: str | bytes) -> str | bytes:
    """A response body as a cassette keeps it (JSON: signed URLs redacted)."""
    return _redact_body(body, media=False)


def vcr_config() -> dict[str, Any]:
    """vcrpy's configuration with these rules, for users who record with vcrpy or pytest-recording.

    ``vcr.VCR(**vcr_config())``, or pytest-recording's ``vcr_config`` fixture (the pytest plugin's
    ``kling_vcr_config`` returns this).
    """
    return {
        "before_record_request": _vcr_request,
        "before_record_response": _vcr_response,
        "decode_compressed_response": True,
    }


def _vcr_request(request: Any) -> Any:
    """vcrpy's hook: the request's headers and body redacted (its URI's signed parameters too)."""
    headers = request.headers
    for name in list(headers):
        lowered = name.lower()
        if lowered in _DROPPED_HEADERS:
            del headers[name]
        elif lowered == "authorization":
            headers[name] = pseudonym(headers[name]) or ""
    request.uri = redact_url(request.uri)
    if request.body:
        redacted = redact_request_body(request.body)
        request.body = redacted.encode() if isinstance(redacted, str) else redacted
    return request


def _vcr_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy's hook: cookies gone, signed URLs in the body redacted, Content-Length kept true."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _DROPPED_HEADERS:
            del headers[name]
    body = response.get("body", {}).get("string")
    if body:
        redacted = redact_response_body(body)
        data = redacted.encode() if isinstance(redacted, str) else redacted
        response["body"]["string"] = data
        for name in list(headers):
            if name.lower() == "content-length":
                headers[name] = [str(len(data))]
    return response
