"""``/pipeline team`` and the App Home on a 50-rep team with 20,000 open opportunities (issue 4), or 100,000 (issue 11).

    python benchmarks/pipeline.py                          # SQLite file in a temp dir, 200 iterations each
    python benchmarks/pipeline.py --iterations 500 --keep-db
    python benchmarks/pipeline.py --open 100000            # issue 11: at scale (p99 under 500 ms on both databases)
    python benchmarks/pipeline.py --db-url postgresql+psycopg://user:pw@localhost/carnet_bench
    python benchmarks/pipeline.py --explain               # query plans of every statement of each view
    python benchmarks/pipeline.py --profile pipeline.prof # cProfile of Conversation.handle

What it does:

1. seeds a workspace with ``bot.demo.seed_demo`` (size ``medium``: 50 reps, 5,000 accounts,
   200,000 actions, 20,000 opportunities), makes sure the demo manager manages all 50 reps,
   and tops the carnet up with open deals until it holds at least ``--open`` (20,000) open
   opportunities (the demo makes about 70 % of its deals open);
2. serves ``runtime.web_app()`` with uvicorn on 127.0.0.1 (the production door: Bolt's
   Starlette adapter, signature checks, one transaction per command) and sends ``--iterations``
   signed ``/pipeline team`` slash commands as the demo manager, one after the other; the
   latency is the client's, from just before the POST to the end of the response (the ack,
   which carries the whole report);
3. renders the App Home (command ``home``) through ``Conversation.handle`` for the 50 reps in
   turn, ``--iterations`` times (the Slack door builds the same Reply before ``views.publish``);
4. times every SQL statement of one ``/pipeline team`` and one home (and with ``--explain``
   prints their plans: EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL);
5. prints p50 / p95 / p99 / max and checks the target: p99 under 300 ms on SQLite at 20,000 open
   deals; above 20,000 (``--open 100000``), p99 under 500 ms on both databases, well inside the
   3 s ack, and every request answered 200 (a 404 is Bolt's "didn't call ack()").

Exit status: 0 when the target is met (at 20,000 on PostgreSQL the figures are informative), 1 otherwise.
"""

from __future__ import annotations

import cProfile
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import harness  # first: puts the checkout on sys.path
import httpx
from harness import (
    FakeSlack,
    ServedApp,
    add_database_options,
    bench_database,
    print_table,
    report_checks,
    serving_runtime,
    signed_command,
    summary,
    trace,
)
from sqlalchemy import func, insert, select, text, update

from bot.core import Request
from bot.demo import DEMO_MANAGER_ID, SIZES, seed_demo
from bot.runtime import Runtime
from storage.models import (
    Account,
    Action,
    Member,
    Opportunity,
    OpportunityStageChange,
    Workspace,
)

TEAM_ID = "TBENCHPIPE"
TARGET_P99_MS = 300.0  # SQLite, at OPEN_TARGET open deals (issue 4)
SCALE_TARGET_P99_MS = 500.0  # both databases, above OPEN_TARGET (issue 11)
OPEN_TARGET = 20_000

_STAGES = ["lead", "qualification", "proposal", "proposal", "negotiation", "closing"]
_PROBABILITY = {"lead": 10, "qualification": 20, "proposal": 40, "negotiation": 60, "closing": 80}
_TITLES = ["Contrat maintenance", "Renouvellement parc", "Extension licences", "Audit énergie", "Contrat cadre"]


# --------------------------------------------------------------------------- the workspace


@dataclass
class Seeded:
    workspace_id: int
    manager_id: int
    rep_user_ids: list[str]
    counts: dict[str, int]


