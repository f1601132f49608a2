"""The review pack: what a manager needs to prepare each rep's end-of-period interview.

Built on ``coaching.review_briefs`` (revenue attainment, visits, key accounts, stalled deals, flat
probabilities) and adding, for many reps at once (one grouped query per figure and KPI scope):
every goal's attainment so far and projected, activity by type and channel against the plan,
conversion, lost deals with their reasons, deals past their close date, missed relances and the
trend over the last periods. Talking points are drawn from those facts by fixed rules, each with
its numbers. Plain data: ``bot/present/review.py`` words it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.reports import kpis
from bot.reports.coaching import AT_RISK_BELOW, ReviewBrief, review_briefs
from bot.reports.kpis import KpiScope
from bot.reports.money import Rates, as_decimal, convert, money
from bot.services.objectives import METRICS
from bot.services.workspace_settings import WorkspaceSettings
from bot.services.periods import period_bounds, utc_bounds
from storage.models import Account, Action, Member, Opportunity, Plan

TREND_PERIODS = 3  # past periods shown in the trend
LISTED = 5  # lost deals or late deals named per rep (the biggest first); the others are counted
RELANCE_TYPES = ("follow_up",)  # a relance is a planned follow-up (Carnet's automatic ones included)
MAX_POINTS = 3


@dataclass(frozen=True)
class Goal:
    """One objective of the period: target, achieved so far, ratio so far and projected at the end."""

    metric: str
    target: Decimal
    achieved: Decimal
    ratio: float | None
    projected: float | None


@dataclass(frozen=True)
class Deal:
    account: str
    title: str
    amount: Decimal
    currency: str
    reason: str | None = None  # a lost deal's reason
    day: date | None = None  # a late deal's expected close date


@dataclass(frozen=True)
class TrendPeriod:
    start: date
    end: date
    won: Decimal  # in the workspace currency (the currencies that have a rate)
    actions: int
    won_aside: dict[str, Decimal] = field(default_factory=dict)  # currency without a rate → amount won


@dataclass
class RepReview:
    """Everything a manager's pack says of one rep."""

    brief: ReviewBrief
    goals: list[Goal]
    by_type: dict[str, int]
    by_channel: dict[str, int]
    conversion: kpis.Conversion
    lost: list[Deal]
    lost_total: int
    late: list[Deal]  # open deals whose expected close date has passed
    late_total: int
    relances_due: int  # relances due so far this period (done, missed or still waiting)
    relances_missed: int
    trend: list[TrendPeriod]  # oldest first
    points: list[tuple[str, dict[str, object]]] = field(default_factory=list)  # (kind, its numbers)
    funnel: dict[str, int] = field(default_factory=dict)  # funnel step → deals created this period that reached it

    @property
    def actions(self) -> int:
        return sum(self.by_type.values())

    @property
    def at_risk(self) -> bool:
        """A goal projected under ``AT_RISK_BELOW`` (80 %) of its target."""
        return any(g.projected is not None and g.projected < AT_RISK_BELOW for g in self.goals)

    @property
    def worst_projection(self) -> float:
        projected = [g.projected for g in self.goals if g.projected is not None]
        return min(projected) if projected else float("inf")


@dataclass
class ReviewPack:
    """A manager's one pack: their reps, those at risk first (the lowest projection first)."""

    manager_id: int
    manager_name: str
    currency: str
    reps: list[RepReview]

    @property
    def at_risk(self) -> int:
        return sum(1 for r in self.reps if r.at_risk)


def review_pack(session: Session, manager: Member, reps: list[Member], *, now: datetime, settings: WorkspaceSettings) -> ReviewPack:
    """``manager``'s review pack of ``reps``, at-risk reps first."""
    reviews = rep_reviews(session, reps, now=now, settings=settings)
    return pack_of(manager, list(reviews.values()), currency=settings.currency)


def pack_of(manager: Member, reviews: list[RepReview], *, currency: str) -> ReviewPack:
    """The pack of reviews already computed: at-risk reps first (the lowest projection first), then by name."""
    ordered = sorted(reviews, key=lambda r: (not r.at_risk, r.worst_projection if r.at_risk else 0, r.brief.name))
    return ReviewPack(manager.id, manager.display_name, currency, ordered)


