"""In-process speed with the pytest plugin's mock (pytest-benchmark): `make bench` reports, nothing asserts time.

Two measurements print a summary line at the end of the run (``conftest.py``): the mock against respx's canned
answers through the same generated client (the ratio), and the create rate of one account with none and with
thousands of tasks running.
"""

from __future__ import annotations

import base64
import itertools
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import respx

from bench.conftest import report
from kling_lipsync.testing import MOCK_BASE_URL, KlingMock, MockPool
from kling_lipsync_client import AuthenticatedClient
from kling_lipsync_client.api.advanced_lip_sync import create_advanced_lip_sync_task, identify_faces
from kling_lipsync_client.api.lip_sync import create_lip_sync_task, get_lip_sync_task
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTaskCreatedResponse,
    AudioType,
    FaceChoice,
    FaceSessionResponse,
    IdentifyFaceRequest,
    LipSyncCreateRequest,
    LipSyncInput,
    LipSyncMode,
    TaskCreatedResponse,
    TaskResponse,
    TaskStatus,
)

BODY = LipSyncCreateRequest(
    input_=LipSyncInput(
        mode=LipSyncMode.AUDIO2VIDEO,
        video_url="https://example.com/face.mp4",
        audio_type=AudioType.URL,
        audio_url="https://example.com/line.mp3",
    )
)


def create(client: AuthenticatedClient) -> str:
    answer = create_lip_sync_task.sync(client=client, body=BODY)
    assert isinstance(answer, TaskCreatedResponse), answer
    return answer.data.task_id


def status(client: AuthenticatedClient, task_id: str) -> object:
    answer = get_lip_sync_task.sync(task_id, client=client)
    assert isinstance(answer, TaskResponse), answer
    return answer.data.task_status


def create_and_poll(client: AuthenticatedClient) -> None:
    assert status(client, create(client)) is TaskStatus.SUBMITTED


def test_create_and_poll_through_the_generated_client(benchmark: Any) -> None:
    with KlingMock({"max_in_flight": 10**9}) as mock:
        client = mock.generated_client("sk-bench")
        benchmark(create_and_poll, client)


# -- against respx: the same client, the same two calls, answered by canned responses ----------------------

#: What respx answers: the mock's own answers to the same create and poll, so the client parses the same.
CANNED_TASK_ID = "860000000000000001"


@contextmanager
def respx_canned() -> Iterator[AuthenticatedClient]:
    """The generated client, as respx's users mock it: ``respx.mock`` routes with canned answers."""
    with KlingMock() as mock, mock.httpx_client("sk-bench") as http:
        created = http.post("/v1/videos/lip-sync", json=BODY.to_dict()).json()
        polled = http.get(f"/v1/videos/lip-sync/{created['data']['task_id']}").json()
    base_url = f"{MOCK_BASE_URL}/kling"
    with respx.mock(base_url=base_url, assert_all_called=True) as router:
        router.post("/v1/videos/lip-sync", name="create").respond(200, json=created)
        router.get(path__regex=r"/v1/videos/lip-sync/\d+$", name="poll").respond(200, json=polled)
        yield AuthenticatedClient(base_url=base_url, token="sk-bench", raise_on_unexpected_status=True)


def test_create_and_poll_against_respx_canned_answers(benchmark: Any) -> None:
    with respx_canned() as client:
        benchmark(create_and_poll, client)


