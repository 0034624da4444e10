"""``kling-lipsync``: submit, watch and download lip-sync tasks from the shell; ``kling-lipsync mock`` runs the mock.

The library does the work and reports progress through callbacks; this module only renders. On a terminal
progress redraws one line; otherwise each status change is one plain line. ``--json`` prints results as
JSON for scripts. Errors are one line with the Kling code, and the exit code says what happened.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from kling_lipsync.audio import MAX_AUDIO_BYTES, read_audio_file
from kling_lipsync.client import LipSync, audio_length_ms
from kling_lipsync.errors import (
    APIError,
    KlingError,
    LocalFileError,
    TaskFailed,
    TaskNotFinished,
    TransportError,
    WaitTimeout,
)
from kling_lipsync.planning import Plan, check_audio, plan_advanced
from kling_lipsync.retry import PollSchedule, RetryPolicy
from kling_lipsync_client.models import (
    AdvancedLipSyncTask,
    AdvancedLipSyncTaskCreated,
    FaceSession,
    LipSyncTask,
    TaskCreated,
    VoiceLanguage,
)
from kling_lipsync_client.types import Unset
from kling_spec import load_spec
from kling_spec.families import families

__all__ = ["EXIT_CODES", "Voice", "languages_of", "main", "voice_catalogue"]

# Limits shown in --help come from the spec, like everything else.
_SCHEMAS = load_spec()["components"]["schemas"]
_INPUT = _SCHEMAS["LipSyncInput"]["properties"]
#: The families whose tasks ``status``, ``wait``, ``download`` and ``list`` show (``--family``): the spec's
#: registry names them; the CLI knows which client methods serve which, and says so at import if one is gone.
FAMILIES = tuple(families())
LEGACY, ADVANCED = "lip-sync", "advanced-lip-sync"
if set(FAMILIES) != {LEGACY, ADVANCED}:
    raise RuntimeError(f"the CLI serves the families {LEGACY} and {ADVANCED}; the spec has {', '.join(FAMILIES)}")
#: Options of ``submit advanced`` only: given to another mode they would be silently ignored.
_ADVANCED_ONLY = ("audio_id", "audio_ms", "video_ms", "face_id", "insert_at", "crop", "external_task_id")

Task = LipSyncTask | AdvancedLipSyncTask

#: What each exit code means.
EXIT_CODES = {
    0: "success",
    1: "the task failed",
    2: "bad usage",
    3: "the service refused the request (Kling error code)",
    4: "no answer from the service",
    5: "the task had not finished by the deadline",
    6: "a local file is unusable",
}
#: Ctrl-C: the shell's convention (128 + SIGINT), not a failure of the command.
_INTERRUPTED = 130


# -- the voice catalogue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """One voice: the pair (``voice_id``, ``voice_language``) selects it; ``name`` as the spec gives it."""

    voice_id: str
    voice_language: str
    name: str | None


@functools.cache
def voice_catalogue() -> tuple[Voice, ...]:
    """Every voice of the spec, by language, read from the rule that picks ``voice_id``'s enum by language.

    The spec says: for ``text2video``, if ``voice_language`` is X then ``voice_id`` is one of schema A, else
    (any other language, or none: the default) one of schema B. Reading that rule, not the schema names,
    keeps this in step with whatever the spec decides.
    """
    languages: list[str] = _SCHEMAS["VoiceLanguage"]["enum"]
    text_rule = next(
        rule["then"]
        for rule in _SCHEMAS["LipSyncInput"]["allOf"]
        if rule.get("if", {}).get("properties", {}).get("mode", {}).get("const") == "text2video"
    )
    chosen: str = text_rule["if"]["properties"]["voice_language"]["const"]
    schema_of = {
        language: _referenced(text_rule["then" if language == chosen else "else"]["properties"]["voice_id"])
        for language in languages
    }
    voices: list[Voice] = []
    for language in languages:
        schema = schema_of[language]
        names: list[str | None] = list(schema.get("x-enum-descriptions", []))
        names += [None] * (len(schema["enum"]) - len(names))
        voices += [Voice(voice_id, language, name) for voice_id, name in zip(schema["enum"], names, strict=True)]
    return tuple(voices)


def _referenced(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref", "")
    return _SCHEMAS[ref.rsplit("/", 1)[-1]] if ref.startswith("#/components/schemas/") else schema


def languages_of(voice_id: str) -> list[str]:
    """The languages that have a voice with this id, in the spec's order."""
    return [voice.voice_language for voice in voice_catalogue() if voice.voice_id == voice_id]


