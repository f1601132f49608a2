"""Fixtures of the outbox tests: a migrated real database, a workspace, the fake Slack and a delivery worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.core import Reply, Text
from bot.jobs.delivery import OutboxDelivery
from bot.services import outbox
from storage.db import make_session_factory
from storage.models import OutboxMessage, Workspace
from tests.conftest import BOT_TOKEN, TEST_NOW
from tests.storage.migrated import migrated_engine

CHANNEL = {"type": "channel", "channel": "C1"}


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    engine = migrated_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def workspace_id(session_factory) -> int:
    with session_factory() as session, session.begin():
        ws = Workspace(team_id="T1", name="Acme", created_at=TEST_NOW)
        session.add(ws)
        session.flush()
        return ws.id


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


def make_delivery(session_factory, fake_slack, clock, worker_id: str = "w1") -> OutboxDelivery:
    # A long timeout: on a busy 2-core runner a local call can take seconds, and a timeout is an
    # unknown outcome (looked up before resending), which would change what the tests count.
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=30)
    return OutboxDelivery(session_factory, client, clock, worker_id=worker_id, http_timeout=30)


@pytest.fixture
def delivery(session_factory, fake_slack, clock) -> OutboxDelivery:
    return make_delivery(session_factory, fake_slack, clock)


def reply_payload(text: str, destination: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = Reply(locale="fr", lines=[Text("plain", {"text": text})])
    return {"destination": destination or CHANNEL, "reply": reply.to_dict()}


def enqueue_reply(
    session_factory,
    workspace_id: int,
    text: str,
    *,
    now: datetime = TEST_NOW,
    destination: dict[str, Any] | None = None,
    key: str | None = None,
    **kwargs: Any,
) -> int:
    """Queue a reply saying ``text``; returns the row id."""
    key = key or f"reply:{text}"
    with session_factory() as session, session.begin():
        outbox.enqueue(
            session, workspace_id=workspace_id, dedupe_key=key, kind="reply",
            payload=reply_payload(text, destination), now=now, **kwargs,
        )
        return session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.workspace_id == workspace_id, OutboxMessage.dedupe_key == key)
        )


def row(session_factory, row_id: int) -> OutboxMessage:
    with session_factory() as session:
        found = session.get(OutboxMessage, row_id)
        assert found is not None
        return found


def texts(fake_slack, method: str = "chat.postMessage", *, delivered_only: bool = True) -> list[str]:
    calls = fake_slack.delivered(method) if delivered_only else fake_slack.calls(method)
    return [c.params.get("text") for c in calls]
