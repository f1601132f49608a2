"""Planning: visits, calls and follow-ups ("relances"), planned by hand or by Carnet itself.

Carnet plans a relance after a proposal unless the rep already has one, and keeps each
account's visit capital by planning the next visit at the rhythm it gives (bot/services/capital.py). A plan
is ``planned`` until it is done (an action logged), cancelled, or its day passes (``missed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from bot.services.capital import IN_PERSON, next_visit_day
from bot.services.team import known_zone
from bot.services.workspace_settings import WorkspaceSettings
from storage.locks import serialize
from storage.models import AUTO_RELANCE_OPEN, Account, Action, Member, Plan
from storage.queries.capital import capital_of

DEFAULT_HOUR = time(9, 0)  # a day without an hour means the start of the working day
OPEN_STATUSES = ("planned", "missed")
MISSED_MEMORY = timedelta(days=14)  # a missed item keeps showing in the agenda (and counts as open) for two weeks
RELANCE_RESULTS = ("proposal", "to_follow_up")


class PlanError(Exception):
    """A planning change Carnet refuses; ``code`` names the catalogue sentence ``plan.error.<code>``."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


def local_to_utc(wall_time: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall time in ``zone`` → aware UTC (a time skipped by a DST change moves forward)."""
    aware = wall_time.replace(tzinfo=zone)
    back = aware.astimezone(timezone.utc).astimezone(zone)
    if back.replace(tzinfo=None) != wall_time:  # in the spring-forward gap: take the first valid instant
        aware = (wall_time + timedelta(hours=1)).replace(tzinfo=zone)
    return aware.astimezone(timezone.utc)


def next_workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def create_plan(
    session: Session,
    member: Member,
    account: Account,
    *,
    action_type: str,
    due_at: datetime,
    has_time: bool,
    now: datetime,
    source: str = "manual",
    note: str | None = None,
    origin_action_id: int | None = None,
) -> Plan:
    """Plan ``action_type`` at ``account`` for ``due_at`` (UTC, in the future)."""
    if due_at <= now:
        raise PlanError("past_when")
    plan = Plan(
        workspace_id=member.workspace_id,
        member_id=member.id,
        account_id=account.id,
        action_type=action_type,
        due_at=due_at,
        has_time=has_time,
        status="planned",
        source=source,
        note=note,
        origin_action_id=origin_action_id,
        created_at=now,
        updated_at=now,
        account=account,
        member=member,
    )
    session.add(plan)
    session.flush()
    return plan


def get_plan(session: Session, workspace_id: int, plan_id: int) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.workspace_id == workspace_id, Plan.id == plan_id))


def _own_open(plan: Plan, member: Member) -> None:
    if plan.member_id != member.id:
        raise PlanError("not_yours")
    if plan.status not in OPEN_STATUSES:
        raise PlanError("not_open", status=plan.status)


def _drop_queued_reminders(session: Session, plan: Plan) -> None:
    # A reminder already queued for the old time would announce a visit that moved or ended.
    from bot.services.outbox import drop_pending

    drop_pending(session, workspace_id=plan.workspace_id, key_prefix=f"reminder:plan:{plan.id}:")


def reschedule(session: Session, plan: Plan, member: Member, *, due_at: datetime, has_time: bool, now: datetime) -> Plan:
    """Move a planned (or missed) item to ``due_at``; a done or cancelled one cannot move."""
    _own_open(plan, member)
    if due_at <= now:
        raise PlanError("past_when")
    _drop_queued_reminders(session, plan)
    if plan.status != "planned" and plan.source == "auto_relance" and _has_open_auto_relance(session, plan):
        # A missed automatic relance moved by hand beside the newer one Carnet planned since:
        # the rep wants both, so this one becomes theirs (one open *automatic* relance each).
        plan.source = "manual"
    plan.due_at = due_at
    plan.has_time = has_time
    plan.status = "planned"
    plan.updated_at = now
    return plan


def cancel(session: Session, plan: Plan, member: Member, *, now: datetime) -> Plan:
    _own_open(plan, member)
    _drop_queued_reminders(session, plan)
    plan.status = "cancelled"
    plan.updated_at = now
    return plan


def mark_done(session: Session, plan: Plan, *, action_id: int | None, now: datetime) -> bool:
    """The planned item happened (an action was logged); False when it was already closed."""
    if plan.status not in OPEN_STATUSES:
        return False
    _drop_queued_reminders(session, plan)
    plan.status = "done"
    plan.done_action_id = action_id
    plan.updated_at = now
    return True


def complete_matching_plans(session: Session, action: Action, *, zone: ZoneInfo, now: datetime) -> list[Plan]:
    """Mark done the rep's open plans at the action's account that this action fulfils.

    A relance is fulfilled by any contact; a visit by an in-person action; other plans by an
    action of their own type. Plans due up to the day after the action count (a visit done a
    day early is still done)."""
    horizon = local_to_utc(datetime.combine(action.occurred_on + timedelta(days=2), time.min), zone)
    candidates = session.scalars(
        select(Plan).where(
            Plan.workspace_id == action.workspace_id,
            Plan.member_id == action.member_id,
            Plan.account_id == action.account_id,
            Plan.status.in_(OPEN_STATUSES),
            Plan.due_at < horizon,
        )
    ).all()
    done = []
    for plan in candidates:
        fits = (
            plan.action_type == "follow_up"
            or plan.action_type == action.action_type
            or (plan.action_type in IN_PERSON and action.action_type in IN_PERSON)
        )
        if fits and mark_done(session, plan, action_id=action.id, now=now):
            done.append(plan)
    return done


def has_open_plan(session: Session, member_id: int, account_id: int, action_types: tuple[str, ...]) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Plan.member_id == member_id,
                    Plan.account_id == account_id,
                    Plan.status == "planned",
                    Plan.action_type.in_(action_types),
                )
            )
        )
    )


def auto_relance_day(
    session: Session, member: Member, account_id: int | None, result: str | None, occurred_on: date,
    settings: WorkspaceSettings, *, now: datetime,
) -> date | None:
    """The day Carnet plans a relance after an action with ``result`` at the account; None when it
    does not (no such result, or the rep already has a follow-up, call or email planned there)."""
    if result in RELANCE_RESULTS:
        days = settings.relance_after_days
    elif result == "send_documentation":
        days = settings.documentation_relance_days
    else:
        return None
    if days <= 0 or (account_id is not None and has_open_plan(session, member.id, account_id, ("follow_up", "call", "email"))):
        return None
    return next_workday(max(occurred_on, now.astimezone(ZoneInfo(member.tz)).date()) + timedelta(days=days))


def auto_relance(
    session: Session, member: Member, action: Action, settings: WorkspaceSettings, *, now: datetime
) -> Plan | None:
    """After a proposal (or "send documentation"), plan a relance unless the rep already has one."""
    day = auto_relance_day(session, member, action.account_id, action.result, action.occurred_on, settings, now=now)
    if day is None:
        return None
    due_at = local_to_utc(datetime.combine(day, DEFAULT_HOUR), ZoneInfo(member.tz))
    return _insert_auto_relance(session, member, action, due_at=due_at, now=now)


def _has_open_auto_relance(session: Session, plan: Plan) -> bool:
    """Whether the rep has another open automatic relance at ``plan``'s account."""
    others = aliased(Plan)
    return bool(
        session.scalar(
            select(
                exists().where(
                    others.workspace_id == plan.workspace_id,
                    others.member_id == plan.member_id,
                    others.account_id == plan.account_id,
                    others.id != plan.id,
                    others.status == "planned",
                    others.source == "auto_relance",
                )
            )
        )
    )


def _insert_auto_relance(session: Session, member: Member, action: Action, *, due_at: datetime, now: datetime) -> Plan | None:
    """Insert the relance unless an open automatic one exists (the unique index
    ``uq_plan_open_auto_relance`` decides): a concurrent /log at the same account cannot be
    seen by ``has_open_plan`` until it commits, so its relance may be there already.
    The action itself is stored either way; None when the other relance won."""
    values = dict(
        workspace_id=member.workspace_id, member_id=member.id, account_id=action.account_id,
        action_type="follow_up", due_at=due_at, has_time=False, status="planned", source="auto_relance",
        origin_action_id=action.id, created_at=now, updated_at=now,
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Plan)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[Plan.workspace_id, Plan.member_id, Plan.account_id], index_where=AUTO_RELANCE_OPEN
        )
        .returning(Plan.id)
    )
    plan_id = session.execute(statement).scalar()
    return session.get(Plan, plan_id) if plan_id is not None else None


