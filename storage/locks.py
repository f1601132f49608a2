"""Work that two Carnet processes must not do at the same moment, serialised by the database.

Several ``carnet worker`` processes may share one PostgreSQL database. Most scheduled work is
safe to decide twice (outbox keys are unique), but work that *creates rows from what it reads*
— planning the next key-account visits — would be done twice if two workers read before either
committed. A transaction-scoped advisory lock makes the second wait for the first's commit, so it
then reads the rows the first one planned.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def serialize(session: Session, name: str, workspace_id: int) -> None:
    """Wait until no other transaction holds ``name`` for this workspace; held until this one ends.

    PostgreSQL only: a SQLite database has one serving host and one embedded worker (writes are
    serialised by the file lock; several worker processes on one SQLite file are not supported)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    # Two 32-bit keys: the job (a stable hash of its name) and the workspace.
    key = zlib.crc32(name.encode()) & 0x7FFFFFFF
    session.execute(text("SELECT pg_advisory_xact_lock(:key, :workspace)"), {"key": key, "workspace": workspace_id})
