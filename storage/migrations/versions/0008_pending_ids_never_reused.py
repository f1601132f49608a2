"""pending commands: ids never reused (SQLite AUTOINCREMENT)

Revision ID: 0008
Revises: 0007

SQLite gives a new row the highest id + 1, so once the newest pending command was taken, the
next one got its id again and a button still on screen could take a command it was never about.
AUTOINCREMENT makes SQLite remember the highest id ever used; PostgreSQL's sequence already does.
"""
from __future__ import annotations

from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("pending_command", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("pending_command", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
