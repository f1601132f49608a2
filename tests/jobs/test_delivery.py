"""OutboxDelivery against the fake Slack Web API: exactly one delivered message per row, whatever Slack answers."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from bot.conversation import Conversation
from bot.core import Request
from bot.jobs.delivery import OutboxDelivery
from bot.render.blocks import reply_message
from bot.services import outbox
from bot.services.accounts import create_account
from bot.services.members import find_workspace
from tests.support.fixtures import BOT_TOKEN, TEST_NOW
from tests.jobs.conftest import (
    enqueue_reply,
    make_delivery,
    reply_payload,
    row,
    texts,
)


def test_a_due_reply_is_posted_once(delivery, fake_slack, session_factory, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "Bonjour")
    report = delivery.drain()
    assert (report.sent, report.retried, report.failed, report.dropped) == (1, 0, 0, 0)
    [call] = fake_slack.calls("chat.postMessage")
    assert call.params["channel"] == "C1" and call.params["text"] == "Bonjour"
    assert call.params["blocks"][0]["text"]["text"] == "Bonjour"
    assert call.token == BOT_TOKEN
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts, stored.sent_at, stored.last_error) == ("sent", 1, TEST_NOW, None)
    clock.advance(timedelta(hours=1))
    assert delivery.drain().handled == 0
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_a_row_not_yet_due_waits(delivery, fake_slack, session_factory, workspace_id, clock):
    enqueue_reply(session_factory, workspace_id, "plus tard", not_before=TEST_NOW + timedelta(minutes=30))
    assert delivery.drain().handled == 0
    clock.advance(timedelta(minutes=30))
    assert delivery.drain().sent == 1
    assert texts(fake_slack) == ["plus tard"]


def test_429_is_retried_not_before_retry_after(delivery, fake_slack, session_factory, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "limité")
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=2)
    report = delivery.drain()
    assert (report.sent, report.retried) == (0, 1)
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("pending", 1, "ratelimited")
    assert stored.next_attempt_at == TEST_NOW + timedelta(seconds=2)
    assert delivery.drain().handled == 0  # same instant: too early
    clock.advance(timedelta(seconds=1, microseconds=999_999))
    assert delivery.drain().handled == 0  # still before now + 2 s
    assert len(fake_slack.calls("chat.postMessage")) == 1
    clock.advance(timedelta(microseconds=1))
    assert delivery.drain().sent == 1
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [429, 200]
    assert texts(fake_slack) == ["limité"]
    assert row(session_factory, row_id).status == "sent"


def test_500_twice_then_ok_delivers_once_with_growing_backoff(delivery, fake_slack, session_factory, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "enfin")
    fake_slack.fail_next("chat.postMessage", status=500, times=2)
    assert delivery.drain().retried == 1
    first_wait = row(session_factory, row_id).next_attempt_at - TEST_NOW
    clock.advance(first_wait)
    assert delivery.drain().retried == 1
    second_wait = row(session_factory, row_id).next_attempt_at - clock.now()
    assert timedelta(0) < first_wait < second_wait  # exponential backoff
    clock.advance(second_wait - timedelta(milliseconds=1))
    assert delivery.drain().handled == 0
    clock.advance(timedelta(milliseconds=1))
    assert delivery.drain().sent == 1
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [500, 500, 200]
    assert texts(fake_slack) == ["enfin"]
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts) == ("sent", 3)


def test_endless_5xx_fails_the_row_after_max_attempts(delivery, fake_slack, session_factory, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "jamais")
    fake_slack.fail_next("chat.postMessage", status=503, times=None)
    for _ in range(outbox.MAX_ATTEMPTS + 3):
        delivery.drain()
        clock.advance(timedelta(hours=1))
    assert len(fake_slack.calls("chat.postMessage")) == outbox.MAX_ATTEMPTS
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("failed", outbox.MAX_ATTEMPTS, "slack 503")


REFUSALS = ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth"]


def test_an_ok_false_refusal_fails_the_row_without_retry(delivery, fake_slack, session_factory, workspace_id, clock):
    ids = {}
    for n, error in enumerate(REFUSALS):
        # One channel each: four posts to one channel at once would be paced (burst 3).
        ids[error] = enqueue_reply(
            session_factory, workspace_id, f"refusé {error}", destination={"type": "channel", "channel": f"C{n}"}
        )
        fake_slack.fail_next("chat.postMessage", status=200, error=error)
    report = delivery.drain()
    assert (report.sent, report.failed, report.retried) == (0, len(REFUSALS), 0)
    assert sorted(report.errors) == sorted(REFUSALS)
    for error, row_id in ids.items():
        stored = row(session_factory, row_id)
        assert (stored.status, stored.attempts) == ("failed", 1)
        assert stored.last_error in REFUSALS
    clock.advance(timedelta(days=1))
    assert delivery.drain().handled == 0
    assert len(fake_slack.calls("chat.postMessage")) == len(REFUSALS)


def test_a_real_channel_not_found_from_the_fake_fails_the_row(delivery, fake_slack, session_factory, workspace_id):
    row_id = enqueue_reply(session_factory, workspace_id, "nulle part", destination={"type": "channel", "channel": ""})
    assert delivery.drain().failed == 1
    assert row(session_factory, row_id).last_error == "channel_not_found"
    assert fake_slack.delivered("chat.postMessage")[0].response["error"] == "channel_not_found"


def test_an_unknown_destination_fails_without_calling_slack(delivery, fake_slack, session_factory, workspace_id):
    row_id = enqueue_reply(session_factory, workspace_id, "?", destination={"type": "carrier_pigeon"})
    assert delivery.drain().failed == 1
    assert row(session_factory, row_id).status == "failed"
    assert fake_slack.calls() == []


def test_an_expired_row_is_dropped_never_sent(delivery, fake_slack, session_factory, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "trop tard", expires_at=TEST_NOW + timedelta(minutes=1))
    clock.advance(timedelta(minutes=1, seconds=1))
    report = delivery.drain()
    assert (report.dropped, report.sent) == (1, 0)
    assert row(session_factory, row_id).status == "dropped"
    clock.advance(timedelta(hours=1))
    delivery.drain()
    assert fake_slack.calls() == []


def test_a_row_that_expires_while_waiting_for_a_retry_is_dropped(delivery, fake_slack, session_factory, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "urgent", expires_at=TEST_NOW + timedelta(seconds=30))
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=60)
    assert delivery.drain().retried == 1
    clock.advance(timedelta(seconds=60))
    assert delivery.drain().dropped == 1
    assert row(session_factory, row_id).status == "dropped"
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [429]


def test_a_dead_workers_claim_is_reaped_then_sent_once(session_factory, fake_slack, workspace_id, clock):
    """A worker claims rows and dies before sending (process killed): nothing is lost, nothing doubled."""
    ids = [enqueue_reply(session_factory, workspace_id, f"m{i}") for i in range(3)]
    with session_factory() as session, session.begin():
        assert len(outbox.claim_due(session, worker="killed", now=clock.now())) == 3
    restarted = make_delivery(session_factory, fake_slack, clock, worker_id="restarted")
    assert restarted.drain().handled == 0  # the lease still holds: no double send while it might be alive
    clock.advance(outbox.CLAIM_LEASE - timedelta(seconds=1))
    assert restarted.drain().handled == 0
    clock.advance(timedelta(seconds=2))
    assert restarted.drain().sent == 3
    assert sorted(texts(fake_slack)) == ["m0", "m1", "m2"]
    assert {row(session_factory, i).status for i in ids} == {"sent"}
    clock.advance(outbox.CLAIM_LEASE * 10)
    assert restarted.drain().handled == 0
    assert len(fake_slack.calls("chat.postMessage")) == 3


def test_network_errors_are_retried_and_then_sent_once(session_factory, fake_slack, workspace_id, clock):
    row_id = enqueue_reply(session_factory, workspace_id, "réseau")
    offline = OutboxDelivery(
        session_factory, WebClient(token=BOT_TOKEN, base_url="http://127.0.0.1:9/api/", timeout=2, retry_handlers=[]),
        clock, worker_id="offline",
    )
    report = offline.drain()
    assert report.retried == 1 and report.errors[0].startswith("network")
    assert row(session_factory, row_id).status == "pending"
    clock.advance(timedelta(minutes=1))
    assert make_delivery(session_factory, fake_slack, clock).drain().sent == 1
    assert texts(fake_slack) == ["réseau"]


# ----------------------------------------------------------------------------- other destinations


def test_response_url_destination(delivery, fake_slack, session_factory, workspace_id):
    url = fake_slack.response_url("x")
    row_id = enqueue_reply(session_factory, workspace_id, "réponse", destination={"type": "response_url", "url": url})
    assert delivery.drain().sent == 1
    payload = reply_payload("réponse")
    from bot.core import Reply

    assert fake_slack.responses("x") == [reply_message(Reply.from_dict(payload["reply"]))]
    assert fake_slack.calls("chat.postMessage") == []
    assert row(session_factory, row_id).status == "sent"


def test_response_url_5xx_and_429_are_retried_then_sent_once(delivery, fake_slack, session_factory, workspace_id, clock):
    url = fake_slack.response_url("x")
    row_id = enqueue_reply(session_factory, workspace_id, "tenace", destination={"type": "response_url", "url": url})
    fake_slack.fail_next("response_url", status=500)
    fake_slack.fail_next("response_url", status=429, retry_after=3)
    assert delivery.drain().retried == 1
    clock.advance(row(session_factory, row_id).next_attempt_at - clock.now())
    assert delivery.drain().retried == 1
    assert row(session_factory, row_id).next_attempt_at == clock.now() + timedelta(seconds=3)
    clock.advance(timedelta(seconds=3))
    assert delivery.drain().sent == 1
    assert [c.status for c in fake_slack.calls("response_url")] == [500, 429, 200]
    assert [r["text"] for r in fake_slack.responses("x")] == ["tenace"]


def test_a_dead_response_url_fails_the_row(delivery, fake_slack, session_factory, workspace_id, clock):
    url = fake_slack.response_url("x")
    row_id = enqueue_reply(session_factory, workspace_id, "expiré", destination={"type": "response_url", "url": url})
    fake_slack.fail_next("response_url", status=404, error="expired_url")
    assert delivery.drain().failed == 1
    stored = row(session_factory, row_id)
    assert stored.status == "failed" and stored.last_error.startswith("response_url 404")
    clock.advance(timedelta(hours=1))
    assert delivery.drain().handled == 0
    assert len(fake_slack.calls("response_url")) == 1


def test_ephemeral_and_dm_destinations(delivery, fake_slack, session_factory, workspace_id):
    enqueue_reply(session_factory, workspace_id, "psst", destination={"type": "ephemeral", "channel": "C1", "user": "U1"})
    enqueue_reply(session_factory, workspace_id, "privé", destination={"type": "dm", "user": "U7"})
    assert delivery.drain().sent == 2
    [ephemeral] = fake_slack.calls("chat.postEphemeral")
    assert (ephemeral.params["channel"], ephemeral.params["user"], ephemeral.params["text"]) == ("C1", "U1", "psst")
    [dm] = fake_slack.calls("chat.postMessage")
    assert (dm.params["channel"], dm.params["text"]) == ("U7", "privé")


def test_a_conversation_reply_queued_twice_is_delivered_once(session_factory, fake_slack, workspace_id, clock, delivery):
    """A retried slash command (same request_key) queues its reply once: one message reaches Slack."""
    conversation = Conversation(session_factory, clock)
    with session_factory() as session, session.begin():
        create_account(session, find_workspace(session, "T1").id, "Gamma", owner_id=None, now=TEST_NOW)
    url = fake_slack.response_url("cmd")
    request = Request(team_id="T1", user_id="U1", command="log", text="visite Gamma", request_key="trigger-1",
                      deliver_to={"type": "response_url", "url": url})
    first = conversation.handle(request)
    assert first.ok
    assert conversation.handle(request).to_dict() == first.to_dict()
    assert delivery.drain().sent == 1
    clock.advance(timedelta(minutes=5))
    assert delivery.drain().handled == 0
    [body] = fake_slack.responses("cmd")
    assert body == reply_message(first)
    assert "Gamma" in body["text"]


def test_two_workers_in_threads_send_each_row_once(session_factory, fake_slack, workspace_id, clock):
    import threading

    for i in range(60):  # 60 channels: pacing (3 at once per channel) is not what this test is about
        enqueue_reply(session_factory, workspace_id, f"t{i}", destination={"type": "channel", "channel": f"C{i}"})
    workers = [make_delivery(session_factory, fake_slack, clock, worker_id=f"w{i}") for i in range(3)]
    reports = {}
    threads = [threading.Thread(target=lambda w=w: reports.setdefault(w.worker_id, w.drain())) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in reports.values()) == 60
    sent = texts(fake_slack)
    assert sorted(sent) == sorted(f"t{i}" for i in range(60))
    assert len(sent) == len(set(sent)) == 60


def test_the_manifest_asks_for_what_delivery_needs():
    """chat:write.public: the team channel works without an invitation when public; the history scopes:
    a send whose answer was lost is looked for before it is sent again (issue 11 §3)."""
    from bot.manifest import build_manifest

    scopes = build_manifest(socket_mode=True)["oauth_config"]["scopes"]["bot"]
    assert {"chat:write", "chat:write.public", "im:write", "channels:history", "groups:history", "im:history"} <= set(scopes)
    assert len(scopes) == len(set(scopes))
