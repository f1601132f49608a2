"""What is due now: morning agendas, visit reminders, missed items, automatic plans.

``run_due`` only decides and writes outbox rows (each with a unique key: kind, subject,
slot), so running it twice — or in two processes at once — queues nothing twice; the
delivery worker sends. APScheduler ticks it every minute inside ``carnet serve``;
``carnet jobs run-due --now …`` runs exactly the same function.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterator, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, sessionmaker

from bot.clock import Clock
from bot.dialogs import digest as digest_dialog
from bot.dialogs import plan as plan_dialog
from bot.dialogs.context import Context
from bot.reports.coaching import last_week, period_summary, review_brief, weekly_digests
from bot.services import outbox, workspace_settings
from bot.services.periods import period_bounds
from bot.services.team import team_of
from bot.services.workspace_settings import clock_time
from bot.services.plans import MISSED_MEMORY, ensure_segment_visits, local_day_bounds, mark_missed
from storage.models import Member, OutboxMessage, Plan, Workspace

logger = logging.getLogger(__name__)

TICK_SECONDS = 60
T = TypeVar("T")


@dataclass
class DueReport:
    missed: int = 0
    segment_visits: int = 0
    agendas: int = 0
    reminders: int = 0
    digests: int = 0
    reviews: int = 0
    summaries: int = 0

    def __str__(self) -> str:
        return (
            f"{self.agendas} agenda(s), {self.reminders} reminder(s), {self.digests} digest(s), "
            f"{self.reviews} review(s), {self.summaries} period summary(ies) queued; "
            f"{self.missed} item(s) marked missed; {self.segment_visits} segment visit(s) planned"
        )


def run_due(session_factory: sessionmaker[Session], now: datetime) -> DueReport:
    """Decide everything due at ``now`` and queue it in the outbox (idempotent)."""
    report = DueReport()
    with session_factory() as session, session.begin():
        report.missed = len(mark_missed(session, now=now))
        workspaces = {w.id: w for w in session.scalars(select(Workspace))}
        settings = {wid: workspace_settings.load(w) for wid, w in workspaces.items()}
        for wid in workspaces:
            report.segment_visits += ensure_segment_visits(session, wid, settings[wid], now=now)
        report.reminders = _queue_reminders(session, workspaces, settings, now)
        report.agendas = _queue_agendas(session, workspaces, settings, now)
        queued = _recent_report_keys(session, now, ("digest:", "review:", "summary:"))
        report.digests = _queue_digests(session, workspaces, settings, now, queued)
        report.reviews = _queue_reviews(session, workspaces, settings, now, queued)
        report.summaries = _queue_summaries(session, workspaces, settings, now, queued)
    return report


def _recent_report_keys(session: Session, now: datetime, prefixes: tuple[str, ...]) -> set[str]:
    """Keys of managers' reports queued lately: a due report already queued is not built again."""
    keys: set[str] = set()
    for prefix in prefixes:
        keys.update(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.like(prefix + "%"), OutboxMessage.created_at >= now - timedelta(days=100)
                )
            )
        )
    return keys


IN_LIST_SIZE = 500  # values in one IN (…): well under SQLite's bound-parameter limit


def _in_chunks(values: list[T]) -> Iterator[list[T]]:
    """``values`` cut into lists of at most ``IN_LIST_SIZE``, one ``IN (…)`` each."""
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]


def _members_by_id(session: Session, ids: list[int]) -> list[Member]:
    """The members ``ids``, in id order."""
    members: list[Member] = []
    for chunk in _in_chunks(sorted(ids)):
        members.extend(session.scalars(select(Member).where(Member.id.in_(chunk)).order_by(Member.id)))
    return members


def _plans_by_id(session: Session, ids: list[int]) -> dict[int, Plan]:
    """The plans ``ids`` (with their accounts)."""
    plans: dict[int, Plan] = {}
    # Their members are the agenda's readers, already loaded: not joined again for every plan.
    query = select(Plan).options(lazyload(Plan.member))
    for chunk in _in_chunks(ids):
        plans.update((plan.id, plan) for plan in session.scalars(query.where(Plan.id.in_(chunk))))
    return plans


def _dm(session: Session, member: Member, key: str, reply, *, now: datetime, expires_at: datetime) -> int:
    return outbox.enqueue(
        session,
        workspace_id=member.workspace_id,
        dedupe_key=key,
        kind="reply",
        payload={"destination": {"type": "dm", "user": member.slack_user_id}, "reply": reply.to_dict()},
        now=now,
        expires_at=expires_at,
    )


