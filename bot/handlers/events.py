"""Events API: the App Home tab is rendered when a member opens it, a member's message in the
app's Messages tab is read and answered in that DM (retries deduplicated, edits read again), and a
member's new language or time zone (``user_change``) is learnt."""

from __future__ import annotations

import re
from typing import Any, Callable

from slack_bolt import App

from bot.core import Request, ToHome, ToMember
from bot.handlers.deps import SlackDeps
from bot.slack_profiles import profile_of

# <https://x.com|x.com>, <mailto:a@b.c|a@b.c>, <@U123>: Slack's markup of what the member typed.
_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>|<([^<>]*)>")


def message_request(body: dict[str, Any], event: dict[str, Any]) -> Request | None:
    """A member's message to Carnet → Request; None for every other message event.

    Read: a plain message in the app's DM (``message.im``), and its edits (``message_changed``),
    which answer as ``message_edit`` with the same ``reference`` (the message's ``ts``) so that
    the proposal of the first version is withdrawn. Ignored: bots (Carnet's own messages and their
    updates), changes that are not the member's edit (an unfurled link), other subtypes (joins,
    deletions, files…), other channels, empty text.
    A retry of the same event carries the same ``client_msg_id`` (an edit: the same edit ``ts``):
    that ``request_key`` makes the conversation answer it once."""
    if event.get("channel_type") != "im":
        return None
    if event.get("subtype") is None:
        message, command = event, "message"
        key = f"message:{event.get('client_msg_id') or body.get('event_id')}"
    elif event.get("subtype") == "message_changed":
        message, command = event.get("message") or {}, "message_edit"
        if not message.get("edited") or message.get("text") == (event.get("previous_message") or {}).get("text"):
            return None  # Slack changed it (a link unfurled), not the member: nothing new to read
        key = f"message_edit:{message.get('ts')}:{(message.get('edited') or {}).get('ts') or body.get('event_id')}"
    else:
        return None
    user = message.get("user")
    if not user or message.get("bot_id") or message.get("subtype") or event.get("bot_id"):
        return None
    text = _plain(message.get("text") or "")
    if not text.strip():
        return None
    return Request(
        team_id=body.get("team_id") or message.get("team") or "",
        user_id=user,
        command=command,
        text=text,
        request_key=key,
        deliver_to=ToMember(user),
        reference=message.get("ts"),
    )


def _plain(text: str) -> str:
    """The words as the member typed them: links and mentions by their label, entities unescaped."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1) or m.group(3) or "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def register(app: App, deps: SlackDeps) -> None:
    @app.event("app_home_opened")
    def on_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return  # the Messages tab needs nothing
        request = Request(
            team_id=body.get("team_id") or (event.get("view") or {}).get("team_id") or "",
            user_id=event["user"],
            command="home",
            request_key=f"event:{body.get('event_id')}",
            deliver_to=ToHome(event["user"]),
        )
        deps.conversation.handle(request)
        deps.wake_delivery()

    @app.event("user_change")
    def on_user_change(body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user") or {}
        team_id = body.get("team_id") or user.get("team_id") or ""
        if user.get("id") and team_id:
            deps.conversation.profile_changed(team_id, user["id"], profile_of(user))

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        request = message_request(body, event)
        if request is None:
            return
        deps.conversation.handle(request)
        deps.wake_delivery()


def register_uninstall(app: App, on_uninstall: Callable[[str], None]) -> None:
    """app_uninstalled, and tokens_revoked of the bot token: the workspace is told to stop at once.

    Bolt acks events itself, then runs these at once; a retry of the event changes nothing."""

    @app.event("app_uninstalled")
    def on_app_uninstalled(body: dict[str, Any]) -> None:
        on_uninstall(body.get("team_id") or "")

    @app.event("tokens_revoked")
    def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        if (event.get("tokens") or {}).get("bot"):  # user tokens alone: Carnet holds none
            on_uninstall(body.get("team_id") or "")
