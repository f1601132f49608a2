"""All weekly digests of a 1,000-rep workspace, next to a pandas groupby of the same figures (issue 6).

    python benchmarks/digest.py                            # SQLite file in a temp dir (seeding takes minutes)
    python benchmarks/digest.py --db-file /tmp/digest.db   # a SQLite file kept and reused by later runs
    python benchmarks/digest.py --db-url "postgresql+psycopg://postgres@127.0.0.1/carnet?options=-csearch_path%3Dbench" --keep-db
    python benchmarks/digest.py --profile digest.prof      # cProfile of one more round, top 30 printed
    python benchmarks/digest.py --explain                  # statements of one digest, slowest first, with plans

What it does:

1. seeds ``carnet demo --size large`` (``bot.demo.seed_demo``: 1,000 reps, 20,000 accounts,
   1,000,000 actions over a year, 100,000 opportunities) in a separate process (so that its
   memory does not count), at the benchmark's instant (``--now``, by default Monday 23 November
   2026 08:00 in Paris, the digest time), in workspace ``TBENCHDIG``. Then it makes the team
   realistic for "all weekly digests": ``--managers`` managers (the demo manager and 49 more)
   of 20 reps each, and what the demo lacks for the digest to exercise every query: each rep's
   objectives for their current period (revenue, visits, new opportunities, won deals) and
   last week's in-person plans (8 a rep: done, missed or cancelled). PostgreSQL is ANALYZEd;
   SQLite is left as Carnet leaves it. With ``--keep-db`` (or ``--db-file``) a later run reuses
   the workspace.
2. times ``--rounds`` rounds of every weekly digest, as ``_queue_digests`` computes them on a
   Monday 08:00: the managers and their teams (``managers_with_teams``), then all their digests
   at once, ``weekly_digests(session, teams, now=, settings=)``, in one session; the Slack reply
   and the PNG chart are left out here and timed apart on ``--charts`` managers. It prints each
   round's total, statements run, and — in one more round under tracemalloc — the peak of
   Python allocations; ru_maxrss of the process after the rounds; and the time of one team's
   digest alone (``weekly_digest``, what ``/carnet digest`` builds) for 10 managers.
3. as the reference, loads the workspace's actions and opportunities into pandas DataFrames
   (timed apart) and computes the rep table's figures for the same week with groupby: actions
   by type, visits, revenue won, weighted pipeline; checks that they equal the digests' to the
   cent, and prints the time next to Carnet's (and next to the same four figures read through
   ``bot/reports/kpis.py``, one team at a time).

Exit status: 0 when the target is met (first round under 5 s, tracemalloc peak and ru_maxrss
under 500 MB, pandas figures equal to the digests'), 1 otherwise.
"""

from __future__ import annotations

import cProfile
import gc
import multiprocessing
import pstats
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import harness  # first: puts the checkout on sys.path
from harness import StatementTimer, add_database_options, bench_database, percentile, report_checks
from sqlalchemy import delete, func, insert, select, text, update

from bot.demo import SIZES, seed_demo
from bot.jobs.scheduler import managers_with_teams
from bot.reports import kpis
from bot.reports.coaching import last_week, weekly_digest, weekly_digests
from bot.reports.kpis import KpiScope
from bot.services import workspace_settings
from bot.services.periods import period_bounds
from bot.services.plans import IN_PERSON
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Account, Action, Member, Objective, Opportunity, Plan, Workspace

TEAM_ID = "TBENCHDIG"
TARGET_S = 5.0
TARGET_MB = 500.0
PARIS = ZoneInfo("Europe/Paris")
DEFAULT_NOW = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)  # a Monday, the default digest time
PLANS_PER_REP = 8
MB = 1024 * 1024


# --------------------------------------------------------------------------- the workspace


