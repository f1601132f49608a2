"""record_action and undo_action against a real database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.services.accounts import create_account
from bot.services.actions import (
    UNDO_WINDOW,
    ActionDraft,
    UndoOutcome,
    record_action,
    undo_action,
)
from storage.models import Action, Contact
from tests.support.fixtures import TEST_NOW
from tests.services.conftest import add_member, load_member

DAY = date(2026, 11, 23)


@pytest.fixture
def team(session_factory) -> dict[str, int]:
    """T1 with reps U1, U2 and the account Gamma; T2 with rep U1 (another workspace)."""
    ws1, alice = add_member(session_factory, "T1", "U1")
    _, bob = add_member(session_factory, "T1", "U2")
    ws2, other = add_member(session_factory, "T2", "U1")
    with session_factory() as session, session.begin():
        gamma = create_account(session, ws1, "Gamma", owner_id=alice, now=TEST_NOW)
        session.flush()
        return {"ws1": ws1, "ws2": ws2, "alice": alice, "bob": bob, "other": other, "gamma": gamma.id}


def _record(session_factory, team, member_key: str, draft: ActionDraft, *, now=TEST_NOW) -> int:
    from storage.models import Account

    with session_factory() as session, session.begin():
        member = load_member(session, team[member_key])
        account = session.get(Account, team["gamma"])
        action = record_action(session, member, account, draft, source="console", now=now)
        return action.id


def _contacts(session_factory) -> list[tuple[str, str | None]]:
    with session_factory() as session:
        return [tuple(r) for r in session.execute(select(Contact.name, Contact.function).order_by(Contact.id))]


def test_record_action_stores_every_field(session_factory, team):
    draft = ActionDraft("negotiation", DAY, result="revise_proposal", contact_name="Mr.  X", contact_function="buyer",
                        note="prix trop haut")
    action_id = _record(session_factory, team, "alice", draft)
    with session_factory() as session:
        action = session.get(Action, action_id)
        assert (action.workspace_id, action.member_id, action.account_id) == (team["ws1"], team["alice"], team["gamma"])
        assert (action.action_type, action.result, action.channel) == ("negotiation", "revise_proposal", "in_person")
        assert action.occurred_on == DAY
        assert action.logged_at == TEST_NOW
        assert action.note == "prix trop haut" and action.source == "console"
        assert action.contact.name == "Mr. X" and action.contact_function == "buyer"


def test_a_contact_is_created_once_and_reused_whatever_the_case(session_factory, team):
    first = _record(session_factory, team, "alice", ActionDraft("visit", DAY, contact_name="Dupont"))
    second = _record(session_factory, team, "bob", ActionDraft("call", DAY, contact_name="DUPONT"))
    third = _record(session_factory, team, "alice", ActionDraft("email", DAY, contact_name="dupont"))
    assert _contacts(session_factory) == [("Dupont", None)]
    with session_factory() as session:
        contact_ids = {session.get(Action, i).contact_id for i in (first, second, third)}
    assert len(contact_ids) == 1 and None not in contact_ids


def test_a_new_function_updates_the_contact_and_a_missing_one_keeps_it(session_factory, team):
    _record(session_factory, team, "alice", ActionDraft("visit", DAY, contact_name="Mme Y", contact_function="buyer"))
    assert _contacts(session_factory) == [("Mme Y", "buyer")]
    _record(session_factory, team, "alice", ActionDraft("visit", DAY, contact_name="mme y", contact_function="director"))
    assert _contacts(session_factory) == [("Mme Y", "director")]
    later = _record(session_factory, team, "alice", ActionDraft("call", DAY, contact_name="Mme Y"))
    assert _contacts(session_factory) == [("Mme Y", "director")]
    with session_factory() as session:
        # The action without a function shows the contact's known one.
        assert session.get(Action, later).contact_function == "director"


def test_an_action_without_contact_has_none(session_factory, team):
    action_id = _record(session_factory, team, "alice", ActionDraft("visit", DAY))
    with session_factory() as session:
        action = session.get(Action, action_id)
        assert action.contact_id is None and action.contact_function is None
    assert _contacts(session_factory) == []


CHANNELS = {
    "visit": "in_person",
    "meeting": "in_person",
    "demo": "in_person",
    "negotiation": "in_person",
    "call": "phone",
    "follow_up": "phone",
    "email": "email",
    "video": "video",
}


def test_the_channel_comes_from_the_type(session_factory, team):
    ids = {t: _record(session_factory, team, "alice", ActionDraft(t, DAY)) for t in CHANNELS}
    with session_factory() as session:
        stored = {t: session.get(Action, i).channel for t, i in ids.items()}
    assert stored == CHANNELS


def test_occurred_on_is_kept_as_the_day_given(session_factory, team):
    """The day the rep meant is stored as is, even when logged_at falls on another UTC day."""
    late_evening_utc = TEST_NOW.replace(hour=23, minute=30)
    for day in (date(2026, 11, 22), date(2026, 1, 1), date(2026, 12, 31), date(2024, 2, 29)):
        action_id = _record(session_factory, team, "alice", ActionDraft("visit", day), now=late_evening_utc)
        with session_factory() as session:
            action = session.get(Action, action_id)
            assert (action.occurred_on, action.logged_at) == (day, late_evening_utc)


# ----------------------------------------------------------------------------- undo


def _undo(session_factory, team, member_key: str, action_id: int, now):
    with session_factory() as session, session.begin():
        return undo_action(session, load_member(session, team[member_key]), action_id, now=now)


def _exists(session_factory, action_id: int) -> bool:
    with session_factory() as session:
        return session.get(Action, action_id) is not None


def test_undo_within_ten_minutes_removes_the_action(session_factory, team):
    for after in (timedelta(0), timedelta(minutes=5), UNDO_WINDOW - timedelta(seconds=1)):
        action_id = _record(session_factory, team, "alice", ActionDraft("visit", DAY))
        result = _undo(session_factory, team, "alice", action_id, TEST_NOW + after)
        assert result.outcome is UndoOutcome.UNDONE, after
        assert (result.action_type, result.account_name) == ("visit", "Gamma")
        assert not _exists(session_factory, action_id)


def test_undo_after_ten_minutes_is_refused_and_keeps_the_action(session_factory, team):
    for after in (UNDO_WINDOW + timedelta(seconds=1), timedelta(hours=3)):
        action_id = _record(session_factory, team, "alice", ActionDraft("visit", DAY))
        result = _undo(session_factory, team, "alice", action_id, TEST_NOW + after)
        assert result.outcome is UndoOutcome.EXPIRED, after
        assert _exists(session_factory, action_id)


def test_undo_of_someone_elses_action_is_refused(session_factory, team):
    action_id = _record(session_factory, team, "alice", ActionDraft("visit", DAY))
    result = _undo(session_factory, team, "bob", action_id, TEST_NOW + timedelta(minutes=1))
    assert result.outcome is UndoOutcome.NOT_YOURS
    assert result.account_name is None  # nothing about the action is told
    assert _exists(session_factory, action_id)


def test_undo_from_another_workspace_finds_nothing(session_factory, team):
    action_id = _record(session_factory, team, "alice", ActionDraft("visit", DAY))
    result = _undo(session_factory, team, "other", action_id, TEST_NOW + timedelta(minutes=1))
    assert result.outcome is UndoOutcome.MISSING
    assert _exists(session_factory, action_id)


def test_undo_of_a_missing_or_already_undone_action(session_factory, team):
    action_id = _record(session_factory, team, "alice", ActionDraft("visit", DAY))
    assert _undo(session_factory, team, "alice", 10**9, TEST_NOW).outcome is UndoOutcome.MISSING
    assert _undo(session_factory, team, "alice", action_id, TEST_NOW).outcome is UndoOutcome.UNDONE
    assert _undo(session_factory, team, "alice", action_id, TEST_NOW).outcome is UndoOutcome.MISSING
    with session_factory() as session:
        assert session.scalar(select(func.count(Action.id))) == 0
