"""Build (and send) HTTP requests exactly as Slack sends them to an app's Request URL.

Bodies are returned as ``str`` — the exact bytes to sign and POST. Interactive payloads are
``payload=<urlencoded JSON>`` (form), slash commands are plain forms, Events API bodies are JSON.

Shapes follow Slack's interaction payload reference and the payloads used in slack-bolt's own
tests (block_actions, view_submission, block_suggestion, slash command, event_callback).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

import httpx

__all__ = [
    "FORM",
    "JSON",
    "UNSET_RESPONSE_URL",
    "sign",
    "new_trigger_id",
    "slash_command_body",
    "block_actions_body",
    "view_submission_body",
    "view_closed_body",
    "block_suggestion_body",
    "event_body",
    "url_verification_body",
    "app_home_opened_event",
    "message_event",
    "message_changed_event",
    "bot_message_event",
    "button_action",
    "static_select_action",
    "datepicker_action",
    "checkboxes_action",
    "option",
    "text_value",
    "select_value",
    "external_select_value",
    "date_value",
    "time_value",
    "user_value",
    "checkbox_values",
    "radio_value",
    "multi_select_values",
    "modal_view",
    "SlackClient",
]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Default response_url: a local port nothing listens on, so a test that forgets to pass one
# fails fast (connection refused) instead of calling the real Slack.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

_seq = itertools.count(1)


# --------------------------------------------------------------------------- signing
def sign(body: str, secret: str, timestamp: int) -> dict[str, str]:
    """Headers Slack sends: timestamp, v0 HMAC-SHA256 signature, form content type."""
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": FORM,
    }


def new_trigger_id() -> str:
    """A unique trigger id shaped like Slack's: ``<digits>.<digits>.<32 hex>``."""
    n = next(_seq)
    return f"{int(time.time() * 1000)}{n:03d}.{1379717998065 + n}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def _message_ts() -> str:
    return f"{time.time() - 60:.6f}"


def _payload_form(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def _user(user_id: str, user_name: str, team_id: str) -> dict:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


# --------------------------------------------------------------------------- slash command
def slash_command_body(
    command: str = "/log",
    text: str = "",
    *,
    team_id: str = "T1",
    team_domain: str = "acme",
    user_id: str = "U1",
    user_name: str = "alice",
    channel_id: str = "C1",
    channel_name: str = "general",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    api_app_id: str = "A1",
    token: str = "verification-token",
) -> str:
    """Form body of a slash command, fields in Slack's order."""
    fields = [
        ("token", token),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id or new_trigger_id()),
    ]
    return urlencode(fields)


# --------------------------------------------------------------------------- options / actions
def option(value: str, text: str | None = None) -> dict:
    """A Block Kit option object as Slack echoes it back."""
    return {"text": {"type": "plain_text", "text": text if text is not None else value, "emoji": True},
            "value": value}


