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


# --------------------------------------------------------------------------- 0006: one open relance


def _rows_at_0005(engine) -> dict[str, int]:
    """A rep with three open automatic relances at Gamma (as concurrent /log used to plan), one at
    Beta, a manual relance and a cancelled automatic one at Gamma, and a colleague's at Gamma."""
    from datetime import datetime, timezone

    from sqlalchemy import Boolean, Integer, JSON, String, column, table

    from storage.models import UTCDateTime

    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    due = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    workspace = table("workspace", column("id", Integer), column("team_id", String), column("name", String),
                      column("settings", JSON), column("created_at", UTCDateTime()))
    member = table("member", column("id", Integer), column("workspace_id", Integer), column("slack_user_id", String),
                   column("display_name", String), column("role", String), column("locale", String),
                   column("tz", String), column("period", String), column("created_at", UTCDateTime()))
    account = table("account", column("id", Integer), column("workspace_id", Integer), column("name", String),
                    column("name_key", String), column("status", String), column("created_at", UTCDateTime()))
    plan = table("plan", column("id", Integer), column("workspace_id", Integer), column("member_id", Integer),
                 column("account_id", Integer), column("action_type", String), column("due_at", UTCDateTime()),
                 column("has_time", Boolean), column("status", String), column("source", String),
                 column("created_at", UTCDateTime()), column("updated_at", UTCDateTime()))
    with engine.begin() as conn:
        conn.execute(workspace.insert().values(id=1, team_id="T1", name="Acme", settings={}, created_at=t0))
        conn.execute(member.insert(), [
            dict(id=m, workspace_id=1, slack_user_id=f"U{m}", display_name=f"rep {m}", role="rep", locale="fr",
                 tz="Europe/Paris", period="month", created_at=t0)
            for m in (1, 2)
        ])
        conn.execute(account.insert(), [
            dict(id=a, workspace_id=1, name=n, name_key=n.lower(), status="client", created_at=t0)
            for a, n in ((1, "Gamma"), (2, "Beta"))
        ])

        def row(pid, member_id, account_id, due_at, status="planned", source="auto_relance"):
            return dict(id=pid, workspace_id=1, member_id=member_id, account_id=account_id, action_type="follow_up",
                        due_at=due_at, has_time=False, status=status, source=source, created_at=t0, updated_at=t0)

        conn.execute(plan.insert(), [
            row(10, 1, 1, due),  # planned first…
            row(11, 1, 1, due.replace(day=27)),  # …but this one is due first: kept
            row(12, 1, 1, due.replace(day=27)),  # same day, planned later: cancelled
            row(13, 1, 2, due),  # the only one at Beta: kept
            row(14, 1, 1, due, source="manual"),  # the rep's own: untouched
            row(15, 1, 1, due, status="cancelled"),  # already closed: untouched
            row(16, 2, 1, due),  # a colleague's: kept
        ])
    return {"t0": t0}


def test_0006_keeps_the_first_due_open_automatic_relance_and_cancels_the_other_duplicates(empty_engine):
    from sqlalchemy import text

    upgrade(empty_engine, "0005")
    _rows_at_0005(empty_engine)
    upgrade(empty_engine, "0006")
    with empty_engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT id, status FROM plan ORDER BY id")).all())
        touched = conn.scalars(text("SELECT id FROM plan WHERE updated_at <> created_at ORDER BY id")).all()
    assert statuses == {
        10: "cancelled", 11: "planned", 12: "cancelled", 13: "planned", 14: "planned", 15: "cancelled", 16: "planned"
    }
    assert touched == [10, 12]


def test_0006_refuses_a_second_open_automatic_relance_and_allows_manual_and_closed_ones(empty_engine):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    upgrade(empty_engine, "0005")
    _rows_at_0005(empty_engine)
    upgrade(empty_engine, "0006")
    insert = text(
        "INSERT INTO plan (workspace_id, member_id, account_id, action_type, due_at, has_time, status, source,"
        " created_at, updated_at) SELECT workspace_id, member_id, account_id, action_type, due_at, has_time,"
        " :status, :source, created_at, updated_at FROM plan WHERE id = 11"
    )
    with empty_engine.begin() as conn:  # a manual one, a missed and a cancelled automatic one: accepted
        for status, source in (("planned", "manual"), ("missed", "auto_relance"), ("cancelled", "auto_relance")):
            conn.execute(insert, {"status": status, "source": source})
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(insert, {"status": "planned", "source": "auto_relance"})
    with empty_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM plan WHERE status = 'planned' AND source = 'auto_relance'")) == 3


def test_0006_downgrade_drops_the_guarantee(empty_engine):
    from alembic import command

    upgrade(empty_engine, "0006")
    command.downgrade(alembic_config(empty_engine), "0005")
    assert "uq_plan_open_auto_relance" not in {i["name"] for i in inspect(empty_engine).get_indexes("plan")}
    upgrade(empty_engine, "0006")
    assert "uq_plan_open_auto_relance" in {i["name"] for i in inspect(empty_engine).get_indexes("plan")}
