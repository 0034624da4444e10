"""What the mock keeps: tasks, callback deliveries, the request journal and the shared mock state.

With ``sqlite.py`` and ``postgres.py`` (``database.py`` chooses: a SQLite file, or a PostgreSQL database that
servers on several hosts share), the only modules with SQL. Its SQL is written once, in the subset both speak;
where they differ (ids, locks), the database answers. A transaction that returned is in the database for any
later process, even after SIGKILL.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from .database import Connection, Database, Row, open_database
from .timeline import FAILED, PROCESSING, SUBMITTED, SUCCEED, TaskTimeline

__all__ = ["JournalEntry", "MockState", "Store", "TaskRow"]

TaskRow = Row


class JournalEntry(NamedTuple):
    """One request as the journal keeps it; its fields are the journal table's columns, in order."""

    at: int
    method: str
    path: str
    query: str
    gateway: str | None
    family: str | None
    status: int
    code: int | None
    request_id: str
    task_id: str | None
    account: str | None
    authorization: str | None
    scenario: str | None
    body: str | None
    duration_ms: float
    server: str | None


_JOURNAL_COLUMNS = JournalEntry._fields
# Quoted: ``authorization`` is a reserved word of PostgreSQL's.
_JOURNAL_QUOTED = ", ".join(f'"{column}"' for column in _JOURNAL_COLUMNS)
_JOURNAL_INSERT = f"INSERT INTO journal ({_JOURNAL_QUOTED}) VALUES ({', '.join('?' * len(_JOURNAL_COLUMNS))})"
# The columns a task's answer is made of (a family's ``render``): reading fewer is measurably faster.
_SHOWN = (
    "seq, family, account, created_at, processing_at, finished_at, outcome, failure_message, "
    "parent_video_id, parent_video_url, parent_video_duration, result_video_id, base_url, external_task_id, watermark, "
    "scenario, recording, result_ms"
)
# A task's status at ``:now`` as SQL over its timeline columns: the boundaries of ``TaskTimeline.status_at``
# (contract_tests/mock/test_mock_operator_tasks.py holds the two to each other at every boundary).
_STATUS_AT: Mapping[str, str] = {
    SUBMITTED: "processing_at > :now",
    PROCESSING: "processing_at <= :now AND finished_at > :now",
    SUCCEED: "finished_at <= :now AND outcome = :status",
    FAILED: "finished_at <= :now AND outcome = :status",
}
_JOURNAL_BATCH = 2000
_JOURNAL_FLUSH_SECONDS = 0.25
#: How often each process of a team's server says its run is alive (``keep_run_alive``), and how long after
#: the last time a run counts as gone (its server killed): a server started later no longer joins it.
RUN_BEAT_SECONDS = 2.0
_RUN_ALIVE_MS = 10_000
#: What a reset forgets, in an order the foreign keys allow.
_FORGOTTEN_AT_RESET = (
    "deliveries", "delivery_attempts", "tasks", "running_count", "running", "sessions", "audios", "blobs", "results",
    "media", "scenarios", "journal", "replay_uses",
)  # fmt: skip


@dataclass(frozen=True)
class MockState:
    """The state every worker shares: the virtual clock and the run-time settings changes."""

    clock_ms: int
    config_changes: Mapping[str, Any]
    generation: int


