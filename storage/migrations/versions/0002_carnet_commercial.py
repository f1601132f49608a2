"""carnet commercial: opportunities, stage history, workspace settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('opportunity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('expected_close_on', sa.Date(), nullable=True),
    sa.Column('next_step_on', sa.Date(), nullable=True),
    sa.Column('next_step', sa.String(length=300), nullable=True),
    sa.Column('close_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_opportunity_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_opportunity_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_opportunity_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity'))
    )
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_account_status', ['workspace_id', 'account_id', 'status'], unique=False)
        batch_op.create_index('ix_opportunity_rep_status', ['workspace_id', 'member_id', 'status', 'stage'], unique=False)
        batch_op.create_index('ix_opportunity_status_stage', ['workspace_id', 'status', 'stage'], unique=False)

    op.create_table('opportunity_stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_opportunity_stage_change_member_id_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_opportunity_stage_change_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_opportunity_stage_change_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_stage_change'))
    )
    with op.batch_alter_table('opportunity_stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opportunity_stage_change_workspace_id'), ['workspace_id'], unique=False)
        batch_op.create_index('ix_stage_change_opportunity', ['opportunity_id', 'changed_at'], unique=False)

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=False, server_default='{}'))




def downgrade() -> None:

    with op.batch_alter_table('workspace', schema=None) as batch_op:
        batch_op.drop_column('settings')

    with op.batch_alter_table('opportunity_stage_change', schema=None) as batch_op:
        batch_op.drop_index('ix_stage_change_opportunity')
        batch_op.drop_index(batch_op.f('ix_opportunity_stage_change_workspace_id'))

    op.drop_table('opportunity_stage_change')
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_status_stage')
        batch_op.drop_index('ix_opportunity_rep_status')
        batch_op.drop_index('ix_opportunity_account_status')

    op.drop_table('opportunity')

