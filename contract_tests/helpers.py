"""What tests of every folder share: an answer's data, bodies the spec's links make, media files, callbacks.

Fixtures live in ``conftest.py`` (the served mock, a callback receiver, a 3 s WAV); servers in
``servers.py``; request bodies in ``bodies.py``; hypothesis strategies in ``strategies.py``. A helper that a
second test module needs moves here, instead of being written again.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import random
import subprocess
import sys
import wave
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from unittest import mock

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.servers import ROOT, fresh
from contract_tests.spec_walk import link_request_body
from kling_lipsync import cli
from kling_lipsync.client import LipSync
from kling_lipsync.testing import KlingApi, KlingMock
from kling_spec.families import families
from mock_server.media import result_video_id


class Answered(Protocol):
    """An answer of httpx, or of ``servers.send``/``fresh`` (which read the socket themselves)."""

    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


def data(response: Answered) -> Any:
    """The ``data`` of an answer that must have succeeded (HTTP 200, code 0); the whole answer if not."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 0, body
    return body["data"]


def write_wav(path: Path, seconds: float, rate: int = 8000) -> Path:
    """A silent mono 16-bit WAV lasting ``seconds`` (the tone assets are too short for advanced lip-sync)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * round(rate * seconds))
    return path


def first_example(family: str, role: str = "create") -> dict[str, Any]:
    """The spec's first named request example of a family's operation, without its callback."""
    examples = families()[family].operation(role).spec["requestBody"]["content"]["application/json"]["examples"]
    body: dict[str, Any] = copy.deepcopy(next(iter(examples.values()))["value"])
    body.pop("callback_url", None)
    return body


def create_body(api: KlingApi) -> dict[str, Any]:
    """A create body the mock accepts: for a family with a session step, the one the spec's link makes."""
    if not api.family.has("session"):
        return first_example(api.family.name)
    session = api.family.operation("session")
    answer = {"data": api.open_session(first_example(api.family.name, "session"))}
    body: dict[str, Any] = link_request_body(session.spec, answer, api.family.operation("create").operation_id)
    return body


def create_with_callback(client: httpx.Client | KlingApi, url: str, **headers: str) -> str:
    """Create a legacy text task whose callbacks go to ``url``; its task id."""
    body = {**text_body(), "callback_url": url}
    if isinstance(client, KlingApi):
        task_id: str = client.create(body, headers=headers)["task_id"]
        return task_id
    return str(data(client.post("/v1/videos/lip-sync", json=body, headers=headers))["task_id"])


#: What ``assert_one_consistent_mock`` sends: 10 accounts, each with the default max_in_flight of tasks.
ACCOUNTS = 10
TASKS_PER_ACCOUNT = 5  # the default max_in_flight: no create is refused
POLLS = 5
SERVED_TASKS = "/kling/v1/videos/lip-sync"


class Reachable(Protocol):
    """A served mock, or a load balancer in front of several (``postgres.Nginx``)."""

    url: str


def assert_one_consistent_mock(server: Reachable) -> None:
    """50 tasks created over 10 accounts, each polled 5 times: every poll finds it, ids never repeat."""
    created: list[tuple[str, str]] = []
    for account in range(ACCOUNTS):
        auth = {"Authorization": f"Bearer sk-serving-{account}"}
        for _ in range(TASKS_PER_ACCOUNT):
            answer = fresh("POST", server.url + SERVED_TASKS, json_body=text_body(), headers=auth)
            created.append((auth["Authorization"], data(answer)["task_id"]))
    ids = [task_id for _, task_id in created]
    assert len(set(ids)) == len(ids), "a task id was handed out twice"
    missing = []
    for authorization, task_id in created:
        for _ in range(POLLS):
            answer = fresh("GET", f"{server.url}{SERVED_TASKS}/{task_id}", headers={"Authorization": authorization})
            if answer.status != 200:
                missing.append((task_id, answer.status, answer.json().get("code")))
    assert missing == [], f"{len(missing)} of {len(created) * POLLS} polls did not find their task"
    listed = fresh("GET", f"{server.url}{SERVED_TASKS}?pageSize=30", headers={"Authorization": created[0][0]})
    assert len(data(listed)) == TASKS_PER_ACCOUNT
    _assert_text_to_video_across_workers(server)


