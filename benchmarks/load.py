"""Concurrent load on one ``carnet serve``: ack latency, throughput, and rows counted afterwards (issue 11 §1).

Starts a fake Slack Web API (tests/support/fake_slack.py), seeds the demo workspace if the database
does not hold it yet (``bot.demo.seed_demo``, ``--size``), then runs the real ``carnet serve
--no-worker`` in its own process (``--processes`` uvicorn processes, ``--threads`` per process) and
sends signed slash commands from ``--clients`` concurrent clients (asyncio + httpx) for
``--duration`` seconds: ``/log`` (half; each with a unique note), ``/opp`` and ``/pipeline``
(a quarter each) by the demo's reps. A request counts as acknowledged when it got a 200 with a
confirmation within Slack's 3 s (the client's timeout).

Afterwards it counts the rows: every acknowledged ``/log`` stored exactly once, none stored for a
request that was not acknowledged in time, none doubled.

``--with-tick ISO`` also starts ``carnet worker --now ISO`` (a Monday morning: agendas, digests,
reviews…) once the load is running, and prints the figures of the requests sent while its first
tick ran apart; the commands are then ``/log`` by the reps, and ``/pipeline team`` by the manager from one
client, one after the other (over 50 reps it acks "preparing" and the report follows after the ack).

    python benchmarks/load.py                                  # SQLite, 50 clients, 60 s
    python benchmarks/load.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/test --processes 2
    python benchmarks/load.py --db-url sqlite:////tmp/large.db --size large --with-tick 2026-12-07T07:30:00Z

Exit status 0 when p99 < 500 ms, >= 150 req/s (without ``--with-tick``) and the rows are right.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import harness  # first: puts the checkout on sys.path
import httpx
from harness import BOT_TOKEN, ROOT, SIGNING_SECRET, FakeSlack, free_port, percentile, signed_command
from sqlalchemy import text

ACK_LIMIT = 3.0


def seed(db_url: str, size: str) -> tuple[str, list[str], str, list[str]]:
    """The demo workspace (seeded when missing): team id, rep ids, manager id, account names."""
    from bot.clock import SystemClock
    from bot.demo import DEMO_MANAGER_ID, LOCAL_TEAM_ID, seed_demo
    from storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    started = time.monotonic()
    with factory() as session, session.begin():
        workspace = seed_demo(session, now=SystemClock().now(), size=size)
    took = time.monotonic() - started
    if took > 1:
        print(f"seeded the {size} demo in {took:.0f} s")
    with engine.connect() as conn:
        reps = [r[0] for r in conn.execute(text(
            "SELECT slack_user_id FROM member WHERE workspace_id = :w AND role = 'rep' ORDER BY id LIMIT 200"),
            {"w": workspace.id})]
        accounts = [r[0] for r in conn.execute(text(
            "SELECT name FROM account WHERE workspace_id = :w ORDER BY id LIMIT 60"), {"w": workspace.id})]
    engine.dispose()
    return LOCAL_TEAM_ID, reps, DEMO_MANAGER_ID, accounts


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)


async def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            if proc.poll() is not None:
                raise SystemExit("carnet serve exited: see its log")
            try:
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("carnet serve did not become healthy")
            await asyncio.sleep(0.2)


class Results:
    def __init__(self) -> None:
        self.samples: list[tuple[float, str, float, str]] = []  # (sent at, command, latency, outcome)
        self.logs: dict[str, str] = {}  # note -> outcome


async def client_loop(i: int, url: str, team: str, users: list[str], manager: str, accounts: list[str],
                      stop_at: float, run: str, results: Results, tick_mode: bool) -> None:
    rng = random.Random(i)
    seq = 0
    async with httpx.AsyncClient(base_url=url, timeout=ACK_LIMIT + 1) as http:
        while time.monotonic() < stop_at:
            seq += 1
            user = users[(i + seq) % len(users)]
            roll = rng.random()
            note = None
            if tick_mode and i == 0:  # one manager asking for the team's pipeline again and again
                command, words, user = "/pipeline", "team", manager
            elif roll < 0.5 or tick_mode:
                note = f"{run}-{i}-{seq}"
                command, words = "/log", f'visite "{rng.choice(accounts)}" proposition -- {note}'
            elif roll < 0.75:
                command, words = "/opp", ""
            else:
                command, words = "/pipeline", ""
            body, headers = signed_command(command, words, team_id=team, user_id=user)
            sent = time.monotonic()
            shown = ""
            try:
                # Slack gives up 3 s after sending: the whole exchange, not each read.
                response = await asyncio.wait_for(http.post("/slack/events", content=body, headers=headers), ACK_LIMIT)
                latency = time.monotonic() - sent
                shown = json.dumps(response.json(), ensure_ascii=False) if response.content else ""
                if response.status_code != 200:
                    outcome = f"http {response.status_code}"
                elif latency > ACK_LIMIT:
                    outcome = "late"
                elif "occupé" in shown or "busy" in shown:
                    outcome = "apology"
                else:
                    outcome = "ok"
            except (asyncio.TimeoutError, httpx.TimeoutException):
                latency, outcome = time.monotonic() - sent, "timeout"
            except (httpx.HTTPError, ValueError) as exc:
                latency, outcome = time.monotonic() - sent, f"error {exc.__class__.__name__}"
            if note is not None and outcome == "ok" and "Noté" not in shown and "Logged" not in shown:
                outcome = "not logged"
            label = "/pipeline team" if words == "team" else command
            results.samples.append((sent, label, latency, outcome))
            if note is not None:
                results.logs[note] = outcome


def report(title: str, samples: list[tuple[float, str, float, str]], duration: float | None) -> bool:
    print(f"\n{title}")
    print(f"  {'':16} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}  not ok")
    ok = True
    groups = {"all": samples}
    for label in sorted({s[1] for s in samples}):
        groups[label] = [s for s in samples if s[1] == label]
    for label, group in groups.items():
        lat = [s[2] * 1000 for s in group]
        bad = [s[3] for s in group if s[3] != "ok"]
        rate = f"{len(group) / duration:7.1f}" if duration else f"{'':>7}"
        kinds = ", ".join(f"{k} {bad.count(k)}" for k in sorted(set(bad))) or "0"
        print(f"  {label:16} {len(group):6d} {rate} {percentile(lat, 50):8.1f} {percentile(lat, 95):8.1f} "
              f"{percentile(lat, 99):8.1f} {max(lat) if lat else float('nan'):8.1f}  {kinds}")
        if label == "all" and bad:
            ok = False
    return ok


def count_rows(db_url: str, run: str, results: Results) -> bool:
    from storage.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = {note: n for note, n in conn.execute(text(
            "SELECT note, count(*) FROM action WHERE note LIKE :p GROUP BY note"), {"p": f"{run}-%"})}
    engine.dispose()
    acked = {n for n, o in results.logs.items() if o == "ok"}
    not_acked = {n for n, o in results.logs.items() if o != "ok"}
    missing = [n for n in acked if stored.get(n, 0) == 0]
    doubled = [n for n, c in stored.items() if c > 1]
    unacked_stored = [n for n in not_acked if stored.get(n, 0) > 0]
    unknown = [n for n in stored if n not in results.logs]
    print(f"\nrows: {len(acked)} /log acknowledged, {sum(stored.values())} stored; "
          f"acknowledged but not stored {len(missing)}, doubled {len(doubled)}, "
          f"stored without an ack {len(unacked_stored)} (of {len(not_acked)} not acknowledged), unknown {len(unknown)}")
    return not (missing or doubled or unacked_stored or unknown)


async def main_async(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="carnet-load-"))
    db_url = args.db_url or f"sqlite:///{workdir / 'carnet.db'}"
    team, reps, manager, accounts = seed(db_url, args.size)
    run = f"lb{uuid.uuid4().hex[:8]}"
    with FakeSlack() as fake:
        env = {**os.environ, "DATABASE_URL": db_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": fake.api_url, "CARNET_DEFAULT_TZ": "Europe/Paris", "CARNET_DEFAULT_LOCALE": "fr"}
        env.pop("SLACK_APP_TOKEN", None)
        port = free_port()
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
        if args.processes > 1:
            cmd += ["--workers", str(args.processes)]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        serve_log = workdir / "serve.log"
        server = start(cmd, env, serve_log)
        worker = None
        tick: dict[str, float] = {}
        try:
            url = f"http://127.0.0.1:{port}"
            await wait_healthy(url, server)
            print(f"{' '.join(cmd[2:])}: {args.clients} clients for {args.duration:.0f} s on {db_url.split('?')[0]}")
            results = Results()
            begin = time.monotonic()
            stop_at = begin + args.duration
            users = reps[: max(1, min(len(reps), args.clients))]
            loops = [client_loop(i, url, team, users, manager, accounts, stop_at, run, results, bool(args.with_tick))
                     for i in range(args.clients)]

            async def tick_runner() -> None:
                nonlocal worker
                await asyncio.sleep(min(5.0, args.duration / 4))
                worker_log = workdir / "worker.log"
                tick["start"] = time.monotonic()
                worker = start([sys.executable, "-m", "bot.cli", "worker", "--now", args.with_tick], env, worker_log)
                while "end" not in tick:
                    log = worker_log.read_text(errors="replace")
                    if re.search(r"due work:|run_due failed|Carnet worker stopped", log):
                        tick["end"] = time.monotonic()
                        line = [ln for ln in log.splitlines() if "due work:" in ln or "run_due failed" in ln]
                        tick["line"] = line[-1] if line else ""  # type: ignore[assignment]
                    elif time.monotonic() > stop_at or worker.poll() is not None:
                        tick["end"] = time.monotonic()
                        tick["line"] = "(tick still running at the end of the load)"  # type: ignore[assignment]
                    await asyncio.sleep(0.2)

            if args.with_tick:
                loops.append(tick_runner())
            await asyncio.gather(*loops)
            took = time.monotonic() - begin
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(30)
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    ok = report(f"{len(results.samples)} requests in {took:.1f} s", results.samples, took)
    if args.with_tick and "start" in tick:
        during = [s for s in results.samples if tick["start"] <= s[0] <= tick["end"]]
        print(f"\nworker tick ran {tick['end'] - tick['start']:.1f} s: {tick.get('line', '')}")
        report(f"{len(during)} requests sent while the tick ran", during, None)
    rows_ok = count_rows(db_url, run, results)
    failing = [ln for ln in serve_log.read_text(errors="replace").splitlines() if "not answered in time" in ln or "Traceback" in ln]
    print(f"serve log: {len(failing)} requests rolled back past the ack deadline (log in {workdir})")
    lat = [s[2] * 1000 for s in results.samples]
    where = f"{'PostgreSQL' if db_url.startswith('postgres') else 'SQLite'}, {args.clients} clients, {args.processes} process(es)"
    harness.figure(f"load: throughput ({where})", len(lat) / took, target=None if args.with_tick else 150.0,
                   unit="req/s", higher_is_better=True)
    harness.figure(f"load: ack p99 ({where})", percentile(lat, 99), target=500.0)
    target = percentile(lat, 99) < 500 and (args.with_tick or len(lat) / took >= 150)
    return 0 if ok and rows_ok and target else 1


def main() -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--db-url", default=None, help="database URL (default: a SQLite file in a temp dir, kept with the logs)")
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small",
                        help="demo size seeded when the database does not hold the demo workspace")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=1, help="carnet serve --workers N")
    parser.add_argument("--threads", type=int, default=None, help="carnet serve --threads N")
    parser.add_argument("--with-tick", metavar="ISO", default=None,
                        help="start `carnet worker --now ISO` during the load (e.g. 2026-12-07T07:30:00Z)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
