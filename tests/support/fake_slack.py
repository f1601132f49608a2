"""A local fake of the Slack Web API, served over real HTTP on 127.0.0.1.

Point the real ``slack_sdk.WebClient`` at it::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.calls("chat.postMessage")[0].params["text"] == "hi"

Paths served:

* ``/api/<method>`` — Web API methods (GET query string, form, JSON or multipart bodies).
* ``/response/<name>`` — ``response_url`` endpoints (see :meth:`FakeSlack.response_url`).
* ``/upload/<file_id>`` — upload URLs handed out by ``files.getUploadURLExternal``.

Every request is recorded as a :class:`RecordedCall`, failed ones included (``failed=True``).
Failure injection (:meth:`FakeSlack.fail_next`) uses the Web API method name, ``"response_url"``
for response URLs and ``"upload"`` for upload URLs; besides errors it can answer after the
client's timeout *after* storing the message (``mode="slow_after_store"``), drop the connection
after storing it (``"drop_after_store"``), or time out without storing it (``"slow_no_store"``).

A failure policy (:meth:`FakeSlack.set_failure_policy`) fails calls all along a run rather than the
next few: ``FailurePolicy(every=4, kinds=("429", "500", "timeout", "drop"))`` fails one call in
four of the methods it names, taking the kinds in turn — the load and fault suites (``suites/``)
use it to prove that every message is still delivered exactly once.

Rate limits like Slack's: ``FakeSlack(rate_limit_per_channel=1.0, burst=3)`` lets
``chat.postMessage`` post one message a second per channel with bursts of 3, and answers 429
``Retry-After: <seconds>`` over it. The limiter reads ``clock`` (seconds; default
``time.monotonic``), so a test can drive it with the same fixed clock as Carnet's worker.
Messages are kept with their ``metadata``; ``conversations.history`` serves them (newest first,
``oldest``/``latest``/``limit``/``cursor``, metadata only with ``include_all_metadata``).
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import secrets
import threading
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

__all__ = ["FakeSlack", "RecordedCall", "UploadedFile", "FailureSpec", "FailurePolicy"]

# Form fields that slack_sdk / Slack carry as JSON strings; decoded so that ``params`` look the
# same whether the client sent JSON or a form.
_JSON_STRING_FIELDS = ("blocks", "attachments", "view", "files", "metadata")

_DEFAULT_ERRORS = {
    429: "ratelimited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "request_timeout",
}


@dataclass
class RecordedCall:
    """One HTTP request received by the fake."""

    method: str  # Web API method ("chat.postMessage"), "response_url" or "upload"
    params: dict  # query string + body, JSON-string fields (blocks, view...) decoded
    headers: dict  # request headers, lower-cased names
    at: float  # time.time() on arrival
    failed: bool = False  # True when the fake answered with an injected failure
    status: int = 200  # HTTP status answered
    response: dict | None = None  # JSON body answered (None for non-JSON answers)
    path: str = ""  # request path, e.g. "/api/chat.postMessage" or "/response/cmd1"
    raw_body: bytes = b""
    rate_limited: bool = False  # answered 429 by the per-channel rate limit (not by injection)
    fake_time: float | None = None  # the rate limiter's clock on arrival (rate-limited methods only)
    mode: str = ""  # the failure mode injected for this call, if any ("slow_after_store", ...)
    retry_after: int | None = None  # the Retry-After answered with a 429

    @property
    def token(self) -> str | None:
        """Bearer token from the Authorization header, else the ``token`` param."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        tok = self.params.get("token")
        return tok if isinstance(tok, str) else None

    @property
    def ok(self) -> bool:
        return not self.failed and (self.response is None or bool(self.response.get("ok", True)))


@dataclass
class UploadedFile:
    file_id: str
    filename: str
    length: int | None
    content: bytes | None = None  # bytes POSTed to the upload URL
    title: str | None = None
    alt_txt: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False  # files.completeUploadExternal called for it

    @property
    def is_png(self) -> bool:
        return bool(self.content) and self.content.startswith(b"\x89PNG\r\n\x1a\n")