def managers_with_teams(session: Session, workspace_id: int) -> list[tuple[Member, list[Member]]]:
    """Each manager with the reps they coach, and each admin with the reps no manager has (so that
    every rep is in some digest); members without a team are left out."""
    managers = session.scalars(
        select(Member).where(Member.workspace_id == workspace_id, Member.role.in_(("manager", "admin"))).order_by(Member.id)
    ).all()
    out = []
    for manager in managers:
        team = team_of(session, manager) if manager.role == "manager" else [
            m for m in team_of(session, manager) if m.manager_id is None and m.id != manager.id and m.role == "rep"
        ]
        if team:
            out.append((manager, team))
    return out


def _queue_digests(session: Session, workspaces: dict, settings: dict, now: datetime, queued: set[str]) -> int:
    """Mondays from the digest time on (in each manager's zone), once per manager and week; a digest
    missed on Monday (nothing running) is sent by Wednesday, never later."""
    count = 0
    for workspace_id, workspace in workspaces.items():
        ws_settings = settings[workspace_id]
        due: list[tuple[Member, list[Member]]] = []
        for manager, team in managers_with_teams(session, workspace_id):
            local = now.astimezone(ZoneInfo(manager.tz))
            # Due Monday from the digest time; Tuesday and Wednesday catch up a Monday nobody ran.
            if local.weekday() > 2 or (local.weekday() == 0 and local.time() < time(*clock_time(ws_settings.digest_time))):
                continue
            if f"digest:{manager.id}:{last_week(local.date())[0].isoformat()}" not in queued:
                due.append((manager, team))
        if not due:
            continue
        # All of the workspace's due digests at once: one grouped query per figure, not one per team.
        digests = weekly_digests(session, due, now=now, settings=ws_settings)
        for manager, _team in due:
            zone = ZoneInfo(manager.tz)
            digest = digests[manager.id]
            week_start, week_end = digest.week_start, digest.week_end
            key = f"digest:{manager.id}:{week_start.isoformat()}"
            ctx = Context(session=session, workspace=workspace, member=manager, now=now, source="job")
            _, end_of_week = local_day_bounds(week_end + timedelta(days=7), zone)
            count += _dm(session, manager, key, digest_dialog.digest_reply(ctx, digest), now=now, expires_at=end_of_week)
            outbox.enqueue(
                session,
                workspace_id=workspace_id,
                dedupe_key=f"digest-chart:{manager.id}:{week_start.isoformat()}",
                kind="file",
                payload=digest_dialog.chart_payload(ctx, digest, manager.slack_user_id),
                now=now,
                expires_at=end_of_week,
            )
    return count


def _workdays_left(today: date, end: date) -> int:
    """Workdays after ``today`` up to ``end`` (0 on the period's last workday)."""
    return sum(1 for i in range(1, (end - today).days + 1) if (today + timedelta(days=i)).weekday() < 5)


def _queue_reviews(session: Session, workspaces: dict, settings: dict, now: datetime, queued: set[str]) -> int:
    """N workdays before each rep's period ends (from 08:00 local): a brief for the rep and one for the manager."""
    # Whether a review is due depends only on the zone, the period and the workspace's setting:
    # decided once per combination over plain columns; only the reps due are loaded as objects.
    period_end_if_due: dict[tuple[str, str, int], date | None] = {}
    due_end: dict[int, date] = {}  # rep → the end of the period the review is for
    reps = select(Member.id, Member.workspace_id, Member.tz, Member.period).where(Member.role == "rep")
    for rep_id, workspace_id, tz, period in session.execute(reps):
        if (tz, period, workspace_id) not in period_end_if_due:
            local = now.astimezone(ZoneInfo(tz))
            _, end = period_bounds(period, local.date())
            # Due from N workdays before the end until the end (a late start still sends it).
            due = (
                local.time() >= time(8, 0)
                and local.weekday() < 5
                and _workdays_left(local.date(), end) <= settings[workspace_id].review_workdays_before
            )
            period_end_if_due[(tz, period, workspace_id)] = end if due else None
        end = period_end_if_due[(tz, period, workspace_id)]
        if end is not None and f"review:{rep_id}:{end.isoformat()}" not in queued:
            due_end[rep_id] = end
    count = 0
    for rep in _members_by_id(session, list(due_end)):
        ws_settings = settings[rep.workspace_id]
        zone = ZoneInfo(rep.tz)
        end = due_end[rep.id]
        key = f"review:{rep.id}:{end.isoformat()}"
        _, expires = local_day_bounds(end, zone)
        brief = review_brief(session, rep, now=now, settings=ws_settings)
        workspace = workspaces[rep.workspace_id]
        rep_ctx = Context(session=session, workspace=workspace, member=rep, now=now, source="job")
        count += _dm(session, rep, key, digest_dialog.review_reply(rep_ctx, brief, for_manager=False), now=now, expires_at=expires)
        manager = session.get(Member, rep.manager_id) if rep.manager_id else None
        if manager is not None:
            manager_ctx = Context(session=session, workspace=workspace, member=manager, now=now, source="job")
            _dm(
                session, manager, f"review-manager:{rep.id}:{end.isoformat()}",
                digest_dialog.review_reply(manager_ctx, brief, for_manager=True), now=now, expires_at=expires,
            )
    return count


