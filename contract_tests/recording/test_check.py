"""``kling-lipsync check-recording``: passes on the samples, and names what a hand-made change broke."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.servers import ROOT
from mock_server.recording.check import main

RECORDINGS = ROOT / "recordings"
JOURNEY = RECORDINGS / "from-the-mock" / "journey.yaml"


def check(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main([str(folder)])
    return code, capsys.readouterr().out.splitlines()


def test_the_samples_have_no_difference(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = check(RECORDINGS, capsys)
    assert (code, lines) == (0, ["32 exchanges checked against openapi.yaml: no differences"])


def changed(tmp_path: Path, change: Callable[[dict[str, Any]], bool]) -> Path:
    """A copy of the sample whose first interaction ``change`` accepts (and alters) is changed by hand."""
    cassette = yaml.safe_load(JOURNEY.read_text(encoding="utf-8"))
    assert any(change(item) for item in cassette["interactions"]), "the change found its exchange"
    (tmp_path / "changed.yaml").write_text(yaml.safe_dump(cassette, allow_unicode=True), encoding="utf-8")
    return tmp_path


def with_body(item: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> None:
    body = json.loads(item["response"]["body"]["string"])
    edit(body)
    item["response"]["body"]["string"] = json.dumps(body)


def a_poll_in(status: str) -> Callable[[dict[str, Any]], bool]:
    def matches(item: dict[str, Any]) -> bool:
        answer = item["response"]["body"]["string"]
        return item["request"]["method"] == "GET" and f'"task_status":"{status}"' in answer

    return matches


def renamed(item: dict[str, Any]) -> bool:
    if not a_poll_in("processing")(item):
        return False
    with_body(item, lambda body: body["data"].__setitem__("status", body["data"].pop("task_status")))
    return True


def mistyped(item: dict[str, Any]) -> bool:
    if not a_poll_in("succeed")(item):
        return False
    with_body(item, lambda body: body["data"].__setitem__("created_at", str(body["data"]["created_at"])))
    return True


def misfiled(item: dict[str, Any]) -> bool:
    if not item["request"]["uri"].endswith("/404404"):
        return False
    item["response"]["status"]["code"] = 400
    return True


def went_back(item: dict[str, Any]) -> bool:
    """The list page, seen after the legacy task succeeded, shows it processing again."""
    if "pageNum=" not in item["request"]["uri"]:
        return False

    def back(body: dict[str, Any]) -> None:
        (task,) = body["data"]
        task.update(task_status="processing", task_result={"videos": []})

    with_body(item, back)
    return True


def code_as_a_list(item: dict[str, Any]) -> bool:
    if not item["request"]["uri"].endswith("/404404"):
        return False
    with_body(item, lambda body: body.__setitem__("code", [body["code"]]))
    return True


def body_emptied(item: dict[str, Any]) -> bool:
    if not a_poll_in("processing")(item):
        return False
    item["response"]["body"]["string"] = None
    return True


@pytest.mark.parametrize(
    ("change", "row"),
    [
        (renamed, ["get_lip_sync_task", "200", "response.data", "'task_status' is a required property"]),
        (renamed, ["get_lip_sync_task", "200", "response.data", "Additional properties are not allowed ('status'"]),
        (mistyped, ["get_lip_sync_task", "200", "response.data.created_at", "is not of type 'integer'"]),
        (
            misfiled,
            ["get_lip_sync_task", "400", "response.code", "code 1203 came with HTTP 400; the table says 404"],
        ),
        (
            went_back,
            ["lip-sync", "-", "task 860000000000000001", "succeed then processing: a finished task's"],
        ),
        (code_as_a_list, ["get_lip_sync_task", "404", "response.code", "code [1203] is not an integer"]),
        (body_emptied, ["get_lip_sync_task", "200", "response", "not a JSON object"]),
    ],
    ids=[
        "renamed field",
        "renamed field, as unknown",
        "wrong type",
        "code under the wrong status",
        "life",
        "code not a number",
        "no body",
    ],
)
def test_a_change_by_hand_is_one_row_naming_where_and_what(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Callable[[dict[str, Any]], bool], row: list[str]
) -> None:
    code, lines = check(changed(tmp_path, change), capsys)
    assert code == 1
    assert lines[0].split()[:4] == ["OPERATION", "STATUS", "WHERE", "WHAT"]
    what = row[3]
    # Columns are at least two spaces apart (a task's WHERE holds one).
    found = [line for line in lines[1:-1] if re.split(r"\s{2,}", line)[:3] == row[:3] and what in line]
    assert len(found) == 1, "\n".join(lines)
    assert lines[-1].endswith("exchanges checked")


def test_a_folder_without_cassettes_is_exit_2_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"kling-lipsync check-recording: {tmp_path}: no cassettes (*.yaml) in it"


@pytest.mark.slow
def test_the_remote_suite_runs_its_checks_over_a_recording(tmp_path: Path) -> None:
    def remote_suite(folder: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "contract_tests/remote"]
        return subprocess.run(
            [*command, "--recording", str(folder)],
            cwd=ROOT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    passed = remote_suite(RECORDINGS)
    assert passed.returncode == 0, passed.stdout[-3000:]
    assert "4 passed" in passed.stdout, "every exchange, and each of the three recorded tasks"
    failed = remote_suite(changed(tmp_path, went_back))
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "succeed then processing" in failed.stdout
