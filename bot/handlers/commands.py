"""Slash commands: every command is turned into a neutral Request and answered in the ack.

When the Reply is a form, the ack is empty and the modal opens through ``views.open``
(the trigger_id lives 3 seconds, so this call cannot wait in the outbox). When the Reply
promises slow work (``after_ack``, e.g. a digest), that work runs after the ack — Bolt has
already answered Slack once ``ack`` is called — and its answer goes through the outbox to
the command's ``response_url``; its attachments (a digest's chart) follow in the member's DM.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.core import Request, ToMember, ToReplyUrl
from bot.handlers import full_copy
from bot.handlers.deps import SlackDeps
from bot.render.blocks import form_view, reply_message

logger = logging.getLogger(__name__)

COMMANDS = ("/log", "/carnet", "/opp", "/pipeline", "/plan", "/relance", "/compte", "/account")
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL_MENTION = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>")


def neutral_text(text: str) -> str:
    """A command's text with Slack's references in Carnet's neutral form, the only one dialogs read:
    ``<@U123|bob>`` → ``@U123|bob`` (``@U123`` without a name), ``<#C123|ventes>`` → ``#C123``."""
    text = _USER_MENTION.sub(lambda m: f"@{m[1]}|{m[2]}" if m[2] else f"@{m[1]}", text)
    return _CHANNEL_MENTION.sub(r"#\1", text)


def command_request(body: dict[str, Any]) -> Request:
    """A slash command payload → Request (the trigger_id makes Slack's retries recognisable)."""
    trigger = body.get("trigger_id")
    return Request(
        team_id=body["team_id"],
        user_id=body["user_id"],
        command=body["command"].lstrip("/"),
        # Slack escapes &, < and > in a command's text; mentions (<@U1|bob>) stay as they are.
        text=neutral_text((body.get("text") or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")),
        request_key=f"command:{trigger}" if trigger else None,
    )


def later_request(request: Request, after_ack: str, response_url: str | None) -> Request:
    """The slow part of ``request`` (its Reply's ``after_ack``), answered through the outbox.

    Its key derives from the command's, so a retried command (same trigger_id) whose reply is
    replayed does not build or send the slow part twice."""
    command, _, text = after_ack.partition(" ")
    destination = ToReplyUrl(response_url) if response_url else ToMember(request.user_id)
    return replace(
        request,
        command=command,
        text=text,
        request_key=f"{request.request_key}:later" if request.request_key else None,
        deliver_to=destination,
        later=True,
    )


def register(app: App, deps: SlackDeps) -> None:
    def on_command(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        request = command_request(body)
        reply = deps.conversation.handle(request, deadline=deps.deadline(context))
        if reply.form is None:
            shown = full_copy.mark(reply)  # too long for one message: say so, send the whole as a file
            ack(reply_message(shown))
            if shown.full_copy and full_copy.queue(deps.conversation, request, shown):
                deps.wake_delivery()
            if full_copy.queue_attachments(deps.conversation, request, reply):
                deps.wake_delivery()
            if reply.after_ack:
                later = later_request(request, reply.after_ack, body.get("response_url"))

                def slow_part() -> None:
                    answer = deps.conversation.handle(later)
                    full_copy.queue(deps.conversation, later, answer)
                    full_copy.queue_attachments(deps.conversation, later, answer)  # a digest's chart: to the DM
                    deps.wake_delivery()

                (deps.run_later or (lambda work: work()))(slow_part)
            return
        ack()
        view = form_view(reply.form, reply.locale, channel=body.get("channel_id"))
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception:
            logger.exception("views.open failed for %s", body.get("command"))

    for command in COMMANDS:
        app.command(command)(on_command)
