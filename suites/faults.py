"""The fault suite: Carnet keeps every action and sends every message exactly once while things break.

Scenarios (all with real ``carnet serve`` / ``carnet worker`` processes and the fake Slack Web API):

* ``web-api`` — the fake fails one call in N of ``chat.postMessage``, ``conversations.open`` and
  ``conversations.history``, in turn: 429 (Retry-After), 500, a timeout after the message landed,
  a connection dropped after it landed, a request lost before it landed. The worker drains the outbox.
* ``worker-kill`` — the same faults, and ``carnet worker`` is killed with SIGKILL while it delivers,
  then started again (a short claim lease, ``CARNET_CLAIM_LEASE_SECONDS``, so that its rows come back soon).
* ``db-restart`` — on a PostgreSQL instance the suite starts itself (initdb, pg_ctl), clients send
  signed /log, /opp and /pipeline to ``carnet serve`` while the worker delivers; the database is
  restarted (``pg_ctl stop -m fast``, every connection cut) mid-run. Skipped, with a message, when
  no PostgreSQL binaries are found (``/usr/lib/postgresql/*/bin``, or ``$CARNET_PG_BIN``).

Afterwards: every outbox row is sent and its message is in Slack exactly once (the key each post
carries in its metadata); every acknowledged /log is stored once, none stored without an ack; the
door answers again after the restart.

    python -m suites.faults               # every scenario, full size (a few minutes)
    python -m suites.faults --quick       # small sizes (the test run's form, about a minute)
    python -m suites.faults --only worker-kill --json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from suites.common import (
    QUICK_PATIENCE, CarnetProcess, FailurePolicy, FakeSlack, TempPostgres, count_actions, outbox_delivery, pg_binaries, prepare_demo,
    queue_messages, run_clients, run_suite, wait_outbox_settled,
)

SCENARIOS = ("web-api", "worker-kill", "db-restart")
FAULTY_METHODS = frozenset({"chat.postMessage", "conversations.open", "conversations.history"})
KINDS = ("429", "500", "drop", "timeout", "lost")


def _policy(quick: bool) -> FailurePolicy:
    # Quick: each kind once (a timeout costs the worker its 10 s HTTP timeout); full: one call in 4, all along.
    return FailurePolicy(every=3 if quick else 4, kinds=KINDS, methods=FAULTY_METHODS, timeout=12.0,
                         budget=len(KINDS) if quick else None)


def _delivery_checks(delivery: dict[str, int], settled: dict[str, int], fake: FakeSlack) -> list[tuple[str, bool]]:
    failed = (fake.failure_policy.failed if fake.failure_policy else {})
    return [
        # "obsolete": dropped because what it said was no longer true (see common._outbox_rows)
        (f"every outbox row sent ({settled})", set(settled) <= {"sent", "obsolete"}),
        (f"every message in Slack exactly once ({delivery['posted_once']} of {delivery['rows']}, "
         f"{delivery['posted_twice']} twice, {delivery['never_posted']} never)",
         delivery["posted_once"] == delivery["rows"] and not delivery["posted_twice"]),
        (f"the faults happened ({failed})", sum(failed.values()) > 0),
    ]


def web_api(workdir: Path, quick: bool) -> dict[str, Any]:
    """Slack's Web API failing in every way while the worker drains the outbox."""
    db_url = f"sqlite:///{workdir / 'web-api.db'}"
    demo = prepare_demo(db_url)
    count = 30 if quick else 300
    with FakeSlack() as fake:
        fake.set_failure_policy(_policy(quick))
        queue_messages(db_url, demo, count, "web-api")
        worker = CarnetProcess.worker(db_url, fake.api_url, workdir, "web-api-worker").start()
        started = time.monotonic()
        try:
            settled = wait_outbox_settled(db_url, demo.workspace_id, 120 if quick else 600)
        finally:
            worker.stop()
            fake.release()
        took = time.monotonic() - started
        delivery = outbox_delivery(db_url, demo.workspace_id, fake)
        figures = {"messages": count, "drained_in_s": round(took, 1), "faults": dict(fake.failure_policy.failed),
                   "calls": len(fake.calls()), **delivery}
        return {"name": "web-api", "figures": figures, "checks": _delivery_checks(delivery, settled, fake)}


