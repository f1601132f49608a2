"""The exports' tables written out: CSV, Excel (openpyxl) and aligned text, from one description.

A ``Table`` is a title per column, the kind of each column and rows of typed Python values
(dates, ``Decimal`` amounts, ratios, text). Each writer turns the kinds into its own cells: text
and ISO dates in CSV, real dates, numbers and percentages in Excel.

Every text cell goes through ``neutralise`` whatever the writer (OWASP's CSV injection rule): a
spreadsheet reads a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula, so an account named ``=HYPERLINK(...)`` would run when the manager opens the file; such a
cell is prefixed with ``'`` and stays text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any, Iterable, Sequence, TextIO

from bot.render.files import FORMULA_STARTS
from bot.reports.money import Converted

# Excel shows a cell's number with these patterns; the amounts carry their currency in the
# pattern when the whole table is in one currency (the KPI table), else in a column of their own.
_PATTERNS = {
    "date": "yyyy-mm-dd",
    "count": "0",
    "money": "#,##0.00",
    "percent": "0.0%",
    "whole_percent": "0%",
    "ratio": "0.00",
    "score": "0.0000",
}
_WIDTHS = {"date": 12, "count": 10, "money": 16, "percent": 12, "whole_percent": 10, "ratio": 10, "score": 10,
           "text": 22, "long_text": 48}


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = "text"  # text | long_text | date | count | money | percent | whole_percent | ratio | score


@dataclass
class Table:
    """What an export writes; ``rows`` may be a stream (read once, by one writer)."""

    name: str  # the sheet's name, and the file's
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    currency: str | None = None  # every amount is in this currency (Excel shows it in the number format)


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet must read it: as text, never as a formula (see the module)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell_text(value: Any, kind: str) -> str:
    """A value as the CSV and the text table write it (neutralised)."""
    if value is None:
        return ""
    if isinstance(value, Converted):
        if value.complete:
            return f"{value.amount:.2f}"
        return neutralise(" + ".join(f"{amount:.2f} {currency}" for amount, currency in value.parts()))
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "money":
        return f"{Decimal(value):.2f}"
    if kind == "percent":
        return f"{value * 100:.1f}"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "score":
        return f"{value:.4f}"
    return neutralise(str(value))


def write_csv(table: Table, out: TextIO) -> int:
    """The table as CSV (header first) to ``out``; returns the number of rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralise(column.title) for column in table.columns])
    count = 0
    for row in table.rows:
        writer.writerow([cell_text(value, column.kind) for value, column in zip(row, table.columns)])
        count += 1
    return count


def write_text(table: Table, out: TextIO) -> int:
    """The table as aligned columns for a terminal (read whole: a report's table is small)."""
    rows = [[cell_text(value, column.kind) for value, column in zip(row, table.columns)] for row in table.rows]
    header = [column.title for column in table.columns]
    widths = [max(len(text) for text in column) for column in zip(header, *rows)]
    right = [column.kind not in ("text", "long_text", "date") for column in table.columns]
    for line in [header, *rows]:
        cells = [text.rjust(w) if r else text.ljust(w) for text, w, r in zip(line, widths, right)]
        out.write("  ".join(cells).rstrip() + "\n")
    return len(rows)


def write_xlsx(table: Table, target: str | IO[bytes]) -> int:
    """The table as an Excel workbook (one sheet, bold frozen header, column widths, typed cells)
    to a path or a binary file; returns the number of rows written. Streamed (openpyxl's write-only
    mode): a year of a large team's actions never sits in memory as cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.name[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(_WIDTHS.get(column.kind, 14), len(column.title) + 2)
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(column.title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    patterns = dict(_PATTERNS)
    if table.currency:
        patterns["money"] = f'#,##0.00 "{table.currency}"'
    count = 0
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, WriteOnlyCell, value, column.kind, patterns) for value, column in zip(row, table.columns)])
        count += 1
    workbook.save(target)
    return count


def xlsx_bytes(table: Table) -> tuple[bytes, int]:
    """The workbook's bytes (a file for the outbox or the console) and its number of rows."""
    buffer = io.BytesIO()
    count = write_xlsx(table, buffer)
    return buffer.getvalue(), count


def _xlsx_cell(sheet: Any, cell_type: Any, value: Any, kind: str, patterns: dict[str, str]) -> Any:
    if value is None:
        return None
    if isinstance(value, Converted):
        if not value.complete:  # no single number can say it: the parts, as text
            return _xlsx_text(cell_text(value, kind))
        value = value.amount
    if kind == "whole_percent":
        value = Decimal(value) / 100
    elif kind in ("text", "long_text") or kind not in patterns:
        return _xlsx_text(str(value))
    cell = cell_type(sheet, value=value)
    cell.number_format = patterns[kind]
    return cell


def _xlsx_text(text: str) -> str:
    """Text as a cell can hold it: neutralised (openpyxl itself makes a formula of a text starting
    with "="), without the control characters the file format forbids."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))