def button_action(value: str | None, *, text: str = "Button", style: str | None = None) -> dict:
    a: dict = {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": True}}
    if value is not None:
        a["value"] = value
    if style:
        a["style"] = style
    return a


def static_select_action(value: str, text: str | None = None, *, placeholder: str = "Choose") -> dict:
    """``action=`` override for a static_select choice in block_actions."""
    return {
        "type": "static_select",
        "selected_option": option(value, text),
        "placeholder": {"type": "plain_text", "text": placeholder, "emoji": True},
    }


def datepicker_action(date: str, *, initial_date: str | None = None) -> dict:
    """``action=`` override for a datepicker choice (``date`` is ``YYYY-MM-DD``)."""
    a = {"type": "datepicker", "selected_date": date}
    if initial_date:
        a["initial_date"] = initial_date
    return a


def checkboxes_action(values: Iterable[str]) -> dict:
    return {"type": "checkboxes", "selected_options": [option(v) for v in values]}


def block_actions_body(
    *,
    action_id: str,
    value: str | None = None,
    block_id: str = "b1",
    team_id: str = "T1",
    user_id: str = "U1",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    container: dict | None = None,
    view: dict | None = None,
    action: dict | None = None,
    user_name: str = "alice",
    team_domain: str = "acme",
    channel_id: str = "C1",
    channel_name: str = "general",
    message_ts: str | None = None,
    message: dict | None = None,
    state_values: dict | None = None,
    api_app_id: str = "A1",
    token: str = "verification-token",
) -> str:
    """``payload=<json>`` of a block_actions interaction.

    Default: a button click (``value``) in an ephemeral message in ``channel_id``.
    ``action=`` replaces the button fields (see :func:`static_select_action`,
    :func:`datepicker_action`); ``action_id``/``block_id``/``action_ts`` are always set.
    With ``view=`` (a modal or home view, see :func:`modal_view`) the container is the view and,
    like Slack, there is no ``channel``/``message``/``response_url``.
    ``message=`` (or a container with ``is_ephemeral: false``) adds the message Slack includes
    for non-ephemeral messages.
    """
    act = {"action_id": action_id, "block_id": block_id}
    act.update(action if action is not None else button_action(value))
    act["action_ts"] = _action_ts()

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
    }
    if view is not None:
        payload["container"] = container or {"type": "view", "view_id": view.get("id", "V1")}
        payload["trigger_id"] = trigger_id or new_trigger_id()
        payload["team"] = {"id": team_id, "domain": team_domain}
        payload["enterprise"] = None
        payload["is_enterprise_install"] = False
        payload["view"] = view
    else:
        ts = message_ts or (container or {}).get("message_ts") or _message_ts()
        cont = container or {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel_id,
            "is_ephemeral": True,
        }
        payload["container"] = cont
        payload["trigger_id"] = trigger_id or new_trigger_id()
        payload["team"] = {"id": team_id, "domain": team_domain}
        payload["enterprise"] = None
        payload["is_enterprise_install"] = False
        payload["channel"] = {"id": cont.get("channel_id", channel_id), "name": channel_name}
        if message is None and cont.get("type") == "message" and cont.get("is_ephemeral") is False:
            message = {"type": "message", "subtype": "bot_message", "text": "", "ts": ts,
                       "bot_id": "BBOT", "blocks": []}
        if message is not None:
            payload["message"] = message
        payload["state"] = {"values": state_values or {}}
        payload["response_url"] = response_url
    payload["actions"] = [act]
    return _payload_form(payload)


# --------------------------------------------------------------------------- state values
def text_value(v: str | None) -> dict:
    return {"type": "plain_text_input", "value": v}


def select_value(v: str | None, text: str | None = None) -> dict:
    return {"type": "static_select", "selected_option": option(v, text) if v is not None else None}


def external_select_value(v: str | None, text: str | None = None) -> dict:
    return {"type": "external_select", "selected_option": option(v, text) if v is not None else None}


def date_value(d: str | None) -> dict:
    """Datepicker state; ``d`` is ``YYYY-MM-DD`` (None when left empty)."""
    return {"type": "datepicker", "selected_date": d}


def time_value(t: str | None) -> dict:
    """Timepicker state; ``t`` is ``HH:MM``."""
    return {"type": "timepicker", "selected_time": t}


def user_value(u: str | None) -> dict:
    return {"type": "users_select", "selected_user": u}


def checkbox_values(vs: Iterable[str]) -> dict:
    return {"type": "checkboxes", "selected_options": [option(v) for v in vs]}


def radio_value(v: str | None, text: str | None = None) -> dict:
    return {"type": "radio_buttons", "selected_option": option(v, text) if v is not None else None}


def multi_select_values(vs: Iterable[str]) -> dict:
    return {"type": "multi_static_select", "selected_options": [option(v) for v in vs]}


