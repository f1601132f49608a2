"""Slack's per-channel rate limit (issue 11 §3): 40 messages to one channel, each delivered once, none failed.

The fake Web API enforces one ``chat.postMessage`` a second per channel with bursts of 3 and
answers 429 ``Retry-After`` over it, like Slack. Its limiter reads the same FixedClock as the
worker, so these tests move time on by hand: no sleeping, no wall-clock race.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from slack_sdk import WebClient
from sqlalchemy import select

from bot.jobs.delivery import ChannelPacing, OutboxDelivery
from storage.models import OutboxMessage
from tests.support.fixtures import BOT_TOKEN
from tests.jobs.conftest import enqueue_reply, texts

MANAGER_DM = {"type": "dm", "user": "UMGR"}
MESSAGES = 40


def _limit(fake_slack, clock, *, per_second: float = 1.0, burst: int = 3) -> None:
    fake_slack.set_rate_limit(per_second, burst=burst, clock=lambda: clock.now().timestamp())


def _rows(session_factory) -> list[OutboxMessage]:
    with session_factory() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _drain_until_sent(delivery, clock, session_factory, *, step: timedelta, max_steps: int = 400):
    """Drain, move the clock on by ``step``, again, until no row is pending; returns (reports, steps)."""
    reports = []
    for n in range(max_steps):
        reports.append(delivery.drain())
        if all(r.status not in ("pending", "claimed") for r in _rows(session_factory)):
            return reports, n
        clock.advance(step)
    raise AssertionError(f"still pending after {max_steps} steps: {Counter(r.status for r in _rows(session_factory))}")


def test_forty_dms_to_one_manager_are_paced_under_the_limit_and_each_delivered_once(
    delivery, fake_slack, session_factory, workspace_id, clock
):
    _limit(fake_slack, clock)
    start = clock.now().timestamp()
    for i in range(MESSAGES):
        enqueue_reply(session_factory, workspace_id, f"review {i:02d}", destination=MANAGER_DM)
    reports, _ = _drain_until_sent(delivery, clock, session_factory, step=timedelta(seconds=1))

    assert Counter(texts(fake_slack)) == Counter({f"review {i:02d}": 1 for i in range(MESSAGES)})
    assert fake_slack.rate_limited() == []  # paced as Slack asks: never over the limit
    assert sum(r.failed for r in reports) == 0 and sum(r.sent for r in reports) == MESSAGES
    rows = _rows(session_factory)
    assert {(r.status, r.attempts, r.failures) for r in rows} == {("sent", 1, 0)}
    # At most 3 at once, then one a second: the k-th post (from 0) goes no earlier than k - 2 s.
    posted = sorted(c.fake_time - start for c in fake_slack.calls("chat.postMessage"))
    assert all(at >= k - 2 for k, at in enumerate(posted)), posted
    # And hardly slower than the limit: the last one 37 s after the first, plus the pacing margin.
    assert MESSAGES - 3 <= posted[-1] <= MESSAGES - 3 + 1


def test_without_pacing_429s_are_waited_never_counted_and_retry_after_is_honoured(
    session_factory, fake_slack, workspace_id, clock
):
    """The worst case: a worker that does not pace (or another process filling the channel). Slack's 429s
    are waits: every message is delivered once, none fails, nothing is retried before Retry-After."""
    _limit(fake_slack, clock)
    unpaced = OutboxDelivery(
        session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=5), clock,
        worker_id="unpaced", paced=False,
    )
    for i in range(MESSAGES):
        enqueue_reply(session_factory, workspace_id, f"review {i:02d}", destination=MANAGER_DM)
    reports, _ = _drain_until_sent(unpaced, clock, session_factory, step=timedelta(milliseconds=250))

    assert Counter(texts(fake_slack)) == Counter({f"review {i:02d}": 1 for i in range(MESSAGES)})
    limited = fake_slack.rate_limited()
    assert limited, "the fake should have rate-limited an unpaced worker"
    assert sum(r.failed for r in reports) == 0
    assert sum(r.rate_limited for r in reports) == len(limited)
    rows = _rows(session_factory)
    assert {r.status for r in rows} == {"sent"} and {r.failures for r in rows} == {0}
    assert sum(r.attempts for r in rows) == MESSAGES + len(limited)  # attempts: every HTTP try
    # Retry-After honoured for the channel: after a 429 at t (Retry-After: 1), no post to it before t + 1 s.
    calls = fake_slack.calls("chat.postMessage")
    for n, call in enumerate(calls):
        if call.rate_limited:
            assert call.retry_after is not None and call.retry_after >= 1
            assert all(later.fake_time >= call.fake_time + call.retry_after for later in calls[n + 1:]), (
                f"a post {min(c.fake_time for c in calls[n + 1:]) - call.fake_time:.2f} s after a 429"
            )
    # Far fewer 429s than the 169 for 40 DMs: one per wait, the rest of the channel waits too.
    assert len(limited) <= MESSAGES


def test_a_429_on_one_channel_does_not_hold_the_others(session_factory, fake_slack, workspace_id, clock, delivery):
    enqueue_reply(session_factory, workspace_id, "manager", destination=MANAGER_DM)
    enqueue_reply(session_factory, workspace_id, "rep", destination={"type": "dm", "user": "UREP"})
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)
    report = delivery.drain()
    assert (report.sent, report.retried, report.rate_limited) == (1, 1, 1)
    assert texts(fake_slack) == ["rep"]
    [waiting] = [r for r in _rows(session_factory) if r.status == "pending"]
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=30) and waiting.failures == 0


def test_a_429_holds_the_channels_other_rows_in_every_worker(session_factory, fake_slack, workspace_id, clock):
    """The 429's Retry-After is written on every pending row of that channel: a second worker (another
    process, with its own pacing) does not post there before it either."""
    for i in range(5):
        enqueue_reply(session_factory, workspace_id, f"m{i}", destination=MANAGER_DM)
    first = OutboxDelivery(
        session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=5), clock, worker_id="a"
    )
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=20)
    assert first.deliver_due(limit=1).rate_limited == 1
    second = OutboxDelivery(
        session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=5), clock, worker_id="b"
    )
    clock.advance(timedelta(seconds=19))
    assert second.drain().handled == 0
    assert len(fake_slack.calls("chat.postMessage")) == 1
    clock.advance(timedelta(seconds=1))
    assert second.drain().sent == 3  # then the pace: a burst of 3, then one a second
    clock.advance(timedelta(seconds=1, milliseconds=250))  # one a second (plus the pacing margin)
    assert second.drain().sent == 1
    clock.advance(timedelta(seconds=1))
    assert second.drain().sent == 1
    assert sorted(texts(fake_slack)) == [f"m{i}" for i in range(5)]


def test_fifty_channels_drain_in_parallel_while_one_channel_is_paced(
    delivery, fake_slack, session_factory, workspace_id, clock
):
    """A big Monday: many DMs to one manager must not keep everyone else's messages waiting."""
    _limit(fake_slack, clock)
    for i in range(30):
        enqueue_reply(session_factory, workspace_id, f"manager {i:02d}", destination=MANAGER_DM)
    for i in range(50):
        enqueue_reply(session_factory, workspace_id, f"rep {i:02d}", destination={"type": "dm", "user": f"UREP{i:02d}"})
    report = delivery.drain()
    assert report.sent == 53 and report.failed == 0  # every rep now, 3 of the manager's
    assert sorted(t for t in texts(fake_slack) if t.startswith("rep")) == [f"rep {i:02d}" for i in range(50)]
    assert fake_slack.rate_limited() == []


def test_pacing_reserves_a_slot_per_message():
    from datetime import UTC, datetime

    pacing = ChannelPacing(per_second=1.0, burst=3)
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    slots = [pacing.reserve("C1", t0) for _ in range(6)]
    assert [(s - t0).total_seconds() for s in slots] == [0, 0, 0, 1.25, 2.25, 3.25]  # a margin on future slots
    assert pacing.reserve("C2", t0) == t0  # channels are paced apart
    pacing.hold("C2", t0 + timedelta(seconds=10))
    assert [(pacing.reserve("C2", t0) - t0).total_seconds() for _ in range(2)] == [10.25, 11.25]  # no burst after a 429
    assert [(pacing.reserve("C3", t0 + timedelta(seconds=s)) - t0).total_seconds() for s in (0, 0, 0, 1, 2)] == [
        0, 0, 0, 1, 2]  # one a second after the burst, when asked at the slot: no margin added
