"""Migration 0013 creates slack-sdk's installation, bot and OAuth state tables exactly as slack-sdk's
own builders define them (the stores of bot/slack_install.py read and write them unchanged)."""

from __future__ import annotations

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, inspect

from storage.db import make_engine, upgrade

BUILDERS = {
    "slack_installations": SQLAlchemyInstallationStore.build_installations_table,
    "slack_bots": SQLAlchemyInstallationStore.build_bots_table,
    "slack_oauth_states": SQLAlchemyOAuthStateStore.build_oauth_states_table,
}


@pytest.fixture
def migrated(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_the_migrated_table_matches_slack_sdks_builder_column_by_column(migrated, name):
    built = BUILDERS[name](MetaData(), name)
    columns = {c["name"]: c for c in inspect(migrated).get_columns(name)}

    assert list(columns) == [c.name for c in built.columns]
    for column in built.columns:
        found = columns[column.name]
        assert found["nullable"] == (column.nullable and not column.primary_key), column.name
        expected = column.type.compile(dialect=migrated.dialect)
        assert found["type"].compile(dialect=migrated.dialect) == expected, column.name
    indexes = {i["name"]: i["column_names"] for i in inspect(migrated).get_indexes(name)}
    assert indexes == {i.name: [c.name for c in i.columns] for i in built.indexes}
