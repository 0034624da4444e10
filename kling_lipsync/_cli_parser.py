"""The command line of ``kling-lipsync``: its parsers, and the checks argparse cannot make.

``submit`` has one parser per mode (``submit text``, ``submit audio``, ``submit advanced``), so each mode's
``--help`` lists only its own options, and an option of another mode is named as such. Limits shown in
``--help`` come from the spec, like everything else.
"""

from __future__ import annotations

import argparse
import importlib.metadata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kling_lipsync.audio import MAX_AUDIO_BYTES
from kling_lipsync.retry import RetryPolicy
from kling_lipsync.voices import languages_of, voice_language_for
from kling_lipsync_client.models import VoiceLanguage
from kling_spec import load_spec
from kling_spec.families import task_families

__all__ = ["EXIT_CODES", "FAMILIES", "MODES", "build_parsers", "check_arguments", "first_positional"]

_INPUT = load_spec()["components"]["schemas"]["LipSyncInput"]["properties"]
_SPEECH = load_spec()["components"]["schemas"]["TtsRequest"]["properties"]
#: The families of tasks ``status``, ``wait``, ``download`` and ``list`` show: the spec's registry names them.
FAMILIES = tuple(task_families())
#: What each exit code means (the module docstring of ``kling_lipsync.cli`` says the same).
EXIT_CODES = {
    0: "success",
    1: "the task failed",
    2: "bad usage",
    3: "the service refused the request (Kling error code)",
    4: "no answer from the service",
    5: "the task had not finished by the deadline",
    6: "a local file is unusable",
}
#: The modes of ``submit``, each with its own parser.
MODES = ("text", "audio", "advanced")
#: The options that take a value, wherever they appear (to find the command's name among the arguments).
_GLOBAL_WITH_VALUE = ("--base-url", "--token", "--max-attempts")


def _version() -> str:
    """The installed distribution's version (package metadata)."""
    try:
        return importlib.metadata.version("kling-lipsync")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


# -- value types -------------------------------------------------------------------------------------------


def _positive(kind: Callable[[str], int | float]) -> Callable[[str], int | float]:
    """A parser of numbers more than 0, of type ``kind``."""

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


# -- options shared by several commands ----------------------------------------------------------------------


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


