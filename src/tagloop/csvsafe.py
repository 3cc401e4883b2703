"""CSV that a spreadsheet opens as data: a cell that would start a formula is neutralised.

Excel, LibreOffice and Google Sheets run a cell beginning with ``=``, ``+``, ``-``, ``@``,
TAB or CR as a formula, so a message like ``=HYPERLINK(…)`` in an export would run on the
reader's machine. OWASP's rule: prefix such a cell with a single quote (shown as text,
not run) and enclose it in double quotes. Every CSV tagloop writes goes through
``writer`` here; the web app does the same in ``frontend/src/lib/csv.ts``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def neutralise(value: Any) -> Any:
    """``value`` with a quote in front if it is text that a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows are neutralised; a neutralised cell is always quoted."""

    def __init__(self, file: _Writable, **options: Any) -> None:
        self._file = file
        self._plain = csv.writer(file, **options)
        self._quoted = csv.writer(file, quoting=csv.QUOTE_ALL, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        cells = list(row)
        if any(isinstance(c, str) and c.startswith(FORMULA_STARTS) for c in cells):
            # QUOTE_ALL for this row only: the quoted formula cells are what matters, and
            # quoting the row's other cells too changes nothing a reader sees.
            self._quoted.writerow([neutralise(c) for c in cells])
        else:
            self._plain.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(file: _Writable, **options: Any) -> SafeWriter:
    return SafeWriter(file, **options)
