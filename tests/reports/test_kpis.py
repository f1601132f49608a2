"""Every KPI of bot/reports/kpis.py against a hand-computed team, on SQLite and PostgreSQL.

The period is November 2026. In Paris it runs from 2026-10-31 23:00 UTC to 2026-11-30 23:00 UTC
(half-open); in New York from 2026-11-01 04:00 UTC (still summer time) to 2026-12-01 05:00 UTC.
Alice and Bruno (Paris) are read through a Paris scope that also names Nathalie (their manager,
who did nothing) and Xavier (a rep of another workspace: his rows must never count); Carla works
in New York and is read through a New York scope. Every figure is worked out in the comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from bot.reports import kpis
from bot.reports.kpis import (
    Activity,
    Attainment,
    Conversion,
    Coverage,
    KpiScope,
    PlannedVisits,
    Reliability,
    SegmentIntensity,
)
from bot.services.actions import CHANNEL_OF_TYPE
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import (
    Account,
    Action,
    Member,
    Objective,
    Opportunity,
    OpportunityStageChange,
    Plan,
    Workspace,
)
from tests.support.fixtures import Z

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)
D = Decimal
CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass
class Team:
    ws: int = 0
    other_ws: int = 0
    alice: int = 0
    bruno: int = 0
    carla: int = 0
    boss: int = 0
    xavier: int = 0
    accounts: dict[str, int] = field(default_factory=dict)

    def paris(self) -> KpiScope:
        return KpiScope(self.ws, (self.alice, self.bruno, self.boss, self.xavier), NOV_1, NOV_30, PARIS)

    def new_york(self) -> KpiScope:
        return KpiScope(self.ws, (self.carla,), NOV_1, NOV_30, NEW_YORK)


class Builder:
    """Rows made with the ORM, with terse helpers."""

    def __init__(self, s: Session) -> None:
        self.s = s

    def add(self, row: Any) -> Any:
        self.s.add(row)
        self.s.flush()
        return row

    def member(self, ws: Workspace, uid: str, tz: str = "Europe/Paris", role: str = "rep",
               manager: Member | None = None) -> Member:
        return self.add(Member(workspace_id=ws.id, slack_user_id=uid, display_name=uid, role=role, tz=tz,
                               manager_id=manager.id if manager else None, locale="fr", period="month",
                               created_at=CREATED))

    def account(self, ws: Workspace, name: str, owner: Member, segment: str | None, target: int | None) -> Account:
        return self.add(Account(workspace_id=ws.id, name=name, name_key=name.lower(), status="client", segment=segment,
                                owner_id=owner.id, visits_per_year=target * 12 if target else None, created_at=CREATED))

    def action(self, who: Member, where: Account, action_type: str, day: date) -> None:
        self.s.add(Action(workspace_id=who.workspace_id, member_id=who.id, account_id=where.id,
                          action_type=action_type, channel=CHANNEL_OF_TYPE[action_type], occurred_on=day,
                          logged_at=Z(day.year, day.month, day.day, 12)))

    def plan(self, who: Member, where: Account, action_type: str, due: datetime, status: str) -> None:
        self.s.add(Plan(workspace_id=who.workspace_id, member_id=who.id, account_id=where.id, action_type=action_type,
                        due_at=due, status=status, created_at=CREATED, updated_at=CREATED))

    def deal(self, who: Member, where: Account, amount: str, currency: str, stage: str, probability: int, *,
             created: datetime, close: date | None = None, history: tuple = ()) -> Opportunity:
        """``history``: (changed_at, from_stage, to_stage, probability) rows; a won or lost deal closes at its last."""
        status = stage if stage in ("won", "lost") else "open"
        closed = history[-1][0] if status != "open" else None
        o = self.add(Opportunity(workspace_id=who.workspace_id, member_id=who.id, account_id=where.id,
                                 title=f"{where.name} {amount}", amount=D(amount), currency=currency,
                                 probability=probability, stage=stage, status=status, expected_close_on=close,
                                 created_at=created, updated_at=history[-1][0] if history else created,
                                 closed_at=closed))
        for changed_at, from_stage, to_stage, p in history:
            self.s.add(OpportunityStageChange(workspace_id=who.workspace_id, opportunity_id=o.id, member_id=who.id,
                                              from_stage=from_stage, to_stage=to_stage, probability=p,
                                              amount=D(amount), changed_at=changed_at))
        return o

    def objective(self, ws: Workspace, who: Member, metric: str, value: str, start: date = NOV_1,
                  team: bool = False) -> None:
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1)
        self.s.add(Objective(workspace_id=ws.id, scope=f"{'team' if team else 'member'}:{who.id}",
                             member_id=None if team else who.id, team_manager_id=who.id if team else None,
                             metric=metric, period="month", period_start=start, period_end=end, value=D(value),
                             created_at=CREATED, updated_at=CREATED))


@pytest.fixture
def team(session_factory) -> Team:
    t = Team()
    with session_factory() as s, s.begin():
        b = Builder(s)
        ws = b.add(Workspace(team_id="T1", name="one", settings={}, created_at=CREATED))
        other = b.add(Workspace(team_id="T2", name="two", settings={}, created_at=CREATED))
        boss = b.member(ws, "UBOSS", role="manager")
        alice = b.member(ws, "UALICE", manager=boss)
        bruno = b.member(ws, "UBRUNO", manager=boss)
        carla = b.member(ws, "UCARLA", tz="America/New_York", manager=boss)
        xavier = b.member(other, "UXAVIER")

        # --- accounts: owner, segment, visit capital per period --------------------------------
        acme = b.account(ws, "Acme", alice, "gold", 4)
        beta = b.account(ws, "Beta", alice, "gold", 2)
        gamma = b.account(ws, "Gamma", alice, "silver", 1)
        delta = b.account(ws, "Delta", alice, "bronze", None)  # no capital: counts 0
        echo = b.account(ws, "Echo", bruno, "silver", 3)
        fjord = b.account(ws, "Fjord", bruno, "gold", 5)
        nolan = b.account(ws, "Nolan", bruno, None, 2)  # no segment: left out of the segment KPIs
        hudson = b.account(ws, "Hudson", carla, "gold", 3)
        iris = b.account(ws, "Iris", carla, "bronze", 1)
        elsewhere = b.account(other, "Acme", xavier, "gold", 9)

        # --- actions (occurred_on is the rep's own day) ----------------------------------------
        b.action(alice, acme, "visit", date(2026, 11, 1))  # first day: in
        b.action(alice, acme, "visit", date(2026, 10, 31))  # the day before: out
        b.action(alice, beta, "meeting", date(2026, 11, 30))  # last day: in
        b.action(alice, beta, "demo", date(2026, 12, 1))  # the day after: out
        b.action(alice, acme, "call", date(2026, 11, 5))
        b.action(alice, gamma, "email", date(2026, 11, 6))
        b.action(alice, delta, "email", date(2026, 11, 7))
        b.action(alice, gamma, "video", date(2026, 11, 8))
        b.action(alice, gamma, "negotiation", date(2026, 11, 9))
        b.action(alice, delta, "follow_up", date(2026, 11, 10))
        b.action(alice, fjord, "visit", date(2026, 11, 12))  # at Bruno's gold account
        b.action(bruno, echo, "visit", date(2026, 11, 2))
        b.action(bruno, echo, "visit", date(2026, 11, 20))
        b.action(bruno, fjord, "call", date(2026, 11, 3))
        b.action(bruno, nolan, "visit", date(2026, 11, 4))
        b.action(bruno, acme, "meeting", date(2026, 11, 15))  # at Alice's gold account
        b.action(bruno, echo, "visit", date(2026, 10, 15))  # out
        b.action(carla, hudson, "visit", date(2026, 11, 30))
        b.action(carla, hudson, "visit", date(2026, 11, 1))
        b.action(carla, iris, "call", date(2026, 11, 2))
        b.action(carla, iris, "visit", date(2026, 12, 1))  # out
        b.action(xavier, elsewhere, "visit", date(2026, 11, 10))
        b.action(xavier, elsewhere, "call", date(2026, 11, 11))

        # --- plans (due_at is an instant: cut in the scope's zone) ------------------------------
        b.plan(alice, acme, "visit", Z(2026, 11, 3, 9), "done")
        b.plan(alice, beta, "visit", Z(2026, 11, 10, 9), "missed")
        b.plan(alice, gamma, "visit", Z(2026, 11, 12, 9), "cancelled")  # cancelled: not counted
        b.plan(alice, beta, "meeting", Z(2026, 11, 25, 9), "planned")  # still ahead: planned only
        b.plan(alice, acme, "call", Z(2026, 11, 4, 9), "done")  # not in person
        b.plan(alice, acme, "visit", Z(2026, 10, 31, 23, 30), "done")  # 1 Nov 00:30 Paris: in
        b.plan(alice, beta, "visit", Z(2026, 11, 30, 23), "missed")  # 1 Dec 00:00 Paris: out
        b.plan(bruno, echo, "demo", Z(2026, 11, 16, 9), "missed")
        b.plan(bruno, echo, "follow_up", Z(2026, 11, 17, 9), "missed")  # not in person
        b.plan(bruno, fjord, "visit", Z(2026, 10, 31, 22, 30), "done")  # 31 Oct 23:30 Paris: out
        b.plan(carla, hudson, "visit", Z(2026, 12, 1, 4, 30), "done")  # 30 Nov 23:30 New York: in
        b.plan(carla, iris, "visit", Z(2026, 11, 1, 3, 30), "missed")  # 31 Oct 23:30 New York: out
        b.plan(xavier, elsewhere, "visit", Z(2026, 11, 10, 9), "done")

        # --- Alice's deals ---------------------------------------------------------------------
        # W1 won 12,000 EUR on 20 Nov. Stages: lead 1 Oct → proposal 11 Oct 10:00 (left lead in October:
        # out); a probability-only change on 5 Nov (stays in proposal); negotiation 6 Nov 22:00 (proposal
        # lasted 11 Oct 10:00 → 6 Nov 22:00 = 26.5 days); won 20 Nov 10:00 (negotiation 13.5 days).
        # Forecast before the answer: 60 → (0.6 - 1)² = 0.16.
        b.deal(alice, acme, "12000", "EUR", "won", 100, created=Z(2026, 10, 1, 10), history=(
            (Z(2026, 10, 1, 10), None, "lead", 10),
            (Z(2026, 10, 11, 10), "lead", "proposal", 40),
            (Z(2026, 11, 5, 10), "proposal", "proposal", 70),
            (Z(2026, 11, 6, 22), "proposal", "negotiation", 60),
            (Z(2026, 11, 20, 10), "negotiation", "won", 100),
        ))
        # W2 won 5,000 USD at 31 Oct 23:30 UTC = 1 Nov 00:30 Paris: in. Closing entered 30 Oct 12:00,
        # left 31 Oct 23:30: 35.5 hours. Forecast 80 → (0.8 - 1)² = 0.04. Closing counts as "reached proposal".
        b.deal(alice, beta, "5000", "USD", "won", 100, created=Z(2026, 10, 20), history=(
            (Z(2026, 10, 20), None, "qualification", 20),
            (Z(2026, 10, 30, 12), "qualification", "closing", 80),
            (Z(2026, 10, 31, 23, 30), "closing", "won", 100),
        ))
        # L1 lost, created 2 Nov (in). Lead 2 days, qualification 11 days. Forecast 30 → 0.3² = 0.09.
        b.deal(alice, gamma, "8000", "EUR", "lost", 0, created=Z(2026, 11, 2, 12), history=(
            (Z(2026, 11, 2, 12), None, "lead", 10),
            (Z(2026, 11, 4, 12), "lead", "qualification", 30),
            (Z(2026, 11, 15, 12), "qualification", "lost", 0),
        ))
        # W3 created 10 Nov (in) but won at 30 Nov 23:00 UTC = 1 Dec 00:00 Paris: out (its proposal exit too).
        b.deal(alice, acme, "3000.50", "EUR", "won", 100, created=Z(2026, 11, 10, 9), history=(
            (Z(2026, 11, 10, 9), None, "proposal", 40),
            (Z(2026, 11, 30, 23), "proposal", "won", 100),
        ))
        # L2 lost at 31 Oct 23:59 Paris: out, everywhere.
        b.deal(alice, beta, "2000", "EUR", "lost", 0, created=Z(2026, 9, 1), history=(
            (Z(2026, 9, 1), None, "lead", 10),
            (Z(2026, 10, 31, 22, 59), "lead", "lost", 0),
        ))
        # W4 won 1,000 EUR on 28 Nov, created 27 Nov: closing 1 day. Forecast 90 → 0.1² = 0.01.
        b.deal(alice, beta, "1000", "EUR", "won", 100, created=Z(2026, 11, 27, 10), history=(
            (Z(2026, 11, 27, 10), None, "closing", 90),
            (Z(2026, 11, 28, 10), "closing", "won", 100),
        ))
        # Open deals. O1: lead 15 Oct 08:00 → proposal 3 Nov 08:00 (lead 19 days), then 35 % (rep's own).
        b.deal(alice, acme, "10000", "EUR", "proposal", 35, created=Z(2026, 10, 15, 8), close=NOV_30, history=(
            (Z(2026, 10, 15, 8), None, "lead", 10),
            (Z(2026, 11, 3, 8), "lead", "proposal", 40),
            (Z(2026, 11, 8, 8), "proposal", "proposal", 35),
        ))  # weighted 3,500.00, closes on the last day
        b.deal(alice, beta, "2500.50", "USD", "negotiation", 65, created=Z(2026, 11, 21, 10),
               close=date(2026, 12, 1), history=((Z(2026, 11, 21, 10), None, "negotiation", 65),))
        # ↑ weighted 2,500.50 x 65 / 100 = 1,625.325 → 1,625.32 (half to even, as Opportunity.weighted_amount)
        b.deal(alice, gamma, "1000", "EUR", "lead", 10, created=Z(2026, 10, 31, 22), close=NOV_1,
               history=((Z(2026, 10, 31, 22), None, "lead", 10),))  # weighted 100.00; created 31 Oct 23:00 Paris: out
        b.deal(alice, delta, "4000", "EUR", "qualification", 25, created=Z(2026, 11, 30, 22, 30),
               history=((Z(2026, 11, 30, 22, 30), None, "qualification", 25),))  # weighted 1,000.00; no close date

        # --- Bruno's deals ---------------------------------------------------------------------
        # BW1 won 7,000 EUR at Fjord (gold): lead 1 Nov 15:00 → proposal 3 Nov 03:00 (1.5 days) → won
        # 12 Nov 15:00 (proposal 9.5 days). Forecast 50 → 0.25.
        b.deal(bruno, fjord, "7000", "EUR", "won", 100, created=Z(2026, 11, 1, 15), history=(
            (Z(2026, 11, 1, 15), None, "lead", 10),
            (Z(2026, 11, 3, 3), "lead", "proposal", 50),
            (Z(2026, 11, 12, 15), "proposal", "won", 100),
        ))
        # BW2 won 4,500 USD at Echo (silver): negotiation 13 days. Forecast 90 → 0.01.
        b.deal(bruno, echo, "4500", "USD", "won", 100, created=Z(2026, 11, 5, 9), history=(
            (Z(2026, 11, 5, 9), None, "negotiation", 90),
            (Z(2026, 11, 18, 9), "negotiation", "won", 100),
        ))
        # BL1 lost: proposal 25 Oct 09:00 → lost 25 Nov 09:00 (31 days); the rep said 90 % → 0.9² = 0.81.
        b.deal(bruno, echo, "6000", "EUR", "lost", 0, created=Z(2026, 10, 25, 9), history=(
            (Z(2026, 10, 25, 9), None, "proposal", 40),
            (Z(2026, 11, 10, 9), "proposal", "proposal", 90),
            (Z(2026, 11, 25, 9), "proposal", "lost", 0),
        ))
        # BL2 lost, its history holds only the closing row: no forecast (left out of the Brier score);
        # its lead stage ran from created_at 24 Nov 09:00 to 26 Nov 09:00: 2 days.
        b.deal(bruno, fjord, "500", "EUR", "lost", 0, created=Z(2026, 11, 24, 9), history=(
            (Z(2026, 11, 26, 9), "lead", "lost", 0),
        ))
        # BW3 won 999.99 EUR at Nolan (no segment): closing 7 days; forecast 80 → 0.04.
        b.deal(bruno, nolan, "999.99", "EUR", "won", 100, created=Z(2026, 11, 20, 9), history=(
            (Z(2026, 11, 20, 9), None, "closing", 80),
            (Z(2026, 11, 27, 9), "closing", "won", 100),
        ))
        b.deal(bruno, echo, "20000", "EUR", "closing", 80, created=Z(2026, 9, 10), close=date(2026, 11, 20),
               history=((Z(2026, 9, 10), None, "closing", 80),))  # weighted 16,000.00
        b.deal(bruno, fjord, "3333.33", "USD", "proposal", 33, created=Z(2026, 10, 1), close=date(2026, 11, 28),
               history=((Z(2026, 10, 1), None, "proposal", 33),))  # 109,999.89 / 100 = 1,099.9989 → 1,100.00

        # --- Carla (New York) ------------------------------------------------------------------
        # CW1 won 9,000 USD at 1 Dec 03:00 UTC = 30 Nov 22:00 in New York: in for her, out in Paris.
        # Proposal 10 Nov 15:00 → negotiation 20 Nov 15:00 (10 days) → won 1 Dec 03:00 (10.5 days).
        # Forecast 70 → 0.09.
        b.deal(carla, hudson, "9000", "USD", "won", 100, created=Z(2026, 11, 10, 15), history=(
            (Z(2026, 11, 10, 15), None, "proposal", 50),
            (Z(2026, 11, 20, 15), "proposal", "negotiation", 70),
            (Z(2026, 12, 1, 3), "negotiation", "won", 100),
        ))
        # CL1 lost at 1 Nov 03:00 UTC = 31 Oct 23:00 in New York: out for her (in for a Paris scope).
        b.deal(carla, iris, "1000", "USD", "lost", 0, created=Z(2026, 10, 20), history=(
            (Z(2026, 10, 20), None, "lead", 10),
            (Z(2026, 11, 1, 3), "lead", "lost", 0),
        ))
        b.deal(carla, hudson, "1000", "USD", "proposal", 50, created=Z(2026, 10, 1), close=NOV_30,
               history=((Z(2026, 10, 1), None, "proposal", 50),))  # weighted 500.00

        # --- the other workspace: never counted in T1 --------------------------------------------
        b.deal(xavier, elsewhere, "777777", "EUR", "won", 100, created=Z(2026, 11, 2), history=(
            (Z(2026, 11, 2), None, "proposal", 40),
            (Z(2026, 11, 10), "proposal", "won", 100),
        ))
        b.deal(xavier, elsewhere, "999999", "EUR", "closing", 90, created=Z(2026, 11, 3), close=NOV_30,
               history=((Z(2026, 11, 3), None, "closing", 90),))

        # --- objectives (November unless said) ---------------------------------------------------
        b.objective(ws, alice, "revenue", "20000")
        b.objective(ws, alice, "visits", "10")
        b.objective(ws, alice, "new_opportunities", "4")
        b.objective(ws, alice, "won_deals", "5")
        b.objective(ws, alice, "revenue", "99999", start=date(2026, 10, 1))  # October's: not this period
        b.objective(ws, bruno, "revenue", "5000")
        b.objective(ws, bruno, "visits", "0")
        b.objective(ws, boss, "revenue", "50000", team=True)  # the team's: not a member's objective
        b.objective(ws, carla, "revenue", "10000")
        b.objective(other, xavier, "revenue", "1")

        t.ws, t.other_ws = ws.id, other.id
        t.alice, t.bruno, t.carla, t.boss, t.xavier = alice.id, bruno.id, carla.id, boss.id, xavier.id
        t.accounts = {a.name: a.id for a in (acme, beta, gamma, delta, echo, fjord, nolan, hudson, iris)}
    return t


def run(session_factory, fn, scope: KpiScope, **kwargs: Any) -> Any:
    with session_factory() as s:
        return fn(s, scope, **kwargs)


# --- revenue, deals, activity ---------------------------------------------------------------------


def test_revenue_and_won_deals(session_factory, team):
    paris = team.paris()
    # Alice: W1 12,000 + W4 1,000 EUR, W2 5,000 USD (W3 closed 1 Dec Paris, L1 lost). Bruno: BW1 7,000 +
    # BW3 999.99 EUR, BW2 4,500 USD. Nathalie nothing; Xavier's 777,777 lives in the other workspace.
    assert run(session_factory, kpis.revenue_won, paris) == {
        team.alice: {"EUR": D("13000.00"), "USD": D("5000.00")},
        team.bruno: {"EUR": D("7999.99"), "USD": D("4500.00")},
        team.boss: {},
        team.xavier: {},
    }
    assert run(session_factory, kpis.won_deals, paris) == {team.alice: 3, team.bruno: 3, team.boss: 0, team.xavier: 0}
    # Carla in New York: CW1 (30 Nov 22:00 there). Read in Paris, it closed on 1 December: out.
    assert run(session_factory, kpis.revenue_won, team.new_york()) == {team.carla: {"USD": D("9000.00")}}
    carla_in_paris = KpiScope(team.ws, (team.carla,), NOV_1, NOV_30, PARIS)
    assert run(session_factory, kpis.revenue_won, carla_in_paris) == {team.carla: {}}
    # The other workspace's rows are there, and count for their own workspace.
    other = KpiScope(team.other_ws, (team.xavier,), NOV_1, NOV_30, PARIS)
    assert run(session_factory, kpis.revenue_won, other) == {team.xavier: {"EUR": D("777777.00")}}


def test_actions_by_type_and_channel(session_factory, team):
    paris = team.paris()
    # Alice: 11 actions, 2 outside (31 Oct visit, 1 Dec demo). Bruno: 6, 1 outside (15 Oct).
    assert run(session_factory, kpis.actions_by_type, paris) == {
        team.alice: {"visit": 2, "meeting": 1, "call": 1, "email": 2, "video": 1, "negotiation": 1, "follow_up": 1},
        team.bruno: {"visit": 3, "call": 1, "meeting": 1},
        team.boss: {},
        team.xavier: {},
    }
    assert run(session_factory, kpis.actions_by_channel, paris) == {
        team.alice: {"in_person": 4, "phone": 2, "email": 2, "video": 1},  # visit x2 + meeting + negotiation
        team.bruno: {"in_person": 4, "phone": 1},
        team.boss: {},
        team.xavier: {},
    }
    # The three activity KPIs come from one grouped query.
    assert run(session_factory, kpis.activity, paris)[team.alice] == Activity(
        by_type={"visit": 2, "meeting": 1, "call": 1, "email": 2, "video": 1, "negotiation": 1, "follow_up": 1},
        by_channel={"in_person": 4, "phone": 2, "email": 2, "video": 1},
        visits=4,
    )
    ny = team.new_york()
    assert run(session_factory, kpis.actions_by_type, ny) == {team.carla: {"visit": 2, "call": 1}}
    assert run(session_factory, kpis.actions_by_channel, ny) == {team.carla: {"in_person": 2, "phone": 1}}


def test_visits_and_plans(session_factory, team):
    paris = team.paris()
    assert run(session_factory, kpis.visits, paris) == {team.alice: 4, team.bruno: 4, team.boss: 0, team.xavier: 0}
    # Alice's in-person plans due in Paris's November, not cancelled: 3 Nov done, 10 Nov missed, 25 Nov
    # planned, 1 Nov 00:30 done → 4 planned, 2 done, 1 missed (the call, the cancelled one and the
    # 1 Dec 00:00 one are out). Bruno: the 16 Nov demo, missed (follow-up not in person; 31 Oct out).
    assert run(session_factory, kpis.planned_vs_realised_visits, paris) == {
        team.alice: PlannedVisits(4, 2, 1),
        team.bruno: PlannedVisits(1, 0, 1),
        team.boss: PlannedVisits(0, 0, 0),
        team.xavier: PlannedVisits(0, 0, 0),
    }
    ny = team.new_york()
    assert run(session_factory, kpis.visits, ny) == {team.carla: 2}
    # 1 Dec 04:30 UTC is 30 Nov in New York (in); 1 Nov 03:30 UTC is 31 Oct there (out).
    assert run(session_factory, kpis.planned_vs_realised_visits, ny) == {team.carla: PlannedVisits(1, 1, 0)}


def test_visit_intensity(session_factory, team):
    # The visit capital is yearly (the fixture's per-period targets ×12, as migration 0010 carried them),
    # counted pro rata of November's 30 days of 365. Alice's gold accounts Acme (48) + Beta (24) = 72 a
    # year → 5.9 in November; in-person there in November: her 1 Nov visit, Bruno's 15 Nov meeting (at
    # Acme), her 30 Nov meeting at Beta = 3; her 25 Nov meeting at Beta is still planned. Silver Gamma
    # (12 → 1.0): the negotiation = 1. Bronze Delta (no number of its own → the segment's default, 2 a
    # year → 0.2): an email and a follow-up, not in person = 0. Each rep with accounts has the
    # prospection budget (24 a year → 2.0). Bruno's silver Echo (36 → 3.0): 2 visits (15 Oct out); gold
    # Fjord (60 → 4.9): Alice's visit (his call does not count); Nolan, no segment but its own capital
    # (24 → 2.0), under "none". The boss owns no account: nothing.
    settings = WorkspaceSettings()
    assert run(session_factory, kpis.visit_intensity, team.paris(), settings=settings) == {
        team.alice: {
            "gold": SegmentIntensity(visits=3, capital=5.9, planned=1),
            "silver": SegmentIntensity(visits=1, capital=1.0),
            "bronze": SegmentIntensity(visits=0, capital=0.2),
            "prospect": SegmentIntensity(visits=0, capital=2.0),
        },
        team.bruno: {
            "silver": SegmentIntensity(2, 3.0), "gold": SegmentIntensity(1, 4.9), "none": SegmentIntensity(1, 2.0),
            "prospect": SegmentIntensity(0, 2.0),
        },
        team.boss: {},
        team.xavier: {},
    }
    assert run(session_factory, kpis.visit_intensity, team.new_york(), settings=settings) == {
        team.carla: {  # Iris: 1 Dec visit out
            "gold": SegmentIntensity(2, 3.0), "bronze": SegmentIntensity(0, 1.0), "prospect": SegmentIntensity(0, 2.0),
        }
    }


# --- pipeline ---------------------------------------------------------------------------------------


def test_opportunities_created(session_factory, team):
    # Alice: L1 2 Nov, W3 10 Nov, O 21 Nov, W4 27 Nov, O 30 Nov 23:30 Paris = 5 (the 31 Oct 23:00 Paris one
    # is out). Bruno: BW1, BW2, BW3, BL2 = 4. Carla in New York: CW1 = 1.
    assert run(session_factory, kpis.opportunities_created, team.paris()) == {
        team.alice: 5, team.bruno: 4, team.boss: 0, team.xavier: 0,
    }
    assert run(session_factory, kpis.opportunities_created, team.new_york()) == {team.carla: 1}


def test_conversion(session_factory, team):
    # Alice closed W1, W2, W4 (won) and L1 (lost): 3 / 4. Reached proposal or later: W1 (proposal),
    # W2 (closing), W4 (closing); L1 stopped at qualification: 3 / 3 won.
    # Bruno: won BW1, BW2, BW3, lost BL1, BL2: 3 / 5. Proposals: BW1, BW2 (negotiation), BW3 (closing),
    # BL1 = 4, of which 3 won.
    assert run(session_factory, kpis.conversion, team.paris()) == {
        team.alice: Conversion(won=3, lost=1, rate=0.75, proposals=3, proposals_won=3, proposal_rate=1.0),
        team.bruno: Conversion(3, 2, 0.6, 4, 3, 0.75),
        team.boss: Conversion(0, 0, None, 0, 0, None),
        team.xavier: Conversion(0, 0, None, 0, 0, None),
    }
    assert run(session_factory, kpis.conversion, team.new_york()) == {team.carla: Conversion(1, 0, 1.0, 1, 1, 1.0)}
    carla_in_paris = KpiScope(team.ws, (team.carla,), NOV_1, NOV_30, PARIS)  # CL1 only (1 Nov 04:00 Paris)
    assert run(session_factory, kpis.conversion, carla_in_paris) == {team.carla: Conversion(0, 1, 0.0, 0, 0, None)}


def test_average_deal_size_by_segment(session_factory, team):
    # Won in November (Paris) by Alice and Bruno: gold EUR W1 12,000 + W4 1,000 + BW1 7,000 = 20,000 / 3
    # = 6,666.666… → 6,666.67; gold USD W2 5,000; silver USD BW2 4,500; BW3 at Nolan has no segment.
    assert run(session_factory, kpis.average_deal_size_by_segment, team.paris()) == {
        "gold": {"EUR": D("6666.67"), "USD": D("5000.00")},
        "silver": {"USD": D("4500.00")},
    }


def test_weighted_pipeline_and_closing(session_factory, team):
    paris = team.paris()
    # Alice's open deals: 3,500.00 + 100.00 + 1,000.00 EUR; 1,625.32 USD. Bruno: 16,000.00 EUR, 1,100.00 USD.
    assert run(session_factory, kpis.weighted_pipeline, paris) == {
        team.alice: {"EUR": D("4600.00"), "USD": D("1625.32")},
        team.bruno: {"EUR": D("16000.00"), "USD": D("1100.00")},
        team.boss: {},
        team.xavier: {},
    }
    # Expected to close in November: Alice's 30 Nov (3,500) and 1 Nov (100) ones; the USD one closes
    # 1 Dec and the 4,000 one has no date. Bruno's two close in November.
    assert run(session_factory, kpis.weighted_closing, paris) == {
        team.alice: {"EUR": D("3600.00")},
        team.bruno: {"EUR": D("16000.00"), "USD": D("1100.00")},
        team.boss: {},
        team.xavier: {},
    }
    assert run(session_factory, kpis.weighted_closing, team.new_york()) == {team.carla: {"USD": D("500.00")}}
    # The same rounding as the deal's own weighted amount.
    with session_factory() as s:
        usd = s.scalars(select(Opportunity).where(Opportunity.member_id == team.alice, Opportunity.currency == "USD",
                                                  Opportunity.status == "open")).one()
        assert usd.weighted_amount == D("1625.32")


def test_pipeline_coverage(session_factory, team):
    paris = team.paris()
    # Alice: objective 20,000 − won 13,000 EUR = 7,000 to go; closing 3,600 → 3,600 / 7,000 = 18 / 35
    # (October's 99,999 objective is another period). Bruno: 5,000 − 7,999.99 → floored at 0: no ratio.
    # Nathalie has only a team objective; Xavier's objective is in the other workspace.
    assert run(session_factory, kpis.pipeline_coverage, paris, currency="EUR") == {
        team.alice: Coverage(D("3600.00"), D("7000.00"), 18 / 35),
        team.bruno: Coverage(D("16000.00"), D("0.00"), None),
        team.boss: Coverage(D("0.00"), None, None),
        team.xavier: Coverage(D("0.00"), None, None),
    }
    # In USD: Alice won 5,000 USD → 15,000 to go, nothing closing in USD → 0.0; Bruno 5,000 − 4,500 = 500,
    # 1,100 closing → 2.2.
    usd = run(session_factory, kpis.pipeline_coverage, paris, currency="USD")
    assert usd[team.alice] == Coverage(D("0.00"), D("15000.00"), 0.0)
    assert usd[team.bruno] == Coverage(D("1100.00"), D("500.00"), 1100 / 500)
    # Carla: 10,000 − 9,000 = 1,000 to go, 500 closing → 0.5.
    assert run(session_factory, kpis.pipeline_coverage, team.new_york(), currency="USD") == {
        team.carla: Coverage(D("500.00"), D("1000.00"), 0.5)
    }


# --- stage history ------------------------------------------------------------------------------------


def test_average_days_per_stage(session_factory, team):
    # Stage exits between 31 Oct 23:00 and 30 Nov 23:00 UTC, Alice's and Bruno's deals:
    #   lead:          L1 2, O1 19 (15 Oct 08:00 → 3 Nov 08:00), BW1 1.5, BL2 2 (from created_at) = 24.5 / 4
    #   qualification: L1 11                                                                    = 11 / 1
    #   proposal:      W1 26.5 (the 5 Nov probability change does not end it), BW1 9.5, BL1 31  = 67 / 3
    #   negotiation:   W1 13.5, BW2 13                                                          = 26.5 / 2
    #   closing:       W2 35.5 h, W4 24 h, BW3 168 h                                            = 227.5 / 72
    # W3's exit at 30 Nov 23:00 UTC and W1's lead exit in October are outside; Carla's deals are not in scope.
    assert run(session_factory, kpis.average_days_per_stage, team.paris()) == {
        "lead": 24.5 / 4,
        "qualification": 11.0,
        "proposal": 67 / 3,
        "negotiation": 26.5 / 2,
        "closing": 227.5 / 72,
    }
    # Carla in New York: CW1 proposal 10 days, negotiation 10.5 (its exit is 30 Nov 22:00 there);
    # CL1's lead exit is 31 Oct 23:00 there: out.
    assert run(session_factory, kpis.average_days_per_stage, team.new_york()) == {"proposal": 10.0, "negotiation": 10.5}


def test_forecast_reliability(session_factory, team):
    # Brier = mean((p/100 − outcome)²), p the probability just before the closing row:
    #   Alice: W1 (0.6−1)² = 0.16, W2 (0.8−1)² = 0.04, L1 0.3² = 0.09, W4 (0.9−1)² = 0.01
    #          → 0.30 / 4 = 0.075 (in hundredths squared: 1600 + 400 + 900 + 100 = 3000 / 40000)
    #   Bruno: BW1 0.25, BW2 0.01, BL1 0.81 (said 90 %, lost), BW3 0.04; BL2 has no forecast
    #          → 1.11 / 4 = 0.2775 (2500 + 100 + 8100 + 400 = 11100 / 40000)
    assert run(session_factory, kpis.forecast_reliability, team.paris()) == {
        team.alice: Reliability(deals=4, brier=3000 / 40000),
        team.bruno: Reliability(4, 11100 / 40000),
        team.boss: Reliability(0, None),
        team.xavier: Reliability(0, None),
    }
    assert run(session_factory, kpis.forecast_reliability, team.new_york()) == {
        team.carla: Reliability(1, 900 / 10000)  # CW1 (0.7 − 1)² = 0.09
    }


# --- objectives ------------------------------------------------------------------------------------


def test_objective_attainment(session_factory, team):
    # Alice: revenue 13,000 EUR / 20,000 = 0.65; visits 4 / 10; new opportunities 5 / 4; won deals 3 / 5.
    # Bruno: revenue 7,999.99 / 5,000; visits 4 against a zero target: no ratio.
    assert run(session_factory, kpis.objective_attainment, team.paris(), currency="EUR") == {
        team.alice: {
            "revenue": Attainment(D("20000.00"), D("13000.00"), 0.65),
            "visits": Attainment(D("10.00"), D(4), 0.4),
            "new_opportunities": Attainment(D("4.00"), D(5), 1.25),
            "won_deals": Attainment(D("5.00"), D(3), 0.6),
        },
        team.bruno: {
            "revenue": Attainment(D("5000.00"), D("7999.99"), 7999.99 / 5000),
            "visits": Attainment(D("0.00"), D(4), None),
        },
        team.boss: {},
        team.xavier: {},
    }
    assert run(session_factory, kpis.objective_attainment, team.new_york(), currency="USD") == {
        team.carla: {"revenue": Attainment(D("10000.00"), D("9000.00"), 0.9)}
    }


def test_other_workspace_figures_are_its_own(session_factory, team):
    other = KpiScope(team.other_ws, (team.xavier,), NOV_1, NOV_30, PARIS)
    assert run(session_factory, kpis.visits, other) == {team.xavier: 1}
    assert run(session_factory, kpis.actions_by_type, other) == {team.xavier: {"visit": 1, "call": 1}}
    assert run(session_factory, kpis.weighted_pipeline, other) == {team.xavier: {"EUR": D("899999.10")}}
    assert run(session_factory, kpis.visit_intensity, other, settings=WorkspaceSettings()) == {
        team.xavier: {"gold": SegmentIntensity(1, 8.9), "prospect": SegmentIntensity(0, 2.0)}
    }
    assert run(session_factory, kpis.objective_attainment, other, currency="EUR") == {
        team.xavier: {"revenue": Attainment(D("1.00"), D("777777.00"), 777777.0)}
    }


def test_no_members_no_query(session_factory, engine, team):
    empty = KpiScope(team.ws, (), NOV_1, NOV_30, PARIS)
    with session_factory() as s, _counting(engine) as count:
        for fn in PER_MEMBER + (kpis.average_deal_size_by_segment, kpis.average_days_per_stage):
            assert not fn(s, empty)
        assert kpis.pipeline_coverage(s, empty, currency="EUR") == {}
        assert kpis.objective_attainment(s, empty, currency="EUR") == {}
        assert kpis.visit_intensity(s, empty, settings=WorkspaceSettings()) == {}
        assert kpis.commercial_intensity(s, empty, settings=WorkspaceSettings()) == {}
    assert count == [0]


# --- a bounded number of statements, whatever the team's size --------------------------------------

PER_MEMBER = (
    kpis.activity, kpis.revenue_won, kpis.won_deals, kpis.actions_by_type, kpis.actions_by_channel, kpis.visits,
    kpis.planned_vs_realised_visits, kpis.opportunities_created, kpis.conversion,
    kpis.weighted_pipeline, kpis.weighted_closing, kpis.forecast_reliability,
)


class _counting:
    """Counts the statements sent to the database while active (``count[0]``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = [0]

    def _on(self, *_args: Any) -> None:
        self.count[0] += 1

    def __enter__(self) -> list[int]:
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self.count

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on)


