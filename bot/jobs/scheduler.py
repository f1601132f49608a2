"""What is due now: morning agendas, visit reminders, missed items, automatic plans, managers' reports.

``run_due`` only decides and writes outbox rows (each with a unique key: kind, subject, slot), so
running it twice — or in two processes at once — queues nothing twice; the delivery worker sends.
The worker ticks it every minute; ``carnet jobs run-due --now …`` runs exactly the same function.

The work is cut into small units: one job kind of one workspace (the digests of one time zone,
the reviews of a batch of reps). Each is decided from plain columns, then built and queued in its
own transaction whose writes come last, so that on SQLite the write lock is held from the first
INSERT to the commit only (milliseconds) and the serving process's writes interleave with a long
tick. A unit that raises is rolled back alone and split in halves until the member it fails for
is found; that one is logged and listed in ``DueReport.failed``, every other unit is still queued,
and the failed one is decided again on the next tick (the outbox keys make a retry safe).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Callable, Iterator, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, lazyload, sessionmaker

from bot.clock import Clock
from bot.core import Reply, ToChannel, ToMember
from bot.present import MemberReader
from bot.present.agenda import AGENDA_DRIFTING, agenda, reminder
from bot.present.reports import digest_reply, summary_reply
from bot.present.review import brief_reply, pack_reply
from bot.reports.coaching import last_week, period_summary, weekly_digests
from bot.reports.review import pack_of, rep_reviews
from bot.present.warnings import goals_missing_lines, warning_reply
from bot.reports.goals import goals_progress, team_objectives
from bot.reports.warnings import goal_warnings
from bot.services import installs, outbox, workspace_settings
from bot.services.members import ProfileLookup
from bot.services.periods import period_bounds
from bot.services.plans import MISSED_MEMORY, ensure_segment_visits, local_day_bounds, mark_missed
from bot.services.team import known_zone
from bot.services.workspace_settings import WorkspaceSettings, clock_time
from storage.models import Member, OutboxMessage, Plan, Workspace
from storage.queries.drift import DriftingAccount, drifting_accounts

logger = logging.getLogger(__name__)

TICK_SECONDS = 60
PROFILE_CHECK_SECONDS = 3600  # members' profiles read again from the chat (bot/jobs/profiles.py)
REVIEW_BATCH = 250  # reps whose review briefs are built and queued in one transaction
T = TypeVar("T")


@dataclass(frozen=True)
class FailedUnit:
    """A unit of due work that raised: rolled back alone, and decided again on the next tick."""

    job: str  # agendas, reminders, missed items, segment visits, digests, reviews, summaries, time zone, …
    workspace: str  # the workspace's Slack team id
    member: str | None  # the Slack user id of the member it failed for, when known
    error: str  # the exception, on one line

    def __str__(self) -> str:
        who = f" for {self.member}" if self.member else ""
        return f"{self.job} in {self.workspace}{who}: {self.error}"


@dataclass
class DueReport:
    missed: int = 0
    segment_visits: int = 0
    agendas: int = 0
    reminders: int = 0
    digests: int = 0
    reviews: int = 0
    summaries: int = 0
    goal_reminders: int = 0  # managers told a new period started with reps lacking objectives
    warnings: int = 0  # early warnings (the rep's; their manager's copy not counted apart)
    failed: list[FailedUnit] = field(default_factory=list)

    @property
    def queued(self) -> int:
        """Messages this run queued (a digest's chart and a review's manager copy not counted apart)."""
        return self.agendas + self.reminders + self.digests + self.reviews + self.summaries + self.goal_reminders + self.warnings

    def __str__(self) -> str:
        text = (
            f"{self.agendas} agenda(s), {self.reminders} reminder(s), {self.digests} digest(s), "
            f"{self.reviews} review(s), {self.summaries} period summary(ies) queued; "
            f"{self.missed} item(s) marked missed; {self.segment_visits} segment visit(s) planned"
        )
        if self.goal_reminders or self.warnings:
            text += f"; {self.goal_reminders} objectives reminder(s), {self.warnings} early warning(s) queued"
        if self.failed:
            text += f"; {len(self.failed)} unit(s) failed, retried on the next tick:" + "".join(
                f"\n  - {failure}" for failure in self.failed
            )
        return text


def run_due(session_factory: sessionmaker[Session], now: datetime) -> DueReport:
    """Decide everything due at ``now`` and queue it in the outbox (idempotent), unit by unit."""
    report = DueReport()
    with session_factory() as session:
        # An uninstalled workspace gets nothing more (its data only waits out the grace period).
        workspaces = list(session.scalars(select(Workspace).where(Workspace.uninstalled_at.is_(None)).order_by(Workspace.id)))
    for workspace in workspaces:
        _WorkspaceTick(session_factory, report, workspace, now).run()
    return report


def erase_uninstalled(session_factory: sessionmaker[Session], now: datetime, *,
                      retention_days: int = installs.DEFAULT_RETENTION_DAYS) -> list[installs.Erased]:
    """Erase the workspaces uninstalled more than ``retention_days`` ago, one transaction each."""
    with session_factory() as session:
        due = installs.due_for_erasure(session, now=now, retention_days=retention_days)
    erased = []
    for team_id in due:
        with session_factory() as session, session.begin():
            result = installs.erase(session, team_id)
        if result is not None:
            logger.info("workspace %s erased %d days after its uninstall: %d rows", team_id, retention_days, result.total)
            erased.append(result)
    return erased


IN_LIST_SIZE = 500  # values in one IN (…): well under SQLite's bound-parameter limit

# Clients kept: members whose drift scan found nothing today, by (database, workspace, UTC day). A
# calm member is scanned once a day, not at each tick until something lands in their agenda; a
# member with drifting clients gets their agenda at once. Kept in memory: a restart scans again.
_CALM: dict[tuple[str, str, date], set[int]] = {}


def _in_chunks(values: list[T]) -> Iterator[list[T]]:
    """``values`` cut into lists of at most ``IN_LIST_SIZE``, one ``IN (…)`` each."""
    for start in range(0, len(values), IN_LIST_SIZE):
        yield values[start : start + IN_LIST_SIZE]


def _members_by_id(session: Session, ids: list[int]) -> list[Member]:
    """The members ``ids``, in id order."""
    members: list[Member] = []
    for chunk in _in_chunks(sorted(set(ids))):
        members.extend(session.scalars(select(Member).where(Member.id.in_(chunk)).order_by(Member.id)))
    return members


def _plans_by_id(session: Session, ids: list[int]) -> dict[int, Plan]:
    """The plans ``ids`` (with their accounts)."""
    plans: dict[int, Plan] = {}
    # Their members are the messages' readers, loaded first: not joined again for every plan.
    query = select(Plan).options(lazyload(Plan.member))
    for chunk in _in_chunks(ids):
        plans.update((plan.id, plan) for plan in session.scalars(query.where(Plan.id.in_(chunk))))
    return plans


def _not_queued(session: Session, workspace_id: int, candidates: list[tuple[str, T]]) -> list[T]:
    """Of ``(dedupe key, due)`` pairs, the ``due`` whose key is not in the workspace's outbox yet, in
    order (the keys read through the outbox's unique index, not a scan)."""
    queued: set[str] = set()
    for chunk in _in_chunks([key for key, _due in candidates]):
        queued.update(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.workspace_id == workspace_id, OutboxMessage.dedupe_key.in_(chunk)
                )
            )
        )
    return [due for key, due in candidates if key not in queued]


