"""The outbox: every message Carnet owes the chat is a row here before it is sent.

A row's ``dedupe_key`` (kind, subject, slot) is unique per workspace, so writing the
same message twice stores it once. Workers claim rows with a conditional UPDATE (and
``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so several processes never send one twice.
A claim is a lease (``CLAIM_LEASE``) that the worker's heartbeat extends while it works on
its batch; a row whose lease ran out is given back marked ``outcome_unknown`` (its worker
may have sent it before dying), so the next worker checks the conversation's history before sending it again.

``attempts`` counts HTTP tries, 429s included; ``failures`` counts real errors only (5xx,
network, unknown outcomes): a row is failed after ``MAX_ATTEMPTS`` failures, never for
being rate-limited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.core import Attachment, Audience, Reply, ToChannel, ToMember
from bot.redaction import redact
from bot.render import files
from storage.models import OutboxMessage

# A claim lasts a minute; the worker's heartbeat extends the rows it still holds every
# HEARTBEAT, so a killed worker's rows are free again within a minute (it was 5 minutes).
# One row's send takes at most a few HTTP timeouts (a file upload is 3 calls of 10 s).
CLAIM_LEASE = timedelta(seconds=60)
HEARTBEAT = timedelta(seconds=15)
CLAIM_BATCH = 10
MAX_ATTEMPTS = 8  # real failures (not 429s) before a row is failed for good


@dataclass(frozen=True)
class NewMessage:
    """One message to queue with ``enqueue_many``."""

    workspace_id: int
    dedupe_key: str
    kind: str
    payload: dict[str, Any]
    expires_at: datetime | None = None


def reply_payload(audience: Audience, reply: Reply) -> dict[str, Any]:
    """A "reply" row's payload: ``reply`` for ``audience``. Its attachments are not in it: whoever
    queues the reply queues them as "file" rows of their own (``file_payload``)."""
    return {"destination": audience.to_dict(), "reply": replace(reply, attachments=[]).to_dict()}


def file_payload(audience: Audience, attachment: Attachment) -> dict[str, Any]:
    """A "file" row's payload: ``attachment`` for a member (in their private conversation with
    Carnet: the row's ``channel`` is then their user id) or for a channel."""
    if isinstance(audience, ToMember):
        channel = audience.user
    elif isinstance(audience, ToChannel):
        channel = audience.channel
    else:
        raise ValueError(f"a file goes to a member or a channel, not {audience!r}")
    return {
        "channel": channel,
        "filename": attachment.filename,
        "title": attachment.title,
        "initial_comment": attachment.comment,
        **files.stored(attachment),
    }


def reply_message(
    workspace_id: int, key: str, audience: Audience, reply: Reply, *, expires_at: datetime | None = None
) -> NewMessage:
    """``reply`` for ``audience``, to queue with ``enqueue_many``."""
    return NewMessage(workspace_id, key, "reply", reply_payload(audience, reply), expires_at=expires_at)


def file_message(
    workspace_id: int, key: str, audience: Audience, attachment: Attachment, *, expires_at: datetime | None = None
) -> NewMessage:
    """``attachment`` for ``audience``, to queue with ``enqueue_many``."""
    return NewMessage(workspace_id, key, "file", file_payload(audience, attachment), expires_at=expires_at)


def channel_key(kind: str, payload: dict[str, Any]) -> str | None:
    """The conversation a message is posted in, for pacing (a channel id, or a DM's user id); None when
    the message is not a channel post (ephemeral, App Home, response_url)."""
    if not isinstance(payload, dict):
        return None
    if kind == "file":
        channel = payload.get("channel")
    else:
        destination = payload.get("destination")
        if not isinstance(destination, dict):
            return None
        if destination.get("type") == "channel":
            channel = destination.get("channel")
        elif destination.get("type") == "dm":
            channel = destination.get("user")
        else:
            return None
    return channel[:64] if isinstance(channel, str) and channel else None


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
                attempts=0, failures=0, channel_key=channel_key(m.kind, m.payload), outcome_unknown=False,
                next_attempt_at=now, expires_at=m.expires_at, created_at=now,
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
        failures=0,
        channel_key=channel_key(kind, payload),
        outcome_unknown=False,
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
    dedupe_key: str = ""
    channel_key: str | None = None
    failures: int = 0
    first_attempt_at: datetime | None = None
    outcome_unknown: bool = False


