"""What the Slack handlers need, handed over once at registration (no globals)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from bot.conversation import Conversation

ARRIVED = "carnet_arrived"  # Bolt context key: time.monotonic() when the request reached Carnet
# Slack waits 3 s for the ack. Work not ready to commit 2 s after the request arrived is rolled
# back: the second left covers the commit, rendering, the way back to Slack and the time the
# request spent before Carnet saw it (the accept queue of a busy process: benchmarks/load.py saw
# requests that Slack would have given up on committed with a 2.5 s budget).
ACK_BUDGET = 2.0


@dataclass(frozen=True)
class SlackDeps:
    conversation: Conversation
    wake_delivery: Callable[[], None]  # tells the outbox worker a row is waiting
    ack_budget: float = ACK_BUDGET
    # Runs the slow part of a command after its ack, off Bolt's listener threads (which answer
    # the next requests); None runs it in the listener's thread.
    run_later: Callable[[Callable[[], None]], object] | None = None

    def deadline(self, context: Mapping[str, Any]) -> float:
        """The instant (``time.monotonic()``) after which a request's work must not be committed."""
        return float(context.get(ARRIVED) or time.monotonic()) + self.ack_budget
