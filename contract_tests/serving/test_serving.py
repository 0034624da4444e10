"""Serving with several processes: one consistent mock whatever the server and the worker count.

Each server is real (granian through the production command, gunicorn as the README shows it) and every
request opens a new connection, so the kernel spreads them over the workers.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import assert_one_consistent_mock, data
from contract_tests.servers import GunicornMock, ProductionMock, ServedMock, fresh
from kling_lipsync.testing import free_port
from mock_server.__main__ import SERVERS
from mock_server.store import Store
from mock_server.wire import SOCKET_HINT

pytestmark = pytest.mark.slow

TASKS = "/kling/v1/videos/lip-sync"
STARTS = 10


# Four workers, stress runs and repeated starts are `make test-heavy`'s (CI runs it): they guard against races
# a change of the store or the launchers could bring back, and cost half this module's time.
HEAVY = pytest.mark.heavy


@pytest.mark.parametrize(
    ("server_name", "workers"), [("granian", 2), pytest.param("granian", 4, marks=HEAVY), ("gunicorn", 2)]
)
def test_the_production_command_serves_one_mock_over_its_workers(
    server_name: str, workers: int, tmp_path: Path
) -> None:
    with ProductionMock(workers=workers, cwd=tmp_path, server=server_name) as server:
        assert_one_consistent_mock(server)
        announced = "".join(server.log)
        assert f"{workers} workers" in announced
        shared = announced.split("db ", 1)[1].split(" (made for this run", 1)[0]
        assert Path(shared).exists()
    assert not Path(shared).exists(), "the database made for the run is removed when the server exits"


@pytest.mark.parametrize("workers", [2, pytest.param(4, marks=HEAVY)])
def test_the_readme_gunicorn_command_serves_one_mock_without_a_configuration(workers: int, tmp_path: Path) -> None:
    """No config file (outside the repository) and no database: the workers still share one store."""
    with GunicornMock({"TMPDIR": str(tmp_path)}, workers=workers, cwd=tmp_path) as server:
        assert_one_consistent_mock(server)
        assert "share the database" in "".join(server.log)
    assert list(tmp_path.glob("kling-mock-run-gunicorn-*.sqlite3")), "the file is named after the master"


def test_granian_started_by_hand_serves_one_mock(tmp_path: Path) -> None:
    """``granian --workers 2 --factory mock_server:create_app``, no launcher: the workers still share a store."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--workers", "2", "--factory",
               "--port", str(port), "mock_server:create_app"]  # fmt: skip
    with ServedMock(command, {"TMPDIR": str(tmp_path)}, port=port, cwd=tmp_path) as server:
        assert_one_consistent_mock(server)
        assert "granian workers share the database" in "".join(server.log)


@pytest.mark.parametrize("workers", [2, pytest.param(4, marks=HEAVY)])
def test_gunicorn_with_the_packaged_configuration_serves_one_mock(workers: int, tmp_path: Path) -> None:
    with GunicornMock(workers=workers, cwd=tmp_path, config="python:mock_server.gunicorn_conf") as server:
        assert_one_consistent_mock(server)
        too_large = fresh("GET", server.url + TASKS, headers={"X-Big": "x" * 9000, "Authorization": "Bearer sk-a"})
        assert too_large.json()["code"] == 1200, "gunicorn's own refusals come in the Kling envelope"
        assert "request_id" in too_large.json()


def _boot_at_the_barrier(db: str, barrier: Any) -> None:
    """A worker's start: open the store on ``db`` the moment every other process is ready too, write once."""
    barrier.wait(timeout=60)
    store = Store(db, clock_start_ms=0)
    with store.transaction() as connection:
        connection.execute("SELECT COUNT(*) FROM tasks").fetchone()
    os._exit(0)


@HEAVY
def test_processes_that_open_a_new_database_file_at_the_same_moment_all_boot(tmp_path: Path) -> None:
    """Four processes that open one new database file at the same moment all boot (no 'database is locked').

    The race is in the store's first opening of a file, so it is tried 50 times with forked processes
    released by one barrier: what gunicorn's workers do after its fork, without a server's start each time.
    """
    processes = multiprocessing.get_context("fork")
    for start in range(50):
        barrier = processes.Barrier(4)
        db = str(tmp_path / f"cold-{start}.sqlite3")
        booted = [processes.Process(target=_boot_at_the_barrier, args=(db, barrier)) for _ in range(4)]
        for process in booted:
            process.start()
        for process in booted:
            process.join(timeout=60)
        assert [process.exitcode for process in booted] == [0, 0, 0, 0], f"start {start}"


@HEAVY
def test_cold_starts_of_four_gunicorn_workers_on_a_new_file_never_fail(tmp_path: Path) -> None:
    """The same race through gunicorn's own start: four workers open a new file, every one boots."""
    # The master imports the third-party packages before it forks (a config file that only imports them),
    # so a start costs one such import, not four; each worker still imports the mock, builds its app and
    # opens the new file itself, at the same moment as the others.
    config = tmp_path / "imports_the_libraries.py"
    config.write_text("import flask, httpx, jsonschema_rs, jwt, orjson, yaml  # noqa: F401, E401\n")
    for start in range(2):
        db = tmp_path / f"cold-{start}.sqlite3"
        server = GunicornMock({"KLING_MOCK_DB": str(db)}, workers=4, cwd=tmp_path, config=str(config))
        try:
            for _ in range(8):  # with fresh connections, several workers answer
                assert fresh("GET", server.url + "/__mock__/health").status == 200
        finally:
            server.kill()
        assert "Worker failed to boot" not in "".join(server.log)
        assert "database is locked" not in "".join(server.log)


