"""Objectives: a target per rep (or per manager's team) and metric, that lives from period to period.

A rep's objective follows the rep's own period (a week for a beginner up to a quarter for
a senior); a team objective follows its manager's period. An objective is set recurring (the
default: it holds this period and every later one until another is set) or for this period only
(it overrides the recurring one for that period, which then holds again). The objective in force
for a period is the one-period objective of that period if there is one, else the latest
recurring objective set at or before it (``in_force``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from bot.services.periods import period_bounds
from storage.models import Member, Objective

METRICS = ("revenue", "visits", "new_opportunities", "won_deals")
MAX_OBJECTIVE = Decimal(10) ** 12


class ObjectiveError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def scope_of(member: Member, *, team: bool) -> str:
    return f"{'team' if team else 'member'}:{member.id}"


def _check(metric: str, value: Decimal) -> None:
    """A known metric and a sensible value (whole for counts), else ObjectiveError."""
    if metric not in METRICS:
        raise ObjectiveError("bad_metric")
    if value < 0:
        raise ObjectiveError("negative")
    if value >= MAX_OBJECTIVE:
        raise ObjectiveError("absurd")
    if metric != "revenue" and value != value.to_integral_value():
        raise ObjectiveError("not_whole")


def set_objective(
    session: Session,
    owner: Member,
    *,
    team: bool,
    metric: str,
    value: Decimal,
    today: date,
    now: datetime,
    recurring: bool = True,
) -> Objective:
    """Set ``owner``'s (or their team's) objective from their current period on (``recurring``) or
    for their current period only. A recurring one set now also ends this period's one-period
    override: the latest word holds."""
    _check(metric, value)
    start, end = period_bounds(owner.period, today)
    scope = scope_of(owner, team=team)
    same_period = (
        Objective.workspace_id == owner.workspace_id,
        Objective.scope == scope,
        Objective.metric == metric,
        Objective.period_start == start,
    )
    objective = session.scalar(select(Objective).where(*same_period, Objective.recurring == recurring))
    if recurring:  # the latest word holds: this period's one-period override ends
        session.execute(delete(Objective).where(*same_period, Objective.recurring.is_(False)))
    if objective is None:
        objective = Objective(
            workspace_id=owner.workspace_id,
            scope=scope,
            member_id=None if team else owner.id,
            team_manager_id=owner.id if team else None,
            metric=metric,
            period=owner.period,
            period_start=start,
            period_end=end,
            value=value,
            recurring=recurring,
            created_at=now,
            updated_at=now,
        )
        session.add(objective)
    else:
        objective.value = value
        objective.period_end = end
        objective.updated_at = now
    session.flush()
    return objective


def in_force(workspace_id: int, scopes: list[str], period_start: date, metrics: tuple[str, ...] = METRICS):
    """A select of (scope, metric, value, recurring) of the objective in force for the period starting
    ``period_start``, one row per scope and metric that has one: that period's one-period objective,
    else the latest recurring one set at or before it. One query for any number of scopes (a window
    ranks each scope's and metric's candidates)."""
    rank = func.row_number().over(
        partition_by=(Objective.scope, Objective.metric),
        order_by=(case((Objective.recurring.is_(False), 0), else_=1), Objective.period_start.desc()),
    )
    candidates = (
        select(Objective.scope, Objective.metric, Objective.value, Objective.recurring, rank.label("rank"))
        .where(
            Objective.workspace_id == workspace_id,
            Objective.scope.in_(scopes),
            Objective.metric.in_(metrics),
            Objective.period_start <= period_start,
            Objective.recurring.is_(True) | (Objective.period_start == period_start),
        )
        .subquery()
    )
    return select(candidates.c.scope, candidates.c.metric, candidates.c.value, candidates.c.recurring).where(
        candidates.c.rank == 1
    )


def objectives_of(session: Session, owner: Member, *, team: bool, period_start: date) -> dict[str, Decimal]:
    """metric → target in force for ``owner`` (or their team) in the period starting ``period_start``."""
    return {metric: value for metric, value, _recurring in objectives_in_force(session, owner, team=team, period_start=period_start)}


def objectives_in_force(
    session: Session, owner: Member, *, team: bool, period_start: date
) -> list[tuple[str, Decimal, bool]]:
    """(metric, target, recurring) in force for ``owner`` (or their team), in ``METRICS`` order."""
    rows = session.execute(in_force(owner.workspace_id, [scope_of(owner, team=team)], period_start)).all()
    rows.sort(key=lambda row: METRICS.index(row.metric))
    return [(row.metric, row.value, bool(row.recurring)) for row in rows]
