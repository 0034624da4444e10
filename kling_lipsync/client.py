"""``LipSync`` and ``AsyncLipSync``: the generated client with waiting, retries, typed errors and downloads.

Both share one implementation: each operation is a generator of steps (send this request, sleep this long)
that a synchronous or an asynchronous driver runs. The generated client (``kling_lipsync_client``) builds
every request and parses every answer; nothing here restates the API.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import httpx

from kling_lipsync.audio import read_audio_file
from kling_lipsync.auth import BearerAuth, KlingJwtSigner, StaticToken
from kling_lipsync.errors import (
    AnswerLost,
    AudioFileError,
    InvalidRequestError,
    KlingError,
    LocalFileError,
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
from kling_lipsync_client.models import (
    AdvancedLipSyncCreateRequest,
    AdvancedLipSyncTask,
    AdvancedLipSyncTaskCreated,
    AdvancedTaskCreatedInfo,
    AudioType,
    FaceChoice,
    FaceSession,
    IdentifyFaceRequest,
    LipSyncCreateRequest,
    LipSyncInput,
    LipSyncMode,
    LipSyncTask,
    TaskCreated,
    TaskStatus,
    VoiceLanguage,
    WatermarkInfo,
)
from kling_lipsync_client.types import UNSET
from kling_spec.audio import audio_length_ms as measure_audio

__all__ = ["DEFAULT_DMXAPI_URL", "DEFAULT_KLING_URL", "AsyncLipSync", "AudioFileError", "LipSync", "audio_length_ms"]

DEFAULT_DMXAPI_URL = "https://www.dmxapi.cn/kling"
DEFAULT_KLING_URL = "https://api-singapore.klingai.com"

T = TypeVar("T")
#: A task of either family: what ``wait`` polls for and ``download`` saves.
TaskT = TypeVar("TaskT", LipSyncTask, AdvancedLipSyncTask)
ProgressCallback = Callable[[int, int | None], None]
UpdateCallback = Callable[[LipSyncTask], None]
AdvancedUpdateCallback = Callable[[AdvancedLipSyncTask], None]
#: Called before each retry with the error, the number of the attempt that failed and the seconds until the next.
RetryCallback = Callable[[KlingError, int, float], None]


# -- the steps an operation asks its driver to take ---------------------------------------------------


@dataclass(frozen=True)
class _Send:
    request: dict[str, Any]


@dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True)
class _NoAnswer:
    error: httpx.TransportError

    @property
    def maybe_received(self) -> bool:
        """Could the server have got the request? Not if the connection never opened."""
        return not isinstance(self.error, httpx.ConnectError | httpx.ConnectTimeout | httpx.UnsupportedProtocol)


_Step = _Send | _Sleep
_Flow = Generator[_Step, Any, T]


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


def _no_answer(where: str | httpx.URL, error: httpx.TransportError) -> TransportError:
    # The exception's class name stays in brackets: it is what a search engine or an issue tracker knows.
    return TransportError(f"no answer from {_origin(where)}: {_why_no_answer(error)} [{type(error).__name__}]")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text[:200]


def _destination(path: str | os.PathLike[str], task_id: str, suffix: str = "") -> Path:
    """Where a result video goes: ``path``, or ``<task_id><suffix>.mp4`` inside it when it is a folder (like
    ``wget -P``).

    A path ending in a separator names a folder too, created if need be.
    """
    named_a_folder = os.fspath(path).endswith((os.sep, "/"))
    target = Path(path)
    return target / f"{task_id}{suffix}.mp4" if named_a_folder or target.is_dir() else target


def audio_length_ms(path: str | os.PathLike[str], data: bytes | None = None) -> int:
    """How long a local audio file lasts, in whole milliseconds, measured as the mock measures what it
    receives (``kling_spec.audio.audio_length_ms``); ``data``: its bytes, when already read.

    :raise AudioFileError: the file is unusable (``read_audio_file``), or its headers do not say.
    """
    length = measure_audio(read_audio_file(path) if data is None else data)
    if length is None:
        raise AudioFileError(f"{os.fspath(path)}: cannot tell how long the audio lasts (give its length in ms)")
    return length


def _open_partial(target: Path) -> tuple[int, Path]:
    """A new hidden file next to ``target``, created with mode 0666 so that the umask decides, as for any file.

    ``tempfile.mkstemp`` would make it 0600, and ``os.replace`` keeps that mode: a video only its owner reads.
    """
    while True:
        partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            return os.open(partial, flags, 0o666), partial
        except FileExistsError:
            continue  # another download chose the same random name; draw again


@contextmanager
def _written_whole(target: Path) -> Iterator[BinaryIO]:
    """A file that appears at ``target`` only once everything was written (no half videos).

    Local failures (a missing or read-only folder, a full disk) are ``LocalFileError`` naming the file.
    """
    partial: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = _open_partial(target)
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(partial, target)
    except BaseException as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise LocalFileError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class _Core:
    """What the sync and async clients share: configuration, request building, the operation flows."""

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
        token = token or os.environ.get("KLING_API_TOKEN")
        access_key = access_key or os.environ.get("KLING_ACCESS_KEY")
        secret_key = secret_key or os.environ.get("KLING_SECRET_KEY")
        if token:
            self._token_source: Callable[[], str] = StaticToken(token)
            default_url = DEFAULT_DMXAPI_URL if token.startswith("sk-") else DEFAULT_KLING_URL
        elif access_key and secret_key:
            self._token_source = KlingJwtSigner(access_key, secret_key)
            default_url = DEFAULT_KLING_URL
        else:
            raise KlingError("no credentials: pass token=, or set KLING_API_TOKEN or KLING_ACCESS_KEY/KLING_SECRET_KEY")
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
        self._auth = BearerAuth(self._token_source)
        # Parsing only: the generated functions build requests and parse answers; we send them.
        self._generated = Client(base_url=self.base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # -- requests -----------------------------------------------------------------------------------

    @staticmethod
    def _request(
        mode: LipSyncMode,
        video_id: str | None,
        video_url: str | None,
        callback_url: str | None,
        routing_task_id: str | None,
        **fields: Any,
    ) -> LipSyncCreateRequest:
        if (video_id is None) == (video_url is None):
            raise ValueError("give exactly one of video_id and video_url")
        given = {key: value for key, value in fields.items() if value is not None}
        data = LipSyncInput(
            mode=mode,
            video_id=UNSET if video_id is None else video_id,
            video_url=UNSET if video_url is None else video_url,
            task_id=UNSET if routing_task_id is None else routing_task_id,
            **given,
        )
        if callback_url is None:
            return LipSyncCreateRequest(input_=data)
        return LipSyncCreateRequest(input_=data, callback_url=callback_url)

    @classmethod
    def text_request(
        cls,
        text: str,
        voice_id: str,
        video_id: str | None,
        video_url: str | None,
        voice_language: str | VoiceLanguage | None,
        voice_speed: float | None,
        callback_url: str | None,
        routing_task_id: str | None,
    ) -> LipSyncCreateRequest:
        """The body of a ``text2video`` create."""
        language = VoiceLanguage(voice_language) if voice_language is not None else None
        return cls._request(
            LipSyncMode.TEXT2VIDEO,
            video_id,
            video_url,
            callback_url,
            routing_task_id,
            text=text,
            voice_id=voice_id,
            voice_language=language,
            voice_speed=voice_speed,
        )

    @classmethod
    def audio_request(
        cls,
        audio_url: str | None,
        audio_path: str | os.PathLike[str] | None,
        video_id: str | None,
        video_url: str | None,
        callback_url: str | None,
        routing_task_id: str | None,
    ) -> LipSyncCreateRequest:
        """The body of an ``audio2video`` create; a local file is checked and encoded first."""
        if (audio_url is None) == (audio_path is None):
            raise ValueError("give exactly one of audio_url and audio_path")
        if audio_path is not None:
            audio = {"audio_type": AudioType.FILE, "audio_file": cls.audio_file_base64(audio_path)}
        else:
            audio = {"audio_type": AudioType.URL, "audio_url": str(audio_url)}
        return cls._request(LipSyncMode.AUDIO2VIDEO, video_id, video_url, callback_url, routing_task_id, **audio)

    @staticmethod
    def audio_file_base64(path: str | os.PathLike[str]) -> str:
        """Read, check (readable, format, size) and encode a local audio file; ``AudioFileError`` if unusable."""
        return base64.b64encode(read_audio_file(path)).decode()

    @staticmethod
    def identify_request(video_url: str | None, video_id: str | None) -> IdentifyFaceRequest:
        """The body of an identify-face call: exactly one video."""
        if (video_id is None) == (video_url is None):
            raise ValueError("give exactly one of video_id and video_url")
        return IdentifyFaceRequest(
            video_id=UNSET if video_id is None else video_id, video_url=UNSET if video_url is None else video_url
        )

    @classmethod
    def advanced_request(
        cls,
        session_id: str,
        face_id: str,
        *,
        audio_id: str | None,
        sound_file: str | None,
        audio_path: str | os.PathLike[str] | None,
        sound_start_time: int,
        sound_end_time: int,
        sound_insert_time: int,
        sound_volume: float | None,
        original_audio_volume: float | None,
        watermark: bool | None,
        external_task_id: str | None,
        callback_url: str | None,
    ) -> AdvancedLipSyncCreateRequest:
        """The body of an advanced lip-sync create; a local ``audio_path`` is checked and sent as base64."""
        sources = {"audio_id": audio_id, "sound_file": sound_file, "audio_path": audio_path}
        given = [name for name, value in sources.items() if value is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of audio_id, sound_file and audio_path, not {' and '.join(given) or 'none'}"
            )
        if audio_path is not None:
            sound_file = cls.audio_file_base64(audio_path)
        choice = FaceChoice(
            face_id=face_id,
            sound_start_time=sound_start_time,
            sound_end_time=sound_end_time,
            sound_insert_time=sound_insert_time,
            audio_id=UNSET if audio_id is None else audio_id,
            sound_file=UNSET if sound_file is None else sound_file,
            sound_volume=UNSET if sound_volume is None else sound_volume,
            original_audio_volume=UNSET if original_audio_volume is None else original_audio_volume,
        )
        return AdvancedLipSyncCreateRequest(
            session_id=session_id,
            face_choose=[choice],
            watermark_info=UNSET if watermark is None else WatermarkInfo(enabled=watermark),
            external_task_id=UNSET if external_task_id is None else external_task_id,
            callback_url=UNSET if callback_url is None else callback_url,
        )

    # -- flows --------------------------------------------------------------------------------------

    def _call(
        self, request: dict[str, Any], *, safe: bool, deadline: float | None = None, attempts: int | None = None
    ) -> _Flow[httpx.Response]:
        """Send until an answer with code 0, retrying what may be retried; raise the typed error otherwise.

        ``safe`` is False for a create: then only answers proving the request was refused are retried.
        ``attempts`` (while waiting, where the deadline is the limit) overrides the policy's counts.
        """
        limit = self.retry.max_attempts if attempts is None else attempts
        attempt = 0
        while True:
            attempt += 1
            outcome = yield _Send(request)
            retry_after = None
            if isinstance(outcome, _NoAnswer):
                error: KlingError = _no_answer(self.base_url, outcome.error)
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
                api_error = error_from_response(outcome.status_code, body)
                if not may_send_again(
                    answered=True, code=api_error.code, retryable=api_error.retryable, repeatable=safe
                ):
                    raise api_error
                error, retry_after = api_error, _retry_after(outcome)
            if attempt >= limit:
                raise error
            delay = self.retry.delay(attempt, self._rng, retry_after)
            if deadline is not None and self._monotonic() + delay >= deadline:
                yield _Sleep(max(0.0, deadline - self._monotonic()))
                raise error
            if self.on_retry is not None:
                self.on_retry(error, attempt, delay)
            yield _Sleep(delay)

    def _parse(self, module: Any, response: httpx.Response) -> Any:
        try:
            parsed = module._parse_response(client=self._generated, response=response)
        except (KeyError, TypeError, ValueError) as exc:
            raise UnexpectedResponse(
                f"cannot parse the answer: {exc}", code=0, request_id=None, http_status=response.status_code
            ) from exc
        return parsed

    def create_flow(self, body: LipSyncCreateRequest, retry_unsafe: bool) -> _Flow[TaskCreated]:
        request = create_lip_sync_task._get_kwargs(body=body)
        response = yield from self._call(request, safe=retry_unsafe)
        created: TaskCreated = self._parse(create_lip_sync_task, response).data
        return created

    def get_flow(self, task_id: str, deadline: float | None = None, attempts: int | None = None) -> _Flow[LipSyncTask]:
        request = get_lip_sync_task._get_kwargs(task_id)
        response = yield from self._call(request, safe=True, deadline=deadline, attempts=attempts)
        task: LipSyncTask = self._parse(get_lip_sync_task, response).data
        return task

    def page_flow(self, page_num: int, page_size: int) -> _Flow[list[LipSyncTask]]:
        request = list_lip_sync_tasks._get_kwargs(page_num=page_num, page_size=page_size)
        response = yield from self._call(request, safe=True)
        tasks: list[LipSyncTask] = self._parse(list_lip_sync_tasks, response).data
        return tasks

    def identify_flow(self, body: IdentifyFaceRequest) -> _Flow[FaceSession]:
        # Sent again like a query: a repeat makes no task, only another session (and another small charge).
        request = identify_faces._get_kwargs(body=body)
        response = yield from self._call(request, safe=True)
        session: FaceSession = self._parse(identify_faces, response).data
        return session

    def create_advanced_flow(
        self, body: AdvancedLipSyncCreateRequest, retry_unsafe: bool
    ) -> _Flow[AdvancedLipSyncTaskCreated]:
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

    def get_advanced_flow(
        self, task_id: str, deadline: float | None = None, attempts: int | None = None
    ) -> _Flow[AdvancedLipSyncTask]:
        request = get_advanced_lip_sync_task._get_kwargs(task_id)
        response = yield from self._call(request, safe=True, deadline=deadline, attempts=attempts)
        task: AdvancedLipSyncTask = self._parse(get_advanced_lip_sync_task, response).data
        return task

    def advanced_page_flow(self, page_num: int, page_size: int) -> _Flow[list[AdvancedLipSyncTask]]:
        request = list_advanced_lip_sync_tasks._get_kwargs(page_num=page_num, page_size=page_size)
        response = yield from self._call(request, safe=True)
        tasks: list[AdvancedLipSyncTask] = self._parse(list_advanced_lip_sync_tasks, response).data
        return tasks

    def lip_sync_advanced_flow(
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
        timeout: float,
        on_update: AdvancedUpdateCallback | None,
        poll: PollSchedule | None,
    ) -> _Flow[AdvancedLipSyncTask]:
        """identify-face, plan, create, wait: everything local is checked before anything is sent."""
        sources = {"audio_path": audio_path, "audio_url": audio_url, "audio_id": audio_id}
        given = [name for name, value in sources.items() if value is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of audio_path, audio_url and audio_id, not {' and '.join(given) or 'none'}"
            )
        sound_file: str | None = audio_url
        if audio_path is not None:
            data = read_audio_file(audio_path)  # read once: sent as base64, and measured
            sound_file = base64.b64encode(data).decode()
            if audio_ms is None:
                audio_ms = audio_length_ms(audio_path, data)
        elif audio_ms is None:
            raise ValueError(f"give audio_ms with {given[0]}: the length of audio that is not local cannot be measured")
        check_audio(audio_ms)  # identify-face is charged: refuse unusable audio before it
        identify = self.identify_request(video_url, video_id)
        session = yield from self.identify_flow(identify)
        plan: Plan = plan_advanced(
            session.face_data, audio_ms, face_id=face_id, insert_at=insert_at, crop=crop, video_ms=video_ms
        )
        body = self.advanced_request(
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
        task = yield from self.wait_flow(created.task_id, timeout, on_update, poll, self.get_advanced_flow)
        return task

    def wait_flow(
        self,
        task_id: str,
        timeout: float,
        on_update: Callable[[TaskT], None] | None,
        poll: PollSchedule | None,
        get: Callable[[str, float | None, int | None], _Flow[TaskT]],
    ) -> _Flow[TaskT]:
        """Poll with ``get`` (``get_flow`` or ``get_advanced_flow``) until the task ends: return it on
        ``succeed``, raise ``TaskFailed``, or ``WaitTimeout``."""
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
            yield _Sleep(min(schedule.next_wait(now - start, self._rng), deadline - now))

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


# -- the synchronous client ---------------------------------------------------------------------------


class LipSync:
    """The Kling lip-sync API, synchronously.

    ```python
    lip = LipSync()  # KLING_BASE_URL and KLING_API_TOKEN (or KLING_ACCESS_KEY / KLING_SECRET_KEY)
    created = lip.create_text("Hello!", voice_id="oversea_male1", voice_language="en",
                              video_url="https://example.com/face.mp4")
    task = lip.wait(created.task_id)
    lip.download(task, "out.mp4")
    ```

    **Parameters:**

    * **base_url** - the API root: ``https://www.dmxapi.cn/kling`` (DMXAPI, default for ``sk-`` tokens) or
      a Kling host (default ``https://api-singapore.klingai.com`` for API keys and access keys).
    * **token** - a DMXAPI ``sk-`` key or a Kling API key; or **access_key** and **secret_key**, from
      which the JWT is signed and re-signed before it expires.
    * **retry**, **poll** - the backoff for retryable errors and the polling schedule of ``wait``.
    * **on_retry** - called as ``on_retry(error, attempt, seconds)`` before each retry, to show that
      something is being waited for.
    * **transport** - an ``httpx`` transport (for example ``httpx.WSGITransport`` to an in-process mock).
    * **sleep**, **monotonic**, **rng** - the clock and randomness, replaceable for tests.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        retry: RetryPolicy | None = None,
        poll: PollSchedule | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        self._core = _Core(
            base_url,
            token,
            access_key,
            secret_key,
            retry or RetryPolicy(),
            poll or PollSchedule(),
            monotonic,
            rng,
            on_retry,
        )
        self.base_url = self._core.base_url
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.base_url, auth=self._core._auth, timeout=timeout, transport=transport)
        # Result URLs point elsewhere (a CDN): never send them the token.
        self._downloads = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)

    def __repr__(self) -> str:
        return f"LipSync(base_url={self.base_url!r})"

    def _run(self, flow: _Flow[T]) -> T:
        step = next(flow)
        while True:
            try:
                if isinstance(step, _Send):
                    try:
                        result: Any = self._http.request(**step.request)
                    except httpx.TransportError as exc:
                        result = _NoAnswer(exc)
                else:
                    self._sleep(step.seconds)
                    result = None
                step = flow.send(result)
            except StopIteration as stop:
                value: T = stop.value
                return value

    # -- operations ---------------------------------------------------------------------------------

    def create(self, body: LipSyncCreateRequest, *, retry_unsafe: bool = False) -> TaskCreated:
        """Create a task from a generated request model.

        A create is retried only on answers proving it was refused (1302, 1303, 5001, no connection);
        ``retry_unsafe=True`` retries 5000/5002 and lost answers too, at the risk of two tasks.
        """
        return self._run(self._core.create_flow(body, retry_unsafe))

    def create_text(
        self,
        text: str,
        voice_id: str,
        *,
        video_id: str | None = None,
        video_url: str | None = None,
        voice_language: str | VoiceLanguage | None = None,
        voice_speed: float | None = None,
        callback_url: str | None = None,
        routing_task_id: str | None = None,
        retry_unsafe: bool = False,
    ) -> TaskCreated:
        """Lip-sync a video to ``text`` spoken by ``voice_id`` (``text2video``)."""
        body = _Core.text_request(
            text, voice_id, video_id, video_url, voice_language, voice_speed, callback_url, routing_task_id
        )
        return self.create(body, retry_unsafe=retry_unsafe)

    def create_audio(
        self,
        *,
        audio_url: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        video_id: str | None = None,
        video_url: str | None = None,
        callback_url: str | None = None,
        routing_task_id: str | None = None,
        retry_unsafe: bool = False,
    ) -> TaskCreated:
        """Lip-sync a video to audio from a URL or a local file (checked, then sent as base64)."""
        body = _Core.audio_request(audio_url, audio_path, video_id, video_url, callback_url, routing_task_id)
        return self.create(body, retry_unsafe=retry_unsafe)

    def get(self, task_id: str) -> LipSyncTask:
        """The task as it stands now."""
        return self._run(self._core.get_flow(task_id))

    def tasks(self, *, page_size: int = 30) -> Iterator[LipSyncTask]:
        """Every task of the account, newest first, page after page."""
        for page_num in range(1, 1001):
            page = self._run(self._core.page_flow(page_num, page_size))
            yield from page
            if len(page) < page_size:
                return

    def wait(
        self,
        task_id: str,
        *,
        timeout: float = 900.0,
        on_update: UpdateCallback | None = None,
        poll: PollSchedule | None = None,
    ) -> LipSyncTask:
        """Poll until the task ends; return it when it succeeded.

        :raise TaskFailed: the task failed (``message`` is the service's reason).
        :raise WaitTimeout: it had not ended after ``timeout`` seconds.
        """
        return self._run(self._core.wait_flow(task_id, timeout, on_update, poll, self._core.get_flow))

    def download(
        self,
        task: LipSyncTask | AdvancedLipSyncTask | str,
        path: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        watermarked: bool = False,
    ) -> Path:
        """Stream the result video to ``path`` (written whole or not at all); ``on_progress(done, total)``.

        ``task`` is a task of either family, or the id of a legacy one (``get_advanced`` fetches an advanced
        one). ``path`` may be a folder: the video is then ``<task_id>.mp4`` inside it
        (``<task_id>-watermarked.mp4`` for the watermarked copy, which ``watermarked=True`` saves). Returns
        where it was saved.

        :raise TaskFailed: the task failed. :raise TaskNotFinished: it has not ended yet.
        :raise LocalFileError: ``path`` cannot be written.
        """
        finished = self.get(task) if isinstance(task, str) else task
        url = _Core.result_url(finished, watermarked)
        target = _destination(path, finished.task_id, "-watermarked" if watermarked else "")
        try:
            with _written_whole(target) as handle, self._downloads.stream("GET", url) as response:
                if response.status_code != 200:
                    raise error_from_response(response.status_code, response.read()[:200].decode("latin-1"))
                total, done = _content_length(response), 0
                for chunk in response.iter_bytes(64 * 1024):
                    handle.write(chunk)
                    done += len(chunk)
                    if on_progress is not None:
                        on_progress(done, total)
        except httpx.TransportError as exc:
            raise _no_answer(url, exc) from exc
        return target

    # -- advanced lip-sync: identify-face, then a task naming a face of its session -------------------------

    def identify_faces(self, *, video_url: str | None = None, video_id: str | None = None) -> FaceSession:
        """Find the faces of a video: a session id and each face's window (``face_data``, empty if none)."""
        return self._run(self._core.identify_flow(_Core.identify_request(video_url, video_id)))

    def create_advanced(
        self,
        session_id: str,
        face_id: str,
        *,
        sound_start_time: int,
        sound_end_time: int,
        sound_insert_time: int,
        audio_id: str | None = None,
        sound_file: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        sound_volume: float | None = None,
        original_audio_volume: float | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        retry_unsafe: bool = False,
    ) -> AdvancedLipSyncTaskCreated:
        """Lip-sync face ``face_id`` of session ``session_id`` to audio cropped to ``[sound_start_time,
        sound_end_time]`` and inserted at ``sound_insert_time`` (all ms; ``plan_advanced`` picks them).

        The audio is exactly one of ``audio_id`` (Kling text-to-speech), ``sound_file`` (a URL or base64) and
        ``audio_path`` (a local file, checked, then sent as base64). Retried as ``create`` is.
        """
        body = _Core.advanced_request(
            session_id,
            face_id,
            audio_id=audio_id,
            sound_file=sound_file,
            audio_path=audio_path,
            sound_start_time=sound_start_time,
            sound_end_time=sound_end_time,
            sound_insert_time=sound_insert_time,
            sound_volume=sound_volume,
            original_audio_volume=original_audio_volume,
            watermark=watermark,
            external_task_id=external_task_id,
            callback_url=callback_url,
        )
        return self._run(self._core.create_advanced_flow(body, retry_unsafe))

    def get_advanced(self, task_id: str) -> AdvancedLipSyncTask:
        """The advanced task as it stands now (by its id or your ``external_task_id``)."""
        return self._run(self._core.get_advanced_flow(task_id))

    def advanced_tasks(self, *, page_size: int = 30) -> Iterator[AdvancedLipSyncTask]:
        """Every advanced task of the account, newest first, page after page."""
        for page_num in range(1, 1001):
            page = self._run(self._core.advanced_page_flow(page_num, page_size))
            yield from page
            if len(page) < page_size:
                return

    def wait_advanced(
        self,
        task_id: str,
        *,
        timeout: float = 900.0,
        on_update: AdvancedUpdateCallback | None = None,
        poll: PollSchedule | None = None,
    ) -> AdvancedLipSyncTask:
        """Poll until the advanced task ends; return it when it succeeded (raises as ``wait`` does)."""
        return self._run(self._core.wait_flow(task_id, timeout, on_update, poll, self._core.get_advanced_flow))

    def lip_sync_advanced(
        self,
        *,
        video_url: str | None = None,
        video_id: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        audio_url: str | None = None,
        audio_id: str | None = None,
        audio_ms: int | None = None,
        video_ms: int | None = None,
        face_id: str | None = None,
        insert_at: int | None = None,
        crop: tuple[int, int] | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        timeout: float = 900.0,
        on_update: AdvancedUpdateCallback | None = None,
    ) -> AdvancedLipSyncTask:
        """The common case in one call: find the faces, plan (``plan_advanced``), create, wait; the finished task.

        The audio is one of ``audio_path`` (a local file: checked and measured before anything is sent),
        ``audio_url`` or ``audio_id``, whose length ``audio_ms`` must then be given (given with a file, it is
        taken instead of the measure). ``face_id``, ``insert_at`` and ``crop`` fix what the plan would
        otherwise choose; ``video_ms``, when known, lets the audio run to the video's end rather than to just
        before the face's.

        :raise PlanError: (a ``ValueError``) no face, or none whose times Kling would accept.
        :raise TaskFailed, WaitTimeout: as ``wait_advanced``.
        """
        return self._run(
            self._core.lip_sync_advanced_flow(
                video_url=video_url,
                video_id=video_id,
                audio_path=audio_path,
                audio_url=audio_url,
                audio_id=audio_id,
                audio_ms=audio_ms,
                video_ms=video_ms,
                face_id=face_id,
                insert_at=insert_at,
                crop=crop,
                watermark=watermark,
                external_task_id=external_task_id,
                callback_url=callback_url,
                timeout=timeout,
                on_update=on_update,
                poll=None,
            )
        )

    def close(self) -> None:
        self._http.close()
        self._downloads.close()

    def __enter__(self) -> LipSync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the asynchronous twin ----------------------------------------------------------------------------


