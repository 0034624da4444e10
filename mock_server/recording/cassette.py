"""Cassettes in vcrpy's format (version 1), as ``kling-lipsync record`` writes them and the mock replays them.

One YAML file holds ``version: 1``, ``interactions`` (each a ``request`` and a ``response`` as vcrpy writes
them: ``body``, ``headers`` as ``{name: [values]}``, ``method``, ``uri``; ``status: {code, message}``,
``body: {string}``) and vcrpy 9.4's optional ``metadata`` map. vcrpy reads only those keys of an
interaction, so each also keeps what vcrpy has no place for: ``recorded_at`` (Unix ms, when the request
arrived), ``elapsed_ms`` (until its answer was out), and ``fault`` when the client got no HTTP answer (the
mock's fault name for what it saw: ``connection-reset``, ``empty-response`` ...; ``upstream_error`` says why).
A file stays loadable unchanged by vcrpy and pytest-recording.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import yaml

__all__ = [
    "FORMAT_VERSION",
    "Cassette",
    "CassetteError",
    "Interaction",
    "cassette_files",
    "load_folder",
    "read_cassette",
]

#: vcrpy's ``CASSETTE_FORMAT_VERSION``.
FORMAT_VERSION = 1


class CassetteError(ValueError):
    """A file that is not a cassette of this format; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Interaction:
    """One request and what its client got, as a cassette keeps it (already redacted)."""

    method: str
    uri: str
    request_headers: Mapping[str, list[str]]
    request_body: str
    status: int
    reason: str
    response_headers: Mapping[str, list[str]]
    response_body: str | bytes
    recorded_at: int = 0
    elapsed_ms: float = 0.0
    fault: str | None = None
    upstream_error: str | None = None
    #: Where it was read from (``file.yaml#3``), for messages; not written.
    origin: str = field(default="", compare=False)

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    @property
    def query(self) -> str:
        return urlsplit(self.uri).query

    def request_json(self) -> Any:
        """The request body as JSON; None when there is none or it is not JSON."""
        return _json(self.request_body)

    def response_json(self) -> Any:
        """The response body as JSON; None when it is not JSON (or the client got no answer)."""
        return None if self.fault else _json(self.response_body)

    def header(self, name: str) -> str | None:
        for key, values in self.response_headers.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    def to_dict(self) -> dict[str, Any]:
        """The interaction as vcrpy writes it, with this format's extra keys."""
        item: dict[str, Any] = {
            "request": {
                "body": self.request_body,
                "headers": {name: list(values) for name, values in self.request_headers.items()},
                "method": self.method,
                "uri": self.uri,
            },
            "response": {
                "body": {"string": self.response_body},
                "headers": {name: list(values) for name, values in self.response_headers.items()},
                "status": {"code": self.status, "message": self.reason},
            },
            "recorded_at": self.recorded_at,
            "elapsed_ms": round(self.elapsed_ms, 3),
        }
        if self.fault:
            item["fault"] = self.fault
            item["upstream_error"] = self.upstream_error or ""
        return item

    @classmethod
    def from_dict(cls, item: Mapping[str, Any], origin: str = "") -> Interaction:
        try:
            request, response = item["request"], item["response"]
            body = response.get("body") or {}
            return cls(
                method=str(request["method"]).upper(),
                uri=str(request["uri"]),
                request_headers=_headers(request.get("headers")),
                request_body=_text(request.get("body")),
                status=int(response["status"]["code"]),
                reason=str(response["status"].get("message", "")),
                response_headers=_headers(response.get("headers")),
                response_body=_body(body.get("string") if isinstance(body, Mapping) else None),
                recorded_at=int(item.get("recorded_at") or 0),
                elapsed_ms=float(item.get("elapsed_ms") or 0.0),
                fault=item.get("fault") or None,
                upstream_error=item.get("upstream_error") or None,
                origin=origin,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CassetteError(f"{origin}: not an interaction of vcrpy's format ({exc!r})") from None


def _headers(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in value.items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _body(value: Any) -> str | bytes:
    """A recorded response body: text or bytes as written; anything else (a hand edit's ``null``) is none."""
    return value if isinstance(value, str | bytes) else ""


def _json(body: str | bytes) -> Any:
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


class Cassette:
    """A cassette being written. The first ``append`` writes the file whole (atomically: a reader never sees half
    a file); each later one appends its interaction as one more item of the ``interactions`` list, which the
    file ends with, so an append costs the same at the thousandth exchange as at the first."""

    def __init__(self, path: Path, metadata: Mapping[str, Any]) -> None:
        self.path = path
        self.metadata = dict(metadata)
        self.count = 0
        self._lock = threading.Lock()
        # mkstemp makes files only their owner reads; a cassette gets the mode any new file gets here.
        umask = os.umask(0)
        os.umask(umask)
        self._mode = 0o666 & ~umask

    def append(self, interaction: Interaction) -> None:
        item = interaction.to_dict()
        with self._lock:
            if self.count == 0:
                self._create(item)
            else:
                # One write of the whole item, to a file opened for appending: no reader or crash sees a
                # half-written interaction unless the disk fills mid-item.
                text = _dump([item])
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write(text)
            self.count += 1

    def _create(self, item: dict[str, Any]) -> None:
        # ``interactions`` last: what ``append`` adds after it is more of its list.
        text = _dump({"version": FORMAT_VERSION, "metadata": self.metadata, "interactions": [item]})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temporary, self._mode)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _dump(data: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's when the wheel has it: ten times faster
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)


def read_cassette(path: Path) -> tuple[dict[str, Any], list[Interaction]]:
    """A cassette's ``metadata`` and interactions; ``CassetteError`` for anything else."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CassetteError(f"{path}: unreadable ({exc.__class__.__name__}: {str(exc).splitlines()[0]})") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("interactions"), list):
        raise CassetteError(f"{path}: not a vcrpy cassette (no 'interactions' list)")
    if data.get("version") != FORMAT_VERSION:
        raise CassetteError(f"{path}: cassette version {data.get('version')!r}, this reads version {FORMAT_VERSION}")
    metadata = data.get("metadata") or {}
    items = [Interaction.from_dict(item, f"{path.name}#{index}") for index, item in enumerate(data["interactions"])]
    return dict(metadata) if isinstance(metadata, Mapping) else {}, items


def cassette_files(folder: Path) -> list[Path]:
    """The cassettes of a folder (``*.yaml`` and ``*.yml``, sub-folders included), in name order."""
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_folder(folder: Path) -> Iterator[tuple[Path, dict[str, Any], list[Interaction]]]:
    """Each cassette of ``folder``: its path, metadata and interactions (``CassetteError`` if not a folder of them)."""
    if not folder.is_dir():
        raise CassetteError(f"{folder}: not a folder")
    files = cassette_files(folder)
    if not files:
        raise CassetteError(f"{folder}: no cassettes (*.yaml) in it")
    for path in files:
        metadata, items = read_cassette(path)
        yield path, metadata, items
