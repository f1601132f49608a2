"""Reads of a member's planned items (visits, calls, relances)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Member, Plan


def missed_plans(session: Session, member: Member, *, since: datetime) -> list[Plan]:
    """The member's missed items that were due from ``since`` on, oldest first."""
    return list(
        session.scalars(
            select(Plan)
            .where(
                Plan.workspace_id == member.workspace_id,
                Plan.member_id == member.id,
                Plan.status == "missed",
                Plan.due_at >= since,
            )
            .order_by(Plan.due_at)
        )
    )
