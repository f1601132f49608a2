"""Reads of a member's planned items (visits, calls, relances)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from storage.models import Member, Plan


def _plans_of(member: Member, status: str) -> Select[tuple[Plan]]:
    return select(Plan).where(Plan.workspace_id == member.workspace_id, Plan.member_id == member.id, Plan.status == status)


def plans_between(session: Session, member: Member, start: datetime, end: datetime) -> list[Plan]:
    """The member's planned items due in ``[start, end)``, soonest first."""
    query = _plans_of(member, "planned").where(Plan.due_at >= start, Plan.due_at < end).order_by(Plan.due_at, Plan.id)
    return list(session.scalars(query))


def missed_plans(session: Session, member: Member, *, since: datetime) -> list[Plan]:
    """The member's missed items that were due from ``since`` on, oldest first."""
    return list(session.scalars(_plans_of(member, "missed").where(Plan.due_at >= since).order_by(Plan.due_at)))
