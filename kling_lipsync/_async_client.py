"""``AsyncLipSync``: the client's methods, hand-written once; ``LipSync`` (``_sync_client.py``) is generated from
this file by ``codegen/unasync.py`` (``make lint`` fails when it is stale).

Each method builds a request body (``_requests``) and runs one flow of ``_flows.Core``: the flow decides what
to send, retry and wait for; this class only sends, sleeps and streams. Write the docstrings for both
clients: the generated one reads them with ``async``/``await`` removed.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from kling_lipsync._files import destination, written_whole
from kling_lipsync._flows import (
    AdvancedUpdateCallback,
    AnyUpdateCallback,
    Core,
    Flow,
    Found,
    NoAnswer,
    PlanCallback,
    PlannedTask,
    ProgressCallback,
    RetryCallback,
    Send,
    Speech,
    UpdateCallback,
    content_length,
    no_answer,
)
from kling_lipsync._requests import (
    advanced_request,
    audio_request,
    identify_request,
    planned_speech,
    speech_request,
    text_request,
)
from kling_lipsync.errors import error_from_response
from kling_lipsync.retry import PollSchedule, RetryPolicy
from kling_lipsync_client.models import (
    AdvancedLipSyncTask,
    AdvancedLipSyncTaskCreated,
    FaceSession,
    LipSyncCreateRequest,
    LipSyncTask,
    TaskCreated,
    VoiceLanguage,
)

__all__ = ["AsyncLipSync"]

T = TypeVar("T")


class AsyncLipSync:
    """The Kling lip-sync API: create a task, wait for it, download its video; retries and typed errors.

    ```python
    async with AsyncLipSync() as lip:  # KLING_BASE_URL, KLING_API_TOKEN (or KLING_ACCESS_KEY / KLING_SECRET_KEY)
        created = await lip.create_text("Hello!", "oversea_male1", video_url="https://example.com/face.mp4")
        task = await lip.wait(created.task_id)
        await lip.download(task, "out.mp4")
    ```

    **Parameters:**

    * **base_url** - the API root: ``https://www.dmxapi.cn/kling`` (DMXAPI, default for ``sk-`` tokens) or
      a Kling host (default ``https://api-singapore.klingai.com`` for API keys and access keys).
    * **token** - a DMXAPI ``sk-`` key or a Kling API key; or **access_key** and **secret_key**, from
      which the JWT is signed and re-signed before it expires.
    * **retry**, **poll** - the backoff for retryable errors and the polling schedule of ``wait``.
    * **timeout** - seconds for each request to connect, send and answer.
    * **transport** - an ``httpx`` transport (for example one to an in-process mock).
    * **sleep**, **monotonic**, **rng** - the clock and randomness, replaceable for tests.
    * **on_retry** - called as ``on_retry(error, attempt, seconds)`` before each retry, to show that
      something is being waited for.
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
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        self._core = Core(
            base_url,
            token,
            access_key,
            secret_key,
            retry or RetryPolicy(),
            poll or PollSchedule(),
            monotonic,
            rng or random.Random(),
            on_retry,
        )
        self.base_url = self._core.base_url
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=self.base_url, auth=self._core.auth, timeout=timeout, transport=transport
        )
        # Result URLs point elsewhere (a CDN): never send them the token.
        self._downloads = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    async def _every_task(self, page_flow: Callable[[int, int], Flow[list[T]]], page_size: int) -> AsyncIterator[T]:
        """What a family's ``page_flow`` lists, page after page, until a page comes back short (1,000 at most)."""
        for page_num in range(1, 1001):
            page = await self._run(page_flow(page_num, page_size))
            for task in page:
                yield task
            if len(page) < page_size:
                return

    async def _run(self, flow: Flow[T]) -> T:
        """Drive ``flow``: send what it asks to send, sleep when it asks to sleep, until it returns."""
        step = next(flow)
        while True:
            try:
                if isinstance(step, Send):
                    try:
                        result: Any = await self._http.request(**step.request)
                    except httpx.TransportError as exc:
                        result = NoAnswer(exc)
                else:
                    await self._sleep(step.seconds)
                    result = None
                step = flow.send(result)
            except StopIteration as stop:
                value: T = stop.value
                return value

    # -- lip-sync: one request makes a task ----------------------------------------------------------

    async def create(self, body: LipSyncCreateRequest, *, retry_unsafe: bool = False) -> TaskCreated:
        """Create a task from a generated request model.

        A create is retried only on answers proving it was refused (1302, 1303, 5001, no connection);
        ``retry_unsafe=True`` retries 5000/5002 and lost answers too, at the risk of two tasks.
        """
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
        """Lip-sync a video to ``text`` spoken by ``voice_id`` (``text2video``).

        Without ``voice_language``, the language sent is the only one of the spec's voice table that has
        ``voice_id`` (``kling_lipsync.voices.voice_language_for``, as on the command line); none is sent when
        several have it (the service's default picks).

        :raise VoiceError: (a ``ValueError``) no ``voice_language``, and the spec has no such voice.
        """
        body = text_request(
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
        body = audio_request(audio_url, audio_path, video_id, video_url, callback_url, routing_task_id)
        return await self.create(body, retry_unsafe=retry_unsafe)

    async def get(self, task_id: str) -> LipSyncTask:
        """The task as it stands now."""
        return await self._run(self._core.get_flow(task_id))

    def tasks(self, *, page_size: int = 30) -> AsyncIterator[LipSyncTask]:
        """Every task of the account, newest first, page after page."""
        return self._every_task(self._core.page_flow, page_size)

    async def wait(
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
        return await self._run(self._core.wait_flow(task_id, timeout, on_update, poll, self._core.get_flow))

    async def find(self, task_id: str) -> Found:
        """The task with this id, whatever its family: ``(family, task)``.

        Each family of the spec (``kling_spec.families``) is asked in turn; an advanced task costs one more
        request than ``get_advanced``. :raise InvalidRequestError: 1203, no family has such a task.
        """
        return await self._run(self._core.find_flow(task_id))

    async def wait_any(
        self,
        task_id: str,
        *,
        timeout: float = 900.0,
        on_update: AnyUpdateCallback | None = None,
        poll: PollSchedule | None = None,
    ) -> LipSyncTask | AdvancedLipSyncTask:
        """``wait`` for a task of any family: the first poll finds its family as ``find`` does.

        :raise InvalidRequestError: 1203, no family has such a task. :raise TaskFailed, WaitTimeout: as ``wait``.
        """
        return await self._run(self._core.wait_flow(task_id, timeout, on_update, poll, self._core.finding_get()))

    async def download(
        self,
        task: LipSyncTask | AdvancedLipSyncTask | Speech | str,
        path: str | os.PathLike[str],
        *,
        on_progress: ProgressCallback | None = None,
        watermarked: bool = False,
    ) -> Path:
        """Stream the result video to ``path`` (written whole or not at all); ``on_progress(done, total)``.

        ``task`` is a task of either family, or the id of a legacy one (``get_advanced`` fetches an advanced
        one), or a ``Speech`` (its MP3). ``path`` may be a folder: the video is then ``<task_id>.mp4`` inside
        it (``<task_id>-watermarked.mp4`` for the watermarked copy, which ``watermarked=True`` saves; a
        speech is ``<audio_id>.mp3``). Returns where it was saved.

        :raise TaskFailed: the task failed. :raise TaskNotFinished: it has not ended yet.
        :raise LocalFileError: ``path`` cannot be written.
        """
        if isinstance(task, Speech):
            url, target = task.url, destination(path, task.audio_id, extension=".mp3")
        else:
            finished = await self.get(task) if isinstance(task, str) else task
            url = Core.result_url(finished, watermarked)
            target = destination(path, finished.task_id, "-watermarked" if watermarked else "")
        try:
            async with self._downloads.stream("GET", url) as response:
                if response.status_code != 200:
                    answer = await response.aread()
                    raise error_from_response(response.status_code, answer[:200].decode("latin-1"))
                total, done = content_length(response), 0
                with written_whole(target) as handle:
                    async for chunk in response.aiter_bytes(64 * 1024):
                        handle.write(chunk)
                        done += len(chunk)
                        if on_progress is not None:
                            on_progress(done, total)
        except httpx.TransportError as exc:
            raise no_answer(url, exc) from exc
        return target

    # -- text-to-speech: the audio advanced lip-sync takes by id ---------------------------------------------

    async def speak(
        self,
        text: str,
        voice_id: str,
        *,
        voice_language: str | VoiceLanguage | None = None,
        voice_speed: float | None = None,
    ) -> Speech:
        """Speak ``text`` with ``voice_id`` (Kling's text-to-speech, answered at once): the audio's id (for
        ``create_advanced``'s ``audio_id``, for 30 days), URL and length in ms.

        Without ``voice_language``, the language is chosen as ``create_text`` chooses it.

        :raise TaskFailed: the service refused to speak it (``task_status_msg`` says why).
        :raise VoiceError: (a ``ValueError``) no ``voice_language``, and the spec has no such voice.
        """
        body = speech_request(text, voice_id, voice_language, voice_speed)
        return await self._run(self._core.speak_flow(body))

    # -- advanced lip-sync: identify-face, then a task naming a face of its session -------------------------

    async def identify_faces(self, *, video_url: str | None = None, video_id: str | None = None) -> FaceSession:
        """Find the faces of a video: a session id and each face's window (``face_data``, empty if none)."""
        return await self._run(self._core.identify_flow(identify_request(video_url, video_id)))

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
        body = advanced_request(
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

    def advanced_tasks(self, *, page_size: int = 30) -> AsyncIterator[AdvancedLipSyncTask]:
        """Every advanced task of the account, newest first, page after page."""
        return self._every_task(self._core.advanced_page_flow, page_size)

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

    async def create_advanced_planned(
        self,
        *,
        video_url: str | None = None,
        video_id: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        audio_url: str | None = None,
        audio_id: str | None = None,
        text: str | None = None,
        voice_id: str | None = None,
        voice_language: str | VoiceLanguage | None = None,
        voice_speed: float | None = None,
        audio_ms: int | None = None,
        video_ms: int | None = None,
        face_id: str | None = None,
        insert_at: int | None = None,
        crop: tuple[int, int] | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
    ) -> PlannedTask:
        """Find the faces, plan (``plan_advanced``), create: the new task with the plan it was given.

        The audio is one of ``audio_path`` (a local file: checked and measured before anything is sent),
        ``audio_url`` or ``audio_id``, whose length ``audio_ms`` must then be given (given with a file, it is
        taken instead of the measure), or ``text`` spoken by ``voice_id`` (``speak`` first: the plan uses the
        length of the audio the service made). ``face_id``, ``insert_at`` and ``crop`` fix what the plan would
        otherwise choose; ``video_ms``, when known, lets the audio run to the video's end rather than to just
        before the face's.

        :raise PlanError: (a ``ValueError``) no face, or none whose times Kling would accept.
        """
        return await self._run(
            self._core.create_advanced_planned_flow(
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
                speech=planned_speech(text, voice_id, voice_language, voice_speed),
            )
        )

    async def lip_sync_advanced(
        self,
        *,
        video_url: str | None = None,
        video_id: str | None = None,
        audio_path: str | os.PathLike[str] | None = None,
        audio_url: str | None = None,
        audio_id: str | None = None,
        text: str | None = None,
        voice_id: str | None = None,
        voice_language: str | VoiceLanguage | None = None,
        voice_speed: float | None = None,
        audio_ms: int | None = None,
        video_ms: int | None = None,
        face_id: str | None = None,
        insert_at: int | None = None,
        crop: tuple[int, int] | None = None,
        watermark: bool | None = None,
        external_task_id: str | None = None,
        callback_url: str | None = None,
        timeout: float = 900.0,
        on_plan: PlanCallback | None = None,
        on_update: AdvancedUpdateCallback | None = None,
    ) -> AdvancedLipSyncTask:
        """The common case in one call: ``create_advanced_planned``, then ``wait_advanced``; the finished task.
        From a text: ``lip_sync_advanced(video_url=..., text="...", voice_id="...")`` speaks it first.

        ``on_plan(planned)`` is called once the task is created, with its id and the plan chosen
        (``PlannedTask``); the other arguments are those of ``create_advanced_planned`` and ``wait_advanced``.

        :raise PlanError: (a ``ValueError``) no face, or none whose times Kling would accept.
        :raise TaskFailed, WaitTimeout: as ``wait_advanced``.
        """
        planned = self._core.create_advanced_planned_flow(
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
            speech=planned_speech(text, voice_id, voice_language, voice_speed),
        )
        return await self._run(self._core.lip_sync_advanced_flow(planned, timeout, on_plan, on_update))

    # -- closing -------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connections (``async with`` does it on leaving)."""
        await self._http.aclose()
        await self._downloads.aclose()

    async def __aenter__(self) -> AsyncLipSync:
        """The client itself, closed on leaving the block."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the client."""
        await self.aclose()
