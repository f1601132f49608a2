"""one open automatic relance per rep and account

Revision ID: 0006
Revises: 0005

Concurrent "/log … proposition" could each plan a relance (the existence check cannot see
uncommitted rows). Existing duplicates are resolved first: per rep and account, the planned
automatic relance due first (then the oldest) is kept and the others are cancelled.
"""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

WHERE = "status = 'planned' AND source = 'auto_relance'"


def upgrade() -> None:
    bind = op.get_bind()
    plan = sa.table(
        'plan',
        sa.column('id', sa.Integer),
        sa.column('workspace_id', sa.Integer),
        sa.column('member_id', sa.Integer),
        sa.column('account_id', sa.Integer),
        sa.column('due_at', sa.DateTime(timezone=True)),
        sa.column('status', sa.String),
        sa.column('source', sa.String),
        sa.column('updated_at', sa.DateTime(timezone=True)),
    )
    kept = plan.alias('kept')
    open_auto = sa.and_(plan.c.status == 'planned', plan.c.source == 'auto_relance')
    # A duplicate is an open automatic relance with another one of the same rep and account
    # due before it (or due at the same time and planned before it).
    earlier = sa.exists().where(
        kept.c.workspace_id == plan.c.workspace_id,
        kept.c.member_id == plan.c.member_id,
        kept.c.account_id == plan.c.account_id,
        kept.c.status == 'planned',
        kept.c.source == 'auto_relance',
        sa.or_(kept.c.due_at < plan.c.due_at, sa.and_(kept.c.due_at == plan.c.due_at, kept.c.id < plan.c.id)),
    )
    now = datetime.now(timezone.utc)
    if bind.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)  # as storage.models.UTCDateTime keeps it there
    op.execute(plan.update().where(open_auto, earlier).values(status='cancelled', updated_at=now))

    op.create_index(
        'uq_plan_open_auto_relance',
        'plan',
        ['workspace_id', 'member_id', 'account_id'],
        unique=True,
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index('uq_plan_open_auto_relance', table_name='plan')
