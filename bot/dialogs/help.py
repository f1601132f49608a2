"""``/carnet help``: what Carnet can do, in the member's language."""

from __future__ import annotations

from bot.core import Reply, Text
from bot.dialogs.context import Context


def on_carnet(ctx: Context, text: str) -> Reply:
    """``/carnet`` sub-commands; only ``help`` exists so far, and is the default."""
    return Reply(
        locale=ctx.locale,
        lines=[Text("help.title"), Text("help.log"), Text("log.example"), Text("help.languages")],
    )
