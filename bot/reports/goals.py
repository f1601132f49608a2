"""Each rep's progress on every objective in force this period (revenue, visits, new opportunities,
won deals), their team's collective objectives, and the composite of both
(``kpis.composite_attainment``): what the digest, ``/pipeline``, the App Home and the early
warning show. Figures come from ``bot/reports/kpis.py``; reps sharing a period and a time zone are
read in one scope, each manager's team once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports import kpis
from bot.reports.kpis import Attainment, KpiScope
from bot.reports.money import Rates
from bot.services.periods import period_bounds
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Member


@dataclass(frozen=True)
class GoalsProgress:
    member_id: int
    start: date  # the rep's current period
    end: date
    individual: dict[str, Attainment]  # metric → the rep's own objective so far (METRICS order)
    collective: dict[str, Attainment]  # metric → their team's objective so far (the manager's period)
    composite: float | None  # kpis.composite_attainment of both, with the workspace's weights
    weight: int  # the individual part of the composite, in percent (``individual_weight``)


def goals_progress(
    session: Session, members: list[Member], *, now: datetime, settings: WorkspaceSettings
) -> dict[int, GoalsProgress]:
    """member → their progress on every objective in force at ``now``, so far in their period."""
    if not members:
        return {}
    workspace_id = members[0].workspace_id
    groups: dict[tuple[date, date, str], list[Member]] = defaultdict(list)
    for member in members:
        start, end = period_bounds(member.period, now.astimezone(ZoneInfo(member.tz)).date())
        groups[(start, end, member.tz)].append(member)
    individual: dict[int, dict[str, Attainment]] = {}
    bounds: dict[int, tuple[date, date]] = {}
    for (start, end, tz), group in groups.items():
        scope = KpiScope(workspace_id, tuple(m.id for m in group), start, end, ZoneInfo(tz))
        found = kpis.objective_attainment(session, scope, rates=Rates.of(settings))
        for member in group:
            individual[member.id] = found.get(member.id, {})
            bounds[member.id] = (start, end)
    teams = _team_attainments(session, workspace_id, {m.manager_id for m in members if m.manager_id}, now=now, settings=settings)
    out = {}
    for member in members:
        collective = teams.get(member.manager_id, {}) if member.manager_id else {}
        composite = kpis.composite_attainment(individual[member.id], collective, individual_weight=settings.individual_weight)
        out[member.id] = GoalsProgress(member.id, *bounds[member.id], individual[member.id], collective, composite, settings.individual_weight)
    return out


def team_objectives(
    session: Session, workspace_id: int, manager_ids: set[int], *, now: datetime, settings: WorkspaceSettings
) -> dict[int, dict[str, Attainment]]:
    """manager → their team's objectives in force now (metric → so far); a manager without one is absent or empty."""
    return _team_attainments(session, workspace_id, manager_ids, now=now, settings=settings)


def _team_attainments(
    session: Session, workspace_id: int, manager_ids: set[int], *, now: datetime, settings: WorkspaceSettings
) -> dict[int, dict[str, Attainment]]:
    """manager → their team's objectives so far in the manager's period (the reps reporting to them)."""
    if not manager_ids:
        return {}
    managers = session.scalars(select(Member).where(Member.id.in_(manager_ids))).all()
    reps: dict[int, list[int]] = defaultdict(list)
    for rep_id, manager_id in session.execute(
        select(Member.id, Member.manager_id).where(Member.workspace_id == workspace_id, Member.manager_id.in_(manager_ids))
    ):
        reps[manager_id].append(rep_id)
    # Managers sharing a period and a zone: their teams' figures read together, split per team.
    groups: dict[tuple[date, date, str], list[Member]] = defaultdict(list)
    for manager in managers:
        start, end = period_bounds(manager.period, now.astimezone(ZoneInfo(manager.tz)).date())
        groups[(start, end, manager.tz)].append(manager)
    out: dict[int, dict[str, Attainment]] = {}
    for (start, end, tz), group in groups.items():
        teams = {m.id: tuple(reps[m.id]) for m in group}
        scope = KpiScope(workspace_id, tuple(r for team in teams.values() for r in team), start, end, ZoneInfo(tz))
        out.update(kpis.team_attainments(session, scope, teams, rates=Rates.of(settings)))
    return out