def _queue_summaries(session: Session, workspaces: dict, settings: dict, now: datetime, queued: set[str]) -> int:
    """On the last day of each manager's period (from the summary time) and the two days after:
    the team's collective progress and wins, in the team channel."""
    count = 0
    for workspace_id, workspace in workspaces.items():
        ws_settings = settings[workspace_id]
        if not ws_settings.team_channel:
            continue
        for manager, team in managers_with_teams(session, workspace_id):
            zone = ZoneInfo(manager.tz)
            local = now.astimezone(zone)
            today = local.date()
            _, end = period_bounds(manager.period, today)
            if today == end and local.time() >= time(*clock_time(ws_settings.summary_time)):
                period_day = today
            else:
                _, previous_end = period_bounds(manager.period, today - timedelta(days=3))
                if previous_end >= today or (today - previous_end).days > 2:
                    continue
                period_day = previous_end  # catching up a summary missed at the end of the period
            key = f"summary:{manager.id}:{period_day.isoformat()}"
            if key in queued:
                continue
            ctx = Context(session=session, workspace=workspace, member=manager, now=now, source="job")
            summary = period_summary(session, manager, team, now=now, settings=ws_settings, period_day=period_day)
            reply = digest_dialog.summary_reply(ctx, summary, show_amounts=ws_settings.celebrate_amounts)
            _, expires = local_day_bounds(period_day + timedelta(days=3), zone)
            count += outbox.enqueue(
                session,
                workspace_id=workspace_id,
                dedupe_key=key,
                kind="reply",
                payload={"destination": {"type": "channel", "channel": ws_settings.team_channel}, "reply": reply.to_dict()},
                now=now,
                expires_at=expires,
            )
    return count


def _queue_reminders(session: Session, workspaces: dict, settings: dict, now: datetime) -> int:
    longest = max((s.visit_reminder_minutes for s in settings.values()), default=0)
    if longest <= 0:
        return 0
    soon = session.scalars(
        select(Plan)
        .where(Plan.status == "planned", Plan.has_time.is_(True), Plan.due_at > now, Plan.due_at <= now + timedelta(minutes=longest))
        .order_by(Plan.due_at)
    ).all()
    due = [p for p in soon if p.due_at - timedelta(minutes=settings[p.workspace_id].visit_reminder_minutes) <= now]
    # The slot is the due time: a rescheduled visit gets its own reminder.
    keys = {plan.id: f"reminder:plan:{plan.id}:{plan.due_at:%Y%m%dT%H%M}" for plan in due}
    # Reminders an earlier tick queued (every tick of the hour before a visit sees it): skip them
    # before building their message, as enqueue would store nothing for them anyway.
    already = _queued_keys(session, [(plan.workspace_id, keys[plan.id]) for plan in due])
    messages = []
    for plan in due:
        key = keys[plan.id]
        if (plan.workspace_id, key) in already:
            continue
        ctx = Context(session=session, workspace=workspaces[plan.workspace_id], member=plan.member, now=now, source="job")
        reply = plan_dialog.reminder(ctx, plan)
        messages.append(
            outbox.NewMessage(
                plan.workspace_id,
                key,
                "reply",
                {"destination": {"type": "dm", "user": plan.member.slack_user_id}, "reply": reply.to_dict()},
                expires_at=plan.due_at,  # a reminder after the visit is noise
            )
        )
    return outbox.enqueue_many(session, messages, now=now)