def _dm(member: Member, key: str, reply: Reply, *, expires_at: datetime) -> outbox.NewMessage:
    """``reply`` for ``member`` alone, written for them (their language, zone and name)."""
    return outbox.reply_message(member.workspace_id, key, ToMember(member.slack_user_id), reply, expires_at=expires_at)


def managers_with_teams(
    session: Session, workspace_id: int, manager_ids: list[int] | None = None
) -> list[tuple[Member, list[Member]]]:
    """Each manager with everyone below them, and each admin with the reps no manager has (so that
    every rep is in some digest); members without a team are left out. ``manager_ids``: only those.

    Two queries for the whole workspace (the managers, then every member of their teams), each
    team in ``team_of``'s order; one query per manager made 52 of a quiet tick's 62 statements."""
    query = select(Member).where(Member.workspace_id == workspace_id, Member.role.in_(("manager", "admin")))
    managers: list[Member] = []
    if manager_ids is None:
        managers = list(session.scalars(query.order_by(Member.id)))
    else:
        for chunk in _in_chunks(sorted(set(manager_ids))):
            managers.extend(session.scalars(query.where(Member.id.in_(chunk)).order_by(Member.id)))
    if not managers:
        return []
    led = [m.id for m in managers if m.role == "manager"]
    # A manager's team is their whole reporting line: (member, manager above them) pairs walked
    # down by a recursive CTE in the same query. UNION (not UNION ALL) keeps each pair once, so
    # a cycle in the manager links ends the walk.
    line = (
        select(Member.id.label("id"), Member.manager_id.label("top"))
        .where(Member.workspace_id == workspace_id, or_(false(), *[Member.manager_id.in_(chunk) for chunk in _in_chunks(led)]))
        .cte("line", recursive=True)
    )
    line = line.union(
        select(Member.id, line.c.top).join(line, Member.manager_id == line.c.id).where(Member.workspace_id == workspace_id)
    )
    unmanaged = and_(Member.role == "rep", Member.manager_id.is_(None)) if any(m.role == "admin" for m in managers) else false()
    teams: dict[int | None, list[Member]] = defaultdict(list)
    for member, top in session.execute(
        select(Member, line.c.top)
        .outerjoin(line, line.c.id == Member.id)
        .where(Member.workspace_id == workspace_id, or_(line.c.top.is_not(None), unmanaged))
        .order_by(Member.display_name, Member.id)
    ):
        if member.id != top:  # nobody is in their own team, even through a cycle
            teams[top].append(member)
    out = []
    for manager in managers:
        if manager.role == "manager":
            team = teams.get(manager.id, [])
        else:  # an admin: the reps nobody manages
            team = [m for m in teams.get(None, []) if m.role == "rep" and m.manager_id is None and m.id != manager.id]
        if team:
            out.append((manager, team))
    return out


