"""What the benchmarks share: the checkout on ``sys.path``, the command line's database options, the
served app and the fake Slack Web API (the tests' own, ``tests/support``), signed slash commands,
statement timing, percentiles and the checks' report.

A benchmark imports it first (``import harness``; a script's own directory is on ``sys.path``).
Nothing of ``bot/`` or ``storage/`` is imported before a function needs it, so that ``tick.py
--code DIR`` can measure another checkout's ``bot/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, event, func, select, text, update  # noqa: E402

from tests.support.fake_slack import FakeSlack  # noqa: E402
from tests.support.served import ServedApp, free_port  # noqa: E402
from tests.support.slack_requests import sign, slash_command_body  # noqa: E402

__all__ = [
    "BOT_TOKEN", "FIGURES_ENV", "ROOT", "SIGNING_SECRET", "FakeSlack", "ServedApp", "StatementTimer", "add_database_options",
    "bench_database", "drop_workspace", "figure", "free_port", "open_outbox_rows", "parser", "percentile", "print_table", "report_checks",
    "serving_runtime", "signed_command", "summary", "trace",
]

BOT_TOKEN = "xoxb-bench"
SIGNING_SECRET = "bench-signing-secret"


# --------------------------------------------------------------------------- the command line


def parser(doc: str) -> argparse.ArgumentParser:
    """The benchmark's argument parser: its description is the first paragraph of ``doc``."""
    return argparse.ArgumentParser(description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)


def add_database_options(parser: argparse.ArgumentParser, *, db_file: bool = False) -> None:
    """``--db-url`` and ``--keep-db`` (and ``--db-file``: a SQLite file seeded once and reused)."""
    parser.add_argument("--db-url", default=None, help="database URL (default: a SQLite file in a temp dir)")
    if db_file:
        parser.add_argument("--db-file", default=None, help="a SQLite file to seed once and reuse (implies --keep-db)")
    parser.add_argument("--keep-db", action="store_true", help="keep the database (and the seeded workspace) afterwards")


@contextlib.contextmanager
def bench_database(args: argparse.Namespace, filename: str = "bench.db") -> Iterator[str]:
    """The URL of the database to measure on: ``--db-url``, ``--db-file`` (kept), or a SQLite file
    in a temp dir, removed afterwards unless ``--keep-db`` (its URL is then printed)."""
    if args.db_url:
        yield args.db_url
        return
    if getattr(args, "db_file", None):
        args.keep_db = True
        yield f"sqlite:///{Path(args.db_file).resolve()}"
        return
    tmpdir = Path(tempfile.mkdtemp(prefix="carnet-bench-"))
    url = f"sqlite:///{tmpdir / filename}"
    try:
        yield url
    finally:
        if args.keep_db:
            print(f"\ndatabase kept: {url}")
        else:
            shutil.rmtree(tmpdir, ignore_errors=True)


# --------------------------------------------------------------------------- figures (benchmarks/run.py)

FIGURES_ENV = "CARNET_BENCH_FIGURES"


def figure(name: str, measured: float, *, target: float | None = None, reference: float | None = None,
           unit: str = "ms", higher_is_better: bool = False, note: str = "") -> None:
    """One headline figure of a benchmark, for ``benchmarks/run.py``'s table.

    ``target`` is the promise (a bound on ``measured``: at most, or at least with
    ``higher_is_better``); ``reference`` what the same work costs done another way (a bare Bolt ack,
    pandas, Slack's ceiling), in the same unit. When ``$CARNET_BENCH_FIGURES`` names a file, the
    figure is appended to it as one JSON line; otherwise nothing happens (a benchmark run by hand
    prints its own report)."""
    path = os.environ.get(FIGURES_ENV)
    if not path:
        return
    line = {"figure": name, "measured": measured, "target": target, "reference": reference, "unit": unit,
            "higher_is_better": higher_is_better, "note": note, "benchmark": Path(sys.argv[0]).stem}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


def report_checks(checks: list[tuple[str, bool]]) -> int:
    """Print each check as ``[ok]`` or ``[MISSED]``; the exit status: 0 when all are met."""
    print()
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'MISSED'}] {label}")
    return 0 if all(ok for _, ok in checks) else 1


# --------------------------------------------------------------------------- Carnet and Slack


def serving_runtime(db_url: str, api_url: str, *, secret: str = SIGNING_SECRET) -> Any:
    """Carnet as ``carnet serve`` builds it on ``db_url``, its Web API calls going to ``api_url`` (the
    fake Slack: no call may leave the machine); every newcomer's profile is "bench" in Paris, in French."""
    from bot.runtime import build_runtime
    from bot.services.members import Profile
    from bot.settings import Settings

    settings = Settings(
        database_url=db_url, slack_bot_token=BOT_TOKEN, slack_signing_secret=secret, slack_api_url=api_url,
        default_tz="Europe/Paris", default_locale="fr",
    )
    profile = Profile(display_name="bench", tz="Europe/Paris", locale="fr")
    return build_runtime(settings, profiles=lambda _user: profile)


