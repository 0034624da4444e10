"""Transport faults, per-poll plans and scenarios defined at run time, seen from a plain socket, from httpx,
and from the clients that must survive them.

Socket faults need a server that lends its connection: gunicorn here (over real sockets), and ``KlingMock``
in process, where each fault becomes the error httpx raises for it on a real socket (checked against
gunicorn below). granian refuses them with a request error that names gunicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from contract_tests.servers import GunicornMock, ProductionMock
from kling_lipsync import AnswerLost, LipSync, TransportError, WaitTimeout, cli
from kling_lipsync.testing import KlingMock
from kling_lipsync_client.api.lip_sync import create_lip_sync_task
from kling_lipsync_client.models import LipSyncCreateRequest
from kling_spec.families import family
from mock_server.scenarios import FAULTS, SCENARIOS

TASKS = family("lip-sync").collection_path
ADVANCED = family("advanced-lip-sync")
SOCKET_FAULTS = ["connection-reset", "empty-response", "malformed-chunk", "random-data-then-close"]


def raw_exchange(port: int, path: str, scenario: str, body: bytes = b"") -> tuple[list[bytes], BaseException | None]:
    """Send one request on a plain socket; every piece received until the server closes, and how it closed."""
    head = (
        f"{'POST' if body else 'GET'} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Authorization: Bearer sk-sockets\r\nContent-Type: application/json\r\nX-Mock-Scenario: {scenario}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    pieces: list[bytes] = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(head.encode() + body)
        try:
            while piece := client.recv(65536):
                pieces.append(piece)
        except ConnectionResetError as reset:
            return pieces, reset
    return pieces, None


@pytest.fixture(scope="module")
def gunicorn() -> Iterator[GunicornMock]:
    server = GunicornMock({"KLING_MOCK_LOG_REQUESTS": "0", "KLING_MOCK_MAX_IN_FLIGHT": "1000"}, workers=1)
    yield server
    server.stop()


# -- what a plain socket sees ------------------------------------------------------------------------------


@pytest.mark.slow
def test_each_fault_as_a_plain_socket_sees_it(gunicorn: GunicornMock) -> None:
    body = json.dumps(text_body()).encode()
    pieces, closed = raw_exchange(gunicorn.port, f"/kling{TASKS}", "connection-reset", body)
    assert (pieces, type(closed)) == ([], ConnectionResetError), "a reset, not a single byte"
    pieces, closed = raw_exchange(gunicorn.port, f"/kling{TASKS}", "empty-response", body)
    assert (pieces, closed) == ([], None), "zero bytes, then an orderly close"
    pieces, closed = raw_exchange(gunicorn.port, f"/kling{TASKS}", "malformed-chunk", body)
    head, _, chunked = b"".join(pieces).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Transfer-Encoding: chunked" in head
    size_line = chunked.split(b"\r\n")[0]
    with pytest.raises(ValueError, match="invalid literal"):
        int(size_line, 16)  # the chunk's size line is not hexadecimal: the body cannot be read
    pieces, closed = raw_exchange(gunicorn.port, f"/kling{TASKS}", "random-data-then-close", body)
    assert pieces, "some bytes came"
    assert not b"".join(pieces).startswith(b"HTTP/"), "they are not HTTP"


@pytest.mark.slow
def test_a_dribbled_answer_arrives_in_pieces_and_whole(gunicorn: GunicornMock) -> None:
    httpx.put(f"{gunicorn.url}/__mock__/scenarios/trickle", json={"fault": "dribble", "dribble_seconds": 0.8})
    pieces, closed = raw_exchange(gunicorn.port, f"/kling{TASKS}", "trickle")
    assert closed is None
    assert len(pieces) >= 3, "the body came in several pieces, apart in time"
    answer = json.loads(b"".join(pieces).partition(b"\r\n\r\n")[2])
    assert answer["code"] == 0, "and whole"


@pytest.mark.slow
def test_accepted_then_reset_stores_the_task_and_reset_before_accept_does_not(gunicorn: GunicornMock) -> None:
    body = json.dumps(text_body()).encode()
    token = {"Authorization": "Bearer sk-sockets"}
    before = len(data(httpx.get(f"{gunicorn.url}/kling{TASKS}", params={"pageSize": 500}, headers=token)))
    assert raw_exchange(gunicorn.port, f"/kling{TASKS}", "reset-before-accept", body)[0] == []
    after_refusal = len(data(httpx.get(f"{gunicorn.url}/kling{TASKS}", params={"pageSize": 500}, headers=token)))
    assert raw_exchange(gunicorn.port, f"/kling{TASKS}", "accepted-then-reset", body)[0] == []
    after_accept = len(data(httpx.get(f"{gunicorn.url}/kling{TASKS}", params={"pageSize": 500}, headers=token)))
    assert (after_refusal, after_accept) == (before, before + 1)


# -- httpx meets the same error in process as on a real socket -------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("fault", SOCKET_FAULTS)
def test_in_process_faults_raise_what_a_real_socket_raises(
    gunicorn: GunicornMock, kling_mock: KlingMock, fault: str
) -> None:
    headers = {"X-Mock-Scenario": fault}
    with pytest.raises(httpx.TransportError) as real:
        httpx.post(
            f"{gunicorn.url}/kling{TASKS}", json=text_body(), headers={**headers, "Authorization": "Bearer sk-x"}
        )
    with kling_mock.httpx_client() as client, pytest.raises(httpx.TransportError) as in_process:
        client.post(TASKS, json=text_body(), headers=headers)
    assert type(in_process.value) is type(real.value)
    assert str(in_process.value) in str(real.value)


def test_granian_refuses_socket_faults_and_names_the_server_that_can(tmp_path: Path) -> None:
    with ProductionMock(workers=1, args=["--no-log-requests"], cwd=tmp_path) as server:
        answer = httpx.get(
            f"{server.url}/kling{TASKS}",
            headers={"Authorization": "Bearer sk-x", "X-Mock-Scenario": "connection-reset"},
        )
        body = answer.json()
        assert (answer.status_code, body["code"]) == (400, 1201)
        assert "gunicorn -c python:mock_server.gunicorn_conf" in body["message"]
        httpx.put(f"{server.url}/__mock__/scenarios/trickle", json={"fault": "dribble", "dribble_seconds": 0.8})
        pieces, closed = raw_exchange(server.port, f"/kling{TASKS}", "trickle")
    assert closed is None
    assert len(pieces) >= 3, "granian dribbles too"


def test_under_granian_a_delayed_answer_holds_no_thread(tmp_path: Path) -> None:
    """One process, one app thread: while an answer waits out its scenario's delay (on the front's event loop),
    other requests are answered. Before the front, the delay slept in that thread and everything waited."""
    with ProductionMock(workers=1, args=["--no-log-requests"], cwd=tmp_path) as server:
        httpx.put(f"{server.url}/__mock__/scenarios/late", json={"delay": {"kind": "fixed", "ms": 20_000}})

        def ask_late() -> None:
            with contextlib.suppress(httpx.TransportError):  # the server stops before the delay is over
                httpx.get(f"{server.url}/kling{TASKS}", headers={"Authorization": "Bearer sk-late",
                                                               "X-Mock-Scenario": "late"}, timeout=60)  # fmt: skip

        late = threading.Thread(target=ask_late, daemon=True)
        late.start()
        # The journal has the request once its answer is made, before the delay: a request answered then.
        with httpx.Client(base_url=server.url, timeout=15) as client:
            while not client.get("/__mock__/requests").json()["requests"]:
                pass
            created = client.post(f"/kling{TASKS}", json=text_body(), headers={"Authorization": "Bearer sk-on-time"})
        assert created.status_code == 200
        assert late.is_alive(), "the other requests were answered while the late one still waited"


# -- scenarios defined at run time -------------------------------------------------------------------------

FLAKY = {"polls": {"2": 5001, "3": 5001, "4": "connection-reset"}}


def poll_outcomes(client: httpx.Client, path: str, times: int) -> list[Any]:
    outcomes: list[Any] = []
    for _ in range(times):
        try:
            outcomes.append(client.get(path).json()["code"])
        except httpx.TransportError as error:
            outcomes.append(type(error).__name__)
    return outcomes


def test_a_scenario_defined_over_http_governs_a_task_s_polls(kling_mock: KlingMock) -> None:
    defined = kling_mock.http.put("/__mock__/scenarios/flaky", json=FLAKY).json()["scenario"]
    assert (defined["kind"], defined["builtin"], defined["polls"]) == ("task", False, FLAKY["polls"])
    with kling_mock.httpx_client() as client:
        task_id = data(client.post(TASKS, json=text_body(), headers={"X-Mock-Scenario": "flaky"}))["task_id"]
        assert poll_outcomes(client, f"{TASKS}/{task_id}", 6) == [0, 5001, 5001, "ReadError", 0, 0]
    journal = kling_mock.requests(method="GET")
    assert [entry["status"] for entry in journal] == [200, 503, 503, 0, 200, 200], "0: no HTTP answer"


def test_a_scenario_defined_by_the_plugin_governs_the_timeline_too(kling_mock: KlingMock) -> None:
    kling_mock.define_scenario(
        "late-failure",
        timeline={"queue_seconds": 20, "processing_seconds": 160, "outcome": "failed", "failure_message": "nope"},
        polls={1: 1302},
    )
    with kling_mock.api(scenario="late-failure") as api:
        task_id = api.create(text_body())["task_id"]
        assert api.request("GET", f"{TASKS}/{task_id}").json()["code"] == 1302
        kling_mock.advance(179.999)
        assert api.status(task_id)["task_status"] == "processing"
        kling_mock.advance(0.001)
        task = api.status(task_id)
    assert (task["task_status"], task["task_status_msg"]) == ("failed", "nope")


@pytest.mark.slow
def test_a_scenario_from_a_file_governs_a_served_task(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios.yaml"
    scenarios.write_text("flaky:\n  meaning: two bad polls\n  polls: {'1': 5000, '2': 1302}\n", encoding="utf-8")
    env = {"KLING_MOCK_SCENARIOS_FILE": str(scenarios), "KLING_MOCK_LOG_REQUESTS": "0"}
    with GunicornMock(env, workers=2) as server, httpx.Client(base_url=f"{server.url}/scenario/flaky/kling") as http:
        http.headers["Authorization"] = "Bearer sk-file"
        task_id = data(http.post(TASKS, json=text_body()))["task_id"]
        assert poll_outcomes(http, f"{TASKS}/{task_id}", 3) == [5000, 1302, 0]
        listed = httpx.get(f"{server.url}/__mock__/scenarios").json()["scenarios"]
        refused = httpx.put(f"{server.url}/__mock__/scenarios/flaky", json={"error_code": 1302}).json()
    assert {s["name"]: s["builtin"] for s in listed}["flaky"] is True
    assert refused["code"] == 1201, "a scenario of the file cannot be replaced at run time"


def test_a_bad_scenario_file_stops_the_mock_with_one_line(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios.json"
    scenarios.write_text(json.dumps({"flaky": {"polls": {"2": "explode"}}}), encoding="utf-8")
    with pytest.raises(ValueError, match=r"scenarios_file .*scenarios.json: scenario 'flaky': polls/2"):
        KlingMock({"scenarios_file": str(scenarios)})


@pytest.mark.parametrize(
    ("name", "definition", "words"),
    [
        ("succeed", {"error_code": 1302}, "built in"),
        ("Bad Name", {"error_code": 1302}, "name"),
        ("typo", {"pols": {"2": 5001}}, "pols"),
        ("unknown-code", {"error_code": 4242}, "4242 is not a code of the Kling table"),
        ("unknown-poll-code", {"polls": {"2": 4242}}, "polls/2: 4242"),
        ("unknown-fault", {"polls": {"2": "explode"}}, "polls/2"),
        ("poll-zero", {"polls": {"0": 5001}}, "polls"),
        ("no-ms", {"delay": {"kind": "fixed"}}, "delay"),
        ("negative", {"timeline": {"queue_seconds": -1}}, "timeline/queue_seconds"),
    ],
)
def test_a_bad_definition_is_one_clear_error(kling_mock: KlingMock, name: str, definition: dict, words: str) -> None:
    answer = kling_mock.http.put(f"/__mock__/scenarios/{name}", json=definition)
    assert (answer.status_code, answer.json()["code"]) == (400, 1201)
    assert words in answer.json()["message"]


def test_built_ins_stay_and_a_reset_forgets_what_was_defined(kling_mock: KlingMock) -> None:
    kling_mock.define_scenario("mine", error_code=1102)
    assert kling_mock.http.delete("/__mock__/scenarios/succeed").json()["code"] == 1201
    listed = {s["name"]: s for s in kling_mock.http.get("/__mock__/scenarios").json()["scenarios"]}
    assert {listed[name]["kind"] for name in SCENARIOS} == {"task", "refusal", "fault", "delay", "faces"}
    assert listed["mine"]["kind"] == "refusal"
    assert {name for name in FAULTS} <= set(listed), "every fault is a scenario of its own"
    kling_mock.reset()
    with kling_mock.httpx_client() as client:
        assert client.get(TASKS, headers={"X-Mock-Scenario": "mine"}).json()["code"] == 1201
    assert kling_mock.http.delete("/__mock__/scenarios/mine").json()["code"] == 1203


# -- Prism's conventions ----------------------------------------------------------------------------------


def test_prefer_example_answers_a_documented_example_and_creates_nothing(kling_mock: KlingMock) -> None:
    with kling_mock.httpx_client() as client:
        example = client.post(TASKS, json=text_body(), headers={"Prefer": "example=code_1303_parallel_task_limit"})
        created = client.post(TASKS, json=text_body(), headers={"Prefer": "example=created"})
        unknown = client.post(TASKS, json=text_body(), headers={"Prefer": "example=nope"})
        prefer_200 = client.post(TASKS, json=text_body(), headers={"Prefer": "code=200"})
        assert (example.status_code, example.json()["code"]) == (429, 1303)
        assert example.json()["request_id"] == example.headers.get("X-Request-Id", example.json()["request_id"])
        assert data(created)["task_id"] == "CjikY2gHPbcAAAAABI5n9g", "the documented example, verbatim"
        assert (unknown.status_code, unknown.json()["code"]) == (400, 1201)
        assert "known: created" in unknown.json()["message"]
        assert prefer_200.json()["code"] == 0
        tasks = data(client.get(TASKS))
    assert [task["task_id"] for task in tasks] == [data(prefer_200)["task_id"]], "examples created nothing"


# -- chaos draws faults too, reproducibly --------------------------------------------------------------------


def chaos_outcomes(make_mock: Any, seed: int) -> list[Any]:
    mock: KlingMock = make_mock(chaos_fault_rate=0.5, chaos_seed=seed)
    with mock.httpx_client() as client:
        return poll_outcomes(client, TASKS, 30)


def test_chaos_faults_are_reproducible_from_the_seed(make_mock: Any) -> None:
    first, again, other = chaos_outcomes(make_mock, 7), chaos_outcomes(make_mock, 7), chaos_outcomes(make_mock, 8)
    assert first == again
    assert first != other
    assert {"ReadError", "RemoteProtocolError", 0} <= set(first)


# -- the clients survive -------------------------------------------------------------------------------------


def test_a_create_whose_answer_is_lost_is_not_sent_again(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync(scenario="accepted-then-reset") as lip, pytest.raises(AnswerLost) as lost:
        lip.create_text("hi", "ai_shatang", video_url="https://example.com/a.mp4")
    assert "its task may exist" in str(lost.value)
    assert len(kling_mock.requests(method="POST")) == 1
    with kling_mock.lipsync() as lip:
        assert len(list(lip.tasks())) == 1, "the task was made once"


def test_retry_unsafe_sends_a_lost_create_again_and_makes_duplicates(kling_mock: KlingMock) -> None:
    with kling_mock.lipsync(scenario="accepted-then-reset") as lip, pytest.raises(TransportError):
        lip.create_text("hi", "ai_shatang", video_url="https://example.com/a.mp4", retry_unsafe=True)
    attempts = len(kling_mock.requests(method="POST"))
    assert attempts > 1
    with kling_mock.lipsync() as lip:
        assert len(list(lip.tasks())) == attempts, "each attempt made a task: why it is not the default"


def session_for(lip: LipSync) -> str:
    return lip.identify_faces(video_url="https://example.com/a.mp4").session_id


ADVANCED_TIMES = {"sound_start_time": 0, "sound_end_time": 3000, "sound_insert_time": 0}


class _LoseFirstCreate(httpx.BaseTransport):
    """The connection of the first advanced create is reset: after the service took it (``accepted-then-reset``
    for that one request), or before (``reset-before-accept``); every other request goes through."""

    def __init__(self, inner: httpx.BaseTransport, *, after_the_service: bool) -> None:
        self.inner = inner
        self.after_the_service = after_the_service
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(ADVANCED.collection_path) and not self.lost:
            self.lost += 1
            if self.after_the_service:
                self.inner.handle_request(request).close()
            raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
        return self.inner.handle_request(request)


def test_a_lost_advanced_create_is_found_by_its_external_id(kling_mock: KlingMock) -> None:
    transport = _LoseFirstCreate(kling_mock.transport, after_the_service=True)
    with kling_mock.lipsync(transport=transport) as lip:
        created = lip.create_advanced(
            session_for(lip), "0", sound_file="https://example.com/a.mp3", external_task_id="order-9", **ADVANCED_TIMES
        )
        (task,) = list(lip.advanced_tasks())
    assert (created.task_id, created.task_info.external_task_id) == (task.task_id, "order-9")
    assert (
        len(kling_mock.requests(method="POST", family="advanced-lip-sync", path=f"/kling{ADVANCED.collection_path}"))
        == 1
    )


def test_an_advanced_create_lost_before_the_service_saw_it_is_sent_again(kling_mock: KlingMock) -> None:
    transport = _LoseFirstCreate(kling_mock.transport, after_the_service=False)
    with kling_mock.lipsync(transport=transport) as lip:
        created = lip.create_advanced(
            session_for(lip), "0", sound_file="https://example.com/a.mp3", external_task_id="order-10", **ADVANCED_TIMES
        )
        assert [task.task_id for task in lip.advanced_tasks()] == [created.task_id]
    assert transport.lost == 1
    queried = kling_mock.requests(method="GET", family="advanced-lip-sync")
    assert [entry["code"] for entry in queried][:1] == [1203], "looked for by its id first: not there"


def test_a_task_whose_polls_fail_and_reset_still_succeeds(kling_mock: KlingMock) -> None:
    kling_mock.define_scenario("flaky", FLAKY)
    with kling_mock.lipsync(scenario="flaky") as lip:
        task = lip.wait(lip.create_text("hi", "ai_shatang", video_url="https://example.com/a.mp4").task_id)
    assert task.task_status == "succeed"
    codes = [entry["code"] for entry in kling_mock.requests(method="GET")]
    assert codes[:4] == [0, 5001, 5001, None], "the plan was played, and waited through"


def test_the_async_client_waits_through_the_same_plan(kling_mock: KlingMock) -> None:
    kling_mock.define_scenario("flaky", FLAKY)

    async def run() -> str:
        async with kling_mock.async_lipsync(scenario="flaky") as lip:
            created = await lip.create_text("hi", "ai_shatang", video_url="https://example.com/a.mp4")
            return str((await lip.wait(created.task_id)).task_status)

    assert asyncio.run(run()) == "succeed"


def test_a_read_that_never_completes_ends_at_the_client_s_timeout(kling_mock: KlingMock) -> None:
    kling_mock.define_scenario("stalled", delay={"kind": "fixed", "ms": 600_000})
    with kling_mock.lipsync() as lip:
        task_id = lip.create_text("hi", "ai_shatang", video_url="https://example.com/a.mp4").task_id
    with kling_mock.lipsync(scenario="stalled", timeout=5.0) as lip:
        with pytest.raises(TransportError, match="timed out waiting for the answer"):
            lip.get(task_id)
        started = kling_mock.now_ms()
        with pytest.raises(WaitTimeout):
            lip.wait(task_id, timeout=60)
    assert kling_mock.now_ms() - started <= 61_000, "not a poll after the deadline"


def test_the_cli_says_a_lost_create_may_have_made_its_task(
    kling_mock: KlingMock, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setattr(cli, "LipSync", lambda *a, **k: kling_mock.lipsync(scenario="accepted-then-reset"))
    code = cli.main(["--token", "sk-test", "submit", "text", "--video-url", "https://example.com/a.mp4",
                     "--text", "hi", "--voice-id", "ai_shatang", "--voice-language", "zh"])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert cli.EXIT_CODES[code] == "no answer from the service"
    assert len(err) == 1
    assert "its task may exist" in err[0]


def test_the_generated_client_raises_httpx_s_error_for_each_fault(kling_mock: KlingMock) -> None:
    """What it does is what httpx does: no retry, the transport error as raised (README, "Faults")."""
    body = LipSyncCreateRequest.from_dict(text_body())
    raised = {}
    for fault in SOCKET_FAULTS:
        client = kling_mock.generated_client()
        client.get_httpx_client().headers["X-Mock-Scenario"] = fault
        with pytest.raises(httpx.TransportError) as error:
            create_lip_sync_task.sync(client=client, body=body)
        raised[fault] = type(error.value).__name__
    assert raised == {
        "connection-reset": "ReadError",
        "empty-response": "RemoteProtocolError",
        "malformed-chunk": "RemoteProtocolError",
        "random-data-then-close": "RemoteProtocolError",
    }


@pytest.mark.parametrize("fault", [*SOCKET_FAULTS, "dribble"])
def test_both_clients_get_through_each_fault_on_a_poll(kling_mock: KlingMock, fault: str) -> None:
    """A query is safe to send again: whatever fault its first poll meets, the next answers."""
    kling_mock.define_scenario("first-poll-fails", polls={1: fault})
    with kling_mock.lipsync(scenario="first-poll-fails") as lip:
        created = lip.create_text("hi", "ai_shatang", voice_language="zh", video_url="https://example.com/a.mp4")
        assert lip.get(created.task_id).task_id == created.task_id

    async def run() -> str:
        async with kling_mock.async_lipsync(scenario="first-poll-fails") as lip:
            made = await lip.create_text("hi", "ai_shatang", voice_language="zh", video_url="https://example.com/a.mp4")
            return str((await lip.get(made.task_id)).task_id)

    assert asyncio.run(run()).isdigit()
    polls = [entry["status"] for entry in kling_mock.requests(method="GET")]
    # Each client's first poll met the fault (0: no HTTP answer) and was sent again; a dribble is an answer.
    assert polls == ([200, 200] if fault == "dribble" else [0, 200, 0, 200])


def test_delays_are_drawn_within_their_bounds_and_cap() -> None:
    from mock_server.scenarios import Delay

    rng = random.Random(3)
    uniform = [Delay("uniform", min_ms=100, max_ms=200).draw_ms(rng) for _ in range(500)]
    lognormal = [Delay("lognormal", median_ms=300, sigma=1.5, cap_ms=2000).draw_ms(rng) for _ in range(500)]
    assert 100 <= min(uniform) < 110
    assert 190 < max(uniform) <= 200
    assert max(lognormal) == 2000, "the cap holds the long tail"
    assert 200 < sorted(lognormal)[250] < 450, "about the median"
    assert Delay("fixed", ms=750).draw_ms(rng) == 750


@pytest.mark.slow
def test_a_scenario_defined_through_one_worker_is_used_at_once_through_any(tmp_path: Path) -> None:
    """Workers read the shared state every 50 ms on the real clock; a scenario asked for by name right after
    its definition is looked for in the state as it is now, not refused by a worker that had not seen it."""
    with ProductionMock(workers=2, args=["--no-log-requests"], cwd=tmp_path) as server:
        auth = {"Authorization": "Bearer sk-workers"}
        refusals, plans = [], []
        for round_number in range(12):
            name = f"fresh-{round_number}"
            defined = httpx.put(f"{server.url}/__mock__/scenarios/{name}", json={"error_code": 1102})
            assert defined.status_code == 200, defined.text
            # A new connection each time, so that both workers answer some of them.
            answer = httpx.get(f"{server.url}/kling{TASKS}", headers={**auth, "X-Mock-Scenario": name})
            refusals.append(answer.json()["code"])
            planned = f"planned-{round_number}"
            httpx.put(f"{server.url}/__mock__/scenarios/{planned}", json={"polls": {"1": 5002}}).raise_for_status()
            # An account of its own each round: tasks take seconds here, and an account has 5 slots.
            owner = {"Authorization": f"Bearer sk-workers-{round_number}"}
            created = httpx.post(
                f"{server.url}/kling{TASKS}", json=text_body(), headers={**owner, "X-Mock-Scenario": planned}
            ).json()
            task_path = f"{server.url}/kling{TASKS}/{created['data']['task_id']}"
            plans.append(httpx.get(task_path, headers=owner).json()["code"])
    assert refusals == [1102] * 12, "never 'unknown mock scenario'"
    assert plans == [5002] * 12, "the first poll answered as planned, whichever worker took it"