def assert_the_remote_suite_passes(base_url: str, token: str, *, timeout: float = 600) -> None:
    """``contract_tests/remote`` against a served mock, spending allowed: every test passes, every answer strict."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "contract_tests/remote",
         "--base-url", base_url, "--token", token],
        cwd=ROOT,
        env={**os.environ, "ALLOW_SPEND": "1", "HYPOTHESIS_PROFILE": "mutant"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "11 passed" in result.stdout
    assert "none: every answer matched the spec strictly" in result.stdout


def _assert_text_to_video_across_workers(server: Reachable, speakers: int = 3) -> None:
    """Each step on a new connection (so on any worker): an audio made through one is an advanced task's
    through another, its MP3 is served by a third, and a result made by one is the same file from another."""
    tts, advanced = families()["tts"].operation("synchronous").path, families()["advanced-lip-sync"]
    for speaker in range(speakers):
        auth = {"Authorization": f"Bearer sk-speaker-{speaker}"}
        line = {"text": "好" * 10, "voice_id": "genshin_vindi2"}  # 2.4 s of speech
        spoken = data(fresh("POST", f"{server.url}/kling{tts}", json_body=line, headers=auth))["task_result"]["audios"][
            0
        ]
        mp3 = fresh("GET", spoken["url"])
        assert (mp3.status, mp3.body[:2]) == (200, b"\xff\xf3"), "the audio, served by whichever worker"
        session = data(fresh("POST", f"{server.url}/kling{advanced.operation('session').path}",
                             json_body={"video_url": "https://example.com/a.mp4"}, headers=auth))  # fmt: skip
        choice = {"face_id": "0", "audio_id": spoken["id"], "sound_start_time": 0, "sound_end_time": 2400,
                  "sound_insert_time": 0}  # fmt: skip
        task_id = data(fresh("POST", f"{server.url}/kling{advanced.collection_path}",
                             json_body={"session_id": session["session_id"], "face_choose": [choice]},
                             headers=auth))["task_id"]  # fmt: skip
        result = f"{server.url}/__mock__/videos/{result_video_id(task_id)}.mp4"
        first, second = fresh("GET", result), fresh("GET", result)
        assert (first.status, first.body[4:8]) == (200, b"ftyp")
        assert second.body == first.body, "the same file, whichever worker answers"


# -- the CLI, run in this process ---------------------------------------------------------------------------------


@dataclass
class CliRun:
    """What ``kling-lipsync ARGS`` did in this process: its exit status and what it printed."""

    exit_code: int
    out: str
    err: str

    def one_error_line(self) -> str:
        """The failure as shown (one line on stderr, ``kling-lipsync: error: ...``, no traceback), unprefixed."""
        lines = self.err.splitlines()
        assert len(lines) == 1, self.err
        assert lines[0].startswith("kling-lipsync: error: "), self.err
        return lines[0].removeprefix("kling-lipsync: error: ")


def run_cli(capsys: pytest.CaptureFixture[str], args: list[str]) -> CliRun:
    """``cli.main(args)`` as the console script runs it, argparse's own exits (``--help``, usage) included."""
    capsys.readouterr()
    try:
        exit_code = cli.main(args)
    except SystemExit as exit_:
        exit_code = int(exit_.code or 0)
    shown = capsys.readouterr()
    return CliRun(exit_code, shown.out, shown.err)


def wire_cli(monkeypatch: pytest.MonkeyPatch, mock: KlingMock, sleep: Callable[[float], None] | None = None) -> None:
    """The command's own client on ``mock``'s in-process transport and virtual clock (``sleep`` replaces the
    clock's advance)."""

    def wired(base_url: str | None, token: str | None, **options: Any) -> LipSync:
        return LipSync(
            base_url,
            token,
            transport=mock.transport,
            sleep=sleep or mock.advance,
            monotonic=lambda: mock.now_ms() / 1000,
            rng=random.Random(0),
            **options,
        )

    monkeypatch.setattr(cli, "LipSync", wired)


#: The console script, beside this interpreter.
CLI = str(Path(sys.executable).with_name("kling-lipsync"))


def run_cli_as_a_process_would(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, umask: int = -1
) -> subprocess.CompletedProcess[str]:
    """``kling-lipsync ARGS`` as the console script runs it, in this process: ``env`` as the whole
    environment, ``umask`` if given, stdout and stderr kept; the outcome as ``subprocess.run`` gives it.

    A process of its own costs 0.4 s of imports a run; what only a process shows (a terminal, the installed
    script itself) keeps one in the tests that need it.
    """
    out, err = io.StringIO(), io.StringIO()
    earlier_umask = os.umask(umask) if umask >= 0 else None
    environment = mock.patch.dict(os.environ, env, clear=True) if env is not None else contextlib.nullcontext()
    try:
        with environment, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                exit_code = cli.main(list(args))
            except SystemExit as exit_:  # argparse: --help, --version, usage errors
                exit_code = int(exit_.code or 0)
    finally:
        if earlier_umask is not None:
            os.umask(earlier_umask)
    return subprocess.CompletedProcess([CLI, *args], exit_code, out.getvalue(), err.getvalue())