def _normalise_values(values: dict) -> dict:
    """Accept ``{block: {action: state}}``, ``{block: state}`` (action_id = block_id) and plain
    strings/None as text inputs."""
    out: dict = {}
    for block_id, inner in values.items():
        if inner is None or isinstance(inner, str):
            out[block_id] = {block_id: text_value(inner)}
        elif isinstance(inner, dict) and "type" in inner and isinstance(inner["type"], str):
            out[block_id] = {block_id: inner}
        else:
            out[block_id] = {
                aid: (text_value(s) if s is None or isinstance(s, str) else s) for aid, s in inner.items()
            }
    return out


def _input_blocks(values: dict) -> list[dict]:
    blocks = []
    for block_id, actions in values.items():
        for action_id, state in actions.items():
            blocks.append({
                "type": "input",
                "block_id": block_id,
                "label": {"type": "plain_text", "text": block_id, "emoji": True},
                "optional": False,
                "dispatch_action": False,
                "element": {"type": state.get("type", "plain_text_input"), "action_id": action_id},
            })
    return blocks


def modal_view(
    *,
    callback_id: str = "",
    values: dict | None = None,
    private_metadata: str = "",
    view_id: str = "V1",
    team_id: str = "T1",
    type: str = "modal",  # noqa: A002 - Slack's field name
    blocks: list | None = None,
    title: str = "Carnet",
    external_id: str = "",
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
    app_id: str = "A1",
    bot_id: str = "BBOT",
) -> dict:
    """A view object as Slack puts it in payloads (``type="home"`` for the App Home)."""
    vals = _normalise_values(values or {})
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": team_id,
        "type": type,
        "blocks": blocks if blocks is not None else _input_blocks(vals),
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": vals},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Annuler", "emoji": True} if type == "modal" else None,
        "submit": {"type": "plain_text", "text": "Valider", "emoji": True} if type == "modal" else None,
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": app_id,
        "external_id": external_id,
        "app_installed_team_id": team_id,
        "bot_id": bot_id,
    }
    return view


# --------------------------------------------------------------------------- views
def view_submission_body(
    *,
    callback_id: str,
    values: dict,
    private_metadata: str = "",
    team_id: str = "T1",
    user_id: str = "U1",
    view_id: str = "V1",
    user_name: str = "alice",
    team_domain: str = "acme",
    trigger_id: str | None = None,
    blocks: list | None = None,
    response_urls: list | None = None,
    api_app_id: str = "A1",
    token: str = "verification-token",
    **view_fields: Any,
) -> str:
    """``payload=<json>`` of a view_submission.

    ``values`` is ``{block_id: {action_id: state}}`` built with :func:`text_value`,
    :func:`select_value`, :func:`date_value`, :func:`checkbox_values`...; shortcuts:
    ``{block_id: state}`` means action_id == block_id, a plain str/None is a text input.
    Extra keyword args go to :func:`modal_view` (``external_id``, ``root_view_id``...).
    """
    view = modal_view(
        callback_id=callback_id, values=values, private_metadata=private_metadata,
        view_id=view_id, team_id=team_id, blocks=blocks, app_id=api_app_id, **view_fields,
    )
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": view,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


