"""Accounts (sociétés): exact match without case or accents, fuzzy suggestions, creation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from storage.models import Account

SUGGESTION_CUTOFF = 72  # below this score a suggestion is more noise than help
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class AccountMatch:
    """The account named exactly, or the nearest names to offer."""

    exact: Account | None
    suggestions: list[Account] = field(default_factory=list)


def find_account(session: Session, workspace_id: int, typed: str) -> AccountMatch:
    """Look ``typed`` up: an exact folded match first, else up to three close names."""
    key = fold(typed)
    exact = session.scalar(select(Account).where(Account.workspace_id == workspace_id, Account.name_key == key))
    if exact is not None:
        return AccountMatch(exact=exact)
    # Only names are read (not whole rows): a few thousand short strings per workspace.
    rows = session.execute(
        select(Account.id, Account.name_key).where(Account.workspace_id == workspace_id)
    ).all()
    if not rows:
        return AccountMatch(exact=None)
    ids = [row.id for row in rows]
    found = process.extract(
        key, [row.name_key for row in rows], scorer=fuzz.WRatio, limit=MAX_SUGGESTIONS, score_cutoff=SUGGESTION_CUTOFF
    )
    suggestion_ids = [ids[index] for _name, _score, index in found]
    accounts = {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(suggestion_ids)))}
    return AccountMatch(exact=None, suggestions=[accounts[i] for i in suggestion_ids if i in accounts])


def get_account(session: Session, workspace_id: int, account_id: int) -> Account | None:
    """The account ``account_id`` if it belongs to the workspace (never another workspace's)."""
    return session.scalar(select(Account).where(Account.workspace_id == workspace_id, Account.id == account_id))


def create_account(session: Session, workspace_id: int, name: str, *, owner_id: int | None, now: datetime) -> Account:
    """Create the account ``name`` (or return the one a concurrent request just created)."""
    name = " ".join(name.split())
    key = fold(name)
    try:
        with session.begin_nested():
            account = Account(
                workspace_id=workspace_id, name=name, name_key=key, status="prospect", owner_id=owner_id, created_at=now
            )
            session.add(account)
    except IntegrityError:
        account = session.scalar(select(Account).where(Account.workspace_id == workspace_id, Account.name_key == key))
        assert account is not None
    return account


def search_accounts(session: Session, workspace_id: int, query: str, *, limit: int = 20) -> list[Account]:
    """Accounts whose folded name contains ``query`` (type-ahead), names starting with it first."""
    key = fold(query)
    if not key:
        return []
    pattern = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = list(
        session.scalars(
            select(Account)
            .where(Account.workspace_id == workspace_id, Account.name_key.like(pattern, escape="\\"))
            .order_by(Account.name_key)
            .limit(limit * 3)
        )
    )
    rows.sort(key=lambda a: (not a.name_key.startswith(key), a.name_key))
    if len(rows) < limit:
        # Nothing close by spelling: offer the fuzzy suggestions too ("Gama" finds "Gamma").
        seen = {a.id for a in rows}
        rows += [a for a in find_account(session, workspace_id, query).suggestions if a.id not in seen]
    return rows[:limit]
