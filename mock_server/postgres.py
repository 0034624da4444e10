"""A PostgreSQL database that several servers, on several hosts, share as one mock: psycopg 3, a connection pool
per process, ``schema-postgresql.sql`` laid out (and upgraded) once by whichever server starts first.

How several writers stay apart (SQLite has one writer at a time, so ``store.py`` needed no locks of its own):

- **A create takes its account's advisory lock** (``pg_advisory_xact_lock``, held until the transaction ends):
  the 1303 count of an account's running tasks and the check that an ``external_task_id`` is free then see
  every create of that account before it, whichever server made it. Creates of other accounts do not wait.
  A row lock could not do it: the first create of an account has no row to lock yet, and SERIALIZABLE would
  make concurrent creates fail and be retried rather than wait in line.
- **A callback claim skips what another server is claiming** (``FOR UPDATE OF d SKIP LOCKED``): two servers
  looking for due callbacks at once take different rows, and a row claimed meanwhile is checked again
  (PostgreSQL re-reads a locked row's new version), so a callback is claimed by one server only.
- Ids come from each table's identity sequence (``nextval``), which never hands a number out twice.
- Everything else is one statement, or guarded by its row: the clock (``UPDATE ... RETURNING``), polls,
  scenarios, replay counts (``INSERT ... ON CONFLICT``).

A lost connection (the database restarted) fails the request it served, with the 5000 envelope, and the
pool opens a new one: the servers recover without a restart of their own.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .database import SCHEMA_VERSION, Connection, DatabaseRefused, layout_refusal, shown_url

try:
    import psycopg
    import psycopg_pool
    from psycopg.adapt import Dumper
    from psycopg.rows import RowMaker
except ImportError:  # pragma: no cover - the extra is missing
    raise DatabaseRefused("a PostgreSQL --db needs psycopg: pip install 'kling-lipsync[postgresql]'") from None

__all__ = ["MIGRATIONS", "PostgresDatabase", "Row"]

_SCHEMA = Path(__file__).with_name("schema-postgresql.sql").read_text(encoding="utf-8")
#: Statements that bring a database of layout N up to N + 1, run before the schema's statements (which only
#: create what is missing). PostgreSQL's first layout is 9: the store came with it.
MIGRATIONS: Mapping[int, Sequence[str]] = {}
#: Any number, the same for every server: the lock under which one of them lays the tables out.
_LAYOUT_LOCK = 0x4B4C494E47  # "KLING"
#: A reset holds it alone; every named lock (``lock``) holds it shared.
_RESET_LOCK = 0x4B52455345  # "KRESE"
#: How long a request waits for a connection from the pool, and a new connection to open, before it is answered
#: 5000: a database that is down turns into errors in seconds, never into requests hanging.
_WAIT_SECONDS = 5.0


class Row:
    """A row by column name or position, as ``sqlite3.Row``; a name given twice answers its first column."""

    __slots__ = ("_index", "_values")

    def __init__(self, values: Sequence[Any], index: Mapping[str, int]) -> None:
        self._values = values
        self._index = index

    def __getitem__(self, key: int | str) -> Any:
        if type(key) is str:
            return self._values[self._index[key]]
        return self._values[key]  # type: ignore[index]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=False))!r})"


def _rows(cursor: Any) -> RowMaker[Row]:
    index: dict[str, int] = {}
    for number, column in enumerate(cursor.description or ()):
        index.setdefault(column.name, number)

    def make(values: Sequence[Any]) -> Row:
        return Row(values, index)

    return make


class _BoolDumper(Dumper):
    """``True`` as 1: the mock's flags are integer columns, as SQLite keeps them."""

    oid = psycopg.postgres.types["int8"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


_PLACEHOLDER = re.compile(r"%|\?|(?<!:):([A-Za-z_][A-Za-z0-9_]*)")
_translated: dict[str, str] = {}


def _translate(sql: str) -> str:
    """``store.py``'s SQL (``?`` and ``:name``, as sqlite3 takes them) in psycopg's placeholders; kept once made."""
    done = _translated.get(sql)
    if done is None:

        def replace(found: re.Match[str]) -> str:
            if found.group(0) == "%":
                return "%%"
            if found.group(0) == "?":
                return "%s"
            return f"%({found.group(1)})s"

        done = _translated[sql] = _PLACEHOLDER.sub(replace, sql)
    return done


def _text(parameters: Any) -> Any:
    """``parameters`` as PostgreSQL's text can hold them: a NUL (text the spec allows, which SQLite keeps) as
    U+FFFD, stored and matched alike (docs/team.md)."""
    values = parameters.values() if isinstance(parameters, Mapping) else parameters
    if not any(type(value) is str and "\x00" in value for value in values):
        return parameters
    if isinstance(parameters, Mapping):
        return {name: _nul_free(value) for name, value in parameters.items()}
    return [_nul_free(value) for value in parameters]


def _nul_free(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if type(value) is str else value


class _Connection:
    """A pooled psycopg connection that takes ``store.py``'s SQL."""

    __slots__ = ("_connection",)

    def __init__(self, connection: psycopg.Connection[Row]) -> None:
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> psycopg.Cursor[Row]:
        return self._connection.execute(_translate(sql), _text(parameters))

    def executemany(self, sql: str, parameters: Any) -> psycopg.Cursor[Row]:
        cursor = self._connection.cursor()
        cursor.executemany(_translate(sql), [_text(row) for row in parameters])
        return cursor


class _Reading(_Connection):
    """``PostgresDatabase.read()``: autocommit reads on a pooled connection; the first that finds it dead (the
    database restarted since it was last used) is sent again on another (``PostgresDatabase._connection``)."""

    __slots__ = ("_database", "_proven", "_returned")

    def __init__(self, database: PostgresDatabase) -> None:
        super().__init__(database.pool().getconn())
        self._database = database
        self._proven = False
        #: The connection went back to the pool and no other came (the pool timed out): nothing to release.
        self._returned = False

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> psycopg.Cursor[Row]:
        if self._proven:
            return self._connection.execute(_translate(sql), _text(parameters))
        for _ in range(self._database.pool_size):
            try:
                cursor = self._connection.execute(_translate(sql), _text(parameters))
            except psycopg.OperationalError:
                if not self._connection.broken:
                    raise
                self._returned = True
                self._database.pool().putconn(self._connection)  # broken: the pool discards it
                self._database.drop_stale_connections()
                self._connection = self._database.pool().getconn()
                self._returned = False
                continue
            self._proven = True
            return cursor
        return self._connection.execute(_translate(sql), _text(parameters))

    def release(self) -> None:
        if self._returned:
            return
        if self._connection.broken:
            self._database.drop_stale_connections()
        self._database.pool().putconn(self._connection)


#: What bounds a session of the mock's, so that nothing waits for long on a server or a network gone silent:
#: a lock held by a server frozen mid-transaction is released when PostgreSQL ends its session; a create waiting
#: for an account's lock, or any statement, fails (5000) rather than hang.
_SESSION = b"SET idle_in_transaction_session_timeout = '10s'; SET lock_timeout = '10s'; SET statement_timeout = '30s'"
#: TCP keepalives and a send timeout: a connection to a host that vanished (no RST) is found dead in about 20 s
#: rather than at the kernel's retransmission limit (minutes).
_TCP = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 20000,
}


def _configure(connection: psycopg.Connection[Any]) -> None:
    connection.adapters.register_dumper(bool, _BoolDumper)
    connection.execute(_SESSION)


class PostgresDatabase:
    """The mock's tables in a PostgreSQL database named by a ``postgresql://`` URL."""

    shared = True
    claim_lock = " FOR UPDATE OF d SKIP LOCKED"
    row_lock = " FOR UPDATE"
    team = True
    errors: tuple[type[BaseException], ...] = (psycopg.Error, psycopg_pool.PoolTimeout, ValueError)

    def __init__(self, url: str, *, lay_out: bool = True, pool_size: int = 16) -> None:
        """``lay_out``: check the layout now (and make or upgrade it); False for a worker of a server whose
        launcher did, so that a worker started while the database is away still starts (and answers 5000)."""
        self.url = shown_url(url)
        self._conninfo = url
        self.pool_size = pool_size
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Row]] | None = None
        self._pid = 0
        self._pool_lock = threading.Lock()
        self._checking = threading.Lock()
        if lay_out:
            self._lay_out()

    def _lay_out(self) -> None:
        """Create the tables, or upgrade them, or refuse them: once, under a lock every server takes to do it.

        A database already at this layout is left alone: the script's ``CREATE ... IF NOT EXISTS`` would still
        lock the tables for a moment, and every server's start would stall (or deadlock) the others' writes."""
        try:
            with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=int(_WAIT_SECONDS)) as db:
                if _version(db) == SCHEMA_VERSION:
                    return
                with db.transaction():
                    self._lay_out_locked(db)
        except psycopg.Error as unusable:
            first_line = str(unusable).strip().splitlines()[0] if str(unusable).strip() else type(unusable).__name__
            raise DatabaseRefused(f"{self.url}: {first_line}") from None

    def _lay_out_locked(self, db: psycopg.Connection[Any]) -> None:
        db.execute("SELECT pg_advisory_xact_lock(%s)", (_LAYOUT_LOCK,))
        version = _version(db)
        if version is not None and version != SCHEMA_VERSION and version not in MIGRATIONS:
            raise DatabaseRefused(layout_refusal(self.url, version))
        while version is not None and version < SCHEMA_VERSION:
            for statement in MIGRATIONS[version]:
                db.execute(statement.encode())
            version += 1
        db.execute(_SCHEMA.encode())  # bytes: a script, run as it is (no placeholders)
        db.execute(
            "INSERT INTO mock_schema (id, version) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            (SCHEMA_VERSION,),
        )

    def pool(self) -> psycopg_pool.ConnectionPool[psycopg.Connection[Row]]:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._pool_lock:
            if self._pool is None or self._pid != os.getpid():
                # A pool must not cross a fork (its threads stay behind): the child opens its own.
                self._pool = psycopg_pool.ConnectionPool(
                    self._conninfo,
                    min_size=1,
                    max_size=self.pool_size,
                    timeout=_WAIT_SECONDS,
                    # The pool's own retries back off (1 s, 2 s, 4 s ...): after a long outage the next one could
                    # be a minute away. Given up after this long, the next request that waits starts a new one at
                    # once: the servers serve again within seconds of the database's return, however long it was away.
                    reconnect_timeout=_WAIT_SECONDS,
                    kwargs={"autocommit": True, "row_factory": _rows, "connect_timeout": int(_WAIT_SECONDS), **_TCP},
                    configure=_configure,
                    name=f"kling-mock-{os.getpid()}",
                    open=True,
                )
                self._pid = os.getpid()
            return self._pool

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[_Connection]:
        """A write runs at READ COMMITTED (its locks keep it apart); a read sees one snapshot (REPEATABLE READ)."""
        begin = b"BEGIN" if write else b"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        with self._connection(begin) as connection:
            try:
                yield _Connection(connection)
            except BaseException:
                if not connection.broken:
                    connection.execute(b"ROLLBACK")
                raise
            connection.execute(b"COMMIT")

    @contextmanager
    def read(self) -> Iterator[_Connection]:
        reading = _Reading(self)
        try:
            yield reading
        finally:
            reading.release()

    @contextmanager
    def _connection(self, first: bytes) -> Iterator[psycopg.Connection[Row]]:
        """A connection of the pool that answered ``first``.

        After the database restarted, every idle connection of the pool is dead, and the pool learns it only by
        using one. A connection found dead before this request did anything with it is dropped and the next one
        taken (all of them checked, in a thread, at the first such find), so a request that meets the database up
        is answered, whichever worker's pool it reached; one met while it is down fails (5000).
        """
        pool = self.pool()
        for _ in range(self.pool_size + 1):
            connection = pool.getconn()
            try:
                connection.execute(first)
            except psycopg.OperationalError:
                pool.putconn(connection)  # broken: the pool discards it
                self.drop_stale_connections()
                continue
            try:
                yield connection
            finally:
                if connection.broken:
                    self.drop_stale_connections()
                pool.putconn(connection)
            return
        raise psycopg.OperationalError(f"{self.url}: no connection of the pool works")

    def drop_stale_connections(self) -> None:
        """A connection broke (the database restarted): its idle siblings in the pool are broken too, and would
        each fail one more request once the database is back. The pool tests them all now, in a thread of its
        own (this request is answered 5000 at once), and replaces the dead ones."""
        if self._checking.acquire(blocking=False):

            def check() -> None:
                try:
                    self.pool().check()
                finally:
                    self._checking.release()

            threading.Thread(target=check, name="kling-mock-pool-check", daemon=True).start()

    def next_seq(self, db: Connection, table: str) -> int:
        value: int = db.execute(f"SELECT nextval('{_sequence(table)}')").fetchone()[0]
        return value

    def skip_seqs(self, db: Connection, table: str, up_to: int) -> None:
        if up_to < 1:
            return
        sequence = _sequence(table)
        # Moved only forward: set back, it would hand out again what another server's nextval just took.
        db.execute(
            f"SELECT setval('{sequence}', ?) FROM {sequence} WHERE last_value < ? OR NOT is_called", (up_to, up_to)
        )

    def lock(self, db: Connection, name: str) -> None:
        # One statement, one round trip: the reset's lock shared, then the name's. A reset holds the first alone
        # and takes no table lock, so no order of table writes can deadlock with it.
        db.execute(
            "SELECT pg_advisory_xact_lock_shared(?), pg_advisory_xact_lock(hashtextextended(?, 0))", (_RESET_LOCK, name)
        )

    def exclusive(self, db: Connection) -> None:
        db.execute("SELECT pg_advisory_xact_lock(?)", (_RESET_LOCK,))

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None and self._pid == os.getpid():
                self._pool.close()
            self._pool = None


def _version(db: psycopg.Connection[Any]) -> int | None:
    """The layout recorded in the database, None if it has none yet."""
    if db.execute("SELECT to_regclass('mock_schema')").fetchone() == (None,):
        return None
    found = db.execute("SELECT version FROM mock_schema WHERE id = 1").fetchone()
    return int(found[0]) if found else None


def _sequence(table: str) -> str:
    """The identity sequence of ``table`` (a name of ``store.py``'s, never data)."""
    assert table in ("tasks", "sessions", "audios"), table
    return f"{table}_seq_seq"