@dataclass
class FailureSpec:
    status: int = 429
    retry_after: int | None = None
    error: str | None = None
    remaining: int | None = 1  # None = until clear_failures()
    mode: str = "error"  # error | slow_after_store | drop_after_store | slow_no_store
    delay: float = 0.0  # seconds, for the slow modes (cut short by release())


POLICY_KINDS = ("429", "500", "timeout", "drop", "lost")


@dataclass
class FailurePolicy:
    """Fail one call in ``every`` to ``methods`` (None: every method but ``auth.test``), the kinds in turn.

    Kinds: ``"429"`` (``Retry-After: retry_after``), ``"500"``, ``"timeout"`` (the call is handled,
    then answered after ``timeout`` seconds: past the client's timeout, it never learns the message
    landed), ``"drop"`` (handled, then the connection closed with no answer) and ``"lost"`` (the
    connection closed before anything is handled). ``budget`` caps the failures (None: no cap).
    Deterministic: the same calls in the same order fail the same way."""

    every: int = 4
    kinds: tuple[str, ...] = ("429", "500", "timeout", "drop")
    methods: frozenset[str] | None = None
    retry_after: int = 1
    timeout: float = 12.0
    budget: int | None = None
    seen: int = 0  # matching calls so far
    failed: dict[str, int] = field(default_factory=dict)  # failures answered, by kind

    def __post_init__(self) -> None:
        if self.every < 1 or not self.kinds:
            raise ValueError("every must be >= 1 and kinds not empty")
        unknown = [k for k in self.kinds if k not in POLICY_KINDS]
        if unknown:
            raise ValueError(f"unknown failure kinds {unknown}: use {', '.join(POLICY_KINDS)}")

    def next_failure(self, method: str) -> FailureSpec | None:
        """The failure for this call, if it is one to fail (the caller holds the fake's lock)."""
        if method == "auth.test" or (self.methods is not None and method not in self.methods):
            return None
        self.seen += 1
        total = sum(self.failed.values())
        if self.seen % self.every or (self.budget is not None and total >= self.budget):
            return None
        kind = self.kinds[total % len(self.kinds)]
        self.failed[kind] = self.failed.get(kind, 0) + 1
        if kind == "429":
            return FailureSpec(status=429, retry_after=self.retry_after)
        if kind == "500":
            return FailureSpec(status=500)
        if kind == "timeout":
            return FailureSpec(status=200, mode="slow_after_store", delay=self.timeout)
        if kind == "drop":
            return FailureSpec(status=200, mode="drop_after_store")
        return FailureSpec(status=200, mode="slow_no_store", delay=0.0)


@dataclass
class _Team:
    team_id: str
    name: str
    bot_token: str
    bot_user_id: str
    installer: str = "UINSTALLER"


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    tz: str
    locale: str
    team_id: str
    is_bot: bool = False
    deleted: bool = False
    email: str | None = None