def rep_reviews(session: Session, reps: list[Member], *, now: datetime, settings: WorkspaceSettings) -> dict[int, RepReview]:
    """Each rep's review (one workspace), computed together: reps sharing a period and a time zone
    share one KPI scope, so each figure is one grouped query for them all."""
    if not reps:
        return {}
    shared: dict = {}  # (start, end, tz) → every objective's attainment, read once with the briefs
    briefs = review_briefs(session, reps, now=now, settings=settings, shared=shared)
    groups: dict[tuple[date, date, str], list[Member]] = defaultdict(list)
    for rep in reps:
        brief = briefs[rep.id]
        groups[(brief.period_start, brief.period_end, rep.tz)].append(rep)
    out: dict[int, RepReview] = {}
    for (start, end, tz), group in groups.items():
        out.update(_in_scope(session, group, briefs, start, end, ZoneInfo(tz), now=now, rates=Rates.of(settings),
                             attainment=shared.get((start, end, tz))))
    return out


def _elapsed(start: date, end: date, today: date) -> float:
    """Share of the period gone by ``today`` (today counted), between 0 and 1."""
    return min(max(((today - start).days + 1) / ((end - start).days + 1), 0.0), 1.0)


def _in_scope(
    session: Session,
    reps: list[Member],
    briefs: dict[int, ReviewBrief],
    start: date,
    end: date,
    zone: ZoneInfo,
    *,
    now: datetime,
    rates: Rates,
    attainment: dict | None = None,
) -> dict[int, RepReview]:
    workspace_id = reps[0].workspace_id
    ids = tuple(r.id for r in reps)
    today = now.astimezone(zone).date()
    scope = KpiScope(workspace_id, ids, start, end, zone)
    elapsed = _elapsed(start, end, today)
    if attainment is None:
        attainment = kpis.objective_attainment(session, scope, rates=rates, metrics=METRICS)
    activity = kpis.activity(session, scope)
    conversion = kpis.conversion(session, scope)
    lost, lost_total = _lost_deals(session, scope)
    late, late_total = _late_deals(session, workspace_id, ids, today)
    relances = _relances(session, workspace_id, ids, start, min(today, end), zone, now=now)
    trend = _trend(session, reps[0].period, workspace_id, ids, start, zone, rates)
    funnel = kpis.stage_funnel(session, scope)
    out = {}
    for rep in reps:
        brief = briefs[rep.id]
        goals = []
        for metric, att in attainment.get(rep.id, {}).items():
            if metric == "revenue":
                projected = brief.projected
            else:  # at the pace so far
                projected = float(att.achieved / att.target) / elapsed if att.target and elapsed else None
            goals.append(Goal(metric, att.target, att.achieved, att.ratio, projected))
        review = RepReview(
            brief, goals, activity[rep.id].by_type, activity[rep.id].by_channel, conversion[rep.id],
            lost[rep.id], lost_total[rep.id], late[rep.id], late_total[rep.id],
            relances[rep.id][0], relances[rep.id][1], [t[rep.id] for t in trend],
        )
        review.points = talking_points(review)
        review.funnel = funnel[rep.id]
        out[rep.id] = review
    return out


def _lost_deals(session: Session, scope: KpiScope) -> tuple[dict[int, list[Deal]], dict[int, int]]:
    """rep → the ``LISTED`` biggest deals lost in the period (with their reason), and how many."""
    listed: dict[int, list[Deal]] = {m: [] for m in scope.member_ids}
    counts = {m: 0 for m in scope.member_ids}
    start_utc, end_utc = scope.utc_bounds
    rows = session.execute(
        select(Opportunity.member_id, Account.name, Opportunity.title, Opportunity.amount, Opportunity.currency, Opportunity.close_reason)
        .join(Account, Account.id == Opportunity.account_id)
        .where(
            Opportunity.workspace_id == scope.workspace_id,
            Opportunity.member_id.in_(scope.member_ids),
            Opportunity.status == "lost",
            Opportunity.closed_at >= start_utc,
            Opportunity.closed_at < end_utc,
        )
        .order_by(Opportunity.member_id, Opportunity.amount.desc(), Opportunity.id)
    )
    for member_id, account, title, amount, currency, reason in rows:
        counts[member_id] += 1
        if len(listed[member_id]) < LISTED:
            listed[member_id].append(Deal(account, title, amount, currency, reason=reason))
    return listed, counts


