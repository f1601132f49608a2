"""The scheduler's ticks on the large demo: a Monday morning, a quiet minute, a month-end review tick (issue 11).

    python benchmarks/tick.py --db-file /tmp/tick.db                 # SQLite, seeded once and reused
    python benchmarks/tick.py --db-url "postgresql+psycopg://postgres@127.0.0.1/bench" --keep-db
    python benchmarks/tick.py --db-file /tmp/tick.db --prepare-only  # seed / reset the data, measure nothing
    python benchmarks/tick.py --db-file /tmp/tick.db --code /tmp/old-carnet --no-prepare   # another checkout's scheduler

What it does:

1. prepares the workspace of ``benchmarks/digest.py`` (``carnet demo --size large``: 1,000 reps,
   20,000 accounts, 1,000,000 actions, 100,000 opportunities; 50 managers of 20 reps, objectives,
   last week's plans), in a child process, plus what a Monday tick has to say: each rep's day
   (a timed visit at 09:00 in Paris — reminded at 08:00 — and two follow-ups) and a call left
   planned last Friday (marked missed). Every run starts from the same state: the workspace's
   outbox emptied, its plans made again (the segment visits of the key accounts are planned anew
   by the first tick, as on the demo's first Monday).
2. runs ``run_due`` as the worker does, in this process, at three instants: Monday 23 November
   2026 08:30 in Paris (missed items, segment visits, 1,000 reminders and agendas, 50 digests),
   08:31 (a quiet minute: everything already queued) and Wednesday 25 November 08:00 (the review
   briefs of the month and week reps, three workdays before their periods end). For each: total
   seconds, statements, transactions, the longest transaction, the longest *write* span (first
   INSERT/UPDATE/DELETE to COMMIT: on SQLite the time the write lock is held, which is what
   blocks every ``/log`` of the serving process) and, measured by a probe thread that writes a
   row every 50 ms on its own connection during the tick, the longest time a write waited.

``--code DIR`` imports ``bot`` from another checkout (e.g. ``git archive <commit> | tar -x -C DIR``)
to measure its scheduler on the same data; prepare with this checkout first (``--prepare-only``),
then run with ``--no-prepare``.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import harness  # first: puts this checkout on sys.path (for tests/support and, without --code, bot/)
from sqlalchemy import delete, event, insert, select, text, update


def _code_dir(argv: list[str]) -> Path | None:
    if "--code" in argv:
        return Path(argv[argv.index("--code") + 1]).resolve()
    return None


CODE = _code_dir(sys.argv)
if CODE is not None:  # another checkout's bot/ comes first; nothing of bot/ is imported yet
    sys.path.insert(0, str(CODE))

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 11, 23, 8, 30, tzinfo=PARIS)
REVIEW_DAY = datetime(2026, 11, 25, 8, 0, tzinfo=PARIS)
SEED_NOW = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)  # what benchmarks/digest.py seeds at
TEAM_ID = "TBENCHDIG"
PROBE_EVERY = 0.05
WRITES = ("INSERT", "UPDATE", "DELETE")


# --------------------------------------------------------------------------- the data


def prepare(db_url: str) -> None:
    """The digest benchmark's workspace, then the Monday's plans; the outbox emptied (child process)."""
    import random

    from digest import seed  # benchmarks/digest.py

    from storage.db import make_engine, make_session_factory
    from storage.models import Member, OutboxMessage, Plan, Workspace

    seed(db_url, "large", 50, SEED_NOW.astimezone(timezone.utc))
    started = time.perf_counter()
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    rng = random.Random(23)
    monday = MONDAY.date()
    with factory() as session, session.begin():
        wid = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID))
        session.execute(delete(OutboxMessage).where(OutboxMessage.workspace_id == wid))
        session.execute(delete(Plan).where(Plan.workspace_id == wid, Plan.status.in_(("planned", "missed"))))
        owned: dict[int, list[int]] = {}
        for account_id, owner_id in session.execute(
            text("SELECT id, owner_id FROM account WHERE workspace_id = :w AND owner_id IS NOT NULL"), {"w": wid}
        ):
            owned.setdefault(owner_id, []).append(account_id)
        rows = []
        reps = session.scalars(select(Member.id).where(Member.workspace_id == wid, Member.role == "rep")).all()
        for member_id in reps:
            accounts = owned.get(member_id)
            if not accounts:
                continue

            def plan(action_type: str, due: datetime, has_time: bool) -> dict[str, Any]:
                return dict(workspace_id=wid, member_id=member_id, account_id=rng.choice(accounts), action_type=action_type,
                            due_at=due, has_time=has_time, status="planned", source="manual",
                            created_at=due - timedelta(days=10), updated_at=due - timedelta(days=10))

            rows.append(plan("visit", datetime(monday.year, monday.month, monday.day, 9, tzinfo=PARIS), True))
            rows.append(plan("follow_up", datetime(monday.year, monday.month, monday.day, 9, tzinfo=PARIS), False))
            rows.append(plan("call", datetime(monday.year, monday.month, monday.day, 14, tzinfo=PARIS), False))
            friday = monday - timedelta(days=3)
            rows.append(plan("call", datetime(friday.year, friday.month, friday.day, 11, tzinfo=PARIS), True))
        session.execute(insert(Plan), rows)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("ANALYZE plan; ANALYZE outbox"))
            conn.commit()
    engine.dispose()
    print(f"  Monday's plans ready in {time.perf_counter() - started:.0f} s ({len(rows):,} plans), outbox emptied", flush=True)


# --------------------------------------------------------------------------- measuring


@dataclass
class Spans:
    """Statements and transactions seen on an engine while a tick runs."""

    statements: int = 0
    transactions: list[float] = field(default_factory=list)  # seconds, BEGIN → COMMIT / ROLLBACK
    writes: list[tuple[float, str]] = field(default_factory=list)  # (seconds, first write → COMMIT / ROLLBACK; that write)
    _open: dict[int, tuple[float, float | None, str]] = field(default_factory=dict)

    def attach(self, engine: Any) -> None:
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)
        event.listen(engine, "before_cursor_execute", self._statement)

    def detach(self, engine: Any) -> None:
        event.remove(engine, "begin", self._begin)
        event.remove(engine, "commit", self._end)
        event.remove(engine, "rollback", self._end)
        event.remove(engine, "before_cursor_execute", self._statement)

    def _begin(self, conn: Any) -> None:
        self._open[id(conn)] = (time.perf_counter(), None, "")

    def _statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements += 1
        opened = self._open.get(id(conn))
        if opened and opened[1] is None and statement.lstrip().upper().startswith(WRITES):
            self._open[id(conn)] = (opened[0], time.perf_counter(), " ".join(statement.split())[:70])

    def _end(self, conn: Any) -> None:
        opened = self._open.pop(id(conn), None)
        if opened is None:
            return
        now = time.perf_counter()
        self.transactions.append(now - opened[0])
        if opened[1] is not None:
            self.writes.append((now - opened[1], opened[2]))


class WriteProbe(threading.Thread):
    """A write every ``PROBE_EVERY`` seconds on its own connection, as a ``/log`` would: how long each waited."""

    def __init__(self, db_url: str, workspace_id: int) -> None:
        super().__init__(daemon=True)
        from storage.db import make_engine

        self.engine = make_engine(db_url, pool_size=1) if not db_url.startswith("sqlite") else make_engine(db_url)
        self.workspace_id = workspace_id
        self.waits: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        from storage.models import Workspace

        while not self.stop.is_set():
            t0 = time.perf_counter()
            try:
                with self.engine.begin() as conn:  # takes SQLite's write lock, as any stored action does
                    conn.execute(update(Workspace).where(Workspace.id == self.workspace_id).values(name=Workspace.name))
            except Exception as exc:  # noqa: BLE001 - counted, the tick goes on
                self.errors.append(type(exc).__name__)
            self.waits.append(time.perf_counter() - t0)
            self.stop.wait(PROBE_EVERY)

    def close(self) -> None:
        self.stop.set()
        self.join()
        self.engine.dispose()


@dataclass
class Tick:
    label: str
    seconds: float
    spans: Spans
    probe: WriteProbe | None
    report: Any


def run_tick(db_url: str, engine: Any, factory: Any, workspace_id: int, label: str, now: datetime, probe: bool) -> Tick:
    from bot.jobs.scheduler import run_due

    spans = Spans()
    prober = WriteProbe(db_url, workspace_id) if probe else None
    if prober:
        prober.start()
        time.sleep(PROBE_EVERY * 2)
    spans.attach(engine)
    t0 = time.perf_counter()
    try:
        report = run_due(factory, now.astimezone(timezone.utc))
    finally:
        seconds = time.perf_counter() - t0
        spans.detach(engine)
        if prober:
            time.sleep(PROBE_EVERY * 2)
            prober.close()
    return Tick(label, seconds, spans, prober, report)


def show(ticks: list[Tick]) -> None:
    print(f"\n  {'tick':<38}{'total s':>9}{'statements':>12}{'txns':>6}{'longest txn s':>15}{'longest write s':>17}"
          f"{'probe max s':>13}{'probe p99 s':>13}")
    for t in ticks:
        longest = max(t.spans.transactions, default=0.0)
        write = max(t.spans.writes, default=(0.0, ""))[0]
        waits = t.probe.waits if t.probe else []
        p99 = harness.percentile(waits, 99)
        print(f"  {t.label:<38}{t.seconds:>9.2f}{t.spans.statements:>12,}{len(t.spans.transactions):>6}{longest:>15.2f}"
              f"{write:>17.3f}{(max(waits) if waits else float('nan')):>13.3f}{p99:>13.3f}")
    for t in ticks:
        print(f"  {t.label}: {t.report}")
        if t.spans.writes:
            print(f"    longest write span starts with: {max(t.spans.writes)[1]}")
        if t.probe and t.probe.errors:
            print(f"    probe errors: {len(t.probe.errors)} ({', '.join(sorted(set(t.probe.errors)))})")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--db-url", default=None, help="database URL")
    parser.add_argument("--db-file", default=None, help="a SQLite file, seeded once and reused")
    parser.add_argument("--keep-db", action="store_true", help="kept anyway: the seeded workspace is reused by later runs")
    parser.add_argument("--code", default=None, help="import bot/ from this directory (another checkout's scheduler)")
    parser.add_argument("--prepare-only", action="store_true", help="seed / reset, measure nothing")
    parser.add_argument("--no-prepare", action="store_true", help="measure on the data as it is (after --prepare-only)")
    parser.add_argument("--no-probe", action="store_true", help="no concurrent write probe")
    args = parser.parse_args(argv)
    if not (args.db_url or args.db_file):
        parser.error("give --db-url or --db-file (seeding the large demo takes minutes: the data is kept for reuse)")
    db_url = args.db_url or f"sqlite:///{Path(args.db_file).resolve()}"

    if not args.no_prepare:
        child = multiprocessing.get_context("spawn").Process(target=prepare, args=(db_url,))
        child.start()
        child.join()
        if child.exitcode != 0:
            print(f"preparing failed (exit code {child.exitcode})")
            return 1
    if args.prepare_only:
        return 0

    from storage.db import make_engine, make_session_factory
    from storage.models import Workspace

    import bot

    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    print(f"database: {engine.dialect.name}; scheduler from {Path(bot.__file__).resolve().parent}")
    with factory() as session:
        workspace_id = session.scalar(select(Workspace.id).where(Workspace.team_id == TEAM_ID))
    probe = not args.no_probe
    ticks = [
        run_tick(db_url, engine, factory, workspace_id, "Monday 08:30 (first tick)", MONDAY, probe),
        run_tick(db_url, engine, factory, workspace_id, "Monday 08:31 (quiet)", MONDAY + timedelta(minutes=1), probe),
        run_tick(db_url, engine, factory, workspace_id, "Wednesday 08:00 (reviews)", REVIEW_DAY, probe),
        run_tick(db_url, engine, factory, workspace_id, "Wednesday 08:01 (quiet)", REVIEW_DAY + timedelta(minutes=1), probe),
    ]
    show(ticks)
    for tick in ticks:
        harness.figure(f"tick {tick.label}", tick.seconds, unit="s")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
