"""The early warning and the objectives reminder as the scheduler queues them, with an injected
clock, for the team of tests/reports/test_digest.py (Nadia in Paris leads Alice and Bruno; Marc in
New York leads Xavier; every objective is for November and recurring).

At Tuesday 24 November 2026, 10:00 in Paris (24 of November's 30 days passed):
- Bruno: 50 000 € objective, won 3 000 € (18/11), "Renouvellement" 20 000 € at 40 % closing on
  30/11 → 8 000 € weighted; projected (3 000 + 8 000) / 50 000 = 22 % < 80 %: warned; the gap is
  50 000 − 3 000 − 8 000 = 39 000 €; his deals by weighted amount: Renouvellement (8 000 €), then
  Pilote (8 000 € at 20 % = 1 600 €, closing in January); Fjord (gold, 4 visits a period) has none.
- Alice: 15 000 € objective, won 12 000 € (25/11, in the period), nothing closing: exactly 80 %,
  not under 80 % (under a threshold of 81 %). But her composite attainment weighs her team's
  objectives too (Nadia's: 100 000 € and 5 won deals; the team won 15 000 € and 2 deals, at the
  pace of 24 days of 30: 18 750 € and 2.5 deals): 0.7 × 0.8 + 0.3 × (0.1875 + 0.5) / 2 = 66.3125 %:
  warned for that goal alone.
On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.core import Reply
from bot.jobs.scheduler import run_due
from bot.present import MemberReader
from bot.present.warnings import warning_reply
from bot.reports.warnings import goal_warnings
from bot.render.text import plain
from bot.services import workspace_settings
from storage.models import Member, Objective, OutboxMessage, Workspace
from tests.reports.test_digest import Builder, Seeded, seed_team
from tests.support.fixtures import Z

D = Decimal
TUESDAY = Z(2026, 11, 24, 9)  # 10:00 in Paris, 04:00 in New York


@pytest.fixture
def team(session_factory) -> Seeded:
    return seed_team(session_factory)


def configure(session_factory, seeded, **settings) -> None:
    with session_factory() as s, s.begin():
        ws = s.get(Workspace, seeded.ws)
        ws.settings = {**(ws.settings or {}), **settings}


def warnings_at(session_factory, seeded, now, names=("Alice", "Bruno")):
    with session_factory() as s:
        settings = workspace_settings.load(s.get(Workspace, seeded.ws))
        reps = [s.get(Member, seeded[n]) for n in names]
        return goal_warnings(s, reps, now=now, settings=settings)


def rows(session_factory, prefix: str) -> list[tuple[str, dict]]:
    with session_factory() as s:
        return [
            (r.dedupe_key, r.payload["destination"])
            for r in s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(prefix + "%")).order_by(OutboxMessage.id))
        ]


# --------------------------------------------------------------------------- the facts


def test_the_warning_facts_are_worked_by_hand(session_factory, team):
    found = warnings_at(session_factory, team, TUESDAY)
    assert list(found) == [team["Alice"], team["Bruno"]]
    # Alice's revenue is at exactly 80 %: not under it; her composite is.
    assert [(g.metric, g.projected) for g in found[team["Alice"]].goals] == [("composite", 0.663125)]
    assert not found[team["Alice"]].revenue_at_risk
    bruno = found[team["Bruno"]]
    # Bruno: revenue 22 %; composite 0.7 × 0.22 + 0.3 × 0.34375 = 25.7125 %.
    assert [(g.metric, g.projected) for g in bruno.goals] == [("revenue", pytest.approx(0.22)), ("composite", pytest.approx(0.257125))]
    assert (bruno.target, bruno.won, bruno.closing, bruno.gap) == (D("50000.00"), D("3000.00"), D("8000.00"), D("39000.00"))
    assert bruno.projected == pytest.approx(0.22)
    assert [(d.title, d.weighted, d.close) for d in bruno.deals] == [
        ("Renouvellement", D("8000.00"), date(2026, 11, 30)), ("Pilote", D("1600.00"), date(2027, 1, 15))
    ]
    assert [name for name, _done, _capital in bruno.accounts] == ["Fjord"]
    assert bruno.overdue_count == 0


def test_the_threshold_is_a_workspace_setting(session_factory, team):
    configure(session_factory, team, warning_below_pct=81)
    assert set(warnings_at(session_factory, team, TUESDAY)) == {team["Alice"], team["Bruno"]}
    configure(session_factory, team, warning_below_pct=20)  # Bruno's 22 % is not under 20 %
    assert warnings_at(session_factory, team, TUESDAY) == {}


def test_nobody_is_warned_before_the_point_of_the_period(session_factory, team):
    early = Z(2026, 11, 10, 9)  # 10 of 30 days: a third of the period
    assert warnings_at(session_factory, team, early) == {}
    configure(session_factory, team, warning_after_pct=30)
    assert list(warnings_at(session_factory, team, early)) == [team["Bruno"]]


def test_deals_past_their_close_date_are_counted_and_said(session_factory, team):
    later = Z(2026, 12, 1, 9)  # Renouvellement was due on 30/11 and is still open
    configure(session_factory, team, warning_after_pct=0)
    bruno = warnings_at(session_factory, team, later)[team["Bruno"]]
    assert (bruno.overdue_count, bruno.overdue_amount) == (1, D("20000.00"))
    assert [d.title for d in bruno.deals] == ["Pilote"]  # not in the projection, not proposed either
    with session_factory() as s:
        reader = MemberReader.of(s.get(Member, team["Bruno"]), later)
    text = [plain("fr", line) for line in warning_reply(reader, bruno, name="Bruno", for_manager=False).lines]
    assert "• 1 affaire a dépassé sa date de clôture (20\u202f000\xa0€) et n'est pas dans la projection : " \
        "mettez sa date à jour ou clôturez-la." in text


# --------------------------------------------------------------------------- the job


def test_the_warning_goes_to_the_rep_and_their_manager_privately_once_a_week(session_factory, team):
    for when in (TUESDAY - timedelta(hours=2), TUESDAY, TUESDAY + timedelta(hours=1), TUESDAY + timedelta(days=2)):
        run_due(session_factory, when)
    queued = rows(session_factory, "goal-warning")
    assert queued == [  # (Alice for her composite: see the module's docstring)
        ("goal-warning:%d:2026-W48" % team["Alice"], {"type": "dm", "user": "UALICE"}),
        ("goal-warning:%d:2026-W48" % team["Bruno"], {"type": "dm", "user": "UBRUNO"}),
        ("goal-warning-manager:%d:2026-W48" % team["Alice"], {"type": "dm", "user": "UNADIA"}),
        ("goal-warning-manager:%d:2026-W48" % team["Bruno"], {"type": "dm", "user": "UNADIA"}),
    ]
    # Nothing individual ever in a channel: every row of the day is a DM.
    with session_factory() as s:
        audiences = [r.payload.get("destination") for r in s.scalars(select(OutboxMessage))]
    assert all(a is None or a.get("type") == "dm" for a in audiences), audiences
    # The next week (objectives recur: Bruno's 50 000 € holds in December too), warned again, once;
    # Alice too now (nothing won yet in December, and the point of the period set to its start).
    configure(session_factory, team, warning_after_pct=0)
    for when in (Z(2026, 12, 1, 9), Z(2026, 12, 1, 10)):
        run_due(session_factory, when)
    assert sorted(k for k, _ in rows(session_factory, "goal-warning:")) == sorted([
        "goal-warning:%d:2026-W48" % team["Bruno"], "goal-warning:%d:2026-W49" % team["Bruno"],
        "goal-warning:%d:2026-W48" % team["Alice"], "goal-warning:%d:2026-W49" % team["Alice"],
    ])


def test_a_rep_with_no_objective_is_never_warned(session_factory, team):
    with session_factory() as s, s.begin():
        for objective in s.scalars(select(Objective).where(Objective.member_id == team["Bruno"])):
            s.delete(objective)
    run_due(session_factory, TUESDAY)
    # Bruno's team objectives alone never warn him; Alice is warned for her composite (see the docstring).
    assert [k for k, _ in rows(session_factory, "goal-warning")] == [
        "goal-warning:%d:2026-W48" % team["Alice"], "goal-warning-manager:%d:2026-W48" % team["Alice"]]


# --------------------------------------------------------------------------- the reminder


def test_a_manager_is_reminded_once_when_a_period_starts_with_reps_lacking_objectives(session_factory, team):
    """1 December: Nadia's reps keep their recurring objectives (no reminder); Marc's Xavier has his
    too, until it is removed; then Marc is reminded once, in his DM, from 08:30 in New York."""
    with session_factory() as s, s.begin():
        for objective in s.scalars(select(Objective).where(Objective.member_id == team["Xavier"])):
            s.delete(objective)
    run_due(session_factory, Z(2026, 12, 1, 13, 29))  # 08:29 in New York, 14:29 in Paris
    assert [user for _k, d in rows(session_factory, "goals-reminder") for user in [d["user"]]] == []
    for when in (Z(2026, 12, 1, 13, 30), Z(2026, 12, 1, 14), Z(2026, 12, 2, 14), Z(2026, 12, 3, 14)):
        run_due(session_factory, when)
    with session_factory() as s:
        marc = s.get(Member, team["Marc"])
    assert rows(session_factory, "goals-reminder") == [
        (f"goals-reminder:{marc.id}:2026-12-01", {"type": "dm", "user": "UMARC"})
    ]
    with session_factory() as s:
        [payload] = [r.payload for r in s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("goals-reminder%")))]
    assert "Xavier" in str(payload)


def test_no_reminder_when_every_rep_has_a_recurring_objective(session_factory, team):
    with session_factory() as s, s.begin():  # (and every team: Nadia's has hers; Marc's gets one)
        Builder(s, team).objective("Marc", "revenue", "20000", team=True)
    for when in (Z(2026, 12, 1, 8), Z(2026, 12, 1, 14), Z(2026, 12, 2, 14)):
        run_due(session_factory, when)
    assert rows(session_factory, "goals-reminder") == []


def reminder_text(session_factory, who: int) -> str:
    with session_factory() as s:
        [row] = s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"goals-reminder:{who}:%"))).all()
        reply = Reply.from_dict(row.payload["reply"])
    return "\n".join(plain(reply.locale, t) for t in reply.lines)


def test_a_team_without_its_own_objective_is_reminded_too(session_factory, team):
    """Every rep has an objective, but Marc's team has none of its own: Marc is reminded of that
    alone; Nadia's team has one, so she is not. Xavier's removed too: both, in one message."""
    for when in (Z(2026, 12, 1, 14), Z(2026, 12, 2, 14)):
        run_due(session_factory, when)
    assert [k for k, _d in rows(session_factory, "goals-reminder")] == [f"goals-reminder:{team['Marc']}:2026-12-01"]
    assert reminder_text(session_factory, team["Marc"]) == (
        "📅 A new period starts (Dec 1, 2026 → Dec 31, 2026) and your team has no objective of its own. "
        "Set it with /carnet goals team revenue 200k; it will hold every period until you change it.")


def test_reps_and_the_team_without_objectives_are_said_in_one_reminder(session_factory, team):
    with session_factory() as s, s.begin():
        for objective in s.scalars(select(Objective).where(Objective.member_id == team["Xavier"])):
            s.delete(objective)
    run_due(session_factory, Z(2026, 12, 1, 14))
    assert reminder_text(session_factory, team["Marc"]).split("\n") == [
        "📅 A new period starts (Dec 1, 2026 → Dec 31, 2026) and 1 of your reps has no objective: Xavier. "
        "Set it with /carnet goals @rep revenue 50k; it will hold every period until you change it.",
        "Your team has no objective of its own either: set it with /carnet goals team revenue 200k.",
    ]


# --------------------------------------------------------------------------- every goal (issue 14)


def test_every_own_objective_and_the_composite_are_checked_and_named(session_factory, team):
    """Alice gets a visits objective of 10: 3 in-person visits in November (22, 23, 26), at the pace
    of 24 days of 30: 3.75, 37.5 %; her own mean (0.8 + 0.375) / 2 = 0.5875, composite
    0.7 × 0.5875 + 0.3 × 0.34375 = 51.4375 %. Bruno gets a new-opportunities objective of 4: none
    created in November, 0 %; own mean (0.22 + 0) / 2 = 0.11, composite 0.077 + 0.103125 = 18.0125 %."""
    with session_factory() as s, s.begin():
        Builder(s, team).objective("Alice", "visits", "10")
        Builder(s, team).objective("Bruno", "new_opportunities", "4")
    found = warnings_at(session_factory, team, TUESDAY)
    alice, bruno = found[team["Alice"]], found[team["Bruno"]]
    assert [(g.metric, g.achieved, g.target, g.projected) for g in alice.goals] == [
        ("visits", D("3"), D("10.00"), 0.375), ("composite", None, None, 0.514375)]
    assert [(g.metric, g.projected) for g in bruno.goals] == [
        ("revenue", pytest.approx(0.22)), ("new_opportunities", 0.0), ("composite", pytest.approx(0.180125))]

    with session_factory() as s:
        reader = MemberReader.of(s.get(Member, team["Nadia"]), TUESDAY)
    shown = [plain("fr", t) for t in warning_reply(reader, alice, name="Alice", for_manager=True).lines]
    assert shown[0].endswith("Alice pourrait manquer 2 objectifs de la période (fin le 30 nov. 2026) :")
    assert shown[1:3] == ["• visites : 3 sur 10, projection 38\u00a0%",
                          "• Atteinte pondérée (objectifs individuels et d'équipe) : projection 51\u00a0%"]
    assert not any("Il manque" in line for line in shown)  # her revenue is on track: no revenue gap to close
    shown = [plain("fr", t) for t in warning_reply(reader, bruno, name="Bruno", for_manager=True).lines]
    assert "de son objectif de chiffre d'affaires" in shown[0]  # revenue first, as before
    assert shown[1:4] == ["D'autres objectifs sont aussi en retard :",
                          "• nouvelles affaires : 0 sur 4, projection 0\u00a0%",
                          "• Atteinte pondérée (objectifs individuels et d'équipe) : projection 18\u00a0%"]
    assert shown[4].startswith("Il manque 39")
