"""outbox delivery: real failures counted apart from 429s, per-channel pacing, unknown outcomes

Revision ID: 0007
Revises: 0006

``attempts`` keeps meaning "HTTP tries"; ``failures`` counts only real errors (what gives up a
row), so a rate-limited row is never failed. ``channel_key`` names the conversation a row is
paced in, so that a 429 can push back every pending row of that channel. Rows already queued get
their ``channel_key`` from their payload.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _channel_key(kind: str, payload: dict) -> str | None:
    # Same rule as bot.services.outbox.channel_key, frozen here as migrations must be.
    if not isinstance(payload, dict):
        return None
    if kind == "file":
        channel = payload.get("channel")
        return channel[:64] if isinstance(channel, str) and channel else None
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


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('channel_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('first_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('outcome_unknown', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_outbox_channel', ['workspace_id', 'channel_key', 'status'], unique=False)

    bind = op.get_bind()
    outbox = sa.table(
        'outbox', sa.column('id', sa.Integer), sa.column('kind', sa.String), sa.column('payload', sa.JSON),
        sa.column('status', sa.String), sa.column('channel_key', sa.String),
    )
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.kind, outbox.c.payload).where(outbox.c.status.in_(('pending', 'claimed', 'failed')))
    ).all()
    for row in rows:
        key = _channel_key(row.kind, row.payload)
        if key is not None:
            bind.execute(sa.update(outbox).where(outbox.c.id == row.id).values(channel_key=key))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_channel')
        batch_op.drop_column('outcome_unknown')
        batch_op.drop_column('first_attempt_at')
        batch_op.drop_column('channel_key')
        batch_op.drop_column('failures')
