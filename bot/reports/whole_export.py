"""The whole data of a workspace (``carnet export all``): one CSV per table and a README.txt of the
columns, in one zip.

Every table whose rows belong to the workspace is written, found by the tables' own description
(tables added later are exported too), every column but secret ones. Text cells are neutralised
against spreadsheet formulas (``bot/reports/tables.py``) and cleaned of anything shaped like a
token (a queued reply's ``response_url``).
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Iterator

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from bot.redaction import redact
from bot.reports.tables import neutralise
from bot.services.data_protection import BATCH, scope, workspace_tables
from storage.models import Base, Workspace

# Columns never exported: what holds a credential (none today; an OAuth install's tokens would).
SECRET_COLUMN = re.compile(r"token|secret|password|signing", re.IGNORECASE)
_COMMENTED = re.compile(r"^\s+(\w+): Mapped\[.*#\s*(.+)$", re.MULTILINE)


def export_all(session: Session, workspace: Workspace, target: IO[bytes]) -> dict[str, int]:
    """The workspace's whole data as a zip: ``<table>.csv`` each, and README.txt; rows per table."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in workspace_tables():
            columns = exported_columns(table)
            with archive.open(f"{table.name}.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow([c.name for c in columns])
                counts[table.name] = 0
                for values in _rows(session, table, columns, workspace.id):
                    writer.writerow([export_cell(v) for v in values])
                    counts[table.name] += 1
        archive.writestr("README.txt", readme(counts))
    return counts


def exported_columns(table: Table) -> list[Any]:
    """The table's columns but the secret ones."""
    return [c for c in table.c if not SECRET_COLUMN.search(c.name)]


def _rows(session: Session, table: Table, columns: list[Any], workspace_id: int) -> Iterator[Any]:
    query = select(*columns).where(scope(table, workspace_id)).order_by(*table.primary_key.columns)
    yield from session.execute(query.execution_options(yield_per=BATCH))


def export_cell(value: Any) -> str:
    """A stored value as CSV text: ISO dates and instants, plain numbers, JSON, text safe to open."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (int, Decimal, float)):
        return str(value)
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return neutralise(redact(str(value)))


def readme(counts: dict[str, int]) -> str:
    """README.txt: each table, what a row is, its columns and their types."""
    classes = {m.local_table.name: m.class_ for m in Base.registry.mappers}
    lines = [
        "Carnet: the whole data of one workspace, one CSV file per table (UTF-8, comma separated, header first).",
        "Times are UTC (ISO 8601); dates are days as the member meant them; empty cells are empty values;",
        "JSON columns hold JSON text; a text cell starting with = + - @ is prefixed with ' (spreadsheet safety);",
        "secret columns (tokens) are never exported and token-shaped text is written [redacted].",
        "",
    ]
    for table in workspace_tables():
        model = classes.get(table.name)
        doc = " ".join((model.__doc__ or "").split()) if model is not None else ""
        comments = _column_comments(model)
        lines.append(f"{table.name}.csv ({counts.get(table.name, 0)} rows): {doc}")
        for column in exported_columns(table):
            kind = _kind(column)
            target = ", ".join(f"-> {fk.column.table.name}.{fk.column.name}" for fk in column.foreign_keys)
            notes = " ".join(filter(None, [kind, "key" if column.primary_key else "",
                                           "may be empty" if column.nullable and not column.primary_key else "", target]))
            meaning = f" — {comments[column.name]}" if column.name in comments else ""
            lines.append(f"  {column.name}: {notes}{meaning}")
        lines.append("")
    return "\n".join(lines)


def _column_comments(model: type | None) -> dict[str, str]:
    """The comment written after each column in storage/models.py (its values, its meaning)."""
    if model is None:
        return {}
    try:
        source = inspect.getsource(model)
    except (OSError, TypeError):
        return {}
    return {m.group(1): m.group(2).strip() for m in _COMMENTED.finditer(source)}


def _kind(column: Any) -> str:
    name = type(column.type).__name__
    return {"UTCDateTime": "instant (UTC)", "Date": "date", "Numeric": "decimal number", "Integer": "whole number",
            "Boolean": "true/false", "JSON": "JSON", "Text": "text", "String": "text"}.get(name, name.lower())
