"""Reminders at scale (issue 5): the due-work scan over 2,000 reps and 50,000 planned items, then the outbox.

    python benchmarks/reminders.py                         # SQLite file in a temp dir
    python benchmarks/reminders.py --reps 500 --plans 10000
    python benchmarks/reminders.py --db-url postgresql+psycopg://user:pw@localhost/carnet_bench
    python benchmarks/reminders.py --profile run_due.prof  # cProfile of both run_due (.second)

What it does:

1. seeds a workspace (``TBENCHREM``): ``--reps`` reps in mixed time zones (Europe/Paris 60 %,
   America/New_York 20 %, Asia/Tokyo 20 %), 5 accounts each (gold / silver / bronze), a year of
   ``--actions`` and ``--plans`` planned items spread over each rep's next 60 local days (about
   half of them timed, 1 % timed within the next hour), plus ``--past`` items of the last two
   weeks (still planned, missed or done). Every account with a visit capital already has its next
   visit planned, as it would in a running workspace. Bulk inserts, one transaction.
2. times ``run_due(session_factory, now)`` — the scan the scheduler runs every minute — at a
   workday 08:30 in Paris (the next one after the real clock, or ``--now``): the first run marks
   the overdue items missed and queues the agendas (Paris and, late but the same day, Tokyo;
   New York is still asleep) and the visit reminders; the second run, a minute later, finds
   nothing new. Target: each under 1 s. The SQL statements each run executes are counted and
   timed.
3. drains the outbox through the fake Slack Web API (``tests/support/fake_slack.py`` over real
   HTTP) with ``--latency`` per call and a burst of 429 (Retry-After: 1) every
   ``--rate-limit-every`` delivered messages, with ``--workers`` delivery workers: threads on
   SQLite, separate processes on PostgreSQL (``--mode`` to choose). The workers use the real
   clock shifted to the benchmark's instant, so Retry-After waits real seconds.
4. prints messages per second (and the ceiling the fake's latency allows), and checks that
   every outbox row was delivered once: the count of delivered messages per dedupe key is 1.

Exit status: 0 when both scans are under 1 s and every row was delivered exactly once, 1 otherwise.
"""

from __future__ import annotations

import cProfile
import multiprocessing
import pstats
import queue
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time as wall_time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import harness  # first: puts the checkout on sys.path
from harness import (
    BOT_TOKEN,
    FakeSlack,
    StatementTimer,
    add_database_options,
    bench_database,
    open_outbox_rows,
    report_checks,
)
from sqlalchemy import func, insert, select, text

from bot.core import Reply
from bot.jobs.scheduler import run_due
from bot.render.blocks import fallback_text
from bot.services.actions import CHANNEL_OF_TYPE
from bot.services.plans import local_to_utc
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Account, Action, Member, OutboxMessage, Plan, Workspace

TEAM_ID = "TBENCHREM"
TARGET_SCAN_S = 1.0
PARIS = ZoneInfo("Europe/Paris")
AGENDA_TIME = wall_time(8, 30)  # the default agenda time
ZONES = [("Europe/Paris", "fr", 3), ("America/New_York", "en", 1), ("Asia/Tokyo", "en", 1)]
ACCOUNTS_PER_REP = 5
PLAN_TYPES = ["visit", "visit", "visit", "call", "call", "follow_up", "follow_up", "meeting", "demo", "email"]
IN_PERSON = ("visit", "meeting", "demo", "negotiation")
ACTION_TYPES = ["visit", "visit", "call", "call", "email", "meeting", "demo", "follow_up"]
RESULTS = [None, None, None, "proposal", "no_need", "meeting_booked", "order", "to_follow_up"]


# --------------------------------------------------------------------------- the workspace


def bench_instant(real_now: datetime) -> datetime:
    """The next workday 08:30 in Paris after ``real_now``."""
    local = real_now.astimezone(PARIS)
    day = _workday(local.date() + (timedelta(days=1) if local.time() >= AGENDA_TIME else timedelta()))
    return local_to_utc(datetime.combine(day, AGENDA_TIME), PARIS)


