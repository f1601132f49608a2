"""Engine and session factory from DATABASE_URL, and schema upgrades through Alembic."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@dataclass(frozen=True)
class Timeouts:
    """How long a connection waits for a lock (SQLite) or lets one statement run (PostgreSQL)."""

    lock_ms: int
    statement_ms: int | None  # PostgreSQL statement_timeout; None: no limit


# The Slack door must answer within 3 s: a statement stuck behind a lock (a scheduler tick holding
# SQLite's write lock, a PostgreSQL row lock, a bad plan) fails after 1.5 s, the request rolls back
# and the member gets an apology instead of a 404 with their work stored behind their back.
SERVE = Timeouts(lock_ms=1_500, statement_ms=1_500)
# The worker, the CLI and migrations write large transactions and have no one waiting on them.
WORKER = Timeouts(lock_ms=30_000, statement_ms=None)
ROLES = {"serve": SERVE, "worker": WORKER}


def make_engine(url: str, *, role: str | Timeouts = "worker", **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    ``role`` sets the waits: ``"serve"`` (the Slack door: short, under the ack) or ``"worker"``
    (scheduler, delivery, CLI: long), or explicit :class:`Timeouts`.
    """
    timeouts = ROLES[role] if isinstance(role, str) else role
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": timeouts.lock_ms / 1000, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(timeouts.lock_ms)}")
            # A 64 MB page cache: reports over a large workspace read the same index pages often.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        @event.listens_for(engine, "savepoint")
        def _sqlite_begin_before_savepoint(conn: Any, _name: Any) -> None:
            # The sqlite3 driver (legacy transaction control) only emits BEGIN before DML, so a
            # SAVEPOINT issued first would open the transaction itself, and releasing it would
            # COMMIT: rows written in a begin_nested() would survive the enclosing rollback.
            # IMMEDIATE takes the write lock now (waiting out busy_timeout): a deferred BEGIN
            # that reads, then writes after another connection committed, fails at once with
            # "database is locked" (a stale WAL snapshot is not retried by the busy handler).
            dbapi_conn = conn.connection.dbapi_connection
            if dbapi_conn is not None and not dbapi_conn.in_transaction:
                dbapi_conn.execute("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if timeouts.statement_ms is not None:

        @event.listens_for(engine, "connect")
        def _pg_timeouts(dbapi_conn: Any, _record: Any) -> None:
            # Set on the session, not in the URL, so that a URL's own ``options`` (search_path)
            # stays as it is; committed so the pool's reset (a rollback) keeps it.
            with dbapi_conn.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(timeouts.statement_ms)}")
                cursor.execute(f"SET lock_timeout = {int(timeouts.lock_ms)}")
            dbapi_conn.commit()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (replies are built from them)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine):  # -> alembic.config.Config
    """An Alembic config pointing at Carnet's migrations and at ``engine``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (idempotent: an up-to-date database is left as is)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
