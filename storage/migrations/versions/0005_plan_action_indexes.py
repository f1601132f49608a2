"""indexes on plan action links

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_done_action_id'), ['done_action_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_origin_action_id'), ['origin_action_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_origin_action_id'))
        batch_op.drop_index(batch_op.f('ix_plan_done_action_id'))