def _workday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@dataclass
class Seeded:
    workspace_id: int
    counts: dict[str, int] = field(default_factory=dict)


def seed(factory: Any, now: datetime, *, reps: int, plans: int, actions: int, past: int, rng: random.Random) -> Seeded:
    started = time.perf_counter()
    with factory() as session, session.begin():
        workspace = Workspace(team_id=TEAM_ID, name="Carnet reminders bench", created_at=now)
        session.add(workspace)
        session.flush()
        wid = workspace.id

        weights = [w for _, _, w in ZONES]
        member_rows = []
        for i in range(reps):
            tz, locale, _ = rng.choices(ZONES, weights=weights)[0]
            member_rows.append(dict(
                workspace_id=wid, slack_user_id=f"UREM{i:05d}", display_name=f"Rep {i:05d}", role="rep",
                locale=locale, tz=tz, period="month", created_at=now,
            ))
        session.execute(insert(Member), member_rows)
        members = session.execute(select(Member.id, Member.tz).where(Member.workspace_id == wid).order_by(Member.id)).all()

        account_rows = []
        for n, (member_id, _tz) in enumerate(members):
            for k in range(ACCOUNTS_PER_REP):
                name = f"Compte {n:05d}-{k}"
                segment = rng.choices(["gold", "silver", "bronze"], weights=[1, 3, 6])[0]
                account_rows.append(dict(
                    workspace_id=wid, name=name, name_key=name.lower(), status="client", segment=segment,
                    owner_id=member_id, visits_per_year={"gold": 36, "silver": 24, "bronze": 12}[segment], created_at=now,
                ))
        session.execute(insert(Account), account_rows)
        accounts = session.execute(
            select(Account.id, Account.owner_id, Account.segment).where(Account.workspace_id == wid).order_by(Account.id)
        ).all()
        by_owner: dict[int, list[int]] = {}
        for account_id, owner_id, _segment in accounts:
            by_owner.setdefault(owner_id, []).append(account_id)
        zone_of = {member_id: ZoneInfo(tz) for member_id, tz in members}

        batch: list[dict] = []
        for _ in range(actions):
            account_id, owner_id, _segment = rng.choice(accounts)
            day = _workday(now.date() - timedelta(days=rng.randint(1, 365)))
            if day >= now.date():
                day -= timedelta(days=7)
            action_type = rng.choice(ACTION_TYPES)
            batch.append(dict(
                workspace_id=wid, member_id=owner_id, account_id=account_id, action_type=action_type,
                result=rng.choice(RESULTS), channel=CHANNEL_OF_TYPE[action_type], occurred_on=day,
                logged_at=datetime.combine(day, wall_time(17), tzinfo=timezone.utc),
                source="bench",
            ))
            if len(batch) >= 20_000:
                session.execute(insert(Action), batch)
                batch.clear()
        if batch:
            session.execute(insert(Action), batch)

        def plan_row(member_id: int, account_id: int, action_type: str, due_at: datetime, has_time: bool,
                     status: str = "planned", source: str = "manual") -> dict:
            return dict(
                workspace_id=wid, member_id=member_id, account_id=account_id, action_type=action_type,
                due_at=due_at, has_time=has_time, status=status, source=source, created_at=now - timedelta(days=3),
                updated_at=now - timedelta(days=3),
            )

        def future_due(member_id: int) -> tuple[datetime, bool]:
            zone = zone_of[member_id]
            today = now.astimezone(zone).date()
            while True:
                day = _workday(today + timedelta(days=rng.randint(0, 59)))
                timed = rng.random() < 0.5
                wall = datetime.combine(day, wall_time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])) if timed else wall_time(9))
                due_at = local_to_utc(wall, zone)
                if due_at > now:
                    return due_at, timed

        plan_rows: list[dict] = []
        # Steady state: every account with a visit capital already has its next visit planned.
        for account_id, owner_id, segment in accounts:
            if segment in ("gold", "silver", "bronze") and len(plan_rows) < plans:
                due_at, timed = future_due(owner_id)
                plan_rows.append(plan_row(owner_id, account_id, "visit", due_at, timed, source="segment"))
        soon = plans // 100  # timed within the next hour: their reminders are due now
        relanced: set[tuple[int, int]] = set()  # one open automatic relance per rep and account (uq_plan_open_auto_relance)
        for i in range(plans - len(plan_rows)):
            account_id, owner_id, _segment = rng.choice(accounts)
            if i < soon:
                due_at, timed = now + timedelta(minutes=rng.randint(5, 60)), True
                action_type = rng.choice(IN_PERSON)
            else:
                due_at, timed = future_due(owner_id)
                action_type = rng.choice(PLAN_TYPES)
            source = rng.choice(["manual", "manual", "auto_relance"])
            if source == "auto_relance":
                source = "manual" if (owner_id, account_id) in relanced else source
                relanced.add((owner_id, account_id))
            plan_rows.append(plan_row(owner_id, account_id, action_type, due_at, timed, source=source))
        for _ in range(past):  # the last two weeks: not logged yet, already missed, or done
            account_id, owner_id, _segment = rng.choice(accounts)
            zone = zone_of[owner_id]
            day = now.astimezone(zone).date() - timedelta(days=rng.randint(1, 14))
            due_at = local_to_utc(datetime.combine(day, wall_time(rng.randint(8, 17))), zone)
            status = rng.choices(["planned", "missed", "done"], weights=[4, 3, 3])[0]
            plan_rows.append(plan_row(owner_id, account_id, rng.choice(PLAN_TYPES), due_at, True, status=status))
        for start in range(0, len(plan_rows), 10_000):
            session.execute(insert(Plan), plan_rows[start:start + 10_000])

        def count(model: type, *where: Any) -> int:
            return session.scalar(select(func.count()).select_from(model).where(model.workspace_id == wid, *where)) or 0

        seeded = Seeded(wid, {
            "reps": count(Member),
            "accounts": count(Account),
            "actions": count(Action),
            "planned items ahead": count(Plan, Plan.status == "planned", Plan.due_at > now),
            "timed within the hour": count(Plan, Plan.status == "planned", Plan.has_time.is_(True), Plan.due_at > now,
                                           Plan.due_at <= now + timedelta(hours=1)),
            "past items": count(Plan, Plan.due_at < now),
        })
        zones = Counter(tz for _, tz in members)
    print(f"workspace {TEAM_ID} seeded in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{v:,} {k}" for k, v in seeded.counts.items())
          + "; zones " + ", ".join(f"{z} {n}" for z, n in zones.most_common()))
    return seeded


