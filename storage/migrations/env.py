"""Alembic environment: runs against the engine Carnet passes in (or DATABASE_URL)."""

from __future__ import annotations

import os

from alembic import context

from storage.db import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///carnet.db"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
