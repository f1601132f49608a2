"""Commands waiting for a member's choice: find one, and take it exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import PendingCommand


def pending_command(session: Session, workspace_id: int, pending_id: int, kind: str) -> PendingCommand | None:
    """The workspace's pending ``kind`` command ``pending_id`` (whoever asked it, expired or not)."""
    return session.scalar(
        select(PendingCommand).where(
            PendingCommand.workspace_id == workspace_id,
            PendingCommand.id == pending_id,
            PendingCommand.kind == kind,
        )
    )


def consume(session: Session, pending: PendingCommand, *, now: datetime) -> bool:
    """Delete ``pending`` if it is still there and unexpired; True for the one caller whose DELETE removed it.

    The read that found it does not lock: a concurrent click may have read the same row. Only the
    click whose DELETE removes it goes on (PostgreSQL makes the other DELETE wait for the winner's
    commit, then match nothing; SQLite runs one writer at a time). ``pending`` is detached
    afterwards: gone from the database, the caller only reads its payload."""
    consumed = session.execute(
        delete(PendingCommand)
        .where(
            PendingCommand.id == pending.id,
            PendingCommand.workspace_id == pending.workspace_id,
            PendingCommand.member_id == pending.member_id,
            PendingCommand.kind == pending.kind,
            PendingCommand.expires_at >= now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expunge(pending)
    return consumed == 1


def live_pending_commands(session: Session, workspace_id: int, member_id: int, kind: str, *, now: datetime) -> list[PendingCommand]:
    """The member's pending ``kind`` commands that have not expired, oldest first."""
    return list(
        session.scalars(
            select(PendingCommand)
            .where(
                PendingCommand.workspace_id == workspace_id,
                PendingCommand.member_id == member_id,
                PendingCommand.kind == kind,
                PendingCommand.expires_at >= now,
            )
            .order_by(PendingCommand.id)
        )
    )