# --------------------------------------------------------------------------- the scan


def timed_run_due(factory: Any, now: datetime, timer: StatementTimer, label: str,
                  profiler: cProfile.Profile | None = None) -> float:
    timer.reset()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = run_due(factory, now)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds * 1000:8.1f} ms  {timer.count:5d} SQL statements ({timer.seconds * 1000:.1f} ms in SQL)"
          f"  — {report}")
    return seconds


# --------------------------------------------------------------------------- delivery


class ShiftedClock:
    """The real clock moved to the benchmark's instant: time flows (Retry-After waits real seconds)."""

    def __init__(self, offset_seconds: float) -> None:
        self.offset = timedelta(seconds=offset_seconds)

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


def deliver_until_empty(factory: Any, api_url: str, worker_id: str, offset_seconds: float, workspace_id: int,
                        give_up_s: float) -> dict[str, Any]:
    """One worker: drain, wait while rows wait for their retry time, stop when the outbox is empty."""
    from slack_sdk import WebClient

    from bot.jobs.delivery import OutboxDelivery

    delivery = OutboxDelivery(factory, WebClient(token=BOT_TOKEN, base_url=api_url, timeout=10),
                              ShiftedClock(offset_seconds), worker_id=worker_id, http_timeout=10)
    totals: Counter = Counter()
    began = time.monotonic()
    while time.monotonic() - began < give_up_s:
        report = delivery.drain(max_rounds=1000)
        totals.update(sent=report.sent, retried=report.retried, failed=report.failed, dropped=report.dropped)
        if open_outbox_rows(factory, workspace_id) == 0:
            break
        if report.sent + report.failed + report.dropped == 0:
            time.sleep(0.02)
    return {"worker": worker_id, **totals, "seconds": time.monotonic() - began}


