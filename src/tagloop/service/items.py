"""Items: the unlabelled texts a project imports for labelling.

An import is one transaction: every text of the file is stored or none is. Identical texts
(the same bytes) collapse to one item, within the file and against the items the project
already holds; both are counted and reported. Other columns of a row are kept as the item's
metadata. Rows go in with bulk ``INSERT``s of ``CHUNK`` rows, so 100,000 texts take seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from tagloop.ml.datasets import DataError
from tagloop.ml.retrain import sha256_text
from tagloop.ml.unlabelled import TextRows, read_texts
from tagloop.service import labelling, projects
from tagloop.service.core import Core
from tagloop.service.errors import Conflict, Invalid
from tagloop.service.projects import ProjectRef
from tagloop.store.models import Item, utcnow

CHUNK = 5_000
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class ImportResult:
    source: str
    rows: int  # texts read
    added: int  # new items
    labelled: int  # of which came with a label (Label Studio)
    duplicates: int  # rows whose text appeared earlier in the same file
    already_present: int  # rows whose text the project already held

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_file(
    core: Core,
    project: ProjectRef,
    path: str | Path,
    *,
    format: str | None = None,
    text_column: str = "text",
    progress: Progress | None = None,
    labelled_by: str = "import",
) -> ImportResult:
    """Read a file of unlabelled texts and add it to the project (``DataError`` names the
    file and line of a bad row; nothing is stored then)."""
    rows = read_texts(
        path, format=format, text_column=text_column, max_length=core.settings.max_text_length
    )
    return add_items(core, project, rows, progress=progress, labelled_by=labelled_by)


def check_texts(
    core: Core, texts: Sequence[object], meta: Sequence[object] | None, source: str
) -> TextRows:
    """Texts from a JSON request as ``TextRows`` (item numbers in place of lines)."""
    rows = TextRows(source)
    limit = core.settings.max_text_length
    for i, text in enumerate(texts):
        extra = meta[i] if meta is not None and i < len(meta) else None
        if extra is not None and not isinstance(extra, dict):
            raise DataError(source, i + 1, "metadata must be a JSON object")
        rows.add(i + 1, text, extra, limit)
    if not rows.texts:
        raise DataError(source, None, "no texts")
    return rows


def add_items(
    core: Core,
    project: ProjectRef,
    rows: TextRows,
    *,
    progress: Progress | None = None,
    labelled_by: str = "import",
) -> ImportResult:
    """Store the rows as items; rows that bring a label (Label Studio) are stored labelled,
    by ``labelled_by``, and labels the project lacks are added to it."""
    report = progress or (lambda _stage, _fraction: None)
    given = rows.labels or [None] * len(rows.texts)
    brought = sorted({label for label in given if label is not None})
    if brought:
        projects.add_labels(core.store, project, brought)
    new: dict[str, int] = {}  # sha256 -> index of its first row
    for i, text in enumerate(rows.texts):
        new.setdefault(sha256_text(text), i)
    duplicates = len(rows.texts) - len(new)
    source = Path(rows.source).name[:200]
    now = utcnow()
    try:
        with core.store.transaction() as session:
            held = set(
                session.scalars(select(Item.text_sha256).where(Item.project_id == project.id))
            )
            present = [sha for sha in new if sha in held]
            for sha in present:
                del new[sha]
            values = [
                {
                    "project_id": project.id,
                    "created_at": now,
                    "text": rows.texts[i],
                    "text_sha256": sha,
                    "meta": rows.meta[i],
                    "source": source,
                    "status": "open" if given[i] is None else "labelled",
                    "label": given[i],
                    "labelled_by": "" if given[i] is None else labelled_by,
                    "labelled_at": None if given[i] is None else now,
                }
                for sha, i in new.items()
            ]
            for start in range(0, len(values), CHUNK):
                report("storing texts", start / max(len(values), 1))
                session.execute(insert(Item), values[start : start + CHUNK])
            report("committing", 1.0)
    except IntegrityError as exc:  # another import of the same texts committed meanwhile
        raise Conflict(
            "another import into this project added some of the same texts meanwhile; "
            "nothing was imported: try again",
            code="import_conflict",
        ) from exc
    if values:
        # Order the new items now, in the import (an admin's, or the CLI's with its
        # progress bar), rather than in the next labeller's request.
        report("ordering the queue", 1.0)
        labelling.rank(core, project)
    labelled = sum(1 for v in values if v["label"] is not None)
    return ImportResult(
        rows.source, len(rows.texts), len(values), labelled, duplicates, len(present)
    )


def counts(core: Core, project: ProjectRef) -> dict[str, Any]:
    """How many items the project holds, by status, and labelled items by label."""
    with core.store.session() as session:
        by_status = dict(
            session.execute(
                select(Item.status, func.count())
                .where(Item.project_id == project.id)
                .group_by(Item.status)
            ).all()
        )
        by_label = dict(
            session.execute(
                select(Item.label, func.count())
                .where(Item.project_id == project.id, Item.status == "labelled")
                .group_by(Item.label)
            ).all()
        )
    return {
        "items": sum(by_status.values()),
        "labelled": by_status.get("labelled", 0),
        "skipped": by_status.get("skipped", 0),
        "open": by_status.get("open", 0),
        "by_label": {label.name: by_label.get(label.name, 0) for label in project.labels},
    }


def data_error(exc: DataError, shown: str | None = None) -> Invalid:
    """A ``DataError`` as the service's 422, with the file shown under its upload name."""
    message = str(exc) if shown is None else str(exc).replace(exc.path, shown, 1)
    return Invalid(message, code="bad_data", details={"line": exc.line})