def test_settings_given_at_start_beat_run_time_changes_of_an_earlier_run(tmp_path: Path) -> None:
    db = tmp_path / "precedence.sqlite3"
    with ProductionMock(workers=2, args=["--db", str(db), "--clock", "virtual"], cwd=tmp_path) as first:
        changed = fresh("PUT", first.url + "/__mock__/config", json_body={"processing_seconds": 100})
        assert changed.json()["config"]["processing_seconds"] == 100
        fresh("POST", first.url + "/__mock__/clock/advance", json_body={"seconds": 60})
        created = fresh("POST", first.url + TASKS, json_body=text_body(), headers={"Authorization": "Bearer sk-p"})
        task_id = data(created)["task_id"]
        clock = fresh("GET", first.url + "/__mock__/clock").json()["now_ms"]
    with ProductionMock(workers=2, args=["--db", str(db), "--processing-seconds", "3"], cwd=tmp_path) as second:
        config = fresh("GET", second.url + "/__mock__/config").json()["config"]
        assert config["processing_seconds"] == 3, "the flag wins over the change the earlier run left"
        # What a restart keeps: tasks and the virtual clock's reading (a task's times stay in the past).
        kept = fresh("GET", f"{second.url}{TASKS}/{task_id}", headers={"Authorization": "Bearer sk-p"})
        assert kept.status == 200
    with ProductionMock(workers=1, args=["--db", str(db), "--clock", "virtual"], cwd=tmp_path) as third:
        assert fresh("GET", third.url + "/__mock__/clock").json()["now_ms"] == clock


def test_run_time_changes_reach_every_worker_of_the_same_run(tmp_path: Path) -> None:
    """A worker never drops what another changed (on the real clock a change takes up to 50 ms to spread)."""
    with ProductionMock(workers=2, args=["--clock", "virtual"], cwd=tmp_path) as server:
        fresh("PUT", server.url + "/__mock__/config", json_body={"max_in_flight": 1})
        seen = {fresh("GET", server.url + "/__mock__/config").json()["config"]["max_in_flight"] for _ in range(20)}
        assert seen == {1}


def run_mock(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", *args], cwd=cwd, capture_output=True, text=True, timeout=30
    )


@HEAVY
@pytest.mark.parametrize("server", SERVERS)
def test_the_start_up_line_comes_once_a_connection_to_its_address_succeeds(server: str, tmp_path: Path) -> None:
    """10 starts on --port 0 (1 and 2 workers): a connection made the moment the line is read succeeds and
    is answered. Before, granian's line came 100-600 ms before any worker listened."""
    for start in range(STARTS):
        with ProductionMock(server=server, workers=1 + start % 2, cwd=tmp_path) as mock:
            assert mock.port != 0, "the line names the port really bound"
            with socket.create_connection(mock.address, timeout=30) as connection:
                connection.sendall(b"GET /__mock__/health HTTP/1.1\r\nHost: mock\r\nConnection: close\r\n\r\n")
                answer = b""
                while piece := connection.recv(65536):
                    answer += piece
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            assert f"{server}, {1 + start % 2} worker" in "".join(mock.log)
            mock.kill()  # a granian worker still loading the app ignores SIGTERM for 5 s


def test_socket_faults_are_one_flag_away(tmp_path: Path) -> None:
    """``--server gunicorn``: the launcher's flags, gunicorn's connection, so a reset is a reset."""
    with ProductionMock(server="gunicorn", workers=1, args=["--threads", "2"], cwd=tmp_path) as mock:
        head = (
            "GET /kling/v1/videos/lip-sync HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer sk-reset\r\n"
            "X-Mock-Scenario: connection-reset\r\n\r\n"
        )
        with socket.create_connection(mock.address, timeout=30) as connection:
            connection.sendall(head.encode())
            with pytest.raises(ConnectionResetError):
                connection.recv(65536)
        assert "gunicorn, 1 worker x 2 threads" in "".join(mock.log)
    assert "kling-lipsync mock --server gunicorn" in SOCKET_HINT, "granian's refusal of a socket fault names the flag"


def test_a_port_in_use_is_one_line_and_a_failure(tmp_path: Path) -> None:
    with ProductionMock(workers=1, cwd=tmp_path) as server:
        taken = run_mock("--port", str(server.port), cwd=tmp_path)
    assert taken.returncode == 1
    assert taken.stderr.strip().splitlines() == [
        f"python -m mock_server: cannot listen on 127.0.0.1:{server.port}: address already in use"
    ]


@pytest.mark.parametrize(
    ("db", "says"),
    [("missing-dir/x.sqlite3", "does not exist"), (".", "is a folder")],
)
def test_a_database_path_that_cannot_work_is_one_line(db: str, says: str, tmp_path: Path) -> None:
    refused = run_mock("--db", db, "--port", str(free_port()), cwd=tmp_path)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert says in lines[0]
    assert lines[0].startswith("python -m mock_server: --db ")


def test_a_postgresql_database_it_cannot_reach_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://mock:secret@127.0.0.1:{free_port()}/kling_mock"  # nothing listens there
    refused = run_mock("--db", url, "--port", str(free_port()), cwd=tmp_path)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("python -m mock_server: --db postgresql://mock:***@127.0.0.1:"), line
    assert "secret" not in line
    assert line.count("postgresql://") == 1, "the URL once"
    assert "Connection refused" in line