def _waiting(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--timeout", type=_positive(float), default=900.0, help="give up after this many seconds (900)")
    sub.add_argument(
        "--expected-seconds", type=_positive(float), default=180.0, help="how long tasks usually take (180)"
    )
    sub.add_argument("--out", help="save the result video to this file, or in this folder (implies --wait)")


def _video(sub: argparse.ArgumentParser) -> None:
    video = sub.add_mutually_exclusive_group(required=True)
    video.add_argument("--video-id", help="a Kling video id")
    video.add_argument("--video-url", help="an http(s) .mp4/.mov URL")


def _family(sub: argparse.ArgumentParser, default: str | None) -> None:
    shown = default or "found by asking each family in turn: " + ", ".join(FAMILIES)
    sub.add_argument("--family", choices=FAMILIES, default=default, help=f"the task's family ({shown})")


def _audio_file(group: argparse._MutuallyExclusiveGroup) -> None:
    group.add_argument("--audio-file", help=f"a local MP3/WAV/M4A/AAC file (at most {MAX_AUDIO_BYTES // 2**20} MiB)")


def _voice(sub: argparse.ArgumentParser, fields: Mapping[str, Any]) -> None:
    """The voice that speaks a text: ``submit text``, ``submit advanced --text``, ``speak`` (``fields``: the
    spec's properties of the body that carries it)."""
    sub.add_argument("--voice-id", help="a voice id (`kling-lipsync voices` lists them)")
    sub.add_argument(
        "--voice-language",
        choices=[language.value for language in VoiceLanguage],
        help="the voice's language (default: the only language that has --voice-id)",
    )
    speed = fields["voice_speed"]
    sub.add_argument("--voice-speed", type=float, help=f"{speed['minimum']} to {speed['maximum']}")


# -- the parsers --------------------------------------------------------------------------------------------------


def _submit_modes(submit: argparse.ArgumentParser, command: Callable[..., argparse.ArgumentParser]) -> None:
    """``submit text``, ``submit audio`` and ``submit advanced``, each with only its own options."""
    modes = submit.add_subparsers(dest="mode", required=True, metavar="{" + ",".join(MODES) + "}")
    text = command(modes, "submit text", "text", "lip-sync a video to text read by a voice (text2video)")
    text.add_argument("--text", help=f"what to say (at most {_INPUT['text']['maxLength']} characters)")
    _voice(text, _INPUT)

    audio = command(modes, "submit audio", "audio", "lip-sync a video to audio (audio2video)")
    audio_source = audio.add_mutually_exclusive_group()
    audio_source.add_argument("--audio-url", help="an http(s) .mp3/.wav/.m4a/.aac URL")
    _audio_file(audio_source)

    advanced = command(
        modes, "submit advanced", "advanced", "find the faces, then lip-sync one of them to audio at chosen times"
    )
    advanced_source = advanced.add_mutually_exclusive_group()
    advanced_source.add_argument("--audio-url", help="an http(s) .mp3/.wav/.m4a/.aac URL")
    _audio_file(advanced_source)
    advanced_source.add_argument("--audio-id", help="the id of audio made by Kling's text-to-speech")
    advanced_source.add_argument("--text", help="a text to speak first (Kling's text-to-speech), with --voice-id")
    _voice(advanced, _SPEECH)
    advanced.add_argument(
        "--audio-ms",
        type=_positive(int),
        help="the audio's length (needed with --audio-url/--audio-id; a file or a spoken text is measured)",
    )
    advanced.add_argument(
        "--video-ms", type=_positive(int), help="the video's length, if known (lets audio run to its end)"
    )
    advanced.add_argument("--face-id", help="the face to lip-sync (default: the one seen longest)")
    advanced.add_argument("--insert-at", type=_milliseconds, metavar="MS", help="where the audio starts in the video")
    advanced.add_argument("--crop", type=_crop, metavar="START:END", help="the part of the audio to use, in ms")
    advanced.add_argument("--watermark", action="store_true", help="make a watermarked copy too")
    advanced.add_argument("--external-task-id", help="your own id for the task (unique)")

    for mode in (text, audio, advanced):
        _video(mode)
        mode.add_argument("--callback-url", help="where the service POSTs status changes")
        mode.add_argument("--wait", action="store_true", help="wait until the task ends")
        _waiting(mode)


def build_parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's by its name (``"status"``, ``"submit text"`` ...)."""
    parser = argparse.ArgumentParser(
        prog="kling-lipsync",
        description="Kling AI lip-sync from the shell (DMXAPI or Kling directly).",
        epilog="exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _add_global_options(parser, with_defaults=True)
    commands = parser.add_subparsers(dest="command", required=True)
    subparsers: dict[str, argparse.ArgumentParser] = {}

    def command(group: Any, full_name: str, name: str, help: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(name, help=help, description=help)
        _add_global_options(sub, with_defaults=False)
        subparsers[full_name] = sub
        return sub

    submit = command(commands, "submit", "submit", "create a task: submit text|audio|advanced")
    _submit_modes(submit, command)

    faces = command(commands, "faces", "faces", "find the faces in a video (the first step of advanced lip-sync)")
    _video(faces)

    status = command(commands, "status", "status", "show one task")
    status.add_argument("task_id")
    _family(status, None)

    listing = command(commands, "list", "list", "list tasks, newest first")
    listing.add_argument("--page-size", type=_positive(int), default=30)
    listing.add_argument("--limit", type=_positive(int), help="show at most this many")
    _family(listing, FAMILIES[0])

    wait = command(commands, "wait", "wait", "wait until a task ends")
    wait.add_argument("task_id")
    _waiting(wait)
    _family(wait, None)

    download = command(commands, "download", "download", "save a task's result video")
    download.add_argument("task_id")
    download.add_argument("file", metavar="PATH", help="a file, or a folder to save <task_id>.mp4 in")
    download.add_argument(
        "--watermarked", action="store_true", help="the watermarked copy (advanced tasks created with --watermark)"
    )
    _family(download, None)

    speak = command(
        commands, "speak", "speak", "speak a text (Kling's text-to-speech): the audio id advanced lip-sync takes"
    )
    speak.add_argument("--text", required=True, help=f"what to say (at most {_SPEECH['text']['maxLength']} characters)")
    _voice(speak, _SPEECH)
    speak.add_argument("--out", metavar="PATH", help="save the MP3 here (a file, or a folder for <audio_id>.mp3)")

    voices = command(commands, "voices", "voices", "list the voices of text mode (from the spec; no token needed)")
    voices.add_argument(
        "--language", choices=[language.value for language in VoiceLanguage], help="only the voices of this language"
    )

    commands.add_parser("mock", help="run the mock server (all further arguments go to it)", add_help=False)
    commands.add_parser(
        "record",
        help="record the real service through a proxy into vcrpy cassettes (--upstream URL --out DIR)",
        add_help=False,
    )
    commands.add_parser(
        "check-recording", help="check recorded cassettes against openapi.yaml, one row per difference", add_help=False
    )
    return parser, subparsers


# -- what argparse cannot check -------------------------------------------------------------------------------


def check_arguments(
    subparsers: dict[str, argparse.ArgumentParser], args: argparse.Namespace, unknown: Sequence[str]
) -> argparse.ArgumentParser:
    """Refuse, with the usage of the command meant, what argparse let through; returns that command's parser.

    An option of another ``submit`` mode is named as such. For ``submit text`` with no ``--voice-language``,
    fills it in when the voice id decides it (``voice_language_for``, as the library does).
    """
    name = f"{args.command} {args.mode}" if args.command == "submit" else args.command
    sub = subparsers[name]
    if unknown:
        sub.error(_unrecognized(subparsers, args, unknown))
    if args.command == "submit":
        _check_submit(sub, args)
        args.wait = args.wait or bool(args.out)
    if args.command == "speak":
        _check_voice(sub, args, "speak")
    return sub


def _unrecognized(
    subparsers: dict[str, argparse.ArgumentParser], args: argparse.Namespace, unknown: Sequence[str]
) -> str:
    """argparse's words, or ``--face-id: only for submit advanced`` for an option of another mode."""
    if args.command == "submit":
        options = [word.split("=", 1)[0] for word in unknown if word.startswith("--")]
        elsewhere = {
            option: [mode for mode in MODES if option in subparsers[f"submit {mode}"]._option_string_actions]
            for option in options
        }
        if options and all(found == list(MODES) for found in elsewhere.values()):
            return f"{', '.join(options)}: give it after the mode (kling-lipsync submit {args.mode} {options[0]} ...)"
        if options and all(elsewhere.values()):
            modes = {" and ".join(f"submit {mode}" for mode in found) for found in elsewhere.values()}
            if len(modes) == 1:
                return f"{', '.join(options)}: only for {modes.pop()}"
    return f"unrecognized arguments: {' '.join(unknown)}"


def _check_voice(sub: argparse.ArgumentParser, args: argparse.Namespace, command: str) -> None:
    """A text needs a voice; with no ``--voice-language``, the voice id must decide it."""
    if not (args.text and args.voice_id):
        sub.error(f"{command} needs --text and --voice-id")
    if args.voice_language is None:
        # An explicit --voice-language is sent as given, so a voice newer than this spec still works.
        try:
            language = voice_language_for(args.voice_id, option="--voice-language")
        except ValueError as exc:
            sub.error(str(exc))
        if language is None:  # the library would let the service's default pick; a person chooses
            languages = " and ".join(languages_of(args.voice_id))
            sub.error(f"voice id {args.voice_id!r} exists in {languages}: choose one with --voice-language")
        args.voice_language = language


def _check_submit(sub: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.mode == "text":
        _check_voice(sub, args, "submit text")
    elif args.mode == "audio":
        if not (args.audio_url or args.audio_file):
            sub.error("submit audio needs --audio-url or --audio-file")
    else:
        if not (args.audio_url or args.audio_file or args.audio_id or args.text):
            sub.error("submit advanced needs --audio-file, --audio-url, --audio-id or --text")
        if args.text is not None:
            _check_voice(sub, args, "submit advanced --text")
            if args.audio_ms is not None:
                sub.error("--audio-ms: a spoken --text is measured by the service; leave it out")
        elif args.voice_id or args.voice_language or args.voice_speed is not None:
            sub.error("--voice-id, --voice-language and --voice-speed speak a --text: give --text too")
        elif args.audio_file is None and args.audio_ms is None:
            sub.error("submit advanced needs --audio-ms with --audio-url or --audio-id (only a local file is measured)")


def first_positional(arguments: list[str]) -> int:
    """Index of the first argument that is not an option or an option's value."""
    index = 0
    while index < len(arguments):
        if arguments[index] in _GLOBAL_WITH_VALUE:
            index += 2
        elif arguments[index].startswith("-"):
            index += 1
        else:
            return index
    return -1
