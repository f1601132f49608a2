"""The outbox service: dedupe on enqueue, claims that never overlap, leases that are reaped."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.services import outbox
from storage.models import OutboxMessage, Workspace
from tests.support.fixtures import TEST_NOW
from tests.jobs.conftest import enqueue_reply, reply_payload, row


def _count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count(OutboxMessage.id))) or 0


def _enqueue(session, workspace_id, key, *, text="hi", now=TEST_NOW, **kw) -> bool:
    return outbox.enqueue(
        session, workspace_id=workspace_id, dedupe_key=key, kind="reply", payload=reply_payload(text), now=now, **kw
    )


def test_the_same_dedupe_key_twice_stores_one_row(session_factory, workspace_id):
    with session_factory() as session, session.begin():
        assert _enqueue(session, workspace_id, "digest:U1:2026-11-23", text="first") is True
    with session_factory() as session, session.begin():
        assert _enqueue(session, workspace_id, "digest:U1:2026-11-23", text="second", now=TEST_NOW + timedelta(hours=1)) is False
    with session_factory() as session:
        [stored] = session.scalars(select(OutboxMessage)).all()
        assert stored.payload["reply"]["lines"][0]["values"]["text"] == "first"  # the first one is kept
        assert stored.created_at == TEST_NOW and stored.status == "pending" and stored.attempts == 0


def test_the_same_dedupe_key_twice_in_one_transaction_stores_one_row(session_factory, workspace_id):
    with session_factory() as session, session.begin():
        assert _enqueue(session, workspace_id, "k") is True
        assert _enqueue(session, workspace_id, "k") is False
    assert _count(session_factory) == 1


def test_a_sent_message_is_not_queued_again(session_factory, workspace_id):
    """Running a job twice sends nothing twice: the key outlives the delivery."""
    row_id = enqueue_reply(session_factory, workspace_id, "once", key="reminder:1")
    with session_factory() as session, session.begin():
        [claimed] = outbox.claim_due(session, worker="w", now=TEST_NOW)
        outbox.mark_sent(session, claimed.id, worker="w", now=TEST_NOW)
    with session_factory() as session, session.begin():
        assert _enqueue(session, workspace_id, "reminder:1") is False
    assert _count(session_factory) == 1 and row(session_factory, row_id).status == "sent"


def test_dedupe_keys_are_per_workspace(session_factory, workspace_id):
    with session_factory() as session, session.begin():
        other = Workspace(team_id="T2", created_at=TEST_NOW)
        session.add(other)
        session.flush()
        assert _enqueue(session, workspace_id, "k") is True
        assert _enqueue(session, other.id, "k") is True
    assert _count(session_factory) == 2


def test_only_due_rows_are_claimed_oldest_first(session_factory, workspace_id):
    later = enqueue_reply(session_factory, workspace_id, "later", not_before=TEST_NOW + timedelta(minutes=5))
    second = enqueue_reply(session_factory, workspace_id, "second", now=TEST_NOW - timedelta(seconds=1))
    first = enqueue_reply(session_factory, workspace_id, "first", now=TEST_NOW - timedelta(seconds=2))
    with session_factory() as session, session.begin():
        claimed = outbox.claim_due(session, worker="w1", now=TEST_NOW)
    assert [c.id for c in claimed] == [first, second]
    assert {row(session_factory, i).status for i in (first, second)} == {"claimed"}
    assert row(session_factory, first).claimed_by == "w1"
    assert row(session_factory, first).claimed_until == TEST_NOW + outbox.CLAIM_LEASE
    assert row(session_factory, later).status == "pending"
    with session_factory() as session, session.begin():
        assert outbox.claim_due(session, worker="w2", now=TEST_NOW) == []
        assert [c.id for c in outbox.claim_due(session, worker="w2", now=TEST_NOW + timedelta(minutes=5))] == [later]


def test_two_workers_claiming_in_turn_never_share_a_row(session_factory, workspace_id):
    ids = {enqueue_reply(session_factory, workspace_id, f"m{i}") for i in range(10)}
    with session_factory() as session, session.begin():
        a = {c.id for c in outbox.claim_due(session, worker="a", now=TEST_NOW, limit=6)}
    with session_factory() as session, session.begin():
        b = {c.id for c in outbox.claim_due(session, worker="b", now=TEST_NOW, limit=6)}
    assert len(a) == 6 and len(b) == 4
    assert a.isdisjoint(b) and a | b == ids


def test_threads_claiming_at_once_never_share_a_row(session_factory, workspace_id):
    """Several workers, each in its own session and thread, claim in small batches until nothing is left."""
    ids = {enqueue_reply(session_factory, workspace_id, f"m{i}") for i in range(120)}
    start = threading.Barrier(6)
    got: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        mine: list[int] = []
        try:
            start.wait(10)
            while True:
                with session_factory() as session, session.begin():
                    batch = outbox.claim_due(session, worker=name, now=TEST_NOW, limit=7)
                if not batch:
                    break
                mine += [c.id for c in batch]
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        got[name] = mine

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    claimed = [i for ids_ in got.values() for i in ids_]
    assert len(claimed) == len(set(claimed)), "a row was claimed twice"
    assert set(claimed) == ids
    with session_factory() as session:
        owners = dict(session.execute(select(OutboxMessage.id, OutboxMessage.claimed_by)).all())
    for name, mine in got.items():
        assert all(owners[i] == name for i in mine)


def test_postgres_open_claims_skip_each_others_rows(postgres_url):
    """On PostgreSQL two open transactions claim at once: the second skips the first's locked rows
    (FOR UPDATE SKIP LOCKED) instead of waiting or taking them."""
    from storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(postgres_url)
    upgrade(engine)
    try:
        factory = make_session_factory(engine)
        with factory() as session, session.begin():
            ws = Workspace(team_id="T1", created_at=TEST_NOW)
            session.add(ws)
            session.flush()
            ws_id = ws.id
        ids = {enqueue_reply(factory, ws_id, f"m{i}") for i in range(10)}
        first, second = factory(), factory()
        try:
            first.begin()
            a = {c.id for c in outbox.claim_due(first, worker="a", now=TEST_NOW, limit=4)}
            second.begin()
            result: dict[str, set[int]] = {}
            # In a thread, so that a claim that waited for the first transaction would show as a timeout.
            t = threading.Thread(
                target=lambda: result.setdefault("b", {c.id for c in outbox.claim_due(second, worker="b", now=TEST_NOW, limit=10)})
            )
            t.start()
            t.join(10)
            waited = t.is_alive()
            first.commit()  # releases the first claim's locks: a waiting second claim ends now
            t.join(30)
            second.commit()
        finally:
            first.close()
            second.close()
        assert not waited, "the second claim waited for the first transaction's locks"
        assert len(a) == 4 and result["b"] == ids - a
    finally:
        engine.dispose()


def test_a_lease_in_force_is_not_reaped_an_expired_one_is(session_factory, workspace_id):
    row_id = enqueue_reply(session_factory, workspace_id, "m")
    with session_factory() as session, session.begin():
        outbox.claim_due(session, worker="dead", now=TEST_NOW)
    with session_factory() as session, session.begin():
        assert outbox.reap_expired_claims(session, now=TEST_NOW + outbox.CLAIM_LEASE - timedelta(seconds=1)) == 0
    assert row(session_factory, row_id).status == "claimed"
    with session_factory() as session, session.begin():
        assert outbox.reap_expired_claims(session, now=TEST_NOW + outbox.CLAIM_LEASE + timedelta(seconds=1)) == 1
    reaped = row(session_factory, row_id)
    assert (reaped.status, reaped.claimed_by, reaped.claimed_until) == ("pending", None, None)


def test_a_reaped_workers_late_marks_change_nothing(session_factory, workspace_id):
    """The dead worker wakes up after its row went to another worker: its marks are ignored."""
    row_id = enqueue_reply(session_factory, workspace_id, "m")
    later = TEST_NOW + outbox.CLAIM_LEASE + timedelta(seconds=1)
    with session_factory() as session, session.begin():
        outbox.claim_due(session, worker="dead", now=TEST_NOW)
    with session_factory() as session, session.begin():
        outbox.reap_expired_claims(session, now=later)
        assert [c.id for c in outbox.claim_due(session, worker="alive", now=later)] == [row_id]
    with session_factory() as session, session.begin():
        outbox.mark_sent(session, row_id, worker="dead", now=later)
        assert outbox.mark_retry(session, row_id, worker="dead", retry_at=later, error="x") == "lost"
        outbox.mark_final(session, row_id, worker="dead", status="failed", error="x")
    stored = row(session_factory, row_id)
    assert (stored.status, stored.claimed_by, stored.attempts) == ("claimed", "alive", 0)


@pytest.mark.parametrize("attempts_before", [0, outbox.MAX_ATTEMPTS - 2])
def test_mark_retry_puts_back_then_fails_at_max_attempts(session_factory, workspace_id, attempts_before):
    """Issue 11: MAX_ATTEMPTS counts real failures (``failures``), no longer every HTTP try (``attempts``)."""
    row_id = enqueue_reply(session_factory, workspace_id, "m")
    with session_factory() as session, session.begin():
        stored = session.get(OutboxMessage, row_id)
        stored.attempts = attempts_before + 5  # tries that were 429s: they do not bring the end nearer
        stored.failures = attempts_before
    with session_factory() as session, session.begin():
        outbox.claim_due(session, worker="w", now=TEST_NOW)
        status = outbox.mark_retry(session, row_id, worker="w", retry_at=TEST_NOW + timedelta(seconds=30), error="slack 500")
    stored = row(session_factory, row_id)
    assert stored.attempts == attempts_before + 6 and stored.failures == attempts_before + 1
    assert stored.last_error == "slack 500"
    assert status == stored.status == "pending"
    assert stored.next_attempt_at == TEST_NOW + timedelta(seconds=30) and stored.claimed_until is None
    with session_factory() as session, session.begin():
        assert outbox.claim_due(session, worker="w", now=TEST_NOW + timedelta(seconds=29)) == []
        outbox.claim_due(session, worker="w", now=TEST_NOW + timedelta(seconds=30))
        status = outbox.mark_retry(session, row_id, worker="w", retry_at=TEST_NOW + timedelta(minutes=2), error="again")
    expected = "failed" if attempts_before + 2 >= outbox.MAX_ATTEMPTS else "pending"
    assert status == row(session_factory, row_id).status == expected


def test_a_429_is_a_try_but_never_a_failure(session_factory, workspace_id):
    """However many 429s a row meets, it stays pending: ``attempts`` grows, ``failures`` does not."""
    row_id = enqueue_reply(session_factory, workspace_id, "m")
    at = TEST_NOW
    for _ in range(outbox.MAX_ATTEMPTS * 3):
        with session_factory() as session, session.begin():
            assert [c.id for c in outbox.claim_due(session, worker="w", now=at)] == [row_id]
            status = outbox.mark_retry(
                session, row_id, worker="w", retry_at=at + timedelta(seconds=1), error="ratelimited", failure=False
            )
        assert status == "pending"
        at += timedelta(seconds=1)
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts, stored.failures) == ("pending", outbox.MAX_ATTEMPTS * 3, 0)


def test_a_reaped_row_comes_back_with_an_unknown_outcome(session_factory, workspace_id):
    """Its worker may have sent it before dying: the next worker must look before sending it again."""
    row_id = enqueue_reply(session_factory, workspace_id, "m")
    with session_factory() as session, session.begin():
        outbox.claim_due(session, worker="dead", now=TEST_NOW)
    assert row(session_factory, row_id).first_attempt_at == TEST_NOW
    assert row(session_factory, row_id).outcome_unknown is False
    with session_factory() as session, session.begin():
        assert outbox.reap_expired_claims(session, now=TEST_NOW + outbox.CLAIM_LEASE + timedelta(seconds=1)) == 1
    reaped = row(session_factory, row_id)
    assert (reaped.status, reaped.outcome_unknown, reaped.first_attempt_at) == ("pending", True, TEST_NOW)


def test_the_heartbeat_extends_only_the_rows_its_worker_still_holds(session_factory, workspace_id):
    mine = [enqueue_reply(session_factory, workspace_id, f"m{i}") for i in range(3)]
    with session_factory() as session, session.begin():
        assert len(outbox.claim_due(session, worker="w", now=TEST_NOW)) == 3
        outbox.mark_sent(session, mine[0], worker="w", now=TEST_NOW)
    later = TEST_NOW + timedelta(seconds=45)
    with session_factory() as session, session.begin():
        assert outbox.extend_claims(session, mine, worker="w", until=later + outbox.CLAIM_LEASE) == 2
        assert outbox.extend_claims(session, mine, worker="other", until=later + outbox.CLAIM_LEASE) == 0
    assert [row(session_factory, i).claimed_until for i in mine] == [None] + [later + outbox.CLAIM_LEASE] * 2
    with session_factory() as session, session.begin():  # the first lease is over, the extended one holds
        assert outbox.reap_expired_claims(session, now=TEST_NOW + outbox.CLAIM_LEASE + timedelta(seconds=1)) == 0


def test_a_429_pushes_back_every_pending_row_of_that_channel_only(session_factory, workspace_id):
    same = [enqueue_reply(session_factory, workspace_id, f"s{i}", destination={"type": "dm", "user": "UMGR"}) for i in range(3)]
    other = enqueue_reply(session_factory, workspace_id, "o", destination={"type": "dm", "user": "UREP"})
    later = enqueue_reply(session_factory, workspace_id, "l", destination={"type": "dm", "user": "UMGR"},
                          not_before=TEST_NOW + timedelta(minutes=5))
    until = TEST_NOW + timedelta(seconds=30)
    with session_factory() as session, session.begin():
        assert outbox.hold_channel(session, workspace_id=workspace_id, channel="UMGR", until=until) == 3
    assert {row(session_factory, i).next_attempt_at for i in same} == {until}
    assert row(session_factory, other).next_attempt_at == TEST_NOW
    assert row(session_factory, later).next_attempt_at == TEST_NOW + timedelta(minutes=5)  # never brought forward


def test_channel_keys_name_the_conversation_a_row_is_posted_in():
    reply = reply_payload("x")["reply"]
    assert outbox.channel_key("reply", {"destination": {"type": "dm", "user": "U1"}, "reply": reply}) == "U1"
    assert outbox.channel_key("reply", {"destination": {"type": "channel", "channel": "C9"}, "reply": reply}) == "C9"
    assert outbox.channel_key("file", {"channel": "U2"}) == "U2"
    for unpaced in ({"type": "ephemeral", "channel": "C1", "user": "U1"}, {"type": "home", "user": "U1"},
                    {"type": "response_url", "url": "https://hooks.slack.com/x"}, "nonsense"):
        assert outbox.channel_key("reply", {"destination": unpaced, "reply": reply}) is None
    assert outbox.channel_key("reply", {}) is None
