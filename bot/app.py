"""Builds the Bolt app: signature checks, then one module of handlers per Slack surface."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.conversation import Conversation
from bot.handlers import choices, commands, events, forms, suggestions
from bot.handlers.deps import ARRIVED, SlackDeps


def make_web_client(token: str | None, api_url: str, *, timeout: int = 10) -> WebClient:
    """A Web API client for ``SLACK_API_URL`` (tests point it at a local fake)."""
    return WebClient(token=token, base_url=api_url, timeout=timeout)


def build_app(
    *,
    signing_secret: str,
    client: WebClient,
    conversation: Conversation,
    wake_delivery: Callable[[], None] = lambda: None,
    threads: int = 40,
    run_later: Callable[[Callable[[], None]], object] | None = None,
) -> App:
    """The Bolt app: requests without a valid, recent signature get 401 before any handler runs.

    Bolt runs each listener in its ``listener_executor`` and waits for the ack; its default pool
    has 5 threads, so with more concurrent requests the others queued until Bolt's 3 s ack wait
    ran out (a 404 to Slack) while their work still ran and was stored later. ``threads`` sizes
    it like the web door's dispatch threads."""
    app = App(
        signing_secret=signing_secret,
        client=client,
        token_verification_enabled=False,  # no auth.test at start-up: the token is checked on first call
        request_verification_enabled=True,
        listener_executor=ThreadPoolExecutor(max_workers=threads, thread_name_prefix="carnet-listener"),
    )

    @app.middleware
    def arrival(context, next):  # noqa: A002 - Bolt passes middleware arguments by name
        # The HTTP door sets it on arrival; Socket Mode requests are stamped here.
        context.setdefault(ARRIVED, time.monotonic())
        return next()

    deps = SlackDeps(conversation=conversation, wake_delivery=wake_delivery, run_later=run_later)
    commands.register(app, deps)
    choices.register(app, deps)
    forms.register(app, deps)
    suggestions.register(app, deps)
    events.register(app, deps)
    return app
