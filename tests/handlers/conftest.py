"""Helpers for the handler tests: send slash commands, read Slack messages back, seed accounts and
people, snapshot the tables.

Everything goes through the served app (``slack``/``served`` fixtures of tests/support/fixtures.py);
these helpers only send what Slack sends, read what came back and what the database holds.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.render.blocks import CHOICE_ACTION_PREFIX
from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from storage.models import Member, Opportunity
from tests.support.messages import flat

STORED_TABLES = ("action", "account", "contact")
# Who is who in the /opp, /pipeline and App Home tests (users.info of the fake tells Carnet their names).
# The "preparing" acks of slow team-wide replies (their full answer follows through the response_url).
PREPARING = ("pipeline.preparing", "team.preparing", "digest.preparing")
PEOPLE = {"UBOSS": "boss", "U1": "alice", "U2": "bob", "U3": "carol", "UM1": "mia", "UM2": "max"}


def ack(slack, command: str, text: str = "", *, user: str = "U1", **fields: Any) -> dict[str, Any]:
    """Send the slash command ``command text`` as ``user``; returns the ack's body, which came in
    Slack's 3 seconds and is shown to the member alone (ephemeral)."""
    response = slack.command(command, text, user_id=user, **fields)
    assert response.status_code == 200, response.text
    assert response.elapsed.total_seconds() < 3
    body = response.json()
    assert body["response_type"] == "ephemeral"  # only the member sees the answer
    return body


def say(slack, text_: str = "", *, user: str = "U1", command: str = "/opp") -> tuple[dict[str, Any], str]:
    """Send a slash command and return (ack body, everything it shows as flat text)."""
    body = ack(slack, command, text_, user=user)
    return body, flat(message_text(body))


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


def table(runtime, name: str) -> list[tuple]:
    """Every row of the table ``name``, in id order."""
    with runtime.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {name} ORDER BY id"))]


def snapshot(runtime, tables: tuple[str, ...] = STORED_TABLES) -> dict[str, list[tuple]]:
    """Every row of ``tables`` (by default those a /log may write to), to compare before/after."""
    return {name: table(runtime, name) for name in tables}


def rows(runtime, table: str) -> list[dict[str, Any]]:
    with runtime.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]


def add_account(runtime, name: str, team_id: str = "T1") -> int:
    with runtime.session_factory() as session, session.begin():
        workspace = get_or_create_workspace(session, team_id, now=runtime.clock.now())
        return create_account(session, workspace.id, name, owner_id=None, now=runtime.clock.now()).id


def register_people(fake_slack, slack) -> None:
    """Give the fake Slack the users' profiles (PEOPLE); UBOSS speaks first, so it is the workspace admin."""
    for user_id, name in PEOPLE.items():
        fake_slack.add_user(user_id, name=name, tz="Europe/Paris", locale="fr-FR")
    response = slack.command("/carnet", "help", user_id="UBOSS")
    assert response.status_code == 200


def set_member(runtime, user_id: str, **values: Any) -> None:
    """Test set-up only: change a member row (role, manager) as an admin tool would."""
    with runtime.session_factory() as session, session.begin():
        member = session.scalar(select(Member).where(Member.slack_user_id == user_id))
        assert member is not None, f"{user_id} never used Carnet"
        for name, value in values.items():
            if name == "manager":
                value = session.scalar(select(Member.id).where(Member.slack_user_id == value))
                name = "manager_id"
            setattr(member, name, value)


def deals(runtime, **where: Any) -> list[Opportunity]:
    """The opportunities (matching ``where``: column = value), in id order."""
    with runtime.session_factory() as session:
        stmt = select(Opportunity).order_by(Opportunity.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(Opportunity, name) == value)
        found = list(session.scalars(stmt))
        session.expunge_all()
        return found


@pytest.fixture
def people(fake_slack, slack) -> None:
    register_people(fake_slack, slack)


@pytest.fixture
def gamma(runtime) -> int:
    """The account Gamma, known to the workspace T1."""
    return add_account(runtime, "Gamma")


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
