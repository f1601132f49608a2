"""Reads of the people of a workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Member


def workspace_members(session: Session, workspace_id: int) -> list[Member]:
    """Every member of the workspace (admins included), by name."""
    return list(session.scalars(select(Member).where(Member.workspace_id == workspace_id).order_by(Member.display_name)))


def sellers(session: Session, workspace_id: int) -> list[Member]:
    """The workspace's reps and managers (everyone but its admins), by name: the rows of its KPI table."""
    return list(session.scalars(
        select(Member)
        .where(Member.workspace_id == workspace_id, Member.role.in_(("rep", "manager")))
        .order_by(Member.display_name)
    ))