def worker_kill(workdir: Path, quick: bool) -> dict[str, Any]:
    """``carnet worker`` killed (SIGKILL) in the middle of its delivery, then started again."""
    db_url = f"sqlite:///{workdir / 'worker-kill.db'}"
    demo = prepare_demo(db_url)
    count = 30 if quick else 300
    lease = {"CARNET_CLAIM_LEASE_SECONDS": "5"}
    killed: dict[str, Any] = {}
    with FakeSlack() as fake:
        fake.set_failure_policy(_policy(quick))
        queue_messages(db_url, demo, count, "worker-kill")
        first = CarnetProcess.worker(db_url, fake.api_url, workdir, "worker-kill-first", **lease).start()
        second = CarnetProcess.worker(db_url, fake.api_url, workdir, "worker-kill-second", **lease)

        def progress(counts: Any) -> None:
            # once a third is sent, at a moment it holds rows (or, failing that, at two thirds)
            if not killed and counts["sent"] >= count // 3 and (counts["claimed"] or counts["sent"] >= 2 * count // 3):
                first.kill()
                killed.update(sent=counts["sent"], claimed=counts["claimed"])
                second.start()

        started = time.monotonic()
        try:
            settled = wait_outbox_settled(db_url, demo.workspace_id, 120 if quick else 600, progress=progress)
        finally:
            first.kill()
            second.stop()
            fake.release()
        took = time.monotonic() - started
        delivery = outbox_delivery(db_url, demo.workspace_id, fake)
        figures = {"messages": count, "killed_after_sent": killed.get("sent"), "claimed_when_killed": killed.get("claimed"),
                   "drained_in_s": round(took, 1), "faults": dict(fake.failure_policy.failed), **delivery}
        checks = [("the worker was killed during delivery", bool(killed) and killed["sent"] < count)]
        return {"name": "worker-kill", "figures": figures, "checks": checks + _delivery_checks(delivery, settled, fake)}


def db_restart(workdir: Path, quick: bool) -> dict[str, Any]:
    """The database restarted under load, with the worker delivering."""
    bin_dir = pg_binaries()
    if bin_dir is None:
        return {"name": "db-restart", "skipped": "no PostgreSQL binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin"}
    clients, seconds, count = (4, 8.0, 20) if quick else (20, 40.0, 200)
    with TempPostgres(bin_dir) as pg, FakeSlack() as fake:
        db_url = pg.url
        demo = prepare_demo(db_url)
        queue_messages(db_url, demo, count, "db-restart")
        fake.set_failure_policy(FailurePolicy(every=7, kinds=("429", "500", "drop"), methods=FAULTY_METHODS))
        serve = CarnetProcess.serve(db_url, fake.api_url, workdir, "db-restart-serve").start()
        worker = CarnetProcess.worker(db_url, fake.api_url, workdir, "db-restart-worker",
                                      CARNET_CLAIM_LEASE_SECONDS="5").start()
        restart: dict[str, float] = {}

        def restart_midway() -> None:
            time.sleep(seconds / 3)
            restart["down"] = time.monotonic()
            pg.restart(down_for=1.0)
            restart["up"] = time.monotonic()

        run = f"fr{uuid.uuid4().hex[:8]}"
        try:
            serve.wait_healthy()
            patience = QUICK_PATIENCE if quick else 3.0
            results = run_clients([serve.url], demo, clients=clients, seconds=seconds, run=run, during=restart_midway,
                                  patience=patience)
            after = run_clients([serve.url], demo, clients=2, seconds=3.0, run=f"{run}a", patience=patience)  # the door, once it is over
            settled = wait_outbox_settled(db_url, demo.workspace_id, 120 if quick else 600)
        finally:
            worker.stop()
            serve.stop()
            fake.release()
        rows = count_actions(db_url, run, results)
        rows_after = count_actions(db_url, f"{run}a", after)
        delivery = outbox_delivery(db_url, demo.workspace_id, fake)
        outage = [s for s in results.samples if restart.get("down", 0) <= s[0] < restart.get("up", 0) + 3.0]
        figures = {"requests": results.figures(), "database_down_s": round(restart["up"] - restart["down"], 1),
                   "not_ok_around_restart": sum(1 for s in outage if s[3] != "ok"),
                   "requests_after": after.figures(), "actions": rows, "outbox": delivery}
        checks = [
            (f"every acknowledged /log stored once ({rows})",
             not (rows["lost"] or rows["doubled"] or rows["stored_without_ack"] or rows["unknown"])),
            (f"the door answers again once the database is back (2 clients, 3 s: {after.figures()['outcomes']})",
             # a timeout there is the machine's load, not the restart: the main load suite counts those
             any(s[3] in ("ok", "late") for s in after.samples) and not any(s[3].startswith(("http", "error")) for s in after.samples)
             and rows_after["lost"] == 0),
        ]
        return {"name": "db-restart", "figures": figures, "checks": checks + _delivery_checks(delivery, settled, fake)}


RUNNERS = {"web-api": web_api, "worker-kill": worker_kill, "db-restart": db_restart}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (the form the test run uses)")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run this scenario (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (last line)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="carnet-faults-"))
    return run_suite("faults", list(args.only or SCENARIOS), lambda name: RUNNERS[name](workdir, args.quick),
                     quick=args.quick, as_json=args.json, workdir=workdir)


if __name__ == "__main__":
    sys.exit(main())
