"""Outbox kind "file": a PNG uploaded through files.upload v2 to a channel or a user's DM, exactly once."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.render.charts import digest_chart
from bot.services import outbox
from storage.models import OutboxMessage
from tests.support.fixtures import BOT_TOKEN, TEST_NOW
from tests.jobs.conftest import row

UPLOAD_METHODS = ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")


@pytest.fixture(scope="module")
def png() -> bytes:
    return digest_chart(
        [("Élodie", 0.85), ("François", 1.1), ("Zoë", None)],
        [("Proposition", 80000, 40000), ("Négociation", 30000, 21000)],
        titles=("Atteinte des objectifs", "Pipeline par étape"),
        locale="fr",
        currency="EUR",
    )


def file_payload(content: bytes, channel: str = "U42", **overrides: Any) -> dict[str, Any]:
    payload = {
        "channel": channel,
        "filename": "digest.png",
        "title": "Digest du 23 nov. 2026",
        "initial_comment": "Votre digest de la semaine",
        "content_b64": base64.b64encode(content).decode("ascii"),
    }
    payload.update(overrides)
    return payload


def enqueue_file(session_factory, workspace_id: int, payload: dict[str, Any], key: str = "digest:M1:2026-W48") -> int:
    with session_factory() as session, session.begin():
        assert outbox.enqueue(
            session, workspace_id=workspace_id, dedupe_key=key, kind="file", payload=payload, now=TEST_NOW
        )
        return session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.workspace_id == workspace_id, OutboxMessage.dedupe_key == key)
        )


def counts(report) -> tuple[int, int, int, int]:
    return report.sent, report.retried, report.failed, report.dropped


def test_a_file_row_to_a_user_is_uploaded_once_to_their_dm(delivery, fake_slack, session_factory, workspace_id, clock, png):
    row_id = enqueue_file(session_factory, workspace_id, file_payload(png, "U42"))
    assert counts(delivery.drain()) == (1, 0, 0, 0)

    [opened] = fake_slack.calls("conversations.open")
    assert opened.params["users"] == "U42" and opened.token == BOT_TOKEN
    [upload] = fake_slack.uploads()
    assert upload.completed and upload.is_png and upload.content == png
    assert upload.channel_id == "DU42"  # the DM channel conversations.open returned
    assert (upload.filename, upload.title, upload.initial_comment) == (
        "digest.png", "Digest du 23 nov. 2026", "Votre digest de la semaine",
    )
    assert upload.length == len(png)
    assert [m for m in fake_slack.methods() if m in UPLOAD_METHODS] == list(UPLOAD_METHODS)
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("sent", 1, None)

    clock.advance(timedelta(days=1))
    assert delivery.drain().handled == 0
    assert len(fake_slack.uploads()) == 1


def test_the_same_digest_queued_twice_is_uploaded_once(delivery, fake_slack, session_factory, workspace_id, png):
    enqueue_file(session_factory, workspace_id, file_payload(png))
    with session_factory() as session, session.begin():
        again = outbox.enqueue(session, workspace_id=workspace_id, dedupe_key="digest:M1:2026-W48", kind="file",
                               payload=file_payload(png), now=TEST_NOW)
    assert again is False
    assert delivery.drain().sent == 1
    assert len(fake_slack.uploads(completed_only=True)) == 1


def test_a_channel_id_is_used_as_is(delivery, fake_slack, session_factory, workspace_id, png):
    enqueue_file(session_factory, workspace_id, file_payload(png, "C0TEAM"))
    assert delivery.drain().sent == 1
    assert fake_slack.calls("conversations.open") == []
    [upload] = fake_slack.uploads(completed_only=True)
    assert upload.channel_id == "C0TEAM" and upload.content == png


def test_429_on_get_upload_url_is_retried_after_retry_after_then_uploaded_once(
    delivery, fake_slack, session_factory, workspace_id, clock, png
):
    row_id = enqueue_file(session_factory, workspace_id, file_payload(png))
    fake_slack.fail_next("files.getUploadURLExternal", status=429, retry_after=3)
    assert counts(delivery.drain()) == (0, 1, 0, 0)
    stored = row(session_factory, row_id)
    assert (stored.status, stored.last_error) == ("pending", "ratelimited")
    assert stored.next_attempt_at == TEST_NOW + timedelta(seconds=3)
    assert fake_slack.uploads() == []

    clock.advance(timedelta(seconds=2))
    assert delivery.drain().handled == 0  # not before Retry-After
    clock.advance(timedelta(seconds=1))
    assert counts(delivery.drain()) == (1, 0, 0, 0)
    [upload] = fake_slack.uploads()
    assert upload.completed and upload.is_png and upload.content == png and upload.channel_id == "DU42"
    assert [c.status for c in fake_slack.calls("files.getUploadURLExternal")] == [429, 200]
    assert row(session_factory, row_id).status == "sent"


def test_ok_false_on_complete_fails_the_row_without_retrying(delivery, fake_slack, session_factory, workspace_id, clock, png):
    row_id = enqueue_file(session_factory, workspace_id, file_payload(png, "C0GONE"))
    fake_slack.fail_next("files.completeUploadExternal", status=200, error="channel_not_found")
    report = delivery.drain()
    assert counts(report) == (0, 0, 1, 0) and report.errors == ["channel_not_found"]
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("failed", 1, "channel_not_found")
    assert fake_slack.uploads(completed_only=True) == []

    clock.advance(timedelta(hours=1))
    assert delivery.drain().handled == 0
    assert len(fake_slack.calls("files.getUploadURLExternal")) == 1


def test_a_5xx_mid_upload_redoes_the_whole_upload_and_shares_one_file(
    delivery, fake_slack, session_factory, workspace_id, clock, png
):
    row_id = enqueue_file(session_factory, workspace_id, file_payload(png))
    fake_slack.fail_next("upload", status=503)  # the POST of the bytes to the upload URL
    fake_slack.fail_next("files.completeUploadExternal", status=500)
    assert counts(delivery.drain()) == (0, 1, 0, 0)  # upload URL 503
    clock.advance(row(session_factory, row_id).next_attempt_at - clock.now())
    assert counts(delivery.drain()) == (0, 1, 0, 0)  # completeUploadExternal 500
    clock.advance(row(session_factory, row_id).next_attempt_at - clock.now())
    assert counts(delivery.drain()) == (1, 0, 0, 0)

    assert len(fake_slack.calls("files.getUploadURLExternal")) == 3  # each try starts over
    completed = fake_slack.uploads(completed_only=True)
    assert len(completed) == 1 and completed[0].content == png and completed[0].is_png
    assert len(fake_slack.uploads()) == 3  # two abandoned, never shared
    stored = row(session_factory, row_id)
    assert (stored.status, stored.attempts) == ("sent", 3)


def test_429_on_opening_the_dm_is_retried(delivery, fake_slack, session_factory, workspace_id, clock, png):
    row_id = enqueue_file(session_factory, workspace_id, file_payload(png))
    fake_slack.fail_next("conversations.open", status=429, retry_after=2)
    assert counts(delivery.drain()) == (0, 1, 0, 0)
    assert fake_slack.calls("files.getUploadURLExternal") == []
    clock.advance(timedelta(seconds=2))
    assert delivery.drain().sent == 1
    assert [u.channel_id for u in fake_slack.uploads(completed_only=True)] == ["DU42"]
    assert row(session_factory, row_id).status == "sent"


CHART_DATA = {
    "attainment": [["Élodie", 0.85], ["Zoë", None]],
    "stages": [["Proposition", 80000.0, 40000.0]],
    "titles": ["Atteinte des objectifs", "Pipeline par étape"],
    "locale": "fr",
    "currency": "EUR",
}


def test_a_digest_chart_is_drawn_by_the_worker_and_uploaded_once(delivery, fake_slack, session_factory, workspace_id):
    payload = {key: value for key, value in file_payload(b"", "U42").items() if key != "content_b64"}
    row_id = enqueue_file(session_factory, workspace_id, {**payload, "digest_chart": CHART_DATA})
    assert counts(delivery.drain()) == (1, 0, 0, 0)

    [upload] = fake_slack.uploads(completed_only=True)
    assert upload.is_png and upload.channel_id == "DU42" and upload.filename == "digest.png"
    assert row(session_factory, row_id).status == "sent"
    assert delivery.drain().handled == 0 and len(fake_slack.uploads()) == 1


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"digest_chart": {"attainment": []}}, "file payload: not a digest chart (KeyError)"),
        ({"digest_chart": {**CHART_DATA, "stages": [["Proposition", "beaucoup", 1]]}}, "file payload: not a digest chart (ValueError)"),
        ({"content_b64": "not base64 !"}, "file payload: content_b64 is not base64"),
        ({"content_b64": ""}, "file payload: empty content"),
        ({"channel": ""}, "file payload: no channel"),
    ],
)
def test_a_broken_payload_fails_without_calling_slack(
    delivery, fake_slack, session_factory, workspace_id, png, overrides, error
):
    row_id = enqueue_file(session_factory, workspace_id, file_payload(png, **overrides))
    report = delivery.drain()
    assert counts(report) == (0, 0, 1, 0)
    assert (row(session_factory, row_id).status, row(session_factory, row_id).last_error) == ("failed", error)
    assert fake_slack.calls() == []