def _by_manager(due: list[_Due], size: int) -> Iterator[list[_Due]]:
    """``due`` reviews in batches of about ``size`` reps, a manager's reps never split across two
    (their one pack is built from one batch)."""
    teams: dict[int | None, list[_Due]] = defaultdict(list)
    for d in due:
        teams[d.person.manager_id].append(d)
    batch: list[_Due] = []
    for team in teams.values():
        if batch and len(batch) + len(team) > size:
            yield batch
            batch = []
        batch += team
    if batch:
        yield batch


def _workdays_left(today: date, end: date) -> int:
    """Workdays after ``today`` up to ``end`` (0 on the period's last workday)."""
    return sum(1 for i in range(1, (end - today).days + 1) if (today + timedelta(days=i)).weekday() < 5)


@dataclass(frozen=True)
class _Person:
    """A member as the due checks need them: plain columns, read once per workspace and tick."""

    id: int
    user: str  # Slack user id
    tz: str
    zone: ZoneInfo | None  # None: a time zone this server does not know
    role: str
    period: str
    manager_id: int | None


@dataclass(frozen=True)
class _Due:
    """One member's due message (or messages), with what its decision found."""

    person: _Person
    data: Any = None


class _WorkspaceTick:
    """The due work of one workspace at ``now``, one short transaction per unit."""

    def __init__(self, factory: sessionmaker[Session], report: DueReport, workspace: Workspace, now: datetime) -> None:
        self.factory = factory
        self.report = report
        self.workspace = workspace
        self.id = workspace.id
        self.team = workspace.team_id
        self.now = now
        self.settings: WorkspaceSettings
        self.people: dict[int, _Person] = {}
        self.leaders: set[int] = set()  # members someone reports to
        self.unmanaged_reps: set[int] = set()  # reps nobody manages (an admin's digest)

    # ------------------------------------------------------------------ running units

    def _failed(self, job: str, member: str | None, exc: BaseException | str) -> None:
        error = exc if isinstance(exc, str) else (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0][:300]
        who = f" for member {member}" if member else ""
        if isinstance(exc, BaseException):
            logger.error("due work failed: %s in workspace %s%s", job, self.team, who, exc_info=exc)
        else:
            logger.warning("due work skipped: %s in workspace %s%s: %s", job, self.team, who, error)
        self.report.failed.append(FailedUnit(job, self.team, member, error))

    def _read(self, job: str, decide: Callable[[Session], T]) -> T | None:
        """A due check (reads only): its result, or None when it raised (recorded)."""
        try:
            with self.factory() as session:
                return decide(session)
        except Exception as exc:
            self._failed(job, None, exc)
            return None

    def _unit(self, job: str, work: Callable[[Session], int]) -> int:
        """``work`` in one transaction of its own: committed, or rolled back and recorded."""
        try:
            with self.factory() as session, session.begin():
                return work(session)
        except Exception as exc:
            self._failed(job, None, exc)
            return 0

    def _split(self, job: str, due: list[_Due], work: Callable[[Session, list[_Due]], int]) -> int:
        """``work`` over ``due`` in one transaction; when it raises, the halves again, each in its
        own transaction, down to the one member it fails for (recorded with them)."""
        if not due:
            return 0
        try:
            with self.factory() as session, session.begin():
                return work(session, due)
        except OperationalError as exc:  # the database itself (locked, timed out, gone): nobody to single out
            self._failed(job, due[0].person.user if len(due) == 1 else None, exc)
            return 0
        except Exception as exc:
            if len(due) == 1:
                self._failed(job, due[0].person.user, exc)
                return 0
            logger.info("%s in workspace %s failed for %d members (%s); retrying them in halves", job, self.team, len(due), exc)
            half = len(due) // 2
            return self._split(job, due[:half], work) + self._split(job, due[half:], work)

    def _reader(self, member: Member) -> MemberReader:
        return MemberReader.of(member, self.now)

    # ------------------------------------------------------------------ the tick

    def run(self) -> None:
        try:
            self.settings = workspace_settings.load(self.workspace)
        except Exception as exc:
            self._failed("settings", None, exc)
            return
        roster = self._read("members", self._roster)
        if roster is None:
            return
        self.people = {p.id: p for p in roster}
        self.leaders = {p.manager_id for p in roster if p.manager_id is not None}
        self.unmanaged_reps = {p.id for p in roster if p.role == "rep" and p.manager_id is None}
        for person in roster:
            if person.zone is None:
                self._failed(
                    "time zone", person.user,
                    f"unknown time zone {person.tz!r}: this member's agenda, reminders, missed items and reports "
                    f"wait until it is fixed (/carnet team <@{person.user}> tz Europe/Paris)",
                )
        now, settings = self.now, self.settings
        report = self.report
        report.missed += self._unit("missed items", lambda s: len(mark_missed(s, now=now, workspace_id=self.id)))
        report.segment_visits += self._unit("segment visits", lambda s: ensure_segment_visits(s, self.id, settings, now=now))
        report.reminders += self._split("reminders", self._read("reminders", self._due_reminders) or [], self._queue_reminders)
        report.agendas += self._split("agendas", self._read("agendas", self._due_agendas) or [], self._queue_agendas)
        by_zone: dict[str, list[_Due]] = defaultdict(list)
        for due in self._read("digests", self._due_digests) or []:
            by_zone[due.person.tz].append(due)
        for zone_due in by_zone.values():  # managers of one zone share last week: one grouped build
            report.digests += self._split("digests", zone_due, self._queue_digests)
        for batch in _by_manager(self._read("reviews", self._due_reviews) or [], REVIEW_BATCH):
            report.reviews += self._split("reviews", batch, self._queue_reviews)
        report.summaries += self._split("summaries", self._read("summaries", self._due_summaries) or [], self._queue_summaries)
        report.goal_reminders += self._split(
            "objectives reminders", self._read("objectives reminders", self._due_goal_reminders) or [], self._queue_goal_reminders
        )
        warnings = self._read("early warnings", self._due_warnings) or []
        for start in range(0, len(warnings), REVIEW_BATCH):
            report.warnings += self._split("early warnings", warnings[start : start + REVIEW_BATCH], self._queue_warnings)

    def _roster(self, session: Session) -> list[_Person]:
        rows = session.execute(
            select(Member.id, Member.slack_user_id, Member.tz, Member.role, Member.period, Member.manager_id)
            .where(Member.workspace_id == self.id)
            .order_by(Member.id)
        )
        return [_Person(i, user, tz, known_zone(tz), role, period, manager) for i, user, tz, role, period, manager in rows]

    def _has_team(self, person: _Person) -> bool:
        """As ``managers_with_teams``: a manager with a direct report, an admin while some rep has no manager."""
        if person.role == "manager":
            return person.id in self.leaders
        return person.role == "admin" and bool(self.unmanaged_reps - {person.id})

    # ------------------------------------------------------------------ reminders

    def _due_reminders(self, session: Session) -> list[_Due]:
        lead = self.settings.visit_reminder_minutes
        if lead <= 0:
            return []
        rows = session.execute(
            select(Plan.id, Plan.member_id, Plan.due_at)
            .where(
                Plan.workspace_id == self.id,
                Plan.status == "planned",
                Plan.has_time.is_(True),
                Plan.due_at > self.now,
                Plan.due_at <= self.now + timedelta(minutes=lead),
            )
            .order_by(Plan.due_at, Plan.id)
        ).all()
        # The slot is the due time: a rescheduled visit gets its own reminder.
        keys = {plan_id: _reminder_key(plan_id, due_at) for plan_id, _member, due_at in rows}
        # Reminders an earlier tick queued (every tick of the hour before a visit sees it): skipped
        # before their message is built, as enqueue would store nothing for them anyway.
        candidates = []
        for plan_id, member_id, _due_at in rows:
            person = self.people.get(member_id)
            if person is not None and person.zone is not None:
                candidates.append((keys[plan_id], _Due(person, (plan_id, keys[plan_id]))))
        return _not_queued(session, self.id, candidates)

    def _queue_reminders(self, session: Session, due: list[_Due]) -> int:
        members = {m.id: m for m in _members_by_id(session, [d.person.id for d in due])}
        plans = _plans_by_id(session, [d.data[0] for d in due])
        messages = []
        for d in due:
            plan_id, key = d.data
            plan = plans.get(plan_id)
            if plan is None or plan.status != "planned" or _reminder_key(plan.id, plan.due_at) != key:
                continue  # changed since the check: the next tick decides again
            member = members[plan.member_id]
            # A reminder after the visit is noise: it expires at the visit.
            messages.append(_dm(member, key, reminder(self._reader(member), plan), expires_at=plan.due_at))
        return outbox.enqueue_many(session, messages, now=self.now)

    # ------------------------------------------------------------------ agendas

    def _due_agendas(self, session: Session) -> list[_Due]:
        now = self.now
        hour, minute = self.settings.agenda_hour_minute
        # Whether the agenda is due depends only on the zone: decided once per zone.
        day_of: dict[str, date | None] = {}
        candidates: list[tuple[str, tuple[_Person, date]]] = []
        for person in self.people.values():
            if person.zone is None:
                continue
            if person.tz not in day_of:
                local = now.astimezone(person.zone)
                day_of[person.tz] = local.date() if local.weekday() < 5 and local.time() >= time(hour, minute) else None
            day = day_of[person.tz]
            if day is not None:
                candidates.append((f"agenda:{person.id}:{day.isoformat()}", (person, day)))
        waiting = _not_queued(session, self.id, candidates)
        if not waiting:
            return []
        # One light read for everyone's day (ids and times only): the plans due within a day and a
        # half either side, and the recently missed ones; each member's local day is picked out in
        # memory, and only the plans that go in an agenda are then loaded whole. (Members whose day
        # is empty are looked at again each tick; reading their plans whole made a tick 4x slower.)
        rows_by_member: dict[int, list[tuple[int, datetime, str]]] = defaultdict(list)
        for chunk in _in_chunks([person.id for person, _day in waiting]):
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
        due = []
        for person, day in waiting:
            assert person.zone is not None
            start, end = local_day_bounds(day, person.zone)
            rows = rows_by_member.get(person.id, [])
            today = [pid for pid, due_at, status in rows if status == "planned" and start <= due_at < end]
            missed = [pid for pid, _, status in rows if status == "missed"]
            due.append(_Due(person, (day, end, today, missed, [])))
        drifting = self._drifting(session, [d.person for d in due])
        due = [_Due(d.person, (*d.data[:4], drifting.get(d.person.id, []))) for d in due]
        return [d for d in due if d.data[2] or d.data[3] or d.data[4]]

    def _drifting(self, session: Session, people: list[_Person]) -> dict[int, list[DriftingAccount]]:
        """Each member's clients drifting away (the agenda's top ``AGENDA_DRIFTING``); calm members
        (nothing found today) are not scanned again until tomorrow."""
        day = self.now.astimezone(UTC).date()  # the rules count tens of days
        url = session.get_bind().url.render_as_string(hide_password=True)
        for key in [k for k in _CALM if k[2] != day]:
            del _CALM[key]
        calm = _CALM.setdefault((url, self.team, day), set())
        scanned = [p.id for p in people if p.id not in calm]
        if not scanned:
            return {}
        found: dict[int, list[DriftingAccount]] = defaultdict(list)
        rules = workspace_settings.drift_rules(self.settings)
        for drift in drifting_accounts(session, self.id, self.now, rep_ids=scanned, rules=rules, today=day):
            if len(found[drift.owner_id]) < AGENDA_DRIFTING:
                found[drift.owner_id].append(drift)
        calm.update(member_id for member_id in scanned if member_id not in found)
        return found

    def _queue_agendas(self, session: Session, due: list[_Due]) -> int:
        members = {m.id: m for m in _members_by_id(session, [d.person.id for d in due])}
        plans = _plans_by_id(session, [pid for d in due for pid in d.data[2] + d.data[3]])
        messages = []
        for d in due:
            day, end, today_ids, missed_ids, drifting = d.data
            member = members.get(d.person.id)
            if member is None:
                continue
            today = [plans[i] for i in today_ids if i in plans and plans[i].status == "planned"]
            missed = [plans[i] for i in missed_ids if i in plans and plans[i].status == "missed"]
            reply = agenda(self._reader(member), today, missed, drifting)
            if reply is not None:
                # A morning agenda not sent by midnight is dropped, never sent at night.
                messages.append(_dm(member, f"agenda:{member.id}:{day.isoformat()}", reply, expires_at=end))
        return outbox.enqueue_many(session, messages, now=self.now)

    # ------------------------------------------------------------------ weekly digests

    def _due_digests(self, session: Session) -> list[_Due]:
        """Mondays from the digest time on (in each manager's zone), once per manager and week; a
        digest missed on Monday (nothing running) is sent by Wednesday, never later."""
        digest_time = time(*clock_time(self.settings.digest_time))
        candidates = []
        for person in self.people.values():
            if person.role not in ("manager", "admin") or person.zone is None or not self._has_team(person):
                continue
            local = self.now.astimezone(person.zone)
            # Due Monday from the digest time; Tuesday and Wednesday catch up a Monday nobody ran.
            if local.weekday() > 2 or (local.weekday() == 0 and local.time() < digest_time):
                continue
            candidates.append((f"digest:{person.id}:{last_week(local.date())[0].isoformat()}", _Due(person)))
        return _not_queued(session, self.id, candidates)

    def _queue_digests(self, session: Session, due: list[_Due]) -> int:
        teams = managers_with_teams(session, self.id, [d.person.id for d in due])
        # All of the zone's due digests at once: one grouped query per figure, not one per team.
        digests = weekly_digests(session, teams, now=self.now, settings=self.settings)
        replies, charts = [], []
        for manager, _team in teams:
            digest = digests[manager.id]
            week = digest.week_start.isoformat()
            _, end_of_week = local_day_bounds(digest.week_end + timedelta(days=7), ZoneInfo(manager.tz))
            reply = digest_reply(self._reader(manager), digest)
            replies.append(_dm(manager, f"digest:{manager.id}:{week}", reply, expires_at=end_of_week))
            # Its chart (one attachment) as a file row of its own, drawn by the delivery worker when sent.
            # The first is the digest's chart; the cockpit's (attainment, trend, funnel) follow, a key each.
            charts += [
                outbox.file_message(self.id, f"digest-chart:{manager.id}:{week}" if n == 0 else f"cockpit:{manager.id}:{week}:{n}",
                                    ToMember(manager.slack_user_id), chart, expires_at=end_of_week)
                for n, chart in enumerate(reply.attachments)
            ]
        count = outbox.enqueue_many(session, replies, now=self.now)
        outbox.enqueue_many(session, charts, now=self.now)
        return count

    # ------------------------------------------------------------------ review briefs

    def _due_reviews(self, session: Session) -> list[_Due]:
        """N workdays before each rep's period ends (N per kind of period, a workspace setting; from
        08:00 local): a brief for the rep, and their manager's one pack."""
        # Whether a review is due depends only on the zone and the period: decided once per pair.
        end_if_due: dict[tuple[str, str], date | None | Exception] = {}
        candidates: list[tuple[str, _Due]] = []
        for person in self.people.values():
            if person.role != "rep" or person.zone is None:
                continue
            pair = (person.tz, person.period)
            if pair not in end_if_due:
                local = self.now.astimezone(person.zone)
                try:
                    _, end = period_bounds(person.period, local.date())
                except ValueError as exc:  # a period Carnet does not know (a corrupt row)
                    end_if_due[pair] = exc
                else:
                    # Due from N workdays before the end until the end (a late start still sends it).
                    is_due = (
                        local.time() >= time(8, 0)
                        and local.weekday() < 5
                        and _workdays_left(local.date(), end) <= self.settings.review_lead(person.period)
                    )
                    end_if_due[pair] = end if is_due else None
            end = end_if_due[pair]
            if isinstance(end, Exception):
                self._failed("reviews", person.user, end)
            elif end is not None:
                candidates.append((f"review:{person.id}:{end.isoformat()}", _Due(person, end)))
        return _not_queued(session, self.id, candidates)

    def _queue_reviews(self, session: Session, due: list[_Due]) -> int:
        end_of = {d.person.id: d.data for d in due}
        reps = _members_by_id(session, list(end_of))
        managers = {m.id: m for m in _members_by_id(session, [r.manager_id for r in reps if r.manager_id])}
        # Every review of the batch at once: one grouped query per figure, not twenty per rep.
        reviews = rep_reviews(session, reps, now=self.now, settings=self.settings)
        mine = []
        packs: dict[int, list[Member]] = defaultdict(list)
        for rep in reps:
            end = end_of[rep.id]
            _, expires = local_day_bounds(end, ZoneInfo(rep.tz))
            reply = brief_reply(self._reader(rep), reviews[rep.id], self.settings.currency)
            mine.append(_dm(rep, f"review:{rep.id}:{end.isoformat()}", reply, expires_at=expires))
            if rep.manager_id in managers:
                packs[rep.manager_id].append(rep)
        # ONE pack per manager, listing their reps due today whatever their periods (a batch holds
        # whole teams). Its key ends with its first rep: a rep queued later the same day (a unit
        # retried after a failure) comes in a pack of their own, never dropped as a duplicate.
        theirs = []
        for manager_id, team in packs.items():
            manager = managers[manager_id]
            pack = pack_of(manager, [reviews[r.id] for r in team], currency=self.settings.currency)
            _, expires = local_day_bounds(max(end_of[r.id] for r in team), ZoneInfo(manager.tz))
            day = self.now.astimezone(ZoneInfo(manager.tz)).date()
            key = f"review-pack:{manager.id}:{day.isoformat()}:{min(r.id for r in team)}"
            reply = pack_reply(self._reader(manager), pack)
            theirs.append(_dm(manager, key, reply, expires_at=expires))
            # The pack's cockpit charts (attainment, funnel, activity mix): a file row each, drawn when sent.
            theirs += [outbox.file_message(self.id, f"review-chart:{key.split(':', 1)[1]}:{n}", ToMember(manager.slack_user_id), chart, expires_at=expires)
                       for n, chart in enumerate(reply.attachments)]
        count = outbox.enqueue_many(session, mine, now=self.now)
        outbox.enqueue_many(session, theirs, now=self.now)
        return count

    # ------------------------------------------------------------------ period summaries

    def _due_summaries(self, session: Session) -> list[_Due]:
        """On the last day of each manager's period (from the summary time) and the two days after:
        the team's collective progress and wins, in the team channel."""
        if not self.settings.team_channel:
            return []
        summary_time = time(*clock_time(self.settings.summary_time))
        candidates = []
        for person in self.people.values():
            if person.role not in ("manager", "admin") or person.zone is None or not self._has_team(person):
                continue
            local = self.now.astimezone(person.zone)
            today = local.date()
            try:
                _, end = period_bounds(person.period, today)
                _, previous_end = period_bounds(person.period, today - timedelta(days=3))
            except ValueError as exc:  # a period Carnet does not know (a corrupt row)
                self._failed("summaries", person.user, exc)
                continue
            if today == end and local.time() >= summary_time:
                period_day = today
            elif previous_end < today and (today - previous_end).days <= 2:
                period_day = previous_end  # catching up a summary missed at the end of the period
            else:
                continue
            candidates.append((f"summary:{person.id}:{period_day.isoformat()}", _Due(person, period_day)))
        return _not_queued(session, self.id, candidates)

    def _queue_summaries(self, session: Session, due: list[_Due]) -> int:
        day_of = {d.person.id: d.data for d in due}
        team_channel = ToChannel(self.settings.team_channel)
        messages = []
        for manager, team in managers_with_teams(session, self.id, list(day_of)):
            period_day = day_of[manager.id]
            summary = period_summary(session, manager, team, now=self.now, settings=self.settings, period_day=period_day)
            reply = summary_reply(self._reader(manager), summary, show_amounts=self.settings.celebrate_amounts)
            _, expires = local_day_bounds(period_day + timedelta(days=3), ZoneInfo(manager.tz))
            messages.append(
                outbox.reply_message(self.id, f"summary:{manager.id}:{period_day.isoformat()}", team_channel, reply, expires_at=expires)
            )
        return outbox.enqueue_many(session, messages, now=self.now)


    # ------------------------------------------------------------------ objectives (issue 14)

    def _due_goal_reminders(self, session: Session) -> list[_Due]:
        """The first ``GOALS_REMINDER_DAYS`` days of each manager's period, from the agenda time: once
        per manager and period (the outbox key), whether reps lack objectives is looked at when queuing."""
        hour, minute = self.settings.agenda_hour_minute
        candidates = []
        for person in self.people.values():
            if person.role not in ("manager", "admin") or person.zone is None or not self._has_team(person):
                continue
            local = self.now.astimezone(person.zone)
            try:
                start, _end = period_bounds(person.period, local.date())
            except ValueError:  # a corrupt period: the digests report it, once
                continue
            if (local.date() - start).days < GOALS_REMINDER_DAYS and local.time() >= time(hour, minute):
                candidates.append((f"goals-reminder:{person.id}:{start.isoformat()}", _Due(person, start)))
        return _not_queued(session, self.id, candidates)

    def _queue_goal_reminders(self, session: Session, due: list[_Due]) -> int:
        start_of = {d.person.id: d.data for d in due}
        messages = []
        team_goals = team_objectives(session, self.id, set(start_of), now=self.now, settings=self.settings)
        for manager, team in managers_with_teams(session, self.id, list(start_of)):
            start = start_of[manager.id]
            reps = [m for m in team if m.role == "rep"]
            progress = goals_progress(session, reps, now=self.now, settings=self.settings)
            missing = [m.display_name for m in reps if not progress[m.id].individual]
            # The manager's own team objective counts too (issue 14): a period without one is reminded.
            no_team_goal = not team_goals.get(manager.id)
            if not missing and not no_team_goal:
                continue  # looked at again next tick: cheap, and a rep's objectives may yet be removed
            _, end = period_bounds(manager.period, start)
            _, expires = local_day_bounds(start + timedelta(days=GOALS_REMINDER_DAYS), ZoneInfo(manager.tz))
            reader = self._reader(manager)
            reply = Reply(locale=manager.locale, lines=goals_missing_lines(reader, start, end, missing, team=no_team_goal))
            messages.append(_dm(manager, f"goals-reminder:{manager.id}:{start.isoformat()}", reply, expires_at=expires))
        return outbox.enqueue_many(session, messages, now=self.now)

    def _due_warnings(self, session: Session) -> list[_Due]:
        """Each week on ``WARNING_DAY`` from ``WARNING_FROM`` to ``WARNING_UNTIL`` local (the day after
        the digest): every rep is looked at, and warned at most once per ISO week (the outbox key);
        whether the rep is at risk is decided when queuing. Outside that window a tick reads nothing."""
        candidates = []
        for person in self.people.values():
            if person.role != "rep" or person.zone is None:
                continue
            local = self.now.astimezone(person.zone)
            if local.weekday() != WARNING_DAY or not WARNING_FROM <= local.time() < WARNING_UNTIL:
                continue
            try:
                period_bounds(person.period, local.date())
            except ValueError:  # a corrupt period: the reviews report it, once
                continue
            year, week, _ = local.date().isocalendar()
            key = f"goal-warning:{person.id}:{year}-W{week:02d}"
            candidates.append((key, _Due(person, key)))
        return _not_queued(session, self.id, candidates)

    def _queue_warnings(self, session: Session, due: list[_Due]) -> int:
        key_of = {d.person.id: d.data for d in due}
        reps = _members_by_id(session, list(key_of))
        found = goal_warnings(session, reps, now=self.now, settings=self.settings)
        if not found:
            return 0
        managers = {m.id: m for m in _members_by_id(session, [r.manager_id for r in reps if r.id in found and r.manager_id])}
        mine, theirs = [], []
        for rep in reps:
            warning = found.get(rep.id)
            if warning is None:
                continue
            key = key_of[rep.id]
            _, expires = local_day_bounds(warning.period_end, ZoneInfo(rep.tz))
            # Private: the rep's DM, and their manager's; never a channel.
            mine.append(_dm(rep, key, warning_reply(self._reader(rep), warning, name=rep.display_name, for_manager=False), expires_at=expires))
            manager = managers.get(rep.manager_id) if rep.manager_id else None
            if manager is not None:
                reply = warning_reply(self._reader(manager), warning, name=rep.display_name, for_manager=True)
                theirs.append(_dm(manager, key.replace("goal-warning:", "goal-warning-manager:"), reply, expires_at=expires))
        count = outbox.enqueue_many(session, mine, now=self.now)
        outbox.enqueue_many(session, theirs, now=self.now)
        return count


