"""Builds the Bolt app: signature checks, then one module of handlers per Slack surface."""

from __future__ import annotations

from typing import Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.conversation import Conversation
from bot.handlers import choices, commands, events, forms, suggestions
from bot.handlers.deps import SlackDeps


def make_web_client(token: str | None, api_url: str, *, timeout: int = 10) -> WebClient:
    """A Web API client for ``SLACK_API_URL`` (tests point it at a local fake)."""
    return WebClient(token=token, base_url=api_url, timeout=timeout)


def build_app(
    *,
    signing_secret: str,
    client: WebClient,
    conversation: Conversation,
    wake_delivery: Callable[[], None] = lambda: None,
) -> App:
    """The Bolt app: requests without a valid, recent signature get 401 before any handler runs."""
    app = App(
        signing_secret=signing_secret,
        client=client,
        token_verification_enabled=False,  # no auth.test at start-up: the token is checked on first call
        request_verification_enabled=True,
    )
    deps = SlackDeps(conversation=conversation, wake_delivery=wake_delivery)
    commands.register(app, deps)
    choices.register(app, deps)
    forms.register(app, deps)
    suggestions.register(app, deps)
    events.register(app, deps)
    return app