def claim_due(
    session: Session, *, worker: str, now: datetime, limit: int = CLAIM_BATCH, lease: timedelta = CLAIM_LEASE
) -> list[ClaimedMessage]:
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
            .values(
                status="claimed", claimed_by=worker, claimed_until=now + lease,
                # The claim comes before any try: the history is searched from here after an unknown outcome.
                first_attempt_at=func.coalesce(OutboxMessage.first_attempt_at, now),
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            session.refresh(row)
            claimed.append(
                ClaimedMessage(
                    row.id, row.workspace_id, row.kind, dict(row.payload), row.attempts, row.expires_at,
                    row.dedupe_key, row.channel_key, row.failures, row.first_attempt_at, row.outcome_unknown,
                )
            )
    return claimed


def extend_claims(session: Session, message_ids: list[int], *, worker: str, until: datetime) -> int:
    """The heartbeat: push the lease of the rows ``worker`` still holds to ``until``; returns how many."""
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claimed_by == worker, OutboxMessage.status == "claimed")
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def mark_sent(session: Session, message_id: int, *, worker: str, now: datetime, tried: bool = True) -> None:
    """The row reached the chat. ``tried=False``: found in the channel's history, no new HTTP try."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
        .values(
            status="sent", sent_at=now, attempts=OutboxMessage.attempts + (1 if tried else 0), claimed_until=None,
            last_error=None, outcome_unknown=False,
        )
        .execution_options(synchronize_session=False)
    )


def mark_retry(
    session: Session,
    message_id: int,
    *,
    worker: str,
    retry_at: datetime,
    error: str,
    failure: bool = True,
    unknown: bool = False,
    tried: bool = True,
) -> str:
    """Put the row back for a later try, or fail it after ``MAX_ATTEMPTS`` failures; returns the new status.

    ``failure=False`` for a 429: a rate-limited try is a wait, never a step toward giving up.
    ``unknown=True`` when the try may have landed (timeout after sending): the next try looks first."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.claimed_by != worker or row.status != "claimed":
        return "lost"
    if tried:
        row.attempts += 1
    if failure:
        row.failures = (row.failures or 0) + 1
    row.outcome_unknown = bool(unknown or (row.outcome_unknown and not tried))
    row.last_error = redact(error)[:2000]  # `carnet jobs status` prints it: never a token
    row.claimed_until = None
    if row.failures >= MAX_ATTEMPTS:
        row.status = "failed"
    else:
        row.status = "pending"
        row.next_attempt_at = retry_at
    return row.status


def defer(session: Session, message_id: int, *, worker: str, until: datetime) -> None:
    """Give a claimed row back untried until ``until`` (its channel's pace): nothing is counted."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker, OutboxMessage.status == "claimed")
        .values(status="pending", next_attempt_at=until, claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def hold_channel(session: Session, *, workspace_id: int, channel: str, until: datetime) -> int:
    """The chat said "wait" for a channel (429): no pending row of it is due before ``until``, whichever
    worker holds it next. Returns how many rows were pushed back."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel_key == channel,
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def mark_final(
    session: Session, message_id: int, *, worker: str, status: str, error: str | None, tried: bool = True
) -> None:
    """End a row that must not be retried: ``failed`` (the chat refused it, bad payload) or ``dropped`` (too late)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
        .values(
            status=status, last_error=redact(error or "")[:2000], claimed_until=None,
            attempts=OutboxMessage.attempts + (1 if tried else 0),
        )
        .execution_options(synchronize_session=False)
    )


def reap_expired_claims(session: Session, *, now: datetime) -> int:
    """Give back rows whose worker died mid-delivery (lease over); returns how many.

    The dead worker may have sent a row before it died: the row comes back ``outcome_unknown``."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "claimed", OutboxMessage.claimed_until < now)
        .values(status="pending", claimed_by=None, claimed_until=None, outcome_unknown=True)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# ----------------------------------------------------------------------------- operators


@dataclass(frozen=True)
class FailedRow:
    id: int
    team_id: str
    dedupe_key: str
    kind: str
    destination: str
    error: str
    attempts: int
    failures: int


def describe_destination(kind: str, payload: dict[str, Any]) -> str:
    """Where a row goes, in a few words: ``dm U1``, ``channel C1``, ``file C1``, ``response_url``."""
    if not isinstance(payload, dict):
        return "?"
    if kind == "file":
        return f"file {payload.get('channel') or '?'}"
    destination = payload.get("destination")
    if not isinstance(destination, dict):
        return "no destination"
    kind_of = str(destination.get("type") or "?")
    target = destination.get("channel") or destination.get("user") or ""
    if kind_of == "ephemeral":
        target = f"{destination.get('channel') or '?'}/{destination.get('user') or '?'}"
    return f"{kind_of} {target}".strip() if kind_of != "response_url" else "response_url"


def status_counts(session: Session) -> dict[str, int]:
    """How many rows in each status, every workspace together."""
    rows = session.execute(select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}


def failed_rows(session: Session, ids: list[int] | None = None, *, limit: int = 200) -> list[FailedRow]:
    """The failed rows (all, or those of ``ids``), newest first."""
    from storage.models import Workspace

    stmt = (
        select(OutboxMessage, Workspace.team_id)
        .join(Workspace, Workspace.id == OutboxMessage.workspace_id)
        .where(OutboxMessage.status == "failed")
        .order_by(OutboxMessage.id.desc())
    )
    if ids is not None:
        if not ids:
            return []
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    else:
        stmt = stmt.limit(limit)
    return [
        FailedRow(
            m.id, team_id, m.dedupe_key, m.kind, describe_destination(m.kind, m.payload), m.last_error or "",
            m.attempts, m.failures,
        )
        for m, team_id in session.execute(stmt)
    ]


class NotFailed(ValueError):
    """``retry_failed`` was asked for rows that are not failed (or do not exist)."""


def retry_failed(session: Session, *, now: datetime, ids: list[int] | None = None) -> int:
    """Put failed rows back to pending, due now, their failures forgotten; returns how many.

    With ``ids``, every id must name a failed row, or nothing changes (raises ``NotFailed``)."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == "failed")
    if ids is not None:
        found = set(session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.id.in_(ids), OutboxMessage.status == "failed")
        ))
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFailed(", ".join(str(i) for i in missing))
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    result = session.execute(
        stmt.values(status="pending", failures=0, next_attempt_at=now, claimed_by=None, claimed_until=None)
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
