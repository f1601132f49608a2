"""Every shared test fixture, and the few helpers they are made of; ``tests/conftest.py`` exposes
the fixtures to every test (``from tests.support.fixtures import *``), and tests import the helpers.

Databases, each test its own: ``sqlite_url`` (a file in the test's tmp_path), ``postgres_url`` (a
schema of its own, when CARNET_TEST_POSTGRES_URL is set), ``database_url`` (the test runs on both),
``engine`` and ``session_factory`` (that database migrated, holding no rows).
Carnet: ``clock`` (fixed at TEST_NOW), ``conversation`` (the core on ``session_factory``),
``runtime`` (SQLite, talking to ``fake_slack``), ``served`` (its web app on a free port),
``slack`` (signed Slack requests to it).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.conversation import Conversation
from bot.core import Reply, Request
from bot.runtime import Runtime, build_runtime
from bot.services.members import Profile
from bot.settings import Settings
from storage.db import make_session_factory
from tests.storage.migrated import migrated_engine
from tests.support.fake_slack import FakeSlack
from tests.support.served import ServedApp
from tests.support.slack_requests import SlackClient

__all__ = [
    # constants and helpers (tests import them from here; conftest re-exports them for older imports)
    "BOT_TOKEN", "POSTGRES_URL", "REPO", "SIGNING_SECRET", "TEST_NOW", "ServedApp", "Z", "carnet_env",
    "carnet_runtime", "click", "clicked", "console_runtime", "count_rows", "make_settings", "run_carnet", "say",
    "typed",
    # fixtures
    "clock", "conversation", "database_url", "engine", "fake_slack", "postgres_url", "runtime", "served",
    "session_factory", "slack", "sqlite_url",
]

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
# Monday 23 November 2026, 10:00 in Paris: the day the tests live in.
TEST_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POSTGRES_URL = os.environ.get("CARNET_TEST_POSTGRES_URL")
REPO = Path(__file__).resolve().parents[2]


def Z(*args: int) -> datetime:
    """A UTC instant: ``Z(2026, 11, 30, 8)`` is 30 November 2026, 08:00Z."""
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- databases


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'carnet.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the CI PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("CARNET_TEST_POSTGRES_URL is not set")
    from storage.db import normalize_url

    base = normalize_url(POSTGRES_URL)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Each test using it runs on SQLite and, when available, on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    """The test's database, migrated to head and holding no rows (see tests/storage/migrated.py)."""
    engine = migrated_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def count_rows(session_factory: sessionmaker[Session], model: type, *where: Any) -> int:
    """How many rows of ``model`` (matching ``where``) the database holds."""
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --------------------------------------------------------------------------- Carnet


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def conversation(session_factory, clock) -> Conversation:
    """The core alone (no Slack), on the test's database and the fixed clock."""
    return Conversation(session_factory, clock, default_tz="Europe/Paris", default_locale="fr")


def typed(text: str, *, team: str = "T1", user: str = "U1", key: str | None = None, **fields: Any) -> Request:
    """The Request of a member typing ``text`` at the console: ``typed("/log visite Gamma")``."""
    command, _, words = text.partition(" ")
    return Request(team, user, command=command.lstrip("/"), text=words, request_key=key, door="console", **fields)


def clicked(value: str, *, team: str = "T1", user: str = "U1", key: str | None = None) -> Request:
    """The Request of a member choosing the option (button) whose value is ``value``."""
    return Request(team, user, choice=value, request_key=key, door="console")


def say(conversation: Conversation, text: str, **who: Any) -> Reply:
    """Carnet's reply to ``text`` typed by ``who`` (``user``, ``team``, ``key``; see :func:`typed`)."""
    return conversation.handle(typed(text, **who))


def click(conversation: Conversation, value: str, **who: Any) -> Reply:
    """Carnet's reply to the option ``value`` chosen by ``who`` (see :func:`clicked`)."""
    return conversation.handle(clicked(value, **who))


def make_settings(database_url: str, fake: FakeSlack | None = None, **overrides: str) -> Settings:
    env = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url if fake else "http://127.0.0.1:9/api/",
        "CARNET_DEFAULT_TZ": "Europe/Paris",
        "CARNET_DEFAULT_LOCALE": "fr",
    }
    env.update(overrides)
    return Settings.from_env(env)


@contextlib.contextmanager
def carnet_runtime(database_url: str, fake: FakeSlack, clock: FixedClock) -> Iterator[Runtime]:
    """Carnet on ``database_url``, talking to the fake Slack, living on the fixed test clock."""
    rt = build_runtime(make_settings(database_url, fake), clock=clock, delivery_interval=0.05)
    try:
        yield rt
    finally:
        rt.close()


@contextlib.contextmanager
def console_runtime(database_url: str, *, name: str = "Camille Martin", locale: str = "fr",
                    clock: FixedClock | None = None) -> Iterator[Runtime]:
    """Carnet as ``carnet console`` runs it (no Slack): every newcomer's profile is ``name`` in
    Paris speaking ``locale``; the clock is fixed at TEST_NOW unless given."""
    profile = Profile(display_name=name, tz="Europe/Paris", locale=locale)
    rt = build_runtime(make_settings(database_url), clock=clock or FixedClock(TEST_NOW), profiles=lambda _user: profile)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def runtime(sqlite_url, fake_slack, clock) -> Iterator[Runtime]:
    """Carnet on a SQLite file, talking to the fake Slack, living on the fixed test clock."""
    with carnet_runtime(sqlite_url, fake_slack, clock) as rt:
        yield rt


# --------------------------------------------------------------------------- Slack


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started :class:`FakeSlack` (``fake_slack.api_url`` for ``WebClient(base_url=...)``)."""
    fake = FakeSlack()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def served(runtime) -> Iterator[ServedApp]:
    with ServedApp(runtime.web_app()) as app:
        yield app


@pytest.fixture
def slack(served, fake_slack) -> Iterator[SlackClient]:
    """Sends signed requests to the served app; replies to response_url land in the fake."""
    client = SlackClient(served.url, SIGNING_SECRET, response_url=lambda: fake_slack.response_url("r"))
    try:
        yield client
    finally:
        client.close()


# --------------------------------------------------------------------------- the command line


def carnet_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``carnet`` process: this one's without any Slack or Carnet setting,
    on ``database_url``, importing this checkout, never calling the real Slack; then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CARNET_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        PYTHONIOENCODING="utf-8",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # never the real Slack
    )
    env.update(extra)
    return env


def run_carnet(*args: str, db: str, stdin: str = "", timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot.cli ARGS`` (what the ``carnet`` script runs) in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=carnet_env(db, **env),
        cwd=REPO,
        timeout=timeout,
    )