def seed(db_url: str, size: str, managers: int, now: datetime) -> None:
    """The demo workspace, its teams, objectives and last week's plans (run in a child process)."""
    import random

    started = time.perf_counter()
    engine = make_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(11)
    with factory() as session, session.begin():
        existed = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID)) is not None
        workspace = seed_demo(session, now=now, team_id=TEAM_ID, size=size)
        wid = workspace.id
        if not existed:
            print(f"  demo {size} seeded in {time.perf_counter() - started:.0f} s", flush=True)
        # Managers: the demo's and as many more as needed, each with an equal share of the reps.
        have = list(session.scalars(
            select(Member.id).where(Member.workspace_id == wid, Member.role == "manager").order_by(Member.id)
        ))
        if len(have) < managers:
            session.execute(insert(Member), [
                dict(workspace_id=wid, slack_user_id=f"UMGR{i:04d}", display_name=f"Manager {i:02d}", role="manager",
                     locale="fr", tz="Europe/Paris", period="quarter", created_at=now)
                for i in range(len(have), managers)
            ])
            have = list(session.scalars(
                select(Member.id).where(Member.workspace_id == wid, Member.role == "manager").order_by(Member.id)
            ))
        reps = list(session.scalars(select(Member.id).where(Member.workspace_id == wid, Member.role == "rep").order_by(Member.id)))
        share = -(-len(reps) // managers)
        for i, manager_id in enumerate(have[:managers]):
            session.execute(update(Member).where(Member.id.in_(reps[i * share:(i + 1) * share])).values(manager_id=manager_id))

        # Each rep's objectives for the period that contains today (in their zone), if not there yet.
        session.execute(delete(Objective).where(Objective.workspace_id == wid))
        per_month = {"revenue": (30_000, 70_000), "visits": (20, 40), "new_opportunities": (5, 12), "won_deals": (2, 5)}
        scale = {"week": 0.25, "month": 1, "quarter": 3}
        rows = []
        for member_id, period, tz in session.execute(
            select(Member.id, Member.period, Member.tz).where(Member.workspace_id == wid, Member.role == "rep")
        ):
            start, end = period_bounds(period, now.astimezone(ZoneInfo(tz)).date())
            for metric, (low, high) in per_month.items():
                value = max(1, round(rng.randint(low, high) * scale[period]))
                rows.append(dict(workspace_id=wid, scope=f"member:{member_id}", member_id=member_id, metric=metric,
                                 period=period, period_start=start, period_end=end, value=Decimal(value),
                                 created_at=now, updated_at=now))
        session.execute(insert(Objective), rows)

        # Last week's in-person plans: PLANS_PER_REP a rep at their own accounts, mostly done.
        session.execute(delete(Plan).where(Plan.workspace_id == wid))
        week_start, _ = last_week(now.astimezone(PARIS).date())
        accounts: dict[int, list[int]] = {}
        for account_id, owner_id in session.execute(
            select(Account.id, Account.owner_id).where(Account.workspace_id == wid, Account.owner_id.is_not(None))
        ):
            accounts.setdefault(owner_id, []).append(account_id)
        rows = []
        for member_id in reps:
            for _ in range(PLANS_PER_REP if accounts.get(member_id) else 0):
                day = week_start + timedelta(days=rng.randint(0, 4))
                due = datetime(day.year, day.month, day.day, rng.choice([9, 10, 11, 14, 15, 16]), tzinfo=PARIS)
                rows.append(dict(
                    workspace_id=wid, member_id=member_id, account_id=rng.choice(accounts[member_id]),
                    action_type=rng.choice(["visit", "visit", "visit", "meeting", "demo"]), due_at=due, has_time=True,
                    status=rng.choices(["done", "missed", "cancelled"], weights=[7, 2, 1])[0], source="manual",
                    created_at=due - timedelta(days=7), updated_at=due,
                ))
        session.execute(insert(Plan), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # fresh statistics, as autovacuum would have by now
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()
    print(f"  workspace {TEAM_ID} ready in {time.perf_counter() - started:.0f} s", flush=True)


def describe(factory: Any) -> dict[str, int]:
    with factory() as session:
        wid = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID))

        def count(model: Any, *where: Any) -> int:
            return session.scalar(select(func.count()).select_from(model).where(model.workspace_id == wid, *where)) or 0

        return {
            "managers": count(Member, Member.role == "manager"),
            "reps": count(Member, Member.role == "rep"),
            "accounts": count(Account),
            "actions": count(Action),
            "opportunities": count(Opportunity),
            "open opportunities": count(Opportunity, Opportunity.status == "open"),
            "objectives": count(Objective),
            "plans": count(Plan),
        }


