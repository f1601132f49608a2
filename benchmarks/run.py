"""Run every benchmark and print one table of their headline figures, then its markdown copy.

Each benchmark runs in its own process, as by hand, with ``$CARNET_BENCH_FIGURES`` naming a file
where it appends its figures (``harness.figure``: name, measured, target, reference, unit). The
table has one line per figure:

| column | |
|---|---|
| figure | what was measured, and on what |
| target | the promise: at most (``≤``) or at least (``≥``) |
| measured | this run |
| reference | the same work done another way (a bare Bolt ack, pandas, …), when the benchmark has one |
| ratio | measured ÷ reference, or measured ÷ target when there is no reference |
| status | ``met`` / ``MISSED`` against the target, ``—`` without one |

    python benchmarks/run.py --quick           # the smallest sizes: checks that each still runs (minutes)
    python benchmarks/run.py                   # the real sizes (an hour or more: digest seeds 1M actions)
    python benchmarks/run.py --only log_latency --only pipeline --json

Exit status 0 when every benchmark ran (its own exit status may say a target was missed: the table
shows which); 1 when one crashed or gave no figure. Figures depend on the machine and its load:
the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import FIGURES_ENV  # noqa: E402

# name, the real run's arguments, the quick run's ("{tmp}": the run's temp dir). Order matters: tick
# measures the workspace digest seeded.
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("parse", [], ["--rounds", "1"]),
    ("log_latency", [], ["--size", "small", "--requests", "20", "--warmup", "5"]),
    ("pipeline", [], ["--size", "small", "--open", "200", "--iterations", "10", "--warmup", "2"]),
    ("reminders", [], ["--reps", "20", "--plans", "200", "--actions", "500", "--past", "20"]),
    ("delivery", [], ["--scenario", "manager-unpaced", "--dms", "5"]),
    ("load", [], ["--clients", "2", "--duration", "3"]),
    ("kpis", [], ["--reps", "50", "--actions", "5000", "--deals", "500", "--rounds", "1"]),
    ("review", [], ["--rounds", "1"]),
    ("accounts", [], ["--size", "small", "--cards", "20", "--merges", "2"]),
    ("digest", ["--db-file", "{tmp}/large.db"],
     ["--size", "small", "--managers", "1", "--rounds", "1", "--charts", "1", "--db-file", "{tmp}/small.db"]),
    ("tick", ["--db-file", "{tmp}/large.db", "--no-prepare"], ["--db-file", "{tmp}/small.db", "--no-prepare"]),
]
NAMES = [b[0] for b in BENCHMARKS]


@dataclass
class Run:
    name: str
    exit_code: int
    seconds: float
    log: str
    figures: list[dict[str, Any]] = field(default_factory=list)


def run_one(name: str, args: list[str], tmp: Path, timeout: float | None) -> Run:
    figures_file = tmp / f"{name}.figures.jsonl"
    log = tmp / f"{name}.log"
    env = {**os.environ, FIGURES_ENV: str(figures_file), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    print(f"  {name} {' '.join(args)}", flush=True)
    with log.open("wb") as out:
        try:
            code = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *args], env=env, stdout=out,
                                  stderr=subprocess.STDOUT, cwd=HERE.parent, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            code = -1
    figures = [json.loads(line) for line in figures_file.read_text().splitlines()] if figures_file.exists() else []
    return Run(name, code, time.monotonic() - started, str(log), figures)


def _number(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}"


def row(fig: dict[str, Any]) -> list[str]:
    """A figure's cells: figure, target, measured, reference, ratio, status."""
    unit, measured, target, reference = fig["unit"], fig["measured"], fig.get("target"), fig.get("reference")
    higher = fig.get("higher_is_better", False)
    base = reference or target
    ratio = "—" if not base else "×<0.01" if measured / base < 0.01 else f"×{measured / base:.2f}"
    if target is None:
        status = "—"
    else:
        status = "met" if (measured >= target if higher else measured <= target) else "MISSED"
    bound = "—" if target is None else f"{'≥' if higher else '≤'} {_number(target, unit)}"
    return [fig["figure"], bound, _number(measured, unit), _number(reference, unit), ratio, status]


HEADER = ["figure", "target", "measured", "reference", "ratio", "status"]


def tables(runs: list[Run]) -> tuple[str, str]:
    """The plain table and its markdown copy."""
    rows = [row(f) for r in runs for f in r.figures]
    rows += [[f"{r.name}: no figure (exit {r.exit_code}, see {r.log})", "—", "—", "—", "—", "FAILED"]
             for r in runs if not r.figures]
    widths = [max(len(c[i]) for c in [HEADER, *rows]) for i in range(len(HEADER))]
    plain = "\n".join("  ".join(c[i].ljust(widths[i]) if i == 0 else c[i].rjust(widths[i]) for i in range(len(c)))
                      for c in [HEADER, *rows])
    markdown = "\n".join(["| " + " | ".join(HEADER) + " |", "|---|---:|---:|---:|---:|---|",
                          *("| " + " | ".join(c) + " |" for c in rows)])
    return plain, markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the smallest sizes (checks that each benchmark still runs)")
    parser.add_argument("--only", choices=NAMES, action="append", help="run this benchmark (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per benchmark (default: 600 quick, none full)")
    args = parser.parse_args(argv)
    timeout = args.timeout or (600.0 if args.quick else None)
    tmp = Path(tempfile.mkdtemp(prefix="carnet-bench-run-"))
    load_before = os.getloadavg()
    started = datetime.now(timezone.utc)
    print(f"{'quick' if args.quick else 'full'} run of {len(args.only or NAMES)} benchmarks, logs in {tmp}", flush=True)
    runs = []
    for name, full, quick in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        runs.append(run_one(name, [a.replace("{tmp}", str(tmp)) for a in (quick if args.quick else full)], tmp, timeout))
    load_after = os.getloadavg()
    plain, markdown = tables(runs)
    context = (f"{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average {load_before[0]:.2f} before, "
               f"{load_after[0]:.2f} after ({'--quick sizes: not figures to compare' if args.quick else 'full sizes'})")
    print(f"\n{context}\n\n{plain}\n\nmarkdown:\n\n{markdown}\n\n_{context}_")
    crashed = [r.name for r in runs if not r.figures or r.exit_code not in (0, 1)]
    if crashed:
        print(f"\nno figure, or crashed: {', '.join(crashed)} (logs in {tmp})")
    if args.json:
        print(json.dumps({"context": context, "quick": args.quick, "load_average": [load_before, load_after],
                          "runs": [r.__dict__ for r in runs]}))
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
