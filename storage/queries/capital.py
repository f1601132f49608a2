"""The visit capital ("capital de visites"): the one SQL definition of due, done and planned visits.

An account's capital is a number of visits a year: its own ``visits_per_year``, else the
workspace's default for its segment; a prospect without its own number has none (its visits
count toward its rep's prospection budget instead), a former client has none.

Over a window of days (a year so far, a rep's period), for each account:

- ``due``: the capital pro rata of the window's days elapsed — capital × elapsed days / days of the year;
- ``done``: in-person actions at the account on the window's elapsed days, whoever made them
  (the account's coverage: a manager's joint visit counts for the owner);
- ``planned``: in-person plans at the account still ``planned`` in the window's remaining instants.

Plans, the KPIs, the digest and the review all read these rows; aggregates per segment and per
rep are sums of them.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Float, case, cast, func, literal, null, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from storage.models import Account, Action, Plan

PROSPECTION = "prospect"  # the per-segment key under which a rep's prospection budget is reported


@dataclass(frozen=True)
class CapitalWindow:
    """Days ``start``..``end`` seen on ``as_of`` (local days), and the UTC instants where plans still count."""

    start: date
    end: date
    as_of: date
    planned_from: datetime  # UTC: plans due from here…
    planned_until: datetime  # …to here (exclusive) are "planned"

    @property
    def elapsed_end(self) -> date:
        return min(self.as_of, self.end)

    @property
    def elapsed_days(self) -> int:
        return max(0, (self.elapsed_end - self.start).days + 1)

    @property
    def year_days(self) -> int:
        return 366 if calendar.isleap(self.start.year) else 365

    @property
    def share(self) -> float:
        """The part of a year's capital due over the elapsed days."""
        return self.elapsed_days / self.year_days


@dataclass(frozen=True)
class AccountCapital:
    account_id: int
    owner_id: int | None
    name: str
    segment: str | None
    city: str | None
    postcode: str | None
    capital: int  # visits a year
    due: float  # pro rata of the window elapsed
    done: int
    planned: int
    last_visit: date | None  # the last in-person action at the account, ever (the rhythm counts from it)


@dataclass(frozen=True)
class CapitalSum:
    capital: int
    due: float
    done: int
    planned: int


def capital_of(defaults: Mapping[str, int]) -> ColumnElement[int]:
    """The account's yearly capital as SQL: its own number, else its segment's default (prospects and
    former clients: none)."""
    by_segment = [(Account.segment == segment, literal(int(n))) for segment, n in sorted(defaults.items())]
    return case(
        (Account.status == "former_client", null()),
        (Account.visits_per_year.is_not(None), Account.visits_per_year),
        (Account.status == "prospect", null()),
        *by_segment,
        else_=null(),
    )


OWNED_FILTER_UP_TO = 50  # owners: beyond, the workspace's actions are grouped whole (cheaper than probing)


def _owned(workspace_id: int, owner_ids: Sequence[int]) -> ColumnElement[bool] | bool:
    """For a few owners (a rep's tour), the actions and plans read are their accounts' only: one rep
    must not group the whole workspace's actions; for a team, grouping them all is cheaper."""
    if len(owner_ids) > OWNED_FILTER_UP_TO:
        return True
    return select(Account.id).where(Account.workspace_id == workspace_id, Account.owner_id.in_(list(owner_ids))).scalar_subquery()


def _within(column, owned) -> list:
    return [] if owned is True else [column.in_(owned)]


def per_account(
    session: Session,
    workspace_id: int,
    owner_ids: Sequence[int],
    window: CapitalWindow,
    *,
    defaults: Mapping[str, int],
    visit_types: Sequence[str],
    account_ids: Sequence[int] | None = None,
) -> list[AccountCapital]:
    """Every account of ``owner_ids`` with a capital (> 0), ordered by name, with its due, done and planned visits.
    No ``owner_ids`` but ``account_ids``: those accounts whoever owns them (an account's card)."""
    if not owner_ids and account_ids is None:
        return []
    capital = capital_of(defaults).label("capital")
    owned = _owned(workspace_id, owner_ids) if owner_ids else list(account_ids or [])
    visits = (
        select(
            Action.account_id.label("account_id"),
            func.sum(case((Action.occurred_on.between(window.start, window.elapsed_end), 1), else_=literal(0))).label("done"),
            func.max(Action.occurred_on).label("last_visit"),
        )
        .where(
            Action.workspace_id == workspace_id,
            *_within(Action.account_id, owned),
            Action.action_type.in_(list(visit_types)),
        )
        .group_by(Action.account_id)
        .subquery()
    )
    planned = _planned(workspace_id, owned, window, visit_types)
    accounts = (
        select(
            Account.id, Account.owner_id, Account.name, Account.segment, Account.city, Account.postcode, capital,
            func.coalesce(visits.c.done, 0), func.coalesce(planned.c.planned, 0), visits.c.last_visit,
        )
        .outerjoin(visits, visits.c.account_id == Account.id)
        .outerjoin(planned, planned.c.account_id == Account.id)
        .where(Account.workspace_id == workspace_id, *([Account.owner_id.in_(list(owner_ids))] if owner_ids else []))
        .order_by(Account.name, Account.id)
    )
    if account_ids is not None:
        accounts = accounts.where(Account.id.in_(list(account_ids)))
    share = window.share
    return [
        AccountCapital(i, owner, name, segment, city, postcode, int(cap), cap * share, int(done or 0), int(n or 0), last)
        for i, owner, name, segment, city, postcode, cap, done, n, last in session.execute(accounts)
        if cap is not None and int(cap) > 0
    ]


