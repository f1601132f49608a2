"""Typed audiences and a reply's attachments, as the outbox stores them: the destination JSON rows
have always held, attachments queued as file rows of their own and turned into bytes only by the
delivery worker (``bot/render/files.py``)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.core import (
    Attachment,
    Audience,
    Reply,
    Request,
    Text,
    ToChannel,
    ToHome,
    ToMember,
    ToMemberInChannel,
    ToReplyUrl,
    UnknownAudience,
)
from bot.render import files
from bot.services import outbox
from storage.models import OutboxMessage
from tests.conftest import TEST_NOW
from tests.jobs.conftest import row

STORED = [
    (ToMember("U1"), {"type": "dm", "user": "U1"}),
    (ToChannel("C1"), {"type": "channel", "channel": "C1"}),
    (ToChannel("C1", "U7"), {"type": "channel", "channel": "C1", "user": "U7"}),
    (ToReplyUrl("https://hooks.slack.com/commands/1"), {"type": "response_url", "url": "https://hooks.slack.com/commands/1"}),
    (ToMemberInChannel("C1", "U1"), {"type": "ephemeral", "channel": "C1", "user": "U1"}),
    (ToHome("U1"), {"type": "home", "user": "U1"}),
]
CSV = Attachment("csv", "carnet-export.csv", "Export", "compte;montant\nGamma;12 000 €\n")


def reply_with(attachment: Attachment) -> Reply:
    return Reply(locale="fr", lines=[Text("plain", {"text": "bonjour"})], attachments=[attachment])


def count_rows(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count(OutboxMessage.id))) or 0


@pytest.mark.parametrize("audience, stored", STORED)
def test_an_audience_is_stored_as_the_json_outbox_rows_have_always_held(audience, stored):
    assert audience.to_dict() == stored
    assert json.dumps(audience.to_dict()) == json.dumps(stored)  # the same keys, in the same order
    assert Audience.from_dict(stored) == audience


@pytest.mark.parametrize(
    "stored, error",
    [
        ({"type": "pigeon", "user": "U1"}, UnknownAudience),
        ({"user": "U1"}, UnknownAudience),
        ("U1", TypeError),
        ({"type": "dm"}, KeyError),
        ({"type": "ephemeral", "channel": "C1"}, KeyError),
    ],
)
def test_a_destination_that_names_no_known_audience_is_refused(stored, error):
    with pytest.raises(error):
        Audience.from_dict(stored)


def test_a_request_given_a_stored_destination_reads_it_as_an_audience():
    request = Request(team_id="T1", user_id="U1", command="log", deliver_to={"type": "response_url", "url": "https://x"})
    assert request.deliver_to == ToReplyUrl("https://x")
    with pytest.raises(UnknownAudience):
        Request(team_id="T1", user_id="U1", command="log", deliver_to={"type": "pigeon"})


def test_a_replys_attachments_survive_its_json_but_travel_as_file_rows_of_their_own():
    reply = reply_with(CSV)
    assert Reply.from_dict(json.loads(json.dumps(reply.to_dict()))) == reply  # a retried request's stored reply
    payload = outbox.reply_payload(ToMember("U1"), reply)
    assert payload == {"destination": {"type": "dm", "user": "U1"}, "reply": {**reply.to_dict(), "attachments": []}}
    assert Reply.from_dict({k: v for k, v in reply.to_dict().items() if k != "attachments"}).attachments == []  # rows of before


def test_a_file_goes_to_a_member_or_a_channel_and_nowhere_else():
    assert outbox.file_payload(ToMember("U1"), CSV)["channel"] == "U1"
    assert outbox.file_payload(ToChannel("C1"), CSV)["channel"] == "C1"
    for nowhere in (ToReplyUrl("https://x"), ToMemberInChannel("C1", "U1"), ToHome("U1")):
        with pytest.raises(ValueError, match="a file goes to a member or a channel"):
            outbox.file_payload(nowhere, CSV)


def test_an_attachment_of_an_unknown_kind_is_refused_and_nothing_is_queued(session_factory, workspace_id):
    with pytest.raises(ValueError, match="unknown attachment kind 'video'"):
        with session_factory() as session, session.begin():
            message = outbox.file_message(workspace_id, "video:1", ToMember("U1"), Attachment("video", "a.mp4", "A", b""))
            outbox.enqueue_many(session, [message], now=TEST_NOW)
    assert count_rows(session_factory) == 0


def test_a_chart_is_kept_as_its_data_and_drawn_only_when_its_bytes_are_asked_for():
    data = {"attainment": [["Zoë", None]], "stages": [], "titles": ["A", "P"], "locale": "fr", "currency": "EUR"}
    stored = files.stored(Attachment("chart", "c.png", "Chart", data))
    assert stored == {"digest_chart": data}  # what chart rows queued before attachments existed hold
    assert files.content(stored).startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(files.FileError, match="not a digest chart"):
        files.content({"digest_chart": {"attainment": []}})


def test_a_csv_attachment_for_a_member_is_uploaded_to_their_dm_as_is(delivery, fake_slack, session_factory, workspace_id):
    with session_factory() as session, session.begin():
        assert outbox.enqueue_many(session, [outbox.file_message(workspace_id, "export:1", ToMember("U42"), CSV)], now=TEST_NOW) == 1
        row_id = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == "export:1"))
    assert delivery.drain().sent == 1
    [upload] = fake_slack.uploads(completed_only=True)
    assert (upload.channel_id, upload.filename, upload.title) == ("DU42", "carnet-export.csv", "Export")
    assert upload.content == "compte;montant\nGamma;12 000 €\n".encode("utf-8")
    assert row(session_factory, row_id).status == "sent"


def test_a_reply_row_to_a_typed_audience_reaches_the_same_conversation(delivery, fake_slack, session_factory, workspace_id):
    with session_factory() as session, session.begin():
        messages = [outbox.reply_message(workspace_id, f"hello:{n}", audience, reply_with(CSV))
                    for n, audience in enumerate((ToMember("U5"), ToChannel("CTEAM")))]
        assert outbox.enqueue_many(session, messages, now=TEST_NOW) == 2
    assert delivery.drain().sent == 2
    assert sorted(c.params["channel"] for c in fake_slack.delivered("chat.postMessage")) == ["CTEAM", "U5"]
    assert fake_slack.uploads() == []  # the reply row carries no file: its attachments are queued apart
