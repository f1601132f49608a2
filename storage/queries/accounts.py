"""Reads about one account (its card) and about every account of a workspace (the accounts export)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterator, Sequence

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Account, Action, Member, Opportunity, Plan

def visits_in_person(
    session: Session, account: Account, *, since: date, until: date, visit_types: Sequence[str]
) -> int:
    """The actions in person at ``account`` between ``since`` and ``until`` (both included).

    The days are counted, not filtered on: with a filter on the day, SQLite (without statistics)
    reads the whole workspace's year through the day index (0.8 s at 200,000 actions) instead of
    the account's few dozen rows."""
    in_range = case((and_(Action.occurred_on >= since, Action.occurred_on <= until), 1), else_=0)
    return session.scalar(
        select(func.coalesce(func.sum(in_range), 0)).where(
            Action.workspace_id == account.workspace_id,
            Action.account_id == account.id,
            Action.action_type.in_(list(visit_types)),
        )
    ) or 0


def account_counts(session: Session, account: Account) -> tuple[int, int]:
    """(actions, deals) of the account: what a merge would move, said before it is confirmed."""
    actions = select(func.count(Action.id)).where(Action.workspace_id == account.workspace_id, Action.account_id == account.id)
    deals = select(func.count(Opportunity.id)).where(
        Opportunity.workspace_id == account.workspace_id, Opportunity.account_id == account.id)
    return session.scalar(actions) or 0, session.scalar(deals) or 0


def last_visit_on(session: Session, account: Account, *, visit_types: Sequence[str]) -> date | None:
    """The day of the account's latest visit (an action of ``visit_types``), as the capital counts it."""
    # The day is an expression, not a bare column, so that SQLite reads the account's rows, not the
    # workspace's day index from its end (see ``visits_in_person``).
    return session.scalar(
        select(func.max(case((Action.action_type.in_(list(visit_types)), Action.occurred_on)))).where(
            Action.workspace_id == account.workspace_id, Action.account_id == account.id
        )
    )


def next_visit(session: Session, account: Account, *, now: datetime) -> Plan | None:
    """The account's next planned visit (anyone's), due at or after ``now``."""
    return session.scalar(
        select(Plan)
        .where(
            Plan.workspace_id == account.workspace_id,
            Plan.account_id == account.id,
            Plan.status == "planned",
            Plan.action_type == "visit",
            Plan.due_at >= now,
        )
        .order_by(Plan.due_at, Plan.id)
        .limit(1)
    )


def open_deals(session: Session, account: Account, *, limit: int = 10) -> list[Opportunity]:
    """The account's open deals, the largest first."""
    return list(
        session.scalars(
            select(Opportunity)
            .where(
                Opportunity.workspace_id == account.workspace_id,
                Opportunity.account_id == account.id,
                Opportunity.status == "open",
            )
            .order_by(Opportunity.amount.desc(), Opportunity.id)
            .limit(limit)
        )
    )


def last_actions(session: Session, account: Account, *, limit: int = 5) -> list[Action]:
    """The account's latest actions, the newest first."""
    return list(
        session.scalars(
            select(Action)
            .where(Action.workspace_id == account.workspace_id, Action.account_id == account.id)
            # sorted as an expression: SQLite then reads the account's rows, not the day index (see above)
            .order_by(func.coalesce(Action.occurred_on, Action.occurred_on).desc(), Action.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class AccountRow:
    """One account as the accounts export writes it."""

    name: str
    status: str
    segment: str | None
    owner: str | None  # the owner's chat user id
    owner_name: str | None
    visits_per_year: int | None
    city: str | None
    postcode: str | None


def account_rows(session: Session, workspace_id: int) -> Iterator[AccountRow]:
    """Every account of the workspace, by name, with its owner's user id and name (one query)."""
    owner = aliased(Member)
    stmt = (
        select(Account.name, Account.status, Account.segment, owner.slack_user_id, owner.display_name,
               Account.visits_per_year, Account.city, Account.postcode)
        .outerjoin(owner, owner.id == Account.owner_id)
        .where(Account.workspace_id == workspace_id)
        .order_by(Account.name_key)
    )
    for row in session.execute(stmt):
        yield AccountRow(*row)
