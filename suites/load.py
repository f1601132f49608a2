"""The load suite: concurrent signed slash commands against real ``carnet serve`` processes, then the rows counted.

Scenarios (``--clients`` concurrent clients, ``--seconds`` each; half /log with a unique note, a quarter
/opp, a quarter /pipeline, by the small demo's reps):

* ``pg-one`` — one ``carnet serve`` on PostgreSQL;
* ``pg-two`` — two ``carnet serve`` processes on one PostgreSQL database, the clients spread over both;
* ``sqlite-one`` — one ``carnet serve`` on a SQLite file.

PostgreSQL is ``--pg-url`` (or ``$CARNET_TEST_POSTGRES_URL``): a fresh database is created on that
server and dropped afterwards; without one, an instance of the suite's own (initdb, pg_ctl) when the
binaries are found, else the PostgreSQL scenarios are skipped with a message.

Checks: no error (an HTTP error, no answer within Slack's 3 s, a broken connection), no traceback
in the server's log, every acknowledged /log stored exactly once, none stored without an ack. The
p99 ack and the throughput are figures, not checks (they depend on the machine: see the README).

    python -m suites.load                  # the three scenarios, 50 clients, 60 s each
    python -m suites.load --quick          # sqlite-one and pg-two, 8 clients, 4 s (the test run's form)
    python -m suites.load --only sqlite-one --clients 20 --seconds 30 --json
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from suites.common import (
    QUICK_PATIENCE, CarnetProcess, FakeSlack, TempPostgres, count_actions, fresh_postgres_database, pg_binaries, prepare_demo,
    run_clients, run_suite,
)

SCENARIOS = ("pg-one", "pg-two", "sqlite-one")
QUICK = ("sqlite-one", "pg-two")


@contextlib.contextmanager
def postgres(pg_url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL database for one scenario (None when there is no PostgreSQL to use)."""
    if pg_url:
        with fresh_postgres_database(pg_url) as url:
            yield url
        return
    bin_dir = pg_binaries()
    if bin_dir is None:
        yield None
        return
    with TempPostgres(bin_dir) as pg:
        yield pg.url


def scenario(name: str, db_url: str, workdir: Path, *, doors: int, clients: int, seconds: float,
             quick: bool = False) -> dict[str, Any]:
    demo = prepare_demo(db_url)
    run = f"ld{uuid.uuid4().hex[:8]}"
    with FakeSlack() as fake:
        serves = [CarnetProcess.serve(db_url, fake.api_url, workdir, f"{name}-serve{i + 1}").start() for i in range(doors)]
        try:
            for serve in serves:
                serve.wait_healthy()
            results = run_clients([s.url for s in serves], demo, clients=clients, seconds=seconds, run=run,
                                  patience=QUICK_PATIENCE if quick else 3.0)
        finally:
            for serve in serves:
                serve.stop()
    rows = count_actions(db_url, run, results)
    tracebacks = sum(s.tracebacks() for s in serves)
    figures = {"doors": doors, "clients": clients, "seconds": seconds, **results.figures(), "actions": rows}
    checks = [
        (f"no error ({results.errors(late_ok=quick)} of {len(results.samples)} requests"
         f"{'; answers after 3 s counted apart' if quick else ''})", results.errors(late_ok=quick) == 0),
        (f"no traceback in the server log ({tracebacks})", tracebacks == 0),
        (f"every acknowledged /log stored once ({rows['acked']} acknowledged, {rows['stored']} stored, {rows['lost']} lost, "
         f"{rows['doubled']} doubled, {rows['stored_without_ack']} without an ack)",
         rows["acked"] > 0 and not (rows["lost"] or rows["doubled"] or rows["stored_without_ack"] or rows["unknown"])),
    ]
    return {"name": name, "figures": figures, "checks": checks}


def run_scenario(name: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    doors = 2 if name == "pg-two" else 1
    if name == "sqlite-one":
        return scenario(name, f"sqlite:///{workdir / 'load.db'}", workdir, doors=1, clients=args.clients, seconds=args.seconds,
                        quick=args.quick)
    with postgres(args.pg_url) as url:
        if url is None:
            return {"name": name, "skipped": "no PostgreSQL: give --pg-url, or install initdb/pg_ctl"}
        return scenario(name, url, workdir, doors=doors, clients=args.clients, seconds=args.seconds, quick=args.quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sqlite-one and pg-two, 8 clients, 4 s")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run this scenario (repeatable)")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients (50; quick: 8)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds of load per scenario (60; quick: 4)")
    parser.add_argument("--pg-url", default=os.environ.get("CARNET_TEST_POSTGRES_URL"),
                        help="a PostgreSQL server to create the suite's databases on (default $CARNET_TEST_POSTGRES_URL)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (last line)")
    args = parser.parse_args(argv)
    args.clients = args.clients or (8 if args.quick else 50)
    args.seconds = args.seconds or (4.0 if args.quick else 60.0)
    workdir = Path(tempfile.mkdtemp(prefix="carnet-load-suite-"))
    names = list(args.only or (QUICK if args.quick else SCENARIOS))
    return run_suite("load", names, lambda name: run_scenario(name, args, workdir),
                     quick=args.quick, as_json=args.json, workdir=workdir)


if __name__ == "__main__":
    sys.exit(main())
