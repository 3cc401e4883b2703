"""Labelled items out and in: CSV and JSON Lines (text, label, who, when, metadata), and
Label Studio's JSON tasks for text classification, both ways.

Label Studio task: ``{"id", "data": {"text", …}, "annotations": [{"result": [{"type":
"choices", "from_name": "label", "to_name": "text", "value": {"choices": ["spam"]}}],
"completed_by", "created_at"}]}``; importing one is ``ml.unlabelled.parse_labelstudio`` and
``service.items``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from tagloop.csvsafe import csv_rows
from tagloop.service.core import Core
from tagloop.service.projects import ProjectRef
from tagloop.store.models import Item

FORMATS = ("csv", "jsonl", "labelstudio")
CSV_HEADER = ("text", "label", "labelled_by", "labelled_at", "metadata")


def _labelled(core: Core, project: ProjectRef) -> Iterator[Item]:
    with core.store.session() as session:
        yield from session.scalars(
            select(Item)
            .where(Item.project_id == project.id, Item.status == "labelled")
            .order_by(Item.labelled_at, Item.id)
            .execution_options(yield_per=1000)
        )


def _when(item: Item) -> str:
    return "" if item.labelled_at is None else item.labelled_at.isoformat(timespec="seconds") + "Z"


def export(core: Core, project: ProjectRef, format: str) -> Iterator[str]:
    """The project's labelled items in ``format`` (see ``FORMATS``), as text chunks."""
    rows = _labelled(core, project)
    if format == "csv":
        yield from csv_rows(
            CSV_HEADER,
            (
                (
                    i.text,
                    i.label,
                    i.labelled_by,
                    _when(i),
                    json.dumps(i.meta or {}, ensure_ascii=False),
                )
                for i in rows
            ),
        )
    elif format == "jsonl":
        for i in rows:
            record = {
                "text": i.text,
                "label": i.label,
                "labelled_by": i.labelled_by,
                "labelled_at": _when(i),
                "metadata": i.meta or {},
            }
            yield json.dumps(record, ensure_ascii=False) + "\n"
    elif format == "labelstudio":
        yield "["
        for n, i in enumerate(rows):
            yield ("," if n else "") + json.dumps(_task(i), ensure_ascii=False)
        yield "]\n"
    else:
        raise ValueError(f"unknown export format {format!r} (known: {', '.join(FORMATS)})")


def _task(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "data": {**(item.meta or {}), "text": item.text},
        "annotations": [
            {
                "result": [
                    {
                        "from_name": "label",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": [item.label]},
                    }
                ],
                "completed_by": item.labelled_by,
                "created_at": _when(item),
            }
        ],
    }
