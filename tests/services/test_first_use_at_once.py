"""A new member's first requests arriving together (a double tap, several commands typed in a
row) all get their answer: the ones that lose the race to create the workspace or the member find
the row the winner created (a savepoint around the insert), instead of answering an internal error."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.conversation import Conversation
from bot.core import Request
from storage.models import Member, Workspace
from tests.conftest import TEST_NOW

REQUESTS = 8


def test_first_requests_of_a_new_member_at_once_are_all_answered(session_factory):
    conversation = Conversation(session_factory, FixedClock(TEST_NOW), default_tz="Europe/Paris", default_locale="fr")
    start = threading.Barrier(REQUESTS)
    replies, errors = [], []

    def ask(n: int) -> None:
        try:
            start.wait(10)
            replies.append(conversation.handle(Request(team_id="TNEW", user_id="UNEW", command="opp", text="",
                                                       request_key=f"command:t{n}", source="console")))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(REQUESTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(replies) == REQUESTS
    assert [r.keys for r in replies if not r.ok] == []
    with session_factory() as s:
        assert s.scalar(select(func.count(Workspace.id))) == 1
        assert s.scalar(select(func.count(Member.id))) == 1
