"""The delivery worker: drains the outbox through the Slack Web API, exactly once per row.

Rows are claimed in one short transaction, sent with no transaction open, then marked in
another; a heartbeat extends the claim of the rows still waiting in the batch. How each
answer is handled:

* 429 is a wait, not a failure: the row (and, for a channel post, every pending row of that
  channel, whichever worker holds it next) waits ``Retry-After``; it never counts toward
  giving up. ``chat.postMessage`` is paced per channel as Slack documents (about one message
  a second, short bursts tolerated): a row over the pace goes back untried until its slot.
* 5xx and network errors back off exponentially and count as failures (``MAX_ATTEMPTS``).
* A try whose outcome is unknown (timeout or connection lost after the request was sent, or
  a worker that died holding the row) is checked before it is sent again: channel posts
  carry their key in message ``metadata`` and the channel's recent history is searched.
* A refusal (``ok: false``, a dead response_url) or a payload that cannot be read ends the
  row as failed at once. ``channel_not_found`` / ``not_in_channel`` on a member's own
  confirmation falls back to a DM; on the team channel the admin is told once.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
import urllib.error
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.webhook import WebhookClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core import Audience, Reply, Text, ToChannel, ToHome, ToMember, ToMemberInChannel, ToReplyUrl, UnknownAudience
from bot.render import files
from bot.render.blocks import fallback_text, fits, full_copy_file, home_view, reply_blocks, reply_message
from bot.services import housekeeping, installs, outbox
from storage.models import Member, OutboxMessage

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)
PRUNE_EVERY_SECONDS = 600
METADATA_EVENT = "carnet_outbox"
HISTORY_MARGIN = timedelta(seconds=60)  # clocks differ: search a little before the first try
HISTORY_PAGES = 5  # of 200 messages: a manager's DM on a big Monday holds a few hundred
CHANNEL_PROBLEMS = ("channel_not_found", "not_in_channel", "is_archived")
MEMBER_FALLBACK_ERRORS = ("channel_not_found", "not_in_channel", "user_not_in_channel", "is_archived")


@dataclass
class SendOutcome:
    status: str  # sent | retry | failed | dropped | deferred
    retry_after: float | None = None
    error: str | None = None
    failure: bool = True  # a real error: counts toward MAX_ATTEMPTS (a 429 does not)
    unknown: bool = False  # the request may have reached Slack: look before sending again
    tried: bool = True  # an HTTP try of the message itself was made
    until: datetime | None = None  # deferred: not before then
    hold_channel: bool = False  # a 429 on a channel post: the whole channel waits
    tell_admin: tuple[str, str] | None = None  # (channel, error): the team channel is unusable
    full_copy: dict[str, Any] | None = None  # sent, and too long to show whole: this file follows


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    deferred: int = 0  # given back untried until their channel's next slot
    rate_limited: int = 0  # 429s answered (each also counted in ``retried``)
    errors: list[str] = field(default_factory=list)
    failed_ids: list[int] = field(default_factory=list)  # rows this run failed for good

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.dropped + self.deferred

    def add(self, other: "DeliveryReport") -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.dropped += other.dropped
        self.deferred += other.deferred
        self.rate_limited += other.rate_limited
        self.errors += other.errors
        self.failed_ids += other.failed_ids


class ChannelPacing:
    """Per-channel pace of one process (the generic cell rate algorithm): ``per_second`` messages a
    second with bursts of ``burst``; a slot is reserved when asked, so rows given back wait once.

    A slot in the future gets ``margin`` more: slots are counted from when a post was decided, Slack
    counts from when it arrived, and the first post's own latency would otherwise make the next one
    early by that much (measured: 22 × 429 for 500 messages over 50 channels without it)."""

    def __init__(self, per_second: float = 1.0, burst: int = 3, margin: float = 0.25) -> None:
        if per_second <= 0 or burst < 1 or margin < 0:
            raise ValueError("per_second must be > 0, burst >= 1 and margin >= 0")
        self.interval = timedelta(seconds=1.0 / per_second)
        self.tolerance = self.interval * (burst - 1)
        self.margin = timedelta(seconds=margin)
        self._tat: dict[str, datetime] = {}  # theoretical arrival time of the next message, per channel
        self._lock = threading.Lock()

    def reserve(self, channel: str, now: datetime) -> datetime:
        """The earliest instant a message to ``channel`` may go, and that slot is taken."""
        with self._lock:
            tat = self._tat.get(channel, now)
            slot = max(now, tat - self.tolerance)
            self._tat[channel] = max(tat, slot) + self.interval
            if len(self._tat) > 10_000:  # forget channels that are idle again
                self._tat = {k: v for k, v in self._tat.items() if v > now}
            return slot if slot <= now else slot + self.margin

    def hold(self, channel: str, until: datetime) -> None:
        """Slack answered 429: nothing before ``until``, then one at a time (no burst)."""
        with self._lock:
            self._tat[channel] = max(self._tat.get(channel, until), until + self.tolerance)


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


def _network_outcome(exc: BaseException, what: str) -> SendOutcome:
    """A network error: known not sent (refused, DNS) or unknown (timeout, reset after sending)."""
    reason: Any = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
        return SendOutcome("retry", None, f"network: {reason}")
    return SendOutcome("retry", None, f"{what}: {reason or exc.__class__.__name__}", unknown=True)


def _delivery_client(client: WebClient) -> WebClient:
    """The same client without slack_sdk's retry handlers: its connection-error retry re-sends a
    request that may have reached Slack (a duplicate); the outbox retries, after looking."""
    return WebClient(
        token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
        proxy=client.proxy, headers=dict(client.headers or {}), retry_handlers=[],
    )


@dataclass
class _Prepared:
    """A row turned into what Slack is sent (built before any call: a bad payload fails here)."""

    kind: str
    destination: Audience | None = None  # a reply's (a file names its channel in ``file``)
    reply: Reply | None = None
    file: dict[str, Any] = field(default_factory=dict)
    full_copy: dict[str, Any] | None = None  # the whole reply as a file, when a message cannot show it


class _Heartbeat:
    """Extends the lease of the batch's rows not handled yet, every ``interval`` seconds."""

    def __init__(self, delivery: "OutboxDelivery", ids: list[int]) -> None:
        self.delivery = delivery
        self.held = set(ids)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="carnet-outbox-heartbeat", daemon=True)

    def __enter__(self) -> "_Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)

    def done(self, message_id: int) -> None:
        with self._lock:
            self.held.discard(message_id)

    def _run(self) -> None:
        d = self.delivery
        while not self._stop.wait(d.heartbeat_interval):
            with self._lock:
                ids = sorted(self.held)
            if not ids:
                continue
            try:
                with d.session_factory() as session, session.begin():
                    outbox.extend_claims(session, ids, worker=d.worker_id, until=d.clock.now() + d.lease)
            except Exception:  # the next beat tries again; the lease leaves time for several
                logger.exception("outbox heartbeat failed")


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
        pacing: ChannelPacing | None = None,
        paced: bool = True,
        lease: timedelta = outbox.CLAIM_LEASE,
        heartbeat_interval: float | None = None,
        tokens: Callable[[int], str | None] | None = None,
    ) -> None:
        self.session_factory = session_factory
        self._default_client = _delivery_client(client)
        # Each workspace's bot token (bot/slack_install.py): a row is sent with its workspace's;
        # a workspace without one (uninstalled) gets nothing more. None: ``client``'s own token.
        self.tokens = tokens
        self._clients: dict[str, WebClient] = {}
        self._current = threading.local()
        self.clock = clock
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self.http_timeout = http_timeout
        self.pacing = (pacing or ChannelPacing()) if paced else None
        self.lease = lease
        self.heartbeat_interval = heartbeat_interval or min(outbox.HEARTBEAT, lease / 4).total_seconds()
        self._reserved: dict[int, tuple[str, datetime]] = {}  # row id -> (channel, the slot it was given back until)
        self._method_hold: dict[str, datetime] = {}  # unpaced method -> no call before (its 429)
        self._channel_hold: dict[str, datetime] = {}  # channel -> no post before (its 429), paced or not
        self._history: dict[str, set[str]] = {}  # channel -> keys found, for one batch

    @property
    def client(self) -> WebClient:
        """The client of the row being sent (its workspace's token), else the default one."""
        return getattr(self._current, "client", None) or self._default_client

    def _client_for(self, workspace_id: int, known: dict[int, WebClient | None]) -> WebClient | None:
        """The row's workspace's client (looked up once per batch); None: no token, send nothing."""
        if self.tokens is None:
            return self._default_client
        if workspace_id not in known:
            token = self.tokens(workspace_id)
            if token is None:
                known[workspace_id] = None
            else:
                if token not in self._clients:
                    base = self._default_client
                    self._clients[token] = WebClient(
                        token=token, base_url=base.base_url, timeout=base.timeout, ssl=base.ssl, proxy=base.proxy,
                        headers=dict(base.headers or {}), retry_handlers=[],
                    )
                known[workspace_id] = self._clients[token]
        return known[workspace_id]

    def deliver_due(self, *, limit: int = outbox.CLAIM_BATCH) -> DeliveryReport:
        """Claim and send up to ``limit`` due rows once; returns what happened."""
        report = DeliveryReport()
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            outbox.reap_expired_claims(session, now=now)
            claimed = outbox.claim_due(session, worker=self.worker_id, now=now, limit=limit, lease=self.lease)
        if not claimed:
            return report
        self._history = {}
        clients: dict[int, WebClient | None] = {}
        with _Heartbeat(self, [m.id for m in claimed]) as heartbeat:
            for message in claimed:
                try:
                    self._current.client = self._client_for(message.workspace_id, clients)
                    if self._current.client is None:
                        outcome = SendOutcome("dropped", error=installs.UNINSTALLED, tried=False)
                    else:
                        outcome = self._deliver_one(message)
                except Exception as exc:  # a bug of ours: the row must not stay claimed, nor retry forever
                    logger.exception("outbox row %s: unexpected error", message.id)
                    outcome = SendOutcome("retry", None, f"internal error: {exc!r}"[:500], tried=False)
                finally:
                    self._current.client = None
                self._record(message, outcome, report)
                heartbeat.done(message.id)
        return report

    def drain(self, *, max_rounds: int = 100) -> DeliveryReport:
        """Deliver until nothing is due now (rows waiting for a later retry or slot stay queued)."""
        total = DeliveryReport()
        for _ in range(max_rounds):
            report = self.deliver_due()
            total.add(report)
            if report.handled == 0 or report.sent + report.failed + report.dropped + report.deferred == 0:
                break
        return total

    def next_due(self) -> datetime | None:
        """When the next pending row is due (None when nothing is pending)."""
        with self.session_factory() as session:
            return session.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending"))

    def prune(self) -> None:
        """Forget old retry replies, expired choices and long-sent messages."""
        with self.session_factory() as session, session.begin():
            housekeeping.prune(session, now=self.clock.now())

    # ------------------------------------------------------------------ one row

    def _deliver_one(self, message: outbox.ClaimedMessage) -> SendOutcome:
        now = self.clock.now()
        if message.expires_at is not None and now > message.expires_at:
            return SendOutcome("dropped", error="expired before it could be sent", tried=False)
        try:
            prepared = self._prepare(message.kind, message.payload)
        except Exception as exc:  # a poison payload: it will not read better next time
            return SendOutcome("failed", error=f"bad payload: {exc.__class__.__name__}: {exc}"[:500], tried=False)
        if isinstance(prepared, SendOutcome):
            return prepared
        if prepared.full_copy is not None:  # named after the row: carnet-digest-12-2026-11-16.txt
            prepared.full_copy["filename"] = f"carnet-{message.dedupe_key.replace(':', '-')[:80]}.txt"
        waited = self._pace(message, prepared, now)
        if waited is not None:
            return waited
        if message.outcome_unknown:
            try:
                if self._landed(message, prepared):
                    return SendOutcome("sent", tried=False, full_copy=prepared.full_copy)
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    return SendOutcome("retry", _retry_after(exc.response.headers) or 1.0, "ratelimited",
                                       failure=False, tried=False)
                if exc.response.status_code >= 500:
                    return SendOutcome("retry", None, f"history: slack {exc.response.status_code}", tried=False)
                # Cannot look (a missing scope, a channel gone): send; a rare duplicate beats a lost message.
                logger.warning("outbox row %s: cannot check the history (%s); sending", message.id,
                               exc.response.get("error"))
            except (OSError, http.client.HTTPException) as exc:
                return SendOutcome("retry", None, f"history: network: {exc}", tried=False)
        outcome = self._send(message, prepared)
        if outcome.status == "sent" and prepared.full_copy is not None:
            outcome = replace(outcome, full_copy=prepared.full_copy)
        return outcome

    def _pace(self, message: outbox.ClaimedMessage, prepared: _Prepared, now: datetime) -> SendOutcome | None:
        """None to send now; else the row goes back untried until its slot."""
        if message.channel_key is None:
            method = self._method_of(prepared)
            until = self._method_hold.get(method) if method is not None else None
            if until is not None and until > now:
                return SendOutcome("deferred", until=until, tried=False, failure=False)
            return None
        channel = f"{message.workspace_id}:{message.channel_key}"
        held = self._channel_hold.get(channel)
        if held is not None and held > now:  # the rest of a batch after that channel's 429
            return SendOutcome("deferred", until=held, tried=False, failure=False)
        if self.pacing is None:
            return None
        reserved = self._reserved.pop(message.id, None)
        slot = reserved[1] if reserved is not None else None
        if slot is None or slot > now:
            slot = self.pacing.reserve(channel, now)
        if slot <= now:
            return None
        self._reserved[message.id] = (channel, slot)
        if len(self._reserved) > 10_000:  # rows another worker sent in the meantime
            self._reserved = {k: v for k, v in self._reserved.items() if v[1] > now - timedelta(minutes=10)}
        return SendOutcome("deferred", until=slot, tried=False, failure=False)

    @staticmethod
    def _method_of(prepared: _Prepared) -> str | None:
        """The Web API method of an unpaced row, whose 429 holds that method in this process; None for a
        response_url (each one is limited on its own)."""
        return {ToMemberInChannel: "chat.postEphemeral", ToHome: "views.publish"}.get(type(prepared.destination))

    def _record(self, message: outbox.ClaimedMessage, outcome: SendOutcome, report: DeliveryReport) -> None:
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            if outcome.status == "sent":
                outbox.mark_sent(session, message.id, worker=self.worker_id, now=now, tried=outcome.tried)
                report.sent += 1
                if outcome.full_copy is not None:  # in the same transaction: the file follows exactly once
                    outbox.enqueue(
                        session, workspace_id=message.workspace_id, dedupe_key=f"full-copy:{message.dedupe_key}"[:300],
                        kind="file", payload=outcome.full_copy, now=now, expires_at=message.expires_at,
                    )
            elif outcome.status == "deferred":
                outbox.defer(session, message.id, worker=self.worker_id, until=outcome.until or now)
                report.deferred += 1
            elif outcome.status == "retry":
                delay = outcome.retry_after
                if delay is None:
                    delay = min(2.0 ** max(message.failures, 0), MAX_BACKOFF.total_seconds())
                retry_at = now + timedelta(seconds=delay)
                status = outbox.mark_retry(
                    session, message.id, worker=self.worker_id, retry_at=retry_at,
                    error=outcome.error or "retry", failure=outcome.failure, unknown=outcome.unknown,
                    tried=outcome.tried,
                )
                if not outcome.failure and outcome.retry_after is not None:
                    report.rate_limited += 1
                    self._hold(session, message, retry_at, channel=outcome.hold_channel)
                if status == "failed":
                    report.failed += 1
                    report.failed_ids.append(message.id)
                else:
                    report.retried += 1
                report.errors.append(outcome.error or "retry")
            else:
                outbox.mark_final(
                    session, message.id, worker=self.worker_id, status=outcome.status, error=outcome.error,
                    tried=outcome.tried,
                )
                if outcome.status == "dropped":
                    report.dropped += 1
                else:
                    report.failed += 1
                    report.failed_ids.append(message.id)
                    report.errors.append(outcome.error or "failed")
                    if outcome.tell_admin is not None:
                        self._tell_admin(session, message.workspace_id, *outcome.tell_admin, now=now)

    def _hold(self, session: Session, message: outbox.ClaimedMessage, until: datetime, *, channel: bool) -> None:
        if channel and message.channel_key is not None:
            key = f"{message.workspace_id}:{message.channel_key}"
            self._channel_hold[key] = max(self._channel_hold.get(key, until), until)
            if len(self._channel_hold) > 10_000:
                self._channel_hold = {k: v for k, v in self._channel_hold.items() if v > self.clock.now()}
            if self.pacing is not None:
                self.pacing.hold(key, until)
            for row_id in [k for k, v in self._reserved.items() if v[0] == key]:  # their slots were before the wait
                self._reserved.pop(row_id, None)
            outbox.hold_channel(session, workspace_id=message.workspace_id, channel=message.channel_key, until=until)
        elif message.channel_key is None:
            method = self._method_of(self._prepare_quietly(message))
            if method is not None:
                self._method_hold[method] = max(self._method_hold.get(method, until), until)

    def _prepare_quietly(self, message: outbox.ClaimedMessage) -> _Prepared:
        try:
            prepared = self._prepare(message.kind, message.payload)
        except Exception:
            return _Prepared(message.kind)
        return prepared if isinstance(prepared, _Prepared) else _Prepared(message.kind)

    def _tell_admin(self, session: Session, workspace_id: int, channel: str, error: str, *, now: datetime) -> None:
        """Tell the workspace's first admin, once per channel and problem, that the bot cannot post there."""
        admin = session.scalars(
            select(Member).where(Member.workspace_id == workspace_id, Member.role == "admin").order_by(Member.id).limit(1)
        ).first()
        if admin is None:
            logger.warning("workspace %s: cannot post in %s (%s) and has no admin to tell", workspace_id, channel, error)
            return
        reply = Reply(locale=admin.locale or "fr", lines=[Text("outbox.admin.channel_unreachable",
                                                                {"channel": channel, "error": error})])
        outbox.enqueue(
            session, workspace_id=workspace_id, dedupe_key=f"admin:channel:{channel}:{error}"[:300], kind="reply",
            payload=outbox.reply_payload(ToMember(admin.slack_user_id), reply), now=now,
        )

    # ------------------------------------------------------------------ building

    def _prepare(self, kind: str, payload: dict[str, Any]) -> _Prepared | SendOutcome:
        if kind == "reply":
            try:
                destination = Audience.from_dict(payload["destination"])
            except UnknownAudience as exc:
                return SendOutcome("failed", error=str(exc), tried=False)
            reply = Reply.from_dict(payload["reply"])
            full_copy = None
            reader = destination.user if isinstance(destination, (ToMember, ToChannel, ToMemberInChannel)) else None
            # A scheduled reply too long for one message (a digest of 1,000 reps) says so, and its
            # whole text follows as a file in its reader's DM. Replies to a command are handled by
            # the door (bot/handlers/full_copy.py), which knows who asked; the App Home has 100
            # blocks; the team channel's posts (wins, collective progress) have no one reader.
            if reader and not reply.full_copy and not fits(reply):
                reply = replace(reply, full_copy=True)
                full_copy = full_copy_file(reply, reader, name=str(payload.get("name") or "message"), force=True)
            # Render now: a reply that cannot be rendered is as poisonous as one that cannot be read.
            reply_blocks(reply)
            fallback_text(reply)
            return _Prepared("reply", destination=destination, reply=reply, full_copy=full_copy)
        if kind == "file":
            return self._prepare_file(payload)
        return SendOutcome("failed", error=f"unknown outbox kind {kind!r}", tried=False)

    def _prepare_file(self, payload: dict[str, Any]) -> _Prepared | SendOutcome:
        channel = payload.get("channel")
        if not isinstance(channel, str) or not channel:
            return SendOutcome("failed", error="file payload: no channel", tried=False)
        try:  # a chart is drawn now, in this worker, never in the scheduler's tick (a chart is slow)
            content = files.content(payload)
        except files.FileError as exc:
            return SendOutcome("failed", error=str(exc), tried=False)
        filename = str(payload.get("filename") or "file.png")
        return _Prepared("file", file={
            "channel": channel, "content": content, "filename": filename,
            "title": str(payload.get("title") or filename), "initial_comment": payload.get("initial_comment") or None,
            "alt_txt": files.alt_text(payload),
        })

    # ------------------------------------------------------------------ sending

    def _send(self, message: outbox.ClaimedMessage, prepared: _Prepared) -> SendOutcome:
        try:
            if prepared.kind == "file":
                return self._send_file(prepared.file)
            assert prepared.reply is not None
            return self._send_reply(message, prepared.destination, prepared.reply)
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                return SendOutcome("retry", _retry_after(exc.response.headers) or 1.0, "ratelimited", failure=False,
                                   hold_channel=message.channel_key is not None)
            if status >= 500:
                return SendOutcome("retry", None, f"slack {status}")
            error = str(exc.response.get("error") or exc)
            team_channel = prepared.destination
            if isinstance(team_channel, ToChannel) and team_channel.channel and not team_channel.user and error in CHANNEL_PROBLEMS:
                return SendOutcome("failed", error=error, tell_admin=(str(team_channel.channel), error))
            return SendOutcome("failed", error=error)
        except urllib.error.HTTPError as exc:  # the POST to an upload URL (plain urllib, not SlackApiError)
            if exc.code == 429:
                return SendOutcome("retry", _retry_after(exc.headers) or 1.0, "ratelimited", failure=False,
                                   hold_channel=message.channel_key is not None)
            if exc.code >= 500:
                return SendOutcome("retry", None, f"upload {exc.code}")
            return SendOutcome("failed", error=f"upload {exc.code}")
        except SlackRequestError as exc:  # the upload URL answered something other than 200
            return SendOutcome("failed", error=str(exc)[:500])
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, DNS, timeout
            return _network_outcome(exc, "network")

    def _metadata(self, message: outbox.ClaimedMessage) -> dict[str, Any]:
        return {"event_type": METADATA_EVENT, "event_payload": {"key": message.dedupe_key, "id": message.id}}

    def _send_reply(self, message: outbox.ClaimedMessage, destination: Audience | None, reply: Reply) -> SendOutcome:
        if isinstance(destination, ToReplyUrl):
            # No history to look in: a response_url post whose answer was lost is sent again (see README).
            webhook = WebhookClient(destination.url, timeout=self.http_timeout, retry_handlers=[])
            response = webhook.send_dict(reply_message(reply))
            if response.status_code == 200:
                return SendOutcome("sent")
            if response.status_code == 429:
                return SendOutcome("retry", _retry_after(response.headers) or 1.0, "ratelimited", failure=False)
            if response.status_code >= 500:
                return SendOutcome("retry", None, f"response_url {response.status_code}")
            return SendOutcome("failed", error=f"response_url {response.status_code}: {response.body[:200]}")
        text, blocks = fallback_text(reply), reply_blocks(reply)
        if isinstance(destination, ToHome):
            self.client.views_publish(user_id=destination.user, view=home_view(reply))
            return SendOutcome("sent")
        if isinstance(destination, ToMemberInChannel):
            try:
                self.client.chat_postEphemeral(channel=destination.channel, user=destination.user, text=text,
                                               blocks=blocks)
            except SlackApiError as exc:
                if exc.response.get("error") not in MEMBER_FALLBACK_ERRORS:
                    raise
                return self._fallback_dm(message, destination, text, blocks, exc)
            return SendOutcome("sent")
        assert isinstance(destination, (ToMember, ToChannel)), destination
        channel = destination.user if isinstance(destination, ToMember) else destination.channel
        try:
            self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=self._metadata(message))
        except SlackApiError as exc:
            if isinstance(destination, ToChannel) and destination.user and exc.response.get("error") in MEMBER_FALLBACK_ERRORS:
                return self._fallback_dm(message, destination, text, blocks, exc)
            raise
        return SendOutcome("sent")

    def _fallback_dm(self, message, destination: ToChannel | ToMemberInChannel, text, blocks, exc: SlackApiError) -> SendOutcome:
        """A member's own confirmation could not go where they typed: it goes to their DM instead."""
        logger.info("outbox row %s: %s in %s, sent to %s's DM", message.id, exc.response.get("error"),
                    destination.channel, destination.user)
        self.client.chat_postMessage(channel=destination.user, text=text, blocks=blocks,
                                     metadata=self._metadata(message))
        return SendOutcome("sent")

    def _landed(self, message: outbox.ClaimedMessage, prepared: _Prepared) -> bool:
        """After an unknown outcome: is the row's message already in its channel's history?"""
        destination = prepared.destination
        if prepared.kind != "reply" or not isinstance(destination, (ToMember, ToChannel)):
            return False  # response_url, ephemeral and files leave no history to search (see README)
        if isinstance(destination, ToMember):
            channel = self.client.conversations_open(users=destination.user)["channel"]["id"]
        else:
            channel = destination.channel
        found = self._history.get(channel)
        if found is None:
            found = set()
            oldest = (message.first_attempt_at or self.clock.now()) - HISTORY_MARGIN
            cursor = None
            for _ in range(HISTORY_PAGES):
                page = self.client.conversations_history(
                    channel=channel, oldest=f"{oldest.timestamp():.6f}", include_all_metadata=True, limit=200,
                    cursor=cursor,
                )
                for posted in page.get("messages") or []:
                    metadata = posted.get("metadata") or {}
                    if metadata.get("event_type") == METADATA_EVENT:
                        event = metadata.get("event_payload") or {}
                        found.add(f"{event.get('id')}:{event.get('key')}")
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    break
            self._history[channel] = found
        return f"{message.id}:{message.dedupe_key}" in found

    def _send_file(self, file: dict[str, Any]) -> SendOutcome:
        """Upload one file (files.upload v2) to a channel, or to a user's DM when ``channel`` is a user id.

        ``files_upload_v2`` makes three requests (files.getUploadURLExternal, POST to the upload
        URL, files.completeUploadExternal); a failure at any step makes the whole row retry (or
        fail) and the retry re-does all three. Nothing is shared before the last step, and an
        upload never completed is discarded by Slack, so a retried row still shows one file. The
        one window left is a completeUploadExternal that succeeded but whose answer was lost.
        """
        channel = file["channel"]
        if channel[0] in "UW":  # a user id: the app's DM with them
            opened = self.client.conversations_open(users=channel)
            channel = opened["channel"]["id"]
        self.client.files_upload_v2(
            channel=channel, content=file["content"], filename=file["filename"], title=file["title"],
            initial_comment=file["initial_comment"], alt_txt=file.get("alt_txt"),
        )
        return SendOutcome("sent")


class DeliveryWorker:
    """A background thread that drains the outbox every ``interval`` seconds, or at once when woken
    (sooner when a row waits for a pacing slot or a Retry-After shorter than the interval)."""

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
            wait = self.interval
            try:
                self.delivery.drain()
                if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                    last_prune = time.monotonic()
                    self.delivery.prune()
                due = self.delivery.next_due()
                if due is not None:
                    wait = min(self.interval, max(0.02, (due - self.delivery.clock.now()).total_seconds()))
            except Exception:  # a broken round must not kill the worker
                logger.exception("outbox delivery round failed")
            self._wake.wait(wait)
            self._wake.clear()
