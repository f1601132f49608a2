"""The early warning's facts: reps whose projected revenue attainment falls under the workspace's
threshold once enough of their period has passed, and what could close the gap — their open
deals by weighted amount, the key accounts they visited too little, the deals past their close
date (which no projection counts). Only ever sent to the rep and their manager, privately.

The projection is the one of the digest and the review: (revenue won so far + weighted amount of
the open deals expected to close in the period) / revenue objective (``coaching.period_attainment``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports import kpis
from bot.reports.coaching import period_attainment, under_visited_gold
from bot.reports.goals import GoalsProgress, goals_progress
from bot.reports.kpis import Attainment, KpiScope, composite_attainment
from bot.reports.money import Rates, converted_amount, weighted_money
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Account, Member, Opportunity

LISTED = 5  # deals and accounts named in a warning


@dataclass(frozen=True)
class GoalAtRisk:
    """One goal projected under the threshold: revenue ((won + weighted closing) / target), visits,
    new_opportunities, won_deals (at the pace so far: achieved / share of the period passed / target),
    or composite (``kpis.composite_attainment`` of those projections and of the team's objectives at
    the pace so far; no target nor achieved of its own)."""

    metric: str
    target: Decimal | None
    achieved: Decimal | None
    projected: float


@dataclass(frozen=True)
class GapDeal:
    account: str
    title: str
    amount: Decimal
    probability: int
    weighted: Decimal
    close: date | None


@dataclass(frozen=True)
class GoalWarning:
    member_id: int
    period_start: date
    period_end: date
    currency: str
    target: Decimal
    won: Decimal
    closing: Decimal  # weighted, expected to close in the period
    projected: float  # (won + closing) / target
    gap: Decimal  # target - won - closing
    deals: list[GapDeal]  # open deals not past their close date, biggest weighted amount first
    accounts: list[tuple[str, int, int]]  # under-visited key accounts: name, visits, capital
    overdue_count: int
    overdue_amount: Decimal
    goals: list[GoalAtRisk] = field(default_factory=list)  # every goal at risk, revenue first, composite last

    @property
    def revenue_at_risk(self) -> bool:
        return any(g.metric == "revenue" for g in self.goals)


def elapsed(start: date, end: date, today: date) -> Fraction:
    """The share of the period from ``start`` to ``end`` passed by the end of ``today``."""
    return Fraction((today - start).days + 1, (end - start).days + 1)


def goal_warnings(
    session: Session, reps: list[Member], *, now: datetime, settings: WorkspaceSettings
) -> dict[int, GoalWarning]:
    """rep → their warning, for the reps of ``reps`` past ``warning_after_pct`` of their period
    with a goal projected under ``warning_below_pct``: any of their own objectives (revenue, visits,
    new opportunities, won deals) or their composite attainment (the others: absent)."""
    if not reps:
        return {}
    currency = settings.currency
    rates = Rates.of(settings)
    attainment = period_attainment(session, reps[0].workspace_id, reps, now=now, rates=rates)
    progress = goals_progress(session, reps, now=now, settings=settings)
    below = Fraction(settings.warning_below_pct, 100)
    after = Fraction(settings.warning_after_pct, 100)
    at_risk: dict[int, tuple] = {}
    for rep in reps:
        so_far, closing, start, end = attainment[rep.id]
        today = now.astimezone(ZoneInfo(rep.tz)).date()
        passed = elapsed(start, end, today)
        if passed < after or rep.id not in progress:
            continue
        goals = goals_at_risk(progress[rep.id], closing, passed, below, individual_weight=settings.individual_weight)
        if goals:
            projected = Fraction(so_far.achieved + closing) / Fraction(so_far.target) if so_far and so_far.target > 0 else Fraction(0)
            at_risk[rep.id] = (so_far, closing, start, end, projected, today, goals)
    if not at_risk:
        return {}
    chosen = [rep for rep in reps if rep.id in at_risk]
    deals = _gap_deals(session, chosen)
    gold = under_visited_gold(session, chosen[0].workspace_id, chosen, now=now)
    overdue: dict[int, kpis.OverdueDeals] = {}
    for today in {at_risk[rep.id][5] for rep in chosen}:  # one query per local day (one or two)
        ids = tuple(rep.id for rep in chosen if at_risk[rep.id][5] == today)
        overdue.update(kpis.overdue_deals(session, KpiScope(chosen[0].workspace_id, ids, today, today, ZoneInfo("UTC")), today=today))
    out = {}
    for rep in chosen:
        so_far, closing, start, end, projected, today, goals = at_risk[rep.id]
        listed = [d for cur, d in deals.get(rep.id, []) if cur == currency and (d.close is None or d.close >= today)]
        target, won = (so_far.target, so_far.achieved) if so_far else (Decimal(0), Decimal(0))
        out[rep.id] = GoalWarning(
            rep.id, start, end, currency, target, won, closing, float(projected),
            max(target - won - closing, Decimal(0)), listed[:LISTED], gold[rep.id][:LISTED],
            overdue[rep.id].count, converted_amount(overdue[rep.id].amounts, rates), goals,
        )
    return out


def _at_pace(achieved: Decimal, passed: Fraction) -> Decimal:
    """What ``achieved`` becomes by the period's end at the same pace (to 1e-6: a projection, not money)."""
    return (Decimal(achieved) * passed.denominator / passed.numerator).quantize(Decimal("0.000001"))


