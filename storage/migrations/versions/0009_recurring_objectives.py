"""recurring objectives: a target set once holds every period until changed

Revision ID: 0009
Revises: 0008

``objective.recurring`` (true for the rows already there: a target set once keeps holding) and a
one-period objective beside the recurring one of the same period, so the unique key gains
``recurring``.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurring', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_constraint('uq_objective_workspace_id', type_='unique')
        batch_op.create_unique_constraint(
            'uq_objective_in_period', ['workspace_id', 'scope', 'metric', 'period_start', 'recurring']
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM objective WHERE NOT recurring"))
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.drop_constraint('uq_objective_in_period', type_='unique')
        batch_op.create_unique_constraint('uq_objective_workspace_id', ['workspace_id', 'scope', 'metric', 'period_start'])
        batch_op.drop_column('recurring')
