"""Reads of a member's actions (the activity report's rows)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Account, Action, Member


def actions_of_day(session: Session, member: Member, day: date, *, limit: int) -> list[tuple[str, str]]:
    """(action type, account name) of the member's first ``limit`` actions on ``day``, in the order logged."""
    rows = session.execute(
        select(Action.action_type, Account.name)
        .join(Account, Account.id == Action.account_id)
        .where(Action.workspace_id == member.workspace_id, Action.member_id == member.id, Action.occurred_on == day)
        .order_by(Action.id)
        .limit(limit)
    )
    return [(action_type, name) for action_type, name in rows]
