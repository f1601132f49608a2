"""pipeline_report against a hand-computed carnet, on SQLite and PostgreSQL.

The fixture lives on Monday 23 November 2026, 10:00 in Paris (TEST_NOW). The period is the
month of November in Paris: from 2026-10-31 23:00 UTC to 2026-11-30 23:00 UTC, so deals closed
around those instants fall in or out of it depending on the time zone, not on the UTC date.
Every figure below is computed by hand in the comments; amounts never mix currencies.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.reports.pipeline import (
    PipelineReport,
    RepTotal,
    StageTotal,
    StalledDeal,
    by_currency,
    pipeline_report,
)
from storage.models import Account, Action, Member, Opportunity, Workspace
from tests.support.fixtures import TEST_NOW, Z

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 23)  # TEST_NOW in Paris
PERIOD = (date(2026, 11, 1), date(2026, 11, 30))
STALLED_DAYS = 21
D = Decimal


def ago(days: int) -> datetime:
    return TEST_NOW - timedelta(days=days)


class Carnet:
    """Ids of what the fixture created."""

    ws: int
    other_ws: int
    alice: int
    bruno: int
    xavier: int  # a rep of the other workspace
    deals: dict[str, int]


@pytest.fixture
def carnet(session_factory) -> Carnet:
    ids = Carnet()
    ids.deals = {}
    with session_factory() as s, s.begin():
        ws = Workspace(team_id="T1", name="one", settings={}, created_at=ago(400))
        other = Workspace(team_id="T2", name="two", settings={}, created_at=ago(400))
        s.add_all([ws, other])
        s.flush()

        def member(workspace: Workspace, uid: str, name: str, role: str = "rep", manager: Member | None = None) -> Member:
            m = Member(workspace_id=workspace.id, slack_user_id=uid, display_name=name, role=role,
                       manager_id=manager.id if manager else None, locale="fr", tz="Europe/Paris",
                       period="month", created_at=ago(400))
            s.add(m)
            s.flush()
            return m

        boss = member(ws, "UBOSS", "Nathalie Garnier", "manager")
        alice = member(ws, "UALICE", "Alice Martin", manager=boss)
        bruno = member(ws, "UBRUNO", "Bruno Petit", manager=boss)
        xavier = member(other, "UXAVIER", "Xavier Autre")

        def account(workspace: Workspace, name: str) -> Account:
            a = Account(workspace_id=workspace.id, name=name, name_key=name.lower(), status="client", created_at=ago(400))
            s.add(a)
            s.flush()
            return a

        acme, beta, gamma, delta, echo = (account(ws, n) for n in ("Acme", "Beta", "Gamma", "Delta", "Echo"))
        elsewhere = account(other, "Acme")

        def action(who: Member, where: Account, day: date) -> None:
            s.add(Action(workspace_id=where.workspace_id, member_id=who.id, account_id=where.id, action_type="visit",
                         channel="in_person", occurred_on=day, logged_at=Z(day.year, day.month, day.day, 17)))

        def deal(key: str, who: Member, where: Account, amount: str, currency: str, probability: int, stage: str, *,
                 close: date | None = None, updated: datetime | None = None, closed: datetime | None = None) -> None:
            status = stage if stage in ("won", "lost") else "open"
            updated = updated or ago(1)
            o = Opportunity(workspace_id=where.workspace_id, member_id=who.id, account_id=where.id, title=key,
                            amount=D(amount), currency=currency, probability=probability, stage=stage, status=status,
                            expected_close_on=close, created_at=ago(100), updated_at=closed or updated, closed_at=closed)
            s.add(o)
            s.flush()
            ids.deals[key] = o.id

        # --- Alice's open deals ------------------------------------------------------------
        deal("A1", alice, acme, "10000.00", "EUR", 40, "proposal", close=date(2026, 11, 30))  # w 4,000.00; closes on the last day
        deal("A2", alice, acme, "2500.40", "EUR", 65, "negotiation", close=date(2026, 10, 31))  # w 1,625.26; overdue, not this period
        deal("A3", alice, beta, "8500", "USD", 60, "negotiation", close=date(2026, 12, 1))  # w 5,100.00; closes the day after
        # A4: idle 30 days; Alice's last action at Beta 25 days ago → stalled, 25 idle days.
        deal("A4", alice, beta, "1000", "EUR", 10, "lead", close=date(2026, 11, 1), updated=ago(30))  # w 100.00
        # A5: idle 40 days but Alice visited Gamma 3 days ago → not stalled.
        deal("A5", alice, gamma, "20000", "EUR", 80, "closing", close=date(2026, 12, 15), updated=ago(40))  # w 16,000.00
        # A6: idle 40 days; Alice's last action at Delta 50 days ago; Bruno's yesterday does not count → stalled.
        deal("A6", alice, delta, "3000", "EUR", 20, "qualification", updated=ago(40))  # w 600.00
        # A7: last touched 2026-10-31 23:30 UTC = 1 November 00:30 in Paris, no action → stalled, 22 idle days (Paris).
        deal("A7", alice, echo, "5000", "EUR", 40, "proposal", close=date(2027, 1, 10), updated=Z(2026, 10, 31, 23, 30))
        action(alice, beta, TODAY - timedelta(days=25))
        action(alice, beta, TODAY - timedelta(days=40))
        action(alice, gamma, TODAY - timedelta(days=3))
        action(alice, delta, TODAY - timedelta(days=50))
        action(bruno, delta, TODAY - timedelta(days=1))
        action(bruno, echo, TODAY)  # another rep's action: Echo stays stalled for Alice

        # --- Alice's closed deals, around the period's edges in Paris -----------------------
        deal("W1", alice, acme, "7000", "EUR", 100, "won", closed=Z(2026, 10, 31, 23, 30))  # 1 Nov 00:30 Paris: in
        deal("W2", alice, acme, "4000", "EUR", 100, "won", closed=Z(2026, 10, 31, 22, 30))  # 31 Oct 23:30 Paris: out
        deal("W3", alice, beta, "1200", "USD", 100, "won", closed=Z(2026, 11, 30, 22, 59))  # 30 Nov 23:59 Paris: in
        deal("W4", alice, beta, "9000", "EUR", 100, "won", closed=Z(2026, 11, 30, 23, 0))  # 1 Dec 00:00 Paris: out
        deal("L1", alice, gamma, "50000", "EUR", 0, "lost", closed=Z(2026, 11, 10, 12))  # a loss is never counted

        # --- Bruno ---------------------------------------------------------------------------
        deal("B1", bruno, acme, "6001", "EUR", 45, "proposal", close=date(2026, 11, 15))  # w 2,700.45
        # B2: idle 60 days, but Bruno was at Delta yesterday → not stalled.
        deal("B2", bruno, delta, "2000", "USD", 15, "lead", close=date(2026, 11, 20), updated=ago(60))  # w 300.00
        deal("BW", bruno, gamma, "3000", "EUR", 100, "won", closed=Z(2026, 11, 5, 10))
        deal("BL", bruno, gamma, "500", "USD", 0, "lost", closed=Z(2026, 11, 6, 10))

        # --- the other workspace: never counted ----------------------------------------------
        deal("X1", xavier, elsewhere, "999999", "EUR", 90, "proposal", close=date(2026, 11, 20), updated=ago(90))
        deal("X2", xavier, elsewhere, "777777", "EUR", 100, "won", closed=Z(2026, 11, 10, 10))
        s.add(Action(workspace_id=other.id, member_id=xavier.id, account_id=elsewhere.id, action_type="visit",
                     channel="in_person", occurred_on=TODAY - timedelta(days=90), logged_at=ago(90)))

        ids.ws, ids.other_ws = ws.id, other.id
        ids.alice, ids.bruno, ids.xavier = alice.id, bruno.id, xavier.id
    return ids


def report(session_factory, workspace_id: int, members: list[int], **kwargs: object) -> PipelineReport:
    with session_factory() as s:
        return pipeline_report(
            s, workspace_id, members, period_start=PERIOD[0], period_end=PERIOD[1], now=TEST_NOW, today=TODAY,
            zone=PARIS, stalled_after_days=STALLED_DAYS, **kwargs,
        )


def test_one_rep(session_factory, carnet):
    r = report(session_factory, carnet.ws, [carnet.alice])
    assert (r.period_start, r.period_end) == PERIOD
    assert r.stages == [
        StageTotal("lead", "EUR", 1, D("1000.00"), D("100.00")),  # A4
        StageTotal("qualification", "EUR", 1, D("3000.00"), D("600.00")),  # A6
        StageTotal("proposal", "EUR", 2, D("15000.00"), D("6000.00")),  # A1 + A7: 4,000 + 2,000
        StageTotal("negotiation", "EUR", 1, D("2500.40"), D("1625.26")),  # A2: 2,500.40 x 65 / 100
        StageTotal("negotiation", "USD", 1, D("8500.00"), D("5100.00")),  # A3
        StageTotal("closing", "EUR", 1, D("20000.00"), D("16000.00")),  # A5
    ]
    assert r.open_deals == 7
    # Expected to close in November: A1 (30 Nov) and A4 (1 Nov); A2 (31 Oct) and A3 (1 Dec) are outside.
    assert r.closing == [StageTotal("closing_period", "EUR", 2, D("11000.00"), D("4100.00"))]
    # Won in November in Paris: W1 (1 Nov 00:30) and W3 (30 Nov 23:59); W2 and W4 are on the other side.
    assert sorted(r.won, key=lambda t: t.currency) == [
        StageTotal("won", "EUR", 1, D("7000.00"), D("7000.00")),
        StageTotal("won", "USD", 1, D("1200.00"), D("1200.00")),
    ]
    names = {v: k for k, v in carnet.deals.items()}
    assert r.stalled_count == 3
    assert [(names[d.opportunity_id], d.account, d.rep, d.stage, d.amount, d.currency, d.idle_days) for d in r.stalled] == [
        ("A7", "Echo", "Alice Martin", "proposal", D("5000.00"), "EUR", 22),
        ("A6", "Delta", "Alice Martin", "qualification", D("3000.00"), "EUR", 40),
        ("A4", "Beta", "Alice Martin", "lead", D("1000.00"), "EUR", 25),
    ]
    assert all(isinstance(d, StalledDeal) for d in r.stalled)
    assert r.reps == []  # only asked for with per_rep
    assert by_currency(r.stages, "weighted") == {"EUR": D("24325.26"), "USD": D("5100.00")}
    assert by_currency(r.stages, "amount") == {"EUR": D("41500.40"), "USD": D("8500.00")}


def test_stalled_limit_keeps_the_count(session_factory, carnet):
    r = report(session_factory, carnet.ws, [carnet.alice], stalled_limit=2)
    assert r.stalled_count == 3
    assert [d.title for d in r.stalled] == ["A7", "A6"]  # the biggest first


def test_a_recent_action_unstalls_and_another_reps_does_not(session_factory, carnet):
    with session_factory() as s, s.begin():
        echo = s.get(Opportunity, carnet.deals["A7"]).account_id
        delta = s.get(Opportunity, carnet.deals["A6"]).account_id
        # Alice calls Echo today; Bruno (again) visits Delta.
        s.add(Action(workspace_id=carnet.ws, member_id=carnet.alice, account_id=echo, action_type="call",
                     channel="phone", occurred_on=TODAY, logged_at=TEST_NOW))
        s.add(Action(workspace_id=carnet.ws, member_id=carnet.bruno, account_id=delta, action_type="call",
                     channel="phone", occurred_on=TODAY, logged_at=TEST_NOW))
    r = report(session_factory, carnet.ws, [carnet.alice])
    assert r.stalled_count == 2
    assert [(d.title, d.idle_days) for d in r.stalled] == [("A6", 40), ("A4", 25)]


def test_the_team(session_factory, carnet):
    r = report(session_factory, carnet.ws, [carnet.alice, carnet.bruno], per_rep=True)
    assert r.stages == [
        StageTotal("lead", "EUR", 1, D("1000.00"), D("100.00")),  # A4
        StageTotal("lead", "USD", 1, D("2000.00"), D("300.00")),  # B2
        StageTotal("qualification", "EUR", 1, D("3000.00"), D("600.00")),  # A6
        StageTotal("proposal", "EUR", 3, D("21001.00"), D("8700.45")),  # A1 + A7 + B1: 4,000 + 2,000 + 2,700.45
        StageTotal("negotiation", "EUR", 1, D("2500.40"), D("1625.26")),  # A2
        StageTotal("negotiation", "USD", 1, D("8500.00"), D("5100.00")),  # A3
        StageTotal("closing", "EUR", 1, D("20000.00"), D("16000.00")),  # A5
    ]
    assert r.open_deals == 9
    assert sorted(r.closing, key=lambda t: t.currency) == [
        StageTotal("closing_period", "EUR", 3, D("17001.00"), D("6800.45")),  # A1, A4, B1
        StageTotal("closing_period", "USD", 1, D("2000.00"), D("300.00")),  # B2
    ]
    assert sorted(r.won, key=lambda t: t.currency) == [
        StageTotal("won", "EUR", 2, D("10000.00"), D("10000.00")),  # W1 + BW
        StageTotal("won", "USD", 1, D("1200.00"), D("1200.00")),  # W3
    ]
    assert r.stalled_count == 3  # B2 is fresh thanks to Bruno's visit yesterday
    assert [d.title for d in r.stalled] == ["A7", "A6", "A4"]
    assert r.reps == [
        # Alice EUR: A1, A2, A4, A5, A6, A7 → 4,000 + 1,625.26 + 100 + 16,000 + 600 + 2,000; closing A1 + A4; won W1.
        RepTotal(carnet.alice, "Alice Martin", "EUR", 6, D("24325.26"), D("4100.00"), D("7000.00")),
        RepTotal(carnet.alice, "Alice Martin", "USD", 1, D("5100.00"), D("0.00"), D("1200.00")),
        RepTotal(carnet.bruno, "Bruno Petit", "EUR", 1, D("2700.45"), D("2700.45"), D("3000.00")),
        RepTotal(carnet.bruno, "Bruno Petit", "USD", 1, D("300.00"), D("300.00"), D("0.00")),
    ]
    # The per-rep lines add up to the report's totals, currency by currency.
    for currency in ("EUR", "USD"):
        lines = [rep for rep in r.reps if rep.currency == currency]
        assert sum(rep.deals for rep in lines) == sum(s.deals for s in r.stages if s.currency == currency)
        assert sum(rep.weighted for rep in lines) == by_currency(r.stages, "weighted")[currency]
        assert sum(rep.closing_weighted for rep in lines) == by_currency(r.closing, "weighted")[currency]
        assert sum(rep.won_amount for rep in lines) == by_currency(r.won, "amount")[currency]


def test_another_workspace_is_never_counted(session_factory, carnet):
    # Xavier belongs to the other workspace: naming him in this one adds nothing.
    with_xavier = report(session_factory, carnet.ws, [carnet.alice, carnet.bruno, carnet.xavier], per_rep=True)
    without = report(session_factory, carnet.ws, [carnet.alice, carnet.bruno], per_rep=True)
    assert with_xavier == without
    # Alice's deals seen from the other workspace: nothing.
    empty = report(session_factory, carnet.other_ws, [carnet.alice], per_rep=True)
    assert (empty.stages, empty.closing, empty.won, empty.stalled, empty.stalled_count, empty.reps) == ([], [], [], [], 0, [])
    # Xavier in his own workspace sees only his own deal.
    own = report(session_factory, carnet.other_ws, [carnet.xavier], per_rep=True)
    assert own.stages == [StageTotal("proposal", "EUR", 1, D("999999.00"), D("899999.10"))]
    assert own.won == [StageTotal("won", "EUR", 1, D("777777.00"), D("777777.00"))]
    assert own.stalled_count == 1


def test_no_member_no_query(session_factory, carnet):
    r = report(session_factory, carnet.ws, [], per_rep=True)
    assert r.open_deals == 0 and r.stalled_count == 0 and r.reps == []


def test_the_period_follows_the_zone(session_factory, carnet):
    """The same deals seen from New York (UTC-5): November runs from 05:00 UTC on 1 Nov to 05:00 UTC on 1 Dec."""
    with session_factory() as s:
        r = pipeline_report(
            s, carnet.ws, [carnet.alice], period_start=PERIOD[0], period_end=PERIOD[1], now=TEST_NOW, today=TODAY,
            zone=ZoneInfo("America/New_York"), stalled_after_days=STALLED_DAYS,
        )
    # W1 (31 Oct 19:30 in New York) and W2 are out; W3 (30 Nov 17:59) and W4 (30 Nov 18:00) are in.
    assert sorted(r.won, key=lambda t: t.currency) == [
        StageTotal("won", "EUR", 1, D("9000.00"), D("9000.00")),
        StageTotal("won", "USD", 1, D("1200.00"), D("1200.00")),
    ]


def test_cents_round_the_same_way_on_every_backend(session_factory, carnet):
    """Half cents: the report rounds like the deal itself (``Opportunity.weighted_amount``), on SQLite and PostgreSQL."""
    with session_factory() as s, s.begin():
        account_id = s.get(Opportunity, carnet.deals["A1"]).account_id
        chloe = Member(workspace_id=carnet.ws, slack_user_id="UCHLOE", display_name="Chloé", created_at=ago(1))
        s.add(chloe)
        s.flush()
        chloe_id = chloe.id
        deals = []
        for amount, probability, stage in (("10.50", 5, "lead"), ("1234.50", 15, "qualification"), ("1.15", 50, "closing")):
            o = Opportunity(workspace_id=carnet.ws, member_id=chloe_id, account_id=account_id, title=amount,
                            amount=D(amount), currency="CHF", probability=probability, stage=stage, status="open",
                            created_at=ago(1), updated_at=ago(1))
            s.add(o)
            deals.append(o)
        s.flush()
        expected = [(o.stage, o.weighted_amount) for o in deals]
    # 0.525 → 0.52, 185.175 → 185.18, 0.575 → 0.58 (half to even, as Decimal does for one deal)
    assert expected == [("lead", D("0.52")), ("qualification", D("185.18")), ("closing", D("0.58"))]
    r = report(session_factory, carnet.ws, [chloe_id], per_rep=True)
    assert [(t.stage, t.weighted) for t in r.stages] == expected
    assert [(rep.currency, rep.weighted) for rep in r.reps] == [("CHF", D("186.28"))]  # 18,628.25 / 100 once: 186.2825


def test_stalled_count_without_a_list(session_factory, carnet):
    r = report(session_factory, carnet.ws, [carnet.alice, carnet.bruno], stalled_limit=0)
    assert (r.stalled, r.stalled_count) == ([], 3)
