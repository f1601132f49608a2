"""Every KPI of the managers' reports, defined once here and reused by digests, reviews and renderers.

Each function takes a ``KpiScope`` (a workspace, the members, a period of local days and the zone in
which instants are cut into those days) and answers for all the members at once with one grouped
SQL query (two at most): nothing is loaded row by row to be counted or summed in Python, so the
number of statements does not grow with the team (1,000 reps cost what 3 cost).

Conventions:
- every per-member function has an entry for every member of ``scope.member_ids`` (zero, empty or
  ``None`` figures when they did nothing), so renderers never look for a missing key;
- money is ``Decimal`` rounded to the cent and never mixes currencies (``currency → amount``);
- days (``Action.occurred_on``, ``Opportunity.expected_close_on``) are compared to the period's days;
  instants (``closed_at``, ``created_at``, ``due_at``, ``changed_at``) to the period's local-day
  bounds in ``scope.zone``, as a half-open UTC interval;
- ratios are floats (or ``None`` when the denominator is zero), exactly rounded from the decimal
  figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.reports.money import Converted, Rates, as_decimal, convert, money, weighted_money
from bot.services import periods
from bot.services.objectives import in_force
from bot.services.plans import IN_PERSON
from bot.services.stages import CLOSED_STAGES, OPEN_STAGES, stages_from
from bot.services.team import known_zone
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import (
    Account,
    Action,
    Member,
    Opportunity,
    OpportunityStageChange,
    Plan,
)
from storage.queries import capital as capital_queries
from storage.queries.capital import CapitalWindow

# A deal "reached the proposal stage" when its history ever entered one of these stages: a deal
# moved straight from qualification to negotiation had a proposal all the same.
PROPOSAL_OR_LATER = stages_from("proposal")
CLOSED = CLOSED_STAGES
METRICS = ("revenue", "visits", "new_opportunities", "won_deals")
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class KpiScope:
    workspace_id: int
    member_ids: tuple[int, ...]
    start: date  # first local day of the period
    end: date  # last local day
    zone: ZoneInfo  # instants are compared to the period's local-day bounds in this zone

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period as a half-open UTC interval [start 00:00 local, day after end 00:00 local)."""
        return periods.utc_bounds(self.start, self.end, self.zone)


@dataclass(frozen=True)
class Activity:
    by_type: dict[str, int]  # action type → actions
    by_channel: dict[str, int]  # channel → actions
    visits: int  # in-person actions (``bot.services.plans.IN_PERSON``)


@dataclass(frozen=True)
class PlannedVisits:
    planned: int  # in-person plans due in the period, not cancelled (still planned, done or missed)
    done: int
    missed: int


@dataclass(frozen=True)
class SegmentIntensity:
    visits: int  # in-person actions at the rep's accounts of the segment in the period
    capital: float  # those accounts' yearly visit capital pro rata of the period's days
    planned: int = 0  # in-person visits still planned at those accounts in the period


@dataclass(frozen=True)
class Intensity:
    contacts: int  # actions of every channel in the period
    weighted: float  # the same, each weighted by its channel (``channel_weights``)


@dataclass(frozen=True)
class Conversion:
    won: int
    lost: int
    rate: float | None  # won / (won + lost)
    proposals: int  # closed deals that had reached the proposal stage (or a later one)
    proposals_won: int
    proposal_rate: float | None  # proposals_won / proposals


@dataclass(frozen=True)
class Coverage:
    weighted_closing: Decimal  # open deals expected to close in the period, weighted, in the currency
    remaining_objective: Decimal | None  # revenue objective - revenue won, floored at 0; None without an objective
    ratio: float | None  # weighted_closing / remaining_objective; None without an objective or with nothing left


@dataclass(frozen=True)
class Reliability:
    deals: int  # deals closed in the period with a probability given before the answer
    brier: float | None  # mean((p/100 - outcome)^2): 0 is perfect, 0.25 is always saying 50 %


@dataclass(frozen=True)
class Attainment:
    target: Decimal
    achieved: Decimal
    ratio: float | None  # achieved / target; None for a zero target


def _ratio(numerator: int | Decimal, denominator: int | Decimal) -> float | None:
    """numerator / denominator as the float nearest the exact quotient; None when dividing by zero."""
    if denominator == 0:
        return None
    return float(Fraction(numerator) / Fraction(denominator))


def _members(scope: KpiScope) -> list[int]:
    return list(dict.fromkeys(scope.member_ids))


def _per_member(scope: KpiScope, empty: Any) -> dict[int, Any]:
    return {m: empty() for m in _members(scope)}


def _closed_in_period(scope: KpiScope, statuses: tuple[str, ...] = CLOSED) -> Any:
    start_utc, end_utc = scope.utc_bounds
    return and_(
        Opportunity.workspace_id == scope.workspace_id,
        Opportunity.member_id.in_(_members(scope)),
        Opportunity.status.in_(statuses),
        Opportunity.closed_at >= start_utc,
        Opportunity.closed_at < end_utc,
    )


def _actions_in_period(scope: KpiScope) -> Any:
    return and_(
        Action.workspace_id == scope.workspace_id,
        Action.member_id.in_(_members(scope)),
        Action.occurred_on >= scope.start,
        Action.occurred_on <= scope.end,
    )


# --- revenue and deals won ---------------------------------------------------------------------


def _won(session: Session, scope: KpiScope) -> tuple[dict[int, dict[str, Decimal]], dict[int, int]]:
    """Revenue (per currency) and number of deals won in the period, in one grouped query."""
    revenue: dict[int, dict[str, Decimal]] = _per_member(scope, dict)
    counts: dict[int, int] = _per_member(scope, int)
    if not scope.member_ids:
        return revenue, counts
    rows = session.execute(
        select(Opportunity.member_id, Opportunity.currency, func.count(), func.sum(Opportunity.amount))
        .where(_closed_in_period(scope, ("won",)))
        .group_by(Opportunity.member_id, Opportunity.currency)
    ).all()
    for member_id, currency, deals, amount in rows:
        revenue[member_id][currency] = money(as_decimal(amount))
        counts[member_id] += int(deals)
    return revenue, counts


