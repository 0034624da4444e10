"""The SQLite file every worker of a mock shares: opened in WAL mode, laid out by ``schema.sql``, upgraded from
the layouts it can be, locked for writing in short steps.

``store.py`` says what the mock keeps in it; this module only how the file is opened and written safely while
other processes open and write it too.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

__all__ = ["SCHEMA_VERSION", "UPGRADABLE", "begin_write", "open_database"]

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
#: The layout of schema.sql; a file of another layout is refused, never half-read (2: task families;
#: 3: advanced lip-sync's sessions, registered media, external task ids; 4: run-time scenarios, poll counts;
#: 5: the headers of each callback attempt; 6: ``tasks.kind`` named ``family``, the running tasks counted;
#: 7: replayed tasks, ``tasks.recorded_id`` and ``tasks.recording``; 8: text-to-speech ``audios``, results
#: with their length and sound: ``tasks.result_ms`` and ``tasks.sound``, ``media.sound``, ``blobs``, ``results``).
SCHEMA_VERSION = 8
#: Layouts a file is brought up to date from when opened (``_upgrade_before`` and ``_upgrade_after``).
UPGRADABLE = frozenset({5, 6, 7})


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
    columns of replayed tasks. 7 to 8: the columns of results (schema.sql adds the new tables)."""
    if version == 5:
        db.execute("ALTER TABLE tasks RENAME COLUMN kind TO family")
        db.execute("DROP INDEX IF EXISTS tasks_in_flight")
    if version in (5, 6):
        db.execute("ALTER TABLE tasks ADD COLUMN recorded_id TEXT")
        db.execute("ALTER TABLE tasks ADD COLUMN recording TEXT")
    db.execute("ALTER TABLE tasks ADD COLUMN result_ms INTEGER")
    db.execute("ALTER TABLE tasks ADD COLUMN sound TEXT")
    db.execute("ALTER TABLE media ADD COLUMN sound INTEGER NOT NULL DEFAULT 0")


def _upgrade_after(db: sqlite3.Connection, version: int) -> None:
    """Once schema.sql made the tables. 5 to 6: every task counts as running until seen finished."""
    if version == 5:
        db.execute("INSERT INTO running (seq, account, finished_at) SELECT seq, account, finished_at FROM tasks")


def open_database(path: str) -> sqlite3.Connection:
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
            raise sqlite3.DatabaseError(
                f"{path} holds the mock's data in another layout (version {version}, now "
                f"{SCHEMA_VERSION}): start the mock on a new file"
            )
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
