"""Accounts (issue 15 A) on the medium demo: the /compte card, a 20,000-row import, merges.

    python benchmarks/accounts.py                            # SQLite file in a temp dir
    python benchmarks/accounts.py --db-file /tmp/accounts.db # a SQLite file kept and reused by later runs
    python benchmarks/accounts.py --db-url "postgresql+psycopg://postgres@127.0.0.1/carnet?options=-csearch_path%3Dbench" --keep-db

What it does:

1. seeds ``carnet demo --size medium`` (``--size``; medium: 50 reps, 5,000 accounts, 200,000 actions, 20,000 deals) in
   workspace ``TBENCHACC`` in a separate process (skipped when the workspace is already there);
   PostgreSQL is ANALYZEd (without statistics, right after the bulk seed, a card took 2 s);
2. ``--cards`` times of ``/compte NAME`` as the manager through the conversation core (one
   transaction each, as the Slack door runs it), on accounts drawn at random: p50 and p99;
3. imports a 20,000-row CSV written as Excel does in France (``;``, Windows-1252): 5,000 rows update
   the demo's accounts, 15,000 create new ones; the time of ``import_accounts`` and its commit;
4. merges ``--merges`` pairs of demo accounts (each about 40 actions, their deals and plans), one
   transaction each: the time of each.

Exit status: 0 when the card's p99 is under 0.5 s, the import under 30 s and every merge under 2 s.
"""

from __future__ import annotations

import multiprocessing
import random
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import harness  # first: puts the checkout on sys.path
from harness import add_database_options, bench_database, percentile, report_checks
from sqlalchemy import select, text

from bot.clock import FixedClock
from bot.conversation import Conversation
from bot.core import Request
from bot.demo import seed_demo
from bot.services.account_import import import_accounts
from bot.services.account_merge import merge_accounts
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Account, Member, Workspace

TEAM_ID = "TBENCHACC"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=PARIS)
CARD_P99_S, IMPORT_S, MERGE_S = 0.5, 30.0, 2.0
IMPORT_ROWS, UPDATED_ROWS = 20_000, 5_000


def seed(db_url: str, size: str = "medium") -> None:
    """The demo of ``size`` (run in a child process)."""
    started = time.perf_counter()
    engine = make_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        if session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID)) is None:
            seed_demo(session, now=NOW, team_id=TEAM_ID, size=size)
    if engine.dialect.name == "postgresql":  # as after autovacuum: fresh tables have no statistics yet
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    engine.dispose()
    print(f"  workspace {TEAM_ID} ready in {time.perf_counter() - started:.0f} s", flush=True)


def time_cards(factory, count: int, rng: random.Random) -> list[float]:
    conversation = Conversation(factory, FixedClock(NOW), default_tz="Europe/Paris", default_locale="fr")
    with factory() as session:
        ws = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        names = list(session.scalars(select(Account.name).where(Account.workspace_id == ws.id)))
        manager = session.scalar(select(Member.slack_user_id).where(Member.workspace_id == ws.id, Member.role == "manager"))
    times = []
    # One card first, untimed: the first request of a process loads the catalogue and warms the pool.
    conversation.handle(Request(TEAM_ID, manager, command="compte", text=f'"{names[0]}"', door="console"))
    for _ in range(count):
        started = time.perf_counter()
        reply = conversation.handle(Request(TEAM_ID, manager, command="compte", text=f'"{rng.choice(names)}"', door="console"))
        times.append(time.perf_counter() - started)
        assert reply.ok and reply.facts, reply.keys
    conversation.close()
    return times


def import_file(factory, rng: random.Random) -> bytes:
    with factory() as session:
        ws = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        known = list(session.scalars(select(Account.name).where(Account.workspace_id == ws.id)))
        names = rng.sample(known, min(UPDATED_ROWS, len(known)))
        owners = list(session.scalars(select(Member.slack_user_id).where(Member.workspace_id == ws.id, Member.role == "rep")))
    names += [f"Société importée {i:05d}" for i in range(IMPORT_ROWS - len(names))]
    lines = ["nom;statut;segment;responsable;visites_par_an;ville;code_postal"]
    for name in names:
        lines.append(";".join([name, rng.choice(["client", "prospect", "ancien client"]), rng.choice(["gold", "silver", "bronze", ""]),
                               rng.choice(owners), str(rng.randint(0, 24)), rng.choice(["Lyon", "Besançon", "Nîmes", "Orléans"]),
                               f"{rng.randint(1000, 95999):05d}"]))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def time_import(factory, data: bytes) -> tuple[float, int, int]:
    with factory() as session:
        ws_id = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID))
    with factory() as session:
        started = time.perf_counter()
        with session.begin():
            result = import_accounts(session, ws_id, data, now=NOW)
        return time.perf_counter() - started, result.created, result.updated


def time_merges(factory, count: int, rng: random.Random) -> list[float]:
    with factory() as session:
        ws_id = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID))
        ids = rng.sample(list(session.scalars(select(Account.id).where(Account.workspace_id == ws_id,
                                                                         ~Account.name.like("Société importée%")))), 2 * count)
    times = []
    for source_id, target_id in zip(ids[::2], ids[1::2]):
        with factory() as session:
            started = time.perf_counter()
            with session.begin():
                merge_accounts(session, session.get(Account, source_id), session.get(Account, target_id), now=NOW)
            times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = harness.parser(__doc__)
    add_database_options(parser, db_file=True)
    parser.add_argument("--size", choices=["small", "medium", "large"], default="medium", help="the demo seeded")
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--merges", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(15)
    with bench_database(args, "accounts.db") as url:
        child = multiprocessing.get_context("spawn").Process(target=seed, args=(url, args.size))
        child.start()
        child.join()
        if child.exitcode != 0:
            print("seeding failed", file=sys.stderr)
            return 1
        engine = make_engine(url)
        factory = make_session_factory(engine)
        cards = time_cards(factory, args.cards, rng)
        p50, p99 = percentile(cards, 50), percentile(cards, 99)
        print(f"\n{engine.dialect.name}: /compte card x{len(cards)}: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {max(cards) * 1000:.1f} ms")
        data = import_file(factory, rng)
        took, created, updated = time_import(factory, data)
        print(f"import of {IMPORT_ROWS} rows ({len(data) // 1024} KiB, cp1252, ';'): {took:.2f} s "
              f"({created} created, {updated} updated)")
        merges = time_merges(factory, args.merges, rng)
        print(f"merge x{len(merges)}: median {sorted(merges)[len(merges) // 2] * 1000:.1f} ms, max {max(merges) * 1000:.1f} ms")
        harness.figure(f"accounts: /compte card p99 ({args.size} demo, {engine.dialect.name})", p99 * 1000,
                       target=CARD_P99_S * 1000)
        harness.figure(f"accounts: import of {IMPORT_ROWS} rows", took, target=IMPORT_S, unit="s")
        harness.figure("accounts: slowest merge", max(merges) * 1000, target=MERGE_S * 1000)
        engine.dispose()
        if not args.keep_db and engine.dialect.name == "postgresql":
            harness.drop_workspace(make_engine(url), TEAM_ID)
    return report_checks([
        (f"card p99 under {CARD_P99_S} s ({p99:.3f} s)", p99 < CARD_P99_S),
        (f"import of {IMPORT_ROWS} rows under {IMPORT_S:.0f} s ({took:.1f} s)", took < IMPORT_S),
        (f"every merge under {MERGE_S:.0f} s ({max(merges):.3f} s)", max(merges) < MERGE_S),
    ])


if __name__ == "__main__":
    sys.exit(main())