# -- rendering ---------------------------------------------------------------------------------------------


class Progress:
    """Renders task updates, retries and download progress on stderr: one redrawn line on a terminal, else lines."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self._stream = stream
        self._live = stream.isatty() and not quiet
        self._quiet = quiet
        self._last_status: str | None = None
        self._started = time.monotonic()
        self._line_open = False  # something is on the redrawn line, so the next message needs a newline first

    def _redraw(self, text: str) -> None:
        self._stream.write(f"\r\x1b[2K{text}")
        self._stream.flush()
        self._line_open = True

    def task(self, task: Task) -> None:
        status = str(task.task_status)
        if self._live:
            elapsed = time.monotonic() - self._started
            self._redraw(f"task {task.task_id}: {status} ({elapsed:.0f} s)")
        elif status != self._last_status and not self._quiet:
            self._stream.write(f"task {task.task_id}: {status}\n")
        self._last_status = status

    def retry(self, error: KlingError, attempt: int, seconds: float) -> None:
        """A request failed and is tried again in ``seconds``: say so on a terminal, where silence looks hung.

        Elsewhere (logs, scripts) only the outcome is printed, as for any other command.
        """
        if self._live:
            self._redraw(f"retrying in {seconds:.0f} s (attempt {attempt + 1}): {error}")

    def download(self, done: int, total: int | None) -> None:
        if not self._live:
            return
        shown = f"{done * 100 // total}% of {total // 1024} KiB" if total else f"{done // 1024} KiB"
        self._redraw(f"downloading: {shown}")

    def end_line(self) -> None:
        if self._line_open:
            self._stream.write("\n")
            self._stream.flush()
            self._line_open = False


def _task_json(task: Task | TaskCreated | AdvancedLipSyncTaskCreated) -> dict[str, Any]:
    return task.to_dict()


def _print_task(task: Task, as_json: bool, extra: Mapping[str, Any] | None = None) -> None:
    if as_json:
        print(json.dumps({**_task_json(task), **(extra or {})}, ensure_ascii=False))
        return
    line = f"{task.task_id}  {task.task_status}"
    if task.task_status_msg:
        line += f"  {task.task_status_msg}"
    for video in task.task_result.videos:
        line += f"  {video.url} ({video.duration} s)"
        watermarked = getattr(video, "watermark_url", None)
        if watermarked and not isinstance(watermarked, Unset):
            line += f"  watermarked: {watermarked}"
    print(line)


def _plan_json(plan: Plan, session_id: str) -> dict[str, Any]:
    return {"session_id": session_id, **dataclasses.asdict(plan)}


# -- the commands ------------------------------------------------------------------------------------------


def _wait_and_save(
    lip: LipSync,
    args: argparse.Namespace,
    progress: Progress,
    task_id: str,
    family: str = LEGACY,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Wait for the task, print it, and save its video when ``--out`` says where; ``extra`` joins the JSON."""
    poll = PollSchedule(expected_seconds=args.expected_seconds)
    task: Task
    try:
        if family == ADVANCED:
            task = lip.wait_advanced(task_id, timeout=args.timeout, on_update=progress.task, poll=poll)
        else:
            task = lip.wait(task_id, timeout=args.timeout, on_update=progress.task, poll=poll)
    finally:
        progress.end_line()
    if args.out:
        path = lip.download(task, args.out, on_progress=progress.download)
        progress.end_line()
        if args.json:
            print(json.dumps({**_task_json(task), **(extra or {}), "saved_to": str(path)}, ensure_ascii=False))
        else:
            _print_task(task, False)
            print(f"saved {path}")
        return 0
    _print_task(task, args.json, extra)
    return 0


