"""Store predictions with one INSERT … RETURNING through the database driver itself.

Every caller returns only after its rows are committed, so a prediction that got an id in
a response is in the database whatever process is killed afterwards: on SQLite a commit in
WAL mode is in the file before ``insert`` returns (``synchronous=NORMAL`` risks the last
commits only on power loss, not on a process kill); on PostgreSQL the server has it.

Classify stores a row per call, so this path skips SQLAlchemy's per-statement machinery
(about 0.1 ms a call, as much as the insert itself on SQLite) and speaks the driver's
parameter style directly. The column list and value formats match ``models.Prediction``;
``tests/store/test_writer.py`` reads the rows back through the ORM to keep them in step.

Concurrent callers in one process share transactions (group commit): while one thread
writes, the others queue their rows, and the next thread to get the write lock stores
everything queued in one statement and one commit. A caller still returns only after its
rows are committed, so an id in a response is always an id in the database.

On SQLite the writer keeps one connection and one lock file open for the life of its
process instead of taking them from the pool per call: checking a connection out and back
in (with its reset) and opening the lock file cost more than the insert itself. Only one
thread writes at a time, so one connection is enough; a connection that failed is closed
and replaced on the next call. PostgreSQL connections can go stale (a server restart), so
there the pool, which pings them, hands one out per call.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine

COLUMNS = (
    "project_id",
    "created_at",
    "client_id",
    "model_version",
    "text",
    "text_sha256",
    "label",
    "confidence",
    "probabilities",
    "source",
)
SQLITE_MAX_PARAMETERS = 32_766  # bound parameters in one statement
MAX_ROWS_PER_STATEMENT = SQLITE_MAX_PARAMETERS // len(COLUMNS)


class WriteError(Exception):
    """The database refused or could not take the rows (nothing of them was stored)."""


class _Pending:
    """One caller's rows, waiting to be written by whichever thread writes next."""

    __slots__ = ("error", "ids", "rows", "written")

    def __init__(self, rows: list[list[Any]]) -> None:
        self.rows = rows
        self.ids: list[int] = []
        self.error: BaseException | None = None
        self.written = False


