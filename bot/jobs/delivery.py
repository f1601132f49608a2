"""The delivery worker: drains the outbox through the Slack Web API, exactly once per row.

Rows are claimed in one short transaction, sent with no transaction open, then marked
in another. Slack's 429 is honoured through ``Retry-After``; 5xx and network errors back
off exponentially; a refusal (``ok: false``, a dead response_url) ends the row as failed.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
import urllib.error
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core import Reply
from bot.render.blocks import fallback_text, home_view, reply_blocks, reply_message
from bot.services import housekeeping, outbox

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
PRUNE_EVERY_SECONDS = 600


@dataclass
class SendOutcome:
    status: str  # sent | retry | failed | dropped
    retry_after: float | None = None
    error: str | None = None


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.dropped


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


class OutboxDelivery:
    """Sends due outbox rows; safe to run in several threads or processes at once."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        client: WebClient,
        clock: Clock,
        *,
        worker_id: str | None = None,
        http_timeout: int = 10,
    ) -> None:
        self.session_factory = session_factory
        self.client = client
        self.clock = clock
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self.http_timeout = http_timeout

    def deliver_due(self, *, limit: int = outbox.CLAIM_BATCH) -> DeliveryReport:
        """Claim and send up to ``limit`` due rows once; returns what happened."""
        report = DeliveryReport()
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            outbox.reap_expired_claims(session, now=now)
            claimed = outbox.claim_due(session, worker=self.worker_id, now=now, limit=limit)
        for message in claimed:
            if message.expires_at is not None and self.clock.now() > message.expires_at:
                outcome = SendOutcome("dropped", error="expired before it could be sent")
            else:
                outcome = self._send(message.kind, message.payload)
            self._record(message.id, message.attempts, outcome, report)
        return report

    def drain(self, *, max_rounds: int = 100) -> DeliveryReport:
        """Deliver until nothing is due now (rows waiting for a later retry stay queued)."""
        total = DeliveryReport()
        for _ in range(max_rounds):
            report = self.deliver_due()
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            total.dropped += report.dropped
            total.errors += report.errors
            if report.handled == 0 or report.sent + report.failed + report.dropped == 0:
                break
        return total

    def prune(self) -> None:
        """Forget old retry replies, expired choices and long-sent messages."""
        with self.session_factory() as session, session.begin():
            housekeeping.prune(session, now=self.clock.now())

    def _record(self, message_id: int, attempts: int, outcome: SendOutcome, report: DeliveryReport) -> None:
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            if outcome.status == "sent":
                outbox.mark_sent(session, message_id, worker=self.worker_id, now=now)
                report.sent += 1
            elif outcome.status == "retry":
                delay = outcome.retry_after
                if delay is None:
                    delay = min(2.0 ** attempts, MAX_BACKOFF.total_seconds())
                status = outbox.mark_retry(
                    session, message_id, worker=self.worker_id, retry_at=now + timedelta(seconds=delay),
                    error=outcome.error or "retry",
                )
                if status == "failed":
                    report.failed += 1
                else:
                    report.retried += 1
                report.errors.append(outcome.error or "retry")
            else:
                outbox.mark_final(session, message_id, worker=self.worker_id, status=outcome.status, error=outcome.error)
                if outcome.status == "dropped":
                    report.dropped += 1
                else:
                    report.failed += 1
                    report.errors.append(outcome.error or "failed")

    # ------------------------------------------------------------------ sending

    def _send(self, kind: str, payload: dict[str, Any]) -> SendOutcome:
        try:
            if kind == "reply":
                return self._send_reply(payload["destination"], Reply.from_dict(payload["reply"]))
            if kind == "file":
                return self._send_file(payload)
            return SendOutcome("failed", error=f"unknown outbox kind {kind!r}")
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                return SendOutcome("retry", _retry_after(exc.response.headers) or 1.0, "ratelimited")
            if status >= 500:
                return SendOutcome("retry", None, f"slack {status}")
            return SendOutcome("failed", error=str(exc.response.get("error") or exc))
        except (OSError, TimeoutError) as exc:  # connection refused, reset, DNS, timeout
            return SendOutcome("retry", None, f"network: {exc}")

    def _send_reply(self, destination: dict[str, Any], reply: Reply) -> SendOutcome:
        kind = destination.get("type")
        if kind == "response_url":
            response = WebhookClient(destination["url"], timeout=self.http_timeout).send_dict(reply_message(reply))
            if response.status_code == 200:
                return SendOutcome("sent")
            if response.status_code == 429:
                return SendOutcome("retry", _retry_after(response.headers) or 1.0, "ratelimited")
            if response.status_code >= 500:
                return SendOutcome("retry", None, f"response_url {response.status_code}")
            return SendOutcome("failed", error=f"response_url {response.status_code}: {response.body[:200]}")
        text, blocks = fallback_text(reply), reply_blocks(reply)
        if kind == "ephemeral":
            self.client.chat_postEphemeral(channel=destination["channel"], user=destination["user"], text=text, blocks=blocks)
        elif kind == "dm":
            self.client.chat_postMessage(channel=destination["user"], text=text, blocks=blocks)
        elif kind == "home":
            self.client.views_publish(user_id=destination["user"], view=home_view(reply))
        elif kind == "channel":
            self.client.chat_postMessage(channel=destination["channel"], text=text, blocks=blocks)
        else:
            return SendOutcome("failed", error=f"unknown destination {kind!r}")
        return SendOutcome("sent")

    def _send_file(self, payload: dict[str, Any]) -> SendOutcome:
        """Upload one file (files.upload v2) to a channel, or to a user's DM when ``channel`` is a user id.

        Payload: ``channel`` (C…/G…/D… id, or U…/W… user id), ``content_b64`` (base64 bytes) or
        ``digest_chart`` (the data of a digest chart, drawn here), ``filename``, ``title``,
        ``initial_comment``. ``files_upload_v2`` makes three requests
        (files.getUploadURLExternal, POST to the upload URL, files.completeUploadExternal); a
        failure at any step makes the whole row retry (or fail) and the retry re-does all three.
        Nothing is shared before the last step, and an upload never completed is discarded by
        Slack, so a retried row still shows one file. As for chat.postMessage, the one window
        left is a completeUploadExternal that succeeded but whose answer was lost (timeout).
        """
        channel = payload.get("channel")
        if not isinstance(channel, str) or not channel:
            return SendOutcome("failed", error="file payload: no channel")
        if "digest_chart" in payload:  # drawn here, after the scheduler's tick (a chart is slow)
            from bot.reports.charts import digest_chart_from_data  # matplotlib: loaded on first chart

            try:
                content = digest_chart_from_data(payload["digest_chart"])
            except (KeyError, TypeError, ValueError) as exc:
                return SendOutcome("failed", error=f"file payload: not a digest chart ({exc.__class__.__name__})")
        else:
            try:
                content = base64.b64decode(payload.get("content_b64") or "", validate=True)
            except (binascii.Error, ValueError, TypeError):
                return SendOutcome("failed", error="file payload: content_b64 is not base64")
        if not content:
            return SendOutcome("failed", error="file payload: empty content")
        filename = str(payload.get("filename") or "file.png")
        if channel[0] in "UW":  # a user id: the app's DM with them
            opened = self.client.conversations_open(users=channel)
            channel = opened["channel"]["id"]
        try:
            self.client.files_upload_v2(
                channel=channel,
                content=content,
                filename=filename,
                title=str(payload.get("title") or filename),
                initial_comment=payload.get("initial_comment") or None,
            )
        except urllib.error.HTTPError as exc:  # the POST to the upload URL (plain urllib, not SlackApiError)
            if exc.code == 429:
                return SendOutcome("retry", _retry_after(exc.headers) or 1.0, "ratelimited")
            if exc.code >= 500:
                return SendOutcome("retry", None, f"upload {exc.code}")
            return SendOutcome("failed", error=f"upload {exc.code}")
        except SlackRequestError as exc:  # the upload URL answered something other than 200
            return SendOutcome("failed", error=str(exc)[:500])
        return SendOutcome("sent")


class DeliveryWorker:
    """A background thread that drains the outbox every ``interval`` seconds, or at once when woken."""

    def __init__(self, delivery: OutboxDelivery, *, interval: float = 1.0) -> None:
        self.delivery = delivery
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="carnet-delivery", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        last_prune = 0.0
        while not self._stop.is_set():
            try:
                self.delivery.drain()
                if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                    last_prune = time.monotonic()
                    self.delivery.prune()
            except Exception:  # a broken round must not kill the worker
                logger.exception("outbox delivery round failed")
            self._wake.wait(self.interval)
            self._wake.clear()
