"""Exports of labelled items (CSV made safe for spreadsheets, JSON Lines, Label Studio) and
the Label Studio import, round trip."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tagloop.ml.datasets import DataError
from tagloop.service import items, label_export, labelling, projects


@pytest.fixture
def labelled(core):  # type: ignore[no-untyped-def]
    project = projects.create(core.store, core.settings, "inbox", labels=["bug", "billing"])
    rows = items.check_texts(
        core,
        ['=HYPERLINK("http://x")', "refund my invoice", "still open"],
        [{"channel": "email"}, None, None],
        "test",
    )
    items.add_items(core, project, rows)
    served = labelling.next_items(core, project, "client:ana", limit=3)
    by_text = {item["text"]: item["id"] for item in served}
    labelling.label(core, project, by_text['=HYPERLINK("http://x")'], "bug", "client:ana")
    labelling.label(core, project, by_text["refund my invoice"], "billing", "client:ana")
    return project


def text_of(core, project, kind: str) -> str:  # type: ignore[no-untyped-def]
    return "".join(label_export.export(core, project, kind))


def test_csv_has_who_when_and_metadata_and_neutralises_formulas(core, labelled):
    rows = list(csv.DictReader(io.StringIO(text_of(core, labelled, "csv"))))
    assert [r["label"] for r in rows] == ["bug", "billing"]  # labelled ones only, in order
    assert rows[0]["text"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["labelled_by"] == "client:ana"
    assert rows[0]["labelled_at"].endswith("Z")
    assert json.loads(rows[0]["metadata"]) == {"channel": "email"}


def test_jsonl_keeps_the_text_as_it_is(core, labelled):
    records = [json.loads(line) for line in text_of(core, labelled, "jsonl").splitlines()]
    assert records[0]["text"] == '=HYPERLINK("http://x")'
    assert records[0]["metadata"] == {"channel": "email"}
    assert {r["label"] for r in records} == {"bug", "billing"}


def test_label_studio_round_trip(core, labelled, tmp_path):
    tasks = json.loads(text_of(core, labelled, "labelstudio"))
    assert tasks[0]["data"] == {"channel": "email", "text": '=HYPERLINK("http://x")'}
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"choices": ["bug"]}
    # A task without annotations and one with a cancelled annotation come in unlabelled; a
    # label the project lacks is added to it.
    tasks.append({"data": {"text": "new unlabelled"}})
    tasks.append(
        {
            "data": {"text": "cancelled one"},
            "annotations": [{"was_cancelled": True, "result": [{"value": {"choices": ["bug"]}}]}],
        }
    )
    tasks.append(
        {
            "data": {"text": "login broken"},
            "annotations": [{"result": [{"value": {"choices": ["login"]}}]}],
        }
    )
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    other = projects.create(core.store, core.settings, "copy", labels=["bug", "billing"])
    result = items.import_file(core, other, path, labelled_by="admin:ana")
    assert (result.added, result.labelled) == (5, 3)
    other = core.project("copy")
    assert [x.name for x in other.labels] == ["bug", "billing", "login"]
    counts = items.counts(core, other)
    assert counts["by_label"] == {"bug": 1, "billing": 1, "login": 1}
    assert counts["open"] == 2
    again = json.loads(text_of(core, other, "labelstudio"))
    assert [t["annotations"][0]["result"][0]["value"]["choices"] for t in again] == [
        ["bug"],
        ["billing"],
        ["login"],
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "expected a JSON list of tasks"),
        ('[{"data": {"text": "a"}}, {"data": {}}]', "export.json:2: task has no data.text"),
        (
            '[{"data": {"text": "a"}, "annotations": [{"result": [{"value": {"choices": [3]}}]}]}]',
            "not a valid label",
        ),
        ("[", "not a Label Studio JSON export"),
    ],
)
def test_a_bad_label_studio_file_is_refused(core, labelled, tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        items.import_file(core, labelled, path)
    assert items.counts(core, labelled)["items"] == 3
