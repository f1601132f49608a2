"""The door check before Bolt: what an attacker (or a broken proxy) sends is refused at once, with a
clean 4xx and before any handler or transaction runs.

Order matters: the size first (413, nothing more is read), then the signature (401: an unsigned
request learns nothing about how Carnet reads bodies), then the body's encoding and shape (400).
The shape checks (:func:`payload_problem`) read a parsed body, so the Socket Mode door (whose
payloads arrive parsed, see ``bot/handlers/socket_door.py``) runs them too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl


MAX_BODY = 256 * 1024  # Slack's largest payloads (a modal's view with its state) stay far below
MAX_AGE = 300  # seconds a signed request stays valid, as Slack and Bolt count them
MAX_DEPTH = 32  # a view is a handful of levels deep; deeper JSON is a bomb, not Slack


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: its HTTP status and a short reason (logged, never user text)."""

    status: int
    reason: str


def check_size(length_header: str | None, limit: int = MAX_BODY) -> Refusal | None:
    """413 when the declared length is over ``limit`` (a Content-Length that is not a number: 400)."""
    if length_header is None:
        return None
    declared = length_header.strip()
    if not declared.isascii() or not declared.isdigit():
        return Refusal(400, "bad content-length")
    return Refusal(413, "body too large") if int(declared) > limit else None