def _process_worker(db_url: str, api_url: str, worker_id: str, offset_seconds: float, workspace_id: int,
                    give_up_s: float, start: Any, results: Any) -> None:
    engine = make_engine(db_url)
    try:
        factory = make_session_factory(engine)
        start.wait(120)
        results.put(deliver_until_empty(factory, api_url, worker_id, offset_seconds, workspace_id, give_up_s))
    except BaseException as exc:
        results.put({"worker": worker_id, "error": repr(exc)})
        raise
    finally:
        engine.dispose()


def _rate_limiter(fake: FakeSlack, every: int, stop: threading.Event) -> None:
    """A burst of two 429 (Retry-After: 1) every ``every`` delivered messages."""
    mark = every
    while not stop.is_set():
        try:
            fake.wait_for("chat.postMessage", mark, timeout=0.5)
        except AssertionError:
            continue
        fake.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
        mark += every


def deliver(db_url: str, factory: Any, workspace_id: int, *, offset_seconds: float, workers: int, mode: str,
            latency: float, rate_limit_every: int, give_up_s: float = 300.0) -> tuple[FakeSlack, list[dict], float]:
    fake = FakeSlack(latency=latency).start()
    stop = threading.Event()
    limiter = threading.Thread(target=_rate_limiter, args=(fake, rate_limit_every, stop), daemon=True)
    reports: list[dict] = []
    if mode == "processes":
        ctx = multiprocessing.get_context("spawn")
        start, results = ctx.Barrier(workers + 1), ctx.Queue()
        procs = [ctx.Process(target=_process_worker, daemon=True, args=(
            db_url, fake.api_url, f"proc-{n}", offset_seconds, workspace_id, give_up_s, start, results))
            for n in range(workers)]
        for p in procs:
            p.start()
        start.wait(120)  # the processes are up: the clock starts now
        began = time.perf_counter()
        limiter.start()
        try:
            for _ in procs:
                try:
                    reports.append(results.get(timeout=give_up_s + 30))
                except queue.Empty:
                    reports.append({"worker": "?", "error": "no report"})
            elapsed = time.perf_counter() - began
            for p in procs:
                p.join(30)
        finally:
            for p in procs:
                if p.is_alive():
                    p.terminate()
    else:
        threads = [threading.Thread(target=lambda n=n: reports.append(deliver_until_empty(
            factory, fake.api_url, f"thread-{n}", offset_seconds, workspace_id, give_up_s))) for n in range(workers)]
        began = time.perf_counter()
        limiter.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    stop.set()
    limiter.join(2)
    return fake, reports, elapsed


