"""A team's mock: two servers (granian, two workers each) sharing one PostgreSQL database, nginx in front
(docs/team.md). They behave as one mock: no id twice, a task made through one is found through the other,
1303 counts an account's tasks across both, each callback goes out once, one clock and one set of scenarios,
the journal names who answered and reads in order; a replica restarted joins the team's run; a server killed
under load loses nothing acknowledged; the database restarted under load costs 5000 answers meanwhile and
nothing after, and a worker replaced meanwhile starts without it.

The store's own contract tests (contract_tests/mock) run on PostgreSQL too (``on_postgresql.py``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import assert_one_consistent_mock, assert_the_remote_suite_passes, data
from contract_tests.postgres import Nginx, PostgresServer
from contract_tests.servers import ROOT, ProductionMock, fresh, workers_of
from kling_lipsync.testing import CallbackReceiver, KlingMock
from mock_server import UNREACHABLE_AT_START
from mock_server.database import SCHEMA_VERSION
from mock_server.store import JournalEntry, Store

pytestmark = [pytest.mark.heavy, pytest.mark.slow]

TASKS = "/kling/v1/videos/lip-sync"
FAST = {"KLING_MOCK_QUEUE_SECONDS": "0.2", "KLING_MOCK_PROCESSING_SECONDS": "0.3"}


@dataclass
class Team:
    """Two servers on one database, and nginx in front of them."""

    database: str
    servers: list[ProductionMock]
    front: Nginx
    env: Mapping[str, str]

    def server(self, env: Mapping[str, str] | None = None) -> ProductionMock:
        return ProductionMock({**self.env, **(env or {})}, workers=2)


@pytest.fixture
def team(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[Team]:
    name = request.node.name.replace("[", "_").replace("]", "").lower()[:50]
    settings = getattr(request, "param", {})
    env = {"KLING_MOCK_DB": postgres_server.url(name), "KLING_MOCK_DISPATCH_INTERVAL_SECONDS": "0.05", **settings}
    servers = [ProductionMock(env, workers=2) for _ in range(2)]
    front = Nginx([f"127.0.0.1:{server.port}" for server in servers])
    yield Team(postgres_server.url(name), servers, front, env)
    front.stop()
    for server in servers:
        server.stop()


def _auth(account: str) -> dict[str, str]:
    return {"Authorization": f"Bearer sk-{account}"}


@pytest.mark.parametrize("team", [{**FAST, "KLING_MOCK_MAX_IN_FLIGHT": "100"}], indirect=True)
def test_through_nginx_the_two_servers_are_one_mock_and_the_journal_names_who_answered(team: Team) -> None:
    assert_one_consistent_mock(team.front)
    one, other = team.servers
    made = data(fresh("POST", one.url + TASKS, json_body=text_body(), headers=_auth("cross")))["task_id"]
    found = fresh("GET", f"{other.url}{TASKS}/{made}", headers=_auth("cross"))
    assert data(found)["task_id"] == made, "made through one server, found at once through the other"
    journal = fresh("GET", f"{team.front.url}/__mock__/requests?limit=1000&order=newest").json()["requests"]
    names = {entry["server"] for entry in journal}
    assert {f"{os.uname().nodename}:{server.port}" for server in team.servers} <= names, names
    mine = f"{os.uname().nodename}:{one.port}"
    only = fresh("GET", f"{team.front.url}/__mock__/requests?server={mine}").json()["requests"]
    assert only, "the server's own requests are in the journal"
    assert {entry["server"] for entry in only} == {mine}, "the journal filters by server"


@pytest.mark.parametrize("team", [{**FAST, "KLING_MOCK_MAX_IN_FLIGHT": "100"}], indirect=True)
def test_the_remote_contract_suite_passes_through_nginx(team: Team) -> None:
    assert_the_remote_suite_passes(f"{team.front.url}/kling", "sk-team-remote")


@pytest.mark.parametrize("team", [{"KLING_MOCK_CLOCK": "virtual", "KLING_MOCK_MAX_IN_FLIGHT": "3"}], indirect=True)
def test_slots_clock_and_scenarios_are_the_same_on_both_servers(team: Team) -> None:
    one, other = team.servers
    auth = _auth("slots")
    for server in (one, other, one):
        assert fresh("POST", server.url + TASKS, json_body=text_body(), headers=auth).json()["code"] == 0
    for server in (one, other):
        refused = fresh("POST", server.url + TASKS, json_body=text_body(), headers=auth).json()
        assert refused["code"] == 1303, "three tasks run across the two servers: the account's three slots"

    scenario = {
        "timeline": {"queue_seconds": 0, "processing_seconds": 30, "outcome": "failed", "failure_message": "team"}
    }
    assert fresh("PUT", one.url + "/__mock__/scenarios/team-made", json_body=scenario).status == 200
    failing = {**_auth("scenario"), "X-Mock-Scenario": "team-made"}
    made = data(fresh("POST", other.url + TASKS, json_body=text_body(), headers=failing))["task_id"]
    fresh("POST", one.url + "/__mock__/clock/advance", json_body={"seconds": 31})
    seen = [fresh("GET", f"{server.url}{TASKS}/{made}", headers=failing) for server in (one, other)]
    assert [(data(s)["task_status"], data(s)["task_status_msg"]) for s in seen] == [("failed", "team")] * 2
    clocks = [fresh("GET", server.url + "/__mock__/clock").json()["now_ms"] for server in (one, other)]
    assert clocks[0] == clocks[1], "one virtual clock"
    assert fresh("POST", other.url + TASKS, json_body=text_body(), headers=auth).json()["code"] == 0, "slots freed"


def _team_made(server: ProductionMock) -> tuple[set[str], float]:
    """The scenarios defined at run time, and the queue time in force, as ``server`` sees them."""
    scenarios = fresh("GET", server.url + "/__mock__/scenarios").json()["scenarios"]
    config = fresh("GET", server.url + "/__mock__/config").json()["config"]
    return {s["name"] for s in scenarios if not s["builtin"]}, config["queue_seconds"]


@pytest.mark.parametrize("team", [{"KLING_MOCK_CLOCK": "virtual"}], indirect=True)
def test_a_server_restarted_joins_the_team_and_a_team_started_anew_starts_anew(team: Team) -> None:
    """A replica restarted while another serves keeps what the team changed at run time; a start after every
    server stopped drops it, as a restart of a single server does (the settings given at start win)."""
    one, other = team.servers
    scenario = {"timeline": {"outcome": "failed", "failure_message": "team"}}
    assert fresh("PUT", one.url + "/__mock__/scenarios/team-made", json_body=scenario).status == 200
    assert fresh("PUT", one.url + "/__mock__/config", json_body={"queue_seconds": 7}).status == 200
    other.stop()
    team.servers[1] = replica = team.server()
    assert _team_made(replica) == ({"team-made"}, 7), "the replica joined the team's run"
    one.stop()
    replica.stop()
    team.servers.append(anew := team.server())
    assert _team_made(anew) == (set(), 1.0), "every server had stopped: a new run, the settings given at start"


@pytest.mark.parametrize("team", [{**FAST, "KLING_MOCK_MAX_IN_FLIGHT": "100"}], indirect=True)
def test_each_callback_is_delivered_once_by_one_of_the_servers(team: Team) -> None:
    with CallbackReceiver() as receiver:
        made = []
        for number in range(16):
            server = team.servers[number % 2]
            body = {**text_body(), "callback_url": receiver.url}
            made.append(data(fresh("POST", server.url + TASKS, json_body=body, headers=_auth("callbacks")))["task_id"])
        # submitted (for 0.2 s), processing, succeed: three transitions each.
        received = receiver.wait_for(len(made) * 3, timeout=120)
        counted = collections.Counter((c.json()["task_id"], c.json()["task_status"]) for c in received)
        assert set(counted.values()) == {1}, [key for key, n in counted.items() if n > 1]
        assert {task for task, _ in counted} == set(made)
    attempts = fresh("GET", team.front.url + "/__mock__/callbacks?limit=500").json()["callbacks"]
    assert [a["outcome"] for a in attempts] == ["delivered"] * len(made) * 3, "one attempt per transition, none twice"


class Acknowledged:
    """The ids the servers acknowledged under load, per account; ``wait_for`` blocks until there are enough."""

    def __init__(self) -> None:
        self.ids: dict[str, list[str]] = collections.defaultdict(list)
        self.failed: collections.Counter[str] = collections.Counter()
        self.answers: list[tuple[int, dict[str, Any]]] = []
        self._changed = threading.Condition()

    def note(self, account: str, status: int, body: dict[str, Any]) -> None:
        with self._changed:
            self.answers.append((status, body))
            if body.get("code") == 0:
                self.ids[account].append(body["data"]["task_id"])
            else:
                self.failed[account] += 1
            self._changed.notify_all()

    def count(self, account: str) -> int:
        with self._changed:
            return len(self.ids[account])

    def wait_for(self, account: str, count: int, *, failed: int = 0) -> None:
        """Until ``account`` has ``count`` acknowledged tasks and ``failed`` other answers: counted, not timed, so
        the same on a slow machine (the limit only ends a run that is stuck)."""

        def enough() -> bool:
            return len(self.ids[account]) >= count and self.failed[account] >= failed

        with self._changed:
            assert self._changed.wait_for(enough, timeout=300), (dict(self.ids), self.failed)


def _load(server: ProductionMock, account: str, stop: threading.Event, seen: Acknowledged) -> None:
    """Create tasks on ``server`` until ``stop``; note every answer, and the id of every acknowledged task."""
    with httpx.Client(base_url=server.url, headers=_auth(account), timeout=30) as client:
        while not stop.is_set():
            try:
                response = client.post(TASKS, json=text_body())
            except httpx.TransportError:
                if server.process.poll() is not None:
                    return  # killed: the test's doing
                seen.note(account, 0, {})
                continue
            try:
                seen.note(account, response.status_code, response.json())
            except ValueError:  # not JSON: noted as such, for the test to show
                seen.note(account, response.status_code, {"not json": response.text[:200]})


def _all_there(server: ProductionMock, account: str, ids: list[str]) -> list[str]:
    with httpx.Client(base_url=server.url, headers=_auth(account), timeout=30) as client:
        return [task for task in ids if client.get(f"{TASKS}/{task}").status_code != 200]


@pytest.mark.parametrize("team", [{"KLING_MOCK_MAX_IN_FLIGHT": "100000"}], indirect=True)
def test_a_server_killed_under_load_loses_no_acknowledged_task(team: Team) -> None:
    victim, survivor = team.servers
    stop, seen = threading.Event(), Acknowledged()
    loads = [(victim, "victim"), (victim, "victim"), (survivor, "survivor")]
    threads = [threading.Thread(target=_load, args=(server, name, stop, seen)) for server, name in loads]
    for thread in threads:
        thread.start()
    try:
        seen.wait_for("victim", 200)
        victim.kill()  # SIGKILL to its main process and both workers, in the middle of creates
        seen.wait_for("survivor", seen.count("survivor") + 100)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert _all_there(survivor, "victim", seen.ids["victim"]) == []
    assert _all_there(survivor, "survivor", seen.ids["survivor"]) == []
    restarted = team.server()
    team.servers[0] = restarted
    assert _all_there(restarted, "victim", seen.ids["victim"]) == [], "and through a server started anew"
    again = data(fresh("POST", restarted.url + TASKS, json_body=text_body(), headers=_auth("victim")))["task_id"]
    assert again not in seen.ids["victim"] + seen.ids["survivor"], "no id handed out twice"


@pytest.mark.parametrize("team", [{"KLING_MOCK_MAX_IN_FLIGHT": "100000"}], indirect=True)
def test_the_database_stopped_under_load_costs_5000_meanwhile_and_nothing_after(
    team: Team, postgres_server: PostgresServer
) -> None:
    stop, seen = threading.Event(), Acknowledged()
    accounts = [f"restart-{number}" for number, _ in enumerate(team.servers)]
    threads = [
        threading.Thread(target=_load, args=(server, account, stop, seen))
        for server, account in zip(team.servers, accounts, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        for account in accounts:
            seen.wait_for(account, 100)
        postgres_server.stop()  # every connection of every server's pool is closed under it
        for account in accounts:  # each server answers while the database is away
            seen.wait_for(account, 0, failed=2)
        postgres_server.start()
        for account in accounts:  # and creates again, neither restarted
            seen.wait_for(account, seen.count(account) + 100)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    kinds = collections.Counter((status, body.get("code")) for status, body in seen.answers)
    assert set(kinds) <= {(200, 0), (500, 5000)}, [b for _, b in seen.answers if b.get("code") != 0][:5]
    assert all("request_id" in body for _, body in seen.answers), "every answer in the Kling envelope"
    for server, account in zip(team.servers, accounts, strict=True):
        assert _all_there(server, account, seen.ids[account]) == [], "every acknowledged task is still there"


def test_the_store_contract_tests_pass_on_postgresql(postgres_server: PostgresServer) -> None:
    """contract_tests/mock, every in-process mock on a PostgreSQL database of its own (``on_postgresql.py``)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "contract_tests.on_postgresql",
            "-m",
            "not heavy",
            "-n",
            "2",
            "contract_tests/mock",
            "contract_tests/recording",
            "--deselect",
            "contract_tests/mock/test_dashboard_browser.py",
        ],
        cwd=ROOT,
        env={**os.environ, "KLING_TEST_POSTGRES": f"postgresql://postgres@127.0.0.1:{postgres_server.port}"},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    created = postgres_server.psql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'store_%'")
    assert int(created) > 50, "the in-process mocks ran on PostgreSQL"