# --------------------------------------------------------------------------- Carnet's digests


@dataclass
class Round:
    total: float  # seconds, teams included
    teams: float  # seconds to read the managers and their teams
    managers: int
    statements: int
    digests: dict[int, Any]


def all_digests(factory: Any, engine: Any, now: datetime) -> Round:
    """What ``_queue_digests`` computes on a Monday at the digest time, without the replies and charts."""
    with StatementTimer(engine) as counter, factory() as session:
        started = time.perf_counter()
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        settings = workspace_settings.load(workspace)
        teams = managers_with_teams(session, workspace.id)
        teams_s = time.perf_counter() - started
        digests = weekly_digests(session, teams, now=now, settings=settings)
        total = time.perf_counter() - started
        session.rollback()
    return Round(total, teams_s, len(teams), counter.count, digests)


def one_at_a_time(factory: Any, now: datetime, count: int) -> list[float]:
    """Seconds of ``weekly_digest`` for one team alone (what ``/carnet digest`` builds), ``count`` managers."""
    with factory() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        settings = workspace_settings.load(workspace)
        out = []
        for manager, team in managers_with_teams(session, workspace.id)[:count]:
            t0 = time.perf_counter()
            weekly_digest(session, manager, team, now=now, settings=settings)
            out.append(time.perf_counter() - t0)
        session.rollback()
    return out


def same_figures_through_kpis(factory: Any, now: datetime) -> tuple[float, dict[int, tuple[int, int, int, int]]]:
    """The rep table's four figures (actions, visits, won, weighted pipeline) through bot/reports/kpis.py,
    one team at a time: member → (actions, visits, won cents, weighted cents)."""
    out: dict[int, tuple[int, int, int, int]] = {}
    with factory() as session:
        started = time.perf_counter()
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        currency = workspace_settings.load(workspace).currency
        for manager, team in managers_with_teams(session, workspace.id):
            zone = ZoneInfo(manager.tz)
            start, end = last_week(now.astimezone(zone).date())
            scope = KpiScope(workspace.id, tuple(m.id for m in team), start, end, zone)
            activity = kpis.activity(session, scope)
            won = kpis.revenue_won(session, scope)
            weighted = kpis.weighted_pipeline(session, scope)
            for m in team:
                out[m.id] = (sum(activity[m.id].by_type.values()), activity[m.id].visits,
                             cents(won[m.id].get(currency, 0)), cents(weighted[m.id].get(currency, 0)))
        elapsed = time.perf_counter() - started
        session.rollback()
    return elapsed, out


def cents(amount: Any) -> int:
    return int((Decimal(amount) * 100).to_integral_value())


def time_charts(factory: Any, now: datetime, count: int) -> list[tuple[float, float]]:
    """(reply s, chart s) for the first ``count`` managers: the Slack reply and the PNG of their digest."""
    from bot.core import ToMember
    from bot.present import MemberReader
    from bot.present.reports import digest_reply
    from bot.render.files import content
    from bot.services.outbox import file_payload

    out = []
    with factory() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        settings = workspace_settings.load(workspace)
        for manager, team in managers_with_teams(session, workspace.id)[:count]:
            digest = weekly_digest(session, manager, team, now=now, settings=settings)
            t0 = time.perf_counter()
            reply = digest_reply(MemberReader.of(manager, now), digest)
            t1 = time.perf_counter()
            # The delivery worker draws it from the row's data when it sends the row.
            [chart] = reply.attachments
            content(file_payload(ToMember(manager.slack_user_id), chart))
            out.append((t1 - t0, time.perf_counter() - t1))
        session.rollback()
    return out


