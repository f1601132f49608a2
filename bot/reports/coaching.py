"""Manager reports: the weekly digest, each rep's end-of-period review, the team's period summary.

Each function reads through the KPIs of ``bot/reports/kpis.py`` (one SQL query per KPI for a
whole team) and returns plain data; ``bot/dialogs/digest.py`` turns it into Replies. Risks are
written to help a manager coach, never to blame; shortfalls only ever go to the rep and their
manager — the team channel summary carries collective progress and wins only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from bot.reports import kpis
from bot.reports.goals import GoalsProgress, goals_progress
from bot.reports.kpis import KpiScope
from bot.reports.money import Converted, Rates, convert, converted_amount, money
from bot.reports.pipeline import StalledDeal, idle_days, stalled_counts_by_member
from bot.reports.rollup import TeamRollup, team_rollups
from bot.services.objectives import objectives_of
from bot.services.periods import period_bounds
from bot.services.stages import OPEN_STAGES, stage_order
from bot.services import capital, workspace_settings
from bot.services.team import known_zone
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Account, Action, Member, Opportunity, OpportunityStageChange, Workspace
from storage.queries.capital import AccountCapital
from bot.services.workspace_settings import drift_rules
from storage.queries.drift import DriftingAccount, Requalification, clients_kept, drift_counts

AT_RISK_BELOW = 0.8  # projected attainment under 80 % of the objective
ACTIVITY_BELOW = 0.7  # fewer than 70 % of the planned visits done
MAX_RISKS = 5
DIGEST_DRIFTING = 10  # clients drifting away listed in a manager's digest (and as many segment hints)
DRIFT_RISK_FROM = 2  # a rep with this many clients drifting away is a talking point of the digest


@dataclass(frozen=True)
class Risk:
    """Something a manager may want to talk about with a rep; ``kind`` names ``risk.<kind>``."""

    member_id: int
    name: str
    kind: str  # objective | activity | gold | stalled | optimistic | drift
    severity: float  # higher first
    values: dict[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class RepWeek:
    member_id: int
    name: str
    actions: int
    visits: int
    planned_visits: int
    done_visits: int
    weighted_pipeline: Decimal
    won: Decimal
    attainment: float | None  # revenue won / revenue objective over the rep's own period so far
    goals: GoalsProgress | None = field(default=None, compare=False)  # every objective in force, the team's, and the composite
    projected: float | None = field(default=None, compare=False)  # (won + weighted closing) / revenue objective, at the period's end
    # Amounts in a currency without a rate (currency → amount): shown apart, never dropped.
    won_aside: dict[str, Decimal] = field(default_factory=dict, compare=False)
    pipeline_aside: dict[str, Decimal] = field(default_factory=dict, compare=False)


@dataclass
class WeeklyDigest:
    manager_id: int
    week_start: date
    week_end: date
    currency: str
    actions: int = 0
    actions_before: int = 0  # the week before, for "what changed"
    visits: int = 0
    new_opportunities: int = 0
    won_amount: Decimal = Decimal(0)
    won_before: Decimal = Decimal(0)
    won_deals: list[tuple[str, str, str, Decimal]] = field(default_factory=list)  # rep, account, title, amount
    lost_deals: int = 0
    weighted_pipeline: Decimal = Decimal(0)
    reps: list[RepWeek] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    stages: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # stage, raw, weighted
    overdue_deals: int = 0  # open deals past their close date: in no projection, so said apart
    overdue_amount: Decimal = Decimal(0)
    teams: list[TeamRollup] = field(default_factory=list)  # N+1: each team below, summed
    # Commercial intensity (issue 15): every contact of the week weighted by its channel, the team's
    # and each rep's (name, weighted contacts).
    intensity: float = 0.0
    intensity_by_rep: list[tuple[str, float]] = field(default_factory=list)
    # Clients kept (issue 15 C): the team's clients drifting away (top DIGEST_DRIFTING) and segment hints.
    drifting: list[tuple[str, DriftingAccount]] = field(default_factory=list)  # rep, account
    drifting_total: int = 0
    requalify: list[tuple[str, Requalification]] = field(default_factory=list)  # rep, suggestion
    # The cockpit's charts (issue 14): the share of the reps' period elapsed, the last TREND_WEEKS
    # weeks (Monday, won converted, actions) and the funnel of the deals created over those weeks.
    elapsed: float = 0.0
    trend: list[tuple[date, Converted, int]] = field(default_factory=list)
    funnel: list[tuple[str, int]] = field(default_factory=list)
    # The team's amounts in a currency without a rate (currency → amount), beside won and pipeline.
    won_aside: dict[str, Decimal] = field(default_factory=dict)
    pipeline_aside: dict[str, Decimal] = field(default_factory=dict)


def last_week(today: date) -> tuple[date, date]:
    """The last complete Monday–Sunday week before ``today``."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday - timedelta(days=1)


def _in(rates: Rates, by_currency: dict[str, Decimal]) -> Decimal:
    return converted_amount(by_currency, rates)


