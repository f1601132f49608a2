"""Shared fixtures: real databases (SQLite file, PostgreSQL when CARNET_TEST_POSTGRES_URL is set),
a fake Slack Web API on 127.0.0.1, and Carnet itself served by uvicorn on a local port."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Iterator

import pytest
import uvicorn
from sqlalchemy import create_engine, text

from bot.clock import FixedClock
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from tests.support.fake_slack import FakeSlack
from tests.support.fixtures import *  # noqa: F401,F403  (the fake_slack fixture)
from tests.support.slack_requests import SlackClient

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
# Monday 23 November 2026, 10:00 in Paris: the day the tests live in.
TEST_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

POSTGRES_URL = os.environ.get("CARNET_TEST_POSTGRES_URL")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


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


@pytest.fixture
def runtime(sqlite_url, fake_slack, clock) -> Iterator[Runtime]:
    """Carnet on a SQLite file, talking to the fake Slack, living on the fixed test clock."""
    with carnet_runtime(sqlite_url, fake_slack, clock) as rt:
        yield rt


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedApp:
    """Carnet's ASGI app run by a real uvicorn server in a thread."""

    def __init__(self, app) -> None:
        self.port = _free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ServedApp":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


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
