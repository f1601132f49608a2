"""The stalled deals of a generated carnet equal a plain Python reading of the rule, on both databases.

``pipeline_report`` lists the largest idle open deals and counts them (issue 11: the count and
the list come from one materialised set instead of a window over a LIMIT, which PostgreSQL
planned as a nested-loop anti join at 100,000 deals). A few hundred seeded random deals and
actions, two workspaces, and every limit from 0 up check the list, its order, the idle days and
the counts (also ``stalled_counts_by_member``) against the rule read directly from the rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo


from bot.reports.pipeline import pipeline_report, stalled_counts_by_member
from storage.models import Account, Action, Member, Opportunity, Workspace
from tests.support.fixtures import TEST_NOW

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 23)  # TEST_NOW in Paris
DAYS = 14


@dataclass
class Generated:
    ws: int
    reps: list[int]
    names: dict[int, str]  # member id → display name
    accounts: dict[int, str]  # account id → name
    deals: list[dict]  # every opportunity of ws, as inserted (with its id)
    actions: list[dict]  # every action of ws


def _generate(session_factory, seed: int = 11) -> Generated:
    """6 reps, 30 accounts, 400 deals (most open), 900 actions over 60 days; and a second workspace
    whose rows (same shapes, recent actions on every account) must never show."""
    rng = random.Random(seed)
    with session_factory() as s, s.begin():
        ws, other = Workspace(team_id="TGEN", name="gen", settings={}, created_at=TEST_NOW - timedelta(days=400)), \
            Workspace(team_id="TOTHER", name="other", settings={}, created_at=TEST_NOW - timedelta(days=400))
        s.add_all([ws, other])
        s.flush()
        out = {}
        for workspace in (ws, other):
            members = [Member(workspace_id=workspace.id, slack_user_id=f"U{i}", display_name=f"Rep {i}", role="rep",
                              locale="fr", tz="Europe/Paris", period="month", created_at=TEST_NOW) for i in range(6)]
            accounts = [Account(workspace_id=workspace.id, name=f"Société {i}", name_key=f"societe {i}", status="client",
                                created_at=TEST_NOW) for i in range(30)]
            s.add_all(members + accounts)
            s.flush()
            deals, actions = [], []
            for _ in range(400):
                updated = TEST_NOW - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
                status = rng.choices(["open", "won", "lost"], weights=[8, 1, 1])[0]
                deals.append(dict(
                    workspace_id=workspace.id, member_id=rng.choice(members).id, account_id=rng.choice(accounts).id,
                    title=f"Deal {len(deals)}", amount=Decimal(rng.choice([1000, 2500, 5000, 8000]) + rng.randint(0, 3) * 100),
                    currency=rng.choice(["EUR", "EUR", "USD"]), probability=rng.randint(5, 95),
                    stage="proposal" if status == "open" else status, status=status, expected_close_on=None,
                    created_at=updated - timedelta(days=10), updated_at=updated,
                    closed_at=updated if status != "open" else None,
                ))
            # The other workspace's reps act on every account today: nothing of theirs may unstall ws's deals.
            for _ in range(900 if workspace is ws else 60):
                day = TODAY - timedelta(days=rng.randint(0, 60) if workspace is ws else 0)
                actions.append(dict(
                    workspace_id=workspace.id, member_id=rng.choice(members).id, account_id=rng.choice(accounts).id,
                    action_type="visit", channel="in_person", occurred_on=day, logged_at=TEST_NOW, source="slash",
                ))
            for row in deals:
                opportunity = Opportunity(**row)
                s.add(opportunity)
                s.flush()
                row["id"] = opportunity.id
            s.add_all([Action(**row) for row in actions])
            out[workspace.id] = Generated(
                workspace.id, [m.id for m in members], {m.id: m.display_name for m in members},
                {a.id: a.name for a in accounts}, deals, actions,
            )
        return out[ws.id]


def _expected(g: Generated, reps: list[int]) -> list[tuple]:
    """The rule, read from the rows: open, untouched for DAYS, no action by the rep on the account
    since TODAY - DAYS; idle days from the later of the last change (Paris day) and the last action."""
    cutoff_time, cutoff_day = TEST_NOW - timedelta(days=DAYS), TODAY - timedelta(days=DAYS)
    last: dict[tuple[int, int], date] = {}
    for a in g.actions:
        key = (a["member_id"], a["account_id"])
        last[key] = max(last.get(key, date.min), a["occurred_on"])
    idle = []
    for d in g.deals:
        key = (d["member_id"], d["account_id"])
        if d["member_id"] not in reps or d["status"] != "open" or d["updated_at"] >= cutoff_time:
            continue
        if last.get(key, date.min) >= cutoff_day:
            continue
        touched = max(d["updated_at"].astimezone(PARIS).date(), last.get(key, date.min))
        idle.append((d["id"], g.accounts[d["account_id"]], d["title"], g.names[d["member_id"]], d["stage"],
                     d["amount"].quantize(Decimal("0.01")), d["currency"], (TODAY - touched).days))
    return sorted(idle, key=lambda t: (-t[5], t[0]))


def _report(session_factory, g: Generated, reps: list[int], limit: int):
    with session_factory() as s:
        return pipeline_report(
            s, g.ws, reps, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), now=TEST_NOW, today=TODAY,
            zone=PARIS, stalled_after_days=DAYS, per_rep=True, stalled_limit=limit,
        )


def test_the_listed_stalled_deals_and_their_count_follow_the_rule(session_factory):
    g = _generate(session_factory)
    expected = _expected(g, g.reps)
    assert 40 < len(expected) < 300  # the seed gives both idle and fresh deals: the test can fail either way
    for limit in (0, 1, 3, 10, 25, len(expected), len(expected) + 5):
        r = _report(session_factory, g, g.reps, limit)
        got = [(d.opportunity_id, d.account, d.title, d.rep, d.stage, d.amount, d.currency, d.idle_days) for d in r.stalled]
        assert got == expected[:limit], limit
        assert r.stalled_count == len(expected), limit


def test_a_part_of_the_team_sees_only_its_own_stalled_deals(session_factory):
    g = _generate(session_factory)
    some = g.reps[:2]
    r = _report(session_factory, g, some, 10)
    expected = _expected(g, some)
    assert [d.opportunity_id for d in r.stalled] == [e[0] for e in expected[:10]]
    assert r.stalled_count == len(expected) > 0


def test_stalled_counts_by_member_follow_the_same_rule(session_factory):
    g = _generate(session_factory)
    expected = {m: 0 for m in g.reps}
    owner = {d["id"]: d["member_id"] for d in g.deals}
    for row in _expected(g, g.reps):
        expected[owner[row[0]]] += 1
    with session_factory() as s:
        counts = stalled_counts_by_member(s, g.ws, g.reps, now=TEST_NOW, today=TODAY, days=DAYS)
    assert counts == expected
    assert sum(counts.values()) == _report(session_factory, g, g.reps, 0).stalled_count