def check_exactly_once(factory: Any, workspace_id: int, fake: FakeSlack) -> tuple[Counter, Counter, list[str]]:
    """Delivered messages per dedupe key (a row's DM is its channel + text) and the rows' statuses."""
    with factory() as session:
        rows = session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.payload)
            .where(OutboxMessage.workspace_id == workspace_id)
        ).all()
    statuses = Counter(r.status for r in rows)
    message_of = {
        r.dedupe_key: (r.payload["destination"]["user"], fallback_text(Reply.from_dict(r.payload["reply"]))) for r in rows
    }
    problems = []
    if len(set(message_of.values())) != len(message_of):
        problems.append("two rows would post the same text to the same person: counts per key are ambiguous")
    delivered = Counter((c.params.get("channel"), c.params.get("text")) for c in fake.delivered("chat.postMessage"))
    per_key = Counter({key: delivered.get(message, 0) for key, message in message_of.items()})
    strays = sum(delivered.values()) - sum(per_key.values())
    if strays:
        problems.append(f"{strays} delivered message(s) match no outbox row")
    return per_key, statuses, problems


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    add_database_options(parser)
    parser.add_argument("--reps", type=int, default=2000, help="reps (default 2,000)")
    parser.add_argument("--plans", type=int, default=50_000, help="planned items over the next 60 days (default 50,000)")
    parser.add_argument("--actions", type=int, default=100_000, help="logged actions of the past year (default 100,000)")
    parser.add_argument("--past", type=int, default=1_000, help="items of the last two weeks (default 1,000)")
    parser.add_argument("--now", type=datetime.fromisoformat, default=None,
                        help="the instant of the scan, ISO with offset (default: the next workday 08:30 in Paris)")
    parser.add_argument("--workers", type=int, default=2, help="delivery workers (default 2)")
    parser.add_argument("--mode", choices=["auto", "threads", "processes"], default="auto",
                        help="workers as threads or processes (auto: processes on PostgreSQL, threads on SQLite)")
    parser.add_argument("--latency", type=float, default=0.005, help="seconds the fake Web API takes per call (default 0.005)")
    parser.add_argument("--rate-limit-every", type=int, default=250,
                        help="two 429 (Retry-After: 1) after every N delivered messages (default 250)")
    parser.add_argument("--profile", metavar="FILE", default=None, help="cProfile of the first run_due to FILE and of the second to FILE.second (top 25 printed)")
    parser.add_argument("--seed", type=int, default=5, help="random seed")
    args = parser.parse_args(argv)
    with bench_database(args, "reminders.db") as db_url:
        return measure(args, db_url)


