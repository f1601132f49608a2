"""members' language and time zone: where they came from, and when Slack was last asked

Revision ID: 0014
Revises: 0013

``member.locale_source`` and ``member.tz_source`` say who chose the value: ``default`` (the
workspace's defaults), ``inherited`` (a member an admin created before their first use: the
defaults the admin's set-up gave), ``slack`` (users.info) or ``admin`` (``/carnet team``,
``carnet team import``). Slack's value replaces a
default, an inherited or an older Slack value, never an admin's choice. ``profile_checked_at`` is when
users.info was last read for the member (none: never, asked at their next request).
Existing members are taken as Slack-learnt and never checked, so the periodic check reads them.

``action.contact_id`` gets an index: deleting a contact (``carnet contact erase``) sets its
actions' link to NULL, which scanned every action of the database once per deleted contact.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale_source', sa.String(length=16), nullable=False, server_default='slack'))
        batch_op.add_column(sa.Column('tz_source', sa.String(length=16), nullable=False, server_default='slack'))
        batch_op.add_column(sa.Column('profile_checked_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_contact_id'), ['contact_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_contact_id'))
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('profile_checked_at')
        batch_op.drop_column('tz_source')
        batch_op.drop_column('locale_source')