@pytest.mark.parametrize(
    ("version", "says"),
    [
        (SCHEMA_VERSION + 1, f"newer layout (version {SCHEMA_VERSION + 1}; this mock knows up to {SCHEMA_VERSION}): "
         "upgrade kling-lipsync"),
        (SCHEMA_VERSION - 1, f"another layout (version {SCHEMA_VERSION - 1}, now {SCHEMA_VERSION}): start the mock "
         "on a new database"),
    ],
)  # fmt: skip
def test_a_database_of_another_layout_is_refused_in_one_line(
    postgres_server: PostgresServer, version: int, says: str
) -> None:
    url = postgres_server.url(f"layout_{version}")
    Store(url, clock_start_ms=0).close()  # laid out, as a server leaves it
    assert postgres_server.psql(f"layout_{version}", "SELECT version FROM mock_schema") == f"{SCHEMA_VERSION}\n"
    postgres_server.psql(f"layout_{version}", f"UPDATE mock_schema SET version = {version}")
    refused = subprocess.run(
        [sys.executable, "-m", "mock_server", "--db", url, "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith(f"python -m mock_server: --db {url}: "), line
    assert says in line
    assert postgres_server.psql(f"layout_{version}", "SELECT version FROM mock_schema") == f"{version}\n", "untouched"


def test_journal_batches_wait_in_line_so_a_reader_of_what_is_new_misses_none(postgres_server: PostgresServer) -> None:
    """Ids are handed out at the insert: a batch committed before an earlier one would show a reader (``since``)
    an id past entries still to come. So every batch takes the journal's lock, and waits for the one holding it."""
    url = postgres_server.url("journal_line")
    store = Store(url, clock_start_ms=0)
    entry = JournalEntry(0, "GET", "/x", "", None, None, 200, 0, "r1", None, None, None, None, None, 1.0, "here")
    store.journal_append(entry, keep=100)
    flushing = threading.Thread(target=store.flush_journal)
    with psycopg.connect(url, autocommit=True) as other, other.transaction():  # another server's batch, unfinished
        other.execute("SELECT pg_advisory_xact_lock(hashtextextended('journal', 0))")
        flushing.start()
        flushing.join(timeout=1)
        assert flushing.is_alive(), "the batch waits for the one before it"
    flushing.join(timeout=60)
    assert [row["request_id"] for row in store.journal(10)] == ["r1"], "and is written once that one ended"
    store.close()


def _wait_for(condition: Callable[[], bool], server: ProductionMock) -> None:
    """Until ``condition`` holds, the server alive meanwhile (the limit only ends a run that is stuck)."""
    deadline = time.monotonic() + 120
    while not condition():
        assert server.process.poll() is None, "".join(server.log)[-3000:]
        assert time.monotonic() < deadline, "".join(server.log)[-3000:]
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_a_worker_replaced_while_the_database_is_away_starts_and_serves_once_it_is_back(
    postgres_server: PostgresServer, kind: str
) -> None:
    env = {"KLING_MOCK_DB": postgres_server.url(f"worker_{kind}"), "KLING_MOCK_MAX_IN_FLIGHT": "100"}
    server = ProductionMock(env, workers=2, server=kind)
    try:
        assert fresh("POST", server.url + TASKS, json_body=text_body(), headers=_auth("up")).status == 200
        _wait_for(lambda: len(workers_of(server.process.pid)) == 2, server)  # gunicorn spawns them one by one
        first = workers_of(server.process.pid)
        postgres_server.stop()
        os.kill(min(first), signal.SIGKILL)
        # The replacement started, without its database.
        _wait_for(lambda: UNREACHABLE_AT_START in "".join(server.log), server)
        refused = fresh("POST", server.url + TASKS, json_body=text_body(), headers=_auth("away"))
        assert (refused.status, refused.json()["code"]) == (500, 5000)
        postgres_server.start()
        answers = [fresh("POST", server.url + TASKS, json_body=text_body(), headers=_auth("back")) for _ in range(10)]
        assert [(a.status, a.json()["code"]) for a in answers] == [(200, 0)] * 10, "both workers serve again"
        assert server.process.poll() is None
        assert len(workers_of(server.process.pid)) == 2
    finally:
        with contextlib.suppress(RuntimeError):
            postgres_server.start()
        server.stop()


def test_a_mock_in_process_ends_its_run_when_closed(postgres_server: PostgresServer) -> None:
    """``KlingMock`` on a team's database is a server of its own: closed, the next one starts anew (the settings
    given at start win), rather than join a run no one serves any more."""
    url = postgres_server.url("in_process_runs")
    with KlingMock({"db": url, "clock": "real"}) as first:
        first.http.get("/__mock__/health")  # started: its run is alive
        assert first.http.put("/__mock__/config", json={"queue_seconds": 7}).status_code == 200
        with KlingMock({"db": url, "clock": "real"}) as beside:
            assert beside.http.get("/__mock__/config").json()["config"]["queue_seconds"] == 7, "joined the live run"
    with KlingMock({"db": url, "clock": "real"}) as after:
        assert after.http.get("/__mock__/config").json()["config"]["queue_seconds"] == 1.0, "a new run"
