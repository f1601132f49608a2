"""Two Carnet processes draining one PostgreSQL outbox: every message reaches Slack exactly once."""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter

from sqlalchemy import select

from bot.services import outbox
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import OutboxMessage, Workspace
from tests.support.fixtures import TEST_NOW
from tests.jobs.conftest import reply_payload
from tests.jobs.spawn_worker import drain_in_process

ROWS = 300
PROCESSES = 2


def test_two_processes_send_every_row_exactly_once(postgres_url, fake_slack):
    """PostgreSQL only (the postgres_url fixture skips without CARNET_TEST_POSTGRES_URL): SQLite is a
    single-host database and its claims are covered by the threaded tests."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        ws = Workspace(team_id="T1", created_at=TEST_NOW)
        session.add(ws)
        session.flush()
        for i in range(ROWS):
            outbox.enqueue(
                session, workspace_id=ws.id, dedupe_key=f"reply:{i}", kind="reply",
                payload=reply_payload(f"row-{i}", {"type": "channel", "channel": f"C{i % 150}"}), now=TEST_NOW,
            )
    # 150 channels, two rows each: within one channel's burst, so the pace (1 a second per channel)
    # does not stretch the test; pacing has its own tests (test_rate_limits.py).
    fake_slack.latency = 0.002  # each post takes a little while, as Slack's do: the workers overlap

    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=drain_in_process,
            args=(postgres_url, fake_slack.api_url, f"proc-{n}", start, results, TEST_NOW.isoformat()),
            daemon=True,
        )
        for n in range(PROCESSES)
    ]
    try:
        for p in procs:
            p.start()
        reports = []
        for _ in procs:
            try:
                reports.append(results.get(timeout=90))
            except queue.Empty:
                raise AssertionError(f"a worker process gave no report; got {reports}") from None
        for p in procs:
            p.join(30)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(5)
    assert all(r[1] != "error" for r in reports), reports
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]

    calls = fake_slack.calls("chat.postMessage")
    per_row = Counter(c.params["text"] for c in calls)
    duplicates = {text: n for text, n in per_row.items() if n > 1}
    assert not duplicates, f"sent more than once: {duplicates}"
    assert set(per_row) == {f"row-{i}" for i in range(ROWS)}
    assert len(calls) == ROWS and all(c.ok for c in calls)
    assert sum(r[1] for r in reports) == ROWS
    assert all(r[1] > 0 for r in reports), f"both processes should have worked: {reports}"

    with factory() as session:
        rows = session.execute(select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.claimed_by)).all()
    engine.dispose()
    assert Counter(r.status for r in rows) == {"sent": ROWS}
    assert {r.attempts for r in rows} == {1}
    assert {r.claimed_by for r in rows} == {f"proc-{n}" for n in range(PROCESSES)}
