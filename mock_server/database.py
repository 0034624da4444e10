"""Where the mock keeps its state: a SQLite file (the default: one host) or a PostgreSQL database (a mock that
several servers on several hosts share). ``store.py`` says what is kept and writes its SQL once, in the subset
both speak; a ``Database`` answers for what they do differently: how it is opened and laid out, how a write
transaction is taken, how ids are handed out, how creates of one account and claims of callbacks are kept
apart when several processes write at once.

- ``sqlite.py``: the file, opened in WAL mode; one writer at a time (``BEGIN IMMEDIATE``) keeps every write
  apart, so the locks below cost nothing there.
- ``postgres.py``: psycopg 3 and a connection pool per process; writers run side by side, so a create
  takes its account's advisory lock (the 1303 count and external ids), and a callback claim skips the rows
  another server is claiming (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

__all__ = [
    "SCHEMA_VERSION",
    "Connection",
    "Database",
    "DatabaseRefused",
    "Row",
    "is_postgresql",
    "layout_refusal",
    "open_database",
    "shown_url",
]

#: The layout of the mock's tables, the same in both stores; a database of an older layout is upgraded at
#: start (a new layout brings its steps for both: ``sqlite.py``'s ``_upgrade_before``/``_upgrade_after`` and
#: ``postgres.py``'s ``MIGRATIONS``), one of a newer layout refused. 2: task families; 3: advanced lip-sync's
#: sessions, registered media, external task ids; 4: run-time scenarios, poll counts; 5: the headers of each
#: callback attempt; 6: ``tasks.kind`` named ``family``, the running tasks counted; 7: replayed tasks,
#: ``tasks.recorded_id`` and ``tasks.recording``; 8: text-to-speech ``audios``, results with their length and
#: sound; 9: ``journal.server``, which server answered, and ``runs``, every run that opened the database.
SCHEMA_VERSION = 9


class DatabaseRefused(RuntimeError):
    """A database the mock cannot use (unreachable, another layout, a driver missing); one line that names the fix."""


class Row(Protocol):
    """A row read by either store: by column name or position (``sqlite3.Row`` and ``postgres.Row``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What ``store.py`` writes its SQL to: ``?`` and ``:name`` placeholders, as ``sqlite3`` takes them."""

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Any, /) -> Any: ...


class Database(Protocol):
    """One store's database, for one process (each process after a fork opens its own connections)."""

    #: Shown in messages, its password hidden.
    url: str
    #: Other processes may change it: its state is read again at every request (everything but ``:memory:``).
    shared: bool
    #: The driver's errors that a statement can raise for bad data or a lost connection.
    errors: tuple[type[BaseException], ...]
    #: Appended to the callback claim's SELECT: how claims by several processes stay apart.
    claim_lock: str
    #: Appended to a SELECT of rows a write transaction is about to change: another writer waits for it.
    row_lock: str
    #: Servers of one team use it at once, each started on its own (PostgreSQL): a server that starts while
    #: another is alive joins its run rather than starting a new one (``Store.begin_run``).
    team: bool

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Connection]:
        """Statements that commit together; ``write`` takes what a write needs at once."""
        ...

    def read(self) -> AbstractContextManager[Connection]:
        """A connection for one or more reads that need not agree with each other."""
        ...

    def next_seq(self, db: Connection, table: str) -> int:
        """The sequence number the next row of ``table`` gets (in a write transaction); never handed out twice."""
        ...

    def skip_seqs(self, db: Connection, table: str, up_to: int) -> None:
        """Hand out no sequence number of ``table`` up to ``up_to``."""
        ...

    def lock(self, db: Connection, name: str) -> None:
        """Keep this write transaction apart from every other one that takes ``name``, and from a reset
        (``exclusive``), until it ends. Taken first in its transaction, before it writes anything."""
        ...

    def exclusive(self, db: Connection) -> None:
        """Keep every write transaction that takes a ``lock`` (creates, journal batches, runs) waiting until this
        one ends, and wait for those under way; reads go on."""
        ...

    def close(self) -> None: ...


def is_postgresql(url: str) -> bool:
    """Whether ``--db`` names a PostgreSQL database (a URL) rather than a SQLite file."""
    return url.startswith(("postgresql://", "postgres://"))


def shown_url(url: str) -> str:
    """``url`` with its password (``user:password@``, or ``?password=``) replaced by ``***``, for messages and
    ``GET /__mock__/config``."""
    if not is_postgresql(url):
        return url
    scheme, _, rest = url.partition("://")
    where, question, query = rest.partition("?")
    credentials, at, host = where.rpartition("@")
    if at and ":" in credentials:
        where = f"{credentials.split(':', 1)[0]}:***@{host}"
    if question:
        pairs = query.split("&")
        query = "&".join("password=***" if pair.lower().startswith("password=") else pair for pair in pairs)
    return f"{scheme}://{where}{question}{query}"


def layout_refusal(where: str, version: int) -> str:
    """Why a database of layout ``version`` is not used (the same words for both stores)."""
    if version > SCHEMA_VERSION:
        return (
            f"{where} holds the mock's data in a newer layout (version {version}; this mock knows up to "
            f"{SCHEMA_VERSION}): upgrade kling-lipsync, or start the mock on a new database"
        )
    return (
        f"{where} holds the mock's data in another layout (version {version}, now {SCHEMA_VERSION}): "
        "start the mock on a new database"
    )


def open_database(url: str, *, prepared: bool = False) -> Database:
    """The database ``url`` names: a PostgreSQL URL, a SQLite file, or ``:memory:``; laid out and up to date.

    ``prepared``: this server's launcher laid it out already, so a PostgreSQL database is not reached until
    it is used (a worker that starts while the database is away starts all the same). Raises
    ``DatabaseRefused`` when it cannot be used."""
    if is_postgresql(url):
        from .postgres import PostgresDatabase  # psycopg is an extra: only a PostgreSQL URL needs it

        return PostgresDatabase(url, lay_out=not prepared)
    from .sqlite import SQLiteDatabase

    return SQLiteDatabase(url)