def revenue_won(session: Session, scope: KpiScope) -> dict[int, dict[str, Decimal]]:
    """member → currency → amount of the deals won in the period (by ``closed_at``)."""
    return _won(session, scope)[0]


def won_deals(session: Session, scope: KpiScope) -> dict[int, int]:
    """member → number of deals won in the period (by ``closed_at``)."""
    return _won(session, scope)[1]


@dataclass(frozen=True)
class ClosedDeal:
    member_id: int
    account: str
    title: str
    amount: Decimal
    status: str  # won | lost


def deals_closed(
    session: Session,
    scope: KpiScope,
    *,
    currency: str | None = None,
    rates: Rates | None = None,
    statuses: tuple[str, ...] = CLOSED,
    limit: int | None = None,
) -> list[ClosedDeal]:
    """The deals closed in the period with one of ``statuses``, the biggest first (then the oldest),
    at most ``limit`` of them: the wins and losses a digest or a summary names. Either the deals in
    ``currency``, or every deal whose currency has a rate in ``rates``, its amount converted into the
    workspace's currency (a deal in a currency without a rate cannot be said in it: left to the
    per-currency figures)."""
    if not scope.member_ids:
        return []
    if rates is None:
        rates = Rates(currency or "")
    known = {rates.currency: Decimal(1), **rates.rates} if currency is None else {currency: Decimal(1)}
    in_currency = Opportunity.amount * case(
        *((Opportunity.currency == code, literal(float(rate))) for code, rate in known.items()), else_=literal(0.0)
    )
    query = (
        select(Opportunity.member_id, Account.name, Opportunity.title, Opportunity.amount, Opportunity.status,
               Opportunity.currency)
        .join(Account, Account.id == Opportunity.account_id)
        .where(_closed_in_period(scope, statuses), Opportunity.currency.in_(list(known)))
        .order_by(in_currency.desc(), Opportunity.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        ClosedDeal(member_id, account, title, money(Decimal(amount) * known[code]), status)
        for member_id, account, title, amount, status, code in session.execute(query)
    ]


# --- activity ----------------------------------------------------------------------------------


def activity(session: Session, scope: KpiScope) -> dict[int, Activity]:
    """member → actions on the period's days by type and by channel, and visits: one grouped query
    for the three activity KPIs below (a digest that shows them all asks once)."""
    out: dict[int, Activity] = _per_member(scope, lambda: Activity({}, {}, 0))
    if not scope.member_ids:
        return out
    rows = session.execute(
        select(Action.member_id, Action.action_type, Action.channel, func.count())
        .where(_actions_in_period(scope))
        .group_by(Action.member_id, Action.action_type, Action.channel)
    ).all()
    for member_id, action_type, channel, count in rows:
        figures = out[member_id]
        figures.by_type[action_type] = figures.by_type.get(action_type, 0) + int(count)
        figures.by_channel[channel] = figures.by_channel.get(channel, 0) + int(count)
        if action_type in IN_PERSON:
            out[member_id] = replace(figures, visits=figures.visits + int(count))
    return out


def actions_by_type(session: Session, scope: KpiScope) -> dict[int, dict[str, int]]:
    """member → action type → number of actions on the period's days."""
    return {m: figures.by_type for m, figures in activity(session, scope).items()}


def actions_by_channel(session: Session, scope: KpiScope) -> dict[int, dict[str, int]]:
    """member → channel (in_person, phone, email, video) → number of actions on the period's days."""
    return {m: figures.by_channel for m, figures in activity(session, scope).items()}


def visits(session: Session, scope: KpiScope) -> dict[int, int]:
    """member → number of in-person actions (visit, meeting, demo, negotiation: ``IN_PERSON``) on the
    period's days."""
    return {m: figures.visits for m, figures in activity(session, scope).items()}


def planned_vs_realised_visits(session: Session, scope: KpiScope) -> dict[int, PlannedVisits]:
    """member → in-person plans due in the period and not cancelled: how many, done, missed.

    ``planned`` counts every such plan (the ones still waiting too); ``done`` ones were completed
    by a logged action, ``missed`` ones let their day pass."""
    out: dict[int, PlannedVisits] = _per_member(scope, lambda: PlannedVisits(0, 0, 0))
    if not scope.member_ids:
        return out
    start_utc, end_utc = scope.utc_bounds
    rows = session.execute(
        select(
            Plan.member_id,
            func.count(),
            func.sum(case((Plan.status == "done", 1), else_=literal(0))),
            func.sum(case((Plan.status == "missed", 1), else_=literal(0))),
        )
        .where(
            Plan.workspace_id == scope.workspace_id,
            Plan.member_id.in_(_members(scope)),
            Plan.status != "cancelled",
            Plan.action_type.in_(IN_PERSON),
            Plan.due_at >= start_utc,
            Plan.due_at < end_utc,
        )
        .group_by(Plan.member_id)
    ).all()
    for member_id, planned, done, missed in rows:
        out[member_id] = PlannedVisits(int(planned), int(done or 0), int(missed or 0))
    return out


def visit_intensity(session: Session, scope: KpiScope, *, settings: WorkspaceSettings) -> dict[int, dict[str, SegmentIntensity]]:
    """member → segment → visits at the member's accounts of that segment vs their visit capital
    over the period (``storage.queries.capital``: the yearly capital pro rata of the period's days).

    The accounts are the ones the member owns (``Account.owner_id``) and that have a capital;
    ``visits`` counts the in-person actions at those accounts on the period's days, whoever made
    them (the account's coverage: a manager's joint visit counts for the account's owner);
    ``prospect`` is the member's prospection budget (their visits at prospects)."""
    out: dict[int, dict[str, SegmentIntensity]] = _per_member(scope, dict)
    if not scope.member_ids:
        return out
    planned_from, planned_until = scope.utc_bounds
    window = CapitalWindow(scope.start, scope.end, scope.end, planned_from, planned_until)
    by_segment = capital_queries.per_segment(
        session, scope.workspace_id, list(scope.member_ids), window, defaults=settings.visit_capital,
        visit_types=IN_PERSON, prospection_per_year=settings.prospection_visits_per_year,
    )
    for member_id, segments in by_segment.items():
        out[member_id] = {
            segment: SegmentIntensity(figures.done, round(figures.due, 1), figures.planned)
            for segment, figures in segments.items()
        }
    return out


def commercial_intensity(session: Session, scope: KpiScope, *, settings: WorkspaceSettings) -> dict[int, Intensity]:
    """member → their contacts of every channel in the period, and the same weighted by the workspace's
    channel weights (a visit 1.0, a video call 0.7, a call 0.5, an email or a social message 0.2)."""
    out: dict[int, Intensity] = _per_member(scope, lambda: Intensity(0, 0.0))
    if not scope.member_ids:
        return out
    rows = capital_queries.weighted_contacts(
        session, scope.workspace_id, list(scope.member_ids), scope.start, scope.end, weights=settings.channel_weights
    )
    for member_id, (contacts, weighted) in rows.items():
        out[member_id] = Intensity(contacts, round(weighted, 1))
    return out


# --- pipeline ----------------------------------------------------------------------------------


def opportunities_created(session: Session, scope: KpiScope) -> dict[int, int]:
    """member → number of deals created in the period (``created_at``), whatever became of them."""
    out: dict[int, int] = _per_member(scope, int)
    if not scope.member_ids:
        return out
    start_utc, end_utc = scope.utc_bounds
    rows = session.execute(
        select(Opportunity.member_id, func.count())
        .where(
            Opportunity.workspace_id == scope.workspace_id,
            Opportunity.member_id.in_(_members(scope)),
            Opportunity.created_at >= start_utc,
            Opportunity.created_at < end_utc,
        )
        .group_by(Opportunity.member_id)
    ).all()
    for member_id, count in rows:
        out[member_id] = int(count)
    return out


def conversion(session: Session, scope: KpiScope) -> dict[int, Conversion]:
    """member → deals closed in the period: won, lost, won / closed, and the same for the deals that
    had reached the proposal stage (their stage history entered proposal, negotiation or closing)."""
    out: dict[int, Conversion] = _per_member(scope, lambda: Conversion(0, 0, None, 0, 0, None))
    if not scope.member_ids:
        return out
    # A scalar subquery rather than EXISTS, read once per deal: each closed deal's few history rows
    # are then looked up through ix_stage_change_opportunity, where with EXISTS PostgreSQL hashed the
    # whole history table (0.25 s for a quarter of 1,000 reps).
    reached_proposal = (
        select(func.count())
        .where(
            OpportunityStageChange.opportunity_id == Opportunity.id,
            OpportunityStageChange.to_stage.in_(PROPOSAL_OR_LATER),
        )
        .scalar_subquery()
    )
    deals = (
        select(Opportunity.member_id.label("member_id"), (Opportunity.status == "won").label("won"),
               reached_proposal.label("proposal_rows"))
        .where(_closed_in_period(scope))
        .subquery()
    )
    is_won, reached, zero = deals.c.won, deals.c.proposal_rows > 0, literal(0)
    rows = session.execute(
        select(
            deals.c.member_id,
            func.sum(case((is_won, 1), else_=zero)),
            func.sum(case((is_won, zero), else_=1)),
            func.sum(case((reached, 1), else_=zero)),
            func.sum(case((and_(is_won, reached), 1), else_=zero)),
        )
        .group_by(deals.c.member_id)
    ).all()
    for member_id, won, lost, proposals, proposals_won in rows:
        won, lost, proposals, proposals_won = (int(v or 0) for v in (won, lost, proposals, proposals_won))
        out[member_id] = Conversion(
            won, lost, _ratio(won, won + lost), proposals, proposals_won, _ratio(proposals_won, proposals)
        )
    return out


def average_deal_size_by_segment(session: Session, scope: KpiScope) -> dict[str, dict[str, Decimal]]:
    """segment → currency → average amount of the deals won in the period by the scope's members.

    The segment is the account's (now); deals at accounts without a segment are left out."""
    if not scope.member_ids:
        return {}
    rows = session.execute(
        select(Account.segment, Opportunity.currency, func.count(), func.sum(Opportunity.amount))
        .select_from(Opportunity)
        .join(Account, Account.id == Opportunity.account_id)
        .where(_closed_in_period(scope, ("won",)), Account.segment.is_not(None))
        .group_by(Account.segment, Opportunity.currency)
    ).all()
    out: dict[str, dict[str, Decimal]] = {}
    for segment, currency, deals, amount in rows:
        out.setdefault(str(segment), {})[currency] = money(money(as_decimal(amount)) / int(deals))
    return out


def _weighted(session: Session, scope: KpiScope, *conditions: Any) -> dict[int, dict[str, Decimal]]:
    out: dict[int, dict[str, Decimal]] = _per_member(scope, dict)
    if not scope.member_ids:
        return out
    rows = session.execute(
        select(Opportunity.member_id, Opportunity.currency, func.sum(Opportunity.amount * Opportunity.probability))
        .where(
            Opportunity.workspace_id == scope.workspace_id,
            Opportunity.member_id.in_(_members(scope)),
            Opportunity.status == "open",
            *conditions,
        )
        .group_by(Opportunity.member_id, Opportunity.currency)
    ).all()
    for member_id, currency, hundredths in rows:
        out[member_id][currency] = weighted_money(hundredths)
    return out


def weighted_pipeline(session: Session, scope: KpiScope) -> dict[int, dict[str, Decimal]]:
    """member → currency → sum of amount x probability / 100 over the open deals (now)."""
    return _weighted(session, scope)


def weighted_closing(session: Session, scope: KpiScope) -> dict[int, dict[str, Decimal]]:
    """member → currency → weighted amount of the open deals expected to close on one of the period's days."""
    return _weighted(session, scope, Opportunity.expected_close_on.between(scope.start, scope.end))


def pipeline_by_stage(
    session: Session, scope: KpiScope, *, currency: str | None = None, rates: Rates | None = None
) -> dict[int, list[tuple[str, Decimal, Decimal]]]:
    """member → (stage, amount, weighted x 100) of their open deals (now), one tuple a stage: the deals
    in ``currency``, or every deal whose currency has a rate in ``rates``, converted into the
    workspace's currency.

    The weighted sum stays x 100 (exact) for the caller to add up several members' before dividing once.
    Grouped by member and stage (a team's totals are folded by the caller): grouped by stage alone,
    SQLite (no statistics) walks ix_opportunity_status_stage through every open deal of the workspace
    to skip a sort."""
    out: dict[int, list[tuple[str, Decimal, Decimal]]] = _per_member(scope, list)
    if not scope.member_ids:
        return out
    if rates is None:
        rates = Rates(currency or "")
    known = {rates.currency: Decimal(1), **rates.rates} if currency is None else {currency: Decimal(1)}
    rows = session.execute(
        select(
            Opportunity.member_id,
            Opportunity.stage,
            Opportunity.currency,
            func.sum(Opportunity.amount),
            func.sum(Opportunity.amount * Opportunity.probability),
        )
        .where(
            Opportunity.workspace_id == scope.workspace_id,
            Opportunity.member_id.in_(_members(scope)),
            Opportunity.status == "open",
            Opportunity.currency.in_(list(known)),
        )
        .group_by(Opportunity.member_id, Opportunity.stage, Opportunity.currency)
    )
    sums: dict[tuple[int, str], list[Decimal]] = {}
    for member_id, stage, code, raw, hundredths in rows:
        totals = sums.setdefault((member_id, stage), [Decimal(0), Decimal(0)])
        totals[0] += Decimal(raw or 0) * known[code]
        totals[1] += Decimal(hundredths or 0) * known[code]
    for (member_id, stage), (raw, hundredths) in sums.items():
        out[member_id].append((stage, raw, hundredths))
    return out


def _objectives(session: Session, scope: KpiScope, metrics: tuple[str, ...] = METRICS) -> dict[int, dict[str, Decimal]]:
    """member → metric → target of the member's own objectives in force for the period starting on
    ``scope.start`` (``bot.services.objectives.in_force``: that period's one-period objective, else
    the latest recurring one)."""
    out: dict[int, dict[str, Decimal]] = _per_member(scope, dict)
    if not scope.member_ids:
        return out
    by_scope = {f"member:{m}": m for m in _members(scope)}
    rows = session.execute(in_force(scope.workspace_id, list(by_scope), scope.start, metrics)).all()
    for objective_scope, metric, value, _recurring in rows:
        out[by_scope[objective_scope]][metric] = money(as_decimal(value))
    return out


def pipeline_coverage(
    session: Session, scope: KpiScope, *, currency: str | None = None, rates: Rates | None = None
) -> dict[int, Coverage]:
    """member → weighted pipeline closing in the period / revenue still to win for the objective.

    remaining = the member's revenue objective in force for the period (``_objectives``)
    minus the revenue won, floored at 0. Money is counted in ``currency`` alone, or with ``rates``
    converted into the workspace's currency (``bot.reports.money.convert``); with ``rates``, a
    member with money in a currency that has no rate gets no ratio (it cannot be said without it).
    Three queries: closing pipeline, revenue won, objectives."""
    rates = rates or Rates(currency or "")
    closing = weighted_closing(session, scope)
    won = revenue_won(session, scope)
    targets = _objectives(session, scope, ("revenue",))
    return {
        m: coverage_of(convert(closing[m], rates), convert(won[m], rates), targets[m].get("revenue"), strict=currency is None)
        for m in _members(scope)
    }


def coverage_of(closing: Converted, won: Converted, target: Decimal | None, *, strict: bool = True) -> Coverage:
    """The coverage of one member: ``closing`` (weighted, expected in the period) over what is left
    of ``target`` once ``won`` is counted, floored at 0. ``strict``: None when money in a currency
    without a rate makes either figure incomplete."""
    if target is None:
        return Coverage(closing.amount, None, None)
    remaining = money(max(target - won.amount, Decimal(0)))
    if strict and not (closing.complete and won.complete):
        return Coverage(closing.amount, remaining, None)
    return Coverage(closing.amount, remaining, _ratio(closing.amount, remaining))


# --- stage history -----------------------------------------------------------------------------


def _seconds(session: Session, later: Any, earlier: Any) -> Any:
    """Whole seconds from ``earlier`` to ``later`` (both UTC columns), on either backend."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps the instants as ISO text; julianday reads them (fractions of a second too).
        return cast(func.round((func.julianday(later) - func.julianday(earlier)) * SECONDS_PER_DAY), BigInteger)
    return cast(func.round(func.extract("epoch", later - earlier)), BigInteger)


def average_days_per_stage(session: Session, scope: KpiScope) -> dict[str, float]:
    """stage → mean number of days the scope's deals stayed in it, over the stage exits in the period.

    A stage is entered by a history row whose ``to_stage`` differs from its ``from_stage`` (the
    creation row has none); rows that only change the amount or the probability do not move the
    deal. The time spent in a stage runs from the row that entered it to the row that left it
    (the next entry row of the deal, a win or a loss included), which must fall in the period;
    a deal whose history lacks its creation row entered its first stage at ``created_at``."""
    if not scope.member_ids:
        return {}
    start_utc, end_utc = scope.utc_bounds
    change = OpportunityStageChange
    moved_in_period = select(change.opportunity_id).where(
        change.workspace_id == scope.workspace_id, change.changed_at >= start_utc, change.changed_at < end_utc
    )
    entries = (
        select(
            change.from_stage.label("stage"),
            change.changed_at.label("left_at"),
            func.coalesce(
                func.lag(change.changed_at).over(
                    partition_by=change.opportunity_id, order_by=(change.changed_at, change.id)
                ),
                Opportunity.created_at,
            ).label("entered_at"),
        )
        .join(Opportunity, Opportunity.id == change.opportunity_id)
        .where(  # no workspace test on the history itself: it is read through its opportunity index
            Opportunity.workspace_id == scope.workspace_id,
            Opportunity.member_id.in_(_members(scope)),
            change.opportunity_id.in_(moved_in_period),
            or_(change.from_stage.is_(None), change.from_stage != change.to_stage),
        )
        .subquery()
    )
    rows = session.execute(
        select(entries.c.stage, func.count(), func.sum(_seconds(session, entries.c.left_at, entries.c.entered_at)))
        .where(entries.c.stage.is_not(None), entries.c.left_at >= start_utc, entries.c.left_at < end_utc)
        .group_by(entries.c.stage)
    ).all()
    return {stage: float(Fraction(int(seconds or 0), int(n) * SECONDS_PER_DAY)) for stage, n, seconds in rows}


def _forecasts(scope: KpiScope) -> Any:
    """The deals closed in the period with the forecast given before the answer: one row a deal
    (member_id, status, forecast), ``forecast`` the probability of the last stage-history row before
    the closing row (what the rep said before the customer answered); deals without such a row are
    left out. Read through the deal's history index."""
    change = OpportunityStageChange
    order = (change.changed_at, change.id)
    history = (
        select(
            Opportunity.member_id.label("member_id"),
            Opportunity.status.label("status"),
            change.to_stage.label("to_stage"),
            func.lag(change.probability).over(partition_by=change.opportunity_id, order_by=order).label("forecast"),
            func.row_number()
            .over(partition_by=change.opportunity_id, order_by=(change.changed_at.desc(), change.id.desc()))
            .label("from_last"),
        )
        .join(Opportunity, Opportunity.id == change.opportunity_id)
        .where(_closed_in_period(scope))  # the deal's workspace is the history's: read through its index
        .subquery()
    )
    return (
        select(history.c.member_id, history.c.status, history.c.forecast)
        .where(history.c.from_last == 1, history.c.to_stage == history.c.status, history.c.forecast.is_not(None))
        .subquery()
    )


def forecast_reliability(session: Session, scope: KpiScope) -> dict[int, Reliability]:
    """member → Brier score of the deals closed in the period.

    For each deal the forecast is the probability given before the answer (``_forecasts``) and the
    outcome 1 for won, 0 for lost: Brier = mean((p / 100 - outcome)^2), summed exactly in SQL as
    (p - 100 x outcome)^2 (integers) and divided here. A deal closed with no row before its closing
    one gave no forecast: left out."""
    return forecasts(session, scope)[0]


@dataclass(frozen=True)
class ForecastBucket:
    probability: int  # the forecasts rounded to the nearest ten (65 and 74 are "70 %")
    deals: int  # closed in the period with such a forecast
    won: int

    @property
    def won_rate(self) -> float:
        return self.won / self.deals


def forecast_buckets(session: Session, scope: KpiScope) -> dict[int, list[ForecastBucket]]:
    """member → the deals closed in the period grouped by the forecast given before the answer (the
    Brier score's deals, ``_forecasts``), rounded to the nearest ten: how often "70 %" was won.
    Buckets by probability, the lowest first."""
    return forecasts(session, scope)[1]


def forecasts(session: Session, scope: KpiScope) -> tuple[dict[int, Reliability], dict[int, list[ForecastBucket]]]:
    """``forecast_reliability`` and ``forecast_buckets`` from one grouped query (member, bucket): the
    squared misses are summed per bucket and the buckets' sums per member."""
    reliability: dict[int, Reliability] = _per_member(scope, lambda: Reliability(0, None))
    buckets: dict[int, list[ForecastBucket]] = _per_member(scope, list)
    if not scope.member_ids:
        return reliability, buckets
    rows = _forecasts(scope)
    is_won = rows.c.status == "won"
    miss = case((is_won, 100 - rows.c.forecast), else_=rows.c.forecast)
    bucket = (rows.c.forecast + 5) // 10 * 10
    squares: dict[int, int] = {}
    for member_id, probability, deals, won, missed in session.execute(
        select(rows.c.member_id, bucket, func.count(), func.sum(case((is_won, 1), else_=literal(0))), func.sum(miss * miss))
        .group_by(rows.c.member_id, bucket)
        .order_by(rows.c.member_id, bucket)
    ):
        buckets[member_id].append(ForecastBucket(int(probability), int(deals), int(won or 0)))
        squares[member_id] = squares.get(member_id, 0) + int(missed or 0)
    for member_id, total in squares.items():
        deals = sum(b.deals for b in buckets[member_id])
        reliability[member_id] = Reliability(deals, float(Fraction(total, deals * 10000)))
    return reliability, buckets


# --- objectives --------------------------------------------------------------------------------


def objective_attainment(
    session: Session,
    scope: KpiScope,
    *,
    currency: str | None = None,
    rates: Rates | None = None,
    metrics: tuple[str, ...] = METRICS,
) -> dict[int, dict[str, Attainment]]:
    """member → metric → target, achieved and achieved / target, for each of the member's own
    objectives in force for the period (``_objectives``) among ``metrics``: revenue (won in
    ``currency`` alone, or every currency with a rate converted through ``rates``), visits
    (in-person actions), new_opportunities (deals created), won_deals.

    One query for the objectives, then one per KPI some objective needs (four at most)."""
    rates = rates or Rates(currency or "")
    targets = _objectives(session, scope, metrics)
    needed = {metric for member in targets.values() for metric in member}
    achieved = _achieved(session, scope, needed, rates=rates)
    out: dict[int, dict[str, Attainment]] = {}
    for member_id, by_metric in targets.items():
        out[member_id] = {
            metric: attainment_of(target, achieved[metric][member_id])
            for metric, target in sorted(by_metric.items(), key=lambda item: METRICS.index(item[0]))
        }
    return out


def attainment_of(target: Decimal, achieved: Decimal) -> Attainment:
    """achieved against target (no ratio for a zero target)."""
    return Attainment(target, achieved, _ratio(achieved, target))


# --- the KPI table: one row per rep -------------------------------------------------------------

# The columns of ``carnet report kpis``, of its CSV and Excel files, in this order.
KPI_COLUMNS = (
    "rep", "period_start", "period_end", "actions", "visits_done", "visits_planned", "opportunities_created",
    "won_count", "won_amount", "lost_count", "conversion_pct", "average_won_amount", "weighted_pipeline", "coverage",
    "forecast_brier", "objective_revenue", "attainment_pct", "projected_pct",
)


@dataclass(frozen=True)
class KpiRow:
    """One rep's KPIs over one period, each figure read from its one definition above.

    - ``actions``: actions logged on the period's days (``activity``);
    - ``visits_done``: in-person actions on those days, planned or not (``activity``'s visits);
      ``visits_planned``: in-person plans due in the period and not cancelled (``planned_vs_realised_visits``);
    - ``opportunities_created``: deals created in the period (``opportunities_created``);
    - ``won_count`` / ``lost_count``: deals closed in the period, by their closing day (``conversion``);
      ``conversion``: won / (won + lost) of those;
    - ``won_amount``: revenue of the won ones (``revenue_won``), ``average_won_amount`` = won_amount / won_count;
    - ``weighted_pipeline``: the open deals now, amount x probability (``weighted_pipeline``);
      ``weighted_closing``: those expected to close in the period (``weighted_closing``);
    - ``coverage``: weighted_closing / what is left of the revenue objective (``coverage_of``);
    - ``forecast_brier``: Brier score of the deals closed in the period, ``forecasts`` the same deals
      by announced probability (``forecasts``);
    - ``objective_revenue``: the rep's own revenue objective of the period (``_objectives``);
      ``attainment`` = won_amount / objective (``attainment_of``);
      ``projected`` = (won_amount + weighted_closing) / objective: where the period ends if the deals
      expected in it close at their odds.

    Money is in the workspace's currency (``bot.reports.money.convert``); a currency without a rate
    stays aside in ``Converted.unconverted``, and the ratios that would need it (coverage,
    attainment, projected) are None rather than wrong. Ratios are fractions (0.4 for 40 %)."""

    member_id: int
    rep: str
    period_start: date
    period_end: date
    actions: int
    visits_done: int
    visits_planned: int
    opportunities_created: int
    won_count: int
    won_amount: Converted
    lost_count: int
    conversion: float | None
    average_won_amount: Converted | None
    weighted_pipeline: Converted
    weighted_closing: Converted
    coverage: float | None
    forecast_brier: float | None
    forecast_deals: int
    forecasts: tuple[ForecastBucket, ...]
    objective_revenue: Decimal | None
    attainment: float | None
    projected: float | None


def kpi_rows(session: Session, scope: KpiScope, *, names: dict[int, str], rates: Rates) -> list[KpiRow]:
    """The KPI row of each member of ``scope`` (in ``scope.member_ids``' order), ``names`` giving
    each member's name as the exports write it. Nine grouped queries for the whole scope, whatever
    its size: each KPI function above is asked once."""
    if not scope.member_ids:
        return []
    acts = activity(session, scope)
    planned = planned_vs_realised_visits(session, scope)
    created = opportunities_created(session, scope)
    closed = conversion(session, scope)
    won = revenue_won(session, scope)
    pipeline = weighted_pipeline(session, scope)
    closing = weighted_closing(session, scope)
    reliability, buckets = forecasts(session, scope)
    targets = _objectives(session, scope, ("revenue",))
    rows = []
    for m in _members(scope):
        won_amount, closing_amount = convert(won[m], rates), convert(closing[m], rates)
        target = targets[m].get("revenue")
        complete = won_amount.complete and closing_amount.complete
        attainment = attainment_of(target, won_amount.amount) if target is not None and won_amount.complete else None
        projected = _ratio(won_amount.amount + closing_amount.amount, target) if target is not None and complete else None
        rows.append(KpiRow(
            member_id=m, rep=names[m], period_start=scope.start, period_end=scope.end,
            actions=sum(acts[m].by_type.values()), visits_done=acts[m].visits, visits_planned=planned[m].planned,
            opportunities_created=created[m], won_count=closed[m].won, won_amount=won_amount, lost_count=closed[m].lost,
            conversion=closed[m].rate, average_won_amount=won_amount.divided(closed[m].won),
            weighted_pipeline=convert(pipeline[m], rates), weighted_closing=closing_amount,
            coverage=coverage_of(closing_amount, won_amount, target).ratio,
            forecast_brier=reliability[m].brier, forecast_deals=reliability[m].deals, forecasts=tuple(buckets[m]),
            objective_revenue=target, attainment=attainment.ratio if attainment else None, projected=projected,
        ))
    return rows


def kpi_rows_for(
    session: Session, members: list[Member], *, now: datetime, period: periods.PeriodChoice, rates: Rates
) -> list[KpiRow]:
    """The KPI rows of ``members`` (one workspace) over ``period`` as each member's calendar sees it
    at ``now`` (their own period, in their time zone, unless ``period`` names one for everybody),
    by name. Members who share the period's days and a time zone share one ``kpi_rows`` scope."""
    groups: dict[tuple[date, date, str], list[Member]] = {}
    for member in members:
        tz = member.tz if known_zone(member.tz) else "UTC"  # a zone this server does not know: UTC, not a crash
        start, end = period.bounds(member.period, now.astimezone(ZoneInfo(tz)).date())
        groups.setdefault((start, end, tz), []).append(member)
    names = {m.id: m.display_name for m in members}
    rows: list[KpiRow] = []
    for (start, end, tz), group in groups.items():
        scope = KpiScope(group[0].workspace_id, tuple(m.id for m in group), start, end, ZoneInfo(tz))
        rows += kpi_rows(session, scope, names=names, rates=rates)
    rows.sort(key=lambda row: (row.rep.casefold(), row.period_start, row.member_id))
    return rows


# --- team objectives, composite attainment, deals past their close date (issue 14, h-goals) -----


def team_attainments(
    session: Session,
    scope: KpiScope,
    teams: dict[int, tuple[int, ...]],
    *,
    currency: str | None = None,
    rates: Rates | None = None,
) -> dict[int, dict[str, Attainment]]:
    """manager → metric → their team objective in force for the period starting ``scope.start``
    (scope ``team:<manager>``) against the sum over the team's reps (``teams[manager]``, all in
    ``scope.member_ids``) of what each achieved in the period — ``objective_attainment``'s figures,
    added up. One query for the objectives and one per KPI they need, for all the teams at once."""
    rows = session.execute(in_force(scope.workspace_id, [f"team:{m}" for m in teams], scope.start)).all()
    targets: dict[int, dict[str, Decimal]] = {m: {} for m in teams}
    for team_scope, metric, value, _recurring in rows:
        targets[int(team_scope.split(":")[1])][metric] = money(as_decimal(value))
    needed = {metric for by_metric in targets.values() for metric in by_metric}
    achieved = _achieved(session, scope, needed, rates=rates or Rates(currency or ""))
    out: dict[int, dict[str, Attainment]] = {}
    for manager_id, by_metric in targets.items():
        out[manager_id] = {}
        for metric in METRICS:
            if metric in by_metric:
                total = sum((achieved[metric].get(rep, Decimal(0)) for rep in teams[manager_id]), Decimal(0))
                if metric == "revenue":
                    total = money(total)
                out[manager_id][metric] = Attainment(by_metric[metric], total, _ratio(total, by_metric[metric]))
    return out


def composite_attainment(
    individual: dict[str, Attainment], collective: dict[str, Attainment], *, individual_weight: int
) -> float | None:
    """The one attainment figure of a rep, individual objectives weighed against the team's.

    With I = the mean of achieved / target over the rep's own objectives of the period (each metric
    counts once, whatever its unit; a ratio above 1 is kept: beating one goal makes up for another),
    C = the same mean over the team's (collective) objectives, and w = ``individual_weight`` / 100
    (the workspace setting, 70 by default):

        composite = w x I + (1 - w) x C

    e.g. revenue 30 000 / 50 000 (0.6) and visits 45 / 40 (1.125): I = 0.8625; team won deals
    6 / 12: C = 0.5; composite = 0.7 x 0.8625 + 0.3 x 0.5 = 0.75375. When only one side has
    objectives it counts alone (its weight becomes 100 %); with none, ``None``. Objectives with a
    zero target (no ratio) are left out of the means."""
    def mean(attainments: dict[str, Attainment]) -> Fraction | None:
        ratios = [Fraction(a.achieved) / Fraction(a.target) for a in attainments.values() if a.target]
        return sum(ratios, Fraction(0)) / len(ratios) if ratios else None

    own, team = mean(individual), mean(collective)
    if own is None and team is None:
        return None
    if own is None or team is None:
        return float(own if team is None else team)
    weight = Fraction(individual_weight, 100)
    return float(weight * own + (1 - weight) * team)


@dataclass(frozen=True)
class OverdueDeals:
    count: int
    amounts: dict[str, Decimal]  # currency → amount (not weighted)


def overdue_deals(session: Session, scope: KpiScope, *, today: date) -> dict[int, OverdueDeals]:
    """member → open deals whose expected close day is before ``today``: they are in no period's
    projection (``weighted_closing`` reads the period's days), so reports count and say them."""
    out: dict[int, OverdueDeals] = _per_member(scope, lambda: OverdueDeals(0, {}))
    if not scope.member_ids:
        return out
    rows = session.execute(
        select(Opportunity.member_id, Opportunity.currency, func.count(), func.sum(Opportunity.amount))
        .where(
            Opportunity.workspace_id == scope.workspace_id,
            Opportunity.member_id.in_(_members(scope)),
            Opportunity.status == "open",
            Opportunity.expected_close_on < today,
        )
        .group_by(Opportunity.member_id, Opportunity.currency)
    ).all()
    for member_id, currency, count, amount in rows:
        before = out[member_id]
        out[member_id] = OverdueDeals(before.count + int(count), {**before.amounts, currency: money(as_decimal(amount))})
    return out


def _achieved(session: Session, scope: KpiScope, metrics: set[str], *, rates: Rates) -> dict[str, dict[int, Decimal]]:
    """metric → member → what each member achieved in the period, for the objective ``metrics``:
    revenue (won, converted through ``rates`` as ``bot.reports.money.convert`` does), won_deals,
    visits (in-person actions), new_opportunities (deals created). One query per KPI needed
    (revenue and won deals share theirs)."""
    achieved: dict[str, dict[int, Decimal]] = {}
    if metrics & {"revenue", "won_deals"}:
        revenue, deals = _won(session, scope)
        achieved["revenue"] = {m: convert(by_cur, rates).amount for m, by_cur in revenue.items()}
        achieved["won_deals"] = {m: Decimal(n) for m, n in deals.items()}
    if "visits" in metrics:
        achieved["visits"] = {m: Decimal(n) for m, n in visits(session, scope).items()}
    if "new_opportunities" in metrics:
        achieved["new_opportunities"] = {m: Decimal(n) for m, n in opportunities_created(session, scope).items()}
    return achieved


# --- the cockpit's trend and funnel (issue 14) -------------------------------------------------


FUNNEL_STAGES = OPEN_STAGES + ("won",)  # the funnel's steps, top first


@dataclass(frozen=True)
class TrendWeek:
    start: date  # the week's Monday (or the scope's first day)
    won: dict[str, Decimal]  # currency → revenue won that week
    actions: int


def _weeks(scope: KpiScope) -> list[tuple[date, date]]:
    """The scope cut into 7-day weeks from its first day (the last one may be shorter)."""
    out, day = [], scope.start
    while day <= scope.end:
        out.append((day, min(day + timedelta(days=6), scope.end)))
        day += timedelta(days=7)
    return out


def weekly_trend(session: Session, scope: KpiScope) -> dict[int, list[TrendWeek]]:
    """member → each week of the scope (oldest first): revenue won (per currency) and actions logged.

    One statement: the won deals and the actions, each cut into weeks by a CASE on the week's
    bounds (a day for actions, the local-day instants for ``closed_at``), united and grouped."""
    weeks = _weeks(scope)
    found: dict[int, list[TrendWeek]] = _per_member(scope, lambda: [TrendWeek(s, {}, 0) for s, _ in weeks])
    if not scope.member_ids or not weeks:
        return found
    instants = [periods.utc_bounds(s, e, scope.zone)[1] for s, e in weeks]
    closed_week = case(*[(Opportunity.closed_at < b, literal(i)) for i, b in enumerate(instants[:-1])], else_=literal(len(weeks) - 1))
    action_week = case(*[(Action.occurred_on <= e, literal(i)) for i, (_, e) in enumerate(weeks[:-1])], else_=literal(len(weeks) - 1))
    won = select(
        literal("won").label("kind"), Opportunity.member_id.label("member_id"), closed_week.label("week"),
        Opportunity.currency.label("currency"), Opportunity.amount.label("amount"),
    ).where(_closed_in_period(scope, ("won",)))
    done = select(
        literal("actions").label("kind"), Action.member_id.label("member_id"), action_week.label("week"),
        literal("").label("currency"), literal(1).label("amount"),
    ).where(_actions_in_period(scope))
    rows = won.union_all(done).subquery()
    grouped = select(rows.c.kind, rows.c.member_id, rows.c.week, rows.c.currency, func.sum(rows.c.amount)).group_by(
        rows.c.kind, rows.c.member_id, rows.c.week, rows.c.currency
    )
    for kind, member_id, week, currency, total in session.execute(grouped):
        bucket = found[member_id][int(week)]
        if kind == "won":
            bucket.won[currency] = money(as_decimal(total))
        else:
            found[member_id][int(week)] = replace(bucket, actions=int(total))
    return found


def _funnel_rank(column: Any) -> Any:
    """A stage's step in the funnel (lead 0 … closing 4, won 5); -1 for lost or anything else."""
    return case({stage: rank for rank, stage in enumerate(FUNNEL_STAGES)}, value=column, else_=literal(-1))


def stage_funnel(session: Session, scope: KpiScope) -> dict[int, dict[str, int]]:
    """member → for each funnel step (``FUNNEL_STAGES``), the deals created in the period that
    reached it: the furthest stage a deal was ever at (its history or its stage now), counted
    cumulatively (a deal at negotiation went through lead, qualification and proposal). One statement."""
    out: dict[int, dict[str, int]] = _per_member(scope, lambda: {s: 0 for s in FUNNEL_STAGES})
    if not scope.member_ids:
        return out
    start_utc, end_utc = scope.utc_bounds
    history = (
        select(func.max(_funnel_rank(OpportunityStageChange.to_stage)))
        .where(OpportunityStageChange.opportunity_id == Opportunity.id)
        .scalar_subquery()
    )
    now_rank = _funnel_rank(Opportunity.stage)
    furthest = case((func.coalesce(history, -1) > now_rank, func.coalesce(history, -1)), else_=now_rank)
    deals = (
        select(Opportunity.member_id.label("member_id"), furthest.label("furthest"))
        .where(
            Opportunity.workspace_id == scope.workspace_id,
            Opportunity.member_id.in_(_members(scope)),
            Opportunity.created_at >= start_utc,
            Opportunity.created_at < end_utc,
        )
        .subquery()
    )
    rows = session.execute(select(deals.c.member_id, deals.c.furthest, func.count()).group_by(deals.c.member_id, deals.c.furthest))
    for member_id, rank, count in rows:
        for step in FUNNEL_STAGES[: int(rank) + 1]:
            out[member_id][step] += int(count)
    return out
