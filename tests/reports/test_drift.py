"""Clients kept: the drift and requalification rules, with an injected clock over a year, on
SQLite and PostgreSQL.

The year: 1 December 2025 to 30 November 2026 (TODAY, a Monday). Alice owns every account but
"Other" (Bruno's). Each account's story is told next to its seed, with the figures by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from bot.dialogs.context import Context
from bot.present import reports as present
from bot.render.blocks import reply_blocks
from bot.reports.coaching import weekly_digest
from bot.services import workspace_settings
from bot.services.team import team_of
from storage.models import Account, Action, Member, Opportunity, Plan, Workspace
from storage.queries.drift import DriftRules, drift_counts, drifting_accounts, requalification_suggestions

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
LONG_AGO = datetime(2024, 1, 1, tzinfo=UTC)


def at(day: date, hour: int = 16) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class Seed:
    """Terse rows: ids by name."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self.ws = Workspace(team_id="T1", name="Drift", created_at=LONG_AGO)
        s.add(self.ws)
        s.flush()
        self.ids: dict[str, int] = {}

    def member(self, name: str, role: str = "rep") -> None:
        m = Member(workspace_id=self.ws.id, slack_user_id="U" + name.upper(), display_name=name, role=role,
                   created_at=LONG_AGO)
        self.s.add(m)
        self.s.flush()
        self.ids[name] = m.id

    def account(self, name: str, segment: str | None = "silver", owner: str = "Alice", status: str = "client") -> None:
        a = Account(workspace_id=self.ws.id, name=name, name_key=name.lower(), status=status, segment=segment,
                    owner_id=self.ids[owner], created_at=LONG_AGO)
        self.s.add(a)
        self.s.flush()
        self.ids[name] = a.id

    def contact(self, name: str, day: date, result: str | None = None, owner: str = "Alice") -> None:
        self.s.add(Action(workspace_id=self.ws.id, member_id=self.ids[owner], account_id=self.ids[name],
                          action_type="visit", result=result, channel="in_person", occurred_on=day, logged_at=at(day)))

    def every(self, name: str, days: int, first: date, last: date, result: str | None = None) -> None:
        day = first
        while day <= last:
            self.contact(name, day, result)
            day += timedelta(days=days)

    def deal(self, name: str, status: str, closed: datetime, owner: str = "Alice") -> None:
        self.s.add(Opportunity(workspace_id=self.ws.id, member_id=self.ids[owner], account_id=self.ids[name],
                               title="Deal " + name, amount=Decimal(1000), probability=0 if status == "lost" else 100,
                               stage=status, status=status, created_at=closed - timedelta(days=60), updated_at=closed,
                               closed_at=closed))

    def plan(self, name: str, created: datetime) -> None:
        self.s.add(Plan(workspace_id=self.ws.id, member_id=self.ids["Alice"], account_id=self.ids[name],
                        action_type="visit", due_at=created + timedelta(days=3), status="planned",
                        created_at=created, updated_at=created))


