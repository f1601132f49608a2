"""Housekeeping: forget what only mattered for a while (retry replies, expired choices, sent messages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, PendingCommand, ProcessedRequest

# The chat retries a request within minutes; a day of memory is plenty.
PROCESSED_REQUEST_MEMORY = timedelta(days=1)
SENT_MESSAGE_MEMORY = timedelta(days=30)


@dataclass(frozen=True)
class Pruned:
    processed_requests: int
    pending_commands: int
    outbox_messages: int


def prune(session: Session, *, now: datetime) -> Pruned:
    """Delete stored retry replies older than a day, expired pending choices and month-old sent messages."""
    processed = session.execute(
        delete(ProcessedRequest).where(ProcessedRequest.created_at < now - PROCESSED_REQUEST_MEMORY)
    ).rowcount
    pending = session.execute(delete(PendingCommand).where(PendingCommand.expires_at < now)).rowcount
    sent = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(("sent", "dropped")), OutboxMessage.created_at < now - SENT_MESSAGE_MEMORY
        )
    ).rowcount
    return Pruned(processed or 0, pending or 0, sent or 0)
