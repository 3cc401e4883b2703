"""The classify hot path's writer on SQLite and PostgreSQL: rows read back through the ORM,
ids that belong to their caller, group commit, and failures that store nothing."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from tagloop.config import Settings
from tagloop.store import Store
from tagloop.store.models import Prediction, utcnow
from tagloop.store.writer import MAX_ROWS_PER_STATEMENT, PredictionWriter


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings)
    yield opened
    opened.close()


def row(message: str, **changes: Any) -> dict[str, Any]:
    return {
        "project_id": 1,
        "created_at": utcnow(),
        "client_id": "client-0123456789abcdef",
        "model_version": 3,
        "text": message,
        "text_sha256": hashlib.sha256(message.encode()).hexdigest(),
        "label": "spam",
        "confidence": 0.875,
        "probabilities": {"ham": 0.125, "spam": 0.875},
        "source": "api",
        **changes,
    }


def stored(store: Store) -> dict[int, Prediction]:
    with store.session() as session:
        return {p.id: p for p in session.scalars(select(Prediction))}


def test_rows_read_back_through_the_orm_as_written(store: Store) -> None:
    sent = row("WINNER!! claim your prize", text=None)  # as with TAGLOOP_STORE_TEXT=false
    [pid] = PredictionWriter(store.engine).insert([sent])
    got = stored(store)[pid]
    assert isinstance(got.created_at, datetime)
    assert abs((got.created_at - sent["created_at"]).total_seconds()) < 1e-3
    assert (got.client_id, got.model_version, got.text, got.text_sha256) == (
        sent["client_id"],
        3,
        None,
        sent["text_sha256"],
    )
    assert (got.label, got.confidence, got.probabilities, got.source) == (
        "spam",
        0.875,
        {"ham": 0.125, "spam": 0.875},
        "api",
    )


def test_a_batch_larger_than_one_statement_keeps_its_order(store: Store) -> None:
    texts = [f"message {i}" for i in range(MAX_ROWS_PER_STATEMENT + 5)]
    ids = PredictionWriter(store.engine).insert([row(t) for t in texts])
    assert ids == sorted(ids) and len(set(ids)) == len(texts)
    rows = stored(store)
    assert [rows[i].text for i in ids] == texts


def test_ids_name_their_rows_after_the_newest_rows_were_deleted(store: Store) -> None:
    # SQLite reuses the rowids of deleted newest rows: the ids answered must still be the
    # ones the rows got (a project's deletion can remove the newest predictions).
    writer = PredictionWriter(store.engine)
    first = writer.insert([row(f"first {i}") for i in range(20)])
    with store.session() as session:
        session.query(Prediction).filter(Prediction.id > first[9]).delete()
        session.commit()
    texts = [f"second {i}" for i in range(30)]
    ids = writer.insert([row(t) for t in texts])
    rows = stored(store)
    assert [rows[i].text for i in ids] == texts
    assert len(rows) == 40 and set(ids).isdisjoint(first[:10])


def test_concurrent_callers_each_get_the_ids_of_their_own_rows(store: Store) -> None:
    writer = PredictionWriter(store.engine)
    results: dict[tuple[int, int], list[int]] = {}

    def work(thread: int) -> None:
        for call in range(25):
            texts = [f"t{thread} c{call} r{r}" for r in range(1 + call % 3)]
            results[(thread, call)] = writer.insert([row(t) for t in texts])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = stored(store)
    assert len(rows) == sum(len(ids) for ids in results.values())
    for (thread, call), ids in results.items():
        assert [rows[i].text for i in ids] == [
            f"t{thread} c{call} r{r}" for r in range(1 + call % 3)
        ]


def queue_behind_a_writer(writer: PredictionWriter, batches: list[list[dict[str, Any]]]) -> list:
    """Start one caller per batch while the write turn is held, so all of them queue up;
    returns their outcomes (ids or the exception) once the turn is released."""
    outcomes: list[Any] = [None] * len(batches)

    def call(i: int) -> None:
        try:
            outcomes[i] = writer.insert(batches[i])
        except Exception as exc:
            outcomes[i] = exc

    with writer._write_turn:
        threads = [threading.Thread(target=call, args=(i,)) for i in range(len(batches))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(writer._queue) < len(batches) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert len(writer._queue) == len(batches)
    for t in threads:
        t.join(10)
    return outcomes


def test_callers_that_queue_up_share_one_transaction(store: Store, monkeypatch) -> None:
    writer = PredictionWriter(store.engine)
    statements: list[int] = []
    real = writer._insert
    monkeypatch.setattr(writer, "_insert", lambda rows: statements.append(len(rows)) or real(rows))
    outcomes = queue_behind_a_writer(writer, [[row(f"m{i}")] for i in range(5)])
    assert statements == [5]
    rows = stored(store)
    assert sorted(rows[ids[0]].text for ids in outcomes) == [f"m{i}" for i in range(5)]


def test_a_failed_transaction_fails_every_caller_in_it_and_stores_nothing(store: Store) -> None:
    writer = PredictionWriter(store.engine)
    outcomes = queue_behind_a_writer(writer, [[row("fine")], [row("broken", text_sha256=None)]])
    assert all(isinstance(o, Exception) for o in outcomes), outcomes
    assert stored(store) == {}
    # The writer is usable afterwards.
    [pid] = writer.insert([row("after")])
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Prediction)) == 1
        assert session.get(Prediction, pid).text == "after"


def test_sqlite_ids_it_cannot_tell_are_refused_not_guessed(store: Store) -> None:
    # Once the largest rowid is 2**63 - 1, SQLite gives new rows unused rowids at random:
    # they are no longer consecutive up to lastrowid, and the writer must say so.
    if store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL names the ids with RETURNING")
    writer = PredictionWriter(store.engine)
    [top] = writer.insert([row("the newest")])
    with store.session() as session:
        session.query(Prediction).filter(Prediction.id == top).update({"id": 2**63 - 1})
        session.commit()
    with pytest.raises(Exception, match="cannot tell the ids of 3 inserted rows"):
        writer.insert([row(f"more {i}") for i in range(3)])
    assert set(stored(store)) == {2**63 - 1}  # nothing half-written