def _aside(rates: Rates, by_currency: dict[str, Decimal]) -> dict[str, Decimal]:
    """What ``_in`` leaves out: the amounts in a currency without a rate, per currency."""
    return dict(convert(by_currency, rates).unconverted)


def add_aside(into: dict[str, Decimal], more: dict[str, Decimal]) -> None:
    """Add amounts per currency into ``into`` (totals of what has no rate)."""
    for currency, amount in more.items():
        into[currency] = into.get(currency, Decimal(0)) + amount


def _period_groups(members: list[Member], today_of: dict[int, date]) -> dict[tuple[date, date, str], list[Member]]:
    """Members grouped by (their current period, time zone): one KPI scope per group."""
    groups: dict[tuple[date, date, str], list[Member]] = defaultdict(list)
    for member in members:
        start, end = period_bounds(member.period, today_of[member.id])
        groups[(start, end, member.tz)].append(member)
    return groups


def period_attainment(
    session: Session, workspace_id: int, members: list[Member], *, now: datetime, rates: Rates
) -> dict[int, tuple[kpis.Attainment | None, Decimal, date, date]]:
    """member → (revenue attainment so far, weighted pipeline closing in the period, start, end)."""
    today_of = {m.id: now.astimezone(ZoneInfo(m.tz)).date() for m in members}
    out: dict[int, tuple[kpis.Attainment | None, Decimal, date, date]] = {}
    for (start, end, tz), group in _period_groups(members, today_of).items():
        scope = KpiScope(workspace_id, tuple(m.id for m in group), start, end, ZoneInfo(tz))
        attainment = kpis.objective_attainment(session, scope, rates=rates, metrics=("revenue",))
        closing = kpis.weighted_closing(session, scope)
        for member in group:
            out[member.id] = (
                attainment.get(member.id, {}).get("revenue"),
                _in(rates, closing.get(member.id, {})),
                start,
                end,
            )
    return out


def risks_for(
    session: Session,
    workspace_id: int,
    members: list[Member],
    *,
    now: datetime,
    settings: WorkspaceSettings,
    week: KpiScope | None = None,
    attainment: dict[int, tuple[kpis.Attainment | None, Decimal, date, date]] | None = None,
    planned: dict[int, kpis.PlannedVisits] | None = None,
    gold: dict[int, list[tuple[str, int, int]]] | None = None,
    stalled: dict[int, int] | None = None,
    flat: dict[int, int] | None = None,
    over: dict[int, list[tuple[str, int, int]]] | None = None,
    drifting: dict[int, int] | None = None,
) -> list[Risk]:
    """Every coaching risk of ``members`` now, most pressing first.

    ``attainment`` (``period_attainment`` of ``members`` at ``now``), ``planned``
    (``planned_vs_realised_visits`` over ``week``), ``gold`` (``under_visited_gold``), ``stalled``
    (``stalled_counts``) and ``flat`` (``flat_probability_counts``), when the caller has them
    already, are not read again."""
    if not members:
        return []
    names = {m.id: m.display_name for m in members}
    if attainment is None:
        attainment = period_attainment(session, workspace_id, members, now=now, rates=Rates.of(settings))
    risks = _objective_risks(attainment, names)
    if week is not None:
        if planned is None:
            planned = kpis.planned_vs_realised_visits(session, week)
        risks += _activity_risks(planned, names)
    if gold is None or over is None:
        rows = period_capital(session, workspace_id, members, now=now, settings=settings)
        gold = gold if gold is not None else under_visited_gold(session, workspace_id, members, now=now, capital_rows=rows)
        over = over if over is not None else over_visited(session, workspace_id, members, now=now, capital_rows=rows)
    risks += [Risk(m, names[m], "gold", 1.5 + len(accounts) / 10, {"count": len(accounts)}) for m, accounts in gold.items() if accounts]
    risks += [
        Risk(m, names[m], "over_visited", 1.2 + len(accounts) / 10, {"count": len(accounts), "account": accounts[0][0]})
        for m, accounts in over.items() if accounts
    ]
    if stalled is None:
        stalled = stalled_counts(session, workspace_id, members, now=now, settings=settings)
    risks += [Risk(m, names[m], "stalled", 1 + count / 10, {"count": count}) for m, count in stalled.items() if count >= 2]
    if flat is None:
        flat = flat_probability_counts(session, workspace_id, [m.id for m in members])
    risks += [Risk(m, names[m], "optimistic", 0.5 + count / 10, {"count": count}) for m, count in flat.items() if count]
    # Clients kept: ``drifting`` (member → clients drifting away, ``drift_counts``), when the caller read them.
    risks += [Risk(m, names[m], "drift", 1.5 + count / 10, {"count": count})
              for m, count in (drifting or {}).items() if m in names and count >= DRIFT_RISK_FROM]
    risks.sort(key=lambda r: (-r.severity, r.name))
    return risks