def explain_one(factory: Any, engine: Any, now: datetime) -> None:
    """Every statement of one manager's digest, replayed alone, slowest first, with its plan."""
    with factory() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        settings = workspace_settings.load(workspace)
        manager, team = managers_with_teams(session, workspace.id)[0]
        harness.trace(engine, f"one weekly digest ({manager.display_name}, {len(team)} reps)",
              lambda: weekly_digest(session, manager, team, now=now, settings=settings), explain=True, min_ms=2.0)
        session.rollback()


# --------------------------------------------------------------------------- the pandas reference


def pandas_reference(engine: Any, now: datetime, currency: str) -> tuple[float, float, dict[int, tuple[int, int, int, int]], dict[str, int]]:
    """(load s, groupby s, member → (actions, visits, won cents, weighted cents), rows loaded).

    The week is the Paris managers' last week (every manager of the benchmark is in Paris)."""
    import pandas as pd

    started = time.perf_counter()
    with engine.connect() as conn:
        wid = conn.execute(select(Workspace.id).where(Workspace.team_id == TEAM_ID)).scalar_one()
        actions = pd.read_sql_query(
            select(Action.member_id, Action.action_type, Action.occurred_on).where(Action.workspace_id == wid), conn
        )
        deals = pd.read_sql_query(
            select(Opportunity.member_id, Opportunity.status, Opportunity.currency, Opportunity.amount,
                   Opportunity.probability, Opportunity.closed_at).where(Opportunity.workspace_id == wid), conn
        )
    actions["occurred_on"] = pd.to_datetime(actions["occurred_on"])
    actions["action_type"] = actions["action_type"].astype("category")
    deals["closed_at"] = pd.to_datetime(deals["closed_at"], utc=True, format="ISO8601")
    deals["cents"] = (deals["amount"].astype("float64") * 100).round().astype("int64")  # exact: 2 decimals
    deals = deals.drop(columns="amount")
    load_s = time.perf_counter() - started

    start, end = last_week(now.astimezone(PARIS).date())
    start_utc, end_utc = KpiScope(wid, (), start, end, PARIS).utc_bounds
    started = time.perf_counter()
    week = actions[(actions["occurred_on"] >= pd.Timestamp(start)) & (actions["occurred_on"] <= pd.Timestamp(end))]
    by_type = week.groupby(["member_id", "action_type"], observed=True).size().unstack(fill_value=0)
    n_actions = by_type.sum(axis=1)
    n_visits = by_type[[t for t in IN_PERSON if t in by_type.columns]].sum(axis=1)
    mine = deals[deals["currency"] == currency]
    won = mine[(mine["status"] == "won") & (mine["closed_at"] >= pd.Timestamp(start_utc))
               & (mine["closed_at"] < pd.Timestamp(end_utc))].groupby("member_id")["cents"].sum()
    open_ = mine[mine["status"] == "open"]
    hundredths = (open_["cents"] * open_["probability"]).groupby(open_["member_id"]).sum()  # cents x probability
    groupby_s = time.perf_counter() - started

    def get(series: Any, member_id: int) -> int:
        return int(series.get(member_id, 0))

    members = set(actions["member_id"].unique()) | set(deals["member_id"].unique())
    figures = {
        int(m): (get(n_actions, m), get(n_visits, m), get(won, m),
                 int((Decimal(get(hundredths, m)) / 100).quantize(Decimal(1))))  # rounded as _weighted_money
        for m in members
    }
    return load_s, groupby_s, figures, {"actions": len(actions), "opportunities": len(deals)}


