"""Fixtures of the outbox tests: a workspace and a delivery worker (the database, the clock and the fake
Slack are the shared ones of tests/support/fixtures.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.core import Reply, Text
from bot.jobs.delivery import OutboxDelivery
from bot.services import outbox
from storage.models import OutboxMessage, Workspace
from tests.support.fixtures import BOT_TOKEN, TEST_NOW

CHANNEL = {"type": "channel", "channel": "C1"}


@pytest.fixture
def workspace_id(session_factory) -> int:
    with session_factory() as session, session.begin():
        ws = Workspace(team_id="T1", name="Acme", created_at=TEST_NOW)
        session.add(ws)
        session.flush()
        return ws.id


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


def outbox_keys(session_factory, prefix: str) -> list[str]:
    """The dedupe keys of the outbox's rows that start with ``prefix``, in the order they were queued."""
    with session_factory() as session:
        return list(session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(prefix + "%")).order_by(OutboxMessage.id)
        ))


def texts(fake_slack, method: str = "chat.postMessage", *, delivered_only: bool = True) -> list[str]:
    calls = fake_slack.delivered(method) if delivered_only else fake_slack.calls(method)
    return [c.params.get("text") for c in calls]
