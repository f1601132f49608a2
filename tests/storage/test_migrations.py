"""Alembic migrations against real, empty databases (a SQLite file and a fresh PostgreSQL schema)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.db import alembic_config, current_revision, make_engine, upgrade
from storage.models import Base


@pytest.fixture
def empty_engine(database_url):
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _head(engine) -> str:
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    assert len(heads) == 1, f"the migrations must have one head, not {heads}"
    return heads[0]


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_the_empty_database_has_no_revision_and_no_tables(empty_engine):
    assert current_revision(empty_engine) is None
    assert _tables(empty_engine) == set()


def test_upgrade_creates_every_table_of_the_models(empty_engine):
    upgrade(empty_engine)
    assert _tables(empty_engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert current_revision(empty_engine) == _head(empty_engine)


def test_upgrade_twice_is_idempotent(empty_engine):
    upgrade(empty_engine)
    tables = _tables(empty_engine)
    columns = {t: [c["name"] for c in inspect(empty_engine).get_columns(t)] for t in tables}
    upgrade(empty_engine)  # an up-to-date database is left as is, no error
    assert _tables(empty_engine) == tables
    assert {t: [c["name"] for c in inspect(empty_engine).get_columns(t)] for t in tables} == columns
    assert current_revision(empty_engine) == _head(empty_engine)


def test_models_and_migrations_agree(empty_engine):
    """autogenerate finds nothing to add: every table, column, type, index and constraint is migrated."""
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False, "target_metadata": Base.metadata}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "models.py and storage/migrations disagree:\n" + "\n".join(map(repr, diff))


def test_every_revision_chain_reaches_head_from_base(empty_engine):
    """The revisions form one line from the first migration to head (no orphan, no branch)."""
    script = ScriptDirectory.from_config(alembic_config(empty_engine))
    revisions = list(script.walk_revisions("base", "heads"))
    assert revisions, "no migrations found"
    assert revisions[-1].down_revision is None
    assert revisions[0].revision == _head(empty_engine)
    for newer, older in zip(revisions, revisions[1:]):
        assert newer.down_revision == older.revision


def test_the_test_suites_migrated_copies_match_the_models(database_url):
    """tests/storage/migrated.py (a copied SQLite file, a shared emptied PostgreSQL schema) is at head and empty."""
    from tests.storage.migrated import migrated_engine

    engine = migrated_engine(database_url)
    try:
        assert current_revision(engine) == _head(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            for table in Base.metadata.sorted_tables:
                assert conn.execute(table.select().limit(1)).first() is None, f"{table.name} is not empty"
    finally:
        engine.dispose()
