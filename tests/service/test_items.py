"""Importing unlabelled texts: formats, duplicates, metadata, and all-or-nothing refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tagloop.ml.datasets import DataError
from tagloop.service import items, projects
from tagloop.store.models import Item


@pytest.fixture
def inbox(core):  # type: ignore[no-untyped-def]
    """An empty project with a label set and no data."""
    return projects.create(core.store, core.settings, "inbox", labels=["bug", "billing", "other"])


def stored(core, project) -> list[Item]:  # type: ignore[no-untyped-def]
    with core.store.session() as session:
        return list(
            session.scalars(select(Item).where(Item.project_id == project.id).order_by(Item.id))
        )


def test_csv_keeps_other_columns_as_metadata_and_collapses_duplicates(core, inbox, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(
        "id,body,channel\n1,App crashes on login,email\n2,Refund please,chat\n"
        '3,App crashes on login,phone\n4,"Two\nlines",email\n'
    )
    result = items.import_file(core, inbox, path, text_column="body")
    assert (result.rows, result.added, result.duplicates, result.already_present) == (4, 3, 1, 0)
    rows = stored(core, inbox)
    assert [r.text for r in rows] == ["App crashes on login", "Refund please", "Two\nlines"]
    assert rows[0].meta == {"id": "1", "channel": "email"}  # the first occurrence's
    assert {r.status for r in rows} == {"open"}

    again = items.import_file(core, inbox, path, text_column="body")
    assert (again.added, again.already_present, again.duplicates) == (0, 3, 1)
    assert len(stored(core, inbox)) == 3


def test_jsonl_and_lines(core, inbox, tmp_path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text(json.dumps({"text": "hello", "lang": "en", "n": 2}) + "\n\n")
    lines = tmp_path / "b.txt"
    lines.write_text("first text\r\n\r\nsecond text\n")
    assert items.import_file(core, inbox, jsonl).added == 1
    assert items.import_file(core, inbox, lines).added == 2
    rows = stored(core, inbox)
    assert rows[0].meta == {"lang": "en", "n": 2}
    assert [r.text for r in rows[1:]] == ["first text", "second text"]
    assert rows[1].meta is None


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("bad.csv", "text,x\nok,1\n,2\n", 3, "text is blank"),
        ("bad.csv", "body\nfine\n", 1, "no text column 'text'"),
        ("bad.csv", "text,x\nok,1\nmore,1,2\n", 3, "3 fields"),
        ("bad.jsonl", '{"text": "a"}\n{"text": 3}\n', 2, "must be a string"),
        ("bad.jsonl", '{"text": "a"}\nnot json\n', 2, "bad JSON"),
        ("bad.txt", "fine\n" + "x" * 10_001 + "\n", 2, "over the 10,000 limit"),
    ],
)
def test_a_bad_file_names_file_and_line_and_stores_nothing(
    core, inbox, tmp_path: Path, name, content, line, message
):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError) as caught:
        items.import_file(core, inbox, path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(path) in str(caught.value)
    assert stored(core, inbox) == []


def test_invalid_utf8_is_refused_with_its_line(core, inbox, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"ok\ncaf\xe9\n")
    with pytest.raises(DataError, match=r"latin1.txt:2: not valid UTF-8"):
        items.import_file(core, inbox, path)


def test_large_import_is_one_bulk_transaction(core, inbox, tmp_path):
    path = tmp_path / "many.txt"
    path.write_text("".join(f"message number {i}\n" for i in range(12_000)))
    seen: list[float] = []
    result = items.import_file(core, inbox, path, progress=lambda _s, f: seen.append(f))
    assert result.added == 12_000
    assert len(seen) >= 3  # one report per chunk of items.CHUNK rows, then the commit
    with core.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == 12_000


def test_items_are_per_project(core, inbox, tmp_path):
    other = projects.create(core.store, core.settings, "other", labels=["a", "b"])
    path = tmp_path / "t.txt"
    path.write_text("shared text\n")
    assert items.import_file(core, inbox, path).added == 1
    assert items.import_file(core, other, path).added == 1
    assert items.counts(core, inbox)["items"] == 1
    assert items.counts(core, inbox)["by_label"] == {"bug": 0, "billing": 0, "other": 0}


def test_an_import_orders_its_items_so_no_labeller_request_has_to(core, inbox, tmp_path):
    from tagloop.service import labelling

    path = tmp_path / "texts.txt"
    path.write_text("".join(f"ticket number {i} about {w}\n" for i, w in enumerate("abcdefgh" * 3)))
    items.import_file(core, inbox, path)
    assert not labelling.needs_ranking(core, inbox)
    assert all(row.rank is not None for row in stored(core, inbox))