def _timings(step: Callable[[], object], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return times


def test_the_mock_against_respx_through_the_same_client(request: pytest.FixtureRequest) -> None:
    """Create+poll in process against respx's canned answers, in alternating blocks (the load is shared)."""
    blocks, per_block = (2, 20) if request.config.getoption("benchmark_disable") else (20, 250)
    ours: list[float] = []
    theirs: list[float] = []
    with KlingMock({"max_in_flight": 10**9}) as mock, respx_canned() as canned:
        client = mock.generated_client("sk-bench")
        for _ in range(blocks):
            ours += _timings(lambda: create_and_poll(client), per_block)
            theirs += _timings(lambda: create_and_poll(canned), per_block)
    mock_ms, respx_ms = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
    report(
        f"in process, create+poll through the generated client (medians of {len(ours)}): mock {mock_ms:.3f} ms, "
        f"respx's canned answers {respx_ms:.3f} ms: {mock_ms / respx_ms:.2f}x"
    )


# -- one account's create rate as its running tasks grow -----------------------------------------------------


def test_creates_do_not_slow_as_the_accounts_running_tasks_grow(request: pytest.FixtureRequest) -> None:
    """Creates a second for one account (no limit in flight) with none running, then with thousands running."""
    measured, running = (50, 500) if request.config.getoption("benchmark_disable") else (1000, 5000)
    with KlingMock({"max_in_flight": 10**9}) as mock:
        client = mock.generated_client("sk-bench")

        def rate() -> float:
            times = _timings(lambda: create(client), measured)
            return 1 / statistics.median(times)

        at_start = rate()
        for _ in range(running - measured):
            create(client)
        at_many = rate()
    report(
        f"creates for one account: {at_start:,.0f}/s with none running, {at_many:,.0f}/s with {running:,} "
        f"running ({at_many / at_start:.2f}x)"
    )


#: Three seconds of real MP3, as a client sends a local file: the mock decodes and measures it (mutagen).
LINE = base64.b64encode((Path(__file__).parent.parent / "demo" / "line-3s.mp3").read_bytes()).decode()


def test_identify_then_create_advanced_through_the_generated_client(benchmark: Any) -> None:
    """Advanced lip-sync's two calls, with base64 audio the mock measures: the family's costliest path."""
    with KlingMock({"max_in_flight": 10**9}) as mock:
        client = mock.generated_client("sk-bench")
        video = IdentifyFaceRequest(video_url="https://example.com/face.mp4")

        def identify_and_create() -> None:
            session = identify_faces.sync(client=client, body=video)
            assert isinstance(session, FaceSessionResponse), session
            choice = FaceChoice(
                face_id="0", sound_file=LINE, sound_start_time=0, sound_end_time=3000, sound_insert_time=0
            )
            body = AdvancedLipSyncCreateRequest(session_id=session.data.session_id, face_choose=[choice])
            created = create_advanced_lip_sync_task.sync(client=client, body=body)
            assert isinstance(created, AdvancedLipSyncTaskCreatedResponse), created

        benchmark(identify_and_create)


def test_a_thousand_lifecycles_on_the_virtual_clock(benchmark: Any) -> None:
    accounts = itertools.count()

    def thousand_lifecycles() -> None:
        with KlingMock() as mock:
            settings = mock.settings
            clients = [mock.generated_client(f"sk-life-{next(accounts)}") for _ in range(200)]
            for _ in range(5):  # 200 accounts x 5 tasks (the default limit in flight) = 1000 lifecycles
                ids = [(c, create(c)) for c in clients]
                mock.advance(settings.queue_seconds)
                assert all(status(c, t) is TaskStatus.PROCESSING for c, t in ids)
                mock.advance(settings.processing_seconds)
                assert all(status(c, t) is TaskStatus.SUCCEED for c, t in ids)

    benchmark.pedantic(thousand_lifecycles, rounds=3, iterations=1)


def test_what_kling_mock_costs_a_test(benchmark: Any) -> None:
    """The ``kling_mock`` fixture's cost per test: a session mock reset and handed out again."""
    pool = MockPool()
    pool.release(pool.acquire())

    def one_test() -> None:
        pool.release(pool.acquire({"max_in_flight": 1}))

    benchmark(one_test)
    pool.close()


def test_what_a_new_mock_costs(benchmark: Any) -> None:
    """What each test paid before the pool: a new app, its compiled rules and database."""

    def new_mock() -> None:
        KlingMock().close()

    benchmark(new_mock)


def test_what_a_ten_second_result_costs_to_make(request: pytest.FixtureRequest) -> None:
    """A 10 s result carrying 3 s of MP3 inserted at 2 s (mock_server/results.py): CPU per result, made
    without the cache (the first download of each task's result pays it; later ones read the store)."""
    from mock_server import results
    from mock_server.media import result_video_id

    rounds = 2 if request.config.getoption("benchmark_disable") else 20
    with KlingMock({"max_in_flight": 10**9}) as mock:
        mock.register_video(video_url="https://example.com/ten.mp4", duration_ms=10_000, faces=[(0, 10_000)])
        with mock.api("advanced-lip-sync") as api:
            session = api.open_session({"video_url": "https://example.com/ten.mp4"})
            choice = {"face_id": "0", "sound_file": LINE, "sound_start_time": 0, "sound_end_time": 3000,
                      "sound_insert_time": 2000}  # fmt: skip
            created = api.create({"session_id": session["session_id"], "face_choose": [choice]})
        store = mock.app.extensions["kling_mock"].store
        row = store.task_by_result_video(result_video_id(created["task_id"]))
        sound = results.Sound.from_json(row["sound"])
        results._make(store, sound, False, 10_000)  # PyAV's import and the template's packets, once per process
        cpu = []
        for _ in range(rounds):
            started = time.process_time()
            made = results._make(store, sound, False, 10_000)
            cpu.append((time.process_time() - started) * 1000)
    assert made[4:8] == b"ftyp"
    report(
        f"a 10 s result with 3 s of audio: {statistics.median(cpu):.0f} ms of CPU (median of {rounds}, "
        f"min {min(cpu):.0f}), {len(made) // 1024} KiB; the budget is 200 ms"
    )


# -- where a request's time goes, SQLite beside PostgreSQL -----------------------------------------------------


class _Statements:
    """Counts the statements the PostgreSQL store sends (each a round trip) and the time spent waiting for them."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    @contextmanager
    def counted(self) -> Iterator[None]:
        import psycopg

        execute, executemany = psycopg.Connection.execute, psycopg.Cursor.executemany

        def timed(method: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    self.seconds += time.perf_counter() - started
                    self.count += 1

            return run

        psycopg.Connection.execute = timed(execute)  # type: ignore[method-assign]
        psycopg.Cursor.executemany = timed(executemany)  # type: ignore[method-assign]
        try:
            yield
        finally:
            psycopg.Connection.execute = execute  # type: ignore[method-assign]
            psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]


def _per_request(mock: KlingMock, statements: _Statements, rounds: int) -> dict[str, tuple[float, float, float]]:
    """operation -> (median ms per request in process; mean statements and ms waiting for PostgreSQL per request)."""
    measured: dict[str, tuple[float, float, float]] = {}
    with mock.httpx_client("sk-bench") as http:
        task_ids = [http.post("/v1/videos/lip-sync", json=BODY.to_dict()).json()["data"]["task_id"] for _ in range(30)]
        fresh = (f"Bearer sk-bench-{n}" for n in itertools.count())  # creates from a new account each, as wrk's
        operations: dict[str, Callable[[], object]] = {
            "create": lambda: http.post(
                "/v1/videos/lip-sync", json=BODY.to_dict(), headers={"Authorization": next(fresh)}
            ),
            "query": lambda: http.get(f"/v1/videos/lip-sync/{task_ids[-1]}"),
            "list": lambda: http.get("/v1/videos/lip-sync?pageSize=30"),
        }
        for name, step in operations.items():
            step()  # the first of its kind compiles and caches
            statements.count, statements.seconds = 0, 0.0
            times = _timings(step, rounds)
            measured[name] = (
                statistics.median(times) * 1000,
                statements.count / rounds,
                statements.seconds * 1000 / rounds,
            )
    return measured


def test_where_a_request_s_time_goes_on_each_store(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Create, query and list in process on a SQLite file and on PostgreSQL (loopback): the time per request and,
    on PostgreSQL, the statements it sends and the time it waits for their answers (journal batches included)."""
    from contract_tests.postgres import PostgresServer, postgres_binaries

    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server (make team-servers)")
    rounds = 20 if request.config.getoption("benchmark_disable") else 2000
    settings = {"max_in_flight": 30, "clock": "real"}
    statements = _Statements()
    with KlingMock({**settings, "db": str(tmp_path / "mock.sqlite3")}) as mock:
        on_sqlite = _per_request(mock, statements, rounds)
    server = PostgresServer(binaries)
    try:
        with statements.counted(), KlingMock({**settings, "db": server.url("bench_inprocess")}) as mock:
            on_postgresql = _per_request(mock, statements, rounds)
    finally:
        server.close()
    for name in on_sqlite:
        pg_ms, pg_statements, pg_waiting = on_postgresql[name]
        report(
            f"{name} in process (median of {rounds}): SQLite {on_sqlite[name][0]:.3f} ms; PostgreSQL {pg_ms:.3f} ms, "
            f"of which {pg_waiting:.3f} ms waiting for {pg_statements:.1f} statements (means)"
        )