def _objective_risks(
    attainment: dict[int, tuple[kpis.Attainment | None, Decimal, date, date]], names: dict[int, str]
) -> list[Risk]:
    """Reps whose won revenue plus weighted closing pipeline projects under ``AT_RISK_BELOW`` of their objective."""
    risks = []
    for member_id, (attainment_so_far, closing, _start, end) in attainment.items():
        if attainment_so_far is None or attainment_so_far.target <= 0:
            continue
        projected = (attainment_so_far.achieved + closing) / attainment_so_far.target
        if projected < Decimal(str(AT_RISK_BELOW)):
            risks.append(
                Risk(member_id, names[member_id], "objective", 3 + float(1 - projected), {
                    "projected": float(projected), "end": end.isoformat(),
                })
            )
    return risks


def _activity_risks(planned: dict[int, kpis.PlannedVisits], names: dict[int, str]) -> list[Risk]:
    """Reps who did fewer than ``ACTIVITY_BELOW`` of their planned visits (three planned at least)."""
    return [
        Risk(member_id, names[member_id], "activity", 2 + 1 - plans.done / plans.planned, {
            "done": plans.done, "planned": plans.planned,
        })
        for member_id, plans in planned.items()
        if plans.planned >= 3 and plans.done < ACTIVITY_BELOW * plans.planned
    ]


def under_visited_gold(
    session: Session, workspace_id: int, members: list[Member], *, now: datetime, settings: WorkspaceSettings | None = None,
    capital_rows: dict[int, list[PeriodCapital]] | None = None,
) -> dict[int, list[tuple[str, int, int]]]:
    """member → gold accounts visited less than half their visit capital due so far in the member's
    period (``capital.is_under_visited``): (name, visits so far, the period's capital)."""
    if capital_rows is None:
        capital_rows = period_capital(session, workspace_id, members, now=now, settings=settings)
    return {
        member: [(r.row.name, r.row.done, r.period) for r in rows if r.row.segment == "gold" and capital.is_under_visited(r.row)]
        for member, rows in capital_rows.items()
    }


def over_visited(
    session: Session, workspace_id: int, members: list[Member], *, now: datetime, settings: WorkspaceSettings | None = None,
    capital_rows: dict[int, list[PeriodCapital]] | None = None,
) -> dict[int, list[tuple[str, int, int]]]:
    """member → accounts far above their capital due so far in the period while others of theirs lag
    (``capital.balance``): (name, visits so far, the period's capital); empty when none lags."""
    if capital_rows is None:
        capital_rows = period_capital(session, workspace_id, members, now=now, settings=settings)
    out = {}
    for member, rows in capital_rows.items():
        period_of = {r.row.account_id: r.period for r in rows}
        balance = capital.balance([r.row for r in rows])
        out[member] = [(name, done, period_of[i]) for i, name, done in balance.over] if balance.unbalanced else []
    return out


@dataclass(frozen=True)
class PeriodCapital:
    row: AccountCapital  # due and done over the member's period so far
    period: int  # the account's capital over the whole period, rounded (one at least: it has a capital)


def period_capital(
    session: Session, workspace_id: int, members: list[Member], *, now: datetime, settings: WorkspaceSettings | None
) -> dict[int, list[PeriodCapital]]:
    """member → their accounts' visit capital over their current period (``storage.queries.capital``)."""
    if settings is None:
        settings = workspace_settings.load(session.get(Workspace, workspace_id))
    out: dict[int, list[PeriodCapital]] = {m.id: [] for m in members}
    known = [m for m in members if known_zone(m.tz) is not None]
    today_of = {m.id: now.astimezone(ZoneInfo(m.tz)).date() for m in known}
    for (start, end, tz), group in _period_groups(known, today_of).items():
        window = capital.period_window(start, end, tz, as_of=today_of[group[0].id], now=now)
        for row in capital.accounts_in(session, workspace_id, [m.id for m in group], window, settings):
            out[row.owner_id].append(PeriodCapital(row, max(1, round(row.capital * ((end - start).days + 1) / window.year_days))))
    return out


def stalled_counts(
    session: Session, workspace_id: int, members: list[Member], *, now: datetime, settings: WorkspaceSettings
) -> dict[int, int]:
    """member → number of stalled deals (no action, no stage change for the workspace's N days)."""
    today = now.astimezone(ZoneInfo(members[0].tz)).date() if members else now.date()
    return stalled_counts_by_member(
        session, workspace_id, [m.id for m in members], now=now, today=today, days=settings.stalled_after_days
    )


def _stage_rank(column):  # the stage's place in the funnel (lead 0 … closing 4), -1 for won/lost
    return case({stage: rank for rank, stage in enumerate(OPEN_STAGES)}, value=column, else_=literal(-1))


def _flat_probability_where(workspace_id: int, member_ids: list[int]) -> list:
    """Open deals past the first stage whose history holds an earlier stage at which the deal was
    already given at least today's probability: odds that did not rise with the deal's progress.

    A scalar subquery (the best probability given at an earlier stage) rather than EXISTS: both
    databases then look each deal's few history rows up through ix_stage_change_opportunity,
    where with EXISTS PostgreSQL hashed the whole history table (60 ms a digest)."""
    best_earlier = (
        select(func.max(OpportunityStageChange.probability))
        .where(
            OpportunityStageChange.opportunity_id == Opportunity.id,
            OpportunityStageChange.to_stage.in_(OPEN_STAGES),
            _stage_rank(OpportunityStageChange.to_stage) < _stage_rank(Opportunity.stage),
        )
        .scalar_subquery()
    )
    return [
        Opportunity.workspace_id == workspace_id,
        Opportunity.member_id.in_(member_ids),
        Opportunity.status == "open",
        Opportunity.stage.in_(OPEN_STAGES[1:]),
        Opportunity.probability <= best_earlier,
    ]