def goals_at_risk(
    progress: GoalsProgress, closing: Decimal, passed: Fraction, below: Fraction, *, individual_weight: int
) -> list[GoalAtRisk]:
    """The rep's goals projected under ``below`` at the end of the period, ``passed`` of it gone:
    revenue with the weighted deals ``closing`` in the period, the other objectives (and the team's,
    in the composite) at the pace so far."""
    projected_own: dict[str, Attainment] = {}
    out = []
    for metric, so_far in progress.individual.items():
        if so_far.target <= 0:
            continue
        end_figure = so_far.achieved + closing if metric == "revenue" else _at_pace(so_far.achieved, passed)
        ratio = Fraction(end_figure) / Fraction(so_far.target)
        projected_own[metric] = Attainment(so_far.target, end_figure, float(ratio))
        if ratio < below:
            out.append(GoalAtRisk(metric, so_far.target, so_far.achieved, float(ratio)))
    team = {m: Attainment(a.target, _at_pace(a.achieved, passed), None) for m, a in progress.collective.items() if a.target > 0}
    # The composite says more than one goal only when it weighs several (with one, that goal says
    # it), and only for a rep with objectives of their own (the team's alone are the manager's to watch).
    if projected_own and len(projected_own) + len(team) > 1:
        composite = composite_attainment(projected_own, team, individual_weight=individual_weight)
        if composite is not None and Fraction(composite) < below:
            out.append(GoalAtRisk("composite", None, None, composite))
    return out


def _gap_deals(session: Session, reps: list[Member]) -> dict[int, list[tuple[str, GapDeal]]]:
    """rep → (currency, deal) of their open deals, biggest weighted amount first."""
    weighted = Opportunity.amount * Opportunity.probability
    rows = session.execute(
        select(
            Opportunity.member_id, Opportunity.currency, Account.name, Opportunity.title, Opportunity.amount,
            Opportunity.probability, weighted, Opportunity.expected_close_on,
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(
            Opportunity.workspace_id == reps[0].workspace_id,
            Opportunity.member_id.in_([r.id for r in reps]),
            Opportunity.status == "open",
        )
        .order_by(Opportunity.member_id, weighted.desc(), Opportunity.id)
    ).all()
    out: dict[int, list[tuple[str, GapDeal]]] = {}
    for member_id, currency, account, title, amount, probability, hundredths, close in rows:
        out.setdefault(member_id, []).append(
            (currency, GapDeal(account, title, Decimal(amount), int(probability), weighted_money(hundredths), close))
        )
    return out