@pytest.fixture
def seeded(session_factory) -> dict[str, int]:
    with session_factory() as s, s.begin():
        b = Seed(s)
        b.member("Nadia", "manager")
        b.member("Alice")
        b.member("Bruno")
        # Steady: every 14 days up to 10 days ago → kept.
        b.account("Steady")
        b.every("Steady", 14, TODAY - timedelta(days=360), TODAY - timedelta(days=10))
        # Silent: every 14 days from -492 to -100 → usual gap 14, silent 100 ≥ max(28, 30): no_contact, 100/14.
        b.account("Silent", "gold")
        b.every("Silent", 14, TODAY - timedelta(days=492), TODAY - timedelta(days=100))
        # Sparse: two contact days only (no rhythm learnt), silent 300 days → kept.
        b.account("Sparse")
        b.contact("Sparse", TODAY - timedelta(days=320))
        b.contact("Sparse", TODAY - timedelta(days=300))
        # Slow: every 60 days, last 70 days ago: 70 < 2 x 60 → kept.
        b.account("Slow")
        b.every("Slow", 60, TODAY - timedelta(days=490), TODAY - timedelta(days=70))
        # Dropping: a visit every 30 days from -539 to -5; the ones from -539 to -209 are orders (12),
        # none after: earlier rate 12 over 360 days → 6 expected in 180, 0 < 3 → orders_dropping.
        b.account("Dropping")
        b.every("Dropping", 30, TODAY - timedelta(days=539), TODAY - timedelta(days=209), "order")
        b.every("Dropping", 30, TODAY - timedelta(days=179), TODAY - timedelta(days=5))
        # Lost: seen every 30 days until day -50 (silent 50 < 2 x 30), a deal lost 30 days ago,
        # nothing since → lost_no_follow_up.
        b.account("Lost", "bronze")
        b.every("Lost", 30, TODAY - timedelta(days=200), TODAY - timedelta(days=50))
        b.deal("Lost", "lost", at(TODAY - timedelta(days=30), 10))
        # Followed: lost 30 days ago, a call logged after → kept. Planned: a visit planned since → kept.
        b.account("Followed")
        b.every("Followed", 30, TODAY - timedelta(days=200), TODAY - timedelta(days=50))
        b.deal("Followed", "lost", at(TODAY - timedelta(days=30), 10))
        b.contact("Followed", TODAY - timedelta(days=25))
        b.account("Planned")
        b.every("Planned", 30, TODAY - timedelta(days=200), TODAY - timedelta(days=50))
        b.deal("Planned", "lost", at(TODAY - timedelta(days=30), 10))
        b.plan("Planned", at(TODAY - timedelta(days=29), 9))
        # Fresh: lost 5 days ago (< 14) → kept for now.
        b.account("Fresh")
        b.every("Fresh", 30, TODAY - timedelta(days=200), TODAY - timedelta(days=50))
        b.deal("Fresh", "lost", at(TODAY - timedelta(days=5), 10))
        # A prospect never drifts, however silent.
        b.account("Prospect", status="prospect")
        b.every("Prospect", 14, TODAY - timedelta(days=500), TODAY - timedelta(days=100))
        # Other (Bruno's): silent like Silent, gap 10 → no_contact, 100/10 x 1.2.
        b.account("Other", owner="Bruno")
        b.every("Other", 10, TODAY - timedelta(days=400), TODAY - timedelta(days=100))
        # Rising (bronze): 1 contact day in -180..-91, 5 in the last 90, a deal won 30 days ago → silver.
        b.account("Rising", "bronze")
        b.contact("Rising", TODAY - timedelta(days=150))
        b.every("Rising", 15, TODAY - timedelta(days=80), TODAY - timedelta(days=20))
        b.deal("Rising", "won", at(TODAY - timedelta(days=30), 10))
        # Busy (bronze): rising the same way, no deal won → stays bronze.
        b.account("Busy", "bronze")
        b.contact("Busy", TODAY - timedelta(days=150))
        b.every("Busy", 15, TODAY - timedelta(days=80), TODAY - timedelta(days=20))
        # Fading (gold): 6 contact days in -180..-91, 1 in the last 90 (day -20) → review.
        b.account("Fading", "gold")
        b.every("Fading", 15, TODAY - timedelta(days=175), TODAY - timedelta(days=100))
        b.contact("Fading", TODAY - timedelta(days=20))
        return {**b.ids, "ws": b.ws.id}


def drifting(session_factory, seeded, **kwargs):
    with session_factory() as s:
        return drifting_accounts(s, seeded["ws"], NOW, **kwargs)


def test_each_rule_flags_its_clients_most_drifting_first(session_factory, seeded):
    found = drifting(session_factory, seeded)
    assert [(d.name, d.reasons) for d in found] == [
        ("Other", ("no_contact",)),  # 100 / 10 x 1.2 = 12
        ("Silent", ("no_contact",)),  # 100 / 14 x 1.5 = 10.7
        ("Dropping", ("orders_dropping",)),  # (1 + 6/6) x 1.2 = 2.4
        ("Lost", ("lost_no_follow_up",)),  # 1.5
    ]
    silent = found[1]
    assert (silent.last_contact, silent.silent_days, silent.usual_gap_days, silent.segment) == (
        TODAY - timedelta(days=100), 100, 14, "gold")
    assert silent.score == pytest.approx(100 / 14 * 1.5, abs=0.001)
    dropping = found[2]
    assert (dropping.orders_before, dropping.orders_recent) == (12, 0)
    assert drift_counts(found) == {seeded["Alice"]: 3, seeded["Bruno"]: 1}


def test_one_reps_clients_and_a_limit(session_factory, seeded):
    assert [d.name for d in drifting(session_factory, seeded, rep_ids=[seeded["Alice"]])] == ["Silent", "Dropping", "Lost"]
    assert [d.name for d in drifting(session_factory, seeded, rep_ids=[seeded["Alice"]], limit=1)] == ["Silent"]
    assert drifting(session_factory, seeded, rep_ids=[]) == []


def test_silence_is_flagged_from_the_day_it_exceeds_the_rhythm_over_a_year(session_factory, seeded):
    """Walking the clock over the year (a week a step, and the days either side of the change):
    Silent (gap 14, last contact on day -100) is flagged from its 30th silent day on
    (max(2 x 14, 30)), with ``gap 3`` from its 42nd; Steady never is."""
    last = TODAY - timedelta(days=100)
    with session_factory() as s:
        for times, silence in ((2, 30), (3, 42)):
            flagged_from = last + timedelta(days=silence)
            days = [TODAY - timedelta(days=365 - 7 * k) for k in range(53)]
            for day in sorted({*days, flagged_from - timedelta(days=1), flagged_from}):
                names = {d.name for d in drifting_accounts(s, seeded["ws"], NOW, today=day, rep_ids=[seeded["Alice"]],
                                                           rules=DriftRules(gap_times=times))}
                assert "Steady" not in names
                assert ("Silent" in names) == (day >= flagged_from), (times, day)


