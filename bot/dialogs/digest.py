"""``/carnet digest``: a manager sees now what Monday's digest would say (built by
``bot/present/reports.py``, the same as the scheduler's)."""

from __future__ import annotations

from dataclasses import replace

from bot.core import Reply, Text
from bot.dialogs.context import Context
from bot.present.reports import digest_reply
from bot.reports.coaching import weekly_digest
from bot.services import workspace_settings
from bot.services.team import team_of


def on_digest(ctx: Context, _words: list[str]) -> Reply:
    """``/carnet digest``: managers see now what Monday's digest would say.

    A digest (and its chart) is slow work: the command is answered at once with "preparing",
    and the digest itself is built in the ``later`` run of the same command, after the ack.
    Its chart goes with the reply as an attachment; each door decides where it goes."""
    if ctx.member.role not in ("manager", "admin"):
        return ctx.reply(Text("digest.refused"), ok=False)
    team = team_of(ctx.session, ctx.member)
    if not team:
        return ctx.reply(Text("pipeline.no_team"), ok=False)
    if not ctx.later:
        return replace(ctx.reply(Text("digest.preparing", {"count": len(team)})), after_ack="carnet digest")
    settings = workspace_settings.load(ctx.workspace)
    return digest_reply(ctx, weekly_digest(ctx.session, ctx.member, team, now=ctx.now, settings=settings))
