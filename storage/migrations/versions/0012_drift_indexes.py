"""clients kept: a covering index for each account's contact days, and one for a rep's clients

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
from __future__ import annotations

from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The drift scan groups every client's actions by account and day, with their result: read
    # from this index alone (no table lookups) for 1M actions.
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index('ix_action_account_day', ['workspace_id', 'account_id', 'occurred_on', 'result'], unique=False)
    # A few hundred reps' clients at a time, without reading every account of the workspace.
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index('ix_account_owner_status', ['workspace_id', 'owner_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index('ix_account_owner_status')
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index('ix_action_account_day')