class PredictionWriter:
    """Each ``insert`` returns once its rows are committed."""

    columns: tuple[str, ...] = COLUMNS

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        mark = "?" if self.sqlite else "%s"
        self._group = "(" + ", ".join([mark] * len(self.columns)) + ")"
        self._head = f"INSERT INTO predictions ({', '.join(self.columns)}) VALUES "  # noqa: S608 - constant names; values are bound parameters
        self._max_rows = SQLITE_MAX_PARAMETERS // len(self.columns)
        # PostgreSQL names the ids with RETURNING. On SQLite that doubled the cost of a
        # statement (5.1 against 2.7 ms for 1,000 rows): a multi-row INSERT there gives
        # its rows rowids one above the largest in the table, one after another in VALUES
        # order, while the writer holds SQLite's only write lock, so the ids are the
        # ``rowcount`` integers ending at ``lastrowid`` (``_execute``).
        self._returning = "" if self.sqlite else " RETURNING id"
        self._statements: dict[int, str] = {}
        database = engine.url.database if self.sqlite else None
        self._lock_path = f"{database}.write-lock" if database and database != ":memory:" else None
        # This process's SQLite connection and lock file, opened on first use (after a fork
        # the child opens its own: these belong to the process that opened them).
        self._pid = 0
        self._process_lock = threading.Lock()
        self._conn: Any = None
        self._lock_fd = -1
        self._write_turn = threading.Lock()  # one writing thread per process
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []

    def insert(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` atomically (in a transaction that may also carry other threads'
        rows) and return their ids, in the order of ``rows``, once committed."""
        if not rows:
            return []
        created = self._created(rows)
        mine = _Pending([self._values(row, created) for row in rows])
        with self._queue_lock:
            self._queue.append(mine)
        with self._write_turn:
            if not mine.written:  # nobody took it along while we waited: write the queue
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._write_batch(batch)
        if mine.error is not None:
            if isinstance(mine.error, self.engine.dialect.loaded_dbapi.Error):
                raise WriteError(str(mine.error)) from mine.error
            raise mine.error
        return mine.ids

    def _created(self, rows: Sequence[dict[str, Any]]) -> Any:
        created: Any = rows[0]["created_at"]
        if self.sqlite:
            # SQLAlchemy's SQLite DATETIME format, so ORM reads get datetimes back. One
            # timestamp per call: a batch is stored at one instant.
            created = created.isoformat(sep=" ", timespec="microseconds")  # naive UTC
        return created

    def _write_batch(self, batch: list[_Pending]) -> None:
        try:
            with self._file_lock():
                ids = self._insert([values for pending in batch for values in pending.rows])
        except BaseException as exc:
            # Every caller in the batch fails with the writer's error; an interrupt
            # (SystemExit from a server timeout, say) stays the writing thread's own.
            shared = exc if isinstance(exc, Exception) else RuntimeError("write interrupted")
            for pending in batch:
                pending.error, pending.written = shared, True
            if shared is not exc:
                raise
            return
        start = 0
        for pending in batch:
            pending.ids = ids[start : start + len(pending.rows)]
            pending.written = True
            start += len(pending.rows)

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """On SQLite, queue processes on a file lock instead of SQLite's busy handler.

        SQLite lets one writer in at a time and makes the others sleep and retry (1, 2, 5,
        10 … ms), so with several worker processes most of a classify call was spent
        asleep. ``flock`` wakes the next writer the moment the lock is free.
        """
        if self._lock_path is None:
            yield
            return
        self._own_process()
        if self._lock_fd < 0:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _own_process(self) -> None:
        """On the first call in a process, forget a connection and lock file inherited
        through a fork (never use or close them here: they are the parent's)."""
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._process_lock:
            if self._pid == pid:
                return
            self._conn, self._lock_fd = None, -1
            self._pid = pid

    def close(self) -> None:
        """Close this process's connection and lock file (the pool's are the engine's)."""
        if self._pid != os.getpid():
            return  # nothing opened in this process
        with self._write_turn:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1

    def _sql(self, n: int) -> str:
        sql = self._statements.get(n)
        if sql is None:
            sql = self._head + ", ".join([self._group] * n) + self._returning
            if n <= 64:  # cache the common sizes only
                self._statements[n] = sql
        return sql

    def _values(self, row: dict[str, Any], created: Any) -> list[Any]:
        return [
            row["project_id"],
            created,
            row["client_id"],
            row["model_version"],
            row["text"],
            row["text_sha256"],
            row["label"],
            row["confidence"],
            orjson.dumps(row["probabilities"]).decode(),
            row["source"],
        ]

    def _insert(self, rows: list[list[Any]]) -> list[int]:
        if not self.sqlite:
            conn = self.engine.raw_connection()
            try:
                return self._execute(conn, rows)
            finally:
                conn.close()  # back to the pool
        self._own_process()
        if self._conn is None:
            # Detached: this connection is the writer's alone, never handed to another caller.
            self._conn = self.engine.raw_connection()
            self._conn.detach()
        try:
            return self._execute(self._conn, rows)
        except BaseException:
            conn, self._conn = self._conn, None
            conn.close()
            raise

    def _execute(self, conn: Any, rows: list[list[Any]]) -> list[int]:
        try:
            cursor = conn.cursor()
            ids: list[int] = []
            for start in range(0, len(rows), self._max_rows):
                chunk = rows[start : start + self._max_rows]
                params = [value for values in chunk for value in values]
                cursor.execute(self._sql(len(chunk)), params)
                if self.sqlite:
                    ids.extend(self._sqlite_ids(cursor, len(chunk)))
                    continue
                # Ids of one multi-row INSERT grow in VALUES order on PostgreSQL (one
                # sequence), but RETURNING's order is not promised: sorting restores it.
                ids.extend(sorted(r[0] for r in cursor.fetchall()))
            cursor.close()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return ids

    def _sqlite_ids(self, cursor: Any, n: int) -> range:
        """The rowids of the ``n`` rows the cursor's INSERT just stored: each row of a
        multi-row INSERT gets one more than the largest rowid in the table, so they are
        consecutive and end at ``lastrowid``. SQLite departs from that rule only when the
        largest rowid is already 2**63 - 1 (it then picks unused ones at random, below the
        largest): the last row must be the table's largest, or the insert is refused rather
        than its ids guessed at (one lookup at the end of the rowid index)."""
        last, count, largest = cursor.lastrowid, cursor.rowcount, None
        if count == n and last is not None:
            cursor.execute("SELECT max(rowid) FROM predictions")
            (largest,) = cursor.fetchone()
        if count != n or last is None or largest != last:
            raise self.engine.dialect.loaded_dbapi.DatabaseError(
                f"cannot tell the ids of {n} inserted rows (rowcount {count}, "
                f"last rowid {last}, largest rowid {largest})"
            )
        return range(last - n + 1, last + 1)
