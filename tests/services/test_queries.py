"""The reads dialogs share (``storage/queries/``), the vocabulary defined once (stages, months) and
the door's translation of the chat's references, on both databases."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.handlers.commands import neutral_text
from bot.services.accounts import create_account
from bot.services.actions import ActionDraft, record_action
from bot.services.opportunities import create_opportunity, mark_lost, mark_won
from bot.services.periods import add_months
from bot.services.plans import create_plan
from bot.services.stages import OPEN_STAGES, STAGES, stage_order, stages_from
from bot.services.team import mentioned
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Member, PendingCommand
from storage.queries.activity import actions_of_day
from storage.queries.deals import latest_closed_deal, open_deals_of
from storage.queries.members import workspace_members
from storage.queries.pending import consume, pending_command
from storage.queries.plans import missed_plans
from tests.support.fixtures import TEST_NOW
from tests.services.conftest import add_member, load_member

TODAY = TEST_NOW.date()


# --------------------------------------------------------------------------- the door's neutral form


@pytest.mark.parametrize(
    "typed, neutral",
    [
        ("<@U1|bob>", "@U1|bob"),
        ("<@U1>", "@U1"),
        ("<@U1|>", "@U1"),
        ("goals <@U2|lea.petit> revenue 50k", "goals @U2|lea.petit revenue 50k"),
        ("team <@U2|bob> manager <@U3|alice>", "team @U2|bob manager @U3|alice"),
        ("settings channel <#C0TEAM|ventes>", "settings channel #C0TEAM"),
        ("settings channel <#C0TEAM>", "settings channel #C0TEAM"),
        ("@Bob Martin", "@Bob Martin"),  # typed by hand: left as typed
        ("#ventes", "#ventes"),
        ("<!channel> Gamma <https://example.com|devis>", "<!channel> Gamma <https://example.com|devis>"),  # not a reference
    ],
)
def test_the_door_hands_the_chats_references_on_in_the_neutral_form(typed, neutral):
    assert neutral_text(typed) == neutral


@pytest.mark.parametrize(
    "word, expected",
    [
        ("@U1|bob", ("U1", "bob")),
        ("@U1", ("U1", None)),
        ("U1", ("U1", None)),
        ("  @Bob Martin ", ("Bob Martin", None)),
        ("bob|x", ("bob|x", None)),  # a bar outside a mention is part of the typed name
    ],
)
def test_a_neutral_mention_names_a_user_id_and_perhaps_the_name_the_chat_showed(word, expected):
    assert mentioned(word) == expected


# --------------------------------------------------------------------------- vocabulary


def test_stages_are_defined_once_in_pipeline_order():
    assert OPEN_STAGES == ("lead", "qualification", "proposal", "negotiation", "closing")
    assert STAGES == OPEN_STAGES + ("won", "lost")
    assert sorted(["closing", "won", "lead", "proposal"], key=stage_order) == ["lead", "proposal", "closing", "won"]
    assert stages_from("proposal") == ("proposal", "negotiation", "closing")


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # kept within the month, leap year
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),
        (date(2024, 1, 15), -13, date(2022, 12, 15)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_within_the_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize("day, months", [(date(9999, 12, 1), 1), (date(1, 1, 31), -1), (date(2024, 1, 1), 10**30)])
def test_add_months_beyond_the_calendar_is_a_value_error(day, months):
    with pytest.raises(ValueError):
        add_months(day, months)


# --------------------------------------------------------------------------- reads


def _deal(s, member, account, title, *, close=None):
    return create_opportunity(
        s, member, account, title=title, amount=Decimal(1000), currency="EUR", probability=None, stage="lead",
        expected_close_on=close, today=TODAY, now=TEST_NOW, settings=WorkspaceSettings(),
    )


def test_open_deals_and_the_latest_closed_one(session_factory):
    ws, me = add_member(session_factory, "T1", "U1")
    _ws, other = add_member(session_factory, "T1", "U2")
    with session_factory() as s, s.begin():
        member, someone = load_member(s, me), load_member(s, other)
        gamma = create_account(s, ws, "Gamma", owner_id=me, now=TEST_NOW)
        delta = create_account(s, ws, "Delta", owner_id=me, now=TEST_NOW)
        late = _deal(s, member, gamma, "late", close=TODAY + timedelta(days=30))
        undated = _deal(s, member, gamma, "undated")
        soon = _deal(s, member, delta, "soon", close=TODAY + timedelta(days=3))
        _deal(s, someone, gamma, "theirs", close=TODAY)
        assert latest_closed_deal(s, member, gamma.id) is None
        lost = _deal(s, member, gamma, "lost first")
        mark_lost(s, lost, member, reason=None, now=TEST_NOW)
        won = _deal(s, member, gamma, "won later")
        mark_won(s, won, member, now=TEST_NOW + timedelta(hours=1))
        theirs_won = _deal(s, someone, gamma, "theirs won")
        mark_won(s, theirs_won, someone, now=TEST_NOW + timedelta(hours=2))

        assert [d.title for d in open_deals_of(s, member)] == [soon.title, late.title, undated.title]
        assert latest_closed_deal(s, member, gamma.id).title == "won later"
        assert latest_closed_deal(s, member, delta.id) is None


def test_missed_plans_since_a_day_oldest_first(session_factory):
    ws, me = add_member(session_factory, "T1", "U1")
    with session_factory() as s, s.begin():
        member = load_member(s, me)
        gamma = create_account(s, ws, "Gamma", owner_id=me, now=TEST_NOW)
        ago = TEST_NOW - timedelta(days=40)
        plans = [
            create_plan(s, member, gamma, action_type="visit", due_at=ago + timedelta(days=d), has_time=False, now=ago)
            for d in (35, 1, 30)
        ]
        for plan in plans:
            plan.status = "missed"
        create_plan(s, member, gamma, action_type="call", due_at=TEST_NOW + timedelta(days=1), has_time=False, now=TEST_NOW)
        s.flush()

        since = TEST_NOW - timedelta(days=14)
        assert [p.id for p in missed_plans(s, member, since=since)] == [plans[2].id, plans[0].id]


def test_actions_of_the_day_with_their_account_in_the_order_logged(session_factory):
    ws, me = add_member(session_factory, "T1", "U1")
    _ws, other = add_member(session_factory, "T1", "U2")
    with session_factory() as s, s.begin():
        member = load_member(s, me)
        gamma = create_account(s, ws, "Gamma", owner_id=me, now=TEST_NOW)
        delta = create_account(s, ws, "Delta", owner_id=me, now=TEST_NOW)
        for account, action_type, day in ((delta, "call", TODAY), (gamma, "visit", TODAY), (gamma, "email", TODAY - timedelta(days=1))):
            record_action(s, member, account, ActionDraft(action_type, day), source="console", now=TEST_NOW)
        record_action(s, load_member(s, other), gamma, ActionDraft("demo", TODAY), source="console", now=TEST_NOW)

        assert actions_of_day(s, member, TODAY, limit=10) == [("call", "Delta"), ("visit", "Gamma")]
        assert actions_of_day(s, member, TODAY, limit=1) == [("call", "Delta")]


def test_workspace_members_by_name_in_one_workspace(session_factory):
    ws, _first = add_member(session_factory, "T1", "UZ")
    add_member(session_factory, "T1", "UA")
    add_member(session_factory, "T2", "UB")
    with session_factory() as s, s.begin():
        for member in s.query(Member):
            member.display_name = {"UZ": "Zoé", "UA": "Ada", "UB": "Bea"}[member.slack_user_id]
        s.flush()
        assert [m.display_name for m in workspace_members(s, ws)] == ["Ada", "Zoé"]


def test_a_pending_command_is_consumed_once_and_not_after_it_expires(session_factory):
    ws, me = add_member(session_factory, "T1", "U1")
    with session_factory() as s, s.begin():
        def pending(expires_in: timedelta) -> PendingCommand:
            row = PendingCommand(workspace_id=ws, member_id=me, kind="log", payload={"n": 1}, created_at=TEST_NOW,
                                 expires_at=TEST_NOW + expires_in)
            s.add(row)
            s.flush()
            return row

        fresh, stale = pending(timedelta(hours=1)), pending(timedelta(seconds=-1))
        fresh_id, stale_id = fresh.id, stale.id
        assert pending_command(s, ws, fresh_id, "plan") is None  # another kind
        assert pending_command(s, ws + 1, fresh_id, "log") is None  # another workspace
        found = pending_command(s, ws, fresh_id, "log")
        assert consume(s, found, now=TEST_NOW) is True
        assert found.payload == {"n": 1}  # still readable, detached
        assert pending_command(s, ws, fresh_id, "log") is None
        assert consume(s, pending_command(s, ws, stale_id, "log"), now=TEST_NOW) is False  # expired: left alone
        assert s.get(PendingCommand, stale_id) is not None
