"""What the suites share: real ``carnet serve`` / ``carnet worker`` processes, the fake Slack Web API
(``tests/support/fake_slack.py``), a PostgreSQL instance of their own, signed load clients, and the
counts that prove nothing was lost or doubled (actions stored, outbox rows posted exactly once).

Every check is a ``(label, ok)`` pair; a suite's exit status is 0 when all of its checks hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python suites/load.py` too
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests.support.fake_slack import FailurePolicy, FakeSlack  # noqa: E402
from tests.support.slack_requests import sign, slash_command_body  # noqa: E402

__all__ = [
    "ACK_LIMIT", "QUICK_PATIENCE", "BOT_TOKEN", "ROOT", "SECRET", "CarnetProcess", "Demo", "FailurePolicy", "FakeSlack", "LoadResults",
    "TempPostgres", "count_actions", "fresh_postgres_database", "outbox_delivery", "pg_binaries", "prepare_demo",
    "print_result", "queue_messages", "run_clients", "run_suite", "wait_outbox_settled",
]

BOT_TOKEN = "xoxb-suite"
SECRET = "suite-signing-secret"
ACK_LIMIT = 3.0  # Slack gives up on an ack after 3 s
QUICK_PATIENCE = 20.0  # the --quick forms' clients: a loaded test machine must not turn slowness into failures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- Carnet's processes


def carnet_env(db_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``carnet`` process on ``db_url`` whose Web API calls go to the fake."""
    env = {**os.environ, "DATABASE_URL": db_url, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": api_url, "CARNET_DEFAULT_TZ": "Europe/Paris", "CARNET_DEFAULT_LOCALE": "fr", **extra}
    env.pop("SLACK_APP_TOKEN", None)
    return env


class CarnetProcess:
    """One ``carnet`` command in its own process, its output in ``log``."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, *, port: int | None = None) -> None:
        self.args, self.env, self.log, self.port = args, env, log, port
        self.proc: subprocess.Popen | None = None

    @classmethod
    def serve(cls, db_url: str, api_url: str, workdir: Path, name: str = "serve", **env: str) -> "CarnetProcess":
        port = free_port()
        args = ["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
        return cls(args, carnet_env(db_url, api_url, **env), workdir / f"{name}.log", port=port)

    @classmethod
    def worker(cls, db_url: str, api_url: str, workdir: Path, name: str = "worker", **env: str) -> "CarnetProcess":
        return cls(["worker"], carnet_env(db_url, api_url, **env), workdir / f"{name}.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "CarnetProcess":
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *self.args], env=self.env, cwd=ROOT,
                                         stdout=out, stderr=subprocess.STDOUT)
        return self

    def wait_healthy(self, timeout: float = 90) -> "CarnetProcess":
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"carnet {self.args[0]} exited: see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"carnet {self.args[0]} did not become healthy: see {self.log}")
            time.sleep(0.2)

    def wait_log(self, needle: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.log.read_text(errors="replace"):
            if self.proc is None or self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"carnet {self.args[0]} never logged {needle!r}: see {self.log}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it (SIGKILL after 30 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine or the OOM killer ends it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback") if self.log.exists() else 0


# --------------------------------------------------------------------------- databases


def pg_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb and pg_ctl (or $CARNET_PG_BIN)."""
    candidates = [Path(os.environ["CARNET_PG_BIN"])] if os.environ.get("CARNET_PG_BIN") else []
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    for path in candidates + versions[::-1]:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


class TempPostgres:
    """A PostgreSQL instance of the suite's own in a temp dir (initdb, pg_ctl), so that it can be
    restarted mid-run; removed afterwards. As root, the server runs as the ``postgres`` user."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="carnet-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=timeout)

    def _pg_ctl(self, action: str, *extra: str) -> None:
        self._run(str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60", *extra)

    def __enter__(self) -> "TempPostgres":
        if self._as:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        opts = f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=200"
        self._pg_ctl("start", "-o", opts, "-l", str(self.dir / "pg.log"))
        return self

    def restart(self, down_for: float = 1.0) -> None:
        """Stop the server (``-m fast``: every connection cut), wait ``down_for`` seconds, start it."""
        self._pg_ctl("stop", "-m", "fast")
        time.sleep(down_for)
        opts = f"-p {self.port} -h 127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=200"
        self._pg_ctl("start", "-o", opts, "-l", str(self.dir / "pg.log"))

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new database on the server of ``server_url`` (dropped afterwards): the URL to use."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"carnet_suite_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Demo:
    team: str
    workspace_id: int
    reps: list[str]
    manager: str
    accounts: list[str]


def prepare_demo(db_url: str) -> Demo:
    """The database migrated and the small demo team in it (seeded when missing)."""
    from bot.clock import SystemClock
    from bot.demo import DEMO_MANAGER_ID, LOCAL_TEAM_ID, seed_demo
    from storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    with make_session_factory(engine)() as session, session.begin():
        workspace_id = seed_demo(session, now=SystemClock().now(), size="small").id
    with engine.connect() as conn:
        reps = list(conn.scalars(text("SELECT slack_user_id FROM member WHERE workspace_id = :w AND role = 'rep' ORDER BY id"),
                                 {"w": workspace_id}))
        accounts = list(conn.scalars(text("SELECT name FROM account WHERE workspace_id = :w ORDER BY id LIMIT 60"),
                                     {"w": workspace_id}))
    engine.dispose()
    return Demo(LOCAL_TEAM_ID, workspace_id, reps, DEMO_MANAGER_ID, accounts)


# --------------------------------------------------------------------------- load clients


@dataclass
class LoadResults:
    """Every request sent: (sent at, command, seconds to the answer, outcome), and each /log's note."""

    samples: list[tuple[float, str, float, str]] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)  # note -> outcome
    seconds: float = 0.0

    def figures(self) -> dict[str, Any]:
        latencies = sorted(s[2] * 1000 for s in self.samples)

        def pct(p: float) -> float:
            if not latencies:
                return float("nan")
            return latencies[max(0, min(len(latencies) - 1, round(p / 100 * len(latencies) + 0.5) - 1))]

        outcomes = Counter(s[3] for s in self.samples)
        return {
            "requests": len(self.samples), "req_per_s": round(len(self.samples) / self.seconds, 1) if self.seconds else 0,
            "p50_ms": round(pct(50), 1), "p99_ms": round(pct(99), 1), "max_ms": round(latencies[-1], 1) if latencies else None,
            "outcomes": dict(sorted(outcomes.items())),
        }

    def errors(self, *, late_ok: bool = False) -> int:
        """Requests answered with an error: an HTTP error, no answer within 3 s, a broken connection
        (``late_ok``: an answer after Slack's 3 s is counted apart, not as an error)."""
        kinds = ("http", "timeout", "error") if late_ok else ("http", "timeout", "error", "late")
        return sum(1 for s in self.samples if s[3].startswith(kinds))