def per_segment(
    session: Session,
    workspace_id: int,
    owner_ids: Sequence[int],
    window: CapitalWindow,
    *,
    defaults: Mapping[str, int],
    visit_types: Sequence[str],
    prospection_per_year: int,
) -> dict[int, dict[str, CapitalSum]]:
    """owner → segment → the sums of their accounts' capital rows (SQL ``GROUP BY``), and under
    ``prospect`` their prospection budget: in-person actions by the rep at prospects vs the budget pro rata."""
    out: dict[int, dict[str, CapitalSum]] = {owner: {} for owner in owner_ids}
    if not owner_ids:
        return out
    capital = capital_of(defaults)
    owned = _owned(workspace_id, owner_ids)
    visits = (
        select(Action.account_id.label("account_id"), func.count().label("done"))
        .where(
            Action.workspace_id == workspace_id,
            *_within(Action.account_id, owned),
            Action.occurred_on.between(window.start, window.elapsed_end),
            Action.action_type.in_(list(visit_types)),
        )
        .group_by(Action.account_id)
        .subquery()
    )
    planned = _planned(workspace_id, owned, window, visit_types)
    by_segment = (
        select(
            Account.owner_id.label("owner_id"),
            Account.segment.label("segment"),
            func.sum(capital).label("capital"),
            func.sum(cast(capital, Float) * window.share).label("due"),
            func.sum(func.coalesce(visits.c.done, 0)).label("done"),
            func.sum(func.coalesce(planned.c.planned, 0)).label("planned"),
        )
        .outerjoin(visits, visits.c.account_id == Account.id)
        .outerjoin(planned, planned.c.account_id == Account.id)
        .where(Account.workspace_id == workspace_id, Account.owner_id.in_(list(owner_ids)), capital > 0)
        .group_by(Account.owner_id, Account.segment)
    )
    at_prospects = _prospect_visits(workspace_id, owner_ids, window, visit_types)  # in the same statement
    done_at_prospects: dict[int, int] = {}
    for owner, segment, cap, due, done, n in session.execute(by_segment.union_all(at_prospects)).all():
        if segment == PROSPECTION:
            done_at_prospects[owner] = int(done)
        else:
            out[owner][segment or "none"] = CapitalSum(int(cap), float(due), int(done), int(n))
    # The prospection budget of every rep who has accounts or visited prospects (not of a manager
    # who owns none).
    for owner in owner_ids:
        if out[owner] or done_at_prospects.get(owner):
            budget = prospection_per_year
            out[owner][PROSPECTION] = CapitalSum(budget, budget * window.share, done_at_prospects.get(owner, 0), 0)
    return out


def _planned(workspace_id: int, owned, window: CapitalWindow, visit_types: Sequence[str]):
    """account → its in-person visits still planned in the window's remaining instants."""
    return (
        select(Plan.account_id.label("account_id"), func.count().label("planned"))
        .where(
            Plan.workspace_id == workspace_id,
            *_within(Plan.account_id, owned),
            Plan.status == "planned",
            Plan.action_type.in_(list(visit_types)),
            Plan.due_at >= window.planned_from,
            Plan.due_at < window.planned_until,
        )
        .group_by(Plan.account_id)
        .subquery()
    )


def _prospect_visits(workspace_id: int, owner_ids: Sequence[int], window: CapitalWindow, visit_types: Sequence[str]):
    """rep → their in-person actions at prospects without a capital of their own, shaped as a segment row."""
    return (
        select(Action.member_id, literal(PROSPECTION), literal(0), cast(literal(0.0), Float), func.count(), literal(0))
        .join(Account, Account.id == Action.account_id)
        .where(
            Action.workspace_id == workspace_id,
            Action.member_id.in_(list(owner_ids)),
            Action.occurred_on.between(window.start, window.elapsed_end),
            Action.action_type.in_(list(visit_types)),
            Account.status == "prospect",
            Account.visits_per_year.is_(None),
        )
        .group_by(Action.member_id)
    )


def per_rep(by_segment: Mapping[int, Mapping[str, CapitalSum]]) -> dict[int, CapitalSum]:
    """owner → the sum of their segments (the prospection budget included)."""
    return {
        owner: CapitalSum(
            sum(s.capital for s in segments.values()),
            sum(s.due for s in segments.values()),
            sum(s.done for s in segments.values()),
            sum(s.planned for s in segments.values()),
        )
        for owner, segments in by_segment.items()
    }


def weighted_contacts(
    session: Session, workspace_id: int, member_ids: Sequence[int], start: date, end: date, *, weights: Mapping[str, float]
) -> dict[int, tuple[int, float]]:
    """member → (their actions of every channel on the days ``start``..``end``, the same weighted by
    channel); a channel without a weight counts 0."""
    weight = case(*[(Action.channel == channel, literal(float(w))) for channel, w in sorted(weights.items())], else_=literal(0.0))
    rows = session.execute(
        select(Action.member_id, func.count(), func.sum(weight))
        .where(
            Action.workspace_id == workspace_id,
            Action.member_id.in_(list(member_ids)),
            Action.occurred_on.between(start, end),
        )
        .group_by(Action.member_id)
    ).all()
    return {member_id: (int(n), float(w or 0)) for member_id, n, w in rows}
