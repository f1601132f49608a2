"""What Slack leaves uncertain or refuses (issue 11 §3): unknown outcomes, poison rows, unusable channels,
and the heartbeat that keeps a slow batch's rows from a second worker.

Each fault comes from the fake Web API over real HTTP: a post that is stored but answered after
the client's timeout, a connection dropped after storing, a timeout without storing, and
``ok: false`` refusals. Waits are on recorded calls and database state, never on sleeps.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.jobs.delivery import METADATA_EVENT, OutboxDelivery
from bot.services import outbox
from bot.services.members import Profile, get_or_create_member
from storage.models import OutboxMessage, Workspace
from tests.support.fixtures import BOT_TOKEN, TEST_NOW
from tests.jobs.conftest import enqueue_reply, reply_payload, row, texts


@pytest.fixture
def stamped(fake_slack, clock):
    """Message ts from the test's fixed clock, so the history search window is the worker's own."""
    fake_slack.ts_clock = lambda: clock.now().timestamp()
    return fake_slack


def impatient(session_factory, fake_slack, clock, worker_id: str = "impatient") -> OutboxDelivery:
    """A worker whose HTTP client gives up after 1 s (the fake's slow answers take far longer)."""
    return OutboxDelivery(
        session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=1), clock,
        worker_id=worker_id, http_timeout=1,
    )


def patient(session_factory, fake_slack, clock) -> OutboxDelivery:
    """The worker that tries again: a long timeout, so that a busy test machine cannot fake a timeout."""
    return OutboxDelivery(
        session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=30), clock,
        worker_id="patient", http_timeout=30,
    )


def _retry_now(session_factory, clock, row_id: int) -> None:
    clock.advance(row(session_factory, row_id).next_attempt_at - clock.now())


# ----------------------------------------------------------------------------- unknown outcomes


@pytest.mark.parametrize("destination", [{"type": "dm", "user": "U1"}, {"type": "channel", "channel": "CTEAM"}])
def test_a_post_that_landed_but_timed_out_is_not_sent_again(session_factory, stamped, workspace_id, clock, destination):
    fake_slack = stamped
    worker = impatient(session_factory, fake_slack, clock)
    row_id = enqueue_reply(session_factory, workspace_id, "une seule fois", destination=destination)
    fake_slack.fail_next("chat.postMessage", mode="slow_after_store", delay=60)
    report = worker.drain()
    fake_slack.release()
    assert (report.sent, report.retried) == (0, 1) and report.errors[0].startswith("network")
    stored = row(session_factory, row_id)
    assert (stored.status, stored.outcome_unknown, stored.attempts, stored.failures) == ("pending", True, 1, 1)
    [landed] = fake_slack.messages()
    assert landed["metadata"] == {"event_type": METADATA_EVENT,
                                  "event_payload": {"key": "reply:une seule fois", "id": row_id}}

    _retry_now(session_factory, clock, row_id)
    assert patient(session_factory, fake_slack, clock).drain().sent == 1
    [history] = fake_slack.calls("conversations.history")
    assert history.params["include_all_metadata"] in ("1", "true", True)
    assert float(history.params["oldest"]) <= clock.now().timestamp()
    assert len(fake_slack.calls("chat.postMessage")) == 1  # looked, found it: not posted again
    assert len(fake_slack.messages()) == 1
    stored = row(session_factory, row_id)
    assert (stored.status, stored.outcome_unknown, stored.attempts) == ("sent", False, 1)


def test_a_connection_dropped_after_the_post_landed_is_not_sent_again(session_factory, stamped, workspace_id, clock):
    fake_slack = stamped
    worker = impatient(session_factory, fake_slack, clock)
    row_id = enqueue_reply(session_factory, workspace_id, "coupé", destination={"type": "dm", "user": "U1"})
    fake_slack.fail_next("chat.postMessage", mode="drop_after_store")
    assert worker.drain().retried == 1
    assert row(session_factory, row_id).outcome_unknown is True
    _retry_now(session_factory, clock, row_id)
    assert patient(session_factory, fake_slack, clock).drain().sent == 1
    assert texts(fake_slack) == ["coupé"] and len(fake_slack.calls("chat.postMessage")) == 1


