"""The operations of the client, written once, as generators of steps that a driver runs.

Each operation is a flow: a generator that yields what it needs done and receives the result::

    flow = core.wait_flow(...)           # nothing is sent yet
    step = next(flow)
    Send(request)  ->  driver sends it   ->  flow.send(httpx.Response | NoAnswer)
    Sleep(seconds) ->  driver sleeps     ->  flow.send(None)
    ...            ->  StopIteration(value): the operation's result (or the typed error it raised)

``AsyncLipSync`` drives flows with ``await`` (``_async_client.py``, hand-written); ``LipSync`` is generated from
it (``_sync_client.py``, by ``codegen/unasync.py``). The generated client (``kling_lipsync_client``) builds every
request and parses every answer; nothing here restates the API. A new operation is one flow here and one
method in ``_async_client.py``.
"""

from __future__ import annotations

import base64
import importlib
import os
import random
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any, NamedTuple, TypeVar

import httpx

from kling_lipsync._files import audio_length_ms
from kling_lipsync._requests import advanced_request, identify_request
from kling_lipsync.audio import read_audio_file
from kling_lipsync.auth import BearerAuth, StaticToken, token_source
from kling_lipsync.errors import (
    AnswerLost,
    APIError,
    AuthenticationError,
    InvalidRequestError,
    KlingError,
    RateLimitError,
    ServerError,
    TaskFailed,
    TaskNotFinished,
    TransportError,
    UnexpectedResponse,
    WaitTimeout,
    error_from_response,
)
from kling_lipsync.planning import Plan, check_audio, plan_advanced
from kling_lipsync.retry import PollSchedule, RetryPolicy, may_send_again
from kling_lipsync_client import Client
from kling_lipsync_client.api.advanced_lip_sync import (
    create_advanced_lip_sync_task,
    get_advanced_lip_sync_task,
    identify_faces,
    list_advanced_lip_sync_tasks,
)
from kling_lipsync_client.api.lip_sync import create_lip_sync_task, get_lip_sync_task, list_lip_sync_tasks
from kling_lipsync_client.api.tts import text_to_speech
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTask,
    AdvancedLipSyncTaskCreated,
    AdvancedTaskCreatedInfo,
    FaceSession,
    IdentifyFaceRequest,
    LipSyncCreateRequest,
    LipSyncTask,
    TaskCreated,
    TaskStatus,
    TtsRequest,
    TtsTask,
)
from kling_lipsync_client.types import UNSET
from kling_spec.families import Operation, families

__all__ = [
    "DEFAULT_DMXAPI_URL",
    "DEFAULT_KLING_URL",
    "AdvancedUpdateCallback",
    "AnyUpdateCallback",
    "Core",
    "Flow",
    "Found",
    "NoAnswer",
    "PlanCallback",
    "PlannedTask",
    "ProgressCallback",
    "RetryCallback",
    "Send",
    "Sleep",
    "Speech",
    "Task",
    "UpdateCallback",
    "content_length",
    "no_answer",
]

DEFAULT_DMXAPI_URL = "https://www.dmxapi.cn/kling"
DEFAULT_KLING_URL = "https://api-singapore.klingai.com"

T = TypeVar("T")
#: A task of either family: what ``wait`` polls for and ``download`` saves.
TaskT = TypeVar("TaskT", bound=LipSyncTask | AdvancedLipSyncTask)
Task = LipSyncTask | AdvancedLipSyncTask
ProgressCallback = Callable[[int, int | None], None]
UpdateCallback = Callable[[LipSyncTask], None]
AnyUpdateCallback = Callable[[LipSyncTask | AdvancedLipSyncTask], None]
AdvancedUpdateCallback = Callable[[AdvancedLipSyncTask], None]
#: Called before each retry with the error, the number of the attempt that failed and the seconds until the next.
RetryCallback = Callable[[KlingError, int, float], None]


