"""Deferred writes on SQLite: ids at once, rows within the delay, nothing lost or doubled —
across threads, forks, processes, exits and a database that refuses writes for a while."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tagloop.config import Settings
from tagloop.store import Store
from tagloop.store import deferred as deferred_module
from tagloop.store.deferred import DeferredWriter, make_writer
from tagloop.store.writer import PredictionWriter
from tests.store.test_writer import row, stored

HOUR = 3600.0  # a delay long enough that only an explicit flush (or exit) writes


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(Settings(home=tmp_path / "home"))
    yield opened
    opened.close()


@pytest.fixture
def writers(store: Store) -> Iterator[Callable[[float], DeferredWriter]]:
    made: list[DeferredWriter] = []

    def make(delay: float) -> DeferredWriter:
        made.append(DeferredWriter(store.engine, delay))
        return made[-1]

    yield make
    for writer in made:
        writer.close()


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_ids_come_at_once_and_rows_when_flushed(store: Store, writers) -> None:
    writer = writers(HOUR)
    sent = [row("WINNER!! claim your prize"), row("see you at 7", text=None)]
    ids = writer.insert(sent)
    assert ids == [ids[0], ids[0] + 1]
    assert stored(store) == {} and writer.pending() == 2
    writer.flush()
    got = stored(store)
    assert writer.pending() == 0 and sorted(got) == ids
    assert [(got[i].text, got[i].label, got[i].probabilities) for i in ids] == [
        (s["text"], s["label"], s["probabilities"]) for s in sent
    ]


def test_the_thread_writes_within_the_delay(store: Store, writers) -> None:
    writer = writers(0.02)
    ids = [pid for i in range(30) for pid in writer.insert([row(f"message {i}")])]
    eventually(lambda: len(stored(store)) == 30)
    assert sorted(stored(store)) == ids == sorted(set(ids))


def test_make_writer_defers_only_on_a_sqlite_file_with_a_delay(store: Store) -> None:
    assert isinstance(make_writer(store.engine, 20), DeferredWriter)
    synchronous = make_writer(store.engine, 0)
    assert type(synchronous) is PredictionWriter


def test_the_counter_catches_up_with_rows_already_in_the_table(store: Store, writers) -> None:
    written = PredictionWriter(store.engine).insert([row(f"old {i}") for i in range(5)])
    writer = writers(HOUR)
    [first] = writer.insert([row("new")])
    assert first == max(written) + 1
    # A deleted counter file is rebuilt from the table by the next process that takes ids.
    writer.flush()
    Path(writer.ids.path).unlink()
    later = writers(HOUR)
    assert later.insert([row("after")]) == [first + 1]


def test_rows_refused_by_the_database_stay_queued_and_are_written_once(
    store: Store, writers
) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON predictions "
                "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )
        )
    writer = writers(0.01)
    ids = writer.insert([row("one"), row("two")])
    eventually(lambda: "disk says no" in writer.last_error)
    assert writer.pending() == 2 and stored(store) == {}
    with pytest.raises(Exception, match="disk says no"):
        writer.flush()
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse"))
    writer.flush()  # the thread would too, after its back-off
    assert sorted(stored(store)) == ids and writer.pending() == 0
    eventually(lambda: writer.last_error == "", timeout=35)  # the thread's next pass succeeds


def test_a_full_backlog_is_written_by_the_request_itself(
    store: Store, writers, monkeypatch
) -> None:
    monkeypatch.setattr(deferred_module, "MAX_BACKLOG", 5)
    writer = writers(HOUR)
    for i in range(5):
        writer.insert([row(f"m{i}")])
    assert stored(store) == {}
    writer.insert([row("m5")])  # finds 5 waiting: writes them before adding its own
    assert len(stored(store)) == 5 and writer.pending() == 1


def test_wait_for_waits_for_an_id_another_writer_holds(store: Store, writers) -> None:
    holder, reader = writers(HOUR), writers(HOUR)  # as two server processes would be
    [pid] = holder.insert([row("fresh")])
    waited = threading.Thread(target=reader.wait_for, args=(pid,))
    waited.start()
    time.sleep(0.3)
    assert waited.is_alive()  # the row is not there yet
    holder.flush()
    waited.join(5)
    assert not waited.is_alive()
    started = time.monotonic()
    reader.wait_for(pid + 1000)  # never handed out: no wait
    assert time.monotonic() - started < 1


def test_a_forked_child_does_not_write_its_parents_rows(store: Store, writers) -> None:
    writer = writers(HOUR)
    ids = writer.insert([row("parent's")])
    pid = os.fork()
    if pid == 0:  # the child: nothing of the parent's is pending here, and flush writes nothing
        try:
            writer.flush()
            child_ok = writer.pending() == 0 and stored(store) == {}
        finally:
            os._exit(0 if child_ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.flush()
    assert sorted(stored(store)) == ids


SCRIPT = textwrap.dedent(
    """
    import sys
    from tagloop.store.db import make_engine
    from tagloop.store.deferred import DeferredWriter
    from tagloop.store.models import utcnow

    engine = make_engine(sys.argv[1])
    writer = DeferredWriter(engine, 3600.0)  # only the exit writes
    name = sys.argv[2]
    for i in range(200):
        [pid] = writer.insert([{
            "created_at": utcnow(), "client_id": None, "model_version": 1,
            "text": f"{name} {i}", "text_sha256": "0" * 64, "label": "ham",
            "confidence": 0.9, "probabilities": {"ham": 0.9, "spam": 0.1}, "source": "api",
        }])
        print(pid)
    """
)


def test_processes_share_the_ids_and_write_everything_when_they_exit(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, url, name], stdout=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    ids = {name: [int(x) for x in out.split()] for name, out in zip("ab", outputs, strict=True)}
    rows = stored(store)
    assert len(rows) == 400 and set(rows) == set(ids["a"]) | set(ids["b"])
    for name, given in ids.items():
        assert [rows[i].text for i in given] == [f"{name} {i}" for i in range(200)]
