"""A scheduled message too long for Slack (a digest of 1,000 reps) says so, and its whole text
follows once as a file in its reader's DM — queued in the same transaction as the message's
"sent", so a retry or a second worker sends neither twice."""

from __future__ import annotations


from slack_sdk.models.blocks import Block

from bot.core import Reply, Text
from bot.services import outbox
from tests.support.fixtures import TEST_NOW
from tests.jobs.conftest import make_delivery


def long_reply(lines: int) -> dict:
    reply = Reply(
        locale="en",
        lines=[Text("plain", {"text": "*Weekly digest*"})]
        + [Text("plain", {"text": f"• *rep {n:04d}*: 12 actions · 3/4 visits · 10,000 €"}, group="reps") for n in range(lines)],
    )
    return reply.to_dict()


def queue(session_factory, workspace_id: int, key: str, lines: int, destination: dict) -> None:
    with session_factory() as session, session.begin():
        outbox.enqueue(
            session, workspace_id=workspace_id, dedupe_key=key, kind="reply",
            payload={"destination": destination, "reply": long_reply(lines)}, now=TEST_NOW,
        )


def test_a_long_scheduled_dm_says_so_and_its_full_text_follows_once(session_factory, workspace_id, fake_slack, clock):
    queue(session_factory, workspace_id, "digest:7:2026-11-16", 1000, {"type": "dm", "user": "UBOSS"})
    delivery = make_delivery(session_factory, fake_slack, clock)
    first = delivery.drain()
    assert (first.sent, first.failed) == (2, 0)  # the message, then the file it queued
    [post] = fake_slack.delivered("chat.postMessage")
    blocks = post.params["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        Block.parse(block).validate_json()
    shown = "\n".join(b["text"]["text"] for b in blocks if b.get("text"))
    assert "more lines" in shown and "text file in your direct messages" in shown
    [upload] = fake_slack.uploads(completed_only=True)
    assert upload.channel_id == "DUBOSS" and upload.filename == "carnet-digest-7-2026-11-16.txt"
    text = upload.content.decode("utf-8")
    assert all(f"rep {n:04d}" in text for n in range(1000))

    assert delivery.drain().handled == 0  # nothing twice
    assert len(fake_slack.delivered("chat.postMessage")) == 1 and len(fake_slack.uploads()) == 1


def test_a_message_that_fits_brings_no_file(session_factory, workspace_id, fake_slack, clock):
    queue(session_factory, workspace_id, "digest:8:2026-11-16", 20, {"type": "dm", "user": "UBOSS"})
    delivery = make_delivery(session_factory, fake_slack, clock)
    assert delivery.drain().sent == 1
    assert fake_slack.uploads() == []
    [post] = fake_slack.delivered("chat.postMessage")
    assert "text file" not in str(post.params["blocks"])
