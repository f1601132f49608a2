"""Data protection: erase a contact's personal data (the whole-data export is bot/reports/whole_export.py).

``erase_contact`` removes a person from every table of a workspace: the contact rows carrying the
name are deleted, actions lose their link to them (they keep their type, result, date and the
contact's function: the statistics stay), the pending commands that hold the name are deleted,
and the name is replaced by ``[effacé]`` / ``[erased]`` wherever it is written — in every text and
JSON column of every table that belongs to the workspace (notes, titles, account names, stored
replies, queued messages), found by the tables' own description, so tables added later are
covered too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, Table, Text, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from storage.models import Action, Base, Contact, PendingCommand, Workspace

BATCH = 1000


class ErasureError(ValueError):
    """The contact to erase cannot be found; nothing was changed."""


@dataclass
class Erasure:
    """What an erasure changed."""

    contacts: int = 0  # contact rows deleted
    actions: int = 0  # actions that lost their link to the contact (kept, with the function)
    pending: int = 0  # pending commands deleted
    values: int = 0  # text and JSON values where the name was replaced


# --------------------------------------------------------------------------- erase


def name_pattern(names: set[str]) -> re.Pattern[str]:
    """The names as written and without accents, any case, any spacing, as whole words."""
    variants = {" ".join(n.split()) for n in names} | {fold(n) for n in names}
    parts = sorted((re.escape(v).replace(r"\ ", r"\s+") for v in variants if v), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def common_fragment(names: set[str]) -> str | None:
    """The longest run of ASCII letters and digits found in every way the names may be written
    (as typed, without accents, any case): the database's own scan finds the rows worth reading."""
    forms = [f for n in names for f in (" ".join(n.split()).casefold(), fold(n))]
    runs = sorted(set(re.findall(r"[a-z0-9]+", " ".join(forms))), key=len, reverse=True)
    return next((run for run in runs if len(run) >= 3 and all(run in form for form in forms)), None)


def erase_contact(session: Session, workspace_id: int, name: str, *, replacement: str) -> Erasure:
    """Erase the contact ``name`` (every account's, case and accents ignored) from the workspace."""
    key = fold(name)
    contacts = list(session.scalars(select(Contact).where(Contact.workspace_id == workspace_id, Contact.name_key == key)))
    if not key or not contacts:
        raise ErasureError(f"no contact {name!r} in this workspace")
    ids = {c.id for c in contacts}
    names = {name, *(c.name for c in contacts)}
    pattern, fragment = name_pattern(names), common_fragment(names)
    done = Erasure(contacts=len(contacts))
    for command in list(session.scalars(select(PendingCommand).where(PendingCommand.workspace_id == workspace_id))):
        if _holds(command.payload, pattern, ids):
            session.delete(command)
            done.pending += 1
    done.actions = session.execute(
        update(Action).where(Action.workspace_id == workspace_id, Action.contact_id.in_(ids)).values(contact_id=None)
    ).rowcount or 0
    for contact in contacts:
        session.delete(contact)
    session.flush()
    for table in workspace_tables():
        done.values += _rewrite(session, table, workspace_id, pattern, fragment, replacement)
    session.flush()
    return done


def _holds(value: Any, pattern: re.Pattern[str], contact_ids: set[int], key: str = "") -> bool:
    """True when a JSON value writes the name, or names one of the contacts by id."""
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, int) and "contact" in key:
        return value in contact_ids
    if isinstance(value, dict):
        return any(_holds(v, pattern, contact_ids, str(k)) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds(v, pattern, contact_ids, key) for v in value)
    return False


def _replaced(value: Any, pattern: re.Pattern[str], replacement: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, dict):
        return {k: _replaced(v, pattern, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, pattern, replacement) for v in value]
    return value


def workspace_tables() -> list[Table]:
    """Every table whose rows belong to a workspace (its ``workspace_id``), and the workspace itself."""
    return [t for t in Base.metadata.sorted_tables if "workspace_id" in t.c or t.name == Workspace.__tablename__]


def scope(table: Table, workspace_id: int) -> Any:
    return table.c.id == workspace_id if "workspace_id" not in table.c else table.c.workspace_id == workspace_id


def _rewrite(
    session: Session, table: Table, workspace_id: int, pattern: re.Pattern[str], fragment: str | None, replacement: str
) -> int:
    """Replace the name in the table's text and JSON columns (a ``name_key`` follows its ``name``).

    With a ``fragment`` the database only returns the rows holding it (case ignored); each is
    then matched in full here (accents, spacing, whole words)."""
    columns = [c for c in table.c if c.name != "name_key" and isinstance(c.type, (String, JSON))]
    if not columns:
        return 0
    keys = list(table.primary_key.columns)
    changes: list[tuple[Any, str, dict[str, Any]]] = []
    query = select(*keys, *columns).where(scope(table, workspace_id))
    if fragment is not None:
        query = query.where(or_(*(cast(c, Text).ilike(f"%{fragment}%") for c in columns)))
    rows = session.execute(query.execution_options(yield_per=BATCH))
    for row in rows:
        new = {}
        for column in columns:
            value = row._mapping[column]
            if value is None:
                continue
            changed = _replaced(value, pattern, replacement)
            if changed != value:
                new[column.name] = changed
        if new:
            ident = "-".join(str(row._mapping[key]) for key in keys)
            changes.append((and_(*(key == row._mapping[key] for key in keys)), ident, new))
    count = 0
    for this_row, ident, change in changes:
        count += len(change)
        if "name" in change and "name_key" in table.c:
            change["name_key"] = _free_key(session, table, workspace_id, this_row, ident, change["name"])
        session.execute(update(table).where(this_row).values(**change))
    return count


def _free_key(session: Session, table: Table, workspace_id: int, this_row: Any, ident: str, name: str) -> str:
    # Two accounts named after the erased person would both become "[erased]": keep keys unique.
    key = fold(name)
    taken = session.scalar(
        select(func.count()).select_from(table).where(scope(table, workspace_id), table.c.name_key == key, ~this_row)
    )
    return key if not taken else f"{key} #{ident}"
