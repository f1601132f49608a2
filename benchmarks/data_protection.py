"""Data protection on a workspace of realistic size: ``carnet export all``, ``carnet contact erase``,
and what the secrets' log redaction costs a log line (issue 16).

    python benchmarks/data_protection.py                          # demo size medium, SQLite in a temp dir
    python benchmarks/data_protection.py --size small             # seconds: to check that it still works
    python benchmarks/data_protection.py --db-url "postgresql+psycopg://postgres@127.0.0.1/carnet" --keep-db

What it does:

1. seeds ``bot.demo.seed_demo`` (size ``medium``: 50 reps, 5,000 accounts, 10,000 contacts,
   200,000 actions) in workspace ``TBENCHDP``, and writes a note naming one contact on 1,000 of
   the actions;
2. times ``export_all`` of the workspace into a zip in memory (every table, as ``carnet export
   all`` writes it) and prints its size and rows;
3. times ``erase_contact`` of that contact in one transaction (it reads every text and JSON
   value of the workspace), then rolls it back, so that a kept database can be measured again;
4. times 100,000 ``logger.info`` lines with two arguments through a discarding handler, without
   and with the redacting record factory.

Exit status: 0 when the targets are met (export under 60 s, erase under 30 s on the medium
workspace, redaction under 10 µs a log line), 1 otherwise.
"""

from __future__ import annotations

import io
import logging
import time

import harness  # noqa: F401  (the checkout on sys.path)
from harness import add_database_options, bench_database, parser, report_checks

TEAM_ID = "TBENCHDP"
NOTED = 1000
LOG_LINES = 100_000


def seed(runtime, size: str) -> tuple[int, str]:
    """The workspace's id and the name of the contact whose erasure is timed."""
    from sqlalchemy import select, update

    from bot.demo import seed_demo
    from storage.models import Action, Contact

    with runtime.session_factory() as session, session.begin():
        workspace = seed_demo(session, now=runtime.clock.now(), team_id=TEAM_ID, size=size)
        contact = session.scalar(select(Contact).where(Contact.workspace_id == workspace.id).order_by(Contact.id).limit(1))
        ids = list(session.scalars(select(Action.id).where(Action.workspace_id == workspace.id).order_by(Action.id).limit(NOTED)))
        session.execute(update(Action).where(Action.id.in_(ids)).values(note=f"rappeler {contact.name} demain"))
        return workspace.id, contact.name


def time_export(runtime, workspace_id: int) -> tuple[float, int, int]:
    from bot.reports.whole_export import export_all
    from storage.models import Workspace

    target = io.BytesIO()
    with runtime.session_factory() as session:
        workspace = session.get(Workspace, workspace_id)
        started = time.perf_counter()
        counts = export_all(session, workspace, target)
        took = time.perf_counter() - started
    return took, len(target.getvalue()), sum(counts.values())


def time_erase(runtime, workspace_id: int, name: str) -> tuple[float, int]:
    from bot.services.data_protection import erase_contact

    with runtime.session_factory() as session:
        session.begin()
        started = time.perf_counter()
        done = erase_contact(session, workspace_id, name, replacement="[effacé]")
        took = time.perf_counter() - started
        session.rollback()  # measured, not kept
    return took, done.values


def time_logging(redacting: bool) -> float:
    from bot import redaction

    logger = logging.getLogger("bench.redaction")
    logger.propagate = False
    logger.handlers = [logging.NullHandler()]
    logger.setLevel(logging.INFO)
    if redacting:
        redaction.install(["bench-signing-secret", "xoxb-bench"])
    started = time.perf_counter()
    for n in range(LOG_LINES):
        logger.info("delivered %s to %s", n, "C123")
    return (time.perf_counter() - started) / LOG_LINES


def main() -> int:
    from bot.clock import SystemClock
    from bot.runtime import build_runtime
    from bot.settings import Settings

    cli = parser(__doc__)
    add_database_options(cli)
    cli.add_argument("--size", choices=["small", "medium", "large"], default="medium")
    args = cli.parse_args()
    plain = time_logging(redacting=False)  # before anything installs the factory
    with bench_database(args) as url:
        runtime = build_runtime(Settings(database_url=url), clock=SystemClock(), profiles=False, door="console")
        try:
            started = time.perf_counter()
            workspace_id, name = seed(runtime, args.size)
            print(f"seeded ({args.size}) in {time.perf_counter() - started:.1f} s")
            export_s, size, rows = time_export(runtime, workspace_id)
            erase_s, values = time_erase(runtime, workspace_id, name)
        finally:
            runtime.close()
    redacted = time_logging(redacting=True)
    print()
    for measure, figure in (
        ("export all", f"{export_s:.2f} s ({rows:,} rows, zip {size / 1e6:.1f} MB)"),
        ("contact erase", f"{erase_s:.2f} s ({values} values replaced)"),
        ("log line, plain", f"{plain * 1e6:.2f} µs"),
        ("log line, redacted", f"{redacted * 1e6:.2f} µs"),
    ):
        print(f"  {measure:<22}{figure}")
    medium = args.size == "medium"
    return report_checks([
        ("export all under 60 s" + ("" if medium else " (not the medium workspace)"), export_s < 60),
        ("contact erase under 30 s" + ("" if medium else " (not the medium workspace)"), erase_s < 30),
        ("redaction under 10 µs a log line", redacted - plain < 10e-6),
    ])


if __name__ == "__main__":
    raise SystemExit(main())
