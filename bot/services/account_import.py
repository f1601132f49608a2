"""``carnet accounts import FILE.csv``: accounts created or updated from a file, every row or none.

The file may come from Excel: UTF-8 (with or without a BOM) or Windows-1252, ``;`` or ``,``
between cells (``csv.Sniffer`` decides), headers in French or English. Each problem is given with
its line; a file with any problem changes nothing. An empty cell leaves the field as it is (a new
account takes the defaults: prospect, no segment, no owner, the segment's capital).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.grammar.log import MAX_ACCOUNT_LENGTH
from bot.render.files import FORMULA_STARTS
from bot.grammar.normalize import fold, has_letter_or_digit
from bot.services.account_card import (
    KEEP,
    AccountChange,
    AccountChangeError,
    read_capital,
    read_city,
    read_postcode,
    read_segment,
    read_status,
)
from bot.services.accounts import accounts_named
from storage.models import Account, Member

COLUMNS = ("name", "status", "segment", "owner", "visits_per_year", "city", "postcode")
HEADERS = {
    "name": "name", "nom": "name", "account": "name", "compte": "name", "societe": "name", "company": "name",
    "status": "status", "statut": "status",
    "segment": "segment",
    "owner": "owner", "responsable": "owner", "proprietaire": "owner", "commercial": "owner",
    "visits_per_year": "visits_per_year", "visites_par_an": "visits_per_year", "capital": "visits_per_year",
    "visits per year": "visits_per_year", "visites par an": "visits_per_year",
    "city": "city", "ville": "city",
    "postcode": "postcode", "code_postal": "postcode", "code postal": "postcode", "cp": "postcode", "zip": "postcode",
}
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ImportProblem:
    """Why a line cannot be used: ``code`` names ``accounts.import.<code>``; line 0: the whole file."""

    line: int
    code: str
    value: str = ""


class AccountImportError(Exception):
    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(", ".join(f"{p.line}:{p.code}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportRow:
    line: int
    name: str
    change: AccountChange
    owner: str | None  # as written: a user id or a display name; None leaves it


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), else Windows-1252 (what Excel writes in France)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def read_rows(data: bytes) -> tuple[list[ImportRow], list[ImportProblem]]:
    """The file's rows, and the problems found without the database."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        return [], [ImportProblem(0, "bad_encoding")]
    if not text.strip():
        return [], [ImportProblem(0, "empty_file")]
    try:  # only the separator is sniffed (from the header); quoting stays Excel's, doubled quotes included
        delimiter = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    header = next(reader)
    columns = [HEADERS.get(fold(h).strip().replace("-", "_")) for h in header]
    unknown = [h for h, c in zip(header, columns) if c is None and h.strip()]
    problems = [ImportProblem(1, "unknown_column", h) for h in unknown]
    if "name" not in columns:
        problems.append(ImportProblem(1, "missing_name_column"))
    doubled = {c for c in columns if c and columns.count(c) > 1}
    problems += [ImportProblem(1, "duplicate_column", c) for c in sorted(doubled)]
    if problems:
        return [], problems
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns):
            problems.append(ImportProblem(line, "too_many_cells", str(len(cells))))
            continue
        values = {c: _unneutralised(cell.strip()) for c, cell in zip(columns, cells) if c}
        row = _read_row(line, values, problems)
        if row is None:
            continue
        key = fold(row.name)
        if key in seen:
            problems.append(ImportProblem(line, "duplicate_name", f"{row.name} ({seen[key]})"))
        seen[key] = line
        rows.append(row)
    if not rows and not problems:
        problems.append(ImportProblem(0, "no_rows"))
    return rows, problems


def _unneutralised(cell: str) -> str:
    """A cell as written before an export kept it from being read as a formula (``'=x`` → ``=x``)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _read_row(line: int, values: dict[str, str], problems: list[ImportProblem]) -> ImportRow | None:
    name = " ".join(values.get("name", "").split())
    if not name:
        problems.append(ImportProblem(line, "missing_name"))
        return None
    if len(name) > MAX_ACCOUNT_LENGTH:
        problems.append(ImportProblem(line, "name_too_long", name[:40]))
        return None
    if not has_letter_or_digit(name):
        problems.append(ImportProblem(line, "bad_name", name))
        return None
    fields: dict[str, object] = {}
    readers = (("status", read_status), ("segment", read_segment), ("visits_per_year", read_capital),
               ("city", read_city), ("postcode", read_postcode))
    before = len(problems)
    for column, read in readers:
        raw = values.get(column, "")
        if not raw:
            continue
        try:
            fields[column] = read(raw)
        except AccountChangeError as error:
            problems.append(ImportProblem(line, error.code, error.value))
    if len(problems) > before:
        return None
    return ImportRow(line, name, AccountChange(**fields), values.get("owner") or None)


def _owners(session: Session, workspace_id: int) -> tuple[dict[str, int], dict[str, list[int]]]:
    members = session.execute(select(Member.id, Member.slack_user_id, Member.display_name).where(Member.workspace_id == workspace_id)).all()
    by_user = {m.slack_user_id: m.id for m in members}
    by_name: dict[str, list[int]] = {}
    for m in members:
        by_name.setdefault(fold(m.display_name), []).append(m.id)
    return by_user, by_name


def import_accounts(session: Session, workspace_id: int, data: bytes, *, now: datetime) -> ImportResult:
    """Read, check, then write every row; raises ``AccountImportError`` (nothing written) on any problem."""
    rows, problems = read_rows(data)
    by_user, by_name = _owners(session, workspace_id)
    resolved: list[tuple[ImportRow, AccountChange]] = []
    for row in rows:
        change = row.change
        if row.owner is not None:
            owner = row.owner.lstrip("@").strip()
            named = by_name.get(fold(owner), [])
            owner_id = by_user.get(owner) or (named[0] if len(named) == 1 else None)
            if fold(owner) in ("-", "none", "aucun"):
                owner_id = None
            elif owner_id is None:
                problems.append(ImportProblem(row.line, "ambiguous_owner" if len(named) > 1 else "unknown_owner", row.owner))
                continue
            change = AccountChange(**{**change.changed(), "owner_id": owner_id})
        resolved.append((row, change))
    if problems:
        raise AccountImportError(sorted(problems, key=lambda p: p.line))
    existing = accounts_named(session, workspace_id, [row.name for row in rows])
    # Written in bulk (ORM executemany): one statement per batch, not one per row (20,000 rows on
    # PostgreSQL took 32 s row by row).
    created_rows, changed_rows = [], []
    for row, change in resolved:
        account = existing.get(fold(row.name))
        values = change.changed()
        if account is None:
            created_rows.append({"workspace_id": workspace_id, "name": row.name, "name_key": fold(row.name),
                                 "status": "prospect", "created_at": now, **values})
        elif any(getattr(account, name) != value for name, value in values.items()):
            changed_rows.append({"id": account.id, **values})
    if created_rows:
        session.execute(insert(Account), created_rows)
    if changed_rows:
        session.execute(update(Account), changed_rows)
    session.expire_all()
    created, updated = len(created_rows), len(resolved) - len(created_rows)
    return ImportResult(created=created, updated=updated)


__all__ = ["COLUMNS", "KEEP", "AccountImportError", "ImportProblem", "ImportResult", "decode", "import_accounts", "read_rows"]