def _submit(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    if args.mode == "advanced":
        return _submit_advanced(lip, args, progress)
    video = {"video_id": args.video_id, "video_url": args.video_url}
    created: TaskCreated
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
    if not args.wait and not args.out:
        print(json.dumps(_task_json(created)) if args.json else created.task_id)
        return 0
    if not args.json:
        print(f"created {created.task_id}", file=sys.stderr)
    return _wait_and_save(lip, args, progress, created.task_id)


def _submit_advanced(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    """identify-face, plan what was not given, create; then as ``submit``.

    The local audio is checked and measured first: identify-face is charged, a bad file costs nothing.
    """
    sound_file = args.audio_url
    audio_ms: int | None = args.audio_ms
    if args.audio_file is not None:
        data = read_audio_file(args.audio_file)  # read once: sent as base64, and measured
        sound_file = base64.b64encode(data).decode()
        if audio_ms is None:
            audio_ms = audio_length_ms(args.audio_file, data)
    if audio_ms is None:  # _check_submit asks for it; a caller of this function might not have
        raise ValueError("--audio-ms is needed with --audio-url or --audio-id")
    check_audio(audio_ms)
    session = lip.identify_faces(video_url=args.video_url, video_id=args.video_id)
    plan = plan_advanced(
        session.face_data,
        audio_ms,
        face_id=args.face_id,
        insert_at=args.insert_at,
        crop=args.crop,
        video_ms=args.video_ms,
    )
    if not args.json:
        print(f"plan: {plan} ({plan.why})", file=sys.stderr)
    created = lip.create_advanced(
        session.session_id,
        plan.face_id,
        sound_start_time=plan.sound_start_time,
        sound_end_time=plan.sound_end_time,
        sound_insert_time=plan.sound_insert_time,
        audio_id=args.audio_id,
        sound_file=sound_file,
        watermark=True if args.watermark else None,
        external_task_id=args.external_task_id,
        callback_url=args.callback_url,
    )
    extra = {"plan": _plan_json(plan, session.session_id)}
    if not args.wait and not args.out:
        print(json.dumps({**_task_json(created), **extra}) if args.json else created.task_id)
        return 0
    if not args.json:
        print(f"created {created.task_id}", file=sys.stderr)
    return _wait_and_save(lip, args, progress, created.task_id, ADVANCED, extra)


def _faces(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
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


def _status(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    _print_task(lip.get_advanced(args.task_id) if args.family == ADVANCED else lip.get(args.task_id), args.json)
    return 0


def _list(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    listed: Iterator[Task] = (
        lip.advanced_tasks(page_size=args.page_size) if args.family == ADVANCED else lip.tasks(page_size=args.page_size)
    )
    for shown, task in enumerate(listed):
        if args.limit is not None and shown >= args.limit:
            break
        _print_task(task, args.json)
    return 0


def _wait(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    return _wait_and_save(lip, args, progress, args.task_id, args.family)


def _download(lip: LipSync, args: argparse.Namespace, progress: Progress) -> int:
    if args.watermarked and args.family != ADVANCED:
        raise ValueError("--watermarked is for --family advanced-lip-sync: legacy results have no watermarked copy")
    task: Task | str = lip.get_advanced(args.task_id) if args.family == ADVANCED else args.task_id
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
}


# -- parsing -----------------------------------------------------------------------------------------------


def _positive(kind: Callable[[str], int | float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    # argparse names the type in its message ("invalid int value: 'x'"), so keep the wrapped type's name.
    parse.__name__ = getattr(kind, "__name__", "number")
    return parse


def _milliseconds(text: str) -> int:
    """A time in ms, 0 or more."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


_milliseconds.__name__ = "int"


def _crop(text: str) -> tuple[int, int]:
    """``START:END`` in ms of the audio."""
    start, colon, end = text.partition(":")
    if not colon:
        raise argparse.ArgumentTypeError(f"expected START:END in ms, like 0:3000, not {text!r}")
    try:
        return _milliseconds(start), _milliseconds(end)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:END in whole ms, like 0:3000, not {text!r}") from None


def _add_global_options(parser: argparse.ArgumentParser, *, with_defaults: bool) -> None:
    """The options every command takes, before or after its name.

    Each subcommand repeats them with no default (``SUPPRESS``), so a value given before the command name
    is not reset by the subcommand's parser, and one given after it wins.
    """

    def default(value: Any) -> Any:
        return value if with_defaults else argparse.SUPPRESS

    parser.add_argument(
        "--base-url",
        default=default(None),
        help="API root (default: $KLING_BASE_URL, else DMXAPI or Kling by token)",
    )
    parser.add_argument(
        "--token",
        default=default(None),
        help="sk-... or API key (default: $KLING_API_TOKEN; or KLING_ACCESS_KEY/SECRET_KEY)",
    )
    parser.add_argument(
        "--json", action="store_true", default=default(False), help="print results as JSON, one object per line"
    )
    parser.add_argument(
        "--max-attempts",
        type=_positive(int),
        default=default(RetryPolicy.max_attempts),
        help=f"tries per request on 429/5xx ({RetryPolicy.max_attempts})",
    )


def _build_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="kling-lipsync",
        description="Kling AI lip-sync from the shell (DMXAPI or Kling directly).",
        epilog="exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()),
    )
    _add_global_options(parser, with_defaults=True)
    commands = parser.add_subparsers(dest="command", required=True)
    subparsers: dict[str, argparse.ArgumentParser] = {}

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        _add_global_options(sub, with_defaults=False)
        subparsers[name] = sub
        return sub

    def waiting(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--timeout", type=_positive(float), default=900.0, help="give up after this many seconds (900)"
        )
        sub.add_argument(
            "--expected-seconds", type=_positive(float), default=180.0, help="how long tasks usually take (180)"
        )
        sub.add_argument("--out", help="save the result video to this file, or in this folder (implies --wait)")

    def video_options(sub: argparse.ArgumentParser) -> None:
        video = sub.add_mutually_exclusive_group(required=True)
        video.add_argument("--video-id", help="a Kling video id")
        video.add_argument("--video-url", help="an http(s) .mp4/.mov URL")

    def family_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--family", choices=FAMILIES, default=LEGACY, help=f"the task's family ({LEGACY})")

    submit = command("submit", "create a task")
    submit.add_argument(
        "mode",
        choices=["text", "audio", "advanced"],
        help="text2video, audio2video, or advanced (find the faces, then lip-sync one to audio at chosen times)",
    )
    video_options(submit)
    submit.add_argument("--text", help=f"text mode: what to say (at most {_INPUT['text']['maxLength']} characters)")
    submit.add_argument("--voice-id", help="text mode: a voice id (`kling-lipsync voices` lists them)")
    submit.add_argument(
        "--voice-language",
        choices=[language.value for language in VoiceLanguage],
        help="text mode: the voice's language (default: the only language that has --voice-id)",
    )
    speed = _INPUT["voice_speed"]
    submit.add_argument("--voice-speed", type=float, help=f"text mode: {speed['minimum']} to {speed['maximum']}")
    audio = submit.add_mutually_exclusive_group()
    audio.add_argument("--audio-url", help="audio and advanced modes: an http(s) .mp3/.wav/.m4a/.aac URL")
    audio.add_argument(
        "--audio-file",
        help=f"audio and advanced modes: a local MP3/WAV/M4A/AAC file (at most {MAX_AUDIO_BYTES // 2**20} MiB)",
    )
    audio.add_argument("--audio-id", help="advanced mode: the id of audio made by Kling's text-to-speech")
    submit.add_argument(
        "--audio-ms",
        type=_positive(int),
        help="advanced mode: the audio's length (needed with --audio-url/--audio-id; a file is measured)",
    )
    submit.add_argument(
        "--video-ms",
        type=_positive(int),
        help="advanced mode: the video's length, if known (lets audio run to its end)",
    )
    submit.add_argument("--face-id", help="advanced mode: the face to lip-sync (default: the one seen longest)")
    submit.add_argument(
        "--insert-at", type=_milliseconds, metavar="MS", help="advanced mode: where the audio starts in the video"
    )
    submit.add_argument(
        "--crop", type=_crop, metavar="START:END", help="advanced mode: the part of the audio to use, in ms"
    )
    submit.add_argument("--watermark", action="store_true", help="advanced mode: make a watermarked copy too")
    submit.add_argument("--external-task-id", help="advanced mode: your own id for the task (unique)")
    submit.add_argument("--callback-url", help="where the service POSTs status changes")
    submit.add_argument("--wait", action="store_true", help="wait until the task ends")
    waiting(submit)

    faces = command("faces", "find the faces in a video (the first step of advanced lip-sync)")
    video_options(faces)

    status = command("status", "show one task")
    status.add_argument("task_id")
    family_option(status)

    listing = command("list", "list tasks, newest first")
    listing.add_argument("--page-size", type=_positive(int), default=30)
    listing.add_argument("--limit", type=_positive(int), help="show at most this many")
    family_option(listing)

    wait = command("wait", "wait until a task ends")
    wait.add_argument("task_id")
    waiting(wait)
    family_option(wait)

    download = command("download", "save a task's result video")
    download.add_argument("task_id")
    download.add_argument("file", metavar="PATH", help="a file, or a folder to save <task_id>.mp4 in")
    download.add_argument(
        "--watermarked", action="store_true", help="the watermarked copy (advanced tasks created with --watermark)"
    )
    family_option(download)

    voices = command("voices", "list the voices of text mode (from the spec; no token needed)")
    voices.add_argument(
        "--language", choices=[language.value for language in VoiceLanguage], help="only the voices of this language"
    )

    commands.add_parser("mock", help="run the mock server (all further arguments go to it)", add_help=False)
    return parser, subparsers


def build_parser() -> argparse.ArgumentParser:
    return _build_parsers()[0]


def _check_submit(submit: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot say about ``submit``; fills in ``voice_language`` when the voice id decides it."""
    if args.mode == "text" and not (args.text and args.voice_id):
        submit.error("submit text needs --text and --voice-id")
    if args.mode == "audio" and not (args.audio_url or args.audio_file):
        submit.error("submit audio needs --audio-url or --audio-file")
    advanced_only = [name for name in _ADVANCED_ONLY if getattr(args, name) is not None] + (
        ["watermark"] if args.watermark else []
    )
    if args.mode != "advanced" and advanced_only:
        options = ", ".join("--" + name.replace("_", "-") for name in advanced_only)
        submit.error(f"{options}: only for submit advanced")
    if args.mode == "advanced":
        if args.text or args.voice_id or args.voice_language or args.voice_speed is not None:
            submit.error("submit advanced takes audio (--audio-file, --audio-url or --audio-id), not text")
        if not (args.audio_url or args.audio_file or args.audio_id):
            submit.error("submit advanced needs --audio-file, --audio-url or --audio-id")
        if args.audio_file is None and args.audio_ms is None:
            submit.error(
                "submit advanced needs --audio-ms with --audio-url or --audio-id (only a local file is measured)"
            )
    if args.mode == "text" and args.voice_language is None:
        # The service would otherwise read the voice as Chinese (its default) and refuse an English one
        # with "Voice id not found". An explicit --voice-language is sent as given, so a voice newer
        # than this spec still works.
        languages = languages_of(args.voice_id)
        if not languages:
            submit.error(
                f"unknown voice id {args.voice_id!r}: `kling-lipsync voices` lists them "
                "(or give --voice-language to send it anyway)"
            )
        if len(languages) > 1:
            submit.error(
                f"voice id {args.voice_id!r} exists in {' and '.join(languages)}: choose one with --voice-language"
            )
        args.voice_language = languages[0]
    args.wait = args.wait or bool(args.out)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "mock" in arguments and arguments.index("mock") == _first_positional(arguments):
        from mock_server.__main__ import main as mock_main

        return mock_main(arguments[arguments.index("mock") + 1 :], prog="kling-lipsync mock")
    parser, subparsers = _build_parsers()
    args, unknown = parser.parse_known_args(arguments)
    if unknown:
        # Shown with the usage of the command that was meant, not the top-level one.
        subparsers[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "submit":
        _check_submit(subparsers["submit"], args)
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
        hint = f"`kling-lipsync wait {exc.task_id} --out PATH` waits for it and saves the video"
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
    except KeyboardInterrupt:
        return _fail(_INTERRUPTED, "interrupted", args)
    except BrokenPipeError:
        # The reader went away (`kling-lipsync list | head -1`): nothing left to say, and nowhere to say it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(args: argparse.Namespace, progress: Progress) -> int:
    if args.command == "voices":
        return _voices(args)
    # A connection that never opens is reported at once rather than after ~15 s of silent retries: the
    # server is down or the URL wrong. While waiting for a task, the deadline is the limit instead.
    retry = RetryPolicy(max_attempts=args.max_attempts, max_connect_attempts=1)
    with LipSync(args.base_url, args.token, retry=retry, on_retry=progress.retry) as lip:
        return COMMANDS[args.command](lip, args, progress)


def _first_positional(arguments: list[str]) -> int:
    """Index of the first argument that is not an option or an option's value."""
    takes_value = {"--base-url", "--token", "--max-attempts"}
    index = 0
    while index < len(arguments):
        if arguments[index] in takes_value:
            index += 2
        elif arguments[index].startswith("-"):
            index += 1
        else:
            return index
    return -1


def _fail(exit_code: int, message: str, args: argparse.Namespace, **extra: Any) -> int:
    if args.json:
        print(json.dumps({"error": message, "exit_code": exit_code, **extra}), file=sys.stderr)
    else:
        print(f"kling-lipsync: error: {message}", file=sys.stderr)
    return exit_code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
