"""``kpis.composite_attainment`` (the 70/30 weighting, worked by hand) and ``kpis.team_attainment``
with ``bot.reports.goals.goals_progress`` on the team of tests/reports/test_digest.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.reports.goals import goals_progress
from bot.reports.kpis import Attainment, composite_attainment
from bot.services import workspace_settings
from storage.models import Member, Workspace
from tests.reports.test_digest import NOW, Seeded, seed_team

D = Decimal


def att(achieved, target) -> Attainment:
    return Attainment(D(target), D(achieved), float(D(achieved) / D(target)) if D(target) else None)


def test_seventy_thirty_worked_by_hand():
    own = {"revenue": att(30000, 50000), "visits": att(45, 40)}  # 0.6 and 1.125: I = 0.8625
    team = {"won_deals": att(6, 12)}  # C = 0.5
    assert composite_attainment(own, team, individual_weight=70) == pytest.approx(0.7 * 0.8625 + 0.3 * 0.5)
    assert composite_attainment(own, team, individual_weight=70) == pytest.approx(0.75375)
    assert composite_attainment(own, team, individual_weight=100) == pytest.approx(0.8625)
    assert composite_attainment(own, team, individual_weight=0) == pytest.approx(0.5)


def test_one_side_alone_counts_alone_and_none_is_none():
    own = {"visits": att(75, 40), "new_opportunities": att(9, 5), "won_deals": att(6, 6)}  # (1.875 + 1.8 + 1) / 3
    assert composite_attainment(own, {}, individual_weight=70) == pytest.approx(4.675 / 3)
    assert composite_attainment({}, {"revenue": att(1, 4)}, individual_weight=70) == pytest.approx(0.25)
    assert composite_attainment({}, {}, individual_weight=70) is None
    assert composite_attainment({"visits": att(3, 0)}, {}, individual_weight=70) is None  # a zero target has no ratio


@pytest.fixture
def team(session_factory) -> Seeded:
    return seed_team(session_factory)


def test_goals_progress_of_the_hand_built_team(session_factory, team):
    """November: Alice 12 000 / 15 000 (0.8); Bruno 3 000 / 50 000 (0.06); Nadia's team 15 000 /
    100 000 (0.15) and 2 / 5 won deals (0.4): C = 0.275. Alice 0.7 x 0.8 + 0.3 x 0.275 = 0.6425;
    Bruno 0.7 x 0.06 + 0.3 x 0.275 = 0.1245. Xavier (Marc's team has no team objective): 7 000 /
    10 000 alone = 0.7."""
    with session_factory() as s:
        settings = workspace_settings.load(s.get(Workspace, team.ws))
        reps = [s.get(Member, team[n]) for n in ("Alice", "Bruno", "Xavier")]
        found = goals_progress(s, reps, now=NOW, settings=settings)
    alice, bruno, xavier = (found[team[n]] for n in ("Alice", "Bruno", "Xavier"))
    assert (alice.start, alice.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert alice.collective == {"revenue": att("15000.00", "100000.00"), "won_deals": att(2, 5)}
    assert alice.composite == pytest.approx(0.6425)
    assert bruno.composite == pytest.approx(0.1245)
    assert xavier.collective == {} and xavier.composite == pytest.approx(0.7)