def _queued_keys(session: Session, wanted: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (workspace, dedupe key) pairs of ``wanted`` already in the outbox (read through its unique index)."""
    by_workspace: dict[int, list[str]] = defaultdict(list)
    for workspace_id, key in wanted:
        by_workspace[workspace_id].append(key)
    found: set[tuple[int, str]] = set()
    for workspace_id, keys in by_workspace.items():
        for chunk in _in_chunks(keys):
            found.update(
                (workspace_id, key)
                for key in session.scalars(
                    select(OutboxMessage.dedupe_key).where(
                        OutboxMessage.workspace_id == workspace_id, OutboxMessage.dedupe_key.in_(chunk)
                    )
                )
            )
    return found


def _queue_agendas(session: Session, workspaces: dict, settings: dict, now: datetime) -> int:
    # Keys already queued for today or yesterday (any zone): skip those members at once.
    done = set(
        session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.like("agenda:%"), OutboxMessage.created_at >= now - timedelta(days=2)
            )
        )
    )
    # Whether the agenda is due depends only on the zone and the workspace's agenda time: decided
    # once per pair over plain columns; only members with something to say are loaded as objects.
    local_day_if_due: dict[tuple[str, int], date | None] = {}
    due: list[tuple[int, ZoneInfo, date]] = []  # member, zone, local day
    for member_id, workspace_id, tz in session.execute(select(Member.id, Member.workspace_id, Member.tz)):
        if (tz, workspace_id) not in local_day_if_due:
            local = now.astimezone(ZoneInfo(tz))
            hour, minute = settings[workspace_id].agenda_hour_minute
            is_due = local.weekday() < 5 and local.time() >= time(hour, minute)
            local_day_if_due[(tz, workspace_id)] = local.date() if is_due else None
        day = local_day_if_due[(tz, workspace_id)]
        if day is not None and f"agenda:{member_id}:{day.isoformat()}" not in done:
            due.append((member_id, ZoneInfo(tz), day))
    if not due:
        return 0
    # One light read for everyone's day (ids and times only): the plans due within a day and a
    # half either side, and the recently missed ones; each member's local day is picked out in
    # memory, and only the plans that go in an agenda are then loaded whole. (Members whose day
    # is empty are looked at again each tick; reading their plans whole made a tick 4x slower.)
    ids = [member_id for member_id, _zone, _day in due]
    rows_by_member: dict[int, list[tuple[int, datetime, str]]] = defaultdict(list)
    for chunk in _in_chunks(ids):
        for plan_id, member_id, due_at, status in session.execute(
            select(Plan.id, Plan.member_id, Plan.due_at, Plan.status)
            .where(
                Plan.member_id.in_(chunk),
                ((Plan.status == "planned") & (Plan.due_at >= now - timedelta(hours=36)) & (Plan.due_at < now + timedelta(hours=36)))
                | ((Plan.status == "missed") & (Plan.due_at >= now - MISSED_MEMORY)),
            )
            .order_by(Plan.due_at, Plan.id)
        ):
            rows_by_member[member_id].append((plan_id, due_at, status))  # UTCDateTime: aware UTC
    # member → (local day, its end, today's plan ids, missed plan ids), for members with something to say
    agendas: dict[int, tuple[date, datetime, list[int], list[int]]] = {}
    for member_id, zone, day in due:
        start, end = local_day_bounds(day, zone)
        rows = rows_by_member.get(member_id, [])
        today = [pid for pid, due_at, status in rows if status == "planned" and start <= due_at < end]
        missed = [pid for pid, _, status in rows if status == "missed"]
        if today or missed:
            agendas[member_id] = (day, end, today, missed)
    members = _members_by_id(session, list(agendas))
    plans = _plans_by_id(session, [pid for _day, _end, today, missed in agendas.values() for pid in today + missed])
    messages = []
    for member in members:
        day, end, today_ids, missed_ids = agendas[member.id]
        ctx = Context(session=session, workspace=workspaces[member.workspace_id], member=member, now=now, source="job")
        reply = plan_dialog.agenda(ctx, [plans[i] for i in today_ids], [plans[i] for i in missed_ids])
        if reply is None:
            continue
        messages.append(
            outbox.NewMessage(
                member.workspace_id,
                f"agenda:{member.id}:{day.isoformat()}",
                "reply",
                {"destination": {"type": "dm", "user": member.slack_user_id}, "reply": reply.to_dict()},
                expires_at=end,  # a morning agenda not sent by midnight is dropped, never sent at night
            )
        )
    return outbox.enqueue_many(session, messages, now=now)


class Scheduler:
    """APScheduler in the serving process: every minute, ``run_due`` then wake the delivery worker.

    Its job store is in memory and private to the process (APScheduler's stores must never be
    shared); the durable state is Carnet's own outbox, so several processes may tick at once.
    """

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock, wake: Callable[[], None]) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler

        self.session_factory = session_factory
        self.clock = clock
        self.wake = wake
        self._scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "misfire_grace_time": TICK_SECONDS, "max_instances": 1},
        )

    def tick(self) -> None:
        try:
            report = run_due(self.session_factory, self.clock.now())
            if report.agendas or report.reminders:
                logger.info("due work: %s", report)
                self.wake()
        except Exception:  # one failed tick must not stop the next ones
            logger.exception("run_due failed")

    def start(self) -> None:
        # The first tick runs at once: after a start or restart, missed due work is sent late, not
        # never. (APScheduler's own clock only paces the ticks; "now" comes from Carnet's clock.)
        self._scheduler.add_job(
            self.tick, "interval", seconds=TICK_SECONDS, id="run_due", next_run_time=datetime.now(tz=ZoneInfo("UTC"))
        )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
