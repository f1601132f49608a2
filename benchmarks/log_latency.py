"""Ack latency of ``/log`` over real HTTP, on a workspace of realistic size, next to a bare Bolt app.

    python benchmarks/log_latency.py                       # SQLite file in a temp dir, 1,000 requests
    python benchmarks/log_latency.py --requests 5000 --keep-db
    python benchmarks/log_latency.py --db-url postgresql+psycopg://user:pw@localhost/carnet_bench
    python benchmarks/log_latency.py --profile log.prof    # cProfile of Carnet's work before each ack
    python benchmarks/log_latency.py --accounts 50000      # issue 11: fuzzy matching over 50,000 accounts

What it does:

1. seeds a workspace (``bot.demo.seed_demo``, size ``medium``: 50 reps, 5,000 accounts,
   10,000 contacts, 200,000 actions), or reuses it when it is already there; with
   ``--accounts N`` it adds accounts named like the demo's ("Alpha Industries 7") up to N, and
   the texts name any of them (misspelt ones are matched against all N names);
2. serves ``runtime.web_app()`` with uvicorn on 127.0.0.1 (the production door: Starlette
   adapter, signature checks, one transaction per command) and sends ``--requests`` signed
   ``/log`` slash commands one after the other, with varied texts: known accounts, misspelt
   ones (→ suggestions), unknown ones (→ create or cancel) and parse errors;
3. does the same against a minimal Bolt app that only acks (same adapter, same uvicorn set-up,
   same signing), so the figures can be read against what Bolt + HTTP cost anyway;
4. prints p50 / p95 / p99 / max per app and per kind of text, and checks the target of the
   issue: p99 under 100 ms (SQLite) and within 3x of the bare app.

The latency is measured on the client: from just before the POST to the end of the response
(the ack Slack waits for, 3 s at most). Exit status: 0 when the target is met, 1 otherwise.
"""

from __future__ import annotations

import cProfile
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable

import harness  # first: puts the checkout on sys.path
import httpx
from harness import (
    SIGNING_SECRET,
    FakeSlack,
    ServedApp,
    add_database_options,
    bench_database,
    print_table,
    report_checks,
    serving_runtime,
    signed_command,
    summary,
)
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from bot.demo import SIZES, _account_names, seed_demo
from bot.runtime import Runtime, prepare_to_serve
from storage.models import Account, Action, Workspace

TEAM_ID = "TBENCH"
TARGET_P99_MS = 100.0
TARGET_RATIO = 3.0


# --------------------------------------------------------------------------- the workload


@dataclass(frozen=True)
class Command:
    kind: str  # known | typo | unknown | error
    user_id: str
    text: str


_TYPES = ["visite", "appel", "email", "rdv", "visio", "démo", "négociation", "relance", "visit", "call", "meeting"]
_RESULTS = ["", "", "proposition", "pas de besoin", "revoir la proposition", "rdv pris", "commande", "proposal",
            "no need", "à relancer"]
_WHEN = ["", "", "", "hier", "avant-hier", "lundi dernier", "yesterday", "il y a 3 jours", "2026-01-15"]
_CONTACTS = ["", "", "", " avec Mme Durand (acheteur)", " avec Paul Girard", " with Sophie Moreau (director)"]
_NOTES = ["", "", "", " -- Budget validé au T2", " -- Rappeler après le salon", " -- Demande une démo sur site"]
_ERRORS = [
    "vizite {account}",  # unknown type → nearest type suggested
    "rdv {account} demain",  # the future: use /plan
    "visite",  # no account
    "appel \"{account}",  # unclosed quote
    "visite {account} -- " + "notes " * 250,  # a note over the limit
    "blabla {account} proposition",
]