def test_a_lost_deal_is_flagged_once_left_alone_long_enough(session_factory, seeded):
    """Lost (closed 30 days ago) from its 14th day; Fresh (5 days ago) 9 days later, with the clock."""
    with session_factory() as s:
        def lost(day: date) -> set[str]:
            return {d.name for d in drifting_accounts(s, seeded["ws"], NOW, today=day)
                    if "lost_no_follow_up" in d.reasons}
        assert lost(TODAY - timedelta(days=17)) == set()
        assert lost(TODAY - timedelta(days=16)) == {"Lost"}
        assert lost(TODAY + timedelta(days=8)) == {"Lost"}
        assert lost(TODAY + timedelta(days=9)) == {"Lost", "Fresh"}


def test_orders_dropping_follows_the_threshold(session_factory, seeded):
    """60 days ago, Dropping's recent window (days -240 to -60) held 2 orders (-239, -209) against 10
    in the 360 days before: 5 expected, 2 < 2.5 → flagged; with a 90 % drop threshold, 2 < 0.5 is false."""
    with session_factory() as s:
        day = TODAY - timedelta(days=60)
        default = {d.name for d in drifting_accounts(s, seeded["ws"], NOW, today=day) if "orders_dropping" in d.reasons}
        strict = {d.name for d in drifting_accounts(s, seeded["ws"], NOW, today=day, rules=DriftRules(orders_drop_pct=90))
                  if "orders_dropping" in d.reasons}
    assert (default, strict) == ({"Dropping"}, set())


def test_requalification_over_the_year(session_factory, seeded):
    with session_factory() as s:
        now = requalification_suggestions(s, seeded["ws"], NOW)
        a_year_ago = requalification_suggestions(s, seeded["ws"], NOW, today=TODAY - timedelta(days=365))
    assert [(q.name, q.segment, q.suggestion, q.active_recent, q.active_before) for q in now] == [
        ("Silent", "gold", "review", 0, 6),  # also drifting: -100 … -170 every 14 days, none since
        ("Fading", "gold", "review", 1, 6),
        ("Rising", "bronze", "silver", 5, 1),
    ]
    assert a_year_ago == []


def test_the_workspace_thresholds_reach_the_rules(session_factory, seeded):
    with session_factory() as s, s.begin():
        ws = s.get(Workspace, seeded["ws"])
        ws.settings = {"drift_gap_times": 8, "drift_silence_days": 120, "drift_lost_days": 60}
        rules = workspace_settings.drift_rules(workspace_settings.load(ws))
    assert (rules.gap_times, rules.silence_days, rules.orders_drop_pct, rules.lost_days) == (8, 120, 50, 60)
    assert [(d.name, d.reasons) for d in drifting(session_factory, seeded, rules=rules)] == [
        ("Dropping", ("orders_dropping",)),
    ]


def test_the_managers_digest_lists_the_teams_drifting_clients_and_segment_hints(session_factory, seeded):
    """Nadia's private digest: her team's drifting clients, most drifting first, with their rep, and
    the segment hints; valid Block Kit."""
    with session_factory() as s, s.begin():
        for rep in ("Alice", "Bruno"):
            s.get(Member, seeded[rep]).manager_id = seeded["Nadia"]
    with session_factory() as s:
        nadia, ws = s.get(Member, seeded["Nadia"]), s.get(Workspace, seeded["ws"])
        digest = weekly_digest(s, nadia, team_of(s, nadia), now=NOW, settings=workspace_settings.load(ws))
        reply = present.digest_reply(Context(session=s, workspace=ws, member=nadia, now=NOW), digest)
    assert [(rep, d.name) for rep, d in digest.drifting] == [
        ("Bruno", "Other"), ("Alice", "Silent"), ("Alice", "Dropping"), ("Alice", "Lost")]
    assert digest.drifting_total == 4
    # Alice's three drifting clients are a talking point (1.5 + 0.3); Bruno's one is not (two at least).
    assert [(r.name, r.kind, r.values) for r in digest.risks if r.kind == "drift"] == [("Alice", "drift", {"count": 3})]
    assert [(rep, q.name, q.suggestion) for rep, q in digest.requalify] == [
        ("Alice", "Silent", "review"), ("Alice", "Fading", "review"), ("Alice", "Rising", "silver")]
    blocks = reply_blocks(reply)
    for block in blocks:
        Block.parse(block).validate_json()
    shown = "\n".join(b["text"]["text"] for b in blocks if b.get("text"))
    assert "*Clients qui s'éloignent* (4 dans l'équipe)" in shown
    assert "• *Alice* a 3 clients qui s'éloignent : planifier des visites ensemble ?" in shown
    assert "• *Silent* (Alice) : aucun contact depuis 100 jours (rythme habituel : 14 jours entre deux contacts)" in shown
    assert "• *Dropping* (Alice) : commandes en baisse (0 en 6 mois)" in shown
    assert "• *Lost* (Alice) : une affaire perdue sans suite" in shown
    assert "• *Rising* (Alice) : bronze, plus actif (5 jours de contact en 90 jours, 1 avant) et une affaire gagnée — argent ?" in shown
