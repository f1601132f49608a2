"""Helpers of the security and fuzz suites: send what an attacker sends, and check that it was
refused at once and that nothing was written (every table counted before and after)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import func, select

from storage.models import Base
from tests.support.fixtures import SIGNING_SECRET
from tests.support.slack_requests import FORM, JSON

REFUSED_WITHIN = 1.0  # seconds: a refusal never waits for Bolt's 3 s ack timeout


def row_counts(runtime) -> dict[str, int]:
    """How many rows every table of Carnet holds."""
    with runtime.engine.connect() as conn:
        return {name: conn.scalar(select(func.count()).select_from(table)) or 0
                for name, table in Base.metadata.tables.items()}


def signed_headers(body: bytes, *, timestamp: str | None = None, content_type: str = FORM,
                   secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's headers for ``body`` (bytes, any encoding), signed with ``secret``."""
    ts = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


def post_raw(slack, body: bytes | str, *, content_type: str = FORM, **headers: str) -> httpx.Response:
    """POST ``body`` signed as Slack would, then ``headers`` over the signed ones."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    sent = signed_headers(raw, content_type=content_type)
    sent.update(headers)
    return slack.http.post(slack.path, content=raw, headers=sent)


def payload_form(payload: Any) -> str:
    """``payload=<JSON>`` as Slack sends interactions (``payload`` may be any JSON value)."""
    return urlencode({"payload": json.dumps(payload)})


def post_payload(slack, payload: Any) -> httpx.Response:
    return post_raw(slack, payload_form(payload))


def post_event(slack, body: Any) -> httpx.Response:
    return post_raw(slack, json.dumps(body), content_type=JSON)


def assert_refused(response: httpx.Response, status: int | tuple[int, ...] = 400) -> None:
    """A clean 4xx (the expected one), given at once, saying nothing to a member."""
    expected = (status,) if isinstance(status, int) else status
    assert response.status_code in expected, (response.status_code, response.text)
    assert response.elapsed.total_seconds() < REFUSED_WITHIN, response.elapsed


def table_counts(session_factory) -> dict[str, int]:
    """How many rows every table holds, read through ``session_factory``."""
    with session_factory() as session:
        return {name: session.scalar(select(func.count()).select_from(table)) or 0
                for name, table in Base.metadata.tables.items()}
