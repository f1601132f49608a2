"""One manager's review pack for 50 reps: the facts and the messages, on SQLite and PostgreSQL (issue 14).

    python benchmarks/review.py                          # SQLite file in a temp dir
    python benchmarks/review.py --db-file /tmp/review.db # a SQLite file kept and reused by later runs
    python benchmarks/review.py --db-url "postgresql+psycopg://postgres@127.0.0.1/carnet?options=-csearch_path%3Dbench" --keep-db

What it does:

1. seeds ``carnet demo --size medium`` (``bot.demo.seed_demo``: 50 reps under one manager, 5,000
   accounts, 200,000 actions over a year, 20,000 opportunities) in workspace ``TBENCHREV`` at
   ``--now`` (by default Wednesday 25 November 2026 08:00 in Paris, five workdays before the end
   of November), in a separate process; then what the demo lacks for the pack to exercise every
   query: each rep's four objectives for their current period and 12 relances a rep in the period
   so far (done, missed or cancelled). PostgreSQL is ANALYZEd.
2. times ``--rounds`` rounds of what the scheduler builds for that manager when the reviews are
   due (``_queue_reviews`` without the outbox writes): every rep's review at once
   (``rep_reviews``), the manager's pack (``pack_of`` + ``pack_reply``) and each rep's brief
   (``brief_reply``), in one session; prints each round's time and statements.

Exit status: 0 when every round is under 1 s, 1 otherwise.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import harness  # first: puts the checkout on sys.path
from harness import StatementTimer, add_database_options, bench_database, report_checks
from sqlalchemy import delete, insert, select, text

from bot.demo import seed_demo
from bot.present import MemberReader
from bot.present.review import brief_reply, pack_reply
from bot.reports.review import pack_of, rep_reviews
from bot.services import workspace_settings
from bot.services.periods import period_bounds
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Account, Member, Objective, Plan, Workspace

TEAM_ID = "TBENCHREV"
TARGET_S = 1.0
PARIS = ZoneInfo("Europe/Paris")
DEFAULT_NOW = datetime(2026, 11, 25, 8, 0, tzinfo=PARIS)
RELANCES_PER_REP = 12


def seed(db_url: str, now: datetime) -> None:
    """The medium demo, the reps' objectives and relances (run in a child process)."""
    import random

    started = time.perf_counter()
    engine = make_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(14)
    with factory() as session, session.begin():
        workspace = seed_demo(session, now=now, team_id=TEAM_ID, size="medium")
        wid = workspace.id
        reps = list(session.execute(
            select(Member.id, Member.period, Member.tz).where(Member.workspace_id == wid, Member.role == "rep")
        ))
        session.execute(delete(Objective).where(Objective.workspace_id == wid, Objective.member_id.is_not(None)))
        scale = {"week": 0.25, "month": 1, "quarter": 3}
        rows = []
        for member_id, period, tz in reps:
            start, end = period_bounds(period, now.astimezone(ZoneInfo(tz)).date())
            for metric, (low, high) in {"revenue": (30_000, 70_000), "visits": (20, 40), "new_opportunities": (5, 12), "won_deals": (2, 5)}.items():
                rows.append(dict(workspace_id=wid, scope=f"member:{member_id}", member_id=member_id, metric=metric, period=period,
                                 period_start=start, period_end=end, value=Decimal(max(1, round(rng.randint(low, high) * scale[period]))),
                                 created_at=now, updated_at=now))
        session.execute(insert(Objective), rows)
        accounts: dict[int, list[int]] = {}
        for account_id, owner_id in session.execute(select(Account.id, Account.owner_id).where(Account.workspace_id == wid)):
            accounts.setdefault(owner_id, []).append(account_id)
        session.execute(delete(Plan).where(Plan.workspace_id == wid, Plan.action_type == "follow_up", Plan.source == "manual"))
        rows = []
        for member_id, _period, _tz in reps:
            for _ in range(RELANCES_PER_REP if accounts.get(member_id) else 0):
                due = now - timedelta(days=rng.randint(1, 24), hours=rng.randint(0, 8))
                rows.append(dict(workspace_id=wid, member_id=member_id, account_id=rng.choice(accounts[member_id]),
                                 action_type="follow_up", due_at=due, has_time=False, source="manual",
                                 status=rng.choices(["done", "missed", "cancelled"], weights=[6, 3, 1])[0],
                                 created_at=due - timedelta(days=7), updated_at=due))
        session.execute(insert(Plan), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()
    print(f"  workspace {TEAM_ID} ready in {time.perf_counter() - started:.0f} s", flush=True)


def one_pack(factory, engine, now: datetime) -> tuple[float, float, int, int, int]:
    """(seconds, CPU seconds of this process, statements, reps, lines of the pack) of one manager's
    pack and their reps' briefs (the CPU time says what the wall time owes to a shared machine)."""
    with StatementTimer(engine) as counter, factory() as session:
        started, cpu = time.perf_counter(), time.process_time()
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        settings = workspace_settings.load(workspace)
        manager = session.scalar(select(Member).where(Member.workspace_id == workspace.id, Member.role == "manager").order_by(Member.id))
        reps = list(session.scalars(select(Member).where(Member.manager_id == manager.id, Member.role == "rep").order_by(Member.id)))
        reviews = rep_reviews(session, reps, now=now, settings=settings)
        pack = pack_reply(MemberReader.of(manager, now), pack_of(manager, list(reviews.values()), currency=settings.currency))
        for rep in reps:
            brief_reply(MemberReader.of(rep, now), reviews[rep.id], settings.currency)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        session.rollback()
    return elapsed, cpu, counter.count, len(reps), len(pack.lines)


def main() -> int:
    parser = harness.parser(__doc__)
    add_database_options(parser, db_file=True)
    parser.add_argument("--now", type=datetime.fromisoformat, default=DEFAULT_NOW)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    now = args.now if args.now.tzinfo else args.now.replace(tzinfo=PARIS)
    with bench_database(args, "review.db") as url:
        child = multiprocessing.get_context("spawn").Process(target=seed, args=(url, now))
        child.start()
        child.join()
        if child.exitcode != 0:
            print("seeding failed", file=sys.stderr)
            return 1
        engine = make_engine(url)
        factory = make_session_factory(engine)
        print(f"\n{engine.dialect.name}: one manager's review pack and briefs, {args.rounds} rounds")
        times = []
        for i in range(args.rounds):
            elapsed, cpu, statements, reps, lines = one_pack(factory, engine, now)
            times.append(elapsed)
            print(f"  round {i + 1}: {elapsed * 1000:7.1f} ms (CPU {cpu * 1000:6.1f} ms), {statements} statements, "
                  f"{reps} reps, pack of {lines} lines")
        print(f"  first {times[0] * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
        engine.dispose()
        if not args.keep_db and engine.dialect.name == "postgresql":
            harness.drop_workspace(make_engine(url), TEAM_ID)
    harness.figure("review pack of 50 reps, slowest round", max(times), target=TARGET_S, unit="s")
    return report_checks([(f"every round under {TARGET_S:.0f} s (max {max(times):.3f} s)", max(times) < TARGET_S),
                          ("50 reps in the pack", reps == 50)])


if __name__ == "__main__":
    sys.exit(main())
