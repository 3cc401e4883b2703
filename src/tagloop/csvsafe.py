"""CSV that a spreadsheet opens as data: a cell that would start a formula is neutralised.

Excel, LibreOffice and Google Sheets run a cell beginning with ``=``, ``+``, ``-``, ``@``,
TAB or CR as a formula, so a message like ``=HYPERLINK(…)`` in an export would run on the
reader's machine. OWASP's rule: prefix such a cell with a single quote (shown as text,
not run) and enclose it in double quotes. Every CSV tagloop writes goes through ``writer``
or ``csv_rows`` here; the web app does the same in ``frontend/src/lib/csv.ts``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will show it: text starting like a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows are neutralised; a neutralised cell is always quoted."""

    def __init__(self, file: _Writable, **options: Any) -> None:
        self._plain = csv.writer(file, **options)
        self._quoted = csv.writer(file, **{**options, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Iterable[Any]) -> None:
        cells = list(row)
        if any(isinstance(c, str) and c.startswith(FORMULA_START) for c in cells):
            # QUOTE_ALL for this row only: the quoted formula cells are what matters, and
            # quoting the row's other cells too changes nothing a reader sees.
            self._quoted.writerow([safe_cell(c) for c in cells])
        else:
            self._plain.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(file: _Writable, **options: Any) -> SafeWriter:
    return SafeWriter(file, **options)


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV text, one chunk per row (the header first), every cell made safe."""
    buffer = io.StringIO()
    out = writer(buffer)
    out.writerow(header)
    for row in rows:
        out.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