def test_statements_do_not_grow_with_the_team(session_factory, engine, team):
    with session_factory() as s, s.begin():
        b = Builder(s)
        ws = s.get(Workspace, team.ws)
        extra = []
        for i in range(27):
            rep = b.member(ws, f"UREP{i}")
            account = b.account(ws, f"Account {i}", rep, ("gold", "silver", "bronze")[i % 3], 2)
            b.action(rep, account, "visit", date(2026, 11, 10))
            b.plan(rep, account, "visit", Z(2026, 11, 10, 9), "done")
            b.deal(rep, account, "100", "EUR", "won", 100, created=Z(2026, 11, 2), history=(
                (Z(2026, 11, 2), None, "lead", 10),
                (Z(2026, 11, 9), "lead", "won", 100),
            ))
            b.deal(rep, account, "100", "EUR", "lead", 10, created=Z(2026, 11, 2), close=NOV_30)
            b.objective(ws, rep, "revenue", "1000")
            b.objective(ws, rep, "visits", "4")
            b.objective(ws, rep, "new_opportunities", "2")
            extra.append(rep.id)
    small = KpiScope(team.ws, (team.alice, team.bruno, team.carla), NOV_1, NOV_30, PARIS)
    large = KpiScope(team.ws, (team.alice, team.bruno, team.carla, *extra), NOV_1, NOV_30, PARIS)
    assert len(large.member_ids) == 30

    def statements(scope: KpiScope) -> dict[str, int]:
        counts = {}
        with session_factory() as s:
            s.execute(select(1))  # the connection is checked out before counting
            calls = [(fn.__name__, fn, {}) for fn in PER_MEMBER + (kpis.average_deal_size_by_segment,
                                                                   kpis.average_days_per_stage)]
            calls += [(fn.__name__, fn, {"currency": "EUR"})
                      for fn in (kpis.pipeline_coverage, kpis.objective_attainment)]
            calls += [(fn.__name__, fn, {"settings": WorkspaceSettings()})
                      for fn in (kpis.visit_intensity, kpis.commercial_intensity)]
            for name, fn, kwargs in calls:
                with _counting(engine) as count:
                    result = fn(s, scope, **kwargs)
                assert result
                counts[name] = count[0]
        return counts

    few, many = statements(small), statements(large)
    assert few == many
    assert all(n == 1 for name, n in few.items() if name not in ("pipeline_coverage", "objective_attainment"))
    assert few["pipeline_coverage"] == 3  # closing pipeline, revenue won, objectives
    assert few["objective_attainment"] == 4  # objectives, won deals, visits, deals created
    with session_factory() as s:
        result = kpis.objective_attainment(s, large, currency="EUR")
    assert result[extra[0]] == {
        "revenue": Attainment(D("1000.00"), D("100.00"), 0.1),
        "visits": Attainment(D("4.00"), D(1), 0.25),
        "new_opportunities": Attainment(D("2.00"), D(2), 1.0),
    }