def seed(runtime: Runtime, size: str, open_target: int, rng_seed: int = 5) -> Seeded:
    """The benchmark workspace (created once, reused after with ``--keep-db``)."""
    started = time.perf_counter()
    now = runtime.clock.now()
    with runtime.session_factory() as session, session.begin():
        existed = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID)) is not None
        workspace = seed_demo(session, now=now, team_id=TEAM_ID, size=size)
        manager = session.scalar(
            select(Member).where(Member.workspace_id == workspace.id, Member.slack_user_id == DEMO_MANAGER_ID)
        )
        assert manager is not None and manager.role == "manager"
        # The demo manager manages every rep: /pipeline team is the whole team of 50.
        session.execute(
            update(Member)
            .where(Member.workspace_id == workspace.id, Member.role == "rep")
            .values(manager_id=manager.id)
        )
        is_open = (Opportunity.workspace_id == workspace.id) & (Opportunity.status == "open")
        open_now = session.scalar(select(func.count()).select_from(Opportunity).where(is_open)) or 0
        if open_now < open_target:
            _top_up(session, workspace.id, open_target - open_now, now, random.Random(rng_seed))
        reps = list(session.scalars(
            select(Member.slack_user_id).where(Member.workspace_id == workspace.id, Member.role == "rep")
            .order_by(Member.id)
        ))
        counts = {
            "reps managed": session.scalar(select(func.count()).select_from(Member).where(
                Member.workspace_id == workspace.id, Member.manager_id == manager.id)) or 0,
            "accounts": session.scalar(select(func.count()).select_from(Account).where(
                Account.workspace_id == workspace.id)) or 0,
            "actions": session.scalar(select(func.count()).select_from(Action).where(
                Action.workspace_id == workspace.id)) or 0,
            "opportunities": session.scalar(select(func.count()).select_from(Opportunity).where(
                Opportunity.workspace_id == workspace.id)) or 0,
            "open opportunities": session.scalar(select(func.count()).select_from(Opportunity).where(is_open)) or 0,
        }
        seeded = Seeded(workspace.id, manager.id, reps, counts)
    verb = "reused" if existed else f"seeded in {time.perf_counter() - started:.1f} s"
    print(f"workspace {TEAM_ID} ({verb}): " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.connect() as conn:  # fresh statistics, as autovacuum would have by now
            conn.execute(text("ANALYZE"))
            conn.commit()
    return seeded


def _top_up(session: Any, workspace_id: int, count: int, now: datetime, rng: random.Random) -> None:
    """``count`` more open deals, spread like the demo's (owners' accounts, all stages, some stalled)."""
    accounts = session.execute(
        select(Account.id, Account.owner_id).where(Account.workspace_id == workspace_id, Account.owner_id.is_not(None))
    ).all()
    today = now.date()
    rows = []
    for _ in range(count):
        account_id, owner_id = rng.choice(accounts)
        stage = rng.choice(_STAGES)
        created = now - timedelta(days=rng.randint(5, 200))
        rows.append(dict(
            workspace_id=workspace_id, member_id=owner_id, account_id=account_id, title=rng.choice(_TITLES),
            amount=Decimal(rng.choice([2, 3, 5, 8, 12, 15, 20, 30, 45, 80]) * 1000 + rng.randint(0, 9) * 100),
            currency=rng.choices(["EUR", "USD"], weights=[9, 1])[0],
            probability=max(5, min(95, _PROBABILITY[stage] + rng.randint(-10, 15))), stage=stage, status="open",
            expected_close_on=today + timedelta(days=rng.randint(-10, 120)), next_step_on=None, next_step=None,
            close_reason=None, created_at=created, updated_at=created + (now - created) * rng.random(), closed_at=None,
        ))
    for start in range(0, len(rows), 5_000):
        ids = session.scalars(insert(Opportunity).returning(Opportunity.id, sort_by_parameter_order=True),
                              rows[start:start + 5_000]).all()
        session.execute(insert(OpportunityStageChange), [
            dict(workspace_id=workspace_id, opportunity_id=oid, member_id=row["member_id"], from_stage=None,
                 to_stage=row["stage"], probability=row["probability"], amount=row["amount"],
                 changed_at=row["updated_at"])
            for oid, row in zip(ids, rows[start:start + 5_000])
        ])
    print(f"topped up with {count:,} open opportunities")


# --------------------------------------------------------------------------- measuring

def time_pipeline_team(base_url: str, iterations: int, team_size: int) -> tuple[list[float], list[str]]:
    samples, problems = [], []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for _ in range(iterations):
            body, headers = signed_command("/pipeline", "team", team_id=TEAM_ID, user_id=DEMO_MANAGER_ID)
            start = time.perf_counter()
            response = client.post("/slack/events", content=body.encode(), headers=headers)
            samples.append((time.perf_counter() - start) * 1000)
            shown = json.dumps(response.json(), ensure_ascii=False) if response.status_code == 200 else response.text
            if response.status_code != 200 or f"{team_size} personnes" not in shown:
                problems.append(f"{response.status_code}: {shown[:300]}")
    return samples, problems


def time_home(runtime: Runtime, reps: list[str], iterations: int) -> tuple[list[float], list[str]]:
    samples, problems = [], []
    for i in range(iterations):
        user = reps[i % len(reps)]
        start = time.perf_counter()
        reply = runtime.conversation.handle(Request(TEAM_ID, user, command="home"))
        samples.append((time.perf_counter() - start) * 1000)
        if not reply.ok or not reply.choices:
            problems.append(f"home of {user}: {reply.to_dict()}"[:300])
    return samples, problems


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--iterations", type=int, default=200, help="measured /pipeline team and home renders (default 200 each)")
    parser.add_argument("--warmup", type=int, default=10, help="runs of each first, not measured (default 10)")
    add_database_options(parser)
    parser.add_argument("--size", choices=sorted(SIZES), default="medium", help="demo size to seed (default medium)")
    parser.add_argument("--open", type=int, default=OPEN_TARGET, help="open opportunities to reach (default 20,000)")
    parser.add_argument("--explain", action="store_true", help="print the plan of every statement over 1 ms")
    parser.add_argument("--profile", metavar="FILE", default=None, help="cProfile of the measured home renders to FILE")
    args = parser.parse_args(argv)

    with bench_database(args) as db_url, FakeSlack(team_id=TEAM_ID) as fake_api:
        print(f"database: {db_url.split('@')[-1]}")
        runtime = serving_runtime(db_url, fake_api.api_url)
        try:
            return measure(args, db_url, runtime)
        finally:
            if not args.keep_db and args.db_url:
                harness.drop_workspace(runtime.engine, TEAM_ID)
            runtime.close()


def measure(args: Any, db_url: str, runtime: Runtime) -> int:
    """/pipeline team over HTTP, the homes through the core, their statements, and the targets' checks."""
    seeded = seed(runtime, args.size, args.open)
    try:
        from bot.runtime import prepare_to_serve

        prepare_to_serve()  # as `carnet serve` does
    except ImportError:
        from bot.grammar.when import warm_up

        warm_up()
    problems: list[str] = []
    with ServedApp(runtime.web_app()) as served:
        time_pipeline_team(served.url, args.warmup, len(seeded.rep_user_ids))
        team_ms, team_problems = time_pipeline_team(served.url, args.iterations, len(seeded.rep_user_ids))
        problems += team_problems
    time_home(runtime, seeded.rep_user_ids, args.warmup)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    home_ms, home_problems = time_home(runtime, seeded.rep_user_ids, args.iterations)
    if profiler:
        profiler.disable()
    problems += home_problems
    manager_home_ms, _ = time_home(runtime, [DEMO_MANAGER_ID], max(20, args.iterations // 10))

    print_table(
        f"latency, {args.iterations} sequential runs each",
        [
            ("/pipeline team (HTTP)", summary(team_ms)),
            (f"home, {len(seeded.rep_user_ids)} reps", summary(home_ms)),
            ("home, the manager", summary(manager_home_ms)),
        ],
    )

    conv = runtime.conversation
    # The conversation runs on the serving engine (short timeouts); statements are replayed on the
    # worker's engine (no statement timeout cuts a replay).
    engine = getattr(runtime, "serve_engine", None) or runtime.engine
    trace(engine, "one /pipeline team (Conversation.handle)",
          lambda: conv.handle(Request(TEAM_ID, DEMO_MANAGER_ID, command="pipeline", text="team")),
          explain=args.explain, replay=runtime.engine)
    trace(engine, f"one home ({seeded.rep_user_ids[0]})",
          lambda: conv.handle(Request(TEAM_ID, seeded.rep_user_ids[0], command="home")), explain=args.explain,
          replay=runtime.engine)

    sqlite = db_url.startswith("sqlite")
    checks = [(problem, False) for problem in problems[:5]]
    checks.append((f"{seeded.counts['open opportunities']:,} open opportunities >= {args.open:,}",
                   seeded.counts["open opportunities"] >= args.open))
    checks.append((f"the manager manages {seeded.counts['reps managed']} reps", seeded.counts["reps managed"] == len(seeded.rep_user_ids)))
    at_scale = args.open > OPEN_TARGET
    target = SCALE_TARGET_P99_MS if at_scale else TARGET_P99_MS
    for name, values in (("/pipeline team", team_ms), ("home", home_ms)):
        p99 = summary(values)["p99"]
        harness.figure(f"{name} p99, {seeded.counts['open opportunities']:,} open deals ({'SQLite' if sqlite else 'PostgreSQL'})",
                       p99, target=target if (sqlite or at_scale) else None)
        if sqlite or at_scale:
            checks.append((f"{name}: p99 {p99:.1f} ms < {target:.0f} ms", p99 < target))
        else:
            print(f"  {name}: p99 {p99:.1f} ms (the {TARGET_P99_MS:.0f} ms target is set for SQLite)")
    exit_status = report_checks(checks)

    if profiler is not None:
        import pstats

        profiler.dump_stats(args.profile)
        print(f"\nprofile written to {args.profile}; top 25 by cumulative time:")
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(25)
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
