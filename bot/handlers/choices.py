"""Buttons (block_actions): ack at once, then answer through the outbox to the response_url."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.core import Request, ToMember, ToReplyUrl
from bot.handlers.deps import SlackDeps
from bot.render.blocks import CHOICE_ACTION_PREFIX, form_view

CHOICE_ACTION = re.compile("^" + re.escape(CHOICE_ACTION_PREFIX) + r"\.")


def choice_request(body: dict[str, Any], action: dict[str, Any]) -> Request:
    team_id = (body.get("team") or {}).get("id") or body["user"]["team_id"]
    destination = ToReplyUrl(body["response_url"]) if body.get("response_url") else ToMember(body["user"]["id"])
    return Request(
        team_id=team_id,
        user_id=body["user"]["id"],
        choice=action.get("value") or (action.get("selected_option") or {}).get("value") or "",
        request_key=f"action:{body.get('trigger_id') or action.get('action_ts')}",
        deliver_to=destination,
    )


def register(app: App, deps: SlackDeps) -> None:
    @app.action(CHOICE_ACTION)
    def on_choice(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()  # Slack wants the ack within 3 s; the answer follows through the outbox
        reply = deps.conversation.handle(choice_request(body, action))
        if reply.form is not None:
            # A button that opens a form: the click's trigger_id lives 3 s, so no queue here.
            channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
            view = form_view(reply.form, reply.locale, channel=channel)
            client.views_open(trigger_id=body["trigger_id"], view=view)
            return
        deps.wake_delivery()