def signed_command(command: str, words: str, *, team: str, user: str) -> tuple[str, dict[str, str]]:
    body = slash_command_body(command, words, team_id=team, team_domain="suite", user_id=user, user_name=user.lower(),
                              channel_id="CSUITE", channel_name="ventes", response_url="http://127.0.0.1:9/response/suite",
                              api_app_id="ASUITE")
    return body, sign(body, SECRET, int(time.time()))


async def _client_loop(i: int, urls: list[str], demo: Demo, stop_at: float, run: str, results: LoadResults,
                       patience: float) -> None:
    rng = random.Random(i)
    url = urls[i % len(urls)]  # the clients are spread over the doors, as a load balancer would
    seq = 0
    async with httpx.AsyncClient(base_url=url, timeout=patience + 1) as http:
        while time.monotonic() < stop_at:
            seq += 1
            user = demo.reps[(i + seq) % len(demo.reps)]
            roll, note = rng.random(), None
            if roll < 0.5:
                note = f"{run}-{i}-{seq}"
                command, words = "/log", f'visite "{rng.choice(demo.accounts)}" proposition -- {note}'
            elif roll < 0.75:
                command, words = "/opp", ""
            else:
                command, words = "/pipeline", ""
            body, headers = signed_command(command, words, team=demo.team, user=user)
            sent = time.monotonic()
            shown = ""
            try:
                response = await asyncio.wait_for(http.post("/slack/events", content=body, headers=headers), patience)
                latency = time.monotonic() - sent
                shown = json.dumps(response.json(), ensure_ascii=False) if response.content else ""
                if response.status_code != 200:
                    outcome = f"http {response.status_code}"
                elif "occupé" in shown or "busy" in shown:
                    outcome = "apology"
                else:
                    outcome = "late" if latency > ACK_LIMIT else "ok"
            except (asyncio.TimeoutError, httpx.TimeoutException):
                latency, outcome = time.monotonic() - sent, "timeout"
            except (httpx.HTTPError, ValueError) as exc:
                latency, outcome = time.monotonic() - sent, f"error {exc.__class__.__name__}"
                await asyncio.sleep(0.05)  # a door down: do not spin
            if note is not None and outcome in ("ok", "late") and "Noté" not in shown and "Logged" not in shown:
                outcome = "not logged"
            results.samples.append((sent, command, latency, outcome))
            if note is not None:
                results.logs[note] = outcome


