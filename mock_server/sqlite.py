"""The SQLite file every worker of a mock on one host shares: opened in WAL mode, laid out by ``schema.sql``,
upgraded from the layouts it can be, written by one process at a time in short steps.

``store.py`` says what the mock keeps in it; this module only how the file is opened and written safely while
other processes open and write it too.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from .database import SCHEMA_VERSION, Connection, DatabaseRefused, layout_refusal

__all__ = ["UPGRADABLE", "SQLiteDatabase", "begin_write", "open_connection"]

_SCHEMA = Path(__file__).with_name("schema.sql").read_text(encoding="utf-8")


def _statements(script: str) -> list[str]:
    """The statements of a SQL script, one by one (``executescript`` would commit each on its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


_SCHEMA_STATEMENTS = _statements(_SCHEMA)

_OPEN_PATIENCE_SECONDS = 30.0
#: Layouts a file is brought up to date from when opened (``_upgrade_before`` and ``_upgrade_after``).
UPGRADABLE = frozenset({5, 6, 7, 8})


def begin_write(db: sqlite3.Connection, patience_seconds: float = 30.0) -> None:
    """Take SQLite's write lock, waiting in steps of 0.1 ms to 5 ms while another process holds it.

    SQLite's own busy handler sleeps in coarse steps (1 ms, 2 ms, 5 ms ... 100 ms), which under load
    turns short waits into long tails.
    """
    pause = 0.0001
    give_up = time.monotonic() + patience_seconds
    while True:
        try:
            db.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > give_up:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.005)


def _switch_to_wal(db: sqlite3.Connection, deadline: float) -> None:
    """``PRAGMA journal_mode=WAL`` on a file other processes are opening at the same moment.

    The switch needs the file to itself, and SQLite answers "database is locked" at once rather than through
    its busy handler when another connection holds it (four forked processes opening one new file hit it
    within 20 tries): so it is tried again, in short steps, until the deadline.
    """
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _upgrade_before(db: sqlite3.Connection, version: int) -> None:
    """Before schema.sql's statements. 5 to 6: ``tasks.kind`` is ``family``; the scan's index goes. 6 to 7: the
    columns of replayed tasks. 7 to 8: the columns of results (schema.sql adds the new tables). 8 to 9: which
    server answered; ``runs`` (schema.sql) replaces ``mock_run``, which knew only the last run."""
    if version == 5:
        db.execute("ALTER TABLE tasks RENAME COLUMN kind TO family")
        db.execute("DROP INDEX IF EXISTS tasks_in_flight")
    if version in (5, 6):
        db.execute("ALTER TABLE tasks ADD COLUMN recorded_id TEXT")
        db.execute("ALTER TABLE tasks ADD COLUMN recording TEXT")
    if version in (5, 6, 7):
        db.execute("ALTER TABLE tasks ADD COLUMN result_ms INTEGER")
        db.execute("ALTER TABLE tasks ADD COLUMN sound TEXT")
        db.execute("ALTER TABLE media ADD COLUMN sound INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE journal ADD COLUMN server TEXT")
    db.execute("DROP TABLE IF EXISTS mock_run")


def _upgrade_after(db: sqlite3.Connection, version: int) -> None:
    """Once schema.sql made the tables. 5 to 6: every task counts as running until seen finished."""
    if version == 5:
        db.execute("INSERT INTO running (seq, account, finished_at) SELECT seq, account, finished_at FROM tasks")


def open_connection(path: str) -> sqlite3.Connection:
    """A connection to ``path`` (a file, or ``:memory:``) with the mock's tables, in autocommit mode."""
    # Opening may race other workers opening the same new file: switching it to WAL and creating the
    # tables take locks, so the connection waits for them (SQLite's busy handler, up to 30 s) ...
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=_OPEN_PATIENCE_SECONDS)
    db.row_factory = sqlite3.Row
    if path != ":memory:" and db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        _switch_to_wal(db, time.monotonic() + _OPEN_PATIENCE_SECONDS)
    # OFF in WAL mode: a commit is written to the WAL (the operating system's cache) and never waits for
    # the disk, so a committed transaction survives a killed process, not a power cut: what a mock needs.
    # NORMAL gives the same for commits but fsyncs at every checkpoint, which SQLite runs inside a
    # COMMIT every 1000 pages: a third of a create's time under load (bench/RESULTS.md).
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA foreign_keys=ON")
    # One transaction for the check, the tables and the version stamp: another worker opening the same
    # new file meanwhile sees either nothing or all of it, never tables without their version.
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_tables = db.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'tasks'").fetchone()[0]
        if has_tables and version != SCHEMA_VERSION and version not in UPGRADABLE:
            raise DatabaseRefused(layout_refusal(path, version))
        upgrading = has_tables and version != SCHEMA_VERSION
        if upgrading:
            _upgrade_before(db, version)
        for statement in _SCHEMA_STATEMENTS:
            db.execute(statement)
        if upgrading:
            _upgrade_after(db, version)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        db.close()
        raise
    # ... and from then on never: waiting for another process's write lock is `begin_write`'s, in short steps.
    db.execute("PRAGMA busy_timeout=0")
    return db


class _Reading:
    """``SQLiteDatabase.read()``: the process's one connection, held under its lock (a class, not a generator:
    a query's answer takes this twice per request)."""

    __slots__ = ("_database",)

    def __init__(self, database: SQLiteDatabase) -> None:
        self._database = database

    def __enter__(self) -> sqlite3.Connection:
        self._database.guard.acquire()
        try:
            return self._database.connection()
        except BaseException:
            self._database.guard.release()
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._database.guard.release()


class SQLiteDatabase:
    """A SQLite file (or ``:memory:``): one connection per process (opened again after a fork), under a lock."""

    errors: tuple[type[BaseException], ...] = (sqlite3.Error, ValueError)  # ValueError: text it cannot take
    # One writer at a time (BEGIN IMMEDIATE): a claim is never another process's claim too.
    claim_lock = ""
    row_lock = ""
    # One host's server: a new run starts anew, even while an earlier one on the file is still alive.
    team = False

    def __init__(self, path: str) -> None:
        self.url = path
        self.shared = path != ":memory:"
        self.guard = threading.RLock()  # one thread at a time on the connection
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        try:
            self.connection()  # laid out (or refused) now, not at the first request
        except sqlite3.DatabaseError as unusable:  # not SQLite, or not a file it can write
            raise DatabaseRefused(str(unusable)) from None
        self._reading = _Reading(self)

    def connection(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            # A connection must not cross a fork: the child opens its own.
            self._connection = open_connection(self.url)
            self._pid = os.getpid()
        return self._connection

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """``write`` takes the write lock at once (BEGIN IMMEDIATE), so what it reads no one changes meanwhile."""
        with self.guard:
            db = self.connection()
            if write:
                begin_write(db)
            else:
                db.execute("BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def read(self) -> _Reading:
        return self._reading

    def next_seq(self, db: Connection, table: str) -> int:
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
        return (row[0] if row else 0) + 1

    def skip_seqs(self, db: Connection, table: str, up_to: int) -> None:
        if db.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).fetchone() is None:
            db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, up_to))
        else:
            db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (up_to, table))

    def lock(self, db: Connection, name: str) -> None:
        """Nothing to take: the write lock (BEGIN IMMEDIATE) already keeps every write apart."""

    def exclusive(self, db: Connection) -> None:
        """Nothing to take: the write lock (BEGIN IMMEDIATE) already keeps every other writer out."""

    def close(self) -> None:
        with self.guard:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None