GOALS_REMINDER_DAYS = 3  # a manager's period start is looked at for this many days (a late start still reminds)
# The early warning is decided on Tuesday mornings, the day after the digest (a tick in the window
# reads the reps not yet warned this week; one outside it reads nothing).
WARNING_DAY, WARNING_FROM, WARNING_UNTIL = 1, time(8, 0), time(12, 0)


def _reminder_key(plan_id: int, due_at: datetime) -> str:
    return f"reminder:plan:{plan_id}:{due_at:%Y%m%dT%H%M}"


class Scheduler:
    """APScheduler in the worker process: every minute, ``run_due`` then wake the delivery worker.

    Its job store is in memory and private to the process (APScheduler's stores must never be
    shared); the durable state is Carnet's own outbox, so several processes may tick at once.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Clock, wake: Callable[[], None], *,
        retention_days: int = installs.DEFAULT_RETENTION_DAYS,
        profiles: tuple[ProfileLookup, str, str] | None = None,
    ) -> None:
        """``profiles``: a ``(lookup, default_tz, default_locale)`` for the hourly profile check (None: no check)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        self.session_factory = session_factory
        self.clock = clock
        self.wake = wake
        self.retention_days = retention_days
        self.profiles = profiles
        self._scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "misfire_grace_time": TICK_SECONDS, "max_instances": 1},
        )

    def tick(self) -> None:
        try:
            erase_uninstalled(self.session_factory, self.clock.now(), retention_days=self.retention_days)
        except Exception:  # the due work of the installed workspaces goes on
            logger.exception("erasing uninstalled workspaces failed")
        try:
            report = run_due(self.session_factory, self.clock.now())
            if report.failed:  # each failure was logged with its traceback as it happened
                logger.warning("due work: %s", report)
            elif report.queued or report.missed or report.segment_visits:
                logger.info("due work: %s", report)
            if report.queued:
                self.wake()
        except Exception:  # one failed tick must not stop the next ones
            logger.exception("run_due failed")

    def start(self) -> None:
        # The first tick runs at once: after a start or restart, missed due work is sent late, not
        # never. (APScheduler's own clock only paces the ticks; "now" comes from Carnet's clock.)
        self._scheduler.add_job(
            self.tick, "interval", seconds=TICK_SECONDS, id="run_due", next_run_time=datetime.now(tz=ZoneInfo("UTC"))
        )
        if self.profiles is not None:
            self._scheduler.add_job(self.check_profiles, "interval", seconds=PROFILE_CHECK_SECONDS, id="profiles")
        self._scheduler.start()

    def check_profiles(self) -> None:
        """Members' languages and time zones read again from the chat when a week old (bounded)."""
        from bot.jobs.profiles import check_profiles

        lookup, default_tz, default_locale = self.profiles
        try:
            report = check_profiles(self.session_factory, lookup, self.clock.now(),
                                    default_tz=default_tz, default_locale=default_locale)
            if report.checked or report.failed:
                logger.info("profile check: %s", report)
        except Exception:
            logger.exception("profile check failed")

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
