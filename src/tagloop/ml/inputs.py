"""Texts to classify, read from a file or a stream: lines, JSON Lines, CSV or TSV.

A text may hold newlines (a message, a review) only in a structured format: JSON Lines
(``{"text": …, …}`` per line) or CSV/TSV with a header and a text column (quoted fields span
lines). Every other field of a row is kept, so ``tagloop predict`` can write it back beside
the prediction. Plain text means one text per line, blank lines skipped. A bad row raises
``InputError`` naming the file and line; rows are yielded as they are read, so a large file
is never held in memory.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

INPUT_FORMATS = ("lines", "jsonl", "csv", "tsv")
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv"}


class InputError(ValueError):
    """A row that cannot be read, located as ``name:line``."""


@dataclass(frozen=True)
class InputText:
    text: str
    fields: dict[str, Any] = field(default_factory=dict)  # the row's other fields
    line: int = 0


def input_format(name: str, fmt: str | None = None) -> str:
    """``fmt`` if given, else from the file name's extension; plain lines otherwise."""
    if fmt is not None:
        if fmt not in INPUT_FORMATS:
            raise InputError(f"unknown input format {fmt!r} (one of {', '.join(INPUT_FORMATS)})")
        return fmt
    for ext, found in _EXTENSIONS.items():
        if name.lower().endswith(ext):
            return found
    return "lines"


def read_inputs(
    stream: IO[bytes], name: str, fmt: str = "lines", text_column: str = "text"
) -> Iterator[InputText]:
    """The texts of ``stream`` (UTF-8) in format ``fmt``; see the module docstring."""
    lines = _decoded(stream, name)
    if fmt == "lines":
        for number, line in lines:
            text = line.rstrip("\r\n")
            if text.strip():
                yield InputText(text, {}, number)
    elif fmt == "jsonl":
        yield from _jsonl(lines, name, text_column)
    elif fmt in ("csv", "tsv"):
        yield from _delimited(lines, name, text_column, "\t" if fmt == "tsv" else ",")
    else:
        raise InputError(f"unknown input format {fmt!r}")


def _decoded(stream: IO[bytes], name: str) -> Iterator[tuple[int, str]]:
    decoder = codecs.getincrementaldecoder("utf-8")()
    for number, raw in enumerate(stream, start=1):
        try:
            text = decoder.decode(raw)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}:{number}: not valid UTF-8 ({exc.reason})") from None
        yield number, text.removeprefix("\ufeff") if number == 1 else text


def _text_of(row: dict[str, Any], where: str, text_column: str) -> InputText:
    if text_column not in row:
        raise InputError(f"{where}: no {text_column!r} field (has: {', '.join(row) or 'none'})")
    text = row[text_column]
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: {text_column!r} must be a non-blank string")
    others = {k: v for k, v in row.items() if k != text_column}
    return InputText(text, others, int(where.rsplit(":", 1)[1]))


def _jsonl(lines: Iterable[tuple[int, str]], name: str, text_column: str) -> Iterator[InputText]:
    for number, line in lines:
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected a JSON object")
        yield _text_of(row, where, text_column)


def _delimited(
    lines: Iterable[tuple[int, str]], name: str, text_column: str, delimiter: str
) -> Iterator[InputText]:
    numbered = iter(lines)
    current = [0]

    def source() -> Iterator[str]:
        for number, line in numbered:
            current[0] = number
            yield line

    reader = csv.reader(source(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(f"{name}:1: {exc}") from None
    if text_column not in header:
        raise InputError(f"{name}:1: no column {text_column!r} in the header ({', '.join(header)})")
    while True:
        start = current[0] + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(f"{name}:{current[0]}: {exc}") from None
        if not values or values == [""]:
            continue
        if len(values) != len(header):
            raise InputError(f"{name}:{start}: {len(values)} fields, the header has {len(header)}")
        yield _text_of(dict(zip(header, values, strict=True)), f"{name}:{start}", text_column)