@dataclass(frozen=True)
class PlannedTask:
    """An advanced task made by ``create_advanced_planned``: what was created, and the plan chosen for it.

    ``plan`` is the face and times sent (``str(plan)`` in one line, ``plan.why`` how they were chosen);
    ``session_id`` the identify-face session the face belongs to.
    """

    created: AdvancedLipSyncTaskCreated
    plan: Plan
    session_id: str

    @property
    def task_id(self) -> str:
        """The new task's id."""
        task_id: str = self.created.task_id
        return task_id

    def plan_dict(self) -> dict[str, Any]:
        """The plan and its session as JSON-ready data: ``{"session_id": ..., "face_id": ..., ...}``."""
        return {"session_id": self.session_id, **asdict(self.plan)}


#: Called with the plan as soon as the task is created, before ``lip_sync_advanced`` waits for it.
PlanCallback = Callable[[PlannedTask], None]


@dataclass(frozen=True)
class Speech:
    """A text spoken by Kling's text-to-speech: the audio advanced lip-sync takes by ``audio_id``."""

    audio_id: str
    url: str
    #: How long the audio lasts, in milliseconds (Kling writes seconds with three decimals).
    duration_ms: int
    #: The call's whole answer (its ``task_id``, the deductions ...).
    task: TtsTask

    @classmethod
    def of(cls, task: TtsTask) -> Speech:
        """The audio of a finished call; ``TaskFailed`` when it failed (the content policy, say)."""
        if task.task_status == TaskStatus.FAILED or not task.task_result.audios:
            raise TaskFailed(task)
        audio = task.task_result.audios[0]
        return cls(audio.id, audio.url, int(Decimal(audio.duration) * 1000), task)


class Found(NamedTuple):
    """A task found by ``find``: the family it belongs to (a name of ``kling_spec.families``) and the task."""

    family: str
    task: Task


# -- the steps an operation asks its driver to take ---------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Send this request (the keyword arguments of ``httpx.Client.request``); the answer comes back."""

    request: dict[str, Any]


@dataclass(frozen=True)
class Sleep:
    """Wait this many seconds; ``None`` comes back."""

    seconds: float


@dataclass(frozen=True)
class NoAnswer:
    """What comes back for a ``Send`` that got no answer: the transport's error."""

    error: httpx.TransportError

    @property
    def maybe_received(self) -> bool:
        """Could the server have got the request? Not if the connection never opened."""
        return not isinstance(self.error, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)


Step = Send | Sleep
Flow = Generator[Step, Any, T]


def _origin(url: str | httpx.URL) -> str:
    """``scheme://host:port/path`` with the port always written, so "which server?" has one answer."""
    parsed = httpx.URL(url)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    return f"{parsed.scheme}://{host}:{port}{parsed.path.rstrip('/')}"


def _why_no_answer(error: httpx.TransportError) -> str:
    """A reader's reason for a transport error: ``connection refused``, not ``[Errno 111] ...``."""
    if isinstance(error, httpx.TimeoutException):
        return {
            httpx.ConnectTimeout: "timed out connecting",
            httpx.WriteTimeout: "timed out sending the request",
            httpx.PoolTimeout: "timed out waiting for a free connection",
        }.get(type(error), "timed out waiting for the answer")
    cause: BaseException | None = error
    while cause is not None:
        # The operating system's words (refused, unreachable, name not known) are the clearest.
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[:1].lower() + cause.strerror[1:]
        cause = cause.__cause__ or cause.__context__
    return str(error) or type(error).__name__


def no_answer(where: str | httpx.URL, error: httpx.TransportError) -> TransportError:
    """The ``TransportError`` for a request to ``where`` that got no answer, in a reader's words."""
    # The exception's class name stays in brackets: it is what a search engine or an issue tracker knows.
    return TransportError(f"no answer from {_origin(where)}: {_why_no_answer(error)} [{type(error).__name__}]")


