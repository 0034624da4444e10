"""Task lifecycles as a hypothesis state machine: create (with scenarios), advance the virtual clock,
poll, page through lists and receive callbacks, checking the invariants of the service after every step.

Every family runs side by side: legacy lip-sync tasks, advanced ones created from identify-face sessions that
expire on the virtual clock, and text-to-speech, whose audio ids advanced tasks speak (an account's own, of a
usable length) while taking no slot. The two task families share each account's concurrency slots.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import httpx
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contract_tests import helpers
from contract_tests.strategies import create_requests
from kling_lipsync.testing import CallbackReceiver, KlingMock
from kling_spec import error_catalogue, load_spec
from kling_spec.families import family, task_families
from kling_spec.timing import timing_rules

#: The transport faults a poll may meet, and the error httpx raises for each (as on a real socket).
FAULT_ERRORS = {
    "connection-reset": "ReadError",
    "empty-response": "RemoteProtocolError",
    "malformed-chunk": "RemoteProtocolError",
    "random-data-then-close": "RemoteProtocolError",
}
FAMILIES = task_families()
TASKS = {name: family.collection_path for name, family in FAMILIES.items()}
IDENTIFY = FAMILIES["advanced-lip-sync"].operation("session").path
#: Short, so that advancing the clock lets sessions expire within one run.
SESSION_TTL_SECONDS = 30
CATALOGUE = error_catalogue()
SECRET = "whsec_" + base64.b64encode(b"lifecycle-machine-secret-32bytes").decode()
LIMIT = 3
ACCOUNTS = ("sk-alice", "sk-bob")
ORDER = {"submitted": 0, "processing": 1, "succeed": 2, "failed": 2}
TERMINAL = {"succeed", "failed"}
KNOWN_STATUSES = set(load_spec()["components"]["schemas"]["TaskStatus"]["enum"])

# The fate each scenario promises (README, /__mock__/scenarios): final status and processing multiplier.
FATES = {"succeed": ("succeed", False), "slow": ("succeed", True), "no-human": ("failed", False)}
FATES["task-content-policy"] = ("failed", False)
REFUSALS = {"content-policy": 1301, "rate-limit": 1302, "concurrency": 1303, "balance": 1102}
TTS = family("tts").operation("synchronous").path
RULES = timing_rules()
#: Texts of 4, 9 and 30 Chinese characters: 0.96 s (too short for lip-sync), 2.16 s and 7.2 s of speech.
TEXT_LENGTHS = (4, 9, 30)


@dataclass
class ModelTask:
    """What the test expects of one task, computed independently of the mock."""

    task_id: str
    account: str
    family: str
    created_at: int
    processing_at: int
    finished_at: int
    outcome: str
    last_status: str = "submitted"
    downloaded: bool = False
    external_task_id: str = ""

    def expected_at(self, now: int) -> tuple[str, int]:
        if now >= self.finished_at:
            return self.outcome, self.finished_at
        if now >= self.processing_at:
            return "processing", self.processing_at
        return "submitted", self.created_at

    def transitions_until(self, now: int) -> list[str]:
        times = [("submitted", self.created_at), ("processing", self.processing_at), (self.outcome, self.finished_at)]
        return [status for status, at in times if at <= now]


def signature_valid(headers: dict, body: bytes) -> bool:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return expected in headers["webhook-signature"].split(" ")


class LifecycleMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.mock = KlingMock(
            {"max_in_flight": LIMIT, "webhook_secret": SECRET, "session_ttl_seconds": SESSION_TTL_SECONDS}
        )
        self.receiver = CallbackReceiver()
        self.clients = {account: self.mock.httpx_client(account) for account in ACCOUNTS}
        self.tasks: dict[str, ModelTask] = {}
        #: Sessions by id: (account, expires_at).
        self.sessions: dict[str, tuple[str, int]] = {}
        #: Text-to-speech audio by id: (account, length in ms).
        self.audios: dict[str, tuple[str, int]] = {}
        self.settings = self.mock.settings
        self.external_ids = 0

    def teardown(self) -> None:
        for client in self.clients.values():
            client.close()
        self.receiver.close()
        self.mock.close()

    # -- rules ----------------------------------------------------------------------------------------

    @rule(
        account=st.sampled_from(ACCOUNTS),
        scenario=st.sampled_from(sorted(FATES)) | st.sampled_from(sorted(REFUSALS)),
        request=create_requests(),
    )
    def create(self, account: str, scenario: str, request) -> None:
        body = {**request.to_dict(), "callback_url": self.receiver.url}
        self._create(account, "lip-sync", scenario, body)

    @rule(account=st.sampled_from(ACCOUNTS), characters=st.sampled_from(TEXT_LENGTHS))
    def speak(self, account: str, characters: int) -> None:
        now = self.mock.now_ms()
        response = self.clients[account].post(TTS, json={"text": "好" * characters, "voice_id": "genshin_vindi2"})
        data = helpers.data(response)
        assert (data["task_status"], data["created_at"]) == ("succeed", now), "answered whole, at once"
        (audio,) = data["task_result"]["audios"]
        assert audio["id"] not in self.audios, "audio ids are unique"
        self.audios[audio["id"]] = (account, round(float(audio["duration"]) * 1000))

    @rule(account=st.sampled_from(ACCOUNTS), scenario=st.sampled_from(["succeed", "no-face", "two-faces"]))
    def identify(self, account: str, scenario: str) -> None:
        self._open_session(account, scenario)

    def _open_session(self, account: str, scenario: str) -> str | None:
        """Open a session; its id when it has faces to lip-sync."""
        now = self.mock.now_ms()
        response = self.clients[account].post(
            IDENTIFY, json={"video_url": "https://example.com/speaker.mp4"}, headers={"X-Mock-Scenario": scenario}
        )
        data = helpers.data(response)
        faces = {"succeed": 1, "no-face": 0, "two-faces": 2}[scenario]
        assert len(data["face_data"]) == faces
        if not faces:  # a session without faces can lip-sync nothing
            return None
        self.sessions[data["session_id"]] = (account, now + SESSION_TTL_SECONDS * 1000)
        return str(data["session_id"])

    @rule(
        data=st.data(),
        scenario=st.sampled_from(sorted(FATES)) | st.sampled_from(sorted(REFUSALS)),
        insert=st.integers(min_value=0, max_value=4000),
        with_external_id=st.booleans(),
    )
    def create_advanced(self, data: st.DataObject, scenario: str, insert: int, with_external_id: bool) -> None:
        account = data.draw(st.sampled_from(ACCOUNTS))
        # A session of any account, often a new one of this account (so that tasks get made).
        session_id = data.draw(st.sampled_from(["new", *sorted(self.sessions)]))
        if session_id == "new":
            session_id = self._open_session(account, "succeed") or ""
        owner, expires_at = self.sessions[session_id]
        external_id = ""
        if with_external_id:
            self.external_ids += 1
            external_id = f"order-{self.external_ids}"
        # Three seconds of the (default, 10 s) audio at a URL, or up to three of a spoken text of any account,
        # inserted while face "0" (seen from 0 ms) is visible.
        audio_id = data.draw(st.sampled_from(["url", *sorted(self.audios)]))
        speaker, audio_ms = self.audios.get(audio_id, (account, 10_000))
        source = {"sound_file": "https://example.com/line.mp3"} if audio_id == "url" else {"audio_id": audio_id}
        body = {
            "session_id": session_id,
            "face_choose": [
                {
                    "face_id": "0",
                    **source,
                    "sound_start_time": 0,
                    "sound_end_time": min(3000, audio_ms),
                    "sound_insert_time": insert,
                }
            ],
            "external_task_id": external_id,
            "callback_url": self.receiver.url,
        }
        now = self.mock.now_ms()
        if scenario not in REFUSALS and (account != owner or now >= expires_at):
            response = self.clients[account].post(TASKS["advanced-lip-sync"], json=body)
            answer = response.json()
            assert (response.status_code, answer["code"]) == (CATALOGUE[1201].http_status, 1201), answer
            expected = "no such session" if account != owner else "the session expired"
            assert expected in answer["message"]
            return
        if scenario not in REFUSALS and (speaker != account or not RULES.min_audio_ms <= audio_ms):
            response = self.clients[account].post(TASKS["advanced-lip-sync"], json=body)
            answer = response.json()
            assert (response.status_code, answer["code"]) == (CATALOGUE[1201].http_status, 1201), answer
            expected = "no such audio for this account" if speaker != account else f"lasts {audio_ms} ms"
            assert expected in answer["message"]
            return
        task = self._create(account, "advanced-lip-sync", scenario, body)
        if task is not None:
            task.external_task_id = external_id

    def _create(self, account: str, family: str, scenario: str, body: dict) -> ModelTask | None:
        now = self.mock.now_ms()
        response = self.clients[account].post(TASKS[family], json=body, headers={"X-Mock-Scenario": scenario})
        answer = response.json()
        if scenario in REFUSALS:
            assert (response.status_code, answer["code"]) == (
                CATALOGUE[REFUSALS[scenario]].http_status,
                REFUSALS[scenario],
            )
            return None
        # Slots are the account's, whatever the family of the tasks holding them.
        in_flight = sum(1 for t in self.tasks.values() if t.account == account and t.finished_at > now)
        if in_flight >= LIMIT:
            assert (response.status_code, answer["code"]) == (CATALOGUE[1303].http_status, 1303), answer
            return None
        assert response.status_code == 200, answer
        data = answer["data"]
        assert data["task_id"] not in self.tasks, "task ids are unique"
        assert data["task_status"] == "submitted"
        assert data["created_at"] == data["updated_at"] == now
        outcome, slow = FATES[scenario]
        processing_at = now + round(self.settings.queue_seconds * 1000)
        factor = self.settings.slow_factor if slow else 1.0
        finished_at = processing_at + round(self.settings.processing_seconds * factor * 1000)
        task = ModelTask(data["task_id"], account, family, now, processing_at, finished_at, outcome)
        self.tasks[data["task_id"]] = task
        return task

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.5, 4.0, 40.0]) | st.floats(min_value=0, max_value=30))
    def advance(self, seconds: float) -> None:
        before = self.mock.now_ms()
        assert self.mock.advance(seconds) == before + round(seconds * 1000)

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def poll(self, data: st.DataObject) -> None:
        task = self.tasks[data.draw(st.sampled_from(sorted(self.tasks)))]
        # An advanced task is found by the external id it was created with too.
        key = data.draw(st.sampled_from([task.task_id, task.external_task_id or task.task_id]))
        response = self.clients[task.account].get(f"{TASKS[task.family]}/{key}")
        self._check_task(helpers.data(response))
        stranger = next(a for a in ACCOUNTS if a != task.account)
        hidden = self.clients[stranger].get(f"{TASKS[task.family]}/{key}")
        assert (hidden.status_code, hidden.json()["code"]) == (CATALOGUE[1203].http_status, 1203)
        other_family = next(name for name in TASKS if name != task.family)
        elsewhere = self.clients[task.account].get(f"{TASKS[other_family]}/{task.task_id}")
        assert elsewhere.json()["code"] == 1203, "a task is found only in its own family"

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), fault=st.sampled_from(sorted(FAULT_ERRORS)))
    def poll_through_a_fault(self, data: st.DataObject, fault: str) -> None:
        """A poll whose answer is lost on the wire: the client sees the fault, the task goes on untouched."""
        task = self.tasks[data.draw(st.sampled_from(sorted(self.tasks)))]
        path = f"{TASKS[task.family]}/{task.task_id}"
        error: Exception | None = None
        try:
            self.clients[task.account].get(path, headers={"X-Mock-Scenario": fault})
        except httpx.TransportError as raised:
            error = raised
        assert type(error).__name__ == FAULT_ERRORS[fault], f"{fault}: {error!r}"
        self._check_task(helpers.data(self.clients[task.account].get(path)))

    @rule(account=st.sampled_from(ACCOUNTS), body=create_requests())
    def create_lost_on_the_wire(self, account: str, body) -> None:
        """A create whose answer is reset after the mock took it: the task exists, and is found in the list."""
        now = self.mock.now_ms()
        in_flight = sum(1 for t in self.tasks.values() if t.account == account and t.finished_at > now)
        try:
            self.clients[account].post(
                TASKS["lip-sync"],
                json={**body.to_dict(), "callback_url": self.receiver.url},
                headers={"X-Mock-Scenario": "accepted-then-reset"},
            )
        except httpx.ReadError:
            pass
        else:
            raise AssertionError("the create was answered")
        newest = helpers.data(self.clients[account].get(TASKS["lip-sync"], params={"pageSize": 1}))
        if in_flight >= LIMIT:  # refused (1303) before anything was stored; the reset hid the refusal
            assert not newest or newest[0]["task_id"] in self.tasks
            return
        (task,) = newest
        assert task["task_id"] not in self.tasks, "a new task was stored before the connection was reset"
        processing_at = now + round(self.settings.queue_seconds * 1000)
        finished_at = processing_at + round(self.settings.processing_seconds * 1000)
        self.tasks[task["task_id"]] = ModelTask(
            task["task_id"], account, "lip-sync", now, processing_at, finished_at, "succeed"
        )

    @rule(
        account=st.sampled_from(ACCOUNTS),
        family=st.sampled_from(sorted(TASKS)),
        page_size=st.integers(min_value=1, max_value=4),
    )
    def list_every_page(self, account: str, family: str, page_size: int) -> None:
        seen: list[str] = []
        for page_number in range(1, 100):
            page = self.clients[account].get(TASKS[family], params={"pageNum": page_number, "pageSize": page_size})
            tasks = helpers.data(page)
            for task in tasks:
                self._check_task(task)
            seen.extend(t["task_id"] for t in tasks)
            if len(tasks) < page_size:
                break
        mine = sorted(
            (t for t in self.tasks.values() if t.account == account and t.family == family),
            key=lambda t: -int(t.task_id),
        )
        assert seen == [t.task_id for t in mine], "newest first, no repeat, no skip, only the account's own"

    # -- what every answer must satisfy ---------------------------------------------------------------

    def _check_task(self, data: dict) -> None:
        task = self.tasks[data["task_id"]]
        now = self.mock.now_ms()
        status, updated_at = task.expected_at(now)
        assert data["task_status"] in KNOWN_STATUSES
        assert ORDER[data["task_status"]] >= ORDER[task.last_status], "status only moves forward"
        if task.last_status in TERMINAL:
            assert data["task_status"] == task.last_status, "a terminal state never changes"
        assert (data["task_status"], data["updated_at"]) == (status, updated_at)
        assert data["created_at"] == task.created_at <= data["updated_at"]
        if data["task_status"] == "succeed":
            (video,) = data["task_result"]["videos"]
            if not task.downloaded:
                download = self.mock.http.get(video["url"])
                assert download.status_code == 200
                assert download.content[4:8] == b"ftyp", "the result is an MP4"
                task.downloaded = True
        else:
            assert data["task_result"]["videos"] == []
        if data["task_status"] == "failed":
            assert data["task_status_msg"], "a failed task says why"
        if task.family == "advanced-lip-sync":
            assert data["task_info"]["external_task_id"] == task.external_task_id
        task.last_status = data["task_status"]

    @invariant()
    def every_transition_produces_one_signed_callback(self) -> None:
        self.mock.deliver_callbacks()
        now = self.mock.now_ms()
        received: dict[str, list[str]] = {}
        for callback in self.receiver.received:
            assert signature_valid(callback.headers, callback.body)
            body = callback.json()
            received.setdefault(body["task_id"], []).append(body["task_status"])
            task = self.tasks.get(body["task_id"])
            if task is not None and task.family == "advanced-lip-sync":
                assert body["task_info"]["external_task_id"] == task.external_task_id, "the callback names your id"
        for task in self.tasks.values():
            assert received.get(task.task_id, []) == task.transitions_until(now), task.task_id
        assert set(received) <= set(self.tasks)

    @invariant()
    def in_flight_never_exceeds_the_limit(self) -> None:
        now = self.mock.now_ms()
        for account in ACCOUNTS:
            assert sum(1 for t in self.tasks.values() if t.account == account and t.finished_at > now) <= LIMIT


LifecycleMachine.TestCase.settings = settings(
    max_examples=max(10, settings.default.max_examples // 2),
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLifecycle = LifecycleMachine.TestCase
