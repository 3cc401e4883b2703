"""Deferred writes on SQLite: a prediction gets its id at once and its row a moment later.

A SQLite commit shared by several server processes costs more than classifying the text
(each process re-reads the pages another one changed, and every transaction takes the
file lock), so writing one row per response spent most of a classify call on storage.
Here a response carries an id taken from a counter all processes share, and a thread in
each process writes what the process accepted every ``TAGLOOP_FLUSH_MS`` (20 ms by
default) in one transaction.

What that means for callers:

* every accepted row is written: by the thread, by any other request of the process
  before it reads (so a process always reads its own writes), and when the process exits
  (``atexit``, which gunicorn's graceful stop and timeout both run). A process killed
  outright (SIGKILL, out of memory) loses the rows of its last few milliseconds;
* another process can ask for an id before its row is written: ``wait_for`` waits for ids
  that were handed out, so feedback on a fresh id never answers 404;
* lists (``GET /predictions``, stats) may miss the newest ``TAGLOOP_FLUSH_MS`` of rows;
* if the database refuses a write (disk full, locked for longer than the busy timeout),
  the rows stay queued and are retried, ``/readyz`` says so, and once the backlog reaches
  ``MAX_BACKLOG`` rows new requests write synchronously, so memory stays bounded.

``TAGLOOP_FLUSH_MS=0`` turns this off: then every response waits for its commit, as on
PostgreSQL, whose sequence needs a round trip anyway.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import mmap
import os
import struct
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, text

from tagloop.store.writer import COLUMNS, PredictionWriter

log = logging.getLogger(__name__)

MAX_BACKLOG = 20_000  # rows held per process before requests write them themselves
WAIT_FOR_ID_SECONDS = 5.0  # how long a read waits for another process's pending row
# Only ids among the last RECENT_IDS handed out can still be pending; an older missing id
# (deleted by retention, say) is answered at once.
RECENT_IDS = 100_000
_COUNTER = struct.Struct("<q")


class IdCounter:
    """Prediction ids shared by every process on one SQLite file: the last id handed out,
    8 bytes in ``<database>.ids``, read and advanced under ``flock``.

    A process catches the counter up with the table's largest id the first time it takes
    ids, so a new or deleted counter file never hands out an id that is in use.
    """

    def __init__(self, engine: Engine) -> None:
        database = engine.url.database
        if not database or database == ":memory:":
            raise ValueError("deferred writes need a SQLite file")
        self.engine = engine
        self.path = f"{database}.ids"
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def take(self, n: int) -> int:
        """Reserve ``n`` consecutive ids; the first of them."""
        with self._lock:  # flock does not keep out threads that share the descriptor
            fd, shared = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                (last,) = _COUNTER.unpack_from(shared)
                if self._pid == 0:  # this process's first ids: catch up with the table
                    last = max(last, self._largest_in_table())
                    self._pid = os.getpid()
                _COUNTER.pack_into(shared, 0, last + n)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        return int(last) + 1

    def last(self) -> int:
        """The last id handed out by any process."""
        with self._lock:
            fd, shared = self._open()
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                return int(_COUNTER.unpack_from(shared)[0])
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _open(self) -> tuple[int, mmap.mmap]:
        """The counter file and its 8 bytes mapped into memory (read and written without a
        system call; the lock around them is the only one)."""
        if self._fd < 0 or self._pid not in (0, os.getpid()):
            # After a fork the child maps its own and catches up again.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            if os.fstat(fd).st_size < _COUNTER.size:
                os.ftruncate(fd, _COUNTER.size)  # a new file reads as 0
            self._fd, self._map, self._pid = fd, mmap.mmap(fd, _COUNTER.size), 0
        assert self._map is not None
        return self._fd, self._map

    def _largest_in_table(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(text("SELECT coalesce(max(id), 0) FROM predictions")).scalar() or 0
            )

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0 and self._pid in (0, os.getpid()):
                assert self._map is not None
                self._map.close()
                os.close(self._fd)
            self._fd, self._map, self._pid = -1, None, 0


class DeferredWriter(PredictionWriter):
    """Rows get their ids at once and are written by a background thread in batches."""

    columns = ("id", *COLUMNS)
    returning = ""  # the ids are in the rows

    def __init__(self, engine: Engine, delay: float) -> None:
        super().__init__(engine)
        if not self.sqlite or delay <= 0:
            raise ValueError("deferred writes are for SQLite, with a positive delay")
        self.delay = delay
        self.ids = IdCounter(engine)
        self._rows: list[list[Any]] = []
        self._has_rows = threading.Condition(self._queue_lock)
        self._closed = False

    def insert(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Give ``rows`` their ids now; they are written within ``delay`` seconds."""
        if not rows:
            return []
        self._own_process()
        if len(self._rows) >= MAX_BACKLOG:
            # The thread is falling behind (a slow or locked database): this request writes
            # the backlog itself before adding to it, and fails if that fails.
            self.flush()
        created = self._created(rows)
        first = self.ids.take(len(rows))
        ids = list(range(first, first + len(rows)))
        values = [[pid, *self._values(row, created)] for pid, row in zip(ids, rows, strict=True)]
        with self._queue_lock:
            self._rows.extend(values)
            self._has_rows.notify()
        return ids

    def pending(self) -> int:
        return len(self._rows) if self._pid == os.getpid() else 0

    def flush(self) -> None:
        """Write every row this process holds now. If the database refuses them they stay
        queued (in order), ``last_error`` says why until a later write succeeds, and the
        error is raised — whoever called (the thread, a request) sees the same state."""
        self._own_process()
        with self._write_turn:
            with self._queue_lock:
                batch, self._rows = self._rows, []
            if not batch:
                return
            try:
                with self._file_lock():
                    self._insert(batch)
            except BaseException as exc:
                with self._queue_lock:
                    self._rows[:0] = batch
                    self.last_error = f"could not write {len(self._rows)} predictions: {exc}"
                raise
            self.last_error = ""

    def wait_for(self, prediction_id: int) -> None:
        """If ``prediction_id`` was handed out recently and is not written yet (another
        process holds it), wait up to WAIT_FOR_ID_SECONDS for it; other ids return at once."""
        if self.pending():
            self.flush()
        last = self.ids.last()
        if not last - RECENT_IDS < prediction_id <= last:
            return
        query = text("SELECT 1 FROM predictions WHERE id = :id")
        deadline = time.monotonic() + WAIT_FOR_ID_SECONDS
        with self.engine.connect() as conn:
            while conn.execute(query, {"id": prediction_id}).first() is None:
                conn.rollback()  # end the read snapshot, or the next try sees the same data
                if time.monotonic() > deadline:
                    return
                time.sleep(min(self.delay / 4, 0.01))

    def close(self) -> None:
        """Write what is pending and stop the thread."""
        with self._queue_lock:
            self._closed = True
            self._has_rows.notify_all()
        try:
            if self._pid == os.getpid():
                self.flush()
        finally:
            self.ids.close()
            super().close()

    # -- the process's thread ---------------------------------------------------------------

    def _start_in_process(self, pid: int) -> None:
        """The first call in a process starts its writing thread. Rows copied from the parent
        by a fork are the parent's to write, so a child starts with none."""
        with self._queue_lock:
            self._rows = []
        threading.Thread(target=self._run, name="tagloop-prediction-writer", daemon=True).start()
        atexit.register(self._flush_at_exit, pid)

    def _run(self) -> None:
        pause = self.delay
        while True:
            with self._queue_lock:
                while not self._rows and not self._closed:
                    self._has_rows.wait()  # idle: no wake-ups until a row comes
                if self._closed:
                    return
            time.sleep(pause)  # gather what comes meanwhile into the same transaction
            try:
                self.flush()
            except Exception:  # the rows are kept and last_error says why: retry less often
                log.error("%s", self.last_error)
                pause = min(max(pause * 2, 0.5), 30.0)
            else:
                pause = self.delay

    def _flush_at_exit(self, pid: int) -> None:
        if os.getpid() != pid:  # an exit handler inherited through a fork
            return
        try:
            self.flush()
        except Exception as exc:
            log.error("lost %s predictions at exit: %s", self.pending(), exc)


def make_writer(engine: Engine, flush_ms: int) -> PredictionWriter:
    """Deferred writes on a SQLite file when ``flush_ms`` > 0, else one commit per call."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and flush_ms > 0 and database not in (None, "", ":memory:"):
        return DeferredWriter(engine, flush_ms / 1000)
    return PredictionWriter(engine)
