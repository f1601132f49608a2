"""Type-ahead (block_suggestion): the options of an account field, looked up as the user types."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.handlers.deps import SlackDeps


def register(app: App, deps: SlackDeps) -> None:
    @app.options("account")
    def on_account_options(ack: Ack, body: dict[str, Any]) -> None:
        team_id = (body.get("team") or {}).get("id") or body["user"]["team_id"]
        user = body.get("user") or {}
        # The member's own language (Slack sends none in a block_suggestion; a locale, if any, is the fallback).
        options = deps.conversation.account_options(team_id, body.get("value") or "", user.get("locale"), user.get("id"))
        ack(options=[{"text": {"type": "plain_text", "text": label[:75]}, "value": value[:150]} for value, label in options])