def _json(response: httpx.Response) -> Any:
    """The answer's JSON, or the start of its text when it is not JSON."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:200]


def content_length(response: httpx.Response) -> int | None:
    """The size the answer announces, if it does."""
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds ``Retry-After`` asks for, if it is a number."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class Core:
    """What the sync and async clients share: configuration (credentials, base URL, retries) and the flows."""

    def __init__(
        self,
        base_url: str | None,
        token: str | None,
        access_key: str | None,
        secret_key: str | None,
        retry: RetryPolicy,
        poll: PollSchedule,
        monotonic: Callable[[], float],
        rng: random.Random | None,
        on_retry: RetryCallback | None,
    ) -> None:
        source = token_source(token, access_key, secret_key)
        if source is None:
            raise KlingError("no credentials: pass token=, or set KLING_API_TOKEN or KLING_ACCESS_KEY/KLING_SECRET_KEY")
        self._token_source: Callable[[], str] = source
        #: A DMXAPI key (``sk-...``): its gateway answers under ``/kling``, and Kling's own refuses it with 1002.
        self._dmxapi_key = isinstance(source, StaticToken) and source().startswith("sk-")
        default_url = DEFAULT_DMXAPI_URL if self._dmxapi_key else DEFAULT_KLING_URL
        self.base_url = (base_url or os.environ.get("KLING_BASE_URL") or default_url).rstrip("/")
        # A typo here would otherwise surface as "no answer" after retries, not as the mistake it is.
        try:
            parsed = httpx.URL(self.base_url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"base URL {self.base_url!r}: {exc}") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"base URL {self.base_url!r} must be http:// or https:// and name a host")
        self.retry = retry
        self.poll = poll
        self.on_retry = on_retry
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self.auth = BearerAuth(self._token_source)
        # Parsing only: the generated functions build requests and parse answers; we send them.
        self._generated = Client(base_url=self.base_url)

    # -- flows --------------------------------------------------------------------------------------

    def _call(
        self, request: dict[str, Any], *, safe: bool, deadline: float | None = None, attempts: int | None = None
    ) -> Flow[httpx.Response]:
        """Send until an answer with code 0, retrying what may be retried; raise the typed error otherwise.

        ``safe`` is False for a create: then only answers proving the request was refused are retried.
        ``attempts`` (while waiting, where the deadline is the limit) overrides the policy's counts.
        """
        limit = self.retry.max_attempts if attempts is None else attempts
        attempt = 0
        while True:
            attempt += 1
            outcome = yield Send(request)
            retry_after = None
            if isinstance(outcome, NoAnswer):
                error: KlingError = no_answer(self.base_url, outcome.error)
                if not may_send_again(answered=False, maybe_received=outcome.maybe_received, repeatable=safe):
                    raise AnswerLost(
                        f"{error}; the request was sent, so its task may exist: find it (tasks(), or its "
                        "external_task_id) before creating it again, or pass retry_unsafe=True"
                    ) from outcome.error
                if not outcome.maybe_received and attempts is None and self.retry.max_connect_attempts is not None:
                    limit = min(limit, self.retry.max_connect_attempts)
            else:
                body = _json(outcome)
                if outcome.status_code == 200 and isinstance(body, dict) and body.get("code") == 0:
                    answer: httpx.Response = outcome
                    return answer
                api_error = self._explained(error_from_response(outcome.status_code, body))
                if not may_send_again(
                    answered=True, code=api_error.code, retryable=api_error.retryable, repeatable=safe
                ):
                    raise api_error
                error, retry_after = api_error, _retry_after(outcome)
            if attempt >= limit:
                raise error
            delay = self.retry.delay(attempt, self._rng, retry_after)
            if deadline is not None and self._monotonic() + delay >= deadline:
                yield Sleep(max(0.0, deadline - self._monotonic()))
                raise error
            if self.on_retry is not None:
                self.on_retry(error, attempt, delay)
            yield Sleep(delay)

    def _explained(self, error: APIError) -> APIError:
        """``error``, with a hint when it is likely a DMXAPI key sent to Kling's own gateway (1002, no ``/kling``)."""
        if not (isinstance(error, AuthenticationError) and error.code == 1002 and self._dmxapi_key):
            return error
        if httpx.URL(self.base_url).path.rstrip("/").endswith("/kling"):
            return error
        hint = (
            f"; an sk- key is a DMXAPI key, and DMXAPI answers under /kling (as {DEFAULT_DMXAPI_URL} does), "
            f"not at {self.base_url}"
        )
        return type(error)(
            error.message + hint, code=error.code, request_id=error.request_id, http_status=error.http_status
        )

    def _parse(self, module: Any, response: httpx.Response) -> Any:
        try:
            parsed = module._parse_response(client=self._generated, response=response)
        except (KeyError, TypeError, ValueError) as exc:
            raise UnexpectedResponse(
                f"cannot parse the answer: {exc}", code=0, request_id=None, http_status=response.status_code
            ) from exc
        return parsed

    def create_flow(self, body: LipSyncCreateRequest, retry_unsafe: bool) -> Flow[TaskCreated]:
        """Create a legacy task (sent once more only when it was surely refused, unless ``retry_unsafe``)."""
        request = create_lip_sync_task._get_kwargs(body=body)
        response = yield from self._call(request, safe=retry_unsafe)
        created: TaskCreated = self._parse(create_lip_sync_task, response).data
        return created

    def _get_flow(
        self, module: ModuleType, task_id: str, deadline: float | None = None, attempts: int | None = None
    ) -> Flow[Any]:
        """One task by id, through the generated ``get`` operation ``module`` of its family."""
        request = module._get_kwargs(task_id)
        response = yield from self._call(request, safe=True, deadline=deadline, attempts=attempts)
        return self._parse(module, response).data

    def get_flow(self, task_id: str, deadline: float | None = None, attempts: int | None = None) -> Flow[LipSyncTask]:
        """A legacy task as it stands now."""
        task: LipSyncTask = yield from self._get_flow(get_lip_sync_task, task_id, deadline, attempts)
        return task

    def get_advanced_flow(
        self, task_id: str, deadline: float | None = None, attempts: int | None = None
    ) -> Flow[AdvancedLipSyncTask]:
        """An advanced task as it stands now (by its id or its ``external_task_id``)."""
        task: AdvancedLipSyncTask = yield from self._get_flow(get_advanced_lip_sync_task, task_id, deadline, attempts)
        return task

    def find_flow(self, task_id: str, deadline: float | None = None, attempts: int | None = None) -> Flow[Found]:
        """The task with this id in whichever family has it: each family of the spec is asked in turn, in the
        spec's order, and a 1203 (not found) moves on to the next; 1203 from all of them is raised, naming them."""
        searched = [name for name, found in families().items() if found.has("get")]
        missing: InvalidRequestError | None = None
        for name in searched:
            try:
                task = yield from self._get_flow(
                    _generated(families()[name].operation("get")), task_id, deadline, attempts
                )
            except InvalidRequestError as error:
                if error.code != 1203:
                    raise
                missing = missing or error
                continue
            return Found(name, task)
        if missing is None:  # a spec without a family that has tasks
            raise KlingError(f"no family of the spec has tasks to look for {task_id} in")
        raise InvalidRequestError(
            f"{missing.message} (looked in every family: {', '.join(searched)})",
            code=missing.code,
            request_id=missing.request_id,
            http_status=missing.http_status,
        )

    def finding_get(self) -> Callable[[str, float | None, int | None], Flow[Task]]:
        """A get for ``wait_flow`` that finds the task's family on its first poll, then asks only that family."""
        known: list[ModuleType] = []

        def get(task_id: str, deadline: float | None = None, attempts: int | None = None) -> Flow[Task]:
            if known:
                task: Task = yield from self._get_flow(known[0], task_id, deadline, attempts)
                return task
            found = yield from self.find_flow(task_id, deadline, attempts)
            known.append(_generated(families()[found.family].operation("get")))
            return found.task

        return get

    def page_flow(self, page_num: int, page_size: int) -> Flow[list[LipSyncTask]]:
        """One page of legacy tasks, newest first."""
        request = list_lip_sync_tasks._get_kwargs(page_num=page_num, page_size=page_size)
        response = yield from self._call(request, safe=True)
        tasks: list[LipSyncTask] = self._parse(list_lip_sync_tasks, response).data
        return tasks

    def identify_flow(self, body: IdentifyFaceRequest) -> Flow[FaceSession]:
        """Find the faces of a video (identify-face): a session and each face's window."""
        # Sent again like a query: a repeat makes no task, only another session (and another small charge).
        request = identify_faces._get_kwargs(body=body)
        response = yield from self._call(request, safe=True)
        session: FaceSession = self._parse(identify_faces, response).data
        return session

    def speak_flow(self, body: TtsRequest) -> Flow[Speech]:
        """Speak a text (text-to-speech): answered at once with the audio, or ``TaskFailed``."""
        # Sent again like a query: a repeat makes no task, only another audio (and another small charge).
        request = text_to_speech._get_kwargs(body=body)
        response = yield from self._call(request, safe=True)
        task: TtsTask = self._parse(text_to_speech, response).data
        return Speech.of(task)

    def create_advanced_flow(
        self, body: AdvancedLipSyncCreateRequest, retry_unsafe: bool
    ) -> Flow[AdvancedLipSyncTaskCreated]:
        """Create; when the answer is lost and the task has an ``external_task_id``, look for it by that id:
        found, it is the answer (no second task); not found (1203), it was not made and is sent again."""
        request = create_advanced_lip_sync_task._get_kwargs(body=body)
        external_id = body.external_task_id if isinstance(body.external_task_id, str) else ""
        try:
            response = yield from self._call(request, safe=retry_unsafe)
        except AnswerLost:
            if not external_id:
                raise
            try:
                task = yield from self.get_advanced_flow(external_id)
            except InvalidRequestError as missing:
                if missing.code != 1203:
                    raise
                response = yield from self._call(request, safe=retry_unsafe)
            else:
                return AdvancedLipSyncTaskCreated(
                    task_id=task.task_id,
                    task_info=AdvancedTaskCreatedInfo(external_task_id=external_id),
                    task_status=task.task_status,
                    created_at=task.created_at,
                    updated_at=task.created_at,
                )
        created: AdvancedLipSyncTaskCreated = self._parse(create_advanced_lip_sync_task, response).data
        return created

    def advanced_page_flow(self, page_num: int, page_size: int) -> Flow[list[AdvancedLipSyncTask]]:
        """One page of advanced tasks, newest first."""
        request = list_advanced_lip_sync_tasks._get_kwargs(page_num=page_num, page_size=page_size)
        response = yield from self._call(request, safe=True)
        tasks: list[AdvancedLipSyncTask] = self._parse(list_advanced_lip_sync_tasks, response).data
        return tasks

    def create_advanced_planned_flow(
        self,
        *,
        video_url: str | None,
        video_id: str | None,
        audio_path: str | os.PathLike[str] | None,
        audio_url: str | None,
        audio_id: str | None,
        audio_ms: int | None,
        video_ms: int | None,
        face_id: str | None,
        insert_at: int | None,
        crop: tuple[int, int] | None,
        watermark: bool | None,
        external_task_id: str | None,
        callback_url: str | None,
        speech: TtsRequest | None = None,
    ) -> Flow[PlannedTask]:
        """(Speak,) identify-face, plan, create: everything local is checked before anything is sent."""
        sources = {"audio_path": audio_path, "audio_url": audio_url, "audio_id": audio_id, "text": speech}
        given = [name for name, value in sources.items() if value is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of audio_path, audio_url, audio_id and text, not {' and '.join(given) or 'none'}"
            )
        sound_file: str | None = audio_url
        if speech is not None:
            if audio_ms is not None:
                raise ValueError("give no audio_ms with text: the service measures the audio it speaks")
            # Spoken first, and measured by the service: the plan crops the audio the service made.
            spoken = yield from self.speak_flow(speech)
            audio_id, audio_ms = spoken.audio_id, spoken.duration_ms
        elif audio_path is not None:
            data = read_audio_file(audio_path)  # read once: sent as base64, and measured
            sound_file = base64.b64encode(data).decode()
            if audio_ms is None:
                audio_ms = audio_length_ms(audio_path, data)
        elif audio_ms is None:
            raise ValueError(f"give audio_ms with {given[0]}: the length of audio that is not local cannot be measured")
        check_audio(audio_ms)  # identify-face is charged: refuse unusable audio before it
        session = yield from self.identify_flow(identify_request(video_url, video_id))
        plan: Plan = plan_advanced(
            session.face_data, audio_ms, face_id=face_id, insert_at=insert_at, crop=crop, video_ms=video_ms
        )
        body = advanced_request(
            session.session_id,
            plan.face_id,
            audio_id=audio_id,
            sound_file=sound_file,
            audio_path=None,
            sound_start_time=plan.sound_start_time,
            sound_end_time=plan.sound_end_time,
            sound_insert_time=plan.sound_insert_time,
            sound_volume=None,
            original_audio_volume=None,
            watermark=watermark,
            external_task_id=external_task_id,
            callback_url=callback_url,
        )
        created = yield from self.create_advanced_flow(body, retry_unsafe=False)
        return PlannedTask(created, plan, session.session_id)

    def lip_sync_advanced_flow(
        self,
        planned_flow: Flow[PlannedTask],
        timeout: float,
        on_plan: PlanCallback | None,
        on_update: AdvancedUpdateCallback | None,
    ) -> Flow[AdvancedLipSyncTask]:
        """Run ``planned_flow`` (``create_advanced_planned_flow``), report its plan, then wait for the task."""
        planned = yield from planned_flow
        if on_plan is not None:
            on_plan(planned)
        task = yield from self.wait_flow(planned.task_id, timeout, on_update, None, self.get_advanced_flow)
        return task

    def wait_flow(
        self,
        task_id: str,
        timeout: float,
        on_update: Callable[[TaskT], None] | None,
        poll: PollSchedule | None,
        get: Callable[[str, float | None, int | None], Flow[TaskT]],
    ) -> Flow[TaskT]:
        """Poll with ``get`` (``get_flow``, ``get_advanced_flow`` or a ``finding_get``) until the task ends:
        return it on ``succeed``, raise ``TaskFailed``, or ``WaitTimeout``."""
        schedule = poll or self.poll
        start = self._monotonic()
        deadline = start + timeout
        task: TaskT | None = None
        while True:
            try:
                # Errors worth retrying are retried until the deadline, not a fixed number of times.
                task = yield from get(task_id, deadline, 1_000_000)
            except (RateLimitError, ServerError, TransportError) as exc:
                raise WaitTimeout(task_id, timeout, task, last_error=exc) from exc
            if on_update is not None:
                on_update(task)
            if task.task_status == TaskStatus.SUCCEED:
                return task
            if task.task_status == TaskStatus.FAILED:
                raise TaskFailed(task)
            now = self._monotonic()
            if now >= deadline:
                raise WaitTimeout(task_id, timeout, task)
            yield Sleep(min(schedule.next_wait(now - start, self._rng), deadline - now))

    @staticmethod
    def result_url(task: LipSyncTask | AdvancedLipSyncTask, watermarked: bool = False) -> str:
        """The result video's URL (or its watermarked copy's); ``TaskFailed`` or ``TaskNotFinished`` when the
        task has none to give."""
        if task.task_status == TaskStatus.FAILED:
            raise TaskFailed(task)
        if task.task_status in (TaskStatus.SUBMITTED, TaskStatus.PROCESSING):
            raise TaskNotFinished(task)
        videos = task.task_result.videos
        if task.task_status != TaskStatus.SUCCEED or not videos:
            raise KlingError(f"task {task.task_id} has no result video (status {task.task_status})")
        if not watermarked:
            url: str = videos[0].url
            return url
        # Legacy results have no such field; advanced ones only when the task was created with a watermark.
        marked = getattr(videos[0], "watermark_url", UNSET)
        if not isinstance(marked, str) or not marked:
            raise KlingError(f"task {task.task_id} has no watermarked copy (create it with watermark=True)")
        return marked


def _generated(operation: Operation) -> ModuleType:
    """The generated client's module of a spec operation: ``kling_lipsync_client.api.<tag>.<operationId>``."""
    tag = str(operation.spec["tags"][0]).replace("-", "_")
    return importlib.import_module(f"kling_lipsync_client.api.{tag}.{operation.operation_id}")