def test_a_post_that_timed_out_without_landing_is_sent_once(session_factory, stamped, workspace_id, clock):
    fake_slack = stamped
    worker = impatient(session_factory, fake_slack, clock)
    row_id = enqueue_reply(session_factory, workspace_id, "perdu", destination={"type": "dm", "user": "U1"})
    fake_slack.fail_next("chat.postMessage", mode="slow_no_store", delay=60)
    assert worker.drain().retried == 1
    fake_slack.release()
    assert fake_slack.messages() == []
    _retry_now(session_factory, clock, row_id)
    assert patient(session_factory, fake_slack, clock).drain().sent == 1
    assert len(fake_slack.calls("conversations.history")) == 1
    assert texts(fake_slack) == ["perdu"] and len(fake_slack.messages()) == 1
    assert row(session_factory, row_id).status == "sent"
    clock.advance(timedelta(hours=1))
    assert patient(session_factory, fake_slack, clock).drain().handled == 0 and len(fake_slack.messages()) == 1


def test_a_refused_connection_is_known_unsent_and_needs_no_look(session_factory, fake_slack, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "hors ligne", destination={"type": "dm", "user": "U1"})
    offline = OutboxDelivery(session_factory, WebClient(token=BOT_TOKEN, base_url="http://127.0.0.1:9/api/", timeout=2),
                             clock, worker_id="offline")
    assert offline.drain().retried == 1
    assert row(session_factory, row_id).outcome_unknown is False
    _retry_now(session_factory, clock, row_id)
    assert OutboxDelivery(session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url), clock).drain().sent == 1
    assert fake_slack.calls("conversations.history") == []


# ----------------------------------------------------------------------------- poison rows

POISON = {
    "unreadable reply": {"destination": {"type": "dm", "user": "U1"}, "reply": {"locale": "fr", "lines": [{"nokey": 1}]}},
    "no destination": {"reply": reply_payload("x")["reply"]},
    "destination not an object": {"destination": "U1", "reply": reply_payload("x")["reply"]},
    "reply not an object": {"destination": {"type": "dm", "user": "U1"}, "reply": "bonjour"},
}


@pytest.mark.parametrize("name", sorted(POISON))
def test_a_poison_row_fails_at_once_with_its_error_and_the_batch_goes_on(
    delivery, fake_slack, session_factory, workspace_id, clock, name
):
    before = enqueue_reply(session_factory, workspace_id, "avant", destination={"type": "dm", "user": "U2"})
    with session_factory() as session, session.begin():
        outbox.enqueue(session, workspace_id=workspace_id, dedupe_key="poison", kind="reply", payload=POISON[name],
                       now=TEST_NOW)
        poison_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "poison"))
    after = enqueue_reply(session_factory, workspace_id, "après", destination={"type": "dm", "user": "U3"})
    report = delivery.drain()
    assert (report.sent, report.failed, report.retried) == (2, 1, 0)
    assert report.failed_ids == [poison_id]
    stored = row(session_factory, poison_id)
    assert stored.status == "failed" and stored.last_error.startswith("bad payload: ")
    assert (stored.attempts, stored.claimed_until) == (0, None)  # never sent to Slack, not left claimed
    assert {row(session_factory, i).status for i in (before, after)} == {"sent"}
    clock.advance(outbox.CLAIM_LEASE * 10)
    assert delivery.drain().handled == 0  # not retried round after round
    assert sorted(texts(fake_slack)) == ["après", "avant"]


# ----------------------------------------------------------------------------- unusable channels


def _admin(session_factory, workspace_id: int, user: str = "UADMIN", locale: str = "en") -> None:
    with session_factory() as session, session.begin():
        workspace = session.get(Workspace, workspace_id)
        member = get_or_create_member(session, workspace, user, now=TEST_NOW, profile=Profile("Ada", "Europe/Paris", locale),
                                      default_tz="Europe/Paris", default_locale="fr")
        assert member.role == "admin"  # the first member of a workspace is its admin


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_a_members_ephemeral_confirmation_falls_back_to_their_dm(delivery, fake_slack, session_factory, workspace_id, error):
    row_id = enqueue_reply(session_factory, workspace_id, "noté", destination={"type": "ephemeral", "channel": "CPRIV", "user": "U7"})
    fake_slack.fail_next("chat.postEphemeral", status=200, error=error)
    assert delivery.drain().sent == 1
    [dm] = fake_slack.calls("chat.postMessage")
    assert (dm.params["channel"], dm.params["text"]) == ("U7", "noté")
    assert row(session_factory, row_id).status == "sent"


