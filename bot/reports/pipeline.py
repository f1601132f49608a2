"""The weighted pipeline of a rep or a team, computed in SQL (no row is loaded to be summed).

``pipeline_report`` returns plain data; ``bot/dialogs/pipeline.py`` turns it into a Reply
that the Block Kit and text renderers both show, and the App Home reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select, tuple_
from sqlalchemy.orm import Session

from bot.reports.money import as_decimal, money, weighted_money
from bot.services.periods import utc_bounds
from bot.services.stages import stage_order
from storage.models import Account, Action, Member, Opportunity

@dataclass(frozen=True)
class StageTotal:
    stage: str
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal


@dataclass(frozen=True)
class RepTotal:
    member_id: int
    name: str
    currency: str
    deals: int
    weighted: Decimal
    closing_weighted: Decimal
    won_amount: Decimal


@dataclass(frozen=True)
class StalledDeal:
    opportunity_id: int
    account: str
    title: str
    rep: str
    stage: str
    amount: Decimal
    currency: str
    idle_days: int


@dataclass
class PipelineReport:
    period_start: date
    period_end: date
    stages: list[StageTotal] = field(default_factory=list)
    closing: list[StageTotal] = field(default_factory=list)  # expected to close this period, per currency
    won: list[StageTotal] = field(default_factory=list)  # won this period, per currency
    stalled: list[StalledDeal] = field(default_factory=list)
    stalled_count: int = 0
    reps: list[RepTotal] = field(default_factory=list)

    @property
    def open_deals(self) -> int:
        return sum(s.deals for s in self.stages)


def pipeline_report(
    session: Session,
    workspace_id: int,
    member_ids: list[int],
    *,
    period_start: date,
    period_end: date,
    now: datetime,
    today: date,
    zone: ZoneInfo,
    stalled_after_days: int,
    per_rep: bool = False,
    stalled_limit: int = 10,
) -> PipelineReport:
    """Open deals of ``member_ids`` by stage, closing and won this period, and the stalled ones.

    One grouped pass over the open deals and this period's wins (by rep, status, stage and
    currency: a few hundred rows for a team of 50) gives every total, folded here without mixing
    currencies; a second query finds the stalled deals.
    """
    report = PipelineReport(period_start, period_end)
    if not member_ids:
        return report
    totals = _Totals()
    for row in _grouped_deals(session, workspace_id, member_ids, period_start, period_end, zone):
        totals.add(*row)
    report.stages, report.closing, report.won = totals.stages(), totals.closing(), totals.won()
    report.stalled, report.stalled_count = _stalled(
        session, workspace_id, member_ids, now=now, today=today, zone=zone, days=stalled_after_days, limit=stalled_limit
    )
    if per_rep and totals.reps:
        report.reps = totals.rep_totals(session)
    return report


def _grouped_deals(
    session: Session, workspace_id: int, member_ids: list[int], period_start: date, period_end: date, zone: ZoneInfo
) -> list:
    """The open deals and the period's wins of ``member_ids``, grouped by rep, status, stage and
    currency: deals, amount, weighted x 100, and the same three for the deals closing in the period."""
    start_utc, end_utc = utc_bounds(period_start, period_end, zone)
    is_open = Opportunity.status == "open"
    won_in_period = and_(Opportunity.status == "won", Opportunity.closed_at >= start_utc, Opportunity.closed_at < end_utc)
    closing = and_(is_open, Opportunity.expected_close_on.between(period_start, period_end))
    hundredths = Opportunity.amount * Opportunity.probability  # weighted x 100, exact: divided once per figure
    zero = literal(0)
    return session.execute(
        select(
            Opportunity.member_id,
            Opportunity.status,
            Opportunity.stage,
            Opportunity.currency,
            func.count(),
            func.sum(Opportunity.amount),
            func.sum(hundredths),
            func.sum(case((closing, 1), else_=zero)),
            func.sum(case((closing, Opportunity.amount), else_=zero)),
            func.sum(case((closing, hundredths), else_=zero)),
        )
        .where(Opportunity.workspace_id == workspace_id, Opportunity.member_id.in_(member_ids), is_open | won_in_period)
        .group_by(Opportunity.member_id, Opportunity.status, Opportunity.stage, Opportunity.currency)
    ).all()


@dataclass
class _Totals:
    """The grouped rows of ``_grouped_deals`` folded per stage, per currency and per rep."""

    by_stage: dict[tuple[str, str], list] = field(default_factory=dict)  # (stage, currency) → deals, amount, weighted
    by_closing: dict[str, list] = field(default_factory=dict)  # currency → deals, amount, weighted
    by_won: dict[str, list] = field(default_factory=dict)  # currency → deals, amount
    reps: dict[tuple[int, str], list] = field(default_factory=dict)  # (rep, currency) → deals, weighted, closing, won

    def add(self, member_id, status, stage, currency, deals, amount, weighted, c_deals, c_amount, c_weighted) -> None:
        deals, c_deals = int(deals or 0), int(c_deals or 0)
        amount, weighted, c_amount, c_weighted = (as_decimal(v) for v in (amount, weighted, c_amount, c_weighted))
        rep = self.reps.setdefault((member_id, currency), [0, Decimal(0), Decimal(0), Decimal(0)])
        if status == "open":
            _add(self.by_stage.setdefault((stage, currency), [0, Decimal(0), Decimal(0)]), deals, amount, weighted)
            if c_deals:
                _add(self.by_closing.setdefault(currency, [0, Decimal(0), Decimal(0)]), c_deals, c_amount, c_weighted)
            _add(rep, deals, weighted, c_weighted, Decimal(0))
        else:
            _add(self.by_won.setdefault(currency, [0, Decimal(0)]), deals, amount)
            _add(rep, 0, Decimal(0), Decimal(0), amount)

    def stages(self) -> list[StageTotal]:
        return sorted(
            (StageTotal(stage, cur, n, money(a), weighted_money(w)) for (stage, cur), (n, a, w) in self.by_stage.items()),
            key=lambda s: (stage_order(s.stage), s.currency),
        )

    def closing(self) -> list[StageTotal]:
        return [
            StageTotal("closing_period", cur, n, money(a), weighted_money(w))
            for cur, (n, a, w) in sorted(self.by_closing.items())
        ]

    def won(self) -> list[StageTotal]:
        return [StageTotal("won", cur, n, money(a), money(a)) for cur, (n, a) in sorted(self.by_won.items())]

    def rep_totals(self, session: Session) -> list[RepTotal]:
        ids = {m for m, _c in self.reps}
        names = dict(session.execute(select(Member.id, Member.display_name).where(Member.id.in_(ids))).all())
        return sorted(
            (
                RepTotal(mid, names.get(mid, ""), cur, n, weighted_money(w), weighted_money(cw), money(won_amount))
                for (mid, cur), (n, w, cw, won_amount) in self.reps.items()
            ),
            key=lambda r: (r.name, r.currency, r.member_id),
        )


def _add(totals: list, *values: object) -> None:
    for i, value in enumerate(values):
        totals[i] += value


def _stalled(
    session: Session,
    workspace_id: int,
    member_ids: list[int],
    *,
    now: datetime,
    today: date,
    zone: ZoneInfo,
    days: int,
    limit: int,
) -> tuple[list[StalledDeal], int]:
    """Open deals with no stage change and no action by their rep on the account for ``days``:
    the ``limit`` largest (amount, then id) and how many there are."""
    ids, count = _largest_idle(session, workspace_id, member_ids, now=now, today=today, days=days, limit=max(limit, 1))
    rows = _deal_rows(session, ids)
    last_days = _last_action_days(session, workspace_id, {row.account_id for row in rows})
    deals = [_stalled_deal(row, last_days, today=today, zone=zone) for row in rows]
    return deals[: max(limit, 0)], count


def _idle_deals(
    dialect: str, workspace_id: int, member_ids: list[int], *, now: datetime, today: date, days: int, columns: list
):
    """``columns`` of the open deals not touched for ``days``: no stage change (updated_at) and no
    action by their rep on the account since ``today - days``.

    The (rep, account) pairs with a recent action are few (a few weeks of the team's actions, read
    through the day indexes: some 4,000 pairs for 50 reps) and each open deal is checked against
    them once: one pass over the deals, whatever their number. On PostgreSQL as ``NOT IN``, read
    once into a hash (a "hashed SubPlan"; the columns are NOT NULL, so it means "not among"):
    ``NOT IN`` is never turned into a join, so no estimate can choose a nested loop over the pairs,
    and it ran 3 times faster than the anti join of a LEFT JOIN at 100,000 deals. (The hash must fit
    in hash_mem, 8 MB by default: a year of 50 reps' actions, 200,000 rows, still does.) On SQLite as that
    LEFT JOIN … IS NULL, which probes an automatic index on the pairs; SQLite scans a row-value
    ``NOT IN`` list without an index (6 s at 100,000 deals).
    """
    since = today - timedelta(days=days)
    recent = select(Action.member_id, Action.account_id).where(
        Action.workspace_id == workspace_id, Action.member_id.in_(member_ids), Action.occurred_on >= since
    )
    query = select(*columns).select_from(Opportunity)
    if dialect == "postgresql":
        untouched = tuple_(Opportunity.member_id, Opportunity.account_id).not_in(recent)
    else:
        pairs = recent.group_by(Action.member_id, Action.account_id).subquery("recent")
        query = query.outerjoin(
            pairs, and_(pairs.c.member_id == Opportunity.member_id, pairs.c.account_id == Opportunity.account_id)
        )
        untouched = pairs.c.member_id.is_(None)
    return query.where(
        Opportunity.workspace_id == workspace_id,
        Opportunity.member_id.in_(member_ids),
        Opportunity.status == "open",
        Opportunity.updated_at < now - timedelta(days=days),
        untouched,
    )


def _largest_idle(
    session: Session, workspace_id: int, member_ids: list[int], *, now: datetime, today: date, days: int, limit: int
) -> tuple[list[int], int]:
    """The ids of the ``limit`` largest idle deals, and the number of idle deals, in one statement.

    The idle set is a MATERIALIZED CTE (PostgreSQL 12+, SQLite 3.35+), computed once and read
    twice, for its size and for its top rows. Written as one query with ``LIMIT`` and
    ``count(*) OVER ()`` over a LEFT JOIN, PostgreSQL estimated that a nested-loop anti join would
    find the first rows at once, and at 100,000 open deals spent 11 s comparing every deal with
    every recent pair before the window could count them.
    """
    idle = (
        _idle_deals(session.get_bind().dialect.name, workspace_id, member_ids, now=now, today=today, days=days,
                    columns=[Opportunity.id.label("id"), Opportunity.amount.label("amount")])
        .cte("idle")
        .prefix_with("MATERIALIZED")
    )
    total = select(func.count()).select_from(idle).scalar_subquery()
    rows = session.execute(
        select(idle.c.id, total.label("total")).order_by(idle.c.amount.desc(), idle.c.id).limit(limit)
    ).all()
    return [row.id for row in rows], (int(rows[0].total) if rows else 0)


def _deal_rows(session: Session, ids: list[int]) -> list:
    """What a stalled line shows of the deals ``ids``, in the order of ``ids``."""
    if not ids:
        return []
    rows = session.execute(
        select(
            Opportunity.id, Opportunity.member_id, Opportunity.account_id, Account.name.label("account"),
            Opportunity.title, Member.display_name.label("rep"), Opportunity.stage, Opportunity.amount,
            Opportunity.currency, Opportunity.updated_at,
        )
        .join(Account, Account.id == Opportunity.account_id)
        .join(Member, Member.id == Opportunity.member_id)
        .where(Opportunity.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _last_action_days(session: Session, workspace_id: int, account_ids: set[int]) -> dict[tuple[int, int], date]:
    """(rep, account) → the day of the rep's last action on the account, for a few accounts.

    Read through the account index (a few dozen actions per account). Keep this query this plain:
    with a GROUP BY or a day range, SQLite (without statistics) walks the workspace's actions
    through a day index instead.
    """
    last_days: dict[tuple[int, int], date] = {}
    if not account_ids:
        return last_days
    for member_id, account_id, day in session.execute(
        select(Action.member_id, Action.account_id, Action.occurred_on).where(
            Action.workspace_id == workspace_id, Action.account_id.in_(account_ids)
        )
    ):
        key = (member_id, account_id)
        if day > last_days.get(key, date.min):
            last_days[key] = day
    return last_days


def _stalled_deal(row, last_days: dict[tuple[int, int], date], *, today: date, zone: ZoneInfo) -> StalledDeal:
    last_day = last_days.get((row.member_id, row.account_id))
    return StalledDeal(
        row.id, row.account, row.title, row.rep, row.stage, money(row.amount), row.currency,
        idle_days(row.updated_at, last_day, today=today, zone=zone),
    )


def idle_days(updated_at: datetime, last_action_day: date | None, *, today: date, zone: ZoneInfo) -> int:
    """Days since a deal was last touched: its last stage change or its rep's last action at the account.

    ``updated_at`` is UTC; idle days count in the rep's calendar, like ``today`` and ``occurred_on``."""
    last_touch = max(updated_at.astimezone(zone).date(), last_action_day or date.min)
    return (today - last_touch).days


def by_currency(totals: list[StageTotal], attr: str) -> dict[str, Decimal]:
    """Fold a few already-aggregated lines into one figure per currency (amounts never mix currencies)."""
    out: dict[str, Decimal] = {}
    for total in totals:
        out[total.currency] = out.get(total.currency, Decimal(0)) + getattr(total, attr)
    return out


def stalled_counts_by_member(
    session: Session, workspace_id: int, member_ids: list[int], *, now: datetime, today: date, days: int
) -> dict[int, int]:
    """member → stalled open deals, for a whole team in one query (same rule as ``_stalled``)."""
    if not member_ids:
        return {}
    idle = _idle_deals(session.get_bind().dialect.name, workspace_id, member_ids, now=now, today=today, days=days,
                       columns=[Opportunity.member_id.label("member_id")]).subquery("idle")
    rows = session.execute(select(idle.c.member_id, func.count()).group_by(idle.c.member_id)).all()
    counts = {m: 0 for m in member_ids}
    counts.update({member_id: int(count) for member_id, count in rows})
    return counts
