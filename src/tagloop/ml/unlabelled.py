"""Read unlabelled texts from a file: CSV/TSV with a header (a chosen text column), JSON
Lines (a chosen text field), plain text (one text a line), or Label Studio's JSON tasks
(which may bring labels).

Like the labelled loaders in ``ml/datasets.py`` it is all-or-nothing: it returns every row
or raises ``DataError`` naming the file and line. The other columns (or fields) of a row are
kept as its metadata.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagloop.ml.datasets import DataError, _decode, _lines

TEXT_FORMATS = ("csv", "tsv", "jsonl", "lines", "labelstudio")
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "lines",
    ".json": "labelstudio",
}


@dataclass
class TextRows:
    """Texts in file order, each with its metadata (or None) and line number."""

    source: str
    texts: list[str] = field(default_factory=list)
    meta: list[dict[str, Any] | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    # Labels a file brings (Label Studio's annotations): one per text, None if unlabelled;
    # empty for files of unlabelled texts.
    labels: list[str | None] = field(default_factory=list)

    def add(self, line: int, text: object, meta: dict[str, Any] | None, max_length: int) -> None:
        if not isinstance(text, str):
            raise DataError(self.source, line, f"text must be a string, got {type(text).__name__}")
        if not text.strip():
            raise DataError(self.source, line, "text is blank")
        if "\x00" in text:
            raise DataError(self.source, line, "text contains a NUL character")
        if len(text) > max_length:
            raise DataError(
                self.source,
                line,
                f"text is {len(text):,} characters, over the {max_length:,} limit",
            )
        self.texts.append(text)
        self.meta.append(meta or None)
        self.lines.append(line)


def text_format(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in TEXT_FORMATS:
            known = ", ".join(TEXT_FORMATS)
            raise DataError(path, None, f"unknown format {format!r} (known: {known})")
        return format
    return _EXTENSIONS.get(path.suffix.lower(), "lines")


def parse_texts(
    source: str,
    data: bytes,
    *,
    format: str,
    text_column: str = "text",
    max_length: int = 10_000,
) -> TextRows:
    """Parse a file's bytes; ``source`` names it in errors."""
    if format == "labelstudio":
        return parse_labelstudio(source, data, max_length=max_length)
    content = _decode(source, data)
    rows = TextRows(source)
    if format == "lines":
        for number, line in _lines(content):
            rows.add(number, line, None, max_length)
    elif format in ("csv", "tsv"):
        _delimited(rows, content, "," if format == "csv" else "\t", text_column, max_length)
    elif format == "jsonl":
        _jsonl(rows, content, text_column, max_length)
    else:
        raise DataError(source, None, f"unknown format {format!r}")
    if not rows.texts:
        raise DataError(source, None, "no texts in the file")
    return rows


def read_texts(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    text_column: str = "text",
    max_length: int = 10_000,
) -> TextRows:
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise DataError(file, None, f"cannot read: {exc.strerror or exc}") from None
    kind = text_format(file, format)
    return parse_texts(str(file), data, format=kind, text_column=text_column, max_length=max_length)


def _delimited(rows: TextRows, content: str, delimiter: str, column: str, limit: int) -> None:
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise DataError(rows.source, None, "file is empty")
        header = [name.strip() for name in header]
        if column not in header:
            available = ", ".join(repr(c) for c in header)
            raise DataError(rows.source, 1, f"no text column {column!r} (columns: {available})")
        index = header.index(column)
        start = reader.line_num + 1
        for record in reader:
            number, start = start, reader.line_num + 1
            if not record or not any(cell.strip() for cell in record):
                continue
            if len(record) != len(header):
                raise DataError(
                    rows.source,
                    number,
                    f"malformed line: {len(record)} fields, header has {len(header)}",
                )
            meta = {
                name: cell
                for i, (name, cell) in enumerate(zip(header, record, strict=True))
                if i != index
            }
            rows.add(number, record[index], meta, limit)
    except csv.Error as exc:
        raise DataError(rows.source, reader.line_num, f"malformed line: {exc}") from None


def _jsonl(rows: TextRows, content: str, column: str, limit: int) -> None:
    for number, line in _lines(content):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(rows.source, number, f"malformed line: bad JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise DataError(rows.source, number, "malformed line: expected a JSON object")
        if column not in record:
            keys = ", ".join(repr(k) for k in record)
            raise DataError(rows.source, number, f"no text field {column!r} (fields: {keys})")
        text = record.pop(column)
        rows.add(number, text, record, limit)


def parse_labelstudio(source: str, data: bytes, *, max_length: int) -> TextRows:
    """Label Studio's JSON tasks (``data.text``, ``annotations[].result[].value.choices``):
    the newest annotation that is not cancelled gives the label, a task without one is
    unlabelled, the other ``data`` fields are metadata. Errors name the task by its
    position (from 1) as the line."""
    try:
        tasks = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(source, None, f"not a Label Studio JSON export ({exc})") from None
    if not isinstance(tasks, list):
        raise DataError(source, None, "expected a JSON list of tasks")
    rows = TextRows(source)
    for n, task in enumerate(tasks, start=1):
        content = task.get("data") if isinstance(task, dict) else None
        if not isinstance(content, dict) or "text" not in content:
            raise DataError(source, n, "task has no data.text")
        meta = {k: v for k, v in content.items() if k != "text"}
        rows.add(n, content["text"], meta, max_length)
        rows.labels.append(_choice(source, n, task.get("annotations") or []))
    if not rows.texts:
        raise DataError(source, None, "no tasks")
    return rows


def _choice(source: str, n: int, annotations: Any) -> str | None:
    if not isinstance(annotations, list):
        raise DataError(source, n, "annotations must be a list")
    for annotation in reversed(annotations):
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        for result in annotation.get("result") or []:
            choices = (
                (result.get("value") or {}).get("choices") if isinstance(result, dict) else None
            )
            if isinstance(choices, list) and choices:
                label = choices[0]
                if not isinstance(label, str) or not label.strip() or len(label) > 200:
                    raise DataError(source, n, f"choice {label!r} is not a valid label")
                return label
    return None
