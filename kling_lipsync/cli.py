"""``kling-lipsync``: submit, watch and download lip-sync tasks from the shell; ``kling-lipsync mock`` runs the mock.

The library does the work and reports progress through callbacks; this module only renders. On a terminal
progress redraws one line; otherwise each status change is one plain line. ``--json`` prints results as
JSON for scripts. Errors are one line with the Kling code, and the exit code says what happened.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from kling_lipsync.audio import MAX_AUDIO_BYTES
from kling_lipsync.client import AudioFileError, LipSync
from kling_lipsync.errors import APIError, KlingError, TaskFailed, TransportError, WaitTimeout
from kling_lipsync.retry import PollSchedule, RetryPolicy
from kling_lipsync.spec import load_spec
from kling_lipsync_client.models import LipSyncTask, TaskCreated, VoiceLanguage

__all__ = ["EXIT_CODES", "main"]

# Limits shown in --help come from the spec, like everything else.
_SCHEMAS = load_spec()["components"]["schemas"]
_INPUT = _SCHEMAS["LipSyncInput"]["properties"]

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


class Progress:
    """Renders task updates and download progress on stderr: one redrawn line on a terminal, else lines."""

    def __init__(self, stream: TextIO, *, quiet: bool = False) -> None:
        self._stream = stream
        self._live = stream.isatty() and not quiet
        self._quiet = quiet
        self._last_status: str | None = None
        self._started = time.monotonic()

    def task(self, task: LipSyncTask) -> None:
        status = str(task.task_status)
        if self._live:
            elapsed = time.monotonic() - self._started
            self._stream.write(f"\r\x1b[2Ktask {task.task_id}: {status} ({elapsed:.0f} s)")
            self._stream.flush()
        elif status != self._last_status and not self._quiet:
            self._stream.write(f"task {task.task_id}: {status}\n")
        self._last_status = status

    def download(self, done: int, total: int | None) -> None:
        if not self._live:
            return
        shown = f"{done * 100 // total}% of {total // 1024} KiB" if total else f"{done // 1024} KiB"
        self._stream.write(f"\r\x1b[2Kdownloading: {shown}")
        self._stream.flush()

    def end_line(self) -> None:
        if self._live:
            self._stream.write("\n")
            self._stream.flush()


def _task_json(task: LipSyncTask | TaskCreated) -> dict[str, Any]:
    return task.to_dict()


def _print_task(task: LipSyncTask, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_task_json(task), ensure_ascii=False))
        return
    line = f"{task.task_id}  {task.task_status}"
    if task.task_status_msg:
        line += f"  {task.task_status_msg}"
    for video in task.task_result.videos:
        line += f"  {video.url} ({video.duration} s)"
    print(line)


def _wait_and_save(lip: LipSync, args: argparse.Namespace, task_id: str) -> int:
    progress = Progress(sys.stderr, quiet=args.json)
    poll = PollSchedule(expected_seconds=args.expected_seconds)
    try:
        task = lip.wait(task_id, timeout=args.timeout, on_update=progress.task, poll=poll)
    finally:
        progress.end_line()
    if args.out:
        path = lip.download(task, args.out, on_progress=progress.download)
        progress.end_line()
        if args.json:
            print(json.dumps({**_task_json(task), "saved_to": str(path)}, ensure_ascii=False))
        else:
            _print_task(task, False)
            print(f"saved {path}")
        return 0
    _print_task(task, args.json)
    return 0


def _submit(lip: LipSync, args: argparse.Namespace) -> int:
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
    return _wait_and_save(lip, args, created.task_id)


def _status(lip: LipSync, args: argparse.Namespace) -> int:
    _print_task(lip.get(args.task_id), args.json)
    return 0


def _list(lip: LipSync, args: argparse.Namespace) -> int:
    for shown, task in enumerate(lip.tasks(page_size=args.page_size)):
        if args.limit is not None and shown >= args.limit:
            break
        _print_task(task, args.json)
    return 0


def _wait(lip: LipSync, args: argparse.Namespace) -> int:
    return _wait_and_save(lip, args, args.task_id)


def _download(lip: LipSync, args: argparse.Namespace) -> int:
    progress = Progress(sys.stderr, quiet=args.json)
    path = lip.download(args.task_id, args.file, on_progress=progress.download)
    progress.end_line()
    print(json.dumps({"task_id": args.task_id, "saved_to": str(path)}) if args.json else f"saved {path}")
    return 0


COMMANDS: dict[str, Callable[[LipSync, argparse.Namespace], int]] = {
    "submit": _submit,
    "status": _status,
    "list": _list,
    "wait": _wait,
    "download": _download,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kling-lipsync",
        description="Kling AI lip-sync from the shell (DMXAPI or Kling directly).",
        epilog="exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()),
    )
    parser.add_argument("--base-url", help="API root (default: $KLING_BASE_URL, else DMXAPI or Kling by token)")
    parser.add_argument("--token", help="sk-... or API key (default: $KLING_API_TOKEN; or KLING_ACCESS_KEY/SECRET_KEY)")
    parser.add_argument("--json", action="store_true", help="print results as JSON, one object per line")
    parser.add_argument(
        "--max-attempts", type=int, default=RetryPolicy.max_attempts, help="tries per request on 429/5xx (5)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def waiting(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--timeout", type=float, default=900.0, help="give up after this many seconds (900)")
        sub.add_argument("--expected-seconds", type=float, default=180.0, help="how long tasks usually take (180)")
        sub.add_argument("--out", help="save the result video to this file (implies --wait)")

    submit = commands.add_parser("submit", help="create a task")
    submit.add_argument("mode", choices=["text", "audio"], help="text2video or audio2video")
    video = submit.add_mutually_exclusive_group(required=True)
    video.add_argument("--video-id", help="a Kling video id")
    video.add_argument("--video-url", help="an http(s) .mp4/.mov URL")
    submit.add_argument("--text", help=f"text mode: what to say (at most {_INPUT['text']['maxLength']} characters)")
    submit.add_argument("--voice-id", help="text mode: a voice id")
    submit.add_argument(
        "--voice-language",
        choices=[language.value for language in VoiceLanguage],
        help=f"text mode: the voice's language ({_SCHEMAS['VoiceLanguage']['default']})",
    )
    speed = _INPUT["voice_speed"]
    submit.add_argument("--voice-speed", type=float, help=f"text mode: {speed['minimum']} to {speed['maximum']}")
    audio = submit.add_mutually_exclusive_group()
    audio.add_argument("--audio-url", help="audio mode: an http(s) .mp3/.wav/.m4a/.aac URL")
    audio.add_argument(
        "--audio-file", help=f"audio mode: a local MP3/WAV/M4A/AAC file (at most {MAX_AUDIO_BYTES // 2**20} MiB)"
    )
    submit.add_argument("--callback-url", help="where the service POSTs status changes")
    submit.add_argument("--wait", action="store_true", help="wait until the task ends")
    waiting(submit)

    status = commands.add_parser("status", help="show one task")
    status.add_argument("task_id")

    listing = commands.add_parser("list", help="list tasks, newest first")
    listing.add_argument("--page-size", type=int, default=30)
    listing.add_argument("--limit", type=int, help="show at most this many")

    wait = commands.add_parser("wait", help="wait until a task ends")
    wait.add_argument("task_id")
    waiting(wait)

    download = commands.add_parser("download", help="save a task's result video")
    download.add_argument("task_id")
    download.add_argument("file")

    commands.add_parser("mock", help="run the mock server (all further arguments go to it)", add_help=False)
    return parser


def _check_submit(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.mode == "text" and not (args.text and args.voice_id):
        parser.error("submit text needs --text and --voice-id")
    if args.mode == "audio" and not (args.audio_url or args.audio_file):
        parser.error("submit audio needs --audio-url or --audio-file")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "mock" in arguments and arguments.index("mock") == _first_positional(arguments):
        from mock_server.__main__ import main as mock_main

        return mock_main(arguments[arguments.index("mock") + 1 :])
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command == "submit":
        _check_submit(parser, args)
        args.wait = args.wait or bool(args.out)
    try:
        with LipSync(args.base_url, args.token, retry=RetryPolicy(max_attempts=max(1, args.max_attempts))) as lip:
            return COMMANDS[args.command](lip, args)
    except TaskFailed as exc:
        return _fail(1, f"task {exc.task_id} failed: {exc.message}", args)
    except AudioFileError as exc:
        return _fail(6, str(exc), args)
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