def run_clients(urls: list[str], demo: Demo, *, clients: int, seconds: float, run: str,
                during: Any = None, patience: float = ACK_LIMIT) -> LoadResults:
    """``clients`` concurrent clients sending signed /log (half), /opp and /pipeline for ``seconds``;
    ``during`` (a function) runs in a thread meanwhile (a fault to inject). A client waits ``patience``
    seconds for an answer, as Slack waits 3 s; longer (the --quick forms, on a busy test machine), an
    answer after 3 s is "late" rather than "timeout", and what Carnet said of it can be checked."""
    results = LoadResults()

    async def main() -> None:
        begin = time.monotonic()
        loops = [_client_loop(i, urls, demo, begin + seconds, run, results, patience) for i in range(clients)]
        if during is not None:
            loops.append(asyncio.to_thread(during))
        await asyncio.gather(*loops)
        results.seconds = time.monotonic() - begin

    asyncio.run(main())
    return results


def count_actions(db_url: str, run: str, results: LoadResults) -> dict[str, int]:
    """Every acknowledged /log stored once, none stored without an ack, none doubled (an answer after
    3 s that says "logged" counts as an acknowledgement: Carnet said it was stored)."""
    from storage.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT note, count(*) FROM action WHERE note LIKE :p GROUP BY note"),
                                   {"p": f"{run}-%"}).all())
    engine.dispose()
    acked = {n for n, o in results.logs.items() if o in ("ok", "late")}
    return {
        "acked": len(acked), "stored": sum(stored.values()),
        "lost": sum(1 for n in acked if not stored.get(n)),
        "doubled": sum(1 for c in stored.values() if c > 1),
        "stored_without_ack": sum(1 for n, o in results.logs.items() if o not in ("ok", "late") and stored.get(n)),
        "unknown": sum(1 for n in stored if n not in results.logs),
    }


# --------------------------------------------------------------------------- the outbox


def queue_messages(db_url: str, demo: Demo, count: int, tag: str) -> list[str]:
    """``count`` direct messages queued in the outbox, round-robin over the demo's reps; their keys."""
    from bot.clock import SystemClock
    from bot.core import Reply, Text, ToMember
    from bot.services import outbox
    from storage.db import make_engine, make_session_factory

    engine = make_engine(db_url)
    keys = [f"suite:{tag}:{i}" for i in range(count)]
    messages = [
        outbox.reply_message(demo.workspace_id, key, ToMember(demo.reps[i % len(demo.reps)]),
                             Reply("en", [Text("log.example")]))
        for i, key in enumerate(keys)
    ]
    with make_session_factory(engine)() as session, session.begin():
        outbox.enqueue_many(session, messages, now=SystemClock().now())
    engine.dispose()
    return keys


