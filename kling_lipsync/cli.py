"""``kling-lipsync``: submit, watch and download lip-sync tasks from the shell; ``kling-lipsync mock`` runs the mock.

The library does the work (``LipSync``, its plans and its flows) and reports progress through callbacks; this
module only calls it and renders (``_cli_render``); its arguments are parsed in ``_cli_parser``. On a terminal
progress redraws one line; otherwise each status change is one plain line. ``--json`` prints results as
JSON for scripts. ``status``, ``wait`` and ``download`` find a task's family themselves unless ``--family``
names it. Every error is one line on stderr (``kling-lipsync: error: ...``, or a JSON object with ``--json``),
and the exit code says what happened:

    0  success
    1  the task failed
    2  bad usage
    3  the service refused the request (Kling error code)
    4  no answer from the service
    5  the task had not finished by the deadline
    6  a local file is unusable
    130  interrupted (Ctrl-C): a task being waited for still runs, and the line gives the command that resumes

A mistake in the arguments (2) shows the usage of the command meant, then argparse's one-line error.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kling_lipsync._cli_parser import EXIT_CODES, FAMILIES, build_parsers, check_arguments, first_positional
from kling_lipsync._cli_render import Progress, Task, print_task, task_json
from kling_lipsync.auth import token_source
from kling_lipsync.client import LipSync
from kling_lipsync.errors import (
    APIError,
    KlingError,
    LocalFileError,
    TaskFailed,
    TaskNotFinished,
    TransportError,
    WaitTimeout,
)
from kling_lipsync.retry import PollSchedule, RetryPolicy
from kling_lipsync.voices import Voice, languages_of, voice_catalogue
from kling_lipsync_client.models import FaceSession, TaskCreated

__all__ = ["EXIT_CODES", "Progress", "Voice", "build_parser", "languages_of", "main", "run", "voice_catalogue"]

#: Ctrl-C: the shell's convention (128 + SIGINT), not a failure of the command.
_INTERRUPTED = 130


class _FamilyMethods:
    """The client's methods that serve one family's tasks, by name (so a replaced ``LipSync`` serves too)."""

    def __init__(self, get: str, wait: str, tasks: str, watermarked: bool) -> None:
        self.get, self.wait, self.tasks, self.watermarked = get, wait, tasks, watermarked


LEGACY, ADVANCED = "lip-sync", "advanced-lip-sync"
#: Which methods of ``LipSync`` serve each family of the spec; the spec's registry decides the families.
_METHODS = {
    LEGACY: _FamilyMethods("get", "wait", "tasks", watermarked=False),
    ADVANCED: _FamilyMethods("get_advanced", "wait_advanced", "advanced_tasks", watermarked=True),
}
if set(_METHODS) != set(FAMILIES):
    raise RuntimeError(f"the CLI serves the families {', '.join(_METHODS)}; the spec has {', '.join(FAMILIES)}")


class _StillRunning(KeyboardInterrupt):
    """Ctrl-C while a task ran or was being saved: the task goes on; ``resume`` is the command that picks it up."""

    def __init__(self, task_id: str, state: str, resume: str) -> None:
        super().__init__(f"interrupted; task {task_id} {state}: `{resume}`")


# -- the commands ------------------------------------------------------------------------------------------


def _resume(args: argparse.Namespace, *words: str) -> str:
    """A ``kling-lipsync`` command line that does the rest, with the options that reach the same service."""
    given = ["--base-url", args.base_url] if args.base_url else []
    return shlex.join(["kling-lipsync", *words, *given, *(["--json"] if args.json else [])])


def _wait_and_save(
    lip: LipSync,
    args: argparse.Namespace,
    progress: Progress,
    task_id: str,
    family: str | None,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Wait for the task, print it, and save its video when ``--out`` says where; ``extra`` joins the JSON.

    With no ``family``, the first poll finds it (``wait_any``), so a server that is down is waited for too.
    """
    poll = PollSchedule(expected_seconds=args.expected_seconds)
    out = ["--out", args.out] if args.out else []
    named = ["--family", family] if family else []
    try:
        try:
            wait = getattr(lip, _METHODS[family].wait) if family else lip.wait_any
            task: Task = wait(task_id, timeout=args.timeout, on_update=progress.task, poll=poll)
        finally:
            progress.end_line()
    except KeyboardInterrupt:
        raise _StillRunning(task_id, "still runs", _resume(args, "wait", task_id, *named, *out)) from None
    if args.out:
        try:
            path = lip.download(task, args.out, on_progress=progress.download)
        except KeyboardInterrupt:
            resume = _resume(args, "download", task_id, args.out, *named)
            raise _StillRunning(task_id, "has finished, its video is not saved", resume) from None
        progress.end_line()
        if args.json:
            print(json.dumps({**task_json(task), **(extra or {}), "saved_to": str(path)}, ensure_ascii=False))
        else:
            print_task(task, False)
            print(f"saved {path}")
        return 0
    print_task(task, args.json, extra)
    return 0