def _typo(rng: random.Random, name: str) -> str:
    """A plausible misspelling: one letter dropped, doubled or swapped."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    i = rng.choice(letters[1:-1] or letters)
    move = rng.choice(["drop", "double", "swap"])
    if move == "drop":
        return name[:i] + name[i + 1:]
    if move == "double":
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1:i + 2] + name[i] + name[i + 2:] if i + 1 < len(name) else name[:i]


def workload(count: int, *, accounts: list[str], users: list[str], seed: int = 11) -> list[Command]:
    """``count`` /log texts: 60 % known accounts, 20 % misspelt, 10 % unknown, 10 % parse errors."""
    rng = random.Random(seed)
    commands = []
    for _ in range(count):
        user = rng.choice(users)
        account = rng.choice(accounts)
        roll = rng.random()
        if roll < 0.10:
            text = rng.choice(_ERRORS).format(account=account)
            commands.append(Command("error", user, text))
            continue
        if roll < 0.30:
            kind, name = "typo", _typo(rng, account)
        elif roll < 0.40:
            kind, name = "unknown", f"Zz {rng.choice(['Nouvelle', 'Prospect', 'Client'])} {rng.randint(1, 10**6)}"
        else:
            kind, name = "known", rng.choice([account, account.lower(), account.upper()])
        if " " in name and rng.random() < 0.5:
            name = f'"{name}"'
        words = [rng.choice(_TYPES), name, rng.choice(_RESULTS)]
        text = " ".join(w for w in words if w) + rng.choice(_CONTACTS) + (" " + rng.choice(_WHEN)).rstrip()
        text += rng.choice(_NOTES)
        commands.append(Command(kind, user, text))
    return commands


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    kind: str
    ms: float
    status: int
    body: str


def send_all(base_url: str, commands: list[Command], *, team_id: str, secret: str) -> list[Sample]:
    samples = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for command in commands:
            body, headers = signed_command("/log", command.text, team_id=team_id, user_id=command.user_id, secret=secret)
            start = time.perf_counter()
            response = client.post("/slack/events", content=body.encode(), headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            samples.append(Sample(command.kind, elapsed, response.status_code, response.text))
    return samples


# --------------------------------------------------------------------------- the two apps


def bare_app(secret: str, api_url: str) -> Starlette:
    """The floor: Bolt with signature checks, a /log listener that only acks."""
    from slack_sdk import WebClient

    app = App(signing_secret=secret, client=WebClient(token=harness.BOT_TOKEN, base_url=api_url),
              token_verification_enabled=False, request_verification_enabled=True)

    @app.command("/log")
    def _ack(ack: Callable[..., None]) -> None:
        ack("ok")

    handler = SlackRequestHandler(app)

    async def slack_events(request: Request):  # type: ignore[no-untyped-def]
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", slack_events, methods=["POST"])])


def seed(runtime: Runtime, size: str, accounts_target: int | None = None) -> tuple[list[str], list[str]]:
    """The benchmark workspace (created once); returns its account names and rep ids."""
    started = time.perf_counter()
    spec = SIZES[size]
    with runtime.session_factory() as session, session.begin():
        existing = session.scalar(select(Workspace).where(Workspace.team_id == TEAM_ID))
        workspace = seed_demo(session, now=runtime.clock.now(), team_id=TEAM_ID, size=size)
        if accounts_target and accounts_target > spec.accounts:
            _top_up_accounts(session, workspace.id, accounts_target, runtime.clock.now())
        accounts = session.scalar(select(func.count(Account.id)).where(Account.workspace_id == workspace.id))
        actions = session.scalar(select(func.count(Action.id)).where(Action.workspace_id == workspace.id))
    verb = "reused" if existing is not None else f"seeded in {time.perf_counter() - started:.1f} s"
    print(f"workspace {TEAM_ID}: {accounts:,} accounts, {actions:,} actions ({verb})")
    names = _account_names(max(spec.accounts, accounts_target or 0))
    users = ["UDEMO01", "UDEMO02", "UDEMO03", "UDEMO04", "UDEMO05"]
    users += [f"UREP{i:05d}" for i in range(len(users), spec.reps)]
    return names, users


def _top_up_accounts(session: Any, workspace_id: int, target: int, now: Any) -> None:
    """The demo's account names up to ``target`` (those already there are kept), owned by its reps."""
    from sqlalchemy import insert

    from bot.grammar.normalize import fold
    from storage.models import Member

    have = set(session.scalars(select(Account.name_key).where(Account.workspace_id == workspace_id)))
    reps = list(session.scalars(select(Member.id).where(Member.workspace_id == workspace_id, Member.role == "rep")))
    rng = random.Random(23)
    rows = [
        dict(workspace_id=workspace_id, name=name, name_key=fold(name), status="prospect", owner_id=rng.choice(reps),
             created_at=now)
        for name in _account_names(target) if fold(name) not in have
    ]
    for start in range(0, len(rows), 5_000):
        session.execute(insert(Account), rows[start:start + 5_000])
    if rows:
        print(f"added {len(rows):,} accounts")


def profile_conversation(runtime: Runtime) -> cProfile.Profile:
    """Profile every ``Conversation.handle`` call (the work Carnet does before the ack).

    Bolt runs listeners in its own thread pool, so a profiler enabled in uvicorn's thread would
    not see them; the requests are sequential, so one profiler switched on around each call
    (in whichever worker thread runs it) sees all of Carnet's work and nothing else.
    """
    profiler = cProfile.Profile()
    conversation = runtime.conversation
    handle = conversation.handle

    def profiled(request):  # type: ignore[no-untyped-def]
        profiler.enable()
        try:
            return handle(request)
        finally:
            profiler.disable()

    conversation.handle = profiled  # type: ignore[method-assign]
    return profiler


