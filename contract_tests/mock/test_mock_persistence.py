"""Tasks live in SQLite: a restart (even after SIGKILL) loses nothing, and gunicorn workers share one file."""

from __future__ import annotations

import collections
import re
import sqlite3
import sys

import httpx
import pytest

from contract_tests.bodies import text_body
from contract_tests.helpers import data
from contract_tests.servers import GunicornMock
from kling_lipsync.testing import CallbackReceiver, KlingMock
from mock_server.database import SCHEMA_VERSION, DatabaseRefused, shown_url
from mock_server.settings import Settings

TASKS = "/v1/videos/lip-sync"


def test_a_restarted_mock_has_every_task_and_never_reuses_an_id(tmp_path) -> None:
    db = str(tmp_path / "mock.sqlite3")
    with KlingMock({"db": db, "max_in_flight": 100}) as first, first.httpx_client("sk-keep") as client:
        ids = [data(client.post(TASKS, json=text_body()))["task_id"] for _ in range(5)]
        first.advance(2)
        before = data(client.get(TASKS))

    with KlingMock({"db": db, "max_in_flight": 100}) as second, second.httpx_client("sk-keep") as client:
        assert data(client.get(TASKS)) == before, "same tasks, same states, same virtual time"
        second.reset()
        new_id = data(client.post(TASKS, json=text_body()))["task_id"]
    assert new_id not in ids, "ids are never handed out twice, not even after a reset"


def test_two_apps_on_one_file_see_the_same_tasks_and_clock(tmp_path) -> None:
    db = str(tmp_path / "shared.sqlite3")
    with KlingMock({"db": db}) as a, KlingMock({"db": db}) as b:
        with a.httpx_client("sk-same") as client:
            task_id = data(client.post(TASKS, json=text_body()))["task_id"]
        b.advance(60)
        with b.httpx_client("sk-same") as client:
            assert data(client.get(f"{TASKS}/{task_id}"))["task_status"] == "succeed"
        assert a.now_ms() == b.now_ms()


def test_gunicorn_workers_share_the_file_deliver_each_transition_once_and_survive_sigkill(tmp_path) -> None:
    env = {
        "KLING_MOCK_DB": str(tmp_path / "gunicorn.sqlite3"),
        "KLING_MOCK_QUEUE_SECONDS": "0.2",
        "KLING_MOCK_PROCESSING_SECONDS": "0.3",
        "KLING_MOCK_DISPATCH_INTERVAL_SECONDS": "0.05",
        "KLING_MOCK_MAX_IN_FLIGHT": "100",
    }
    server = GunicornMock(env, workers=2)
    try:
        with (
            CallbackReceiver() as receiver,
            httpx.Client(
                base_url=f"{server.url}/kling", headers={"Authorization": "Bearer sk-gunicorn"}, timeout=10
            ) as client,
        ):
            acknowledged = []
            for _ in range(12):
                response = client.post(TASKS, json={**text_body(), "callback_url": receiver.url})
                assert response.status_code == 200, response.text
                acknowledged.append(data(response)["task_id"])
            received = receiver.wait_for(36, timeout=30)
            per_transition = collections.Counter((c.json()["task_id"], c.json()["task_status"]) for c in received)
            assert set(per_transition.values()) == {1}, "each transition exactly once across workers"
            assert {task for task, _ in per_transition} == set(acknowledged)
        server.kill()

        server = GunicornMock(env, workers=2)
        with httpx.Client(base_url=f"{server.url}/kling", headers={"Authorization": "Bearer sk-gunicorn"}) as client:
            listed = data(client.get(TASKS, params={"pageSize": 500}))
            assert sorted(t["task_id"] for t in listed) == sorted(acknowledged)
            assert {t["task_status"] for t in listed} == {"succeed"}
            again = data(client.post(TASKS, json=text_body()))["task_id"]
            assert again not in acknowledged
    finally:
        server.stop()


def test_sessions_and_registrations_outlive_a_restart_and_a_reset_forgets_them(tmp_path) -> None:
    """Advanced lip-sync's state (identify-face sessions, what the mock was told of media) is in the file too."""
    db = str(tmp_path / "advanced.sqlite3")
    video = "https://example.com/duo.mp4"
    with KlingMock({"db": db}) as first, first.api("advanced-lip-sync", token="sk-keep") as api:
        first.register_video(video_url=video, duration_ms=8000, faces=[(0, 3000), (2500, 8000)])
        session = api.open_session({"video_url": video})
    choice = {"face_id": "1", "sound_file": "https://example.com/a.mp3", "sound_start_time": 0,
              "sound_end_time": 3000, "sound_insert_time": 2500}  # fmt: skip
    body = {"session_id": session["session_id"], "face_choose": [choice]}
    with KlingMock({"db": db}) as second, second.api("advanced-lip-sync", token="sk-keep") as api:
        assert api.create(body)["task_status"] == "submitted", "the session survived the restart"
        assert len(api.open_session({"video_url": video})["face_data"]) == 2, "so did the registration"
        second.reset()
        refused = api.request("POST", api.family.collection_path, json=body).json()
        assert (refused["code"], "no such session" in refused["message"]) == (1201, True)
        assert len(api.open_session({"video_url": video})["face_data"]) == 1, "the default video again"