def _outbox_rows(db_url: str, workspace_id: int) -> list[tuple[int, str, str, str, str | None]]:
    """(id, key, kind, status, last error) of each row; a row dropped because what it said is no
    longer true (a reminder whose visit has begun, was done or moved; a day's agenda) has the status
    ``obsolete``: Carnet was right to drop it."""
    from storage.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, dedupe_key, kind, status, expires_at, last_error FROM outbox "
                                 "WHERE workspace_id = :w"), {"w": workspace_id}).all()
    engine.dispose()
    return [(r[0], r[1], r[2], "obsolete" if _dropped_by_design(r) else r[3], r[5]) for r in rows]


def _dropped_by_design(row: Any) -> bool:
    # The tick of the suites' real clock queues the day's work too (agendas, reminders of timed
    # visits): a fault that delays delivery past such a row's expiry, or a /log of the clients that
    # marks the reminded visit done (the reminder is then "superseded"), drops it by design.
    error = row[5] or ""
    return row[3] == "dropped" and ((row[4] is not None and "expired" in error) or error == "superseded")


def wait_outbox_settled(db_url: str, workspace_id: int, timeout: float, *, progress: Any = None) -> dict[str, int]:
    """Wait until no row of the workspace is pending or claimed (or ``timeout``); the rows by status.
    ``progress(counts)`` is called at each look (e.g. to kill a worker midway)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = Counter(r[3] for r in _outbox_rows(db_url, workspace_id))
        if progress is not None:
            progress(counts)
        if not (counts["pending"] or counts["claimed"]) or time.monotonic() > deadline:
            return dict(counts)
        time.sleep(0.5)


def outbox_delivery(db_url: str, workspace_id: int, fake: FakeSlack) -> dict[str, int]:
    """Each direct-message row of the workspace: sent, and in Slack exactly once (the key each post
    carries in its metadata)."""
    posted = Counter()
    for message in fake.messages():
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("key"):
            posted[payload["key"]] += 1
    every = [r for r in _outbox_rows(db_url, workspace_id) if r[2] == "reply"]
    rows = [r for r in every if r[3] != "obsolete"]
    return {
        "obsolete": len(every) - len(rows),
        "rows": len(rows),
        "sent": sum(1 for r in rows if r[3] == "sent"),
        "not_sent": sum(1 for r in rows if r[3] != "sent"),
        "posted_once": sum(1 for r in rows if posted[r[1]] == 1),
        "never_posted": sum(1 for r in rows if r[3] == "sent" and posted[r[1]] == 0 and r[1].startswith("suite:")),
        "posted_twice": sum(1 for r in rows if posted[r[1]] > 1),
        "not_sent_why": sorted({f"{r[3]}: {r[4]}" for r in rows if r[3] != "sent"})[:5],
    }


# --------------------------------------------------------------------------- reporting


def run_suite(suite: str, names: list[str], run_one: Any, *, quick: bool, as_json: bool, workdir: Path) -> int:
    """Run each scenario (``run_one(name)``: its result), print its figures and checks, then the
    verdict (and the JSON line with ``as_json``); 0 when every check holds."""
    results = []
    for name in names:
        try:
            result = run_one(name)
        except Exception as exc:  # a scenario that breaks is a failed check, and the others still run
            result = {"name": name, "figures": {}, "checks": [(f"ran to the end: {exc.__class__.__name__}: {exc}", False)]}
        results.append(result)
        if "skipped" in result:
            print(f"\n== {name}\n  skipped: {result['skipped']}")
        else:
            print_result(name, result["figures"], result["checks"])
    ok = all(all(passed for _label, passed in r.get("checks", [])) for r in results)
    print(f"\nlogs in {workdir}; {'all checks hold' if ok else 'SOME CHECKS FAILED'}")
    if as_json:
        print(json.dumps({"suite": suite, "quick": quick, "ok": ok, "scenarios": results}, default=str))
    return 0 if ok else 1


def print_result(name: str, figures: dict[str, Any], checks: list[tuple[str, bool]]) -> None:
    print(f"\n== {name}")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'FAILED'}] {label}")
    sys.stdout.flush()