class AsyncLipSync:
    """``LipSync`` for asyncio: the same operations, awaited (``sleep`` is a coroutine function)."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        retry: RetryPolicy | None = None,
        poll: PollSchedule | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        self._core = _Core(
            base_url,
            token,
            access_key,
            secret_key,
            retry or RetryPolicy(),
            poll or PollSchedule(),
            monotonic,
            rng,
            on_retry,
        )
        self.base_url = self._core.base_url
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self.base_url, auth=self._core._auth, timeout=timeout, transport=transport
        )
        self._downloads = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=True)

    def __repr__(self) -> str:
        return f"AsyncLipSync(base_url={self.base_url!r})"

    async def _run(self, flow: _Flow[T]) -> T:
        step = next(flow)
        while True:
            try:
                if isinstance(step, _Send):
                    try:
                        result: Any = await self._http.request(**step.request)
                    except httpx.TransportError as exc:
                        result = _NoAnswer(exc)
                else:
                    await self._sleep(step.seconds)
                    result = None
                step = flow.send(result)
            except StopIteration as stop:
                value: T = stop.value
                return value

    async def create(self, body: LipSyncCreateRequest, *, retry_unsafe: bool = False) -> TaskCreated:
        """Create a task from a generated request model (see ``LipSync.create``)."""
        return await self._run(self._core.create_flow(body, retry_unsafe))

    async def create_text(
        self,
        text: str,
        voice_id: str,
        *,
        video_id: str | None = None,
        video_url: str | None = None,
        voice_language: str | VoiceLanguage | None = None,
        voice_speed: float | None = None,
        callback_url: str | None = None,
        routing_task_id: str | None = None,
        retry_unsafe: bool = False,
    ) -> TaskCreated:
        """Lip-sync a video to ``text`` spoken by ``voice_id`` (``text2video``)."""
        body = _Core.text_request(
            text, voice_id, video_id, video_url, voice_language, voice_speed, callback_url, routing_task_id
        )
        return await self.create(body, retry_unsafe=retry_unsafe)

    async def create_audio(
        self,
        *,
        audio_url: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        video_id: str | None = None,
        video_url: str | None = None,
        callback_url: str | None = None,
        routing_task_id: str | None = None,
        retry_unsafe: bool = False,
    ) -> TaskCreated:
        """Lip-sync a video to audio from a URL or a local file (checked, then sent as base64)."""
        body = _Core.audio_request(audio_url, audio_path, video_id, video_url, callback_url, routing_task_id)
        return await self.create(body, retry_unsafe=retry_unsafe)

    async def get(self, task_id: str) -> LipSyncTask:
        return await self._run(self._core.get_flow(task_id))

    async def tasks(self, *, page_size: int = 30) -> AsyncIterator[LipSyncTask]:
        for page_num in range(1, 1001):
            page = await self._run(self._core.page_flow(page_num, page_size))
            for task in page:
                yield task
            if len(page) < page_size:
                return

    async def wait(
        self,
        task_id: str,
        *,
        timeout: float = 900.0,
        on_update: UpdateCallback | None = None,
        poll: PollSchedule | None = None,
    ) -> LipSyncTask:
        return await self._run(self._core.wait_flow(task_id, timeout, on_update, poll, self._core.get_flow))

    async def download(
        self,
        task: LipSyncTask | AdvancedLipSyncTask | str,
        path: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        watermarked: bool = False,
    ) -> Path:
        """Stream the result video to ``path`` (see ``LipSync.download``)."""
        finished = await self.get(task) if isinstance(task, str) else task
        url = _Core.result_url(finished, watermarked)
        target = _destination(path, finished.task_id, "-watermarked" if watermarked else "")
        try:
            with _written_whole(target) as handle:
                async with self._downloads.stream("GET", url) as response:
                    if response.status_code != 200:
                        body = (await response.aread())[:200].decode("latin-1")
                        raise error_from_response(response.status_code, body)
                    total, done = _content_length(response), 0
                    async for chunk in response.aiter_bytes(64 * 1024):
                        handle.write(chunk)
                        done += len(chunk)
                        if on_progress is not None:
                            on_progress(done, total)
        except httpx.TransportError as exc:
            raise _no_answer(url, exc) from exc
        return target

    # -- advanced lip-sync: identify-face, then a task naming a face of its session -------------------------

    async def identify_faces(self, *, video_url: str | None = None, video_id: str | None = None) -> FaceSession:
        """Find the faces of a video: a session id and each face's window (``face_data``, empty if none)."""
        return await self._run(self._core.identify_flow(_Core.identify_request(video_url, video_id)))

    async def create_advanced(
        self,
        session_id: str,
        face_id: str,
        *,
        sound_start_time: int,
        sound_end_time: int,
        sound_insert_time: int,
        audio_id: str | None = None,
        sound_file: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        sound_volume: float | None = None,
        original_audio_volume: float | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        retry_unsafe: bool = False,
    ) -> AdvancedLipSyncTaskCreated:
        """Lip-sync face ``face_id`` of session ``session_id`` to audio cropped to ``[sound_start_time,
        sound_end_time]`` and inserted at ``sound_insert_time`` (all ms; ``plan_advanced`` picks them).

        The audio is exactly one of ``audio_id`` (Kling text-to-speech), ``sound_file`` (a URL or base64) and
        ``audio_path`` (a local file, checked, then sent as base64). Retried as ``create`` is.
        """
        body = _Core.advanced_request(
            session_id,
            face_id,
            audio_id=audio_id,
            sound_file=sound_file,
            audio_path=audio_path,
            sound_start_time=sound_start_time,
            sound_end_time=sound_end_time,
            sound_insert_time=sound_insert_time,
            sound_volume=sound_volume,
            original_audio_volume=original_audio_volume,
            watermark=watermark,
            external_task_id=external_task_id,
            callback_url=callback_url,
        )
        return await self._run(self._core.create_advanced_flow(body, retry_unsafe))

    async def get_advanced(self, task_id: str) -> AdvancedLipSyncTask:
        """The advanced task as it stands now (by its id or your ``external_task_id``)."""
        return await self._run(self._core.get_advanced_flow(task_id))

    async def advanced_tasks(self, *, page_size: int = 30) -> AsyncIterator[AdvancedLipSyncTask]:
        """Every advanced task of the account, newest first, page after page."""
        for page_num in range(1, 1001):
            page = await self._run(self._core.advanced_page_flow(page_num, page_size))
            for task in page:
                yield task
            if len(page) < page_size:
                return

    async def wait_advanced(
        self,
        task_id: str,
        *,
        timeout: float = 900.0,
        on_update: AdvancedUpdateCallback | None = None,
        poll: PollSchedule | None = None,
    ) -> AdvancedLipSyncTask:
        """Poll until the advanced task ends; return it when it succeeded (raises as ``wait`` does)."""
        return await self._run(self._core.wait_flow(task_id, timeout, on_update, poll, self._core.get_advanced_flow))

    async def lip_sync_advanced(
        self,
        *,
        video_url: str | None = None,
        video_id: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        audio_url: str | None = None,
        audio_id: str | None = None,
        audio_ms: int | None = None,
        video_ms: int | None = None,
        face_id: str | None = None,
        insert_at: int | None = None,
        crop: tuple[int, int] | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        timeout: float = 900.0,
        on_update: AdvancedUpdateCallback | None = None,
    ) -> AdvancedLipSyncTask:
        """The common case in one call: find the faces, plan (``plan_advanced``), create, wait; the finished task.

        The audio is one of ``audio_path`` (a local file: checked and measured before anything is sent),
        ``audio_url`` or ``audio_id``, whose length ``audio_ms`` must then be given (given with a file, it is
        taken instead of the measure). ``face_id``, ``insert_at`` and ``crop`` fix what the plan would
        otherwise choose; ``video_ms``, when known, lets the audio run to the video's end rather than to just
        before the face's.

        :raise PlanError: (a ``ValueError``) no face, or none whose times Kling would accept.
        :raise TaskFailed, WaitTimeout: as ``wait_advanced``.
        """
        return await self._run(
            self._core.lip_sync_advanced_flow(
                video_url=video_url,
                video_id=video_id,
                audio_path=audio_path,
                audio_url=audio_url,
                audio_id=audio_id,
                audio_ms=audio_ms,
                video_ms=video_ms,
                face_id=face_id,
                insert_at=insert_at,
                crop=crop,
                watermark=watermark,
                external_task_id=external_task_id,
                callback_url=callback_url,
                timeout=timeout,
                on_update=on_update,
                poll=None,
            )
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._downloads.aclose()

    async def __aenter__(self) -> AsyncLipSync:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