def _created(
    lip: LipSync, args: argparse.Namespace, progress: Progress, task_id: str, family: str, shown: dict[str, Any]
) -> int:
    """A task was created: print its id (or ``shown`` as JSON), or wait for it when asked to."""
    if not args.wait:
        print(json.dumps(shown) if args.json else task_id)
        return 0
    if not args.json:
        print(f"created {task_id}", file=sys.stderr)
    extra = {key: value for key, value in shown.items() if key == "plan"}
    return _wait_and_save(lip, args, progress, task_id, family, extra)


def _submit(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """``submit text|audio|advanced``: one call of the library each."""
    video = {"video_id": args.video_id, "video_url": args.video_url}
    created: TaskCreated
    if args.mode == "advanced":
        planned = lip.create_advanced_planned(
            audio_path=args.audio_file,
            audio_url=args.audio_url,
            audio_id=args.audio_id,
            text=args.text,
            voice_id=args.voice_id,
            voice_language=args.voice_language,
            voice_speed=args.voice_speed,
            audio_ms=args.audio_ms,
            video_ms=args.video_ms,
            face_id=args.face_id,
            insert_at=args.insert_at,
            crop=args.crop,
            watermark=True if args.watermark else None,
            external_task_id=args.external_task_id,
            callback_url=args.callback_url,
            **video,
        )
        if not args.json:
            print(f"plan: {planned.plan} ({planned.plan.why})", file=sys.stderr)
        shown = {**task_json(planned.created), "plan": planned.plan_dict()}
        return _created(lip, args, progress, planned.task_id, ADVANCED, shown)
    if args.mode == "text":
        created = lip.create_text(
            args.text,
            args.voice_id,
            voice_language=args.voice_language,
            voice_speed=args.voice_speed,
            callback_url=args.callback_url,
            **video,
        )
    else:
        created = lip.create_audio(
            audio_url=args.audio_url, audio_path=args.audio_file, callback_url=args.callback_url, **video
        )
    return _created(lip, args, progress, created.task_id, LEGACY, task_json(created))


def _faces(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """``faces``: the identify-face session and each face's window."""
    session: FaceSession = lip.identify_faces(video_url=args.video_url, video_id=args.video_id)
    if args.json:
        print(json.dumps(session.to_dict(), ensure_ascii=False))
        return 0
    print(f"session {session.session_id}")
    if not session.face_data:
        print("no usable face in this video")
    for face in session.face_data:
        print(f"face {face.face_id}  [{face.start_time}, {face.end_time}] ms  {face.face_image}")
    return 0


def _speak(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """``speak``: text-to-speech; the audio id (and the MP3 saved, with ``--out``)."""
    speech = lip.speak(args.text, args.voice_id, voice_language=args.voice_language, voice_speed=args.voice_speed)
    shown: dict[str, Any] = {"audio_id": speech.audio_id, "url": speech.url, "duration_ms": speech.duration_ms}
    if args.out:
        shown["saved_to"] = str(lip.download(speech, args.out, on_progress=progress.download))
        progress.end_line()
    if args.json:
        print(json.dumps(shown, ensure_ascii=False))
    else:
        print(speech.audio_id)
        print(f"{speech.duration_ms} ms  {speech.url}", file=sys.stderr)
        if args.out:
            print(f"saved {shown['saved_to']}", file=sys.stderr)
    return 0


def _task(lip: LipSync, args: argparse.Namespace) -> tuple[str, Task]:
    """The task ``args.task_id`` and its family: ``--family``'s, or the first family of the spec that has it."""
    if args.family is not None:
        return args.family, getattr(lip, _METHODS[args.family].get)(args.task_id)
    found = lip.find(args.task_id)
    return found.family, found.task


def _status(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """``status``: the task as it stands."""
    print_task(_task(lip, args)[1], args.json)
    return 0


def _list(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """``list``: one family's tasks, newest first."""
    listed: Iterator[Task] = getattr(lip, _METHODS[args.family].tasks)(page_size=args.page_size)
    for shown, task in enumerate(listed):
        if args.limit is not None and shown >= args.limit:
            break
        print_task(task, args.json)
    return 0


def _wait(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """``wait``: until the task ends (its family found on the first poll unless given)."""
    return _wait_and_save(lip, args, progress, args.task_id, args.family)


def _download(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """``download``: save the result video (or its watermarked copy)."""
    if args.watermarked and args.family is not None and not _METHODS[args.family].watermarked:
        raise ValueError(f"--watermarked is for --family {ADVANCED}: {args.family} results have no watermarked copy")
    family, task = _task(lip, args)
    if args.watermarked and not _METHODS[family].watermarked:
        raise ValueError(
            f"--watermarked is for --family {ADVANCED}: task {args.task_id} is a {family} task, "
            "whose results have no watermarked copy"
        )
    path = lip.download(task, args.file, on_progress=progress.download, watermarked=args.watermarked)
    progress.end_line()
    print(json.dumps({"task_id": args.task_id, "saved_to": str(path)}) if args.json else f"saved {path}")
    return 0


def _voices(args: argparse.Namespace) -> int:
    """The catalogue needs no service and no token: it is the spec's."""
    shown = [voice for voice in voice_catalogue() if args.language in (None, voice.voice_language)]
    width = max(len(voice.voice_id) for voice in shown)
    for voice in shown:
        if args.json:
            print(json.dumps({"voice_id": voice.voice_id, "voice_language": voice.voice_language,
                              "name": voice.name}, ensure_ascii=False))  # fmt: skip
        else:
            print(f"{voice.voice_language}  {voice.voice_id:<{width}}  {voice.name or ''}".rstrip())
    return 0


COMMANDS: dict[str, Callable[[LipSync, argparse.Namespace, Progress], int]] = {
    "submit": _submit,
    "status": _status,
    "list": _list,
    "wait": _wait,
    "download": _download,
    "faces": _faces,
    "speak": _speak,
}


# -- running ---------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser of ``kling-lipsync``."""
    return build_parsers()[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kling-lipsync`` with ``argv`` (default: the process's); the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The servers and the recording tools parse their own arguments (imported here: only they need them).
    first = first_positional(arguments)
    command = arguments[first] if 0 <= first < len(arguments) else None
    if command == "mock":
        from mock_server.__main__ import main as mock_main

        return mock_main(arguments[first + 1 :], prog="kling-lipsync mock")
    if command == "record":
        from mock_server.recording.recorder import main as record_main

        return record_main(arguments[first + 1 :], prog="kling-lipsync record")
    if command == "check-recording":
        from mock_server.recording.check import main as check_main

        return check_main(arguments[first + 1 :], prog="kling-lipsync check-recording")
    parser, subparsers = build_parsers()
    args, unknown = parser.parse_known_args(arguments)
    check_arguments(subparsers, args, unknown)
    progress = Progress(sys.stderr, quiet=args.json)
    try:
        try:
            exit_code = _run(args, progress)
            sys.stdout.flush()  # a reader gone away shows here, where it is handled, rather than at exit
            return exit_code
        finally:
            progress.end_line()  # a retry or progress line is left open: the error goes on a line of its own
    except TaskFailed as exc:
        return _fail(1, f"task {exc.task_id} failed: {exc.message}", args)
    except LocalFileError as exc:
        return _fail(6, str(exc), args)
    except TaskNotFinished as exc:
        hint = f"`{_resume(args, 'wait', exc.task_id, '--out', 'PATH')}` waits for it and saves the video"
        return _fail(5, f"{exc}: {hint}", args)
    except ValueError as exc:
        return _fail(2, str(exc), args)
    except APIError as exc:
        return _fail(3, str(exc), args, code=exc.code, request_id=exc.request_id)
    except TransportError as exc:
        return _fail(4, str(exc), args)
    except WaitTimeout as exc:
        return _fail(5, str(exc), args)
    except KlingError as exc:
        return _fail(2, str(exc), args)
    except KeyboardInterrupt as exc:
        return _fail(_INTERRUPTED, str(exc) if isinstance(exc, _StillRunning) else "interrupted", args)
    except BrokenPipeError:
        # The reader went away (`kling-lipsync list | head -1`): nothing left to say, and nowhere to say it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace, progress: Progress) -> int:
    """Build the client the options describe and run the command with it."""
    if args.command == "voices":
        return _voices(args)
    if token_source(args.token) is None:
        # The library would name its own ``token=``; here the option and the variables are what to set.
        raise ValueError(
            "no credentials: give --token, or set KLING_API_TOKEN (or KLING_ACCESS_KEY and KLING_SECRET_KEY)"
        )
    # A connection that never opens is reported at once rather than after ~15 s of silent retries: the
    # server is down or the URL wrong. While waiting for a task, the deadline is the limit instead.
    retry = RetryPolicy(max_attempts=args.max_attempts, max_connect_attempts=1)
    with LipSync(args.base_url, args.token, retry=retry, on_retry=progress.retry) as lip:
        return COMMANDS[args.command](lip, args, progress)


def _fail(exit_code: int, message: str, args: argparse.Namespace, **extra: Any) -> int:
    """Say what went wrong in one line on stderr (JSON with ``--json``); the exit code."""
    if args.json:
        print(json.dumps({"error": message, "exit_code": exit_code, **extra}), file=sys.stderr)
    else:
        print(f"kling-lipsync: error: {message}", file=sys.stderr)
    return exit_code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
