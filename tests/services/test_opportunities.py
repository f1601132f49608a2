"""The carnet's rules: creating and updating deals (with their stage history), winning and losing
them, the bounds of every figure, periods, and who may see whose pipeline. SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.handlers.commands import neutral_text
from bot.services import workspace_settings
from bot.services.accounts import create_account
from bot.services.opportunities import (
    OpportunityChange,
    OpportunityError,
    create_opportunity,
    mark_lost,
    mark_won,
    open_opportunities,
    stage_history,
    update_opportunity,
)
from bot.services.periods import period_bounds
from bot.services.team import can_view, find_member_by_mention, team_of
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Member, Opportunity, OpportunityStageChange, Workspace
from tests.support.fixtures import TEST_NOW
from tests.services.conftest import add_member, load_member, load_workspace

TODAY = date(2026, 11, 23)
HOUR = timedelta(hours=1)
D = Decimal


@pytest.fixture
def rep(session_factory) -> dict[str, int]:
    """A rep and an account in workspace T1; returns their ids."""
    ws_id, member_id = add_member(session_factory, "T1", "U1")
    with session_factory() as s, s.begin():
        account = create_account(s, ws_id, "Gamma", owner_id=member_id, now=TEST_NOW)
        s.flush()
        return {"ws": ws_id, "member": member_id, "account": account.id}


def _new(s, ids, *, settings=None, **overrides):
    from storage.models import Account

    values = dict(title="Contrat maintenance", amount=D("12000"), currency="EUR", probability=None, stage="proposal",
                  expected_close_on=date(2026, 12, 15), today=TODAY, now=TEST_NOW,
                  settings=settings or WorkspaceSettings())
    values.update(overrides)
    return create_opportunity(s, load_member(s, ids["member"]), s.get(Account, ids["account"]), **values)


def _history(s, opportunity_id):
    return [(h.from_stage, h.to_stage, h.probability, h.amount, h.changed_at) for h in stage_history(s, opportunity_id)]


def _count(s, model) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


# --------------------------------------------------------------------------- create


def test_create_takes_the_stages_default_probability(session_factory, rep):
    with session_factory() as s, s.begin():
        deal = _new(s, rep, title="  Contrat\n  maintenance  ")
        deal_id = deal.id
    with session_factory() as s:
        deal = s.get(Opportunity, deal_id)
        assert (deal.title, deal.amount, deal.currency, deal.probability, deal.stage, deal.status) == (
            "Contrat maintenance", D("12000.00"), "EUR", 40, "proposal", "open")
        assert deal.weighted_amount == D("4800.00")
        assert (deal.created_at, deal.updated_at, deal.closed_at) == (TEST_NOW, TEST_NOW, None)
        assert _history(s, deal_id) == [(None, "proposal", 40, D("12000.00"), TEST_NOW)]


def test_create_follows_the_workspace_setting_and_the_reps_own_figure(session_factory, rep):
    with session_factory() as s, s.begin():
        ws = load_workspace(s, rep["ws"])
        settings = workspace_settings.load(ws)
        workspace_settings.save(ws, replace(settings, stage_probabilities={**settings.stage_probabilities, "negotiation": 75}))
    with session_factory() as s, s.begin():
        settings = workspace_settings.load(load_workspace(s, rep["ws"]))
        assert settings.probability_of("negotiation") == 75 and settings.probability_of("lead") == 10
        overridden = _new(s, rep, stage="negotiation", settings=settings)
        own = _new(s, rep, stage="negotiation", probability=35, settings=settings)
        ids = overridden.id, own.id
    with session_factory() as s:
        assert [s.get(Opportunity, i).probability for i in ids] == [75, 35]
        assert _history(s, ids[0])[0][2] == 75 and _history(s, ids[1])[0][2] == 35


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"amount": D("-1")}, "negative_amount"),
        ({"amount": D("-0.01")}, "negative_amount"),
        ({"amount": D(10) ** 12}, "absurd_amount"),
        ({"amount": D("5e12")}, "absurd_amount"),
        ({"probability": -1}, "bad_probability"),
        ({"probability": 101}, "bad_probability"),
        ({"expected_close_on": TODAY - timedelta(days=1)}, "close_in_past"),
        ({"stage": "won"}, "new_must_be_open"),
        ({"stage": "lost"}, "new_must_be_open"),
    ],
)
def test_create_refuses_bad_figures_and_stores_nothing(session_factory, rep, overrides, code):
    with session_factory() as s, s.begin():
        with pytest.raises(OpportunityError) as raised:
            _new(s, rep, **overrides)
        assert raised.value.code == code
    with session_factory() as s:
        assert (_count(s, Opportunity), _count(s, OpportunityStageChange)) == (0, 0)


def test_create_accepts_the_edges(session_factory, rep):
    with session_factory() as s, s.begin():
        top = _new(s, rep, amount=D(10) ** 12 - D("0.01"), probability=100, expected_close_on=TODAY)
        free = _new(s, rep, amount=D(0), probability=0, expected_close_on=None)
        ids = top.id, free.id
    with session_factory() as s:
        top, free = (s.get(Opportunity, i) for i in ids)
        assert (top.amount, top.probability, top.expected_close_on) == (D("999999999999.99"), 100, TODAY)
        assert (free.amount, free.probability, free.expected_close_on) == (D("0.00"), 0, None)


# --------------------------------------------------------------------------- update and history


def test_a_sequence_of_updates_writes_one_history_row_per_change(session_factory, rep):
    settings = WorkspaceSettings()
    with session_factory() as s, s.begin():
        deal_id = _new(s, rep, probability=30).id

    steps = [
        (OpportunityChange(probability=50), True),  # +1h
        (OpportunityChange(stage="negotiation"), True),  # +2h: the stage brings its 60 %
        (OpportunityChange(amount=D("15000")), True),  # +3h
        (OpportunityChange(probability=60, stage="negotiation", amount=D("15000.00")), False),  # +4h: all as it is
        (OpportunityChange(), False),  # +5h
        (OpportunityChange(stage="closing", probability=70), True),  # +6h: the rep's odds win over the stage's
        (OpportunityChange(currency="USD"), True),  # +7h
        (OpportunityChange(expected_close_on=date(2026, 12, 31)), True),  # +8h: changed, but no stage history
        (OpportunityChange(next_step_on=date(2026, 12, 1), next_step="Relancer l'acheteur"), True),  # +9h: same
        (OpportunityChange(expected_close_on=date(2026, 12, 31)), False),  # +10h: the same date again
    ]
    for n, (change, changed) in enumerate(steps, start=1):
        with session_factory() as s, s.begin():
            deal = s.get(Opportunity, deal_id)
            got = update_opportunity(s, deal, load_member(s, rep["member"]), change, today=TODAY,
                                     now=TEST_NOW + n * HOUR, settings=settings)
            assert got is changed, (n, change)

    with session_factory() as s:
        assert _history(s, deal_id) == [
            (None, "proposal", 30, D("12000.00"), TEST_NOW),
            ("proposal", "proposal", 50, D("12000.00"), TEST_NOW + HOUR),
            ("proposal", "negotiation", 60, D("12000.00"), TEST_NOW + 2 * HOUR),
            ("negotiation", "negotiation", 60, D("15000.00"), TEST_NOW + 3 * HOUR),
            ("negotiation", "closing", 70, D("15000.00"), TEST_NOW + 6 * HOUR),
            ("closing", "closing", 70, D("15000.00"), TEST_NOW + 7 * HOUR),
        ]
        deal = s.get(Opportunity, deal_id)
        assert (deal.stage, deal.probability, deal.amount, deal.currency) == ("closing", 70, D("15000.00"), "USD")
        assert (deal.expected_close_on, deal.next_step_on, deal.next_step) == (
            date(2026, 12, 31), date(2026, 12, 1), "Relancer l'acheteur")
        assert deal.updated_at == TEST_NOW + 7 * HOUR  # the last change of stage, amount, probability or currency


def test_a_stage_change_follows_the_workspace_probabilities(session_factory, rep):
    settings = WorkspaceSettings(stage_probabilities={**WorkspaceSettings().stage_probabilities, "closing": 90})
    with session_factory() as s, s.begin():
        deal = _new(s, rep, settings=settings)
        assert update_opportunity(s, deal, load_member(s, rep["member"]), OpportunityChange(stage="closing"),
                                  today=TODAY, now=TEST_NOW + HOUR, settings=settings)
        assert deal.probability == 90
        assert _history(s, deal.id)[-1] == ("proposal", "closing", 90, D("12000.00"), TEST_NOW + HOUR)


@pytest.mark.parametrize(
    "change, code",
    [
        (OpportunityChange(amount=D("-5")), "negative_amount"),
        (OpportunityChange(amount=D(10) ** 12), "absurd_amount"),
        (OpportunityChange(probability=101, stage="closing"), "bad_probability"),
        (OpportunityChange(probability=-1), "bad_probability"),
        (OpportunityChange(stage="won"), "bad_stage"),
        (OpportunityChange(expected_close_on=TODAY - timedelta(days=1), probability=70), "close_in_past"),
    ],
)
def test_a_refused_update_changes_nothing(session_factory, rep, change, code):
    with session_factory() as s, s.begin():
        deal_id = _new(s, rep).id
    with session_factory() as s, s.begin():
        deal = s.get(Opportunity, deal_id)
        with pytest.raises(OpportunityError) as raised:
            update_opportunity(s, deal, load_member(s, rep["member"]), change, today=TODAY, now=TEST_NOW + HOUR,
                               settings=WorkspaceSettings())
        assert raised.value.code == code
        assert (deal.stage, deal.probability, deal.amount, deal.expected_close_on, deal.updated_at) == (
            "proposal", 40, D("12000.00"), date(2026, 12, 15), TEST_NOW)
        assert len(_history(s, deal_id)) == 1


# --------------------------------------------------------------------------- won and lost


def test_won_and_lost_rules(session_factory, rep):
    settings = WorkspaceSettings()
    with session_factory() as s, s.begin():
        member = load_member(s, rep["member"])
        won, lost = _new(s, rep, title="gagnée"), _new(s, rep, title="perdue", stage="negotiation")
        assert mark_won(s, won, member, now=TEST_NOW + HOUR) is True
        assert mark_won(s, won, member, now=TEST_NOW + 2 * HOUR) is False  # twice: nothing more
        assert mark_lost(s, lost, member, reason="  prix trop élevé ", now=TEST_NOW + HOUR) is True
        assert mark_lost(s, lost, member, reason="autre", now=TEST_NOW + 2 * HOUR) is False
        with pytest.raises(OpportunityError) as on_lost:
            mark_won(s, lost, member, now=TEST_NOW + 3 * HOUR)
        assert on_lost.value.code == "already_lost"
        with pytest.raises(OpportunityError) as on_won:
            mark_lost(s, won, member, reason=None, now=TEST_NOW + 3 * HOUR)
        assert on_won.value.code == "already_won"
        with pytest.raises(OpportunityError) as update_closed:
            update_opportunity(s, won, member, OpportunityChange(probability=50), today=TODAY, now=TEST_NOW + 3 * HOUR,
                               settings=settings)
        assert update_closed.value.code == "closed"
        ids = won.id, lost.id
    with session_factory() as s:
        won, lost = (s.get(Opportunity, i) for i in ids)
        assert (won.status, won.stage, won.probability, won.closed_at, won.close_reason) == (
            "won", "won", 100, TEST_NOW + HOUR, None)
        assert (lost.status, lost.stage, lost.probability, lost.closed_at, lost.close_reason) == (
            "lost", "lost", 0, TEST_NOW + HOUR, "prix trop élevé")
        assert _history(s, won.id) == [
            (None, "proposal", 40, D("12000.00"), TEST_NOW),
            ("proposal", "won", 100, D("12000.00"), TEST_NOW + HOUR),
        ]
        assert _history(s, lost.id) == [
            (None, "negotiation", 60, D("12000.00"), TEST_NOW),
            ("negotiation", "lost", 0, D("12000.00"), TEST_NOW + HOUR),
        ]
        member = load_member(s, rep["member"])
        account = s.get(Opportunity, ids[0]).account
        assert open_opportunities(s, member, account) == []


def test_open_opportunities_are_mine_newest_first(session_factory, rep):
    _ws, other_id = add_member(session_factory, "T1", "U2")
    with session_factory() as s, s.begin():
        first = _new(s, rep, title="first")
        _new(s, rep, title="second", now=TEST_NOW + HOUR)
        other = create_opportunity(s, load_member(s, other_id), first.account, title="theirs", amount=D(1),
                                   currency="EUR", probability=None, stage="lead", expected_close_on=None,
                                   today=TODAY, now=TEST_NOW + 2 * HOUR, settings=WorkspaceSettings())
        assert other.member_id == other_id
        assert [d.title for d in open_opportunities(s, load_member(s, rep["member"]), first.account)] == ["second", "first"]


# --------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    "period, day, bounds",
    [
        ("week", date(2026, 11, 23), (date(2026, 11, 23), date(2026, 11, 29))),  # a Monday
        ("week", date(2026, 11, 29), (date(2026, 11, 23), date(2026, 11, 29))),  # a Sunday
        ("week", date(2026, 12, 31), (date(2026, 12, 28), date(2027, 1, 3))),  # across the new year
        ("week", date(2027, 1, 1), (date(2026, 12, 28), date(2027, 1, 3))),
        ("month", date(2026, 11, 23), (date(2026, 11, 1), date(2026, 11, 30))),
        ("month", date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
        ("month", date(2027, 1, 1), (date(2027, 1, 1), date(2027, 1, 31))),
        ("month", date(2028, 2, 10), (date(2028, 2, 1), date(2028, 2, 29))),  # leap year
        ("month", date(2027, 2, 10), (date(2027, 2, 1), date(2027, 2, 28))),
        ("quarter", date(2026, 1, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarter", date(2026, 6, 30), (date(2026, 4, 1), date(2026, 6, 30))),
        ("quarter", date(2026, 9, 15), (date(2026, 7, 1), date(2026, 9, 30))),
        ("quarter", date(2026, 11, 23), (date(2026, 10, 1), date(2026, 12, 31))),
        ("quarter", date(2026, 12, 31), (date(2026, 10, 1), date(2026, 12, 31))),
    ],
)
def test_period_bounds(period, day, bounds):
    assert period_bounds(period, day) == bounds


def test_unknown_period():
    with pytest.raises(ValueError):
        period_bounds("year", TODAY)


# --------------------------------------------------------------------------- who sees whom


@pytest.fixture
def team(session_factory) -> dict[str, int]:
    """T1: admin, two managers (each with reps), an ambiguous name; T2: a namesake of a T1 rep."""
    out: dict[str, int] = {}
    with session_factory() as s, s.begin():
        for team_id in ("T1", "T2"):
            s.add(Workspace(team_id=team_id, name="", settings={}, created_at=TEST_NOW))
        s.flush()
        ws = {w.team_id: w.id for w in s.scalars(select(Workspace))}

        def add(key, team_id, uid, name, role="rep", manager=None):
            m = Member(workspace_id=ws[team_id], slack_user_id=uid, display_name=name, role=role,
                       manager_id=out[manager] if manager else None, created_at=TEST_NOW)
            s.add(m)
            s.flush()
            out[key] = m.id

        add("admin", "T1", "UADM", "Alex Admin", "admin")
        add("nathalie", "T1", "UMGR1", "Nathalie Garnier", "manager")
        add("paul", "T1", "UMGR2", "Paul Chef", "manager")
        add("bob", "T1", "U1", "Bob Martin", manager="nathalie")
        add("lea", "T1", "U2", "Léa Petit", manager="nathalie")
        add("zoe", "T1", "U3", "Zoé Roux", manager="paul")
        add("camille1", "T1", "U4", "Camille Durand", manager="paul")
        add("camille2", "T1", "U5", "camille durand", manager="paul")
        add("bob_t2", "T2", "U1", "Bob Martin", "manager")
        add("eve_t2", "T2", "U9", "Ève Ailleurs", manager="bob_t2")
        out["T1"], out["T2"] = ws["T1"], ws["T2"]
    return out


def test_can_view(session_factory, team):
    with session_factory() as s:
        m = {k: s.get(Member, v) for k, v in team.items() if k not in ("T1", "T2")}
        allowed = {
            ("bob", "bob"), ("lea", "lea"),  # a rep: their own
            ("nathalie", "nathalie"), ("nathalie", "bob"), ("nathalie", "lea"),  # a manager: their direct reports
            ("paul", "zoe"), ("paul", "camille1"),
            ("admin", "bob"), ("admin", "zoe"), ("admin", "nathalie"), ("admin", "admin"),  # an admin: everyone here
            ("bob_t2", "eve_t2"), ("eve_t2", "eve_t2"),
        }
        for viewer, target in [
            ("bob", "bob"), ("bob", "lea"), ("bob", "nathalie"), ("lea", "lea"),
            ("nathalie", "nathalie"), ("nathalie", "bob"), ("nathalie", "lea"), ("nathalie", "zoe"), ("nathalie", "paul"),
            ("paul", "zoe"), ("paul", "camille1"), ("paul", "bob"),
            ("admin", "bob"), ("admin", "zoe"), ("admin", "nathalie"), ("admin", "admin"),
            ("admin", "eve_t2"), ("nathalie", "eve_t2"), ("bob_t2", "bob"), ("bob_t2", "eve_t2"), ("eve_t2", "eve_t2"),
            ("eve_t2", "bob"),
        ]:
            assert can_view(m[viewer], m[target]) is ((viewer, target) in allowed), (viewer, target)


def test_team_of(session_factory, team):
    with session_factory() as s:
        names = lambda key: [x.display_name for x in team_of(s, s.get(Member, team[key]))]
        assert names("nathalie") == ["Bob Martin", "Léa Petit"]
        assert sorted(names("paul")) == sorted(["Zoé Roux", "Camille Durand", "camille durand"])
        assert names("bob") == []
        assert sorted(names("admin")) == sorted(
            ["Nathalie Garnier", "Paul Chef", "Bob Martin", "Léa Petit", "Zoé Roux", "Camille Durand", "camille durand"])
        assert names("bob_t2") == ["Ève Ailleurs"]


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("<@U1|bob>", "bob"),
        ("<@U1>", "bob"),
        ("@U1", "bob"),
        ("U1", "bob"),
        ("  <@U2|lea.petit>  ", "lea"),
        ("Bob Martin", "bob"),
        ("@bob martin", "bob"),
        ("lea petit", "lea"),  # without accents or case
        ("@Léa Petit", "lea"),
        ("Camille Durand", None),  # two members fold to that name: ambiguous, nobody
        ("<@U4>", "camille1"),  # but the mention is exact
        ("U9", None),  # Ève is in T2
        ("Ève Ailleurs", None),
        ("<@UNKNOWN>", None),
        ("", None),
        ("@", None),
    ],
)
def test_find_member_by_mention(session_factory, team, typed, expected):
    with session_factory() as s:
        # As a user types it in the chat: the door hands the chat's mentions on in their neutral form.
        found = find_member_by_mention(s, team["T1"], neutral_text(typed))
        assert (found.id if found else None) == (team[expected] if expected else None)
