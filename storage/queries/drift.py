"""Clients kept: each client's usual rhythm, the ones drifting away, and requalification hints.

One grouped pass over the actions of the last ``history_days`` (by account, then by day: the
covering index ``ix_action_account_day`` of migration 0012) gives, per client account, its contact
days, first and last contact, and the orders and contact days of the recent and earlier windows.
The rules read those figures in memory:

* ``no_contact``: no contact for ``gap_times`` its usual gap (and ``silence_days`` at least); the
  usual gap is learnt from ``min_contact_days`` contact days or more.
* ``orders_dropping``: orders (actions whose result is an order or a win) over the last
  ``recent_days`` under ``(100 - orders_drop_pct) %`` of the earlier rate (two earlier orders at least).
* ``lost_no_follow_up``: a deal lost in the last ``history_days``, ``lost_days`` ago or more, and
  no action nor planned item on the account since.

Requalification: a bronze client with rising activity (recent contact days at least ``rise_pct`` of
the window before, ``min_contact_days`` at least) and a deal won recently → silver; a gold client
whose activity fell to ``fall_pct`` of the window before or less → review.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from storage.models import Account, Action, Opportunity, Plan

ORDER_RESULTS = ("order", "won")
REASONS = ("no_contact", "orders_dropping", "lost_no_follow_up")
SEGMENT_WEIGHT = {"gold": 1.5, "silver": 1.2}


@dataclass(frozen=True)
class DriftRules:
    """The thresholds of the drift and requalification rules (workspace settings ``drift …``)."""

    history_days: int = 540  # the rhythm is learnt over this many days
    min_contact_days: int = 3  # contact days needed before a rhythm means anything
    gap_times: int = 2  # silent for this many usual gaps …
    silence_days: int = 30  # … and this many days at least
    recent_days: int = 180  # the recent window of orders
    orders_drop_pct: int = 50  # orders fell by this much against the earlier rate
    lost_days: int = 14  # a lost deal with no follow-up this long after
    activity_days: int = 90  # requalification compares the last 90 days with the 90 before
    rise_pct: int = 150
    fall_pct: int = 50


@dataclass(frozen=True)
class Rhythm:
    """One client account's figures over the history window."""

    account_id: int
    name: str
    owner_id: int
    segment: str | None
    contact_days: int = 0
    first_contact: date | None = None
    last_contact: date | None = None
    orders_recent: int = 0
    orders_before: int = 0
    active_recent: int = 0  # contact days in the last ``activity_days``
    active_before: int = 0  # contact days in the ``activity_days`` before

    @property
    def usual_gap(self) -> float | None:
        """Mean days between two contact days, when there are enough of them."""
        if self.contact_days < 2 or self.first_contact is None or self.last_contact is None:
            return None
        return (self.last_contact - self.first_contact).days / (self.contact_days - 1)


@dataclass(frozen=True)
class DriftingAccount:
    """A client drifting away: why (``reasons``, in ``REASONS`` order) and how much (``score``)."""

    account_id: int
    name: str
    owner_id: int
    segment: str | None
    reasons: tuple[str, ...]
    score: float
    last_contact: date | None
    silent_days: int | None
    usual_gap_days: int | None
    orders_recent: int
    orders_before: int


@dataclass(frozen=True)
class Requalification:
    """A segment change worth considering: bronze → silver, or a gold account to review."""

    account_id: int
    name: str
    owner_id: int
    segment: str
    suggestion: str  # silver | review
    active_recent: int
    active_before: int


def client_rhythms(
    session: Session, workspace_id: int, today: date, rules: DriftRules, *, rep_ids: Iterable[int] | None = None
) -> list[Rhythm]:
    """Every client account of ``rep_ids`` (all owners when None) with its figures at ``today``."""
    since = today - timedelta(days=rules.history_days)
    recent = today - timedelta(days=rules.recent_days)
    active = today - timedelta(days=rules.activity_days)
    before = active - timedelta(days=rules.activity_days)
    clients = select(Account.id).where(Account.workspace_id == workspace_id, Account.status == "client")
    owners = None if rep_ids is None else sorted(set(rep_ids))
    if owners is not None:
        clients = clients.where(Account.owner_id.in_(owners))
    # Each account's figures in one grouped pass; a day counts once however many actions it holds
    # (COUNT(DISTINCT day): no inner GROUP BY of every (account, day) to hash, and spill, first).
    day = Action.occurred_on
    ordered = Action.result.in_(ORDER_RESULTS)

    def days_when(condition):
        return func.count(case((condition, day), else_=None).distinct())

    per_account = (
        select(
            Action.account_id,
            func.count(day.distinct()),
            func.min(day),
            func.max(day),
            days_when(and_(day >= recent, ordered)),
            days_when(and_(day < recent, ordered)),
            days_when(day >= active),
            days_when(and_(day >= before, day < active)),
        )
        .where(Action.workspace_id == workspace_id, day >= since, day <= today, Action.account_id.in_(clients))
        .group_by(Action.account_id)
    )
    figures = {row[0]: row[1:] for row in session.execute(per_account)}
    accounts = select(Account.id, Account.name, Account.owner_id, Account.segment).where(
        Account.workspace_id == workspace_id, Account.status == "client", Account.owner_id.is_not(None)
    )
    if owners is not None:
        accounts = accounts.where(Account.owner_id.in_(owners))
    out = []
    for account_id, name, owner_id, segment in session.execute(accounts):
        f = figures.get(account_id)
        if f is None:
            out.append(Rhythm(account_id, name, owner_id, segment))
            continue
        count, first, last, o_recent, o_before, a_recent, a_before = f
        out.append(Rhythm(account_id, name, owner_id, segment, int(count), _day(first), _day(last),
                          int(o_recent or 0), int(o_before or 0), int(a_recent or 0), int(a_before or 0)))
    return out


