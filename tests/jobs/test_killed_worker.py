"""A delivery worker killed with SIGKILL mid-batch (issue 11 §3): its rows are free again within the
60 s lease (it was 5 minutes), and each is sent exactly once — the one it had already posted too.

A real process (multiprocessing spawn) claims a batch; its first post is stored by the fake Slack,
which then holds the answer; the test kills the process there. A second worker on a fixed clock
then shows what happens at the instant of the kill and just after the lease.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.services import outbox
from storage.models import OutboxMessage
from tests.jobs.conftest import make_delivery, reply_payload, texts
from tests.jobs.spawn_worker import deliver_until_killed

ROWS = 20


def test_a_sigkilled_workers_rows_are_sent_once_right_after_the_lease(engine, session_factory, workspace_id, fake_slack):
    seeded_at = datetime.now(UTC) - timedelta(seconds=1)
    with session_factory() as session, session.begin():
        for n in range(ROWS):
            outbox.enqueue(
                session, workspace_id=workspace_id, dedupe_key=f"reply:kill:{n}", kind="reply",
                payload=reply_payload(f"row {n:02d}", {"type": "channel", "channel": f"C{n:02d}"}),
                now=seeded_at + timedelta(milliseconds=n),
            )
    fake_slack.fail_next("chat.postMessage", mode="slow_after_store", delay=600)  # stored, never answered
    url = engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=deliver_until_killed, args=(url, fake_slack.api_url, "doomed"), daemon=True)
    proc.start()
    try:
        fake_slack.wait_for("chat.postMessage", 1, timeout=120)  # its first post reached Slack
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        killed_at = datetime.now(UTC)
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        fake_slack.release()
    assert proc.exitcode == -signal.SIGKILL

    with session_factory() as session:
        held = session.execute(
            select(OutboxMessage.id, OutboxMessage.claimed_until)
            .where(OutboxMessage.status == "claimed", OutboxMessage.claimed_by == "doomed")
        ).all()
    assert len(held) == outbox.CLAIM_BATCH
    lease_over = max(r.claimed_until for r in held)
    assert lease_over <= killed_at + outbox.CLAIM_LEASE  # free again within a minute of the kill

    clock = FixedClock(killed_at)
    survivor = make_delivery(session_factory, fake_slack, clock, worker_id="survivor")
    assert survivor.drain().sent == ROWS - outbox.CLAIM_BATCH  # the rows nobody held, at once
    with session_factory() as session:  # the dead worker's rows wait while its lease may be in force
        assert session.scalar(select(func.count()).where(OutboxMessage.status == "claimed")) == outbox.CLAIM_BATCH

    clock.set(lease_over + timedelta(milliseconds=1))
    report = survivor.drain()
    assert report.sent == outbox.CLAIM_BATCH and report.failed == 0
    # The one the dead worker had posted was found in its channel's history (message metadata), not posted again.
    assert Counter(texts(fake_slack)) == Counter({f"row {n:02d}": 1 for n in range(ROWS)})
    assert len(fake_slack.calls("chat.postMessage")) == ROWS
    assert len(fake_slack.calls("conversations.history")) == outbox.CLAIM_BATCH  # one look per reaped row's channel
    with session_factory() as session:
        assert Counter(session.scalars(select(OutboxMessage.status))) == {"sent": ROWS}