class FakeSlack:
    """Local fake Slack Web API. See the module docstring."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        team_id: str = "T1",
        team_name: str = "Acme",
        team_domain: str = "acme",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        app_id: str = "A1",
        require_token: bool = True,
        rate_limit_per_channel: float | None = None,
        burst: int = 1,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.latency = latency  # seconds slept before every answer (benchmarks)
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.require_token = require_token  # Web API calls without a token -> not_authed
        self.rate_limit_per_channel = rate_limit_per_channel  # chat.postMessage per channel a second; None: no limit
        self.burst = burst
        self.clock = clock or time.monotonic
        self.ts_clock: Callable[[], float] = time.time  # what message ts are made of (tests: the fixed clock)
        self._tat: dict[str, float] = {}  # the rate limiter's next theoretical arrival, per channel
        self._release = threading.Event()

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._calls: list[RecordedCall] = []
        self._failures: dict[str, deque[FailureSpec]] = {}
        self._policy: FailurePolicy | None = None
        self._users: dict[str, _User] = {}
        self._messages: dict[tuple[str, str], dict] = {}
        self._views: dict[str, dict] = {}
        self._home_views: dict[str, dict] = {}
        self._uploads: dict[str, UploadedFile] = {}
        self._id_seq = itertools.count(1)
        self._last_ts = 0.0

        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Several workspaces (OAuth): bot token -> team; codes handed out for oauth.v2.access.
        self._teams: dict[str, _Team] = {}
        self._oauth_codes: dict[str, _Team] = {}
        self.oauth_client: tuple[str, str] | None = None  # (client id, secret) oauth.v2.access accepts
        self.revoked_tokens: set[str] = set()  # auth.test (and every call) answers token_revoked
        self.strict_tokens = False  # True: a bot token neither BOT_TOKEN-like known nor a team's is invalid_auth
        self.known_tokens: set[str] = set()  # accepted besides the teams' (strict_tokens)
        self.app_tokens: set[str] | None = None  # apps.connections.open accepts these (None: any xapp-)
        self._channels: dict[str, dict] = {}  # conversations.info

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "FakeSlack":
        if self._server is not None:
            return self
        fake = self

        class Handler(_Handler):
            owner = fake

        server = _Server((self.host, self._requested_port), Handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Give this to ``WebClient(base_url=...)``; it ends with ``/api/``."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "default") -> str:
        return f"{self.base_url}/response/{name}"

    # ------------------------------------------------------------------ registry
    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        real_name: str = "",
        tz: str = "Europe/Paris",
        locale: str = "fr-FR",
        team_id: str = "T1",
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
    ) -> None:
        with self._lock:
            self._users[user_id] = _User(
                id=user_id,
                name=name or user_id.lower(),
                real_name=real_name or name or user_id,
                tz=tz,
                locale=locale,
                team_id=team_id,
                is_bot=is_bot,
                deleted=deleted,
                email=email,
            )

    # ------------------------------------------------------------------ several workspaces
    def add_team(self, team_id: str, name: str, bot_token: str, *, bot_user_id: str | None = None) -> None:
        """A workspace Carnet is installed in: calls with ``bot_token`` act in it (auth.test says so)."""
        with self._lock:
            self._teams[bot_token] = _Team(team_id, name, bot_token, bot_user_id or f"UBOT{team_id}")

    def oauth_code(self, team_id: str, name: str, bot_token: str, *, installer: str = "UINSTALLER") -> str:
        """What Slack gives the browser after "Allow": a code that oauth.v2.access trades, once, for
        an installation of the app in ``team_id`` (``bot_token``)."""
        code = f"code-{secrets.token_hex(8)}"
        with self._lock:
            self._oauth_codes[code] = _Team(team_id, name, bot_token, f"UBOT{team_id}", installer)
        return code

    def set_channel(self, channel: str, *, is_member: bool, is_private: bool = False, name: str = "") -> None:
        """What conversations.info says of ``channel`` (unknown channels: channel_not_found)."""
        with self._lock:
            self._channels[channel] = {"id": channel, "name": name or channel.lower(), "is_member": is_member,
                                       "is_private": is_private, "is_channel": not is_private}

    def _team_of(self, token: str | None) -> "_Team | None":
        with self._lock:
            return self._teams.get(token or "")

    # ------------------------------------------------------------------ failures
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        times: int | None = 1,
        error: str | None = None,
        mode: str = "error",
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail (``times=None``: until cleared).

        ``mode="slow_after_store"``: the call is handled (the message stored, the call recorded
        as delivered) and answered only after ``delay`` seconds — past the client's timeout, the
        client never learns it worked. ``"drop_after_store"``: handled, then the connection is
        closed with no answer. ``"slow_no_store"``: nothing is stored; after ``delay`` the
        connection is closed (recorded as failed). :meth:`release` ends the waits early.

        ``status=429`` answers with a ``Retry-After`` header (``retry_after``, default 1) and
        ``{"ok": false, "error": "ratelimited"}``. 5xx answer ``{"ok": false, "error": ...}``
        with that status. ``status=200, error="x"`` answers ``{"ok": false, "error": "x"}``.
        ``method`` is a Web API method name, ``"response_url"`` or ``"upload"``.
        Successive ``fail_next`` calls for one method queue up in order.
        """
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if mode not in ("error", "slow_after_store", "drop_after_store", "slow_no_store"):
            raise ValueError(f"unknown failure mode {mode!r}")
        if mode != "error":
            with self._lock:
                self._failures.setdefault(method, deque()).append(
                    FailureSpec(status=200, remaining=times, mode=mode, delay=delay)
                )
            return
        if status == 200 and not error:
            raise ValueError("status=200 needs error=")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._failures.setdefault(method, deque()).append(
                FailureSpec(status=status, retry_after=retry_after, error=error, remaining=times)
            )

    def release(self) -> None:
        """End every slow answer now (and those to come) — e.g. once a test has seen what it waited for."""
        self._release.set()

    def set_rate_limit(self, per_channel: float | None, *, burst: int = 1,
                       clock: Callable[[], float] | None = None) -> None:
        """Turn the per-channel ``chat.postMessage`` limit on (messages a second) or off (None)."""
        with self._lock:
            self.rate_limit_per_channel, self.burst = per_channel, burst
            if clock is not None:
                self.clock = clock
            self._tat.clear()

    def _rate_limit(self, channel: str) -> tuple[float, int | None]:
        """(the limiter's time, None if the post may go now, else the Retry-After seconds). Only posts
        that go through count, as Slack counts them."""
        with self._lock:
            now = self.clock()
            if not self.rate_limit_per_channel:
                return now, None
            interval = 1.0 / self.rate_limit_per_channel
            tolerance = interval * (max(self.burst, 1) - 1)
            tat = self._tat.get(channel, now)
            if tat - tolerance > now + 1e-9:
                return now, max(1, math.ceil(tat - tolerance - now))
            self._tat[channel] = max(tat, now) + interval
            return now, None

    def rate_limited(self) -> list[RecordedCall]:
        """The calls answered 429 by the per-channel rate limit."""
        return [c for c in self.calls() if c.rate_limited]

    def clear_failures(self, method: str | None = None) -> None:
        with self._lock:
            if method is None:
                self._failures.clear()
            else:
                self._failures.pop(method, None)

    def set_failure_policy(self, policy: FailurePolicy | None) -> None:
        """Fail calls all along from now on as ``policy`` says (None: stop); ``fail_next`` still comes first."""
        with self._lock:
            self._policy = policy

    @property
    def failure_policy(self) -> FailurePolicy | None:
        return self._policy

    def _take_failure(self, method: str) -> FailureSpec | None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return self._policy.next_failure(method) if self._policy is not None else None
            spec = queue[0]
            if spec.remaining is not None:
                spec.remaining -= 1
                if spec.remaining <= 0:
                    queue.popleft()
            return spec

    # ------------------------------------------------------------------ inspection
    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """All recorded calls (failed ones included), optionally for one method."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def delivered(self, method: str | None = None) -> list[RecordedCall]:
        """Calls that were not failed by injection (they may still be ``ok: false``)."""
        return [c for c in self.calls(method) if not c.failed]

    def methods(self) -> list[str]:
        """Method names in arrival order (handy in assertion messages)."""
        return [c.method for c in self.calls()]

    def responses(self, name: str | None = None) -> list[dict]:
        """Parsed JSON bodies POSTed to response URLs (successful ones), optionally by name."""
        out = []
        for c in self.delivered("response_url"):
            if name is None or c.path == f"/response/{name}":
                out.append(c.params)
        return out

    def messages(self, channel: str | None = None) -> list[dict]:
        """Current messages (posted, then updated; deleted ones removed), in post order."""
        with self._lock:
            return [dict(m) for (ch, _), m in self._messages.items() if channel is None or ch == channel]

    def views(self) -> dict[str, dict]:
        """Views opened/pushed/updated/published, by view id."""
        with self._lock:
            return {k: dict(v) for k, v in self._views.items()}

    def home_view(self, user_id: str) -> dict | None:
        """Last view published with views.publish for that user."""
        with self._lock:
            v = self._home_views.get(user_id)
            return dict(v) if v else None

    def uploads(self, *, completed_only: bool = False) -> list[UploadedFile]:
        with self._lock:
            return [u for u in self._uploads.values() if u.completed or not completed_only]

    def clear(self) -> None:
        """Forget recorded calls, messages, views, uploads and pending failures (not users)."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._messages.clear()
            self._views.clear()
            self._home_views.clear()
            self._uploads.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Wait until ``count`` non-failed calls to ``method`` were recorded; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [c for c in self._calls if c.method == method and not c.failed]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{c.method}{'(failed)' if c.failed else ''}" for c in self._calls]
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} x {method!r}; "
                        f"got {len(got)}. Calls seen: {seen}"
                    )
                self._cond.wait(min(left, 0.05))

    # ------------------------------------------------------------------ id helpers
    def _new_ts(self) -> str:
        with self._lock:
            now = max(self.ts_clock(), self._last_ts + 0.000001)
            self._last_ts = now
            return f"{now:.6f}"

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._id_seq):08X}"

    def _record(self, call: RecordedCall) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    # ------------------------------------------------------------------ API methods
    def _dispatch(self, method: str, p: dict) -> dict:
        handler = _METHODS.get(method)
        if handler is None:
            return {"ok": True}
        return handler(self, p)

    def _channel_for(self, channel: str) -> str:
        # Posting to a user id lands in the app's DM with that user.
        if channel and channel[0] in "UW":
            return "D" + channel
        return channel

    def _m_auth_test(self, p: dict) -> dict:
        team = self._team_of(p.get("_token"))
        if team is not None:
            return {"ok": True, "url": f"https://{team.team_id.lower()}.slack.com/", "team": team.name, "user": "carnet",
                    "team_id": team.team_id, "user_id": team.bot_user_id, "bot_id": f"B{team.team_id}",
                    "is_enterprise_install": False}
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "carnet",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _m_oauth_v2_access(self, p: dict) -> dict:
        """Trades a code (see :meth:`oauth_code`) for a bot token, checking the app's credentials
        (HTTP Basic, as slack_sdk sends them, or client_id / client_secret fields)."""
        client_id, secret = p.get("_basic") or (p.get("client_id"), p.get("client_secret"))
        if self.oauth_client is not None and client_id != self.oauth_client[0]:
            return {"ok": False, "error": "invalid_client_id"}
        if self.oauth_client is not None and secret != self.oauth_client[1]:
            return {"ok": False, "error": "bad_client_secret"}
        with self._lock:
            team = self._oauth_codes.pop(str(p.get("code") or ""), None)
            if team is not None:
                self._teams[team.bot_token] = team
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": team.installer},
            "scope": p.get("_scopes") or "commands,chat:write",
            "token_type": "bot",
            "access_token": team.bot_token,
            "bot_user_id": team.bot_user_id,
            "team": {"id": team.team_id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, p: dict) -> dict:
        token = p.get("_token") or ""
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.app_tokens is not None and token not in self.app_tokens:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"ws://{self.host}:9/link/?ticket=fake"}

    def _m_conversations_info(self, p: dict) -> dict:
        with self._lock:
            channel = self._channels.get(str(p.get("channel") or ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": dict(channel)}

    def _m_users_info(self, p: dict) -> dict:
        uid = p.get("user")
        if not uid:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            u = self._users.get(uid)
        if u is None:
            return {"ok": False, "error": "user_not_found"}
        zone = ZoneInfo(u.tz)
        now = datetime.now(zone)
        offset = now.utcoffset()
        user = {
            "id": u.id,
            "team_id": u.team_id,
            "name": u.name,
            "deleted": u.deleted,
            "color": "9f69e7",
            "real_name": u.real_name,
            "tz": u.tz,
            "tz_label": now.tzname() or u.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {
                "real_name": u.real_name,
                "real_name_normalized": u.real_name,
                "display_name": u.name,
                "display_name_normalized": u.name,
                "team": u.team_id,
                **({"email": u.email} if u.email else {}),
            },
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": u.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }
        # Like Slack: the locale is only returned when include_locale=true.
        if str(p.get("include_locale", "")).lower() in ("1", "true"):
            user["locale"] = u.locale
        return {"ok": True, "user": user}

    def _message(self, p: dict, ts: str) -> dict:
        msg = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": p.get("text") or "",
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if p.get(key) is not None:
                msg[key] = p[key]
        return msg

    def _m_chat_post_message(self, p: dict) -> dict:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            return {"ok": False, "error": "no_text"}
        channel = self._channel_for(channel)
        ts = self._new_ts()
        msg = self._message(p, ts)
        with self._lock:
            self._messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _m_chat_post_ephemeral(self, p: dict) -> dict:
        if not p.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "message_ts": self._new_ts()}

    def _m_chat_update(self, p: dict) -> dict:
        channel, ts = p.get("channel"), p.get("ts")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments" if channel else "channel_not_found"}
        channel = self._channel_for(channel)
        msg = self._message(p, ts)
        with self._lock:
            self._messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts, "text": msg["text"], "message": msg}

    def _m_chat_delete(self, p: dict) -> dict:
        channel, ts = p.get("channel"), p.get("ts")
        if not channel or not ts:
            return {"ok": False, "error": "invalid_arguments" if channel else "channel_not_found"}
        channel = self._channel_for(channel)
        with self._lock:
            self._messages.pop((channel, ts), None)
        return {"ok": True, "channel": channel, "ts": ts}

    def _m_conversations_history(self, p: dict) -> dict:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        channel = self._channel_for(channel)
        try:
            oldest = float(p.get("oldest") or 0)
            latest = float(p.get("latest")) if p.get("latest") else math.inf
            limit = max(1, min(int(p.get("limit") or 100), 999))
            offset = int(p.get("cursor") or 0)
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
        with_metadata = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [
                dict(m) for (ch, ts), m in self._messages.items()
                if ch == channel and (float(ts) >= oldest if inclusive else float(ts) > oldest) and float(ts) <= latest
            ]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        page = found[offset : offset + limit]
        if not with_metadata:
            for m in page:
                m.pop("metadata", None)
        more = offset + limit < len(found)
        return {
            "ok": True, "messages": page, "has_more": more, "pin_count": 0,
            "response_metadata": {"next_cursor": str(offset + limit) if more else ""},
        }

    def _m_conversations_open(self, p: dict) -> dict:
        users = p.get("users")
        if isinstance(users, list):
            users = ",".join(users)
        if p.get("channel"):
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": p["channel"]}}
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        ids = [u.strip() for u in users.split(",") if u.strip()]
        cid = "D" + ids[0] if len(ids) == 1 else "G" + "".join(ids)
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": cid}}

    def _store_view(self, view: Any, *, view_id: str | None = None, previous: str | None = None,
                    external_id: str | None = None) -> dict | str:
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                return "invalid_arguments"
        if not isinstance(view, dict) or "type" not in view:
            return "invalid_arguments"
        vid = view_id or self._new_id("V")
        stored = {
            "id": vid,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": previous,
            "root_view_id": vid,
            "app_id": self.app_id,
            "external_id": external_id or view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        with self._lock:
            self._views[vid] = stored
        return stored

    def _m_views_open(self, p: dict) -> dict:
        if not p.get("trigger_id") and not p.get("interactivity_pointer"):
            return {"ok": False, "error": "invalid_arguments"}
        view = self._store_view(p.get("view"))
        if isinstance(view, str):
            return {"ok": False, "error": view}
        return {"ok": True, "view": view}

    def _m_views_push(self, p: dict) -> dict:
        return self._m_views_open(p)

    def _m_views_update(self, p: dict) -> dict:
        vid, ext = p.get("view_id"), p.get("external_id")
        if not vid and ext:
            with self._lock:
                vid = next((k for k, v in self._views.items() if v.get("external_id") == ext), None)
            if vid is None:
                return {"ok": False, "error": "not_found"}
        if not vid:
            return {"ok": False, "error": "invalid_arguments"}
        view = self._store_view(p.get("view"), view_id=vid, external_id=ext)
        if isinstance(view, str):
            return {"ok": False, "error": view}
        return {"ok": True, "view": view}

    def _m_views_publish(self, p: dict) -> dict:
        uid = p.get("user_id")
        if not uid:
            return {"ok": False, "error": "invalid_arguments"}
        with self._lock:
            old = self._home_views.get(uid)
        view = self._store_view(p.get("view"), view_id=old["id"] if old else None)
        if isinstance(view, str):
            return {"ok": False, "error": view}
        with self._lock:
            self._home_views[uid] = view
        return {"ok": True, "view": view}

    def _m_files_get_upload_url_external(self, p: dict) -> dict:
        filename = p.get("filename")
        length = p.get("length")
        if not filename or length in (None, ""):
            return {"ok": False, "error": "invalid_arguments"}
        fid = self._new_id("F")
        with self._lock:
            self._uploads[fid] = UploadedFile(
                file_id=fid, filename=filename, length=int(length), alt_txt=p.get("alt_txt")
            )
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{fid}", "file_id": fid}

    def _file_object(self, u: UploadedFile) -> dict:
        return {
            "id": u.file_id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": u.filename,
            "title": u.title or u.filename,
            "mimetype": "image/png" if u.is_png else "application/octet-stream",
            "filetype": "png" if u.is_png else "binary",
            "user": self.bot_user_id,
            "size": len(u.content or b""),
            "url_private": f"{self.base_url}/files/{u.file_id}/{u.filename}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{u.file_id}/{u.filename}",
        }

    def _m_files_complete_upload_external(self, p: dict) -> dict:
        files = p.get("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        out = []
        with self._lock:
            for f in files:
                u = self._uploads.get(f.get("id", ""))
                if u is None or u.content is None:
                    return {"ok": False, "error": "file_not_found"}
            for f in files:
                u = self._uploads[f["id"]]
                u.title = f.get("title") or u.filename
                u.channel_id = p.get("channel_id") or p.get("channels")
                u.initial_comment = p.get("initial_comment")
                u.thread_ts = p.get("thread_ts")
                u.completed = True
                out.append(self._file_object(u))
        return {"ok": True, "files": out}

    def _m_files_info(self, p: dict) -> dict:
        with self._lock:
            u = self._uploads.get(p.get("file", ""))
        if u is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": self._file_object(u)}


_METHODS = {
    "auth.test": FakeSlack._m_auth_test,
    "oauth.v2.access": FakeSlack._m_oauth_v2_access,
    "apps.connections.open": FakeSlack._m_apps_connections_open,
    "conversations.info": FakeSlack._m_conversations_info,
    "users.info": FakeSlack._m_users_info,
    "chat.postMessage": FakeSlack._m_chat_post_message,
    "chat.postEphemeral": FakeSlack._m_chat_post_ephemeral,
    "chat.update": FakeSlack._m_chat_update,
    "chat.delete": FakeSlack._m_chat_delete,
    "conversations.open": FakeSlack._m_conversations_open,
    "conversations.history": FakeSlack._m_conversations_history,
    "views.open": FakeSlack._m_views_open,
    "views.push": FakeSlack._m_views_push,
    "views.update": FakeSlack._m_views_update,
    "views.publish": FakeSlack._m_views_publish,
    "files.getUploadURLExternal": FakeSlack._m_files_get_upload_url_external,
    "files.completeUploadExternal": FakeSlack._m_files_complete_upload_external,
    "files.info": FakeSlack._m_files_info,
}

# Methods under the per-channel rate limit (Slack: about one message a second per channel).
_RATE_LIMITED = {"chat.postMessage"}

# Methods that need no token.
_NO_AUTH = {"api.test", "oauth.v2.access", "oauth.access", "oauth.v2.exchange"}


def _basic_auth(headers: dict) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` header (oauth.v2.access credentials)."""
    import base64

    auth = headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8", "replace").partition(":")
    return user, password


def _decode_json_fields(params: dict) -> dict:
    for key in _JSON_STRING_FIELDS:
        v = params.get(key)
        if isinstance(v, str) and v[:1] in ("[", "{"):
            try:
                params[key] = json.loads(v)
            except ValueError:
                pass
    return params


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict, dict[str, bytes]]:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict = {}
    files: dict[str, bytes] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields[name] = payload.decode("utf-8", "replace")
    return fields, files


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog (5) makes bursts of parallel clients wait ~1 s for SYN retries.
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSlack
    protocol_version = "HTTP/1.1"
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: dict | None, extra_headers: dict | None = None, text: str | None = None):
        payload = (json.dumps(body) if body is not None else (text or "")).encode()
        self.send_response(status)
        ctype = "application/json; charset=utf-8" if body is not None else "text/plain; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self) -> None:
        fake = self.owner
        arrived = time.time()
        raw = self._read_body()
        url = urlsplit(self.path)
        path = url.path
        headers = {k.lower(): v for k, v in self.headers.items()}
        ctype = headers.get("content-type", "")

        if path.startswith("/api/"):
            kind, method = "api", unquote(path[len("/api/"):])
        elif path.startswith("/response/"):
            kind, method = "response", "response_url"
        elif path.startswith("/upload/"):
            kind, method = "upload", "upload"
        else:
            self._send(404, None, text="not found")
            return

        params: dict = dict(parse_qsl(url.query, keep_blank_values=True))
        files: dict[str, bytes] = {}
        if kind == "upload":
            if ctype.startswith("multipart/form-data"):
                fields, files = _parse_multipart(ctype, raw)
                params.update(fields)
        elif raw:
            if ctype.startswith("application/json") or (kind == "response" and raw[:1] in (b"{", b"[")):
                try:
                    parsed = json.loads(raw.decode("utf-8"))
                except ValueError:
                    parsed = {"_unparsed": raw.decode("utf-8", "replace")}
                if isinstance(parsed, dict):
                    params.update(parsed)
                else:
                    params["_json"] = parsed
            elif ctype.startswith("multipart/form-data"):
                fields, files = _parse_multipart(ctype, raw)
                params.update(fields)
            else:
                text = raw.decode("utf-8", "replace")
                if kind == "response":
                    params["text"] = text
                else:
                    params.update(parse_qsl(text, keep_blank_values=True))
        if kind == "api":
            _decode_json_fields(params)

        call = RecordedCall(
            method=method, params=params, headers=headers, at=arrived, path=path, raw_body=raw
        )

        if fake.latency:
            time.sleep(fake.latency)

        failure = fake._take_failure(method)
        if failure is not None and failure.mode == "slow_no_store":
            call.failed, call.status, call.mode = True, 0, failure.mode
            fake._record(call)
            fake._release.wait(failure.delay)
            self.close_connection = True  # no answer: the client timed out, or sees the connection drop
            return
        slow = failure if failure is not None and failure.mode != "error" else None
        if slow is not None:
            call.mode = slow.mode
            failure = None
        if failure is not None:
            err = failure.error or _DEFAULT_ERRORS.get(failure.status, "fatal_error")
            body = {"ok": False, "error": err}
            extra = {}
            if failure.retry_after is not None:
                extra["Retry-After"] = str(failure.retry_after)
            call.failed, call.status, call.response = True, failure.status, body
            call.retry_after = failure.retry_after
            fake._record(call)
            self._send(failure.status, body, extra)
            return

        if kind == "response":
            body = {"ok": True}
        elif kind == "upload":
            fid = path[len("/upload/"):]
            with fake._lock:
                upload = fake._uploads.get(fid)
                if upload is not None:
                    upload.content = next(iter(files.values())) if files else raw
            if upload is None:
                call.status, call.response = 404, None
                fake._record(call)
                self._send(404, None, text="not found")
                return
            call.response = None
            fake._record(call)
            self._send(200, None, text=f"OK - {len(upload.content or b'')}")
            return
        else:
            token = call.token
            limited = None
            if method in _RATE_LIMITED and params.get("channel"):
                call.fake_time, limited = fake._rate_limit(fake._channel_for(str(params["channel"])))
            if fake.require_token and method not in _NO_AUTH and not token:
                body = {"ok": False, "error": "not_authed"}
            elif token and token in fake.revoked_tokens:
                body = {"ok": False, "error": "token_revoked"}
            elif (fake.strict_tokens and token and method not in _NO_AUTH and not token.startswith("xapp-")
                  and fake._team_of(token) is None and token not in fake.known_tokens):
                body = {"ok": False, "error": "invalid_auth"}
            elif limited is not None:
                body = {"ok": False, "error": "ratelimited"}
                call.failed, call.rate_limited, call.status, call.response = True, True, 429, body
                call.retry_after = limited
                fake._record(call)
                self._send(429, body, {"Retry-After": str(limited)})
                return
            else:
                try:
                    body = fake._dispatch(method, {**params, "_token": token, "_basic": _basic_auth(headers)})
                except Exception as exc:  # a bug in the fake: surface it clearly
                    body = {"ok": False, "error": "fake_slack_error", "detail": repr(exc)}
        call.response = body
        fake._record(call)
        if slow is not None:
            if slow.mode == "slow_after_store":
                fake._release.wait(slow.delay)
            self.close_connection = True
            if slow.mode == "drop_after_store":
                return
            try:
                self._send(200, body)
            except OSError:  # the client gave up waiting: it never learns the message was stored
                pass
            return
        self._send(200, body)