def carnet_figures(digests: dict[int, Any]) -> dict[int, tuple[int, int, int, int]]:
    return {
        rep.member_id: (rep.actions, rep.visits, cents(rep.won), cents(rep.weighted_pipeline))
        for digest in digests.values()
        for rep in digest.reps
    }


def compare(name: str, expected: dict[int, tuple], got: dict[int, tuple]) -> list[str]:
    zero = (0, 0, 0, 0)
    problems = [f"{name}: rep {m}: {got.get(m, zero)} != digest {expected[m]}" for m in expected
                if got.get(m, zero) != expected[m]]
    return problems


# --------------------------------------------------------------------------- main


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    add_database_options(parser, db_file=True)
    parser.add_argument("--size", choices=sorted(SIZES), default="large", help="demo size to seed (default large)")
    parser.add_argument("--managers", type=int, default=50, help="managers sharing the reps (default 50: 20 reps each)")
    parser.add_argument("--now", type=datetime.fromisoformat, default=DEFAULT_NOW,
                        help="the instant, with an offset (default 2026-11-23T08:00+01:00, a Monday); seeding uses it too")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of all digests (default 3)")
    parser.add_argument("--charts", type=int, default=3, help="managers whose reply and PNG chart are timed (default 3)")
    parser.add_argument("--profile", metavar="FILE", default=None, help="cProfile of one more round to FILE (top 30 printed)")
    parser.add_argument("--explain", action="store_true", help="statements of one digest over 2 ms, with their plans")
    args = parser.parse_args(argv)

    with bench_database(args, "digest.db") as db_url:
        return measure(args, db_url)