class Door:
    """Checks a raw HTTP request from Slack; :meth:`check` gives its parsed body or a Refusal."""

    def __init__(self, signing_secret: str | None, *, clock: Callable[[], float] = time.time) -> None:
        self.secret = signing_secret.encode() if signing_secret else None
        self.clock = clock

    def check(self, headers: Mapping[str, str], body: bytes) -> dict[str, Any] | Refusal:
        """The request's parsed body when it is signed, well encoded and shaped as Carnet reads it."""
        timestamp = headers.get("x-slack-request-timestamp") or ""
        if not timestamp and _is_ssl_check(body):
            return {"ssl_check": "1"}  # Slack checking the certificate, unsigned: Bolt answers 200, nothing runs
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            return Refusal(401, "missing or non-numeric timestamp")
        if self.secret is not None and not self.signed(timestamp, headers.get("x-slack-signature") or "", body):
            return Refusal(401, "bad or stale signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(400, "body is not UTF-8")
        parsed = parse_body(text, headers.get("content-type"))
        if isinstance(parsed, Refusal):
            return parsed
        problem = shape_problem(parsed)
        return Refusal(400, problem) if problem else parsed

    def signed(self, timestamp: str, signature: str, body: bytes) -> bool:
        """Slack's v0 signature of the body's bytes, made less than 5 minutes from now (no replays later)."""
        if abs(self.clock() - int(timestamp)) > MAX_AGE or self.secret is None:
            return False
        digest = hmac.new(self.secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", signature)


def _is_ssl_check(body: bytes) -> bool:
    if body.startswith(b"{") or b"ssl_check=1" not in body:
        return False
    return ("ssl_check", "1") in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def parse_body(text: str, content_type: str | None) -> dict[str, Any] | Refusal:
    """The body as Bolt means to read it (JSON, a form, or a form's ``payload=`` JSON), strictly.

    Unlike Bolt's own parser, a form that merely contains the word "payload" (``/log visite
    Payload SA``) stays a form."""
    if "\x00" in text:
        return Refusal(400, "NUL byte in body")
    if (content_type or "").split(";")[0].strip().lower() == "application/json" or text.startswith("{"):
        return _json_object(text, "body")
    try:
        fields = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
    except (ValueError, UnicodeDecodeError):
        return Refusal(400, "form is not well encoded")
    form = dict(fields)
    if len(form) != len(fields):
        return Refusal(400, "a form field is repeated")
    if "payload" in form:
        return _json_object(form["payload"], "payload")
    # A command's words may hold control characters: its grammar drops them (tests/handlers pins
    # that a NUL in /log's words is dropped, not refused); the other fields are ids and URLs.
    return _clean({k: v for k, v in form.items() if k != "text"}, "form") or form


def _json_object(text: str, what: str) -> dict[str, Any] | Refusal:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return Refusal(400, f"{what} is not JSON")
    if not isinstance(value, dict):
        return Refusal(400, f"{what} is not a JSON object")
    return _clean(value, what) or value


def _clean(value: Any, what: str) -> Refusal | None:
    """A Refusal when ``value`` nests too deep or holds a string no database takes (NUL, lone surrogates)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return Refusal(400, f"{what} nests too deep")
        if isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            if "\x00" in item:
                return Refusal(400, f"NUL character in {what}")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return Refusal(400, f"{what} holds a lone surrogate")
    return None


# --------------------------------------------------------------------------- shapes


class _Bad(Exception):
    pass


def _get(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
    """``obj[key]`` when it is a ``kind`` (None when absent or null and not required)."""
    value = obj.get(key)
    if value is None:
        if required:
            raise _Bad(f"{key} is missing")
        return None
    if not isinstance(value, kind):
        raise _Bad(f"{key} has the wrong type")
    if required and isinstance(value, str) and not value:
        raise _Bad(f"{key} is empty")
    return value


def _team_and_user(body: Mapping[str, Any]) -> None:
    """An interaction names its user (``user.id``) and its workspace (``team.id`` or ``user.team_id``)."""
    user = _get(body, "user", dict, required=True)
    _get(user, "id", str, required=True)
    team = _get(body, "team", dict) or {}
    if not _get(team, "id", str) and not _get(user, "team_id", str):
        raise _Bad("team is missing")
    _get(user, "locale", str)
    for key in ("trigger_id", "response_url", "action_ts"):
        _get(body, key, str)
    for key in ("channel", "container", "message"):
        _get(body, key, dict)
    channel = _get(body, "channel", dict) or {}
    _get(channel, "id", str)
    _get(_get(body, "container", dict) or {}, "channel_id", str)


def _option(obj: Mapping[str, Any], key: str) -> None:
    option = _get(obj, key, dict)
    if option is not None:
        _get(option, "value", str, required=True)


def _block_actions(body: Mapping[str, Any]) -> None:
    _team_and_user(body)
    actions = _get(body, "actions", list, required=True)
    if not actions:
        raise _Bad("actions is empty")
    for action in actions:
        if not isinstance(action, dict):
            raise _Bad("an action is not an object")
        _get(action, "action_id", str, required=True)
        for key in ("block_id", "value", "action_ts", "type"):
            _get(action, key, str)
        _option(action, "selected_option")
    view = _get(body, "view", dict)
    if view is not None:
        _view(view, submitted=False)


def _view(view: Mapping[str, Any], *, submitted: bool) -> None:
    _get(view, "callback_id", str, required=submitted)
    for key in ("id", "private_metadata", "type"):
        _get(view, key, str)
    blocks = _get(view, "blocks", list) or []
    if not all(isinstance(block, dict) for block in blocks):
        raise _Bad("a block is not an object")
    state = _get(view, "state", dict) or {}
    for elements in (_get(state, "values", dict) or {}).values():
        if not isinstance(elements, dict):
            raise _Bad("a state block is not an object")
        for element in elements.values():
            if not isinstance(element, dict):
                raise _Bad("a state element is not an object")
            _element(element)


def _element(element: Mapping[str, Any]) -> None:
    """A submitted input: each kind's value has the type Slack gives it."""
    for key in ("type", "value", "selected_date", "selected_time", "selected_user"):
        _get(element, key, str)
    _option(element, "selected_option")
    for option in _get(element, "selected_options", list) or []:
        if not isinstance(option, dict):
            raise _Bad("an option is not an object")
        _get(option, "value", str, required=True)


def _view_submission(body: Mapping[str, Any]) -> None:
    _team_and_user(body)
    _view(_get(body, "view", dict, required=True), submitted=True)


def _block_suggestion(body: Mapping[str, Any]) -> None:
    _team_and_user(body)
    _get(body, "action_id", str, required=True)
    _get(body, "value", str)
    _get(body, "block_id", str)


def _view_closed(body: Mapping[str, Any]) -> None:
    _team_and_user(body)
    _view(_get(body, "view", dict, required=True), submitted=False)


def _event_callback(body: Mapping[str, Any]) -> None:
    _get(body, "team_id", str, required=True)
    _get(body, "event_id", str)
    event = _get(body, "event", dict, required=True)
    kind = _get(event, "type", str, required=True)
    if kind not in ("app_home_opened", "message"):
        return  # events Carnet does not read: Bolt acknowledges them
    for key in ("user", "channel", "channel_type", "subtype", "text", "ts", "tab", "bot_id", "client_msg_id", "team"):
        _get(event, key, str)
    if kind == "app_home_opened":
        _get(event, "user", str, required=True)
    view = _get(event, "view", dict) or {}
    _get(view, "team_id", str)
    for key in ("message", "previous_message"):
        inner = _get(event, key, dict)
        if inner is not None:
            for field in ("user", "text", "ts", "subtype", "bot_id", "team"):
                _get(inner, field, str)
            _get(_get(inner, "edited", dict) or {}, "ts", str)


def _url_verification(body: Mapping[str, Any]) -> None:
    _get(body, "challenge", str, required=True)


def _slash_command(body: Mapping[str, Any]) -> None:
    for key in ("team_id", "user_id"):
        _get(body, key, str, required=True)
    if not body["command"].startswith("/"):
        raise _Bad("command does not start with /")


_SHAPES: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "block_actions": _block_actions,
    "view_submission": _view_submission,
    "view_closed": _view_closed,
    "block_suggestion": _block_suggestion,
    "event_callback": _event_callback,
    "url_verification": _url_verification,
}


def payload_problem(body: Mapping[str, Any]) -> str | None:
    """What is wrong with a payload that arrived parsed (Socket Mode): its strings, then its shape."""
    refusal = _clean(body, "payload")
    return refusal.reason if refusal else shape_problem(body)


def shape_problem(body: Mapping[str, Any]) -> str | None:
    """What is wrong with a parsed Slack body, as Carnet's handlers read it; None when nothing.

    Kinds Carnet has no handler for (shortcuts, …) pass: Bolt answers them 404 at once."""
    try:
        if "ssl_check" in body:
            return None  # Slack checking the certificate: Bolt answers it
        if isinstance(body.get("command"), str):
            _slash_command(body)
            return None
        kind = _get(body, "type", str)
        if kind is None:
            return "neither a command nor a typed payload"
        check = _SHAPES.get(kind)
        if check is not None:
            check(body)
    except _Bad as bad:
        return str(bad)
    return None