def signed_command(command: str, text: str, *, team_id: str, user_id: str,
                   secret: str = SIGNING_SECRET) -> tuple[str, dict[str, str]]:
    """A slash command as Slack sends it (a unique trigger_id each time): its form body and signed headers."""
    body = slash_command_body(
        command, text, team_id=team_id, team_domain="bench", user_id=user_id, user_name=user_id.lower(),
        channel_id="CBENCH", channel_name="ventes", response_url="http://127.0.0.1:9/response/bench", api_app_id="ABENCH",
    )
    return body, sign(body, secret, int(time.time()))


def drop_workspace(engine: Any, team_id: str, *, vacuum: bool = False) -> float:
    """Delete the workspace ``team_id`` and all its rows, children first; returns the seconds it took.

    Not one cascading ``DELETE`` of the workspace: PostgreSQL checks each deleted row against the
    tables that reference it, and with no index on some of those columns (``plan.origin_action_id``
    for one) each check reads the whole table, which took minutes. With ``vacuum`` (PostgreSQL)
    each table is vacuumed after, so that the next run does not read the dead rows."""
    from storage.models import Base, Member, Workspace

    started = time.perf_counter()
    with engine.connect() as conn:
        workspace_id = conn.scalar(select(Workspace.id).where(Workspace.team_id == team_id))
    if workspace_id is None:
        return 0.0
    with engine.begin() as conn:  # members manage members: unlink them first
        conn.execute(update(Member).where(Member.workspace_id == workspace_id).values(manager_id=None))
    for table in reversed(Base.metadata.sorted_tables):
        column = table.c.id if table.name == Workspace.__tablename__ else table.c.get("workspace_id")
        if column is None:
            continue
        with engine.begin() as conn:
            conn.execute(delete(table).where(column == workspace_id))
        if vacuum and engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'VACUUM "{table.name}"'))
    return time.perf_counter() - started


def open_outbox_rows(factory: Any, workspace_id: int) -> int:
    """The workspace's outbox rows still to send (pending, or claimed by a worker)."""
    from storage.models import OutboxMessage

    with factory() as session:
        return session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.workspace_id == workspace_id, OutboxMessage.status.in_(("pending", "claimed"))
            )
        ) or 0


# --------------------------------------------------------------------------- measuring


class StatementTimer:
    """Every SQL statement an engine runs while the timer is attached: its text, parameters and
    milliseconds (``with StatementTimer(engine) as timer:``, or ``attach()`` / ``close()``)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any, float]] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def seconds(self) -> float:
        return sum(ms for *_s, ms in self.statements) / 1000

    def reset(self) -> None:
        self.statements = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        started = conn.info.pop("bench_started", None)
        if started is None:  # a statement begun before the timer (a listener thread still running): not ours
            return
        self.statements.append((statement, parameters, (time.perf_counter() - started) * 1000))

    def attach(self) -> "StatementTimer":
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def __enter__(self) -> "StatementTimer":
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.close()


def trace(engine: Any, title: str, run: Any, *, explain: bool, min_ms: float = 1.0, replay: Any = None) -> None:
    """Every statement ``engine`` runs in one call of ``run``, replayed alone on ``replay`` (default
    ``engine``) with all its rows fetched and timed (SQLite does most of a query's work while rows
    are fetched, after the execute hook fires); with ``explain``, the plans of those over ``min_ms``."""
    replay = replay or engine
    run()  # warm caches first
    with StatementTimer(engine) as timer:
        start = time.perf_counter()
        run()
        total = (time.perf_counter() - start) * 1000
    timed = []
    with replay.connect() as conn:
        for statement, parameters, _ms in timer.statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                conn.exec_driver_sql(statement, parameters).all()
                best = min(best, (time.perf_counter() - started) * 1000)
            timed.append((statement, parameters, best))
        conn.rollback()
    sql_ms = sum(ms for *_s, ms in timed)
    print(f"\n{title}: {total:.1f} ms in all; its {len(timed)} SELECTs replayed alone: {sql_ms:.1f} ms (best of 3 each)")
    for statement, parameters, ms in sorted(timed, key=lambda s: -s[2]):
        if ms < min_ms:
            continue
        first = " ".join(statement.split())
        print(f"  {ms:8.1f} ms  {first[:150]}{'…' if len(first) > 150 else ''}")
        if explain:
            _explain(replay, statement, parameters)


def _explain(engine: Any, statement: str, parameters: Any) -> None:
    sqlite = engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    for row in rows:
        line = row[-1] if sqlite else row[0]
        print(f"              | {line}")


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), p in [0, 100]; NaN when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else math.nan,
        "mean": statistics.fmean(values) if values else math.nan,
    }


def print_table(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    """One line of ``summary`` figures (milliseconds) per row."""
    print(f"\n{title}")
    print(f"  {'':<22}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}{'mean ms':>10}")
    for name, s in rows:
        print(f"  {name:<22}{int(s['n']):>6}{s['p50']:>10.2f}{s['p95']:>10.2f}{s['p99']:>10.2f}{s['max']:>10.2f}{s['mean']:>10.2f}")
