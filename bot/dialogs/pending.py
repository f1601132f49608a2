"""Commands waiting for the user's choice (an account to pick, a deal to choose, a date to confirm).

A choice is made once: taking a pending command deletes it with one conditional statement, so
of two clicks arriving together exactly one does the work; the other finds nothing to take.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from bot.core import Reply, Text
from bot.dialogs.context import Context
from storage.models import PendingCommand
from storage.queries.pending import consume, live_pending_commands, pending_command

PENDING_LIFETIME = timedelta(hours=1)


def keep(ctx: Context, kind: str, payload: dict[str, Any]) -> PendingCommand:
    """Store what the member asked, until they choose (at most an hour)."""
    pending = PendingCommand(
        workspace_id=ctx.workspace.id,
        member_id=ctx.member.id,
        kind=kind,
        payload=payload,
        created_at=ctx.now,
        expires_at=ctx.now + PENDING_LIFETIME,
    )
    ctx.session.add(pending)
    ctx.session.flush()
    return pending


def take(ctx: Context, kind: str, pending_id: int) -> PendingCommand | Reply:
    """The member's own pending ``kind`` command ``pending_id`` (now consumed), or the reply that says why not."""
    pending = pending_command(ctx.session, ctx.workspace.id, pending_id, kind)
    if pending is None or pending.expires_at < ctx.now:
        return Reply(locale=ctx.locale, lines=[Text("choice.expired")], replace_original=True, ok=False)
    if pending.member_id != ctx.member.id:
        return Reply(locale=ctx.locale, lines=[Text("choice.not_yours")], ok=False)
    if not consume(ctx.session, pending, now=ctx.now):
        # Not "expired": the other click's confirmation must stay on screen, so this answer is
        # a message of its own rather than a replacement of the original.
        return Reply(locale=ctx.locale, lines=[Text("choice.already_done")], ok=False)
    return pending


def withdraw_matching(ctx: Context, kind: str, matches: Callable[[dict[str, Any]], bool]) -> int:
    """Mark the member's live pending ``kind`` commands whose payload ``matches`` as withdrawn
    (``"withdrawn": true`` in the payload), so that their buttons say so; how many.

    They are not deleted: SQLite gives a new row the highest id + 1, so deleting the newest would
    hand its id — and its buttons on screen — to the next pending command."""
    withdrawn = 0
    for pending in live_pending_commands(ctx.session, ctx.workspace.id, ctx.member.id, kind, now=ctx.now):
        if not pending.payload.get("withdrawn") and matches(pending.payload):
            pending.payload = {**pending.payload, "withdrawn": True}
            withdrawn += 1
    return withdrawn
