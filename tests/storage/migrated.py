"""A migrated database for every service and job test, without paying for Alembic each time.

The first test of a session runs the real ``storage.db.upgrade`` per backend; later tests get the
very same schema: a copy of the migrated SQLite file, or a replay on PostgreSQL of the statements
that upgrade emitted (recorded as they went to the server). ``tests/storage`` checks the migrations
themselves, each time from an empty database.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from storage.db import current_revision, make_engine, upgrade

_lock = threading.Lock()
_sqlite_template: Path | None = None
_postgres_script: list[tuple[str, Any]] | None = None
_RECORDED = ("CREATE", "ALTER", "INSERT", "UPDATE", "DROP", "COMMENT")


def migrated_engine(url: str) -> Engine:
    """An engine on ``url`` (an empty SQLite file path or an empty PostgreSQL schema), migrated to head."""
    dialect = make_url(url).get_backend_name()
    if dialect == "sqlite":
        return _sqlite(url)
    return _postgres(url)


def _sqlite(url: str) -> Engine:
    global _sqlite_template
    target = Path(make_url(url).database)
    with _lock:
        if _sqlite_template is None:
            template = Path(tempfile.mkdtemp(prefix="carnet-template-")) / "migrated.db"
            engine = make_engine(f"sqlite:///{template}")
            upgrade(engine)
            engine.dispose()  # the last connection checkpoints the WAL into the file
            _sqlite_template = template
        shutil.copyfile(_sqlite_template, target)
    engine = make_engine(url)
    assert current_revision(engine) is not None
    return engine


def _postgres(url: str) -> Engine:
    global _postgres_script
    engine = make_engine(url)
    with _lock:
        if _postgres_script is None:
            recorded: list[tuple[str, Any]] = []

            def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
                if statement.lstrip().upper().startswith(_RECORDED):
                    recorded.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", record)
            try:
                upgrade(engine)
            finally:
                event.remove(engine, "before_cursor_execute", record)
            _postgres_script = recorded
            return engine
        script = _postgres_script
    with engine.begin() as conn:
        for statement, parameters in script:
            conn.exec_driver_sql(statement, parameters or None)
    return engine
