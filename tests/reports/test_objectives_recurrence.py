"""Objectives that live: a recurring objective holds every later period (across a year boundary)
until another is set; a one-period objective overrides it for its own period only. On SQLite and
PostgreSQL, through ``bot.services.objectives`` and the KPIs that read it (``kpis.objective_attainment``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.reports import kpis
from bot.services import objectives
from storage.models import Member, Objective, Workspace

D = Decimal
PARIS = ZoneInfo("Europe/Paris")
LONG_AGO = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def people(session_factory):
    with session_factory() as s, s.begin():
        ws = Workspace(team_id="T1", name="Acme", settings={}, created_at=LONG_AGO)
        s.add(ws)
        s.flush()
        boss = Member(workspace_id=ws.id, slack_user_id="UB", display_name="Nadia", role="manager", locale="fr",
                      tz="Europe/Paris", period="month", created_at=LONG_AGO)
        s.add(boss)
        s.flush()
        rep = Member(workspace_id=ws.id, slack_user_id="UR", display_name="Bruno", role="rep", manager_id=boss.id,
                     locale="fr", tz="Europe/Paris", period="month", created_at=LONG_AGO)
        s.add(rep)
        s.flush()
        return ws.id, boss.id, rep.id


def _set(s, member_id, metric, value, day, *, recurring=True, team=False):
    owner = s.get(Member, member_id)
    now = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    objectives.set_objective(s, owner, team=team, metric=metric, value=D(value), today=day, now=now, recurring=recurring)


def _targets(s, member_id, start, *, team=False):
    return objectives.objectives_of(s, s.get(Member, member_id), team=team, period_start=start)


def test_a_recurring_objective_holds_across_the_year_boundary(session_factory, people):
    _ws, boss, rep = people
    with session_factory() as s, s.begin():
        _set(s, rep, "revenue", "50000", date(2026, 11, 12))
        _set(s, rep, "visits", "40", date(2026, 11, 12))
        _set(s, boss, "won_deals", "12", date(2026, 11, 12), team=True)
    with session_factory() as s:
        assert _targets(s, rep, date(2026, 10, 1)) == {}  # not before it was set
        for start in (date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 6, 1)):
            assert _targets(s, rep, start) == {"revenue": D("50000.00"), "visits": D("40.00")}, start
            assert _targets(s, boss, start, team=True) == {"won_deals": D("12.00")}
        # The KPIs read the same objective in force: on 4 January nobody shows "—".
        scope = kpis.KpiScope(_ws, (rep,), date(2027, 1, 1), date(2027, 1, 31), PARIS)
        attainment = kpis.objective_attainment(s, scope, currency="EUR")[rep]
        assert {m: a.target for m, a in attainment.items()} == {"revenue": D("50000.00"), "visits": D("40")}


def test_a_new_recurring_objective_replaces_the_old_one_from_its_period_on(session_factory, people):
    _ws, _boss, rep = people
    with session_factory() as s, s.begin():
        _set(s, rep, "revenue", "50000", date(2026, 11, 12))
        _set(s, rep, "revenue", "60000", date(2027, 2, 3))
    with session_factory() as s:
        assert _targets(s, rep, date(2027, 1, 1)) == {"revenue": D("50000.00")}
        assert _targets(s, rep, date(2027, 2, 1)) == {"revenue": D("60000.00")}
        assert _targets(s, rep, date(2027, 5, 1)) == {"revenue": D("60000.00")}


def test_a_one_period_objective_overrides_for_its_period_only(session_factory, people):
    _ws, _boss, rep = people
    with session_factory() as s, s.begin():
        _set(s, rep, "visits", "40", date(2026, 11, 12))
        _set(s, rep, "visits", "10", date(2026, 12, 2), recurring=False)  # December: holidays
        _set(s, rep, "revenue", "5000", date(2026, 12, 2), recurring=False)  # no recurring one at all
    with session_factory() as s:
        assert _targets(s, rep, date(2026, 11, 1)) == {"visits": D("40.00")}
        assert _targets(s, rep, date(2026, 12, 1)) == {"visits": D("10.00"), "revenue": D("5000.00")}
        assert _targets(s, rep, date(2027, 1, 1)) == {"visits": D("40.00")}  # the recurring one again
        assert objectives.objectives_in_force(s, s.get(Member, rep), team=False, period_start=date(2026, 12, 1)) == [
            ("revenue", D("5000.00"), False), ("visits", D("10.00"), False)
        ]


def test_a_recurring_objective_set_after_a_one_period_one_ends_the_override(session_factory, people):
    _ws, _boss, rep = people
    with session_factory() as s, s.begin():
        _set(s, rep, "visits", "10", date(2026, 12, 2), recurring=False)
        _set(s, rep, "visits", "30", date(2026, 12, 9))  # the latest word holds, this period too
    with session_factory() as s:
        assert _targets(s, rep, date(2026, 12, 1)) == {"visits": D("30.00")}
        assert _targets(s, rep, date(2027, 1, 1)) == {"visits": D("30.00")}
        assert s.scalar(select(func.count()).select_from(Objective)) == 1
