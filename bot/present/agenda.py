"""A member's planned items as Replies: the morning agenda, a visit reminder, the week list, and
one planned item with its buttons (Done, +1 h, Tomorrow, Reschedule, Cancel) wherever it shows.

The buttons' actions are declared here, with the item that offers them (the jobs show it too, and
import no dialog); ``bot/dialogs/plan.py`` answers them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.actions import Action, action, choice, row_action
from bot.core import Item, Reply, Text
from bot.messages import counted, format_clock, format_when, label, translate
from bot.present import Reader
from storage.models import Plan
from storage.queries.drift import DriftingAccount

Done = row_action("plan.done", Plan, "The planned item was done: open the log form, prefilled.")
SnoozeHour = row_action("plan.snooze_hour", Plan, "One hour later.")
SnoozeTomorrow = row_action("plan.snooze_tomorrow", Plan, "The day after the item's own day, same hour.")
Reschedule = row_action("plan.reschedule", Plan, "Open the reschedule form.")
CancelPlan = row_action("plan.cancel", Plan, "Cancel the planned item.")

AGENDA_DRIFTING = 3  # clients drifting away suggested in a morning agenda


@action("plan.drift_visit")
class PlanVisit(Action):
    """Plan a visit at a client drifting away (the rep's own account), once."""

    account: int


def when_of(reader: Reader, plan: Plan) -> str:
    """When ``plan`` is due, in the reader's words and zone ("demain 14:00")."""
    return format_when(reader.locale, plan.due_at.astimezone(reader.zone), has_time=plan.has_time, today=reader.today)


def plan_item(reader: Reader, plan: Plan, *, missed: bool = False) -> Item:
    """A planned item with its buttons: Done, +1 h, Tomorrow, Reschedule, Cancel."""
    values = {
        "when": when_of(reader, plan),
        "action_type": label(reader.locale, "action_type", plan.action_type),
        "account": plan.account.name,
        "note": f" — {plan.note}" if plan.note else "",
    }
    text = Text("plan.item_missed" if missed else "plan.item", values)
    return Item(
        text,
        [
            choice(Text("choice.done"), Done(plan.id), "primary"),
            choice(Text("choice.snooze_hour"), SnoozeHour(plan.id)),
            choice(Text("choice.snooze_tomorrow"), SnoozeTomorrow(plan.id)),
            choice(Text("choice.reschedule"), Reschedule(plan.id)),
            choice(Text("choice.cancel_plan"), CancelPlan(plan.id), "danger"),
        ],
    )


def _items(reader: Reader, planned: list[Plan], missed: list[Plan]) -> list[Item]:
    return [plan_item(reader, p) for p in planned] + [plan_item(reader, p, missed=True) for p in missed]


def week_list(reader: Reader, planned: list[Plan], missed: list[Plan]) -> Reply:
    """What is planned until the end of the reader's week, then what was missed."""
    if not planned and not missed:
        return Reply(locale=reader.locale, lines=[Text("plan.week_empty")])
    lines = [Text("plan.week_title", {"count": len(planned)})]
    return Reply(locale=reader.locale, lines=lines, items=_items(reader, planned, missed))


def agenda(reader: Reader, today: list[Plan], missed: list[Plan], drifting: Sequence[DriftingAccount] = ()) -> Reply | None:
    """The morning agenda: today's visits and follow-ups, then what was missed, then (top
    ``AGENDA_DRIFTING``) clients drifting away, each with "Plan a visit"; None when empty."""
    drifting = list(drifting)[:AGENDA_DRIFTING]
    if not today and not missed and not drifting:
        return None
    day = format_when(reader.locale, reader.local_now, has_time=False)
    lines = [Text("agenda.title", {"name": reader.display_name, "day": day})]
    items = _items(reader, today, missed) + [drifting_item(reader, d) for d in drifting]
    return Reply(locale=reader.locale, lines=lines, items=items)


def drift_reasons(locale: str, drift: DriftingAccount) -> str:
    """Why a client drifts, in words: "no contact for 100 days (usually every 14)", …"""
    words = []
    for reason in drift.reasons:
        if reason == "no_contact":
            words.append(translate(locale, "drift.reason.no_contact", count=drift.silent_days or 0,
                                   gap=counted(locale, drift.usual_gap_days or 1, "days")))
        elif reason == "orders_dropping":
            words.append(translate(locale, "drift.reason.orders_dropping", count=drift.orders_recent))
        else:
            words.append(translate(locale, f"drift.reason.{reason}"))
    return " ; ".join(words) if locale == "fr" else "; ".join(words)


def drifting_item(reader: Reader, drift: DriftingAccount) -> Item:
    """A client drifting away, with a button to plan a visit there."""
    text = Text("agenda.drifting", {"account": drift.name, "reasons": drift_reasons(reader.locale, drift)})
    return Item(text, [choice(Text("choice.plan_visit"), PlanVisit(drift.account_id), "primary")])


def reminder(reader: Reader, plan: Plan) -> Reply:
    """A reminder shortly before a timed visit, with the same buttons as in the agenda."""
    local_due = plan.due_at.astimezone(reader.zone)
    minutes = max(1, round((plan.due_at - reader.now).total_seconds() / 60))
    line = Text(
        "reminder.visit",
        {
            "minutes": minutes,
            "action_type": label(reader.locale, "action_type", plan.action_type),
            "account": plan.account.name,
            "time": format_clock(reader.locale, local_due),
        },
    )
    return Reply(locale=reader.locale, lines=[line], items=[plan_item(reader, plan)])
