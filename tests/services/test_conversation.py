"""Conversation.handle: one transaction per request, idempotent on request_key, isolated per workspace."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from bot.clock import FixedClock
from bot.conversation import Conversation
from bot.core import Reply, Request
from bot.services.accounts import create_account
from bot.services.members import Profile, find_workspace
from storage.models import (
    Account,
    Action,
    OutboxMessage,
    PendingCommand,
    ProcessedRequest,
)
from tests.support.fixtures import TEST_NOW, clicked, count_rows, typed


def _add_account(conversation: Conversation, session_factory, team: str, name: str, user: str = "U1") -> int:
    """Make the workspace and member exist (through the core), then add ``name`` to the workspace."""
    assert conversation.handle(Request(team_id=team, user_id=user, command="carnet", text="help")).ok
    with session_factory() as session, session.begin():
        ws = find_workspace(session, team)
        account = create_account(session, ws.id, name, owner_id=None, now=TEST_NOW)
        session.flush()
        return account.id


def _choice_values(reply: Reply, prefix: str) -> list[str]:
    return [c.value for c in reply.choices if c.value.startswith(prefix)]


# ----------------------------------------------------------------------------- idempotency


def test_the_same_request_key_twice_stores_one_action_and_repeats_the_reply(conversation, session_factory):
    _add_account(conversation, session_factory, "T1", "Gamma")
    first = conversation.handle(typed("/log visite Gamma proposition", key="trigger-1"))
    assert first.ok and "log.saved" in first.keys
    second = conversation.handle(typed("/log visite Gamma proposition", key="trigger-1"))
    assert second.to_dict() == first.to_dict()
    assert count_rows(session_factory, Action) == 1
    assert count_rows(session_factory, ProcessedRequest) == 1
    # A new gesture (another key) is new work.
    third = conversation.handle(typed("/log visite Gamma proposition", key="trigger-2"))
    assert third.ok and count_rows(session_factory, Action) == 2


def test_a_retried_choice_is_answered_not_rerun(conversation, session_factory):
    _add_account(conversation, session_factory, "T1", "Gamma")
    saved = conversation.handle(typed("/log appel Gamma", key="k1"))
    [undo] = _choice_values(saved, "log.undo:")
    first = conversation.handle(clicked(undo, key="click-1"))
    assert first.keys == ["log.undone"]
    again = conversation.handle(clicked(undo, key="click-1"))
    assert again.to_dict() == first.to_dict()  # not "already undone": the same answer
    assert count_rows(session_factory, Action) == 0


def test_request_keys_are_per_workspace(conversation, session_factory):
    _add_account(conversation, session_factory, "T1", "Gamma")
    _add_account(conversation, session_factory, "T2", "Gamma")
    assert conversation.handle(typed("/log visite Gamma", team="T1", key="same")).ok
    assert conversation.handle(typed("/log visite Gamma", team="T2", key="same")).ok
    assert count_rows(session_factory, Action) == 2


@pytest.mark.parametrize("threads", [2, 4])
def test_concurrent_duplicates_store_one_action_and_get_the_same_reply(engine, conversation, session_factory, threads):
    """N threads send one request_key at once; all pass the "already processed?" check before any commits.

    The unique constraint on processed_request makes all but one transaction fail and roll back
    (their action with it); they answer with the winner's stored reply.
    """
    _add_account(conversation, session_factory, "T1", "Gamma")
    barrier = threading.Barrier(threads)
    seen = {"lookups": 0}
    lock = threading.Lock()

    def hold_until_all_looked(conn, cursor, statement, parameters, context, executemany):
        # Test instrumentation of the database layer: every thread's first look for a stored reply
        # returns before any of them goes on, so they really race to store the same work.
        if statement.lstrip().upper().startswith("SELECT") and "processed_request" in statement:
            with lock:
                seen["lookups"] += 1
                mine = seen["lookups"]
            if mine <= threads:
                barrier.wait(timeout=20)

    event.listen(engine, "after_cursor_execute", hold_until_all_looked)
    replies: list[Reply | None] = [None] * threads
    request = typed("/log visite Gamma proposition", key="dup-1", deliver_to={"type": "response_url", "url": "http://127.0.0.1:9/r"})

    def send(i: int) -> None:
        replies[i] = conversation.handle(request)

    workers = [threading.Thread(target=send, args=(i,)) for i in range(threads)]
    try:
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
    finally:
        event.remove(engine, "after_cursor_execute", hold_until_all_looked)
    assert not barrier.broken and seen["lookups"] >= threads, "the threads did not all look before storing"
    assert all(r is not None for r in replies)
    assert all(r.ok and "log.saved" in r.keys for r in replies), [r.keys for r in replies]
    assert len({repr(r.to_dict()) for r in replies}) == 1, "every duplicate gets the winner's reply"
    assert count_rows(session_factory, Action) == 1
    assert count_rows(session_factory, ProcessedRequest) == 1
    assert count_rows(session_factory, OutboxMessage) == 1
    [undo] = _choice_values(replies[0], "log.undo:")
    with session_factory() as session:
        assert undo == f"log.undo:{session.scalar(select(Action.id))}"


# ----------------------------------------------------------------------------- errors


def test_an_error_after_work_was_done_rolls_everything_back(conversation, session_factory):
    """A real failure late in the transaction (the reply cannot be queued: the door's destination
    is not JSON) comes back as a short apology; the pending choice, the new account and the action
    it had already written are all undone, and a correct retry of the same gesture then works."""
    assert conversation.handle(Request(team_id="T1", user_id="U1", command="carnet", text="help")).ok
    asked = conversation.handle(typed("/log visite Nouvelle Société proposition", key="k1"))
    [create] = _choice_values(asked, "log.create_account:")
    broken_destination = {"type": "response_url", "url": object()}
    failed = conversation.handle(
        Request(team_id="T1", user_id="U1", choice=create, request_key="click-1", deliver_to=broken_destination)
    )
    assert not failed.ok
    assert failed.keys == ["error.internal"]
    assert count_rows(session_factory, Account) == 0
    assert count_rows(session_factory, Action) == 0
    assert count_rows(session_factory, PendingCommand) == 1  # not consumed
    assert count_rows(session_factory, ProcessedRequest) == 1  # only the first /log's
    assert count_rows(session_factory, OutboxMessage) == 0
    retried = conversation.handle(
        Request(team_id="T1", user_id="U1", choice=create, request_key="click-1",
                deliver_to={"type": "response_url", "url": "http://127.0.0.1:9/r"})
    )
    assert retried.ok and "log.saved_new_account" in retried.keys
    assert count_rows(session_factory, Account) == 1
    assert count_rows(session_factory, Action) == 1
    assert count_rows(session_factory, PendingCommand) == 0
    assert count_rows(session_factory, OutboxMessage) == 1


def test_an_error_on_a_first_request_leaves_no_workspace_behind(conversation, session_factory):
    failed = conversation.handle(typed("/log visite Gamma", key="k1", deliver_to={"type": "channel", "channel": {1, 2}}))
    assert failed.keys == ["error.internal"] and not failed.ok
    with session_factory() as session:
        assert find_workspace(session, "T1") is None


# ----------------------------------------------------------------------------- days and zones


def test_the_action_day_is_the_members_local_day(session_factory):
    """23:30 UTC on 23 Nov is already 24 Nov in Paris; 02:00 UTC on 24 Nov is still 23 Nov in New York."""
    clock = FixedClock(datetime(2026, 11, 23, 23, 30, tzinfo=UTC))
    profiles = {"UPAR": Profile(tz="Europe/Paris", locale="fr-FR"), "UNYC": Profile(tz="America/New_York", locale="en-US")}
    conversation = Conversation(session_factory, clock, profiles=profiles.get, default_tz="UTC", default_locale="en")
    _add_account(conversation, session_factory, "T1", "Gamma", user="UPAR")
    assert conversation.handle(typed("/log visite Gamma", user="UPAR")).ok
    clock.set(datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    assert conversation.handle(Request(team_id="T1", user_id="UNYC", command="carnet", text="help")).ok
    assert conversation.handle(typed("/log call Gamma", user="UNYC")).ok
    assert conversation.handle(typed("/log email Gamma yesterday", user="UNYC")).ok
    with session_factory() as session:
        rows = session.execute(select(Action.action_type, Action.occurred_on).order_by(Action.id)).all()
    assert [tuple(r) for r in rows] == [
        ("visit", date(2026, 11, 24)),
        ("call", date(2026, 11, 23)),
        ("email", date(2026, 11, 22)),
    ]


# ----------------------------------------------------------------------------- workspace isolation


@pytest.fixture
def two_workspaces(conversation, session_factory) -> dict:
    """T1 (U1, Gamma) and T2 (U1, Delta, a pending /log and one action)."""
    gamma = _add_account(conversation, session_factory, "T1", "Gamma")
    delta = _add_account(conversation, session_factory, "T2", "Delta")
    asked = conversation.handle(typed("/log visite Inconnue", team="T2"))
    [create] = _choice_values(asked, "log.create_account:")
    pending_t2 = int(create.split(":")[1])
    saved = conversation.handle(typed("/log visite Delta", team="T2"))
    [undo] = _choice_values(saved, "log.undo:")
    return {"gamma": gamma, "delta": delta, "pending_t2": pending_t2, "action_t2": int(undo.split(":")[1])}


def _snapshot(session_factory) -> dict:
    with session_factory() as session:
        return {
            "actions": session.execute(select(Action.id, Action.workspace_id, Action.account_id).order_by(Action.id)).all(),
            "accounts": session.execute(select(Account.id, Account.workspace_id, Account.name).order_by(Account.id)).all(),
            "pending": session.execute(select(PendingCommand.id, PendingCommand.workspace_id).order_by(PendingCommand.id)).all(),
        }


FORGED = [
    "log.create_account:{pending_t2}",
    "log.pick_account:{pending_t2}:{delta}",
    "log.pick_account:{pending_t2}:{gamma}",
    "log.cancel:{pending_t2}",
    "log.undo:{action_t2}",
]


def test_a_choice_naming_another_workspaces_rows_is_refused_and_changes_nothing(
    conversation, session_factory, two_workspaces, clock
):
    before = _snapshot(session_factory)
    clock.advance(timedelta(minutes=1))
    for value in FORGED:
        reply = conversation.handle(clicked(value.format(**two_workspaces), team="T1"))
        assert not reply.ok, value
        assert reply.keys in (["choice.expired"], ["log.already_undone"]), value
        assert _snapshot(session_factory) == before, value
    # T2's owner can still use their pending choice.
    create = conversation.handle(clicked(f"log.create_account:{two_workspaces['pending_t2']}", team="T2"))
    assert create.ok and "log.saved_new_account" in create.keys


def test_own_pending_with_another_workspaces_account_stores_nothing_there(conversation, session_factory, two_workspaces):
    asked = conversation.handle(typed("/log visite Gama", team="T1"))
    [pick] = _choice_values(asked, "log.pick_account:")
    pending_t1 = int(pick.split(":")[1])
    reply = conversation.handle(clicked(f"log.pick_account:{pending_t1}:{two_workspaces['delta']}", team="T1"))
    assert not reply.ok and reply.keys == ["choice.expired"]
    # Delta keeps its one action from T2; T1 stored nothing at all.
    assert count_rows(session_factory, Action, Action.account_id == two_workspaces["delta"]) == 1
    with session_factory() as session:
        t1 = find_workspace(session, "T1").id
    assert count_rows(session_factory, Action, Action.workspace_id == t1) == 0


def test_another_members_pending_choice_is_not_yours_and_stays(conversation, session_factory):
    _add_account(conversation, session_factory, "T1", "Gamma")
    asked = conversation.handle(typed("/log visite Gama", user="U1"))
    [create] = _choice_values(asked, "log.create_account:")
    reply = conversation.handle(clicked(create, user="U2"))
    assert not reply.ok and reply.keys == ["choice.not_yours"]
    assert count_rows(session_factory, PendingCommand) == 1
    assert count_rows(session_factory, Action) == 0
    assert conversation.handle(clicked(create, user="U1")).ok


def test_a_button_of_a_taken_choice_never_takes_a_newer_one(conversation, session_factory):
    """SQLite reused the highest id: the newest pending command taken, the next one got its id, and
    the old button on screen took a command it was never about (both databases: ids never reused)."""
    _add_account(conversation, session_factory, "T1", "Gamma")
    first = conversation.handle(typed("/log visite Gama", user="U1"))
    [cancel] = _choice_values(first, "log.cancel:")
    [create_first] = _choice_values(first, "log.create_account:")
    assert conversation.handle(clicked(cancel, user="U1")).keys == ["log.cancelled"]
    second = conversation.handle(typed("/log appel Zorro", user="U1"))
    [create_second] = _choice_values(second, "log.create_account:")
    assert create_second != create_first

    stale = conversation.handle(clicked(create_first, user="U1"))
    assert not stale.ok and stale.keys == ["choice.expired"]
    assert count_rows(session_factory, Action) == 0
    assert count_rows(session_factory, PendingCommand) == 1  # the newer question still waits
