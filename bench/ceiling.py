"""The ceiling: a bare Flask app on the same server and settings as the mock (``python bench/ceiling.py``).

It answers every request with a small JSON body, so what it reaches is what granian, Flask and Python cost
on this machine before the mock does anything; ``http_bench.py`` puts it beside the mock and Prism.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flask import Flask, Response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.__main__ import DEFAULT_THREADS, granian_server
from mock_server.front import Front

BODY = b'{"code":0,"message":"SUCCEED","request_id":"00000000-0000-0000-0000-000000000000","data":{}}'


def create_app() -> Flask:
    app = Flask(__name__)

    @app.route("/<path:anything>", methods=["GET", "POST"])
    def answer(anything: str) -> Response:
        return Response(BODY, mimetype="application/json")

    return app


def create_front() -> Front:
    """The bare app behind the mock's front, as the mock is served (``mock_server.serving.launched_front``)."""
    return Front(create_app().wsgi_app, max_body_bytes=10 * 1024 * 1024, body_timeout_seconds=30.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    args = parser.parse_args()
    granian_server("bench.ceiling:create_front", "127.0.0.1", args.port, args.workers, args.threads).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
