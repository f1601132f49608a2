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
from datetime import datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.dialogs import plan as plan_dialog
from bot.dialogs.context import Context
from bot.services import outbox, workspace_settings
from bot.services.plans import MISSED_MEMORY, ensure_segment_visits, local_day_bounds, mark_missed
from storage.models import Member, OutboxMessage, Plan, Workspace

logger = logging.getLogger(__name__)

TICK_SECONDS = 60


@dataclass
class DueReport:
    missed: int = 0
    segment_visits: int = 0
    agendas: int = 0
    reminders: int = 0

    def __str__(self) -> str:
        return (
            f"{self.agendas} agenda(s), {self.reminders} reminder(s) queued; "
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
    return report


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
    queued = 0
    for plan in due:
        key = keys[plan.id]
        if (plan.workspace_id, key) in already:
            continue
        ctx = Context(session=session, workspace=workspaces[plan.workspace_id], member=plan.member, now=now, source="job")
        reply = plan_dialog.reminder(ctx, plan)
        queued += outbox.enqueue(
            session,
            workspace_id=plan.workspace_id,
            dedupe_key=key,
            kind="reply",
            payload={"destination": {"type": "dm", "user": plan.member.slack_user_id}, "reply": reply.to_dict()},
            now=now,
            expires_at=plan.due_at,  # a reminder after the visit is noise
        )
    return queued


def _queued_keys(session: Session, wanted: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (workspace, dedupe key) pairs of ``wanted`` already in the outbox (read through its unique index)."""
    by_workspace: dict[int, list[str]] = defaultdict(list)
    for workspace_id, key in wanted:
        by_workspace[workspace_id].append(key)
    found: set[tuple[int, str]] = set()
    for workspace_id, keys in by_workspace.items():
        for start in range(0, len(keys), 500):
            found.update(
                (workspace_id, key)
                for key in session.scalars(
                    select(OutboxMessage.dedupe_key).where(
                        OutboxMessage.workspace_id == workspace_id, OutboxMessage.dedupe_key.in_(keys[start : start + 500])
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
    due_members: list[tuple[Member, ZoneInfo]] = []
    for member in session.scalars(select(Member).order_by(Member.id)):
        zone = ZoneInfo(member.tz)
        local = now.astimezone(zone)
        hour, minute = settings[member.workspace_id].agenda_hour_minute
        if local.weekday() >= 5 or local.time() < time(hour, minute):
            continue
        if f"agenda:{member.id}:{local.date().isoformat()}" in done:
            continue
        due_members.append((member, zone))
    if not due_members:
        return 0
    # One read for everyone's day: the plans due within a day and a half either side, and the
    # recently missed ones; each member's local day is then picked out in memory.
    ids = [m.id for m, _ in due_members]
    by_member: dict[int, list[Plan]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for plan in session.scalars(
            select(Plan)
            .where(
                Plan.member_id.in_(chunk),
                ((Plan.status == "planned") & (Plan.due_at >= now - timedelta(hours=36)) & (Plan.due_at < now + timedelta(hours=36)))
                | ((Plan.status == "missed") & (Plan.due_at >= now - MISSED_MEMORY)),
            )
            .order_by(Plan.due_at, Plan.id)
        ):
            by_member[plan.member_id].append(plan)
    queued = 0
    for member, zone in due_members:
        day = now.astimezone(zone).date()
        start, end = local_day_bounds(day, zone)
        plans = by_member.get(member.id, [])
        today = [p for p in plans if p.status == "planned" and start <= p.due_at < end]
        missed = [p for p in plans if p.status == "missed"]
        ctx = Context(session=session, workspace=workspaces[member.workspace_id], member=member, now=now, source="job")
        reply = plan_dialog.agenda(ctx, today, missed)
        if reply is None:
            continue
        queued += outbox.enqueue(
            session,
            workspace_id=member.workspace_id,
            dedupe_key=f"agenda:{member.id}:{day.isoformat()}",
            kind="reply",
            payload={"destination": {"type": "dm", "user": member.slack_user_id}, "reply": reply.to_dict()},
            now=now,
            expires_at=end,  # a morning agenda not sent by midnight is dropped, never sent at night
        )
    return queued


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
