"""Slow and idle clients cannot starve the production server (issue 21, defect 1).

Before the front (``mock_server/front.py``), granian's WSGI interface let the app's one thread a process read
the body from the socket: one client sending its body slowly held it, so 16 of them stopped every other
request; and granian took a connection permit per socket (64 a process), so 200 sockets sending their
headers slowly stopped it too. Here 200 such sockets and 16 slow bodies are open while normal requests are
made: each is answered, and every slow body gets 408 in Kling's envelope once ``body_timeout_seconds`` is up.

How fast the normal requests are answered is measured by ``make bench`` (``bench/soak.py``), not asserted:
a test's bound is generous, for a shared CI machine.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import SERVED_TASKS, data
from contract_tests.servers import ProductionMock
from kling_spec import typical_codes
from mock_server.__main__ import build_parser, unguarded_gunicorn

pytestmark = pytest.mark.slow

SLOW_HEADERS = 200
SLOW_BODIES = 16
BODY_TIMEOUT = 1.0
#: How long a normal request may take here: far above what it needs (a few ms), far below forever.
ANSWERED_WITHIN = 20.0
AUTH = {"Authorization": "Bearer sk-slow"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProductionMock]:
    db = tmp_path_factory.mktemp("slow") / "slow.sqlite3"
    mock = ProductionMock({"KLING_MOCK_DB": str(db), "KLING_MOCK_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT)})
    yield mock
    mock.stop()


def open_socket(server: ProductionMock, first_bytes: bytes) -> socket.socket:
    sock = socket.create_connection(server.address, timeout=ANSWERED_WITHIN)
    sock.sendall(first_bytes)
    return sock


def answer_of(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of the one answer on ``sock``, read until the server closes it."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_normal_requests_are_answered_while_hundreds_of_clients_send_slowly(server: ProductionMock) -> None:
    body = json.dumps(text_body()).encode()
    slow_headers = [
        open_socket(server, f"POST {SERVED_TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bea".encode())
        for _ in range(SLOW_HEADERS)
    ]
    head = f"POST {SERVED_TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-slow\r\n"
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    slow_bodies = [open_socket(server, head.encode() + body[:10]) for _ in range(SLOW_BODIES)]
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=ANSWERED_WITHIN) as client:
            created = data(client.post(SERVED_TASKS, json=text_body()))["task_id"]
            assert data(client.get(f"{SERVED_TASKS}/{created}"))["task_id"] == created
        # Each slow body is refused in the envelope, without anything being created.
        code = typical_codes()[408]
        for sock in slow_bodies:
            status, headers, answer = answer_of(sock)
            assert status == 408
            assert headers["connection"] == "close"
            refused = json.loads(answer)
            assert refused["code"] == code
            assert refused["message"].endswith(f"did not arrive within {BODY_TIMEOUT:g} s")
            assert refused["request_id"]
        listed = data(httpx.get(f"{server.url}{SERVED_TASKS}", headers=AUTH))
        assert [task["task_id"] for task in listed] == [created]
    finally:
        for sock in slow_headers + slow_bodies:
            sock.close()


def test_a_chunked_body_that_stops_coming_gets_408_too(server: ProductionMock) -> None:
    head = f"POST {SERVED_TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-slow\r\n"
    head += 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"inp\r\n'
    with open_socket(server, head.encode()) as sock:
        status, _, answer = answer_of(sock)
    assert status == 408
    assert json.loads(answer)["code"] == typical_codes()[408]


def test_a_body_that_arrives_in_pieces_within_the_deadline_is_served(server: ProductionMock) -> None:
    body = json.dumps(text_body()).encode()
    head = f"POST {SERVED_TASKS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-pieces\r\n"
    head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with open_socket(server, head.encode()) as sock:
        for start in range(0, len(body), 40):
            sock.sendall(body[start : start + 40])
        status, _, answer = answer_of(sock)
    assert status == 200, answer
    assert json.loads(answer)["data"]["task_status"] == "submitted"


# -- gunicorn: its threads wait for slow clients, so beyond loopback only behind a proxy --------------------


def test_gunicorn_beyond_loopback_is_refused_in_one_line_naming_the_fix() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "mock_server", "--server", "gunicorn", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    (line,) = refused.stderr.splitlines()
    assert line.startswith("python -m mock_server: --server gunicorn on 0.0.0.0: a few slow clients would stop it")
    assert "--behind-proxy" in line


@pytest.mark.parametrize(
    ("args", "host", "refused"),
    [
        (["--server", "gunicorn"], "0.0.0.0", True),
        (["--server", "gunicorn", "--behind-proxy"], "0.0.0.0", False),
        (["--server", "gunicorn"], "127.0.0.1", False),
        (["--server", "gunicorn"], "::1", False),
        ([], "0.0.0.0", False),  # granian holds slow clients itself
    ],
)
def test_which_starts_need_a_proxy(args: list[str], host: str, refused: bool) -> None:
    assert (unguarded_gunicorn(build_parser().parse_args(args), host) is not None) == refused