def flat_probability_counts(session: Session, workspace_id: int, member_ids: list[int]) -> dict[int, int]:
    """member → open deals whose probability did not rise when they moved to a later stage."""
    out = {m: 0 for m in member_ids}
    if member_ids:
        rows = session.execute(
            select(Opportunity.member_id, func.count())
            .where(*_flat_probability_where(workspace_id, member_ids))
            .group_by(Opportunity.member_id)
        )
        out.update({member_id: int(count) for member_id, count in rows})
    return out


def flat_probability_deals(
    session: Session, workspace_id: int, member_ids: list[int], *, limit: int = 5
) -> dict[int, list[tuple[str, str, str, int]]]:
    """member → up to ``limit`` open deals (title, account, stage, probability) whose probability at
    a later stage is not above what it was at an earlier one, oldest deals first."""
    return _flat_probabilities(session, workspace_id, member_ids, limit=limit)[0]


def _flat_probabilities(
    session: Session, workspace_id: int, member_ids: list[int], *, limit: int
) -> tuple[dict[int, list[tuple[str, str, str, int]]], dict[int, int]]:
    """``flat_probability_deals`` and ``flat_probability_counts`` from one read."""
    out: dict[int, list[tuple[str, str, str, int]]] = {m: [] for m in member_ids}
    counts = {m: 0 for m in member_ids}
    if not member_ids:
        return out, counts
    rows = session.execute(
        select(Opportunity.member_id, Opportunity.title, Account.name, Opportunity.stage, Opportunity.probability)
        .join(Account, Account.id == Opportunity.account_id)
        .where(*_flat_probability_where(workspace_id, member_ids))
        .order_by(Opportunity.id)
    )
    for member_id, title, account, stage, probability in rows:
        counts[member_id] += 1
        if len(out[member_id]) < limit:
            out[member_id].append((title, account, stage, probability))
    return out, counts


def weekly_digest(
    session: Session, manager: Member, team: list[Member], *, now: datetime, settings: WorkspaceSettings
) -> WeeklyDigest:
    """Last week for the manager's team: flash figures, a line per rep, what changed, top risks."""
    return weekly_digests(session, [(manager, team)], now=now, settings=settings)[manager.id]


def weekly_digests(
    session: Session, teams: list[tuple[Member, list[Member]]], *, now: datetime, settings: WorkspaceSettings
) -> dict[int, WeeklyDigest]:
    """The weekly digest of each (manager, team) of one workspace, computed together.

    Managers in one time zone share last week, so each figure is one grouped query over all their
    reps, split per team afterwards: a Monday's 50 digests cost the statements of one (each
    per-rep figure does not depend on the team it is read for)."""
    by_zone: dict[str, list[tuple[Member, list[Member]]]] = defaultdict(list)
    for manager, team in teams:
        by_zone[manager.tz].append((manager, team))
    digests: dict[int, WeeklyDigest] = {}
    for tz, zone_teams in by_zone.items():
        digests.update(_digests_in_zone(session, zone_teams, ZoneInfo(tz), now=now, settings=settings))
    return digests


def _digests_in_zone(
    session: Session,
    teams: list[tuple[Member, list[Member]]],
    zone: ZoneInfo,
    *,
    now: datetime,
    settings: WorkspaceSettings,
) -> dict[int, WeeklyDigest]:
    reps = list({m.id: m for _manager, team in teams for m in team}.values())
    week = _last_week_figures(session, teams[0][0].workspace_id, reps, zone, now=now, settings=settings)
    return {manager.id: _team_digest(manager, team, week) for manager, team in teams}


@dataclass(frozen=True)
class _WeekFigures:
    """Last week's figures of every rep of one zone's digests, each read once for them all."""

    start: date
    end: date
    currency: str
    rates: Rates
    activity: dict[int, kpis.Activity]
    planned: dict[int, kpis.PlannedVisits]
    won: dict[int, dict[str, Decimal]]
    created: dict[int, int]
    weighted: dict[int, dict[str, Decimal]]
    attainment: dict[int, tuple[kpis.Attainment | None, Decimal, date, date]]
    actions_before: dict[int, dict[str, int]]  # the week before, for "what changed"
    won_before: dict[int, dict[str, Decimal]]
    closed: list[kpis.ClosedDeal]
    stages: dict[int, list[tuple[str, Decimal, Decimal]]]
    risks: list[Risk]
    goals: dict[int, GoalsProgress] = field(default_factory=dict)
    overdue: dict[int, kpis.OverdueDeals] = field(default_factory=dict)
    intensity: dict[int, kpis.Intensity] = field(default_factory=dict)
    drifting: list[DriftingAccount] = field(default_factory=list)
    requalify: list[Requalification] = field(default_factory=list)
    trend: dict[int, list[kpis.TrendWeek]] = field(default_factory=dict)
    funnel: dict[int, dict[str, int]] = field(default_factory=dict)
    today: date | None = None


