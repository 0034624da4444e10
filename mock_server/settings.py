"""How one mock server is configured: defaults, environment variables, and changes at run time."""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .database import shown_url

__all__ = [
    "ENV_PREFIX",
    "ENV_RUN_ID",
    "ENV_SETTINGS",
    "ENV_THREADS",
    "ENV_WORKERS",
    "RUNTIME_FIELDS",
    "Settings",
    "UnknownSetting",
    "parse_setting",
    "refuse_unknown",
]

ENV_PREFIX = "KLING_MOCK_"
#: Set by a launcher for its workers: the id of this server run, shared by all its processes.
ENV_RUN_ID = ENV_PREFIX + "RUN_ID"
#: Set by a launcher for its workers: how many processes serve.
ENV_WORKERS = ENV_PREFIX + "WORKERS"
#: Set by granian's launcher for its workers: how many threads run the app in each (``front.Front``).
ENV_THREADS = ENV_PREFIX + "THREADS"
#: Set by a launcher for its workers: the settings it resolved from flags and environment, as JSON.
ENV_SETTINGS = ENV_PREFIX + "LAUNCH_SETTINGS"
#: The ``KLING_MOCK_*`` variables that are not settings: a launcher's word to its workers.
_LAUNCHER_VARIABLES = frozenset({ENV_RUN_ID, ENV_WORKERS, ENV_SETTINGS, ENV_THREADS})
# An origin as browsers send it in ``Origin``: a scheme, a host and maybe a port; nothing after.
_ORIGIN = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#\s]+")


