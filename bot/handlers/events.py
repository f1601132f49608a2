"""Events API: the App Home tab is rendered when a member opens it (retries deduplicated by event_id)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.core import Request, ToHome
from bot.handlers.deps import SlackDeps


def register(app: App, deps: SlackDeps) -> None:
    @app.event("app_home_opened")
    def on_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return  # the Messages tab needs nothing
        request = Request(
            team_id=body.get("team_id") or event.get("view", {}).get("team_id", ""),
            user_id=event["user"],
            command="home",
            request_key=f"event:{body.get('event_id')}",
            deliver_to=ToHome(event["user"]),
        )
        deps.conversation.handle(request)
        deps.wake_delivery()
