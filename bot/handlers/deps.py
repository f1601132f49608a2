"""What the Slack handlers need, handed over once at registration (no globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bot.conversation import Conversation


@dataclass(frozen=True)
class SlackDeps:
    conversation: Conversation
    wake_delivery: Callable[[], None]  # tells the outbox worker a row is waiting