def _last_week_figures(
    session: Session, workspace_id: int, reps: list[Member], zone: ZoneInfo, *, now: datetime, settings: WorkspaceSettings
) -> _WeekFigures:
    start, end = last_week(now.astimezone(zone).date())
    currency, rates = settings.currency, Rates.of(settings)
    ids = tuple(m.id for m in reps)
    week = KpiScope(workspace_id, ids, start, end, zone)
    before = KpiScope(workspace_id, ids, start - timedelta(days=7), start - timedelta(days=1), zone)
    attainment = period_attainment(session, workspace_id, reps, now=now, rates=rates)
    planned = kpis.planned_vs_realised_visits(session, week)
    drifting, requalify = clients_kept(session, workspace_id, now, rep_ids=ids, rules=drift_rules(settings))
    risks = risks_for(session, workspace_id, reps, now=now, settings=settings, week=week, attainment=attainment,
                      planned=planned, drifting=drift_counts(drifting))
    return _WeekFigures(
        start, end, currency, rates,
        activity=kpis.activity(session, week),  # one read of the week's actions for types and visits
        planned=planned,
        won=kpis.revenue_won(session, week),
        created=kpis.opportunities_created(session, week),
        weighted=kpis.weighted_pipeline(session, week),
        attainment=attainment,
        actions_before=kpis.actions_by_type(session, before),
        won_before=kpis.revenue_won(session, before),
        closed=kpis.deals_closed(session, week, rates=rates),
        stages=kpis.pipeline_by_stage(session, week, rates=rates),
        risks=risks,
        goals=goals_progress(session, reps, now=now, settings=settings),
        overdue=kpis.overdue_deals(session, week, today=now.astimezone(zone).date()),
        intensity=kpis.commercial_intensity(session, week, settings=settings),
        drifting=drifting,
        requalify=requalify,
        **_cockpit_figures(session, workspace_id, ids, start, end, zone),
        today=now.astimezone(zone).date(),
    )


TREND_WEEKS = 12  # weeks of the digest's trend and funnel, last week included


def _cockpit_figures(
    session: Session, workspace_id: int, ids: tuple[int, ...], start: date, end: date, zone: ZoneInfo
) -> dict:
    """The trend and the funnel of the ``TREND_WEEKS`` weeks ending with last week: one statement each."""
    weeks = KpiScope(workspace_id, ids, start - timedelta(days=7 * (TREND_WEEKS - 1)), end, zone)
    return {"trend": kpis.weekly_trend(session, weeks), "funnel": kpis.stage_funnel(session, weeks)}


def _team_cockpit(digest: WeeklyDigest, team: list[Member], week: _WeekFigures) -> None:
    """The team's trend (each rep's weeks added up, converted once per week), funnel, and the share
    of the period elapsed (the period most of the team's reps share)."""
    weeks: list[tuple[date, dict[str, Decimal], int]] = []
    funnel = {stage: 0 for stage in kpis.FUNNEL_STAGES}
    for member in team:
        for i, rep_week in enumerate(week.trend.get(member.id, [])):
            if i == len(weeks):
                weeks.append((rep_week.start, {}, 0))
            day, won, actions = weeks[i]
            for currency, amount in rep_week.won.items():
                won[currency] = won.get(currency, Decimal(0)) + amount
            weeks[i] = (day, won, actions + rep_week.actions)
        for stage, count in week.funnel.get(member.id, {}).items():
            funnel[stage] += count
    digest.trend = [(day, convert(won, week.rates), actions) for day, won, actions in weeks]
    digest.funnel = list(funnel.items())
    periods = [week.attainment[m.id][2:] for m in team if m.id in week.attainment]
    if periods and week.today is not None:
        start, end = max(set(periods), key=periods.count)
        digest.elapsed = min(max(((week.today - start).days + 1) / ((end - start).days + 1), 0.0), 1.0)


def _team_digest(manager: Member, team: list[Member], week: _WeekFigures) -> WeeklyDigest:
    """One manager's digest: their team's share of the zone's figures."""
    digest = WeeklyDigest(manager.id, week.start, week.end, week.currency)
    team_ids = {m.id for m in team}
    for member in team:
        _add_rep_week(digest, member, week)
    names = {m.id: m.display_name for m in team}
    for deal in week.closed:
        if deal.member_id not in team_ids:
            continue
        if deal.status == "won":
            digest.won_deals.append((names[deal.member_id], deal.account, deal.title, deal.amount))
        else:
            digest.lost_deals += 1
    digest.stages = _team_stages(team_ids, week.stages)
    digest.risks = [r for r in week.risks if r.member_id in team_ids][:MAX_RISKS]
    digest.teams = team_rollups(manager, team, digest.reps)
    _add_clients_kept(digest, names, week)
    _team_cockpit(digest, team, week)
    return digest