def test_a_members_channel_confirmation_falls_back_to_their_dm(delivery, fake_slack, session_factory, workspace_id):
    enqueue_reply(session_factory, workspace_id, "pour toi", destination={"type": "channel", "channel": "CPRIV", "user": "U7"})
    fake_slack.fail_next("chat.postMessage", status=200, error="not_in_channel")
    assert delivery.drain().sent == 1
    assert [(c.params["channel"], c.ok) for c in fake_slack.calls("chat.postMessage")] == [("CPRIV", False), ("U7", True)]


def test_the_team_channel_refusing_tells_the_admin_once_per_channel_and_problem(
    delivery, fake_slack, session_factory, workspace_id, clock
):
    _admin(session_factory, workspace_id)
    team = {"type": "channel", "channel": "CTEAM"}
    fake_slack.fail_next("chat.postMessage", status=200, error="not_in_channel")
    first = enqueue_reply(session_factory, workspace_id, "bravo 1", destination=team)
    report = delivery.drain()
    assert report.failed == 1 and report.failed_ids == [first] and report.sent == 1  # the admin's notice
    assert row(session_factory, first).last_error == "not_in_channel"
    for n in (2, 3):  # the same problem again: the admin is not told again
        fake_slack.fail_next("chat.postMessage", status=200, error="not_in_channel")
        enqueue_reply(session_factory, workspace_id, f"bravo {n}", destination=team)
        clock.advance(timedelta(minutes=1))
        assert delivery.drain().failed == 1
    notices = [c for c in fake_slack.delivered("chat.postMessage") if c.params["channel"] == "UADMIN"]
    assert len(notices) == 1
    assert "<#CTEAM>" in notices[0].params["text"] and "/invite" in notices[0].params["text"]
    with session_factory() as session:
        keys = session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("admin:%"))).all()
    assert keys == ["admin:channel:CTEAM:not_in_channel"]

    fake_slack.fail_next("chat.postMessage", status=200, error="channel_not_found")  # another problem: told
    enqueue_reply(session_factory, workspace_id, "bravo 4", destination=team)
    clock.advance(timedelta(minutes=1))
    delivery.drain()
    assert len([c for c in fake_slack.delivered("chat.postMessage") if c.params["channel"] == "UADMIN"]) == 2


# ----------------------------------------------------------------------------- heartbeat


def test_the_heartbeat_keeps_a_slow_batchs_rows_from_another_worker(session_factory, fake_slack, workspace_id, clock):
    """Worker A's first post hangs; meanwhile the clock passes A's first lease. A's heartbeat has
    extended the rows it still holds, so worker B takes none of them: each is sent once, by A."""
    ids = [enqueue_reply(session_factory, workspace_id, f"lent {i}", destination={"type": "dm", "user": f"U{i}"})
           for i in range(3)]
    slow = OutboxDelivery(session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=60), clock,
                          worker_id="A", heartbeat_interval=0.02)
    fake_slack.fail_next("chat.postMessage", mode="slow_after_store", delay=60)
    done: dict[str, object] = {}
    thread = threading.Thread(target=lambda: done.setdefault("report", slow.drain()))
    thread.start()
    try:
        fake_slack.wait_for("chat.postMessage", 1, timeout=30)  # A is inside its first post
        clock.advance(outbox.CLAIM_LEASE - timedelta(seconds=10))
        extended = clock.now() + outbox.CLAIM_LEASE
        deadline = time.monotonic() + 30
        while {row(session_factory, i).claimed_until for i in ids} != {extended}:
            assert time.monotonic() < deadline, "the heartbeat did not extend the claims"
            time.sleep(0.01)  # waiting on database state written by the heartbeat thread
        clock.advance(timedelta(seconds=20))  # past A's first lease, inside the extended one
        other = OutboxDelivery(session_factory, WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url), clock,
                               worker_id="B")
        assert other.drain().handled == 0
    finally:
        fake_slack.release()
        thread.join(60)
    assert done["report"].sent == 3
    assert Counter(texts(fake_slack)) == Counter({f"lent {i}": 1 for i in range(3)})
    assert {(row(session_factory, i).status, row(session_factory, i).claimed_by) for i in ids} == {("sent", "A")}
