"""A workspace's life with the app: installed, uninstalled (nothing sent, data kept for a grace
period), then erased — every row of every table that holds its workspace id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from bot.services.members import find_workspace, get_or_create_workspace
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, Base, OutboxMessage, Workspace

DEFAULT_RETENTION_DAYS = 30
UNINSTALLED = "workspace uninstalled"  # the last_error of the outbox rows dropped then


@dataclass(frozen=True)
class Erased:
    """What erasing a workspace removed: rows by table (tables with none left out)."""

    team_id: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def mark_installed(session: Session, team_id: str, name: str, *, now: datetime) -> Workspace:
    """The workspace after an install: created, named, and back from an uninstall (data kept)."""
    workspace = get_or_create_workspace(session, team_id, now=now)
    if name:
        workspace.name = name[:200]
    workspace.uninstalled_at = None
    return workspace


def mark_uninstalled(session: Session, team_id: str, *, now: datetime) -> bool:
    """Stop everything owed to ``team_id`` at once: its waiting outbox rows are dropped; its data
    stays for the grace period. False when Carnet never knew the workspace."""
    workspace = find_workspace(session, team_id)
    if workspace is None:
        return False
    if workspace.uninstalled_at is None:
        workspace.uninstalled_at = now
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.workspace_id == workspace.id, OutboxMessage.status == "pending")
        .values(status="dropped", last_error=UNINSTALLED)
    )
    return True


def workspace_tables() -> list[Table]:
    """Every table with a ``workspace_id`` column, children before parents (the order to delete in)."""
    return [table for table in reversed(Base.metadata.sorted_tables) if "workspace_id" in table.c]


def erase(session: Session, team_id: str) -> Erased | None:
    """Delete every row holding the workspace's id, its installation, then the workspace; None
    when there is no such workspace (its installation rows are deleted all the same)."""
    rows: dict[str, int] = {}
    workspace = find_workspace(session, team_id)
    if workspace is not None:
        for table in workspace_tables():
            count = session.execute(delete(table).where(table.c.workspace_id == workspace.id)).rowcount or 0
            if count:
                rows[table.name] = count
        session.execute(delete(Workspace).where(Workspace.id == workspace.id))
        rows[Workspace.__tablename__] = 1
    for table in (SLACK_BOTS, SLACK_INSTALLATIONS):  # keyed by the Slack team id
        count = session.execute(delete(table).where(table.c.team_id == team_id)).rowcount or 0
        if count:
            rows[table.name] = count
    return Erased(team_id, rows) if workspace is not None else None


def due_for_erasure(session: Session, *, now: datetime, retention_days: int = DEFAULT_RETENTION_DAYS) -> list[str]:
    """The team ids of the workspaces uninstalled more than ``retention_days`` ago."""
    cutoff = now - timedelta(days=retention_days)
    return list(
        session.scalars(
            select(Workspace.team_id)
            .where(Workspace.uninstalled_at.is_not(None), Workspace.uninstalled_at <= cutoff)
            .order_by(Workspace.id)
        )
    )