def view_closed_body(
    *,
    callback_id: str,
    private_metadata: str = "",
    team_id: str = "T1",
    user_id: str = "U1",
    view_id: str = "V1",
    is_cleared: bool = False,
    user_name: str = "alice",
    team_domain: str = "acme",
    api_app_id: str = "A1",
    token: str = "verification-token",
) -> str:
    view = modal_view(callback_id=callback_id, private_metadata=private_metadata, view_id=view_id,
                      team_id=team_id, app_id=api_app_id)
    payload = {
        "type": "view_closed",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "view": view,
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload_form(payload)


def block_suggestion_body(
    *,
    action_id: str,
    value: str,
    block_id: str,
    team_id: str = "T1",
    user_id: str = "U1",
    view: dict | None = None,
    user_name: str = "alice",
    team_domain: str = "acme",
    api_app_id: str = "A1",
    token: str = "verification-token",
) -> str:
    """``payload=<json>`` of a block_suggestion (external_select options load); ``value`` is
    what the user typed."""
    if view is None:
        view = modal_view(view_id="V1", team_id=team_id, app_id=api_app_id, blocks=[{
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id},
            "optional": False,
            "element": {"type": "external_select", "action_id": action_id,
                        "placeholder": {"type": "plain_text", "text": "…"}},
        }])
    payload = {
        "type": "block_suggestion",
        "user": _user(user_id, user_name, team_id),
        "container": {"type": "view", "view_id": view.get("id", "V1")},
        "api_app_id": api_app_id,
        "token": token,
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
    }
    return _payload_form(payload)


# --------------------------------------------------------------------------- events
def app_home_opened_event(user: str = "U1", *, channel: str | None = None, tab: str = "home",
                          view: dict | None = None) -> dict:
    ev: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or "D" + user,
        "tab": tab,
        "event_ts": _action_ts(),
    }
    if view is not None:
        ev["view"] = view
    return ev