def _as_an_earlier_layout(path: str, version: int) -> None:
    """Turn a file of this layout (9) into one the mock wrote before: 8 knows only the last run and not which
    server answered; 7 has no text-to-speech audio either; 6 no replayed tasks either; 5 neither, and has
    ``tasks.kind``, its running tasks counted by a scan."""
    db = sqlite3.connect(path)
    try:
        db.executescript(
            """
            ALTER TABLE journal DROP COLUMN server; DROP TABLE runs;
            CREATE TABLE mock_run (id INTEGER PRIMARY KEY CHECK (id = 1), run_id TEXT NOT NULL);
            PRAGMA user_version = 8;
            """
        )
        if version == 8:
            return
        db.executescript(
            """
            DROP TABLE audios; DROP TABLE blobs; DROP TABLE results;
            ALTER TABLE tasks DROP COLUMN sound; ALTER TABLE tasks DROP COLUMN result_ms;
            ALTER TABLE media DROP COLUMN sound;
            PRAGMA user_version = 7;
            """
        )
        if version == 7:
            return
        db.executescript(
            """
            DROP INDEX tasks_by_recorded_id; DROP TABLE replay_uses;
            ALTER TABLE tasks DROP COLUMN recording; ALTER TABLE tasks DROP COLUMN recorded_id;
            PRAGMA user_version = 6;
            """
        )
        if version == 6:
            return
        db.executescript(
            """
            DROP TRIGGER task_created; DROP TRIGGER task_replanned;
            DROP TRIGGER running_added; DROP TRIGGER running_removed;
            DROP TABLE running; DROP TABLE running_count;
            ALTER TABLE tasks RENAME COLUMN family TO kind;
            CREATE INDEX tasks_in_flight ON tasks (account, finished_at);
            PRAGMA user_version = 5;
            """
        )
    finally:
        db.close()


@pytest.mark.parametrize("version", [5, 6, 7, 8])
def test_a_file_of_an_upgradable_layout_opens_upgraded_with_its_tasks_and_their_slots(tmp_path, version) -> None:
    db = str(tmp_path / f"v{version}.sqlite3")
    settings = {"db": db, "max_in_flight": 2}
    with KlingMock(settings) as first, first.httpx_client("sk-old") as client:
        ids = [data(client.post(TASKS, json=text_body()))["task_id"] for _ in range(2)]
        before = data(client.get(TASKS))
    _as_an_earlier_layout(db, version)

    with KlingMock(settings) as second, second.httpx_client("sk-old") as client:
        assert data(client.get(TASKS)) == before, "every task, under its family"
        assert [data(client.get(f"{TASKS}/{task_id}"))["task_id"] for task_id in ids] == ids
        refused = client.post(TASKS, json=text_body()).json()
        assert refused["code"] == 1303, "the two running tasks still take the account's two slots"
        second.advance(second.settings.queue_seconds + second.settings.processing_seconds)
        assert client.post(TASKS, json=text_body()).json()["code"] == 0, "finished, they free their slots"
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert {"family", "recorded_id", "recording"} <= {row[1] for row in check.execute("PRAGMA table_info(tasks)")}
        assert "server" in {row[1] for row in check.execute("PRAGMA table_info(journal)")}
        assert check.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'mock_run'").fetchone()[0] == 0
        assert check.execute("SELECT COUNT(*) FROM audios").fetchone()[0] == 0, "the new table, empty"


def test_a_file_of_an_older_layout_is_refused_naming_the_fix(tmp_path) -> None:
    db = str(tmp_path / "v4.sqlite3")
    KlingMock({"db": db}).close()
    _as_an_earlier_layout(db, 5)
    with sqlite3.connect(db) as old:
        old.execute("PRAGMA user_version = 4")
    with pytest.raises(
        DatabaseRefused, match=re.escape("another layout (version 4, now 9): start the mock on a new database")
    ):
        KlingMock({"db": db})


def test_a_file_of_a_newer_layout_is_refused_naming_the_fix(tmp_path) -> None:
    db = str(tmp_path / "v10.sqlite3")
    KlingMock({"db": db}).close()
    with sqlite3.connect(db) as newer:
        newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(DatabaseRefused, match=re.escape(f"newer layout (version {SCHEMA_VERSION + 1}; this mock")):
        KlingMock({"db": db})


def test_a_postgresql_url_without_psycopg_is_refused_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wheel without its ``postgresql`` extra: psycopg cannot be imported."""
    monkeypatch.setitem(sys.modules, "psycopg", None)  # None in sys.modules: importing it raises ImportError
    monkeypatch.delitem(sys.modules, "mock_server.postgres", raising=False)
    with pytest.raises(DatabaseRefused, match=re.escape("needs psycopg: pip install 'kling-lipsync[postgresql]'")):
        KlingMock({"db": "postgresql://mock@127.0.0.1:1/kling_mock"})


def test_every_layout_since_the_stores_began_is_upgraded_by_both() -> None:
    """A new layout (SCHEMA_VERSION + 1) must bring its steps for both stores, or old databases would be refused."""
    pytest.importorskip("psycopg")
    from mock_server.postgres import MIGRATIONS
    from mock_server.sqlite import UPGRADABLE

    assert set(range(5, SCHEMA_VERSION)) <= UPGRADABLE
    assert set(range(9, SCHEMA_VERSION)) <= set(MIGRATIONS), "PostgreSQL's first layout is 9"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://mock:s3cret@db:5432/kling", "postgresql://mock:***@db:5432/kling"),
        ("postgresql://mock@db/kling?password=s3cret&sslmode=require", "postgresql://mock@db/kling?password=***&sslmode=require"),
        ("postgres://db/kling", "postgres://db/kling"),
        ("mock.sqlite3", "mock.sqlite3"),
    ],
)  # fmt: skip
def test_a_database_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert shown_url(url) == shown
    assert Settings(db=url).public()["db"] == shown, "as GET /__mock__/config shows it"
