"""The visit capital for a 1,000-rep workspace (issue 15): the one definition read team-wide, the
automatic visits at the capital's rhythm, and a rep's tour.

    python benchmarks/capital.py                              # SQLite file in a temp dir
    python benchmarks/capital.py --actions 50000              # a quick run
    python benchmarks/capital.py --db-url "postgresql+psycopg://postgres@127.0.0.1/test?options=-csearch_path%3Dbench_capital"

What it does:

1. seeds workspace ``TBENCHCAP``: ``--reps`` reps in Paris, 20 accounts each (gold 10 %, silver
   30 %, bronze 40 %, prospects 20 %; 12 cities), ``--actions`` actions over 2026 (60 % in person,
   the rest calls, emails, video and social messages);
2. times, ``--rounds`` times each: the capital of every account of the 1,000 reps this year
   (``capital.accounts_this_year``: due pro rata, done, planned), the per-segment sums with the
   prospection budget (``segments_this_year``), the KPI ``visit_intensity`` and the weighted
   ``commercial_intensity`` over a month, a rep's tour proposal (50 reps); then the worker's
   segment-visits step on the whole workspace twice (the first plans every account's next visit,
   the second finds nothing to do).

Exit status 0 when every figure meets its target (``--target`` seconds for the team-wide reads and
the ticks, 0.25 s for one tour). The machine's load average is printed with the figures.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

import harness  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

TEAM = "TBENCHCAP"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
CITIES = [("Lyon", "69003"), ("Villeurbanne", "69100"), ("Grenoble", "38000"), ("Annecy", "74000"), ("Vienne", "38200"),
          ("Saint-Étienne", "42000"), ("Valence", "26000"), ("Chambéry", "73000"), ("Mâcon", "71000"), ("Bourg", "01000"),
          ("Roanne", "42300"), ("Villefranche", "69400")]
TYPES = [("visit", "in_person")] * 4 + [("meeting", "in_person")] * 2 + [
    ("call", "phone"), ("call", "phone"), ("email", "email"), ("video", "video"), ("social", "social")]


def seed(url: str, reps: int, actions: int) -> None:
    from storage.db import make_engine, make_session_factory, upgrade
    from storage.models import Account, Action, Member, Workspace

    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(15)
    with factory() as session, session.begin():
        if session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM)) is not None:
            print(f"workspace {TEAM} already seeded: reused")
            return
        started = time.perf_counter()
        workspace = Workspace(team_id=TEAM, name="Capital bench", settings={}, created_at=NOW)
        session.add(workspace)
        session.flush()
        ws = workspace.id
        session.execute(insert(Member), [
            dict(workspace_id=ws, slack_user_id=f"UREP{i:05d}", display_name=f"Rep {i:05d}", role="rep", locale="fr",
                 tz="Europe/Paris", period="month", created_at=NOW) for i in range(reps)
        ])
        rep_ids = list(session.scalars(select(Member.id).where(Member.workspace_id == ws).order_by(Member.id)))
        rows = []
        for n, rep in enumerate(rep_ids):
            for k in range(20):
                kind = rng.choices(["gold", "silver", "bronze", "prospect"], weights=[1, 3, 4, 2])[0]
                city, postcode = rng.choice(CITIES)
                rows.append(dict(workspace_id=ws, name=f"Compte {n:05d}-{k:02d}", name_key=f"compte {n:05d}-{k:02d}",
                                 status="prospect" if kind == "prospect" else "client",
                                 segment=None if kind == "prospect" else kind, owner_id=rep, city=city, postcode=postcode,
                                 created_at=NOW))
        session.execute(insert(Account), rows)
        accounts = session.execute(select(Account.id, Account.owner_id).where(Account.workspace_id == ws)).all()
        start = date(2026, 1, 1)
        batch = []
        for _ in range(actions):
            account_id, owner = rng.choice(accounts)
            action_type, channel = rng.choice(TYPES)
            day = start + timedelta(days=rng.randrange((NOW.date() - start).days))
            batch.append(dict(workspace_id=ws, member_id=owner, account_id=account_id, action_type=action_type,
                              channel=channel, occurred_on=day, logged_at=NOW, source="slack"))
            if len(batch) == 20_000:
                session.execute(insert(Action), batch)
                batch = []
        if batch:
            session.execute(insert(Action), batch)
        print(f"seeded {reps} reps, {len(accounts)} accounts, {actions} actions in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()


def timed(rounds: int, fn) -> list[float]:
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(url: str, rounds: int, target: float) -> int:
    from bot.reports import kpis
    from bot.reports.kpis import KpiScope
    from bot.services import capital, tour, workspace_settings
    from bot.services.plans import ensure_segment_visits
    from bot.services.team import known_zone
    from storage.db import make_engine, make_session_factory
    from storage.models import Member, Workspace

    engine = make_engine(url)
    factory = make_session_factory(engine)
    results = []
    with factory() as s:
        ws = s.scalar(select(Workspace).where(Workspace.team_id == TEAM))
        settings = workspace_settings.load(ws)
        reps = list(s.scalars(select(Member).where(Member.workspace_id == ws.id).order_by(Member.id)))
        scope = KpiScope(ws.id, tuple(m.id for m in reps), date(2026, 11, 1), date(2026, 11, 30), known_zone("Europe/Paris"))
        results.append(("accounts_this_year", timed(rounds, lambda: capital.accounts_this_year(s, ws.id, reps, settings, now=NOW))))
        results.append(("segments_this_year", timed(rounds, lambda: capital.segments_this_year(s, ws.id, reps, settings, now=NOW))))
        results.append(("visit_intensity", timed(rounds, lambda: kpis.visit_intensity(s, scope, settings=settings))))
        results.append(("commercial_intensity", timed(rounds, lambda: kpis.commercial_intensity(s, scope, settings=settings))))
        first, last = tour.week_of(NOW.date(), next_week=True)
        sample = iter(reps[:: max(1, len(reps) // 50)] * rounds)

        def one_tour() -> None:
            rep = next(sample)
            tour.propose(tour.candidates(s, rep, settings, now=NOW, first=first, last=last), first, last, settings.tour_visits_per_day)

        results.append(("tour (one rep)", timed(min(50, len(reps)), one_tour)))
    ticks = []
    for _ in range(2):
        with factory() as s, s.begin():
            started = time.perf_counter()
            planned = ensure_segment_visits(s, ws.id, settings, now=NOW)
            ticks.append(((time.perf_counter() - started) * 1000, planned))
    engine.dispose()
    harness.print_table(f"visit capital, {len(reps)} reps (load average {os.getloadavg()[0]:.2f})",
                        [(name, harness.summary(values)) for name, values in results])
    print(f"\n  segment visits, first tick: {ticks[0][0]:.0f} ms ({ticks[0][1]} visits planned); "
          f"second: {ticks[1][0]:.0f} ms ({ticks[1][1]})")
    best = {name: min(values) / 1000 for name, values in results}
    checks = [(f"{name} < {target} s (best {best[name]:.2f} s)", best[name] < target)
              for name in ("accounts_this_year", "segments_this_year", "visit_intensity", "commercial_intensity")]
    checks.append((f"one tour < 0.25 s (p95 {harness.percentile(results[-1][1], 95) / 1000:.3f} s)",
                   harness.percentile(results[-1][1], 95) / 1000 < 0.25))
    checks += [(f"segment-visits tick {i + 1} < {target} s ({ms / 1000:.2f} s)", ms / 1000 < target) for i, (ms, _n) in enumerate(ticks)]
    return harness.report_checks(checks)


def main() -> int:
    parser = harness.parser(__doc__)
    harness.add_database_options(parser)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=float, default=2.0)
    args = parser.parse_args()
    with harness.bench_database(args, "capital.db") as url:
        seed(url, args.reps, args.actions)
        status = measure(url, args.rounds, args.target)
        if not args.keep_db and args.db_url:
            from storage.db import make_engine

            harness.drop_workspace(make_engine(url), TEAM)
    return status


if __name__ == "__main__":
    sys.exit(main())
