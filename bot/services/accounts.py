"""Accounts (sociétés): exact match without case or accents, fuzzy suggestions, creation."""

from __future__ import annotations

from dataclasses import dataclass, field
import threading
from datetime import datetime
from typing import Iterable

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from storage.models import Account

SUGGESTION_CUTOFF = 72  # below this score a suggestion is more noise than help
MAX_SUGGESTIONS = 3
# Names kept by the cheap first pass, from each of its two orders (see ``nearest``).
CANDIDATES = 200


@dataclass(frozen=True)
class AccountMatch:
    """The account named exactly, or the nearest names to offer."""

    exact: Account | None
    suggestions: list[Account] = field(default_factory=list)


class AccountNameIndex:
    """The folded account names of each workspace, kept in memory for fuzzy suggestions.

    Reading 5,000 names on every unknown name cost more than the fuzzy match itself (and
    fed the garbage collector), so each process keeps them. A cached list is used only while
    the workspace's account count and highest id are what they were — one indexed query —
    so accounts created by another process are seen at once. Accounts are added, never
    renamed; a deleted workspace takes its accounts with it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workspace: dict[int, tuple[tuple[int, int], NameList]] = {}

    def names(self, session: Session, workspace_id: int) -> "NameList":
        count, highest = session.execute(
            select(func.count(Account.id), func.max(Account.id)).where(Account.workspace_id == workspace_id)
        ).one()
        stamp = (int(count or 0), int(highest or 0))
        with self._lock:
            cached = self._by_workspace.get(workspace_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        rows = session.execute(select(Account.id, Account.name_key).where(Account.workspace_id == workspace_id)).all()
        names = NameList([row.id for row in rows], [row.name_key for row in rows])
        if len(names.ids) == stamp[0]:  # rows written meanwhile would make the stamp lie: cache only a match
            with self._lock:
                self._by_workspace[workspace_id] = (stamp, names)
        return names


@dataclass(frozen=True)
class NameList:
    """A workspace's account ids and folded names, and the names with their words sorted."""

    ids: list[int]
    keys: list[str]
    sorted_keys: list[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sorted_keys", [_sorted_words(k) for k in self.keys])


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


def nearest(key: str, names: NameList, *, limit: int = MAX_SUGGESTIONS, cutoff: float = SUGGESTION_CUTOFF) -> list[int]:
    """Positions in ``names`` of the ``limit`` names nearest to the folded ``key`` (best first).

    Scored with rapidfuzz's ``WRatio`` (typos, prefixes, words missing or swapped), ties broken by
    the plain ``ratio`` (the name closest in length first), then by position. ``WRatio`` over every
    name grew with the workspace (about 45 ms of CPU a lookup at 50,000 accounts), so a first pass
    keeps the ``CANDIDATES`` best names by ``ratio`` (an Indel distance, several times cheaper) on
    the names as written and on their words sorted, which brings back a word typed out of order;
    ``WRatio`` then ranks those few hundred. On seeded typos, prefixes, missing and swapped words
    over 5,000 to 50,000 names the first name is the one the full pass finds (see
    tests/services/test_account_matching.py); it differs on about 1 double typo in 70, where
    ``WRatio``'s partial match prefers an unrelated name by a point.
    """
    if len(names.keys) <= 2 * CANDIDATES:
        pool: Iterable[int] = range(len(names.keys))
    else:
        pool = {i for _n, _s, i in process.extract(key, names.keys, scorer=fuzz.ratio, limit=CANDIDATES)}
        pool |= {
            i for _n, _s, i in process.extract(_sorted_words(key), names.sorted_keys, scorer=fuzz.ratio, limit=CANDIDATES)
        }
    scored = []
    for i in pool:
        score = fuzz.WRatio(key, names.keys[i], score_cutoff=cutoff)
        if score:
            scored.append((-score, -fuzz.ratio(key, names.keys[i]), i))
    return [i for _score, _ratio, i in sorted(scored)[:limit]]


def find_account(session: Session, workspace_id: int, typed: str, *, index: AccountNameIndex | None = None) -> AccountMatch:
    """Look ``typed`` up: an exact folded match first, else up to three close names."""
    key = fold(typed)
    exact = session.scalar(select(Account).where(Account.workspace_id == workspace_id, Account.name_key == key))
    if exact is not None:
        return AccountMatch(exact=exact)
    names = (index or AccountNameIndex()).names(session, workspace_id)
    if not names.ids:
        return AccountMatch(exact=None)
    suggestion_ids = [names.ids[i] for i in nearest(key, names)]
    accounts = {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(suggestion_ids)))}
    return AccountMatch(exact=None, suggestions=[accounts[i] for i in suggestion_ids if i in accounts])


def accounts_named(session: Session, workspace_id: int, names: Iterable[str]) -> dict[str, Account]:
    """The accounts named exactly (case and accents aside) by any of ``names``, by folded name; one query."""
    keys = {key for key in (fold(name) for name in names) if key}
    if not keys:
        return {}
    found = session.scalars(select(Account).where(Account.workspace_id == workspace_id, Account.name_key.in_(keys)))
    return {account.name_key: account for account in found}


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


def search_accounts(
    session: Session, workspace_id: int, query: str, *, limit: int = 20, index: AccountNameIndex | None = None
) -> list[Account]:
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
        rows += [a for a in find_account(session, workspace_id, query, index=index).suggestions if a.id not in seen]
    return rows[:limit]