def measure(args: Any, db_url: str) -> int:
    """Seed, time the scans, drain the outbox, and check the targets (the exit status)."""
    engine = make_engine(db_url)
    dialect = engine.dialect.name
    mode = args.mode if args.mode != "auto" else ("processes" if dialect == "postgresql" else "threads")
    real_now = datetime.now(timezone.utc)
    now = args.now.astimezone(timezone.utc) if args.now else bench_instant(real_now)
    print(f"database: {dialect} ({engine.url.render_as_string(hide_password=True).split('@')[-1]})")
    print(f"instant: {now.isoformat()} = {now.astimezone(PARIS):%a %d %b %H:%M} Paris, "
          f"{now.astimezone(ZoneInfo('America/New_York')):%H:%M} New York, {now.astimezone(ZoneInfo('Asia/Tokyo')):%H:%M} Tokyo")
    upgrade(engine)
    factory = make_session_factory(engine)
    checks: list[tuple[str, bool]] = []
    seeded: Seeded | None = None
    try:
        if harness.drop_workspace(engine, TEAM_ID, vacuum=True):  # a fresh workspace every run
            print(f"previous {TEAM_ID} workspace deleted")
        seeded = seed(factory, now, reps=args.reps, plans=args.plans, actions=args.actions, past=args.past,
                      rng=random.Random(args.seed))
        if dialect == "postgresql":
            with engine.connect() as conn:  # fresh statistics, as autovacuum would have by now
                conn.execute(text("ANALYZE"))
                conn.commit()

        print("\nrun_due (the due-work scan):")
        timer = StatementTimer(engine).attach()
        profiler = cProfile.Profile() if args.profile else None
        first = timed_run_due(factory, now, timer, "first run (queues the work)", profiler)
        second_profiler = cProfile.Profile() if args.profile else None
        second = timed_run_due(factory, now + timedelta(minutes=1), timer, "second run, a minute later", second_profiler)
        timer.close()
        if profiler is not None and second_profiler is not None:
            for which, prof, path in (("first", profiler, args.profile), ("second", second_profiler, args.profile + ".second")):
                prof.dump_stats(path)
                print(f"\nprofile of the {which} run (timed above with the profiler on) written to {path}:")
                pstats.Stats(path).sort_stats("cumulative").print_stats(25)
        harness.figure(f"due-work scan, cold ({args.reps:,} reps, {args.plans:,} plans)", first * 1000, target=TARGET_SCAN_S * 1000)
        harness.figure("due-work scan, a minute later", second * 1000, target=TARGET_SCAN_S * 1000)
        checks.append((f"first scan {first * 1000:.0f} ms < {TARGET_SCAN_S * 1000:.0f} ms", first < TARGET_SCAN_S))
        checks.append((f"second scan {second * 1000:.0f} ms < {TARGET_SCAN_S * 1000:.0f} ms", second < TARGET_SCAN_S))

        queued = Counter()
        with factory() as session:
            for key in session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.workspace_id == seeded.workspace_id)):
                queued[key.split(":", 1)[0]] += 1
        total = sum(queued.values())
        print(f"\noutbox: {total:,} rows ({', '.join(f'{n:,} {k}' for k, n in queued.items())}); "
              f"draining with {args.workers} worker {mode}, fake latency {args.latency * 1000:.0f} ms, "
              f"two 429 every {args.rate_limit_every} messages")
        offset = (now - datetime.now(timezone.utc)).total_seconds() + 1.0  # a second after the scan
        fake, reports, elapsed = deliver(db_url, factory, seeded.workspace_id, offset_seconds=offset,
                                         workers=args.workers, mode=mode, latency=args.latency,
                                         rate_limit_every=args.rate_limit_every)
        try:
            errors = [r for r in reports if "error" in r]
            for r in reports:
                print("  " + ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in r.items()))
            calls = fake.calls("chat.postMessage")
            statuses_http = Counter(c.status for c in calls)
            delivered = statuses_http.get(200, 0)
            ceiling = args.workers / args.latency if args.latency else float("inf")
            span = (max(c.at for c in calls) - min(c.at for c in calls)) if calls else 0.0
            print(f"  {delivered:,} messages delivered in {elapsed:.2f} s: {delivered / elapsed:.0f} messages/s "
                  f"(ceiling of {args.workers} workers at {args.latency * 1000:.0f} ms a call: {ceiling:.0f}/s); "
                  f"HTTP answers {dict(statuses_http)}; first to last call {span:.2f} s")
            per_key, statuses, problems = check_exactly_once(factory, seeded.workspace_id, fake)
            spread = Counter(per_key.values())
            print(f"  rows: {dict(statuses)}; delivered messages per dedupe key: "
                  + ", ".join(f"{n} → {k:,} key(s)" for n, k in sorted(spread.items())))
            with StatementTimer(engine) as again:
                timed_run_due(factory, now + timedelta(minutes=2), again, "after delivery, run again")
            with factory() as session:
                after = session.scalar(select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.workspace_id == seeded.workspace_id)) or 0
        finally:
            fake.stop()
        checks.append((f"every worker finished ({len(reports)} reports)", not errors))
        checks.append((f"every row sent ({statuses.get('sent', 0):,} of {total:,})", statuses == {"sent": total}))
        checks.append(("no dedupe key delivered twice", all(n <= 1 for n in per_key.values())))
        checks.append(("no dedupe key left undelivered", all(n >= 1 for n in per_key.values())))
        checks.append((f"nothing queued again after delivery ({after:,} rows)", after == total))
        for problem in problems:
            checks.append((problem, False))
    finally:
        if seeded is not None and not args.keep_db and args.db_url:
            print(f"\nworkspace {TEAM_ID} deleted in {harness.drop_workspace(engine, TEAM_ID, vacuum=True):.1f} s")
        engine.dispose()
    return report_checks(checks)


if __name__ == "__main__":
    sys.exit(main())
