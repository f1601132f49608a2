"""``/plan tournée semaine prochaine`` (``/plan tour next week``): a proposed week of visits.

The proposal is kept as a pending command: **Accept** plans every line (once: the pending command
is taken by one click), **Drop** on a line proposes the rest again, **Cancel** plans nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from bot.actions import Action, action, choice
from bot.core import Item, Reply, Text
from bot.dialogs.context import Context
from bot.dialogs.shape import Dialog, ended, keep_pending
from bot.grammar.normalize import fold
from bot.messages import format_day, format_when
from bot.services import tour, workspace_settings
from bot.services.tour import TourLine

TOUR_WORDS = ("tournee", "tour", "tournees", "tours")
NEXT_WEEK = ("semaine prochaine", "la semaine prochaine", "pour la semaine prochaine", "next week", "for next week", "")
THIS_WEEK = ("cette semaine", "this week")


@dataclass(frozen=True)
class PendingTour:
    """The lines of a proposed tour, waiting for Accept, Drop or Cancel."""

    lines: list[TourLine] = field(default_factory=list)


@action("tour.accept", payload=PendingTour)
class AcceptTour(Action):
    """Plan every line of the tour."""

    pending: int


@action("tour.drop", payload=PendingTour)
class DropLine(Action):
    """Take one account out of the proposal."""

    pending: int
    account: int


@action("tour.cancel", payload=PendingTour)
class CancelTour(Action):
    """Plan nothing."""

    pending: int


def is_tour(text: str) -> bool:
    """Whether a /plan line asks for a tour (its first word)."""
    words = text.split()
    return bool(words) and fold(words[0]) in TOUR_WORDS


def on_tour(ctx: Context, text: str) -> Reply:
    """``/plan tournée [semaine prochaine | cette semaine]``: propose the week's visits."""
    rest = " ".join(fold(w) for w in text.split()[1:])
    if rest not in NEXT_WEEK + THIS_WEEK:
        return ctx.reply(Text("tour.error.when", {"words": " ".join(text.split()[1:])}), Text("error.nothing_stored"),
                         Text("tour.usage"), ok=False)
    first, last = tour.week_of(ctx.today, next_week=rest in NEXT_WEEK)
    settings = workspace_settings.load(ctx.workspace)
    found = tour.candidates(ctx.session, ctx.member, settings, now=ctx.now, first=first, last=last)
    lines = tour.propose(found, first, last, settings.tour_visits_per_day)
    if not lines:
        return ctx.reply(Text("tour.nothing", {"start": format_day(ctx.locale, first)}))
    return _proposal(ctx, PendingTour(lines), waiting=len(found) - len(lines))


def _proposal(ctx: Context, pending: PendingTour, *, waiting: int = 0) -> Reply:
    pending_id = keep_pending(ctx, "tour", pending)
    head = [Text("tour.title", {"count": len(pending.lines), "start": format_day(ctx.locale, pending.lines[0].day)})]
    if waiting > 0:
        head.append(Text("tour.waiting", {"count": waiting}))
    items = [
        Item(
            Text("tour.line", {
                "day": format_when(ctx.locale, datetime.combine(line.day, time(9)), has_time=False, today=ctx.today),
                "account": line.account,
                "place": line.place or ctx.say("tour.no_place"),
                "reason": ctx.say(f"tour.reason.{line.reason}"),
            }),
            [choice(Text("choice.tour.drop"), DropLine(pending_id, line.account_id))],
        )
        for line in pending.lines
    ]
    return Reply(
        locale=ctx.locale,
        lines=head,
        items=items,
        choices=[
            choice(Text("choice.tour.accept", {"count": len(pending.lines)}), AcceptTour(pending_id), "primary"),
            choice(Text("choice.cancel"), CancelTour(pending_id), "danger"),
        ],
    )


def _lines(pending: PendingTour) -> list[TourLine]:
    """The lines of a pending tour as read back from the database (plain data) or as kept."""
    return [
        line if isinstance(line, TourLine) else TourLine(
            int(line["account_id"]), str(line["account"]), date.fromisoformat(line["day"]), line.get("place"), str(line["reason"])
        )
        for line in pending.lines
    ]


def _accept(ctx: Context, _act: AcceptTour, pending: PendingTour) -> Reply:
    created, skipped = tour.accept(ctx.session, ctx.member, _lines(pending), now=ctx.now)
    lines = [Text("tour.accepted", {"count": len(created)})]
    if skipped:
        lines.append(Text("tour.skipped", {"count": len(skipped), "accounts": ", ".join(l.account for l in skipped)}))
    return Reply(locale=ctx.locale, lines=lines, replace_original=True)


def _drop(ctx: Context, act: DropLine, pending: PendingTour) -> Reply:
    rest = [line for line in _lines(pending) if line.account_id != act.account]
    if not rest:
        return ended(ctx, "tour.all_dropped", ok=True)
    reply = _proposal(ctx, PendingTour(rest))
    reply.replace_original = True
    return reply


def _cancel(ctx: Context, _act: CancelTour, _pending: PendingTour) -> Reply:
    return ended(ctx, "tour.cancelled", ok=True)


DIALOG = Dialog("tour", actions={AcceptTour: _accept, DropLine: _drop, CancelTour: _cancel})
