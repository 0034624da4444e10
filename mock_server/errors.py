"""Kling's error envelope: the catalogue from the spec and the answer views raise to refuse a request.

A leaf: it imports nothing of the mock. The pipeline (``pipeline.py``) renders an ``ErrorAnswer`` with the
request's id; this module only knows the table and the shape of an envelope.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Response

from kling_spec import ErrorCode, error_catalogue

__all__ = ["CATALOGUE", "ErrorAnswer", "ProxyAuthError", "envelope", "new_request_id"]

#: code -> row of the Kling table, read from ``x-kling-error-codes`` in openapi.yaml.
CATALOGUE: Mapping[int, ErrorCode] = error_catalogue()


def new_request_id() -> str:
    """A request id in the new system's form: a random (version 4) UUID.

    Written from 128 random bits directly: a fraction of ``str(uuid.uuid4())``, on every request. Python's
    generator, not the system's: an id must be unique, not secret, and ``random`` is seeded again in a
    forked worker.
    """
    digits = f"{random.getrandbits(128):032x}"
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


class ErrorAnswer(Exception):
    """The request is answered in Kling's error envelope; status and default message come from the catalogue.

    Raised by views and rules (like Flask's ``abort``) and rendered by the pipeline. Not the client's
    ``kling_lipsync.KlingError``: that one is what a client raises on receiving such an answer.
    """

    def __init__(self, code: int, message: str | None = None, *, http_status: int | None = None) -> None:
        row = CATALOGUE[code]
        self.code = code
        self.message = row.message if message is None else message
        self.http_status = row.http_status if http_status is None else http_status
        super().__init__(f"{code} {self.message}")


class ProxyAuthError(Exception):
    """DMXAPI's own token rejection, answered in the OpenAI-style body of the new-api gateway family."""


def envelope(body: Mapping[str, Any]) -> Response:
    """A JSON response with the body as given (compact UTF-8, no ASCII escaping, as Kling answers).

    orjson: encoding is a measurable share of a query's time, and orjson writes the same bytes as
    ``json.dumps(ensure_ascii=False, separators=(",", ":"))`` several times faster.
    """
    return Response(orjson.dumps(body), mimetype="application/json")