def message_event(text: str, *, user: str = "U1", channel: str | None = None,
                  channel_type: str = "im", team: str = "T1", ts: str | None = None) -> dict:
    """A user's message (``message.im`` by default, channel ``D<user>``)."""
    ts = ts or _action_ts()
    return {
        "type": "message",
        "client_msg_id": secrets.token_hex(16),
        "text": text,
        "user": user,
        "ts": ts,
        "team": team,
        "blocks": [{"type": "rich_text", "block_id": secrets.token_hex(2), "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}],
        "channel": channel or "D" + user,
        "event_ts": ts,
        "channel_type": channel_type,
    }


def message_changed_event(original: dict, text: str, *, edited_ts: str | None = None) -> dict:
    """The ``message_changed`` event Slack sends when the author of ``original`` (a
    :func:`message_event`) edits it to ``text``: same ``ts`` and ``client_msg_id``, an ``edited`` stamp."""
    edited = edited_ts or _action_ts()
    message = {**{k: v for k, v in original.items() if k not in ("channel", "event_ts", "channel_type")},
               "text": text, "edited": {"user": original["user"], "ts": edited}}
    message["blocks"] = [{"type": "rich_text", "block_id": secrets.token_hex(2), "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": message,
        "previous_message": {k: v for k, v in original.items() if k not in ("channel", "event_ts", "channel_type")},
        "channel": original["channel"],
        "hidden": True,
        "ts": edited,
        "event_ts": edited,
        "channel_type": original.get("channel_type", "im"),
    }


def bot_message_event(text: str, *, channel: str = "DU1", bot_id: str = "BBOT", user: str = "UBOT",
                      ts: str | None = None, subtype: str | None = "bot_message") -> dict:
    """A message posted by an app in a DM (Carnet's own answers arrive as such events too; those
    posted with a bot token carry ``bot_id`` and no subtype: ``subtype=None``)."""
    ts = ts or _action_ts()
    event = {
        "type": "message",
        "subtype": subtype,
        "text": text,
        "bot_id": bot_id,
        "user": user,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im",
    }
    if subtype is None:
        del event["subtype"]
    return event


def event_body(
    event: dict,
    *,
    team_id: str = "T1",
    event_id: str | None = None,
    api_app_id: str = "A1",
    event_time: int | None = None,
    bot_user_id: str = "UBOT",
    token: str = "verification-token",
) -> str:
    """JSON body of an Events API ``event_callback`` (POST it as application/json)."""
    body = {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [{
            "enterprise_id": None,
            "team_id": team_id,
            "user_id": bot_user_id,
            "is_bot": True,
            "is_enterprise_install": False,
        }],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(20)}",
    }
    return json.dumps(body, separators=(",", ":"))


def url_verification_body(challenge: str, *, token: str = "verification-token") -> str:
    return json.dumps({"token": token, "challenge": challenge, "type": "url_verification"})


# --------------------------------------------------------------------------- client
class SlackClient:
    """Signs and POSTs Slack-shaped requests to an app (default path ``/slack/events``).

    ``SlackClient("http://127.0.0.1:8000", "secret")`` or ``SlackClient(client=TestClient(app),
    signing_secret="secret")`` (any ``httpx.Client``, e.g. Starlette's TestClient).
    ``response_url`` (str or zero-arg callable, e.g. ``lambda: fake.response_url("cmd")``) is the
    default for commands and actions.
    """

    def __init__(
        self,
        base_url: str | None = None,
        signing_secret: str = "secret",
        *,
        client: httpx.Client | None = None,
        path: str = "/slack/events",
        response_url: str | Callable[[], str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        if client is None:
            if base_url is None:
                raise ValueError("give base_url or client")
            client = httpx.Client(base_url=base_url, timeout=timeout)
            self._owns_client = True
        else:
            self._owns_client = False
        self.http = client
        self.signing_secret = signing_secret
        self.path = path
        self.response_url = response_url

    def close(self) -> None:
        if self._owns_client:
            self.http.close()

    def __enter__(self) -> "SlackClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _default_response_url(self) -> str:
        if self.response_url is None:
            return UNSET_RESPONSE_URL
        return self.response_url() if callable(self.response_url) else self.response_url

    def post(
        self,
        body: str,
        *,
        content_type: str = FORM,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        timestamp: int | None = None,
        bad_signature: bool = False,
        headers: dict | None = None,
    ) -> httpx.Response:
        """Sign ``body`` and POST it. ``bad_signature`` signs with a wrong secret."""
        ts = int(time.time()) if timestamp is None else int(timestamp)
        secret = self.signing_secret + "-wrong" if bad_signature else self.signing_secret
        h = sign(body, secret, ts)
        h["Content-Type"] = content_type
        if retry_num is not None:
            h["X-Slack-Retry-Num"] = str(retry_num)
            h["X-Slack-Retry-Reason"] = retry_reason
        if headers:
            h.update(headers)
        return self.http.post(self.path, content=body.encode("utf-8"), headers=h)

    @staticmethod
    def _split(kwargs: dict) -> dict:
        keys = ("retry_num", "retry_reason", "timestamp", "bad_signature", "headers")
        return {k: kwargs.pop(k) for k in keys if k in kwargs}

    def command(self, command: str = "/log", text: str = "", **kwargs: Any) -> httpx.Response:
        send = self._split(kwargs)
        kwargs.setdefault("response_url", self._default_response_url())
        return self.post(slash_command_body(command, text, **kwargs), **send)

    def action(self, **kwargs: Any) -> httpx.Response:
        send = self._split(kwargs)
        if kwargs.get("view") is None:
            kwargs.setdefault("response_url", self._default_response_url())
        return self.post(block_actions_body(**kwargs), **send)

    def submit(self, **kwargs: Any) -> httpx.Response:
        send = self._split(kwargs)
        return self.post(view_submission_body(**kwargs), **send)

    def close_view(self, **kwargs: Any) -> httpx.Response:
        send = self._split(kwargs)
        return self.post(view_closed_body(**kwargs), **send)

    def suggest(self, **kwargs: Any) -> httpx.Response:
        send = self._split(kwargs)
        return self.post(block_suggestion_body(**kwargs), **send)

    def event(self, event: dict, **kwargs: Any) -> httpx.Response:
        send = self._split(kwargs)
        return self.post(event_body(event, **kwargs), content_type=JSON, **send)

    def url_verification(self, challenge: str, **kwargs: Any) -> httpx.Response:
        send = self._split(kwargs)
        return self.post(url_verification_body(challenge), content_type=JSON, **send)
