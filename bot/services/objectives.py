"""Objectives: a target per rep (or per manager's team), metric and period.

A rep's objective follows the rep's own period (a week for a beginner up to a quarter for
a senior); a team objective follows its manager's period. Setting it again replaces it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
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


def set_objective(
    session: Session, owner: Member, *, team: bool, metric: str, value: Decimal, today: date, now: datetime
) -> Objective:
    """Set ``owner``'s (or their team's) objective for their current period."""
    if metric not in METRICS:
        raise ObjectiveError("bad_metric")
    if value < 0:
        raise ObjectiveError("negative")
    if value >= MAX_OBJECTIVE:
        raise ObjectiveError("absurd")
    if metric != "revenue" and value != value.to_integral_value():
        raise ObjectiveError("not_whole")
    start, end = period_bounds(owner.period, today)
    scope = scope_of(owner, team=team)
    objective = session.scalar(
        select(Objective).where(
            Objective.workspace_id == owner.workspace_id,
            Objective.scope == scope,
            Objective.metric == metric,
            Objective.period_start == start,
        )
    )
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


def objectives_of(session: Session, owner: Member, *, team: bool, period_start: date) -> dict[str, Decimal]:
    """metric → target for ``owner`` (or their team) in the period starting ``period_start``."""
    rows = session.execute(
        select(Objective.metric, Objective.value).where(
            Objective.workspace_id == owner.workspace_id,
            Objective.scope == scope_of(owner, team=team),
            Objective.period_start == period_start,
        )
    ).all()
    return {metric: value for metric, value in rows}