def _setting(default: Any, help: str) -> Any:
    """A setting's default and its one-sentence help (shown by ``--help`` and ``GET /__mock__/config``)."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Every knob of the mock. Environment variables are ``KLING_MOCK_<FIELD>`` (for example ``KLING_MOCK_DB``)."""

    db: str = _setting(
        ":memory:",
        "SQLite file, or a postgresql:// URL that several servers share; ':memory:' keeps everything in this one "
        "process.",
    )
    clock: Literal["real", "virtual"] = _setting(
        "real", "'real': wall time. 'virtual': time stands still until POST /__mock__/clock/advance."
    )
    virtual_clock_start_ms: int = _setting(
        1_767_225_600_000, "Where a virtual clock starts, Unix ms (2026-01-01T00:00:00Z), so runs are reproducible."
    )
    queue_seconds: float = _setting(1.0, "Seconds a task stays 'submitted'.")
    processing_seconds: float = _setting(4.0, "Seconds a task then stays 'processing'.")
    slow_factor: float = _setting(10.0, "How many times longer scenario 'slow' processes.")
    max_in_flight: int = _setting(5, "Unfinished tasks per account, of every family, before 429/1303.")
    session_ttl_seconds: float = _setting(86_400.0, "How long an identify-face session stays valid (24 h).")
    default_video_seconds: float = _setting(
        10.0, "Length of a video identify-face knows nothing of (one face over all of it)."
    )
    default_audio_seconds: float = _setting(
        10.0, "Length of audio given by URL or audio_id that was not registered (advanced lip-sync)."
    )
    strict_video_ids: bool = _setting(False, "Reject a well-formed video_id the mock never produced.")
    access_key: str = _setting("mock-access-key", "Kling gateway: the account's access key (the JWT's iss).")
    secret_key: str = _setting(
        "mock-secret-key-for-local-testing-only", "Kling gateway: the key that signs the account's JWTs."
    )
    api_key: str = _setting("mock-api-key", "Kling gateway: the account's static API key.")
    admin_token: str | None = _setting(
        None, "Protects /__mock__/ when set (Authorization: Bearer <admin_token>); health and videos stay open."
    )
    webhook_secret: str | None = _setting(
        None, "whsec_...: sign callbacks the Standard Webhooks way; unset, no signature headers are sent."
    )
    callback_allowed_hosts: tuple[str, ...] = _setting(
        (), "A host besides loopback addresses that callbacks may be sent to (repeatable)."
    )
    callback_max_attempts: int = _setting(4, "Delivery attempts per task transition.")
    callback_backoff_seconds: float = _setting(1.0, "First callback retry delay, doubling after each attempt.")
    callback_timeout_seconds: float = _setting(5.0, "Seconds each callback attempt may take.")
    dispatch_interval_seconds: float = _setting(
        0.2, "How often (real seconds) each worker looks for due callbacks on the real clock."
    )
    chaos_rate: float = _setting(
        0.0, "Share of API requests that fail with 5000/5001/5002/1302, reproducibly from the seed."
    )
    chaos_seed: int = _setting(0, "Seed of the chaos draws.")
    chaos_fault_rate: float = _setting(
        0.0,
        "Share of API requests whose answer is a transport fault (reset, empty, broken chunk, garbage, dribble), "
        "drawn reproducibly from the seed among those the server can do.",
    )
    chaos_latency_rate: float = _setting(0.0, "Share of API requests delayed by chaos_latency_ms (real time).")
    chaos_latency_ms: int = _setting(0, "The chaos delay, in milliseconds.")
    retry_after_seconds: int | None = _setting(
        None, "Send Retry-After with this value on 429 and 503 answers (Kling documents none)."
    )
    journal_size: int = _setting(10_000, "Requests kept in the journal.")
    server_name: str | None = _setting(
        None, "This server's name in the journal, for servers sharing a database (default: host name and port)."
    )
    log_requests: bool = _setting(True, "One log line per request on stderr.")
    public_url: str | None = _setting(
        None, "Base URL of result links and callback bodies; by default taken from each create request."
    )
    scenarios_file: str | None = _setting(
        None,
        "A JSON or YAML file of scenarios (name: definition, as PUT /__mock__/scenarios/NAME takes), loaded at start.",
    )
    docs_file: str | None = _setting(
        None, "An API reference page to serve at /__mock__/docs instead of the one in the package."
    )
    cors_origins: tuple[str, ...] = _setting(
        (),
        "An origin browsers may call the mock from, such as http://localhost:3000, or '*' for any (CORS; "
        "repeatable); unset, the mock sends no CORS headers and answers OPTIONS with 404/1202, as Kling does.",
    )
    admin_cors: bool = _setting(
        False,
        "Let the CORS origins call the admin API too (its preflights, its answers, its writes); unset, CORS "
        "opens the API only and the admin API refuses writes from other sites.",
    )
    allowed_hosts: tuple[str, ...] = _setting(
        (),
        "A host name the admin API answers to besides loopback names, IP addresses and public_url's host (a "
        "guard against DNS rebinding; repeatable).",
    )
    body_timeout_seconds: float = _setting(
        30.0,
        "Seconds a request's body may take to arrive before 408/1200 (granian, the production server, holds "
        "no thread meanwhile); gunicorn and KlingMock ignore it.",
    )
    replay: str | None = _setting(
        None,
        "A folder of recordings (kling-lipsync record) to replay: recorded tasks keep their ids and recorded "
        "states on the mock's clock, recorded answers come back as recorded (docs/recording.md).",
    )
    replay_strict: bool = _setting(
        False, "With replay: answer a request the recording holds no answer to with 400/1200 instead of simulating it."
    )
    extra_access_keys: Mapping[str, str] = field(
        default_factory=dict,
        metadata={"help": "Another Kling-gateway account as ACCESS_KEY:SECRET_KEY (repeatable)."},
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``KLING_MOCK_*`` variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        # A misspelt variable would otherwise be ignored, and the mock would run with the default.
        given = [name.removeprefix(ENV_PREFIX) for name in env if name.startswith(ENV_PREFIX)]
        settings_given = [name for name in given if ENV_PREFIX + name not in _LAUNCHER_VARIABLES]
        known = [item.name.upper() for item in fields(cls)]
        refuse_unknown(settings_given, known, kind="variable", prefix=ENV_PREFIX)
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = env.get(ENV_PREFIX + item.name.upper())
            if raw is not None:
                values[item.name] = parse_setting(item.name, raw)
        values.update(overrides)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Build from a mapping of field names; values are coerced to the field's type."""
        refuse_unknown(values, (item.name for item in fields(cls)))
        coerced = {name: _coerce(name, value) for name, value in values.items()}
        settings = cls(**coerced)
        settings.check()
        return settings

    def with_changes(self, changes: Mapping[str, Any]) -> Settings:
        """A copy with run-time changes applied (only ``RUNTIME_FIELDS``)."""
        refuse_unknown(changes, (item.name for item in fields(self)))
        refused = set(changes) - RUNTIME_FIELDS
        if refused:
            raise ValueError(f"not changeable at run time: {', '.join(sorted(refused))}")
        updated = dataclasses.replace(self, **{k: _coerce(k, v) for k, v in changes.items()})
        updated.check()
        return updated

    def check(self) -> None:
        """Refuse settings that cannot work."""
        if self.clock not in ("real", "virtual"):
            raise ValueError("clock must be 'real' or 'virtual'")
        for name in ("chaos_rate", "chaos_latency_rate", "chaos_fault_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in ("queue_seconds", "processing_seconds", "callback_backoff_seconds", "callback_timeout_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.max_in_flight < 1 or self.callback_max_attempts < 1 or self.journal_size < 1:
            raise ValueError("max_in_flight, callback_max_attempts and journal_size must be at least 1")
        for name in ("session_ttl_seconds", "default_video_seconds", "default_audio_seconds", "body_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.slow_factor < 1:
            raise ValueError("slow_factor must be at least 1")
        if self.scenarios_file is not None:
            from .scenarios import load_scenario_file  # here: the file is checked once, when settings are made

            load_scenario_file(self.scenarios_file)
        if self.replay is not None:
            from .recording.replay import ReplayError, check_folder  # here: only a replay needs it

            try:
                check_folder(Path(self.replay))
            except ReplayError as exc:
                raise ValueError(f"replay: {exc}") from None
        elif self.replay_strict:
            raise ValueError("replay_strict needs replay (a folder of recordings to replay)")
        for origin in self.cors_origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"cors_origins: {origin!r} is not an origin (scheme://host[:port], no path) nor '*'")

    def public(self) -> dict[str, Any]:
        """The settings as JSON, secrets masked."""
        shown = dataclasses.asdict(self)
        for secret in ("secret_key", "api_key", "admin_token", "webhook_secret"):
            if shown[secret] is not None:
                shown[secret] = "***"
        shown["extra_access_keys"] = dict.fromkeys(self.extra_access_keys, "***")
        shown["db"] = shown_url(self.db)
        for item in fields(self):
            if isinstance(shown[item.name], tuple):
                shown[item.name] = list(shown[item.name])
        return shown


#: Settings that ``PUT /__mock__/config`` may change while the mock runs.
RUNTIME_FIELDS = frozenset(
    {
        "queue_seconds",
        "processing_seconds",
        "slow_factor",
        "max_in_flight",
        "strict_video_ids",
        "session_ttl_seconds",
        "default_video_seconds",
        "default_audio_seconds",
        "chaos_rate",
        "chaos_seed",
        "chaos_fault_rate",
        "chaos_latency_rate",
        "chaos_latency_ms",
        "retry_after_seconds",
        "callback_max_attempts",
        "callback_backoff_seconds",
    }
)

_HINTS = get_type_hints(Settings)


class UnknownSetting(ValueError):
    """A setting, variable or flag that does not exist; the message names the closest that does."""


def refuse_unknown(given: Iterable[str], known: Iterable[str], *, kind: str = "setting", prefix: str = "") -> None:
    """Refuse every name of ``given`` that is not ``known``, each with the closest known name (difflib).

    ``prefix`` (``KLING_MOCK_``, ``--``) is shown but not compared, so a shared prefix does not make every
    name look alike. This is the one place an unknown setting is refused: ``Settings.from_mapping`` (the
    pytest marker, ``KlingMock``), ``Settings.from_env``, run-time changes and the launcher's flags.

    :raise UnknownSetting: ``unknown setting: max_inflight (did you mean max_in_flight?)``.
    """
    choices = list(known)
    unknown = sorted(set(given) - set(choices))
    if not unknown:
        return
    named = []
    for name in unknown:
        closest = difflib.get_close_matches(name, choices, n=1)
        named.append(f"{prefix}{name}" + (f" (did you mean {prefix}{closest[0]}?)" if closest else ""))
    raise UnknownSetting(f"unknown {kind}{'s' if len(unknown) > 1 else ''}: {', '.join(named)}")


def parse_setting(name: str, raw: str) -> Any:
    """Turn a string (an environment variable or a flag) into a value for ``name``."""
    hint = _HINTS[name]
    if name == "extra_access_keys":
        pairs = (item.split(":", 1) for item in raw.split(",") if item.strip())
        return {key.strip(): secret.strip() for key, secret in pairs}
    if get_origin(hint) is tuple:
        return tuple(h.strip() for h in raw.split(",") if h.strip())
    if raw == "" and type(None) in get_args(hint):
        return None
    return raw


def _coerce(name: str, value: Any) -> Any:
    """Coerce a JSON or environment value to the type of field ``name``."""
    hint = _HINTS[name]
    if value is None:
        if type(None) in get_args(hint):
            return None
        raise ValueError(f"{name} must not be null")
    if get_origin(hint) is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError(f"{name} must be a list of strings")
        return tuple(str(h) for h in value)
    if name == "extra_access_keys":
        return {str(k): str(v) for k, v in dict(value).items()}
    if name == "clock":
        if value not in ("real", "virtual"):
            raise ValueError("clock must be 'real' or 'virtual'")
        return str(value)
    args = [a for a in get_args(hint) if a is not type(None)]
    base = args[0] if args else hint
    try:
        if base is bool:
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(value)
                return value.lower() in ("1", "true", "yes", "on")
            if not isinstance(value, bool):
                raise ValueError(value)
            return value
        if base is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if base is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if base is str:
            if not isinstance(value, str):
                raise ValueError(value)
            return value
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {value!r} is not a valid {getattr(base, '__name__', base)}") from None
    return value
