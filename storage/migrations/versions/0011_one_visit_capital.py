"""one visit capital: the old per-period visit target and the plans' recurrence go

Revision ID: 0011
Revises: 0010

The yearly ``account.visits_per_year`` (0010 carried ``visit_target`` ×12 into it) is now the only
visit capital, and the rhythm of automatic visits derives from it (a year / capital), so the per-rep-
period ``account.visit_target`` and ``plan.recurrence_months`` carry nothing more: already planned
visits keep their day. A downgrade gives ``visit_target`` back as the yearly number / 12 (at least 1).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('visit_target')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('recurrence_months')


def downgrade() -> None:
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence_months', sa.Integer(), nullable=True))
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_target', sa.Integer(), nullable=True))
    op.execute(sa.text(
        "UPDATE account SET visit_target = CASE WHEN visits_per_year >= 12 THEN visits_per_year / 12 ELSE 1 END"
        " WHERE visits_per_year IS NOT NULL AND visits_per_year > 0"
    ))