def _late_deals(session: Session, workspace_id: int, ids: tuple[int, ...], today: date) -> tuple[dict[int, list[Deal]], dict[int, int]]:
    """rep → the ``LISTED`` biggest open deals whose expected close date is before ``today``, and how many."""
    listed: dict[int, list[Deal]] = {m: [] for m in ids}
    counts = {m: 0 for m in ids}
    ranked = (
        select(
            Opportunity.member_id, Account.name.label("account"), Opportunity.title, Opportunity.amount,
            Opportunity.currency, Opportunity.expected_close_on,
            func.row_number().over(partition_by=Opportunity.member_id, order_by=(Opportunity.amount.desc(), Opportunity.id)).label("rank"),
            func.count().over(partition_by=Opportunity.member_id).label("total"),
        )
        .join(Account, Account.id == Opportunity.account_id)
        .where(
            Opportunity.workspace_id == workspace_id,
            Opportunity.member_id.in_(ids),
            Opportunity.status == "open",
            Opportunity.expected_close_on < today,
        )
        .subquery()
    )
    for row in session.execute(select(ranked).where(ranked.c.rank <= LISTED).order_by(ranked.c.member_id, ranked.c.rank)):
        counts[row.member_id] = int(row.total)
        listed[row.member_id].append(Deal(row.account, row.title, row.amount, row.currency, day=row.expected_close_on))
    return listed, counts


def _relances(
    session: Session, workspace_id: int, ids: tuple[int, ...], start: date, last_day: date, zone: ZoneInfo, *, now: datetime
) -> dict[int, tuple[int, int]]:
    """rep → (relances due from the period's start until now, not cancelled; those missed)."""
    start_utc, _ = utc_bounds(start, last_day, zone)
    out = {m: (0, 0) for m in ids}
    rows = session.execute(
        select(Plan.member_id, func.count(), func.sum(case((Plan.status == "missed", 1), else_=literal(0))))
        .where(
            Plan.workspace_id == workspace_id,
            Plan.member_id.in_(ids),
            Plan.status != "cancelled",
            or_(Plan.action_type.in_(RELANCE_TYPES), Plan.source == "auto_relance"),
            Plan.due_at >= start_utc,
            Plan.due_at < now,
        )
        .group_by(Plan.member_id)
    )
    for member_id, due, missed in rows:
        out[member_id] = (int(due), int(missed or 0))
    return out


def _trend(
    session: Session, period: str, workspace_id: int, ids: tuple[int, ...], start: date, zone: ZoneInfo, rates: Rates
) -> list[dict[int, TrendPeriod]]:
    """The ``TREND_PERIODS`` periods before the current one, oldest first: rep → won and actions,
    each figure one grouped query over all periods (a CASE column per period)."""
    bounds = []
    day = start
    for _ in range(TREND_PERIODS):
        bounds.insert(0, period_bounds(period, day - timedelta(days=1)))
        day = bounds[0][0]
    first, last = bounds[0][0], bounds[-1][1]
    actions = {
        member_id: counts
        for member_id, *counts in session.execute(
            select(Action.member_id, *[func.sum(case((Action.occurred_on.between(s, e), 1), else_=literal(0))) for s, e in bounds])
            .where(Action.workspace_id == workspace_id, Action.member_id.in_(ids), Action.occurred_on.between(first, last))
            .group_by(Action.member_id)
        )
    }
    utc = [utc_bounds(s, e, zone) for s, e in bounds]
    won: dict[int, list[dict[str, Decimal]]] = {m: [{} for _ in bounds] for m in ids}
    for member_id, code, *sums in session.execute(
            select(
                Opportunity.member_id, Opportunity.currency,
                *[func.sum(case((and_(Opportunity.closed_at >= a, Opportunity.closed_at < b), Opportunity.amount), else_=literal(0))) for a, b in utc],
            )
            .where(
                Opportunity.workspace_id == workspace_id,
                Opportunity.member_id.in_(ids),
                Opportunity.status == "won",
                Opportunity.closed_at >= utc[0][0],
                Opportunity.closed_at < utc[-1][1],
            )
            .group_by(Opportunity.member_id, Opportunity.currency)
    ):
        for i, total in enumerate(sums):
            if total:
                won[member_id][i][code] = money(as_decimal(total))
    # Each period's won converted once; a currency without a rate is kept aside, never dropped.
    converted = {m: [convert(by_currency, rates) for by_currency in won[m]] for m in ids}
    return [
        {
            m: TrendPeriod(s, e, converted[m][i].amount, int(actions[m][i] or 0) if m in actions else 0,
                           dict(converted[m][i].unconverted))
            for m in ids
        }
        for i, (s, e) in enumerate(bounds)
    ]