class Store:
    """The mock's database. Methods are short transactions; ``transaction()`` groups several."""

    def __init__(self, path: str, *, clock_start_ms: int, prepared: bool = False) -> None:
        """``path``: a SQLite file, ``:memory:``, or a ``postgresql://`` URL (``DatabaseRefused`` if unusable).

        ``prepared``: the launcher of this server opened it first (``serving.prepare_run``), so it is laid out
        and holds the shared state: a worker's store then writes nothing when it opens."""
        self._database: Database = open_database(path, prepared=prepared)
        self.path = self._database.url
        self._clock_start_ms = clock_start_ms
        self._pid = os.getpid()
        self._state_cache: tuple[int, MockState] | None = None
        #: Only this connection can change a ``:memory:`` database, so its state is read again only after this
        #: store changed it (a file or a server is shared with other processes: read it every time).
        self._private = not self._database.shared
        self._state_known: MockState | None = None
        self._journal_lock = threading.Lock()
        # Held from taking the queue to writing it, and by reset: a reset never falls between the two.
        self._journal_write_lock = threading.Lock()
        self._journal_pending: list[JournalEntry] = []
        self._journal_keep = 10_000
        self._journal_flush_at = time.monotonic() + _JOURNAL_FLUSH_SECONDS
        self._run_id: str | None = None
        if prepared:
            return
        with self.transaction() as db:
            db.execute(
                "INSERT INTO mock_state (id, clock_ms, config_changes, generation) VALUES (1, ?, '{}', 0) "
                "ON CONFLICT (id) DO NOTHING",
                (clock_start_ms,),
            )

    # -- connection ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Connection]:
        """Run statements atomically; ``write`` takes at once what a write needs (SQLite's write lock)."""
        with self._database.transaction(write=write) as db:
            yield db

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What a statement of this store's database raises for data it cannot take, or a lost connection."""
        return self._database.errors

    def close(self) -> None:
        self._database.close()

    # -- shared state -------------------------------------------------------------------------------

    def state(self) -> MockState:
        """The shared state; the parsed settings changes are cached until their generation moves."""
        known = self._state_known
        if known is not None and self._pid == os.getpid():
            return known
        with self._database.read() as db:
            row = db.execute("SELECT clock_ms, generation FROM mock_state WHERE id = 1").fetchone()
            cached = self._state_cache
            if cached is not None and cached[0] == row["generation"]:
                state = MockState(row["clock_ms"], cached[1].config_changes, row["generation"])
                if self._private:
                    self._state_known = state
                return state
            changes = db.execute("SELECT config_changes FROM mock_state WHERE id = 1").fetchone()[0]
            state = MockState(row["clock_ms"], json.loads(changes), row["generation"])
            self._state_cache = (state.generation, state)
            if self._private:
                self._state_known = state
            return state

    def begin_run(self, run_id: str) -> bool:
        """Mark this database as opened by run ``run_id``; a new run drops the run-time changes of the runs before.

        Every worker of one server run passes the same id, so a worker that starts (or restarts) later does
        not undo what ``PUT /__mock__/config`` changed meanwhile. On a team's database (``Database.team``) a
        server that starts while another server's run is alive joins it: a replica restarted, or added, keeps
        the scenarios and settings the team changed; only a start after every server stopped starts anew.
        Returns whether the changes were dropped.
        """
        now = _wall_ms()
        self._run_id = run_id  # kept alive from now on (``keep_run_alive``), even if this fails
        with self.transaction() as db:
            self._database.lock(db, "runs")  # two servers starting at once: one, then the other
            if db.execute("UPDATE runs SET seen_at = ? WHERE run_id = ?", (now, run_id)).rowcount:
                return False
            alive = self._database.team and (
                db.execute("SELECT 1 FROM runs WHERE seen_at > ? LIMIT 1", (now - _RUN_ALIVE_MS,)).fetchone()
                is not None
            )
            db.execute("INSERT INTO runs (run_id, started_at, seen_at) VALUES (?, ?, ?)", (run_id, now, now))
            if alive:
                return False
            db.execute("DELETE FROM scenarios")
            self._state_known = None  # read the state again after this change
            db.execute("UPDATE mock_state SET config_changes = '{}', generation = generation + 1 WHERE id = 1")
            return True

    @property
    def team(self) -> bool:
        """Whether servers of a team share this database (``Database.team``): they keep their runs alive."""
        return self._database.team

    def keep_run_alive(self) -> None:
        """Say that this process's run is alive (every ``RUN_BEAT_SECONDS``, ``MockRuntime.start_housekeeping``)."""
        if self._run_id is None:
            return
        with self.transaction() as db:
            db.execute("UPDATE runs SET seen_at = ? WHERE run_id = ?", (_wall_ms(), self._run_id))

    def end_run(self, run_id: str | None = None) -> None:
        """Run ``run_id`` (this store's, by default) has stopped (its server exited): a server started from now
        on does not join it."""
        ended = run_id or self._run_id
        if ended is None:
            return
        with self.transaction() as db:
            db.execute("UPDATE runs SET seen_at = 0 WHERE run_id = ?", (ended,))

    def advance_clock(self, milliseconds: int) -> int:
        with self.transaction() as db:
            self._state_known = None  # read the state again after this change
            value: int = db.execute(
                "UPDATE mock_state SET clock_ms = clock_ms + ? WHERE id = 1 RETURNING clock_ms", (milliseconds,)
            ).fetchone()[0]
            return value

    def clock_ms(self) -> int:
        with self._database.read() as db:
            value: int = db.execute("SELECT clock_ms FROM mock_state WHERE id = 1").fetchone()[0]
            return value

    def set_config_changes(self, changes: Mapping[str, Any]) -> None:
        with self.transaction() as db:
            self._state_known = None  # read the state again after this change
            db.execute(
                "UPDATE mock_state SET config_changes = ?, generation = generation + 1 WHERE id = 1",
                (json.dumps(dict(changes), sort_keys=True),),
            )

    def reset(self) -> None:
        """Forget tasks, deliveries, the journal and run-time changes; rewind the virtual clock.

        The id sequence is kept, so a task id is never handed out twice.
        """
        with self._journal_write_lock:
            with self._journal_lock:
                self._journal_pending = []
            with self.transaction() as db:
                # Whole, or not at all for creates: one committed between two of the deletes would keep its task
                # and lose its place among the running (``Database.exclusive``).
                self._database.exclusive(db)
                for table in _FORGOTTEN_AT_RESET:
                    db.execute(f"DELETE FROM {table}")
                self._state_known = None  # read the state again after this change
                db.execute(
                    "UPDATE mock_state SET clock_ms = ?, config_changes = '{}', generation = generation + 1 "
                    "WHERE id = 1",
                    (self._clock_start_ms,),
                )

    # -- tasks --------------------------------------------------------------------------------------

    def has_free_slot(self, db: Connection, account: str, now_ms: int, limit: int) -> bool:
        """Whether fewer than ``limit`` of the account's tasks are unfinished at ``now_ms`` (in a write transaction,
        which from here on keeps every other create of the account waiting: ``lock_account``).

        Not a COUNT over the account's tasks, which grows with them: triggers keep a count of its rows in
        ``running`` (schema.sql). That count is never below the truth (a finished task stays until dropped),
        so below the limit it answers at once; at the limit the tasks seen finished are dropped (each once)
        and the count read again.
        """
        self.lock_account(db, account)
        if Store._running(db, account) < limit:
            return True
        db.execute("DELETE FROM running WHERE account = ? AND finished_at <= ?", (account, now_ms))
        return Store._running(db, account) < limit

    def lock_account(self, db: Connection, account: str) -> None:
        """Keep this write transaction apart from every other one of ``account`` (``Database.lock``)."""
        self._database.lock(db, f"account {account}")

    def lock_recorded(self, db: Connection, recorded_id: str) -> None:
        """Keep this write transaction apart from every other that replays ``recorded_id``, whatever its account
        (taken after the account's: always in that order)."""
        self._database.lock(db, f"recorded {recorded_id}")

    @staticmethod
    def _running(db: Connection, account: str) -> int:
        row = db.execute("SELECT tasks FROM running_count WHERE account = ?", (account,)).fetchone()
        return int(row[0]) if row else 0

    def next_seq(self, db: Connection) -> int:
        """The sequence number of the task about to be inserted (inside a write transaction)."""
        return self._database.next_seq(db, "tasks")

    def skip_seqs(self, table: str, up_to: int) -> None:
        """Hand out no sequence number of ``table`` (``tasks``, ``sessions``, ``audios``) up to ``up_to``: the ids
        a replayed recording holds are never simulated."""
        assert table in ("tasks", "sessions", "audios"), table  # a name, never data
        with self.transaction() as db:
            self._database.skip_seqs(db, table, up_to)

    @staticmethod
    def insert_task(db: Connection, values: Mapping[str, Any]) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        seq: int = db.execute(
            f"INSERT INTO tasks ({columns}) VALUES ({marks}) RETURNING seq", tuple(values.values())
        ).fetchone()[0]
        return seq

    @staticmethod
    def insert_deliveries(db: Connection, task_seq: int, planned: Sequence[tuple[str, int, str]]) -> None:
        db.executemany(
            "INSERT INTO deliveries (task_seq, status, due_at, next_attempt_at, message_id) VALUES (?, ?, ?, ?, ?)",
            [(task_seq, status, due, due, message_id) for status, due, message_id in planned],
        )

    def get_task(self, account: str, seq: int, family: str) -> TaskRow | None:
        """The account's task ``seq`` of ``family`` (another family's task is not found there)."""
        with self._database.read() as db:
            row: TaskRow | None = db.execute(
                f"SELECT {_SHOWN} FROM tasks WHERE seq = ? AND account = ? AND family = ?", (seq, account, family)
            ).fetchone()
            return row

    def list_tasks(self, account: str, family: str, limit: int, offset: int) -> list[TaskRow]:
        """A page of the account's tasks of ``family``, newest first."""
        with self._database.read() as db:
            return db.execute(
                f"SELECT {_SHOWN} FROM tasks WHERE account = ? AND family = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
                (account, family, limit, offset),
            ).fetchall()

    def get_task_by_external_id(self, account: str, external_task_id: str, family: str) -> TaskRow | None:
        """The account's task of ``family`` created with ``external_task_id``."""
        with self._database.read() as db:
            row: TaskRow | None = db.execute(
                f"SELECT {_SHOWN} FROM tasks WHERE account = ? AND external_task_id = ? AND family = ?",
                (account, external_task_id, family),
            ).fetchone()
            return row

    def get_task_by_recorded_id(self, account: str, recorded_id: str, family: str) -> TaskRow | None:
        """The account's replayed task of ``family`` that answers to ``recorded_id`` (mock --replay)."""
        with self._database.read() as db:
            row: TaskRow | None = db.execute(
                f"SELECT {_SHOWN} FROM tasks WHERE recorded_id = ? AND account = ? AND family = ?",
                (recorded_id, account, family),
            ).fetchone()
            return row

    @staticmethod
    def recorded_id_taken(db: Connection, recorded_id: str) -> bool:
        return db.execute("SELECT 1 FROM tasks WHERE recorded_id = ?", (recorded_id,)).fetchone() is not None

    def replay_use(self, key: str) -> int:
        """How many times the recorded answers ``key`` were given before this one (and count this one)."""
        with self.transaction() as db:
            row = db.execute(
                "INSERT INTO replay_uses (key, uses) VALUES (?, 1) "
                "ON CONFLICT (key) DO UPDATE SET uses = replay_uses.uses + 1 RETURNING uses",
                (key,),
            ).fetchone()
            return int(row[0]) - 1

    @staticmethod
    def external_id_taken(db: Connection, account: str, external_task_id: str) -> bool:
        row = db.execute(
            "SELECT 1 FROM tasks WHERE account = ? AND external_task_id = ?", (account, external_task_id)
        ).fetchone()
        return row is not None

    def task_by_result_video(self, video_id: str) -> TaskRow | None:
        with self._database.read() as db:
            row: TaskRow | None = db.execute("SELECT * FROM tasks WHERE result_video_id = ?", (video_id,)).fetchone()
            return row

    def all_tasks(
        self,
        now_ms: int,
        *,
        limit: int,
        offset: int,
        status: str | None = None,
        match: Mapping[str, str] | None = None,
    ) -> tuple[list[TaskRow], int]:
        """A page of every account's tasks, newest first, and how many match in all.

        ``status``: the status at ``now_ms``; ``match``: columns (``account``, ``family``, ``scenario``) and
        the values they must equal. Rows have the rendered columns plus ``scenario``.
        """
        values: dict[str, Any] = {"now": now_ms, "status": status, "limit": limit, "offset": offset}
        conditions = [_STATUS_AT[status]] if status is not None else []
        for column, value in (match or {}).items():
            if column not in ("account", "family", "scenario"):
                raise ValueError(f"tasks are not filtered by {column}")
            conditions.append(f"{column} = :{column}")
            values[column] = value
        where = " AND ".join(conditions) or "TRUE"
        with self.transaction(write=False) as db:  # one snapshot: the page and the total agree
            rows = db.execute(
                f"SELECT {_SHOWN}, scenario FROM tasks WHERE {where} ORDER BY seq DESC LIMIT :limit OFFSET :offset",
                values,
            ).fetchall()
            total: int = db.execute(f"SELECT COUNT(*) FROM tasks WHERE {where}", values).fetchone()[0]
        return rows, total

    def any_task(self, db: Connection, seq: int) -> TaskRow | None:
        """Task ``seq`` of whichever account and family, with ``scenario`` and ``callback_url``; in a write
        transaction, which from here on keeps every other change of the task waiting (``Database.row_lock``)."""
        row: TaskRow | None = db.execute(
            f"SELECT {_SHOWN}, scenario, callback_url FROM tasks WHERE seq = ?{self._database.row_lock}", (seq,)
        ).fetchone()
        return row

    @staticmethod
    def rewrite_timeline(db: Connection, seq: int, timeline: TaskTimeline) -> None:
        """Give task ``seq`` another plan (its creation time stays)."""
        db.execute(
            "UPDATE tasks SET processing_at = ?, finished_at = ?, outcome = ?, failure_message = ? WHERE seq = ?",
            (timeline.processing_at, timeline.finished_at, timeline.outcome, timeline.failure_message, seq),
        )

    @staticmethod
    def replan_deliveries(
        db: Connection, seq: int, announced: Sequence[tuple[str, int]], message_id: Callable[[], str]
    ) -> None:
        """Make task ``seq``'s callbacks announce ``announced`` (``(status, at)``), keeping what was sent.

        A delivery tried at least once and finished (delivered, failed, blocked) stays in the log, and so does
        a pending one that ``announced`` still has at the same time (its retries go on). Other pending ones
        announce what no longer happens: they go. A status of ``announced`` no delivery covers gets one.
        """
        wanted = set(announced)
        covered: set[str] = set()
        stale: list[tuple[int]] = []
        for row in db.execute("SELECT id, status, due_at, state FROM deliveries WHERE task_seq = ?", (seq,)):
            if row["state"] == "pending" and (row["status"], row["due_at"]) not in wanted:
                stale.append((row["id"],))
            else:
                covered.add(row["status"])
        db.executemany("DELETE FROM deliveries WHERE id = ?", stale)
        Store.insert_deliveries(db, seq, [(s, at, message_id()) for s, at in announced if s not in covered])

    def count_tasks(self) -> int:
        with self._database.read() as db:
            count: int = db.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
            return count

    # -- scenarios defined at run time ------------------------------------------------------------

    def define_scenario(self, name: str, definition: Mapping[str, Any]) -> None:
        """Store (or replace) a scenario; the generation moves, so every worker reloads the scenarios."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO scenarios (name, definition) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition",
                (name, json.dumps(dict(definition), sort_keys=True)),
            )
            self._state_known = None  # read the state again after this change
            db.execute("UPDATE mock_state SET generation = generation + 1 WHERE id = 1")

    def forget_scenario(self, name: str) -> bool:
        with self.transaction() as db:
            gone = db.execute("DELETE FROM scenarios WHERE name = ?", (name,)).rowcount > 0
            if gone:
                self._state_known = None  # read the state again after this change
                db.execute("UPDATE mock_state SET generation = generation + 1 WHERE id = 1")
            return gone

    def defined_scenarios(self) -> dict[str, Any]:
        """Every scenario defined at run time: name -> its JSON definition."""
        with self._database.read() as db:
            rows = db.execute("SELECT name, definition FROM scenarios").fetchall()
        rows.sort(key=lambda row: row["name"])  # by code point: PostgreSQL's ORDER BY would follow its locale
        return {row["name"]: json.loads(row["definition"]) for row in rows}

    def count_poll(self, seq: int) -> int:
        """Count one more query of task ``seq``; the number of this one (from 1)."""
        with self.transaction() as db:
            count: int = db.execute(
                "UPDATE tasks SET polls = polls + 1 WHERE seq = ? RETURNING polls", (seq,)
            ).fetchone()[0]
            return count

    # -- sessions and media ------------------------------------------------------------------------

    def _insert(self, table: str, values: Mapping[str, Any]) -> int:
        """Insert a row of ``table`` (a name of this module's, never data); its sequence number."""
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with self.transaction() as db:
            seq: int = db.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING seq", tuple(values.values())
            ).fetchone()[0]
        return seq

    def insert_session(self, values: Mapping[str, Any]) -> int:
        """Store a session; returns its sequence number (its id is derived from it)."""
        return self._insert("sessions", values)

    def get_session(self, seq: int) -> Row | None:
        with self._database.read() as db:
            row: Row | None = db.execute("SELECT * FROM sessions WHERE seq = ?", (seq,)).fetchone()
            return row

    def insert_audio(self, values: Mapping[str, Any]) -> int:
        """Store a text-to-speech audio; returns its sequence number (its ids are derived from it)."""
        return self._insert("audios", values)

    def get_audio(self, seq: int) -> Row | None:
        with self._database.read() as db:
            row: Row | None = db.execute("SELECT * FROM audios WHERE seq = ?", (seq,)).fetchone()
            return row

    def register_media(self, kind: str, key: str, duration_ms: int, faces: str | None, sound: bool = False) -> None:
        """Tell the mock how long a video or audio is (and a video's faces, whether it has sound); a later
        registration replaces it."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO media (kind, key, duration_ms, faces, sound) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, key) DO UPDATE SET duration_ms = excluded.duration_ms, faces = excluded.faces, "
                "sound = excluded.sound",
                (kind, key, duration_ms, faces, int(sound)),
            )

    # -- what results are made of, and the results made (results.py) ---------------------------------------

    @staticmethod
    def insert_blob(db: Connection, sha256: str, data: bytes) -> None:
        """Keep audio a task's result needs (inside the create's transaction: a refused create keeps none)."""
        db.execute("INSERT INTO blobs (sha256, data) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING", (sha256, data))

    def blob(self, sha256: str) -> bytes | None:
        return self._bytes("SELECT data FROM blobs WHERE sha256 = ?", sha256)

    def put_result_file(self, name: str, data: bytes) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO results (name, data) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", (name, data))

    def result_file(self, name: str) -> bytes | None:
        return self._bytes("SELECT data FROM results WHERE name = ?", name)

    def _bytes(self, query: str, key: str) -> bytes | None:
        with self._database.read() as db:
            row = db.execute(query, (key,)).fetchone()
        return bytes(row[0]) if row is not None else None

    def media(self, kind: str, key: str) -> Row | None:
        with self._database.read() as db:
            row: Row | None = db.execute("SELECT * FROM media WHERE kind = ? AND key = ?", (kind, key)).fetchone()
            return row

    def registered_media(self) -> list[Row]:
        with self._database.read() as db:
            rows = db.execute("SELECT * FROM media").fetchall()
        return sorted(rows, key=lambda row: (row["kind"], row["key"]))  # by code point, as defined_scenarios

    # -- callbacks ----------------------------------------------------------------------------------

    def claim_due_deliveries(self, now_ms: int, wall_ms: int, lease_ms: int, limit: int = 50) -> list[Row]:
        """Take due deliveries for this process; a claim expires after ``lease_ms`` of wall time. Another process
        claiming at the same moment takes others (``Database.claim_lock``)."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT d.*, t.* , d.status AS delivery_status FROM deliveries d JOIN tasks t ON t.seq = d.task_seq "
                "WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND d.claimed_until <= ? "
                f"ORDER BY d.next_attempt_at, d.id LIMIT ?{self._database.claim_lock}",
                (now_ms, wall_ms, limit),
            ).fetchall()
            db.executemany(
                "UPDATE deliveries SET claimed_until = ? WHERE id = ?",
                [(wall_ms + lease_ms, row["id"]) for row in rows],
            )
            return rows

    def renew_claim(self, delivery_id: int, claimed_until: int, until: int) -> bool:
        """Extend this process's claim of a delivery (it holds it while ``claimed_until`` is what it set) to
        ``until``; False if its claim lapsed and the delivery is no longer its own to send."""
        with self.transaction() as db:
            renewed: int = db.execute(
                "UPDATE deliveries SET claimed_until = ? WHERE id = ? AND claimed_until = ? AND state = 'pending'",
                (until, delivery_id, claimed_until),
            ).rowcount
            return renewed == 1

    def finish_attempt(
        self,
        delivery_id: int,
        *,
        attempt: Mapping[str, Any],
        state: str,
        next_attempt_at: int,
    ) -> None:
        """Log one attempt and move the delivery on (delivered, failed, blocked, or pending again)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, state = ?, next_attempt_at = ?, claimed_until = 0 "
                "WHERE id = ?",
                (state, next_attempt_at, delivery_id),
            )
            columns = ", ".join(attempt)
            marks = ", ".join("?" for _ in attempt)
            db.execute(f"INSERT INTO delivery_attempts ({columns}) VALUES ({marks})", tuple(attempt.values()))

    def delivery_attempts(self, limit: int, *, newest_first: bool = False) -> list[Row]:
        """The first ``limit`` callback attempts, by id (oldest first, or newest first)."""
        order = "DESC" if newest_first else "ASC"
        with self._database.read() as db:
            return db.execute(f"SELECT * FROM delivery_attempts ORDER BY id {order} LIMIT ?", (limit,)).fetchall()

    def pending_deliveries(self) -> int:
        with self._database.read() as db:
            count: int = db.execute("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'").fetchone()[0]
            return count

    # -- journal ------------------------------------------------------------------------------------

    def journal_append(self, entry: JournalEntry, keep: int) -> None:
        """Queue a journal entry; entries reach the database in batches (see ``flush_journal``).

        Writing each request's entry in a transaction of its own would make every query a write and put
        the workers in line for SQLite's write lock; a batch every quarter second costs one.
        """
        with self._journal_lock:
            self._journal_pending.append(entry)
            self._journal_keep = keep
            due = len(self._journal_pending) >= _JOURNAL_BATCH or time.monotonic() >= self._journal_flush_at
        if due:
            with contextlib.suppress(*self.errors):  # the request's answer stands; its entry waits (flush_journal)
                self.flush_journal()

    def flush_journal(self) -> None:
        """Write the queued journal entries and drop the oldest beyond the newest ``keep``."""
        with self._journal_write_lock:
            with self._journal_lock:
                pending, self._journal_pending = self._journal_pending, []
                self._journal_flush_at = time.monotonic() + _JOURNAL_FLUSH_SECONDS
                keep = self._journal_keep
            if not pending:
                return
            try:
                with self.transaction() as db:
                    # Batches of every process in line: ids are handed out at the insert, and a reader that saw
                    # id N must never see a smaller one appear later (``since``: "only what is new").
                    self._database.lock(db, "journal")
                    _insert_journal(db, pending, self.errors)
                    last = db.execute("SELECT MAX(id) FROM journal").fetchone()[0] or 0
                    if last > keep:
                        db.execute("DELETE FROM journal WHERE id <= ?", (last - keep,))
            except self.errors:
                # The database is away (PostgreSQL restarting): the entries wait for the next flush.
                with self._journal_lock:
                    self._journal_pending = (pending + self._journal_pending)[-keep:]
                raise

    def journal(
        self, limit: int, since_id: int = 0, *, newest_first: bool = False, match: Mapping[str, Any] | None = None
    ) -> list[Row]:
        """Journal entries after ``since_id`` whose columns equal ``match``, by id (this process's queue first)."""
        where, values = _journal_where(match or {}, since_id)
        self.flush_journal()
        with self._database.read() as db:
            return db.execute(
                f"SELECT * FROM journal WHERE {where} ORDER BY id {'DESC' if newest_first else 'ASC'} LIMIT ?",
                (*values, limit),
            ).fetchall()

    def count_journal(self, match: Mapping[str, Any] | None = None) -> int:
        """How many journal entries have columns equal to ``match`` (this process's queue first)."""
        where, values = _journal_where(match or {})
        self.flush_journal()
        with self._database.read() as db:
            count: int = db.execute(f"SELECT COUNT(*) FROM journal WHERE {where}", values).fetchone()[0]
            return count


def _insert_journal(db: Connection, entries: list[JournalEntry], errors: tuple[type[BaseException], ...]) -> None:
    """Write ``entries`` in one statement; if one cannot be written, every other still is (never the batch lost),
    and that one with what its text cannot hold replaced (a NUL for PostgreSQL, a lone surrogate for either).

    Bodies are parsed strictly before they are kept, so this is the last guard, not the rule. Each try has a
    savepoint of its own: after an error PostgreSQL takes no statement until the transaction rolls back to one.
    """
    if _tried(db, "journal_batch", entries, errors):
        return
    for entry in entries:
        if not _tried(db, "journal_entry", [entry], errors):
            _tried(db, "journal_entry", [JournalEntry(*(_printable(value) for value in entry))], errors)


def _tried(
    db: Connection, savepoint: str, entries: list[JournalEntry], errors: tuple[type[BaseException], ...]
) -> bool:
    """Write ``entries`` under a savepoint; on one of ``errors`` undo it and answer False."""
    db.execute(f"SAVEPOINT {savepoint}")
    try:
        db.executemany(_JOURNAL_INSERT, entries)
    except errors:
        db.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
        db.execute(f"RELEASE SAVEPOINT {savepoint}")
        return False
    db.execute(f"RELEASE SAVEPOINT {savepoint}")
    return True


def _printable(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _journal_where(match: Mapping[str, Any], since_id: int = 0) -> tuple[str, tuple[Any, ...]]:
    """A WHERE clause for entries after ``since_id`` whose named columns equal the values of ``match``.

    Column names are checked against the journal's own, so a name never reaches the SQL unchecked.
    """
    unknown = set(match) - set(_JOURNAL_COLUMNS)
    if unknown:
        raise ValueError(f"not journal columns: {', '.join(sorted(unknown))}")
    conditions = ["id > ?", *(f'"{column}" = ?' for column in match)]
    return " AND ".join(conditions), (since_id, *match.values())


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