def _add_clients_kept(digest: WeeklyDigest, names: dict[int, str], week: _WeekFigures) -> None:
    """The team's clients drifting away (most drifting first) and its segment hints."""
    drifting = [(names[d.owner_id], d) for d in week.drifting if d.owner_id in names]
    digest.drifting = drifting[:DIGEST_DRIFTING]
    digest.drifting_total = len(drifting)
    digest.requalify = [(names[q.owner_id], q) for q in week.requalify if q.owner_id in names][:DIGEST_DRIFTING]


def _add_rep_week(digest: WeeklyDigest, member: Member, week: _WeekFigures) -> None:
    """The rep's line of the digest, and the rep's share of the team's totals."""
    rates = week.rates
    rep_activity = week.activity.get(member.id)
    actions = sum(rep_activity.by_type.values()) if rep_activity else 0
    visits = rep_activity.visits if rep_activity else 0
    rep_won = _in(rates, week.won.get(member.id, {}))
    rep_weighted = _in(rates, week.weighted.get(member.id, {}))
    plan = week.planned.get(member.id) or kpis.PlannedVisits(0, 0, 0)
    target = week.attainment.get(member.id, (None, Decimal(0), week.start, week.end))[0]
    digest.reps.append(
        RepWeek(member.id, member.display_name, actions, visits, plan.planned, plan.done,
                rep_weighted, rep_won, target.ratio if target else None)
    )
    closing = week.attainment.get(member.id, (None, Decimal(0)))[1]
    projected = float((target.achieved + closing) / target.target) if target and target.target else None
    won_aside, pipeline_aside = _aside(rates, week.won.get(member.id, {})), _aside(rates, week.weighted.get(member.id, {}))
    digest.reps[-1] = replace(digest.reps[-1], goals=week.goals.get(member.id), projected=projected,
                              won_aside=won_aside, pipeline_aside=pipeline_aside)
    add_aside(digest.won_aside, won_aside)
    add_aside(digest.pipeline_aside, pipeline_aside)
    overdue = week.overdue.get(member.id)
    if overdue:
        digest.overdue_deals += overdue.count
        digest.overdue_amount += _in(rates, overdue.amounts)
    digest.actions += actions
    digest.visits += visits
    weighted = week.intensity[member.id].weighted if member.id in week.intensity else 0.0
    digest.intensity = round(digest.intensity + weighted, 1)
    digest.intensity_by_rep.append((member.display_name, weighted))
    digest.new_opportunities += week.created.get(member.id, 0)
    digest.won_amount += rep_won
    digest.weighted_pipeline += rep_weighted
    digest.actions_before += sum(week.actions_before.get(member.id, {}).values())
    digest.won_before += _in(rates, week.won_before.get(member.id, {}))


def _team_stages(
    team_ids: set[int], stages_of: dict[int, list[tuple[str, Decimal, Decimal]]]
) -> list[tuple[str, Decimal, Decimal]]:
    """(stage, amount, weighted) of the team's open deals, in pipeline order: each rep's sums
    added up per stage, the weighted one divided by 100 once."""
    by_stage: dict[str, list[Decimal]] = {}
    for member_id in team_ids:
        for stage, raw, weighted_total in stages_of.get(member_id, []):
            totals = by_stage.setdefault(stage, [Decimal(0), Decimal(0)])
            totals[0] += raw
            totals[1] += weighted_total
    stages = [(stage, raw, (weighted_total / 100).quantize(Decimal("0.01"))) for stage, (raw, weighted_total) in sorted(by_stage.items())]
    stages.sort(key=lambda s: stage_order(s[0]))
    return stages


@dataclass
class ReviewBrief:
    """A rep's end-of-period brief, for the rep and their manager."""

    member_id: int
    name: str
    period_start: date
    period_end: date
    currency: str
    target: Decimal | None
    won: Decimal
    closing: Decimal
    attainment: float | None
    projected: float | None
    visits_done: int
    visits_planned: int
    under_visited_gold: list[tuple[str, int, int]]
    stalled: list[StalledDeal]
    flat_probabilities: list[tuple[str, str, str, int]]
    talking_points: list[str]  # risk kinds, most pressing first (the dialogue words them)
    # How many there are in all: the lists above hold the first few (the brief says "and N more").
    stalled_total: int = 0
    flat_total: int = 0
    # Accounts far above their visit capital while others lag (name, visits, due so far).
    over_visited: list[tuple[str, int, int]] = field(default_factory=list)
    # Won and closing in a currency without a rate (currency → amount): shown apart, never dropped.
    won_aside: dict[str, Decimal] = field(default_factory=dict)
    closing_aside: dict[str, Decimal] = field(default_factory=dict)


def review_brief(session: Session, rep: Member, *, now: datetime, settings: WorkspaceSettings) -> ReviewBrief:
    """The end-of-period brief of ``rep`` (``review_briefs`` of that rep alone)."""
    return review_briefs(session, [rep], now=now, settings=settings)[rep.id]


STALLED_LISTED = 5  # stalled deals named in a brief (the biggest first)


