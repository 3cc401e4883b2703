"""CSV cells a spreadsheet would run as formulas are written as text (OWASP's rule)."""

from __future__ import annotations

import csv
import io

import pytest

from tagloop import csvsafe


@pytest.mark.parametrize(
    "cell",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")', "=a\nb"],
)
def test_a_formula_cell_gets_a_quote_in_front_and_is_quoted(cell):
    buffer = io.StringIO()
    csvsafe.writer(buffer).writerow([7, cell, "plain"])
    line = buffer.getvalue()
    escaped = cell.replace('"', '""')
    assert f',"\'{escaped}",' in line  # the whole cell is in quotes, a quote inside first
    assert next(csv.reader(io.StringIO(line))) == ["7", "'" + cell, "plain"]


@pytest.mark.parametrize("cell", ["hello", "a=b", "1-2", " =1", "", "WINNER!! £1000"])
def test_other_cells_are_left_as_they_are(cell):
    buffer = io.StringIO()
    csvsafe.writer(buffer).writerows([[cell, 3]])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [cell, "3"]
    assert not buffer.getvalue().startswith("'")


def test_numbers_are_not_text_and_stay_numbers():
    assert csvsafe.safe_cell(-1) == -1
    assert csvsafe.safe_cell(-0.5) == -0.5
