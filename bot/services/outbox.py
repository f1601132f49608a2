"""The outbox: every message Carnet owes to Slack is a row here before it is sent.

A row's ``dedupe_key`` (kind, subject, slot) is unique per workspace, so writing the
same message twice stores it once. Workers claim rows with a conditional UPDATE (and
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several processes never send one twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import OutboxMessage

CLAIM_LEASE = timedelta(minutes=5)  # longer than a claimed batch can take (limit x HTTP timeout)
CLAIM_BATCH = 10
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class NewMessage:
    """One message to queue with ``enqueue_many``."""

    workspace_id: int
    dedupe_key: str
    kind: str
    payload: dict[str, Any]
    expires_at: datetime | None = None


def enqueue_many(session: Session, messages: list[NewMessage], *, now: datetime, batch: int = 500) -> int:
    """Queue many messages in a few statements (each key once, as ``enqueue``); returns how many went in.

    The scheduler queues a morning's agendas for a whole company at once: one round trip per
    message made the writing, not the deciding, the slow part of the due-work scan."""
    inserted = 0
    insert = _insert_for(session)
    for start in range(0, len(messages), batch):
        chunk = messages[start : start + batch]
        for message in chunk:
            if len(message.dedupe_key) > 300:
                raise ValueError(f"outbox key too long: {message.dedupe_key[:60]}…")
        rows = [
            dict(
                workspace_id=m.workspace_id, dedupe_key=m.dedupe_key, kind=m.kind, payload=m.payload, status="pending",
                attempts=0, next_attempt_at=now, expires_at=m.expires_at, created_at=now,
            )
            for m in chunk
        ]
        # One statement compiled once and run for the batch (SQLAlchemy's "insertmanyvalues"):
        # compiling a VALUES list of 500 rows cost more than sending it.
        stmt = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["workspace_id", "dedupe_key"])
        inserted += len(session.execute(stmt.returning(OutboxMessage.id), rows).all())
    return inserted


def _insert_for(session: Session):  # -> the dialect's insert() with on_conflict_do_nothing
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert
    if dialect == "sqlite":
        return sqlite_insert
    raise RuntimeError(f"unsupported database {dialect}")  # pragma: no cover


def enqueue(
    session: Session,
    *,
    workspace_id: int,
    dedupe_key: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue a message unless one with the same key exists; True when this call queued it."""
    if len(dedupe_key) > 300:  # never cut: two keys sharing a prefix would collide
        raise ValueError(f"outbox key too long: {dedupe_key[:60]}…")
    values = dict(
        workspace_id=workspace_id,
        dedupe_key=dedupe_key,
        kind=kind,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=not_before or now,
        expires_at=expires_at,
        created_at=now,
    )
    stmt = _insert_for(session)(OutboxMessage).values(**values).on_conflict_do_nothing(
        index_elements=["workspace_id", "dedupe_key"]
    )
    # The INSERT goes through the ORM table, so naive/aware conversion happens in UTCDateTime.
    # RETURNING tells whether a row went in: ``rowcount`` is -1 on PostgreSQL once SQLAlchemy
    # has fetched the implicit RETURNING of the primary key.
    return session.execute(stmt.returning(OutboxMessage.id)).first() is not None


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    workspace_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    expires_at: datetime | None


def claim_due(session: Session, *, worker: str, now: datetime, limit: int = CLAIM_BATCH) -> list[ClaimedMessage]:
    """Claim up to ``limit`` due rows for ``worker``; commit happens in the caller's transaction."""
    candidates = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: concurrent workers skip each other's rows
    ).all()
    claimed: list[ClaimedMessage] = []
    for row_id in candidates:
        # The conditional UPDATE is the claim on SQLite (where FOR UPDATE is a no-op).
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status == "pending")
            .values(status="claimed", claimed_by=worker, claimed_until=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            session.refresh(row)
            claimed.append(
                ClaimedMessage(row.id, row.workspace_id, row.kind, dict(row.payload), row.attempts, row.expires_at)
            )
    return claimed


def mark_sent(session: Session, message_id: int, *, worker: str, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
        .values(status="sent", sent_at=now, attempts=OutboxMessage.attempts + 1, claimed_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def mark_retry(session: Session, message_id: int, *, worker: str, retry_at: datetime, error: str) -> str:
    """Put the row back for a later try, or fail it after ``MAX_ATTEMPTS``; returns the new status."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.claimed_by != worker:
        return "lost"
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
    else:
        row.status = "pending"
        row.next_attempt_at = retry_at
    return row.status


def mark_final(session: Session, message_id: int, *, worker: str, status: str, error: str | None) -> None:
    """End a row that must not be retried: ``failed`` (Slack refused it) or ``dropped`` (too late)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
        .values(status=status, last_error=(error or "")[:2000], claimed_until=None, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def reap_expired_claims(session: Session, *, now: datetime) -> int:
    """Give back rows whose worker died mid-delivery (lease over); returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "claimed", OutboxMessage.claimed_until < now)
        .values(status="pending", claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def drop_pending(session: Session, *, workspace_id: int, key_prefix: str) -> int:
    """Drop queued, unsent messages whose key starts with ``key_prefix`` (what they say is no longer true)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.status == "pending",
            OutboxMessage.dedupe_key.like(key_prefix.replace("%", "") + "%"),
        )
        .values(status="dropped", last_error="superseded")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