def ensure_segment_visits(session: Session, workspace_id: int, settings: WorkspaceSettings, *, now: datetime) -> int:
    """Give each account with a visit capital its next visit: the last one + the rhythm the capital
    gives (a year / capital: gold 12 a year → every 30 days), tomorrow when never visited or late.

    Idempotent: an account that already has a planned visit — or a missed one still shown in the
    agenda — is left alone (else each missed visit would plan another, day after day). Returns
    how many visits were planned."""
    # Two workers ticking at once would both read "no visit planned" and both plan one.
    serialize(session, "segment visits", workspace_id)
    planned_visit = aliased(Plan)
    last_visit = (
        select(Action.account_id, func.max(Action.occurred_on).label("last_day"))
        .where(Action.workspace_id == workspace_id, Action.action_type.in_(IN_PERSON))
        .group_by(Action.account_id)
        .subquery()
    )
    capital = capital_of(settings.visit_capital)
    rows = session.execute(
        select(Account.id, Member.id, Member.tz, capital, last_visit.c.last_day)
        .join(Member, Member.id == Account.owner_id)
        .outerjoin(last_visit, last_visit.c.account_id == Account.id)
        .where(
            Account.workspace_id == workspace_id,
            capital > 0,
            ~exists().where(
                and_(
                    # The workspace too, so the index (workspace_id, account_id, status) serves the
                    # lookup: without it SQLite read every planned item once per key account.
                    planned_visit.workspace_id == workspace_id,
                    planned_visit.account_id == Account.id,
                    (planned_visit.status == "planned")
                    | ((planned_visit.status == "missed") & (planned_visit.due_at >= now - MISSED_MEMORY)),
                    planned_visit.action_type.in_(IN_PERSON),
                )
            ),
        )
        .order_by(Account.id)  # plans are created in the accounts' order, whatever plan the database picks
    ).all()
    visits = []
    for account_id, owner_id, tz, yearly, last_day in rows:
        zone = known_zone(tz)
        if zone is None:  # the owner's day is unknown: their visits wait until their time zone is fixed
            continue
        due_day = next_workday(next_visit_day(last_day, int(yearly), now.astimezone(zone).date()))
        visits.append(dict(
            workspace_id=workspace_id, member_id=owner_id, account_id=account_id, action_type="visit",
            due_at=local_to_utc(datetime.combine(due_day, DEFAULT_HOUR), zone), has_time=False, status="planned",
            source="segment", created_at=now, updated_at=now,
        ))
    # One multi-row INSERT, written last: the demo's first tick plans ~7,000 visits, and one flush
    # each held SQLite's write lock for 20 s.
    if visits:
        session.execute(insert(Plan), visits)
    return len(visits)