def _day(value: date | str | None) -> date | None:
    """A day as the database returns it from MIN/MAX (SQLite: text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def drifting_accounts(
    session: Session,
    workspace_id: int,
    now: datetime,
    *,
    rep_ids: Iterable[int] | None = None,
    limit: int | None = None,
    rules: DriftRules | None = None,
    today: date | None = None,
) -> list[DriftingAccount]:
    """The client accounts of ``rep_ids`` (every rep's when None) drifting away at ``now``, most
    drifting first. ``today`` defaults to ``now``'s UTC day (the rules count tens of days)."""
    drifting, _requalify = clients_kept(session, workspace_id, now, rep_ids=rep_ids, rules=rules, today=today,
                                        requalify=False)
    return drifting if limit is None else drifting[:limit]


def _drifting(
    session: Session, workspace_id: int, today: date, rules: DriftRules, rhythms: list[Rhythm], rep_ids: Iterable[int] | None
) -> list[DriftingAccount]:
    lost = _lost_without_follow_up(session, workspace_id, today, rules, [r.account_id for r in rhythms], rep_ids)
    out = [d for r in rhythms if (d := _drift_of(r, today, rules, r.account_id in lost)) is not None]
    out.sort(key=lambda d: (-d.score, d.name, d.account_id))
    return out


def _drift_of(r: Rhythm, today: date, rules: DriftRules, lost: bool) -> DriftingAccount | None:
    """The rules for one account; None when it is kept."""
    reasons: list[str] = []
    score = 0.0
    gap = r.usual_gap
    silent = (today - r.last_contact).days if r.last_contact else None
    if gap is not None and silent is not None and r.contact_days >= rules.min_contact_days:
        if silent >= max(rules.gap_times * gap, rules.silence_days):
            reasons.append("no_contact")
            score += silent / max(gap, 1.0)
    older_days = max(rules.history_days - rules.recent_days, 1)
    expected = r.orders_before * rules.recent_days / older_days
    if r.orders_before >= 2 and r.orders_recent < expected * (100 - rules.orders_drop_pct) / 100:
        reasons.append("orders_dropping")
        score += 1 + (expected - r.orders_recent) / expected
    if lost:
        reasons.append("lost_no_follow_up")
        score += 1.5
    if not reasons:
        return None
    return DriftingAccount(
        r.account_id, r.name, r.owner_id, r.segment, tuple(reasons), round(score * SEGMENT_WEIGHT.get(r.segment or "", 1.0), 3),
        r.last_contact, silent, round(gap) if gap is not None else None, r.orders_recent, r.orders_before,
    )


def _lost_without_follow_up(
    session: Session, workspace_id: int, today: date, rules: DriftRules, account_ids: list[int], rep_ids: Iterable[int] | None
) -> set[int]:
    """Client accounts whose last lost deal closed ``lost_days`` ago or more (within the history)
    and got, since, no action logged, no planned item and no open deal."""
    if not account_ids:
        return set()
    oldest = datetime.combine(today - timedelta(days=rules.history_days), datetime.min.time(), UTC)
    latest = datetime.combine(today - timedelta(days=rules.lost_days - 1), datetime.min.time(), UTC)
    lost = (
        select(Opportunity.account_id.label("account_id"), func.max(Opportunity.closed_at).label("lost_at"))
        .where(Opportunity.workspace_id == workspace_id, Opportunity.status == "lost", Opportunity.closed_at >= oldest)
        .group_by(Opportunity.account_id)
    )
    if rep_ids is not None:
        lost = lost.where(Opportunity.member_id.in_(sorted(set(rep_ids))))
    last = lost.subquery()
    open_deal = select(Opportunity.id).where(
        Opportunity.workspace_id == workspace_id, Opportunity.account_id == last.c.account_id, Opportunity.status == "open"
    )
    logged = select(Action.id).where(
        Action.workspace_id == workspace_id, Action.account_id == last.c.account_id, Action.logged_at >= last.c.lost_at
    )
    planned = select(Plan.id).where(
        Plan.workspace_id == workspace_id, Plan.account_id == last.c.account_id, Plan.created_at >= last.c.lost_at
    )
    rows = session.execute(
        select(last.c.account_id).where(
            last.c.lost_at < latest, ~open_deal.exists(), ~logged.exists(), ~planned.exists()
        )
    )
    wanted = set(account_ids)
    return {a for (a,) in rows if a in wanted}


def requalification_suggestions(
    session: Session,
    workspace_id: int,
    now: datetime,
    *,
    rep_ids: Iterable[int] | None = None,
    rules: DriftRules | None = None,
    today: date | None = None,
    rhythms: list[Rhythm] | None = None,
) -> list[Requalification]:
    """Bronze clients worth silver (rising activity and a recent win), gold clients to review
    (falling activity); the biggest change first."""
    rules = rules or DriftRules()
    today = today or now.astimezone(UTC).date()
    if rhythms is None:  # read a few hundred reps at a time
        return clients_kept(session, workspace_id, now, rep_ids=rep_ids, rules=rules, today=today)[1]
    bronze = [r for r in rhythms if r.segment == "bronze" and _rising(r, rules)]
    won = _won_recently(session, workspace_id, today, rules, [r.account_id for r in bronze])
    out = [Requalification(r.account_id, r.name, r.owner_id, "bronze", "silver", r.active_recent, r.active_before)
           for r in bronze if r.account_id in won]
    out += [Requalification(r.account_id, r.name, r.owner_id, "gold", "review", r.active_recent, r.active_before)
            for r in rhythms if r.segment == "gold" and _falling(r, rules)]
    out.sort(key=lambda q: (-abs(q.active_recent - q.active_before), q.name, q.account_id))
    return out


def _rising(r: Rhythm, rules: DriftRules) -> bool:
    return r.active_recent >= rules.min_contact_days and r.active_recent * 100 >= rules.rise_pct * max(r.active_before, 1)


def _falling(r: Rhythm, rules: DriftRules) -> bool:
    return r.active_before >= rules.min_contact_days and r.active_recent * 100 <= rules.fall_pct * r.active_before


def _won_recently(session: Session, workspace_id: int, today: date, rules: DriftRules, account_ids: list[int]) -> set[int]:
    if not account_ids:
        return set()
    since = datetime.combine(today - timedelta(days=2 * rules.activity_days), datetime.min.time(), UTC)
    rows = session.execute(
        select(Opportunity.account_id).where(
            Opportunity.workspace_id == workspace_id, Opportunity.status == "won", Opportunity.closed_at >= since,
            Opportunity.account_id.in_(account_ids),
        ).distinct()
    )
    return {a for (a,) in rows}


# Reps in one read. SQLite: an IN (…) used twice, under its older 999-parameter bound. PostgreSQL
# reads the actions of the window in one pass (a sequential scan and a hash join): one read for
# them all, not one pass per few hundred reps.
OWNERS_PER_READ = {"sqlite": 400}
OWNERS_PER_READ_DEFAULT = 5000


def clients_kept(
    session: Session, workspace_id: int, now: datetime, *, rep_ids: Iterable[int] | None = None,
    rules: DriftRules | None = None, today: date | None = None, requalify: bool = True,
) -> tuple[list[DriftingAccount], list[Requalification]]:
    """Both lists of ``rep_ids``' clients (every owner's when None) from one read of their rhythms
    (``OWNERS_PER_READ`` reps at a time); most drifting first, biggest change first."""
    rules = rules or DriftRules()
    today = today or now.astimezone(UTC).date()
    owners = None if rep_ids is None else sorted(set(rep_ids))
    size = OWNERS_PER_READ.get(session.get_bind().dialect.name, OWNERS_PER_READ_DEFAULT)
    chunks = [None] if owners is None else [owners[i : i + size] for i in range(0, len(owners), size)]
    drifting: list[DriftingAccount] = []
    hints: list[Requalification] = []
    for chunk in chunks:
        rhythms = client_rhythms(session, workspace_id, today, rules, rep_ids=chunk)
        drifting += _drifting(session, workspace_id, today, rules, rhythms, chunk)
        if requalify:
            hints += requalification_suggestions(session, workspace_id, now, rules=rules, today=today, rhythms=rhythms)
    drifting.sort(key=lambda d: (-d.score, d.name, d.account_id))
    hints.sort(key=lambda q: (-abs(q.active_recent - q.active_before), q.name, q.account_id))
    return drifting, hints


def drift_counts(drifting: list[DriftingAccount]) -> dict[int, int]:
    """owner → how many of their clients drift."""
    counts: dict[int, int] = {}
    for d in drifting:
        counts[d.owner_id] = counts.get(d.owner_id, 0) + 1
    return counts