def review_briefs(
    session: Session, reps: list[Member], *, now: datetime, settings: WorkspaceSettings, shared: dict | None = None
) -> dict[int, ReviewBrief]:
    """The review brief of each of ``reps`` (one workspace), computed together.

    Reps who share a current period and a time zone share one KPI scope, so each figure is one
    grouped query over them all, split per rep afterwards: a month-end tick of 1,000 reps costs
    the statements of a few briefs (about ten per scope), not twenty per rep, and no figure is
    read twice. Each brief is exactly the one the rep would get alone.

    ``shared`` (the review pack's): filled with (start, end, tz) → every objective's attainment of
    that scope, read here once for the briefs and the pack alike."""
    if not reps:
        return {}
    workspace_id = reps[0].workspace_id
    today_of = {m.id: now.astimezone(ZoneInfo(m.tz)).date() for m in reps}
    briefs: dict[int, ReviewBrief] = {}
    # Stalled deals and flat probabilities do not depend on the period: read once per time zone
    # for every rep of it, not once per period (a team mixing months, quarters and weeks).
    deals_of: dict[str, tuple] = {}
    for tz in {m.tz for m in reps}:
        in_zone = [m for m in reps if m.tz == tz]
        today = now.astimezone(ZoneInfo(tz)).date()
        deals_of[tz] = (
            _stalled_by_member(session, workspace_id, in_zone, now=now, today=today, zone=ZoneInfo(tz),
                               days=settings.stalled_after_days, limit=STALLED_LISTED),
            _flat_probabilities(session, workspace_id, [m.id for m in in_zone], limit=5),
        )
    for (start, end, tz), group in _period_groups(reps, today_of).items():
        briefs.update(_briefs_in_scope(session, workspace_id, group, start, end, ZoneInfo(tz), now=now, settings=settings,
                                       shared=shared, deals=deals_of[tz]))
    return briefs


def _briefs_in_scope(
    session: Session,
    workspace_id: int,
    reps: list[Member],
    start: date,
    end: date,
    zone: ZoneInfo,
    *,
    now: datetime,
    settings: WorkspaceSettings,
    shared: dict | None = None,
    deals: tuple | None = None,
) -> dict[int, ReviewBrief]:
    currency, rates = settings.currency, Rates.of(settings)
    today = now.astimezone(zone).date()
    ids = tuple(m.id for m in reps)
    scope = KpiScope(workspace_id, ids, start, end, zone)
    if shared is None:
        attainment = kpis.objective_attainment(session, scope, rates=rates, metrics=("revenue",))
    else:  # every metric, for the pack too: one read of the objectives and of each figure
        attainment = shared[(start, end, zone.key)] = kpis.objective_attainment(session, scope, rates=rates)
    won = kpis.revenue_won(session, scope)
    closing = kpis.weighted_closing(session, scope)
    planned = kpis.planned_vs_realised_visits(session, scope)
    capital_rows = period_capital(session, workspace_id, reps, now=now, settings=settings)
    gold = under_visited_gold(session, workspace_id, reps, now=now, capital_rows=capital_rows)
    over = over_visited(session, workspace_id, reps, now=now, capital_rows=capital_rows)
    if deals is None:
        deals = (
            _stalled_by_member(session, workspace_id, reps, now=now, today=today, zone=zone, days=settings.stalled_after_days,
                               limit=STALLED_LISTED),
            _flat_probabilities(session, workspace_id, list(ids), limit=5),
        )
    (stalled, stalled_count), (flat, flat_count) = deals
    # (read for every rep of the zone: this group's share)
    stalled_count = {m: stalled_count.get(m, 0) for m in ids}
    flat_count = {m: flat_count.get(m, 0) for m in ids}
    # What period_attainment would read for these reps (same period, same zone): not read again.
    period = {
        m: (attainment.get(m, {}).get("revenue"), _in(rates, closing.get(m, {})), start, end) for m in ids
    }
    risks = risks_for(
        session, workspace_id, reps, now=now, settings=settings, week=scope, attainment=period, planned=planned,
        gold=gold, stalled=stalled_count, flat=flat_count, over=over,
    )
    briefs: dict[int, ReviewBrief] = {}
    for rep in reps:
        rep_attainment = period[rep.id][0]
        rep_won = _in(rates, won.get(rep.id, {}))
        rep_closing = period[rep.id][1]
        plans = planned.get(rep.id) or kpis.PlannedVisits(0, 0, 0)
        target = rep_attainment.target if rep_attainment else None
        briefs[rep.id] = ReviewBrief(
            rep.id, rep.display_name, start, end, currency, target, rep_won, rep_closing,
            rep_attainment.ratio if rep_attainment else None,
            float((rep_won + rep_closing) / target) if target else None,
            plans.done, plans.planned, gold[rep.id], stalled[rep.id], flat[rep.id],
            [r.kind for r in risks if r.member_id == rep.id][:3],
            stalled_total=stalled_count.get(rep.id, 0), flat_total=flat_count.get(rep.id, 0),
            over_visited=over[rep.id],
            won_aside=_aside(rates, won.get(rep.id, {})), closing_aside=_aside(rates, closing.get(rep.id, {})),
        )
    return briefs


