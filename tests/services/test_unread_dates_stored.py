"""A /log or /plan whose date words could not be read stores nothing (issue 13 §1).

Through the whole core (Conversation.handle on a real database): the reply names the words
it could not read and says nothing was stored; no action, plan or pending choice exists.
The accounts exist, so a line read the old way (date words filed in the name) would have
been stored at once or offered as a suggestion.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.conversation import Conversation
from bot.core import Request
from bot.services.accounts import create_account
from bot.services.members import find_workspace
from storage.models import Action, PendingCommand, Plan
from tests.conftest import TEST_NOW


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _request(command: str, text: str) -> Request:
    return Request(team_id="T1", user_id="U1", command=command, text=text, door="console")


@pytest.fixture(params=["fr", "en"])
def conversation(request, session_factory) -> Conversation:
    conversation = Conversation(
        session_factory, FixedClock(TEST_NOW), default_tz="Europe/Paris", default_locale=request.param
    )
    assert conversation.handle(_request("carnet", "help")).ok  # the workspace and the member
    with session_factory() as session, session.begin():
        workspace = find_workspace(session, "T1")
        for name in ("Gamma", "Gamma Industries", "Pressing"):
            create_account(session, workspace.id, name, owner_id=None, now=TEST_NOW)
    return conversation


@pytest.mark.parametrize(
    ("command", "text", "key", "word"),
    [
        ("log", "visite Gamma lundi Sud", "log.error.unread_date", "lundi"),
        ("log", "visit Gamma last month", "log.error.which_day", "last month"),
        ("log", "visite Pressing 24h", "log.error.unread_date", "24h"),
        ("plan", "visite Gamma Industries lundi Sud à 18h", "plan.error.unread_date", "lundi"),
        ("plan", "visite Gamma pour demain 10h", "plan.error.unread_date", "pour demain 10h"),
    ],
)
def test_unread_date_words_are_named_and_nothing_is_stored(conversation, session_factory, command, text, key, word):
    reply = conversation.handle(_request(command, text))
    assert not reply.ok
    assert reply.keys[0] == key and "error.nothing_stored" in reply.keys
    assert reply.lines[0].values["word"] == word
    assert not reply.choices
    assert (_count(session_factory, Action), _count(session_factory, Plan)) == (0, 0)
    assert _count(session_factory, PendingCommand) == 0


def test_the_same_line_with_the_name_quoted_is_stored(conversation, session_factory):
    """The control: the grammar did refuse above because of the date words, not the account."""
    with session_factory() as session, session.begin():
        workspace = find_workspace(session, "T1")
        create_account(session, workspace.id, "Lundi Matin SARL", owner_id=None, now=TEST_NOW)
    assert conversation.handle(_request("log", "visite Lundi Matin SARL hier")).keys[0] == "log.error.unread_date"
    assert _count(session_factory, Action) == 0
    reply = conversation.handle(_request("log", 'visite "Lundi Matin SARL" hier'))
    assert reply.ok and "log.saved" in reply.keys
    assert _count(session_factory, Action) == 1