def measure(args: Any, db_url: str) -> int:
    """Seed (a child process), time the digests, compare with pandas and kpis, check the targets."""
    now = args.now.astimezone(timezone.utc)
    engine = make_engine(db_url)
    dialect = engine.dialect.name
    print(f"database: {dialect} ({engine.url.render_as_string(hide_password=True).split('@')[-1]})")
    print(f"instant: {now.isoformat()} = {now.astimezone(PARIS):%A %d %B %Y %H:%M} in Paris")
    exit_status = 1
    try:
        # Seeding builds a million rows in Python: a child process, so that none of it shows in this one's memory.
        child = multiprocessing.get_context("spawn").Process(target=seed, args=(db_url, args.size, args.managers, now))
        child.start()
        child.join()
        if child.exitcode != 0:
            print(f"seeding failed (exit code {child.exitcode})")
            return 1
        factory = make_session_factory(engine)
        counts = describe(factory)
        print(f"workspace {TEAM_ID}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        gc.collect()
        rss_before = maxrss_mb()

        rounds = [all_digests(factory, engine, now) for _ in range(args.rounds)]
        rss_digests = maxrss_mb()
        tracemalloc.start()
        traced = all_digests(factory, engine, now)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_traced = maxrss_mb()

        first = rounds[0]
        managers = first.managers
        team_sizes = sorted({len(d.reps) for d in first.digests.values()})
        print(f"\nall weekly digests ({managers} managers, teams of {'/'.join(map(str, team_sizes))} reps; "
              f"week {min(d.week_start for d in first.digests.values())} – {max(d.week_end for d in first.digests.values())}):")
        print(f"  {'round':<14}{'total s':>9}{'teams ms':>10}{'statements':>12}")
        for i, r in enumerate(rounds + [traced], 1):
            label = "tracemalloc" if r is traced else f"{i}" + (" (first)" if i == 1 else "")
            print(f"  {label:<14}{r.total:>9.2f}{r.teams * 1000:>10.1f}{r.statements:>12,}")
        best = min(rounds, key=lambda r: r.total)
        alone = [t * 1000 for t in one_at_a_time(factory, now, 10)]
        print(f"  one team alone (weekly_digest, as /carnet digest builds it), {len(alone)} managers: "
              f"p50 {percentile(alone, 50):.1f} ms, max {max(alone):.1f} ms")
        print(f"  statements in a round: {first.statements:,} for {managers} digests; "
              f"risks found: {sum(len(d.risks) for d in first.digests.values())}, "
              f"won deals listed: {sum(len(d.won_deals) for d in first.digests.values())}")
        print(f"  memory: tracemalloc peak {peak / MB:.1f} MB (Python allocations during one round); ru_maxrss "
              f"{rss_before:.0f} MB before the rounds, {rss_digests:.0f} MB after, {rss_traced:.0f} MB after the traced round")

        kpi_s, kpi_figures = same_figures_through_kpis(factory, now)

        charts = time_charts(factory, now, args.charts) if args.charts else []
        if charts:
            reply_ms = statistics.fmean(r for r, _ in charts) * 1000
            chart_ms = statistics.fmean(c for _, c in charts) * 1000
            print(f"  left out above, per manager (mean of {len(charts)}): the Slack reply {reply_ms:.1f} ms, "
                  f"the PNG chart {chart_ms:.0f} ms (x {managers} managers ≈ {chart_ms * managers / 1000:.1f} s); "
                  f"ru_maxrss after the charts {maxrss_mb():.0f} MB")

        load_s, groupby_s, pandas_figures, loaded = pandas_reference(engine, now, first.digests[next(iter(first.digests))].currency)
        digest_figures = carnet_figures(first.digests)
        problems = compare("pandas", digest_figures, pandas_figures) + compare("kpis", digest_figures, kpi_figures)
        print(f"\nthe rep table's figures (actions, visits, won, weighted pipeline) of all {len(digest_figures):,} reps:")
        print(f"  {'Carnet, every weekly digest (first round)':<52}{first.total:>8.2f} s   (best round {best.total:.2f} s)")
        print(f"  {'Carnet, those four figures only (kpis, per team)':<52}{kpi_s:>8.2f} s")
        print(f"  {'pandas groupby, data already in memory':<52}{groupby_s:>8.2f} s")
        print(f"  {'pandas, loading the data first':<52}{load_s:>8.2f} s   "
              f"({loaded['actions']:,} actions, {loaded['opportunities']:,} opportunities; ru_maxrss now {maxrss_mb():.0f} MB)")
        print(f"  figures equal to the digests': {'yes' if not problems else f'NO, {len(problems)} differ'}")
        for problem in problems[:10]:
            print(f"    {problem}")

        checks = [
            (f"all {managers} digests in {first.total:.2f} s < {TARGET_S:.0f} s (first round)", first.total < TARGET_S),
            (f"tracemalloc peak {peak / MB:.0f} MB < {TARGET_MB:.0f} MB", peak / MB < TARGET_MB),
            (f"ru_maxrss {rss_traced:.0f} MB < {TARGET_MB:.0f} MB (after the digests, before charts and pandas)",
             rss_traced < TARGET_MB),
            (f"managers: {managers} == {args.managers}", managers == args.managers),
            ("pandas and kpis figures equal the digests'", not problems),
        ]
        harness.figure(f"every weekly digest ({managers} managers), first round", first.total, target=TARGET_S, unit="s",
                       reference=groupby_s, note="reference: pandas groupby of 4 of its figures, data in memory")
        harness.figure("digests: tracemalloc peak", peak / MB, target=TARGET_MB, unit="MB")
        exit_status = report_checks(checks)

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            all_digests(factory, engine, now)
            profiler.disable()
            profiler.dump_stats(args.profile)
            print(f"\nprofile of one more round written to {args.profile}; top 30 by cumulative time:")
            pstats.Stats(args.profile).sort_stats("cumulative").print_stats(30)
        if args.explain:
            explain_one(factory, engine, now)
    finally:
        if args.db_url and not args.keep_db:
            harness.drop_workspace(engine, TEAM_ID)
        engine.dispose()
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
