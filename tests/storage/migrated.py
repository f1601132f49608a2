"""A migrated database for every service and job test, without paying for a migration each time.

SQLite: the first test runs the real ``storage.db.upgrade`` into a template file; every test then
gets its own copy of that file. PostgreSQL: this process migrates one schema of its own with the
real ``upgrade`` (``carnet_shared_<pid>``, dropped at exit) and every test starts from it emptied
(``DELETE``, children first), which is far cheaper than creating some forty tables and
indexes per test. Ids are not reset: tests must not assume them. ``tests/storage`` checks the migrations themselves, from an empty database.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storage.db import current_revision, make_engine, normalize_url, upgrade
from storage.models import Base

_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_schema: str | None = None
_pg_tables: list[str] = []


def migrated_engine(url: str) -> Engine:
    """An engine on a database migrated to head holding no rows.

    ``url`` is what the ``database_url`` fixture gives: an empty SQLite file's path (used), or a
    fresh PostgreSQL schema (only its server is used; the rows live in this process's schema).
    """
    if make_url(url).get_backend_name() == "sqlite":
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
            atexit.register(shutil.rmtree, template.parent, True)
        shutil.copyfile(_sqlite_template, target)
    engine = make_engine(url)
    assert current_revision(engine) is not None
    return engine


def _server_url(url: str) -> str:
    parsed = make_url(normalize_url(url))
    return parsed.set(query={k: v for k, v in parsed.query.items() if k != "options"}).render_as_string(
        hide_password=False
    )


def _schema_url(url: str, schema: str) -> str:
    parsed = make_url(_server_url(url))
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def _drop_stale_schemas(admin: Engine) -> None:
    """Schemas left by earlier runs of this machine whose process is gone (killed runs)."""
    with admin.connect() as conn:
        names = conn.scalars(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'carnet\\_shared\\_%'")).all()
        for name in names:
            match = re.fullmatch(r"carnet_shared_(\d+)", name)
            if match is None:
                continue
            try:
                os.kill(int(match.group(1)), 0)
            except ProcessLookupError:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            except PermissionError:
                pass


def _postgres(url: str) -> Engine:
    global _pg_schema, _pg_tables
    with _lock:
        if _pg_schema is None:
            schema = f"carnet_shared_{os.getpid()}"
            admin = create_engine(_server_url(url), isolation_level="AUTOCOMMIT")
            _drop_stale_schemas(admin)
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))

            def drop() -> None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()

            atexit.register(drop)
            engine = make_engine(_schema_url(url, schema))
            upgrade(engine)
            with engine.connect() as conn:
                present = set(
                    conn.scalars(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename <> 'alembic_version'"),
                        {"s": schema},
                    )
                )
            ordered = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in present]
            _pg_tables = ordered + sorted(present - set(ordered))
            engine.dispose()
            _pg_schema = schema
    engine = make_engine(_schema_url(url, _pg_schema))
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))  # a connection left open by a test fails loudly
        # DELETE, children first: a few rows per table, far cheaper than TRUNCATE's new files.
        conn.execute(text("; ".join(f'DELETE FROM "{t}"' for t in _pg_tables)))
    return engine
