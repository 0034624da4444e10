"""Text that is not Unicode (a lone surrogate escape, ``"\\ud800"``) is a clear 400 on every route that takes a
body, names where it is, and is never stored; a journal entry that cannot be written loses only itself.

Before (issue 21, defect 4): a create with one answered 500 and its journal entry made the worker's whole batch
vanish; a scenario holding one was stored while the PUT answered 500, and every later listing answered 500.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from kling_lipsync.testing import KlingMock
from mock_server.store import JournalEntry, Store

TASKS = "/kling/v1/videos/lip-sync"
AUTH = {"Authorization": "Bearer sk-text", "Content-Type": "application/json"}
LONE = "\\ud800"  # as JSON text: the escape of a lone high surrogate


@pytest.fixture
def mock() -> Iterator[KlingMock]:
    with KlingMock() as served:
        yield served


def with_lone_surrogate(body: dict[str, object], field: str) -> bytes:
    """``body`` as JSON whose ``input.<field>`` holds a lone surrogate escape."""
    marker = "MARKER-TO-REPLACE"
    body["input"][field] = f"a{marker}b"  # type: ignore[index]
    return json.dumps(body).replace(marker, LONE).encode()


def test_a_create_holding_one_is_1200_naming_the_field_and_nothing_is_lost(mock: KlingMock) -> None:
    before = [data(mock.http.post(TASKS, json=text_body(), headers=AUTH))["task_id"] for _ in range(3)]
    refused = mock.http.post(TASKS, content=with_lone_surrogate(text_body(), "text"), headers=AUTH)
    assert refused.status_code == 400
    answer = refused.json()
    assert answer["code"] == 1200
    assert "input.text holds a lone surrogate escape" in answer["message"]
    assert answer["request_id"]
    listed = data(mock.http.get(TASKS, headers=AUTH))
    assert sorted(task["task_id"] for task in listed) == sorted(before), "nothing of it stored"
    journal = mock.http.get("/__mock__/requests", params={"limit": 100})
    assert journal.status_code == 200, journal.text
    creates = [entry for entry in journal.json()["requests"] if entry["method"] == "POST"]
    assert [(entry["status"], entry["code"]) for entry in creates] == [(200, 0)] * 3 + [(400, 1200)]


def test_a_key_holding_one_is_named_by_its_escape(mock: KlingMock) -> None:
    raw = json.dumps(text_body())[:-1] + ', "' + LONE + '": 1}'
    refused = mock.http.post(TASKS, content=raw.encode(), headers=AUTH)
    assert refused.status_code == 400
    assert "\\ud800 holds a lone surrogate escape" in refused.json()["message"], "escaped: the answer is UTF-8"


@pytest.mark.parametrize(
    ("method", "path", "raw"),
    [
        pytest.param("PUT", "/__mock__/scenarios/bad", '{"failure_message": "x' + LONE + '"}', id="scenario"),
        pytest.param("POST", "/__mock__/media/audio", '{"audio_id": "' + LONE + '", "duration_ms": 3000}', id="audio"),
        pytest.param("PUT", "/__mock__/config", '{"public_url": "http://x' + LONE + '"}', id="config"),
    ],
)
def test_an_admin_body_holding_one_is_1200_and_changes_nothing(
    mock: KlingMock, method: str, path: str, raw: str
) -> None:
    listings = ("/__mock__/scenarios", "/__mock__/media", "/__mock__/config")
    seen = [mock.http.get(listing).json() for listing in listings]
    refused = mock.http.request(method, path, content=raw.encode(), headers={"Content-Type": "application/json"})
    assert refused.status_code == 400
    assert refused.json()["code"] == 1200
    assert "lone surrogate" in refused.json()["message"]
    assert [mock.http.get(listing).json() for listing in listings] == seen


def test_a_journal_entry_that_cannot_be_written_as_sent_is_kept_with_what_it_cannot_hold_replaced() -> None:
    store = Store(":memory:", clock_start_ms=0)
    entry = JournalEntry(0, "GET", "/v1/x", "", "kling", None, 200, 0, "r", None, "a", None, None, None, 1.0, "s")
    bad = entry._replace(path="/v1/\ud800", request_id="bad")
    store.journal_append(entry._replace(request_id="first"), keep=100)
    store.journal_append(bad, keep=100)
    store.journal_append(entry._replace(request_id="last"), keep=100)
    store.flush_journal()
    kept = store.journal(10)
    assert [row["request_id"] for row in kept] == ["first", "bad", "last"], "no entry lost, none moved"
    assert [row["path"] for row in kept] == ["/v1/x", "/v1/?", "/v1/x"], "only the bad one changed"
    # What the batch met: the bad entry alone is refused by SQLite's driver.
    with pytest.raises((sqlite3.Error, ValueError)), store.transaction() as db:
        db.execute("INSERT INTO journal (path) VALUES (?)", ("/v1/\ud800",))


def test_a_nul_in_a_body_is_text_a_task_keeps_on_either_store(mock: KlingMock) -> None:
    """``\\u0000`` is text the spec allows: SQLite keeps it, PostgreSQL's text cannot (kept there as U+FFFD)."""
    body = text_body()
    body["input"]["text"] = "aMARKb"  # type: ignore[index]
    created = mock.http.post(TASKS, content=json.dumps(body).replace("MARK", "\\u0000").encode(), headers=AUTH)
    assert (created.status_code, created.json()["code"]) == (200, 0)
    assert data(mock.http.get(f"{TASKS}/{data(created)['task_id']}", headers=AUTH))["task_id"]
    journal = mock.http.get("/__mock__/requests", params={"method": "POST"}).json()["requests"]
    assert [entry["status"] for entry in journal] == [200], "journaled, as any create"


def test_a_nul_in_a_url_is_looked_up_as_any_text_that_matches_nothing(mock: KlingMock) -> None:
    """A task id or a journal filter holding %00 finds nothing, as an unknown one does, on either store."""
    unknown = mock.http.get(f"{TASKS}/no-such-task", headers=AUTH)
    with_nul = mock.http.get(f"{TASKS}/no%00such", headers=AUTH)
    assert (with_nul.status_code, with_nul.json()["code"]) == (unknown.status_code, unknown.json()["code"])
    assert mock.http.get("/__mock__/requests", params={"path": "/v1/\x00"}).json()["requests"] == []
    assert mock.http.get("/__mock__/tasks", params={"account": "a\x00"}).status_code == 200
