"""planning: plans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('action_type', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('has_time', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('recurrence_months', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('origin_action_id', sa.Integer(), nullable=True),
    sa.Column('done_action_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_plan_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['done_action_id'], ['action.id'], name=op.f('fk_plan_done_action_id_action'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_plan_member_id_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['origin_action_id'], ['action.id'], name=op.f('fk_plan_origin_action_id_action'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], name=op.f('fk_plan_workspace_id_workspace'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan'))
    )
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.create_index('ix_plan_account', ['workspace_id', 'account_id', 'status'], unique=False)
        batch_op.create_index('ix_plan_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_plan_member_due', ['workspace_id', 'member_id', 'status', 'due_at'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_member_due')
        batch_op.drop_index('ix_plan_due')
        batch_op.drop_index('ix_plan_account')

    op.drop_table('plan')

