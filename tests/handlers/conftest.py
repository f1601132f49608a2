"""Helpers for the handler tests: read Slack messages back, seed accounts, snapshot the tables.

Everything goes through the served app (``slack``/``served`` fixtures of tests/conftest.py);
these helpers only read what came back and what the database holds.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text

from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from bot.render.blocks import CHOICE_ACTION_PREFIX

STORED_TABLES = ("action", "account", "contact")


def message_text(message: dict[str, Any]) -> str:
    """Everything a person reads in a message body: fallback text, sections, fields, buttons."""
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        if block.get("text"):
            parts.append(block["text"]["text"])
        for field in block.get("fields") or []:
            parts.append(field["text"])
        for element in block.get("elements") or []:
            if element.get("text"):
                parts.append(element["text"]["text"])
    return "\n".join(parts)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if element.get("type") == "button"
    ]


def button(message: dict[str, Any], value_prefix: str) -> dict[str, Any]:
    found = [b for b in buttons(message) if b["value"].startswith(value_prefix)]
    assert len(found) == 1, f"no single button {value_prefix!r} in {buttons(message)}"
    assert found[0]["action_id"].startswith(CHOICE_ACTION_PREFIX + ".")
    return found[0]


def snapshot(runtime) -> dict[str, list[tuple]]:
    """Every row of the tables a /log may write to (compare before/after)."""
    with runtime.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))] for t in STORED_TABLES}


def rows(runtime, table: str) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]


def add_account(runtime, name: str, team_id: str = "T1") -> int:
    with runtime.session_factory() as session, session.begin():
        workspace = get_or_create_workspace(session, team_id, now=runtime.clock.now())
        return create_account(session, workspace.id, name, owner_id=None, now=runtime.clock.now()).id


class Clicks:
    """Sends button clicks like Slack and waits for the answer posted to each click's response_url."""

    def __init__(self, slack, fake_slack) -> None:
        self.slack = slack
        self.fake = fake_slack
        self._n = 0

    def click(self, btn: dict[str, Any], *, expect_answer: bool = True, **kwargs: Any) -> dict[str, Any] | None:
        self._n += 1
        name = f"click{self._n}"
        before = len(self.fake.delivered("response_url"))
        response = self.slack.action(
            action_id=btn["action_id"],
            block_id="carnet.choices",
            value=btn["value"],
            response_url=self.fake.response_url(name),
            **kwargs,
        )
        assert response.status_code == 200
        assert response.content in (b"", b"{}") or response.json() in ({}, None)  # a click is only acked
        if not expect_answer:
            time.sleep(0.3)
            assert self.fake.responses(name) == []
            return None
        self.fake.wait_for("response_url", count=before + 1)
        answers = self.fake.responses(name)
        assert len(answers) == 1, answers
        return answers[0]


@pytest.fixture
def clicks(slack, fake_slack) -> Clicks:
    return Clicks(slack, fake_slack)