def mark_missed(session: Session, *, now: datetime, workspace_id: int | None = None) -> list[int]:
    """Planned items whose day has passed in their rep's time zone become ``missed``; returns their ids.

    Read as plain columns and written by a few UPDATEs at the end, so that the write (on SQLite, the
    write lock) lasts milliseconds. A rep whose time zone is unknown (``known_zone``) is left alone:
    nobody knows when their day ended."""
    query = (
        select(Plan.id, Plan.due_at, Member.tz)
        .join(Member, Member.id == Plan.member_id)
        .where(Plan.status == "planned", Plan.due_at < now)
    )
    if workspace_id is not None:
        query = query.where(Plan.workspace_id == workspace_id)
    missed = []
    for plan_id, due_at, tz in session.execute(query.order_by(Plan.id)):
        zone = known_zone(tz)
        if zone is not None and due_at.astimezone(zone).date() < now.astimezone(zone).date():
            missed.append(plan_id)
    for start in range(0, len(missed), 500):
        session.execute(
            update(Plan)
            .where(Plan.id.in_(missed[start : start + 500]), Plan.status == "planned")
            .values(status="missed", updated_at=now)
        )
    return missed


@dataclass(frozen=True)
class DayPlans:
    """What a member has on a given day: today's items, and the missed ones still open."""

    today: list[Plan]
    missed: list[Plan]


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return local_to_utc(datetime.combine(day, time.min), zone), local_to_utc(
        datetime.combine(day + timedelta(days=1), time.min), zone
    )


# --------------------------------------------------------------------------- clients kept (drift)


def plan_drift_visit(session: Session, member: Member, account: Account, *, now: datetime, zone: ZoneInfo) -> tuple[Plan, bool]:
    """A visit at a client drifting away, on the member's next workday (no hour). The visit the
    member already planned there, if any, stays the one (returned with False): moved to that day when
    it was later (a segment visit months ahead); otherwise a new visit is planned (True).

    Two clicks at once plan one visit: the check and the insert are serialised (PostgreSQL; SQLite
    serialises writers itself)."""
    serialize(session, "drift_visit", member.workspace_id)
    existing = session.scalar(
        select(Plan)
        .where(Plan.workspace_id == member.workspace_id, Plan.member_id == member.id, Plan.account_id == account.id,
               Plan.status == "planned", Plan.action_type.in_(IN_PERSON))
        .order_by(Plan.due_at)
        .limit(1)
    )
    day = now.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    due_at = local_to_utc(datetime.combine(day, DEFAULT_HOUR), zone)
    if existing is not None:
        if existing.due_at > due_at + timedelta(days=1):
            reschedule(session, existing, member, due_at=due_at, has_time=False, now=now)
        return existing, False
    return create_plan(session, member, account, action_type="visit", due_at=due_at, has_time=False, now=now, source="drift"), True
