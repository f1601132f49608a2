"""A new member's first requests arriving together (a double tap, several commands typed in a
row) all get their answer: the ones that lose the race to create the workspace or the member find
the row the winner created (a savepoint around the insert), instead of answering an internal error."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from storage.models import Member, Workspace
from tests.support.fixtures import say

REQUESTS = 8


def test_first_requests_of_a_new_member_at_once_are_all_answered(conversation, session_factory):
    start = threading.Barrier(REQUESTS)
    replies, errors = [], []

    def ask(n: int) -> None:
        try:
            start.wait(10)
            replies.append(say(conversation, "/opp", team="TNEW", user="UNEW", key=f"command:t{n}"))
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