def count_actions(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return session.scalar(select(func.count(Action.id)).join(Workspace).where(Workspace.team_id == TEAM_ID)) or 0


def reply_text(sample: Sample) -> str:
    """The visible text of an ack (its JSON escapes accents, so read it back)."""
    import json

    try:
        return json.dumps(json.loads(sample.body), ensure_ascii=False)
    except ValueError:
        return sample.body


def confirmed(sample: Sample) -> bool:
    text = reply_text(sample)
    return "Noté :" in text or "Logged:" in text


def check_replies(samples: list[Sample]) -> list[str]:
    """Every request answered 200, and in the way its kind calls for."""
    problems = []
    bad = [s for s in samples if s.status != 200]
    if bad:
        problems.append(f"{len(bad)} requests did not get 200 (first: {bad[0].status} {bad[0].body[:200]})")
    apology = [s for s in samples if "problème est survenu" in reply_text(s) or "went wrong" in reply_text(s)]
    if apology:
        problems.append(f"{len(apology)} requests got the internal-error apology")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = harness.parser(__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="signed /log requests per app (default 1000)")
    parser.add_argument("--warmup", type=int, default=50, help="requests sent first and not measured (default 50)")
    add_database_options(parser)
    parser.add_argument("--size", choices=sorted(SIZES), default="medium", help="demo size to seed (default medium)")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="write a cProfile of Carnet's work behind each ack (Conversation.handle) to FILE")
    parser.add_argument("--accounts", type=int, default=None,
                        help="accounts in the workspace (default: the demo size's, 5,000); more are added, never removed")
    parser.add_argument("--seed", type=int, default=11, help="random seed of the texts")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="warm up without freezing the start-up heap (how `carnet serve` started before)")
    args = parser.parse_args(argv)

    with bench_database(args) as db_url, FakeSlack(team_id=TEAM_ID) as fake_api:
        print(f"database: {db_url.split('@')[-1]}")
        runtime = serving_runtime(db_url, fake_api.api_url)
        try:
            return measure(args, db_url, runtime, fake_api)
        finally:
            if not args.keep_db and args.db_url:
                harness.drop_workspace(runtime.engine, TEAM_ID)
            runtime.close()


def measure(args: Any, db_url: str, runtime: Runtime, fake_api: FakeSlack) -> int:
    """Both apps over HTTP, the figures, and the targets' checks (the exit status)."""
    names, users = seed(runtime, args.size, args.accounts)
    from bot.grammar.when import warm_up

    if args.no_gc_freeze:
        warm_up()
    else:
        prepare_to_serve()  # as `carnet serve` does
    warm = workload(args.warmup, accounts=names, users=users, seed=args.seed + 1)
    measured = workload(args.requests, accounts=names, users=users, seed=args.seed)
    kinds = defaultdict(int)
    for command in measured:
        kinds[command.kind] += 1
    print("texts: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + "; e.g.")
    for kind in ("known", "typo", "unknown", "error"):
        example = next((c.text for c in measured if c.kind == kind), None)
        if example:
            print(f"  /log {example}")

    # The bare app first, then Carnet: same client, same process, same uvicorn set-up.
    with ServedApp(bare_app(SIGNING_SECRET, fake_api.api_url)) as served:
        send_all(served.url, warm, team_id=TEAM_ID, secret=SIGNING_SECRET)
        bare = send_all(served.url, measured, team_id=TEAM_ID, secret=SIGNING_SECRET)
    with ServedApp(runtime.web_app()) as served:
        send_all(served.url, warm, team_id=TEAM_ID, secret=SIGNING_SECRET)
        before = count_actions(runtime)
        profiler = profile_conversation(runtime) if args.profile else None
        carnet = send_all(served.url, measured, team_id=TEAM_ID, secret=SIGNING_SECRET)
    after = count_actions(runtime)

    carnet_ms = [s.ms for s in carnet]
    bare_ms = [s.ms for s in bare]
    rows = [("bare Bolt ack", summary(bare_ms)), ("Carnet /log (all)", summary(carnet_ms))]
    for kind in ("known", "typo", "unknown", "error"):
        values = [s.ms for s in carnet if s.kind == kind]
        if values:
            rows.append((f"  {kind}", summary(values)))
    print_table(f"ack latency, {args.requests} sequential signed /log requests over HTTP", rows)
    stored_known = sum(1 for s in carnet if s.kind == "known" and confirmed(s))
    print(f"\nactions stored during the run: {after - before} (known-account texts confirmed: {stored_known}); "
          f"Web API calls: {dict(Counter(fake_api.methods()))}")

    c, b = summary(carnet_ms), summary(bare_ms)
    ratio_p99 = c["p99"] / b["p99"]
    ratio_p50 = c["p50"] / b["p50"]
    print(f"Carnet / bare: p50 x{ratio_p50:.1f}, p99 x{ratio_p99:.1f}")
    sqlite = db_url.startswith("sqlite")
    checks = []
    if sqlite:
        checks.append((f"p99 {c['p99']:.1f} ms < {TARGET_P99_MS:.0f} ms", c["p99"] < TARGET_P99_MS))
    checks.append((f"p99 within {TARGET_RATIO:.0f}x of the bare app (x{ratio_p99:.1f})", ratio_p99 <= TARGET_RATIO))
    for problem in check_replies(carnet):
        checks.append((problem, False))
    harness.figure(f"/log ack p99 ({'SQLite' if sqlite else 'PostgreSQL'}, sequential)", c["p99"],
                   target=TARGET_P99_MS if sqlite else None, reference=b["p99"], note="reference: a bare Bolt ack")
    exit_status = report_checks(checks)

    if profiler is not None and args.profile:
        import pstats

        profiler.dump_stats(args.profile)
        print(f"\nprofile of Conversation.handle written to {args.profile}; top 30 by cumulative time:")
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(30)
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