# Rules of the talking points: each fires on facts of the pack and carries its numbers.
MISSED_RELANCES_SHARE = 0.3  # at least this share of the relances due were missed (3 at least)
LOW_CONVERSION = 0.35  # won / closed under this, with ≥ 4 deals closed…
BUSY = 20  # …and at least this many actions in the period: the effort is there, the targeting is not


def talking_points(review: RepReview) -> list[tuple[str, dict[str, object]]]:
    """2–3 things to talk about, most pressing first, drawn from the rep's facts by fixed rules."""
    points: list[tuple[float, str, dict[str, object]]] = []
    brief = review.brief
    revenue = next((g for g in review.goals if g.metric == "revenue"), None)
    if revenue is not None and revenue.projected is not None and revenue.projected < AT_RISK_BELOW:
        gap = max(revenue.target - brief.won - brief.closing, Decimal(0))
        points.append((5 - revenue.projected, "gap", {"projected": revenue.projected, "gap": gap}))
    if review.relances_missed >= 3 and review.relances_missed >= MISSED_RELANCES_SHARE * review.relances_due:
        points.append((4 + review.relances_missed / max(review.relances_due, 1), "relances",
                       {"missed": review.relances_missed, "due": review.relances_due}))
    closed = review.conversion.won + review.conversion.lost
    if closed >= 4 and (review.conversion.rate or 0) < LOW_CONVERSION and review.actions >= BUSY:
        points.append((3.8, "qualification", {"rate": review.conversion.rate or 0.0, "won": review.conversion.won,
                                               "closed": closed, "actions": review.actions}))
    if review.late_total:
        points.append((3 + review.late_total / 10, "late", {"count": review.late_total}))
    if brief.visits_planned >= 3 and brief.visits_done < 0.7 * brief.visits_planned:
        points.append((2.8, "visits", {"count": brief.visits_done, "planned": brief.visits_planned}))
    if brief.under_visited_gold:
        points.append((2.5, "gold", {"count": len(brief.under_visited_gold)}))
    if brief.over_visited:
        points.append((2.4, "over_visited", {"count": len(brief.over_visited), "account": brief.over_visited[0][0]}))
    if brief.stalled_total >= 2:
        points.append((2.2, "stalled", {"count": brief.stalled_total}))
    if review.lost_total >= 2:
        reasons = [d.reason for d in review.lost if d.reason]
        top = max(set(reasons), key=reasons.count) if reasons else None
        points.append((2, "lost_reason" if top else "lost", {"count": review.lost_total, "reason": top or ""}))
    if brief.flat_total:
        points.append((1.5, "probabilities", {"count": brief.flat_total}))
    points.sort(key=lambda p: -p[0])
    chosen = [(kind, values) for _s, kind, values in points[:MAX_POINTS]]
    if len(chosen) < 2 and review.conversion.won:
        chosen.append(("wins", {"count": review.conversion.won}))
    if not chosen:
        chosen.append(("steady", {"count": review.actions}))
    return chosen