def _stalled_by_member(
    session: Session,
    workspace_id: int,
    reps: list[Member],
    *,
    now: datetime,
    today: date,
    zone: ZoneInfo,
    days: int,
    limit: int,
) -> tuple[dict[int, list[StalledDeal]], dict[int, int]]:
    """rep → their ``limit`` biggest stalled deals, and rep → how many they have, for many reps in
    one query: the rule of ``bot.reports.pipeline.pipeline_report``'s stalled deals (no stage change
    and no action by the rep at the account for ``days``), ranked per rep by a window instead of one
    query per rep."""
    ids = [m.id for m in reps]
    names = {m.id: m.display_name for m in reps}
    listed: dict[int, list[StalledDeal]] = {m: [] for m in ids}
    counts = {m: 0 for m in ids}
    ranked = _ranked_stalled(workspace_id, ids, now=now, today=today, days=days)
    # The rep's last action at the account, for the few listed deals only (through ix_action_account).
    last_action = (
        select(func.max(Action.occurred_on))
        .where(
            Action.workspace_id == workspace_id,
            Action.account_id == ranked.c.account_id,
            Action.member_id == ranked.c.member_id,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(ranked, Account.name.label("account"), last_action.label("last_day"))
        .join(Account, Account.id == ranked.c.account_id)
        .where(ranked.c.stalled_rank <= max(limit, 1))  # one row at least: it carries the count
        .order_by(ranked.c.member_id, ranked.c.stalled_rank)
    ).all()
    for row in rows:
        counts[row.member_id] = int(row.total)
        if row.stalled_rank <= limit:
            listed[row.member_id].append(
                StalledDeal(
                    row.id, row.account, row.title, names[row.member_id], row.stage, money(row.amount), row.currency,
                    idle_days(row.updated_at, row.last_day, today=today, zone=zone),
                )
            )
    return listed, counts


def _ranked_stalled(workspace_id: int, ids: list[int], *, now: datetime, today: date, days: int):
    """The reps' stalled deals (no stage change and no action by their rep at the account for
    ``days``), numbered per rep from the biggest and counted per rep, as a subquery."""
    recent = (
        select(Action.member_id, Action.account_id)
        .where(Action.workspace_id == workspace_id, Action.member_id.in_(ids), Action.occurred_on >= today - timedelta(days=days))
        .group_by(Action.member_id, Action.account_id)
        .subquery()
    )
    return (
        select(
            Opportunity.id.label("id"),
            Opportunity.member_id.label("member_id"),
            Opportunity.account_id.label("account_id"),
            Opportunity.title.label("title"),
            Opportunity.stage.label("stage"),
            Opportunity.amount.label("amount"),
            Opportunity.currency.label("currency"),
            Opportunity.updated_at.label("updated_at"),
            func.row_number()
            .over(partition_by=Opportunity.member_id, order_by=(Opportunity.amount.desc(), Opportunity.id))
            .label("stalled_rank"),
            func.count().over(partition_by=Opportunity.member_id).label("total"),
        )
        .outerjoin(recent, and_(recent.c.member_id == Opportunity.member_id, recent.c.account_id == Opportunity.account_id))
        .where(
            Opportunity.workspace_id == workspace_id,
            Opportunity.member_id.in_(ids),
            Opportunity.status == "open",
            Opportunity.updated_at < now - timedelta(days=days),
            recent.c.member_id.is_(None),
        )
        .subquery()
    )


@dataclass
class PeriodSummary:
    """The team's period, for the team channel: collective progress and wins — nobody's shortfall."""

    manager_id: int
    period_start: date
    period_end: date
    currency: str
    team_targets: dict[str, Decimal]
    team_achieved: dict[str, Decimal]
    wins: list[tuple[str, str, str, Decimal]]  # rep, account, title, amount


def period_summary(
    session: Session, manager: Member, team: list[Member], *, now: datetime, settings: WorkspaceSettings, period_day: date
) -> PeriodSummary:
    """The manager's period containing ``period_day``: team objectives against the team's totals, and the wins."""
    zone = ZoneInfo(manager.tz)
    start, end = period_bounds(manager.period, period_day)
    currency, rates = settings.currency, Rates.of(settings)
    ids = tuple(m.id for m in team)
    scope = KpiScope(manager.workspace_id, ids, start, end, zone)
    targets = objectives_of(session, manager, team=True, period_start=start)
    achieved = {
        "revenue": sum((_in(rates, v) for v in kpis.revenue_won(session, scope).values()), Decimal(0)),
        "won_deals": Decimal(sum(kpis.won_deals(session, scope).values())),
        "visits": Decimal(sum(kpis.visits(session, scope).values())),
        "new_opportunities": Decimal(sum(kpis.opportunities_created(session, scope).values())),
    }
    names = {m.id: m.display_name for m in team}
    wins = [
        (names[deal.member_id], deal.account, deal.title, deal.amount)
        for deal in kpis.deals_closed(session, scope, rates=rates, statuses=("won",), limit=10)
    ]
    return PeriodSummary(manager.id, start, end, currency, targets, achieved, wins)
