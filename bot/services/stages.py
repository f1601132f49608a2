"""The stages of a deal, defined once: the open ones in pipeline order, then the two that close it.

Reports sort by this order, settings give each stage a probability, and the /opp grammar maps its
words onto these codes.
"""

from __future__ import annotations

OPEN_STAGES = ("lead", "qualification", "proposal", "negotiation", "closing")
CLOSED_STAGES = ("won", "lost")  # also the status of a closed deal
STAGES = OPEN_STAGES + CLOSED_STAGES


def stage_order(stage: str) -> int:
    """Where ``stage`` sorts in the pipeline: lead first, closing last, anything else after them."""
    return OPEN_STAGES.index(stage) if stage in OPEN_STAGES else 99


def stages_from(stage: str) -> tuple[str, ...]:
    """``stage`` and the open stages after it (``proposal`` → proposal, negotiation, closing)."""
    return OPEN_STAGES[OPEN_STAGES.index(stage):]
