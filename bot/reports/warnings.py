"""The early warning's facts: reps whose projected revenue attainment falls under the workspace's
threshold once enough of their period has passed, and what could close the gap — their open
deals by weighted amount, the key accounts they visited too little, the deals past their close
date (which no projection counts). Only ever sent to the rep and their manager, privately.

The projection is the one of the digest and the review: (revenue won so far + weighted amount of
the open deals expected to close in the period) / revenue objective (``coaching.period_attainment``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.reports import kpis
from bot.reports.coaching import period_attainment, under_visited_gold
from bot.reports.kpis import KpiScope
from bot.reports.money import Rates, converted_amount, weighted_money
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Account, Member, Opportunity

LISTED = 5  # deals and accounts named in a warning


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


def elapsed(start: date, end: date, today: date) -> Fraction:
    """The share of the period from ``start`` to ``end`` passed by the end of ``today``."""
    return Fraction((today - start).days + 1, (end - start).days + 1)


def goal_warnings(
    session: Session, reps: list[Member], *, now: datetime, settings: WorkspaceSettings
) -> dict[int, GoalWarning]:
    """rep → their warning, for the reps of ``reps`` past ``warning_after_pct`` of their period
    whose projection is under ``warning_below_pct`` of a revenue objective (the others: absent)."""
    if not reps:
        return {}
    currency = settings.currency
    rates = Rates.of(settings)
    attainment = period_attainment(session, reps[0].workspace_id, reps, now=now, rates=rates)
    below = Fraction(settings.warning_below_pct, 100)
    after = Fraction(settings.warning_after_pct, 100)
    at_risk: dict[int, tuple] = {}
    for rep in reps:
        so_far, closing, start, end = attainment[rep.id]
        today = now.astimezone(ZoneInfo(rep.tz)).date()
        if so_far is None or so_far.target <= 0 or elapsed(start, end, today) < after:
            continue
        projected = Fraction(so_far.achieved + closing) / Fraction(so_far.target)
        if projected < below:
            at_risk[rep.id] = (so_far, closing, start, end, projected, today)
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
        so_far, closing, start, end, projected, today = at_risk[rep.id]
        listed = [d for cur, d in deals.get(rep.id, []) if cur == currency and (d.close is None or d.close >= today)]
        out[rep.id] = GoalWarning(
            rep.id, start, end, currency, so_far.target, so_far.achieved, closing, float(projected),
            max(so_far.target - so_far.achieved - closing, Decimal(0)), listed[:LISTED], gold[rep.id][:LISTED],
            overdue[rep.id].count, converted_amount(overdue[rep.id].amounts, rates),
        )
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
