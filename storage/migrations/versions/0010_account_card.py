"""accounts people manage: city, postcode and a yearly visit capital

Revision ID: 0010
Revises: 0009

``account.visits_per_year`` is the account's visit capital: visits a year, whoever visits
(none: the workspace's default for the account's segment). The old per-rep-period
``visit_target`` is carried over as a yearly number, counting a month as the period (the
period most reps have), i.e. ×12. ``city`` and ``postcode`` let a tour group visits.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visits_per_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('city', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('postcode', sa.String(length=16), nullable=True))
    op.execute(sa.text("UPDATE account SET visits_per_year = visit_target * 12 WHERE visit_target IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('postcode')
        batch_op.drop_column('city')
        batch_op.drop_column('visits_per_year')
