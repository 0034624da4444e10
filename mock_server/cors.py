"""Opt-in CORS: with ``cors_origins`` set, pages on those origins may call the API and the admin API.

Kling sends no CORS headers and answers ``OPTIONS`` with 404 / 1202, and so does the mock by default. A web
app under development calls the mock from another origin, though, which a browser allows only when the mock
says so. With origins configured:

* a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) from an allowed origin, on
  any path of the API or the admin API, is answered 204 with ``Access-Control-Allow-Origin``, ``-Methods``
  (every method the mock routes), ``-Headers`` (the ones the browser asked for) and ``-Max-Age``; before
  authentication, since browsers send no token with it;
* every other answer to an allowed origin, errors included, carries ``Access-Control-Allow-Origin`` and
  exposes ``Retry-After`` and ``Content-Range`` to the page; every answer says ``Vary: Origin``;
* anything else (no ``Origin``, another origin, an ``OPTIONS`` that is no preflight) is answered as without
  CORS.

``install`` registers its hooks only when origins are configured, so the default costs a request nothing.
"""

from __future__ import annotations

from flask import Flask, Response, request

from .context import current_call

__all__ = ["MAX_AGE_SECONDS", "install"]

#: How long a browser may reuse a preflight's answer: long enough to spare a page one preflight per request,
#: short enough that a restart with other origins is seen within minutes.
MAX_AGE_SECONDS = 600
#: Answer headers a page's script may read besides the always-readable ones: the wait of a 429 or 503
#: (``retry_after_seconds``) and the range of a partial video download.
_EXPOSED = "Retry-After, Content-Range"


def install(app: Flask, origins: tuple[str, ...], admin_prefix: str, *, admin: bool = False) -> None:
    """Answer preflights from ``origins`` and mark their answers readable (``'*'``: any origin).

    ``admin_prefix``: the admin API's path prefix; its preflights are admin requests, not journaled. Unless
    ``admin`` (the ``admin_cors`` setting), the admin API gets no CORS at all: a page of an origin allowed
    to call the API cannot read or drive the admin API.
    Call it once every route is registered: the preflight names every method the app routes.
    """
    any_origin = "*" in origins
    allowed = frozenset(origin.lower() for origin in origins)
    methods = ", ".join(
        sorted({m for rule in app.url_map.iter_rules() for m in rule.methods or () if m not in ("HEAD", "OPTIONS")})
    )

    def allow_origin(origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for a request from ``origin``; None if not allowed."""
        if origin is None or (not admin and request.path.startswith(admin_prefix)):
            return None
        if any_origin:
            return "*"
        return origin if origin.lower() in allowed else None

    def preflight() -> Response | None:
        headers = request.headers
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in headers:
            return None
        allowed_origin = allow_origin(headers.get("Origin"))
        if allowed_origin is None:
            return None  # Kling's 404 / 1202
        if request.path.startswith(admin_prefix):
            current_call().admin = True
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = methods
        asked = headers.get("Access-Control-Request-Headers")
        if asked:
            response.headers["Access-Control-Allow-Headers"] = asked
            response.vary.add("Access-Control-Request-Headers")
        response.headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
        return response

    def mark_readable(response: Response) -> Response:
        # Every answer depends on Origin now (with '*' too: a request without one gets no header), so a
        # cache between the mock and browsers must not hand one origin's answer to another.
        response.vary.add("Origin")
        allowed_origin = allow_origin(request.headers.get("Origin"))
        if allowed_origin is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed_origin
            if request.method != "OPTIONS":
                response.headers["Access-Control-Expose-Headers"] = _EXPOSED
        return response

    app.before_request(preflight)
    app.after_request(mark_readable)
