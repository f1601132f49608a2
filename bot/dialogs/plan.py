"""The /plan and /relance dialogue, the week list, and the buttons of agendas and reminders.

Nothing is planned until the account is certain (same suggestion flow as /log), and a
plan more than a year ahead waits for the rep's confirmation.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.core import Choice, Form, FormField, Item, Reply, Text
from bot.dialogs import pending as pending_commands
from bot.dialogs.context import Context
from bot.grammar.plan import PlanCommand, PlanParseError, parse_plan, parse_relance
from bot.messages import format_clock, format_when
from bot.services.accounts import create_account, find_account, get_account
from bot.services.plans import (
    DEFAULT_HOUR,
    PlanError,
    cancel,
    create_plan,
    get_plan,
    local_to_utc,
    plans_between,
    reschedule,
)
from storage.models import Account, Plan, PendingCommand

RESCHEDULE_FORM_ID = "plan.reschedule"
_CLOCK = re.compile(r"^\s*(\d{1,2})\s*(?:[h:.]\s*(\d{2})?)?\s*$", re.I)


def on_plan(ctx: Context, text: str) -> Reply:
    """``/plan <type> <account> <when>``; alone, this week's plan."""
    return _on_words(ctx, parse_plan(text, now_local=_naive_now(ctx), languages=ctx.languages))


def on_relance(ctx: Context, text: str) -> Reply:
    """``/relance <account> <when>``."""
    if not text.strip():
        return _error(ctx, PlanParseError("missing_account", {}))
    return _on_words(ctx, parse_relance(text, now_local=_naive_now(ctx), languages=ctx.languages))


def _naive_now(ctx: Context) -> datetime:
    return ctx.local_now.replace(tzinfo=None, second=0, microsecond=0)


def _on_words(ctx: Context, parsed: PlanCommand | PlanParseError) -> Reply:
    if isinstance(parsed, PlanParseError):
        return _error(ctx, parsed)
    if parsed.kind == "list":
        return week(ctx)
    assert parsed.account is not None
    match = find_account(ctx.session, ctx.workspace.id, parsed.account, index=ctx.account_index)
    if match.exact is not None and not parsed.far_ahead:
        return _create(ctx, match.exact, parsed)
    pending = _keep_pending(ctx, parsed)
    if match.exact is not None:  # far ahead: ask to confirm first
        when = format_when(ctx.locale, parsed.due_local, has_time=parsed.has_time, today=ctx.today)  # type: ignore[arg-type]
        return Reply(
            locale=ctx.locale,
            lines=[Text("plan.ask_far", {"when": when})],
            choices=[
                Choice(Text("choice.confirm"), f"plan.confirm:{pending.id}:{match.exact.id}", "primary"),
                Choice(Text("choice.cancel"), f"plan.drop:{pending.id}", "danger"),
            ],
        )
    choices = [Choice(Text("plain", {"text": a.name}), f"plan.pick:{pending.id}:{a.id}") for a in match.suggestions]
    choices.append(Choice(Text("choice.create_account", {"name": parsed.account}), f"plan.create_account:{pending.id}", "primary"))
    choices.append(Choice(Text("choice.cancel"), f"plan.drop:{pending.id}", "danger"))
    question = "log.ask_account" if match.suggestions else "log.ask_create"
    return Reply(locale=ctx.locale, lines=[Text(question, {"typed": parsed.account})], choices=choices)


def _error(ctx: Context, error: PlanParseError) -> Reply:
    lines = [Text(f"plan.error.{error.code}", {"word": error.detail or ""})]
    if error.suggestion:
        lines.append(Text("plan.error.suggest", {"suggestion": error.suggestion}))
    lines += [Text("log.error.nothing_stored"), Text("plan.usage")]
    return Reply(locale=ctx.locale, lines=lines, ok=False)


def _keep_pending(ctx: Context, parsed: PlanCommand) -> PendingCommand:
    payload = {
        "action_type": parsed.action_type,
        "account": parsed.account,
        "due_local": parsed.due_local.isoformat() if parsed.due_local else None,
        "has_time": parsed.has_time,
        "note": parsed.note,
        "far_ahead": parsed.far_ahead,
    }
    return pending_commands.keep(ctx, "plan", payload)


def _create(ctx: Context, account: Account, parsed: PlanCommand) -> Reply:
    assert parsed.due_local is not None and parsed.action_type is not None
    try:
        plan = create_plan(
            ctx.session,
            ctx.member,
            account,
            action_type=parsed.action_type,
            due_at=local_to_utc(parsed.due_local, ctx.zone),
            has_time=parsed.has_time,
            now=ctx.now,
            note=parsed.note,
        )
    except PlanError as error:  # the moment passed while the rep was choosing
        return ctx.reply(Text(f"plan.error.{error.code}", {"word": parsed.due_local.isoformat(" ", "minutes")}), ok=False)
    return Reply(locale=ctx.locale, lines=[_plan_line(ctx, "plan.created", plan)], items=[plan_item(ctx, plan)])


def _plan_line(ctx: Context, key: str, plan: Plan) -> Text:
    return Text(
        key,
        {
            "action_type": ctx.label("action_type", plan.action_type),
            "account": plan.account.name,
            "when": when_of(ctx, plan),
        },
    )


def when_of(ctx: Context, plan: Plan) -> str:
    return format_when(ctx.locale, plan.due_at.astimezone(ctx.zone), has_time=plan.has_time, today=ctx.today)


def plan_item(ctx: Context, plan: Plan, *, missed: bool = False) -> Item:
    """A planned item with its buttons: Done, +1 h, Tomorrow, Reschedule, Cancel."""
    values = {
        "when": when_of(ctx, plan),
        "action_type": ctx.label("action_type", plan.action_type),
        "account": plan.account.name,
        "note": f" — {plan.note}" if plan.note else "",
    }
    text = Text("plan.item_missed" if missed else "plan.item", values)
    return Item(
        text,
        [
            Choice(Text("choice.done"), f"plan.done:{plan.id}", "primary"),
            Choice(Text("choice.snooze_hour"), f"plan.snooze_hour:{plan.id}"),
            Choice(Text("choice.snooze_tomorrow"), f"plan.snooze_tomorrow:{plan.id}"),
            Choice(Text("choice.reschedule"), f"plan.reschedule:{plan.id}"),
            Choice(Text("choice.cancel_plan"), f"plan.cancel:{plan.id}", "danger"),
        ],
    )


def week(ctx: Context) -> Reply:
    """What is planned from now to the end of the member's week, and what was missed."""
    today = ctx.today
    end_day = today + timedelta(days=7 - today.weekday())
    plans = plans_between(ctx.session, ctx.member, ctx.now - timedelta(hours=12), local_to_utc(datetime.combine(end_day, time.min), ctx.zone))
    missed = list(
        ctx.session.scalars(
            select(Plan)
            .where(
                Plan.workspace_id == ctx.workspace.id,
                Plan.member_id == ctx.member.id,
                Plan.status == "missed",
                Plan.due_at >= ctx.now - timedelta(days=14),
            )
            .order_by(Plan.due_at)
        )
    )
    if not plans and not missed:
        return ctx.reply(Text("plan.week_empty"))
    items = [plan_item(ctx, p) for p in plans] + [plan_item(ctx, p, missed=True) for p in missed]
    lines = [Text("plan.week_title", {"count": len(plans)})]
    return Reply(locale=ctx.locale, lines=lines, items=items)


# --------------------------------------------------------------------------- choices


def on_choice(ctx: Context, name: str, args: list[str]) -> Reply:
    """Buttons: confirm / pick / create / drop a pending plan, and Done, Snooze, Reschedule, Cancel."""
    if name in ("confirm", "pick", "create_account", "drop"):
        return _pending_choice(ctx, name, args)
    if not args or not args[0].isdigit():
        return ctx.reply(Text("choice.unknown"), ok=False)
    plan = get_plan(ctx.session, ctx.workspace.id, int(args[0]))
    if plan is None:
        return ctx.reply(Text("choice.expired"), ok=False)
    if plan.member_id != ctx.member.id:
        return ctx.reply(Text("plan.error.not_yours"), ok=False)
    if plan.status not in ("planned", "missed"):
        status = ctx.say(f"plan.status.{plan.status}")
        return ctx.reply(Text("plan.error.not_open", {"status": status}), ok=False)
    try:
        if name == "done":
            from bot.dialogs import log as log_dialog  # the log form is the way a plan gets done

            return log_dialog.open_form(
                ctx, metadata=json.dumps({"plan": plan.id}), action_type=plan.action_type, account=plan.account
            )
        if name == "snooze_hour":
            due = max(plan.due_at, ctx.now) + timedelta(hours=1)
            reschedule(ctx.session, plan, ctx.member, due_at=due, has_time=True, now=ctx.now)
            return ctx.reply(_plan_line(ctx, "plan.snoozed", plan))
        if name == "snooze_tomorrow":
            local_due = plan.due_at.astimezone(ctx.zone)
            hour = local_due.time() if plan.has_time else DEFAULT_HOUR
            # The day after the item's own day (never earlier than tomorrow): "not today, the next day".
            day = max(ctx.today, local_due.date()) + timedelta(days=1)
            due = local_to_utc(datetime.combine(day, hour.replace(tzinfo=None)), ctx.zone)
            reschedule(ctx.session, plan, ctx.member, due_at=due, has_time=plan.has_time, now=ctx.now)
            return ctx.reply(_plan_line(ctx, "plan.snoozed", plan))
        if name == "reschedule":
            return reschedule_form(ctx, plan)
        if name == "cancel":
            cancel(ctx.session, plan, ctx.member, now=ctx.now)
            return ctx.reply(_plan_line(ctx, "plan.cancelled", plan))
    except PlanError as error:
        return ctx.reply(Text(f"plan.error.{error.code}", {"word": "", "status": ""}), ok=False)
    return ctx.reply(Text("choice.unknown"), ok=False)


def _pending_choice(ctx: Context, name: str, args: list[str]) -> Reply:
    pending = pending_commands.take(ctx, "plan", args[0] if args else "")
    if isinstance(pending, Reply):
        return pending
    payload = dict(pending.payload)
    if name == "drop":
        return Reply(locale=ctx.locale, lines=[Text("plan.pending_cancelled")], replace_original=True)
    account: Account | None
    if name == "create_account":
        account = create_account(ctx.session, ctx.workspace.id, payload["account"], owner_id=ctx.member.id, now=ctx.now)
    else:
        account = get_account(ctx.session, ctx.workspace.id, int(args[1])) if len(args) > 1 and args[1].isdigit() else None
    if account is None:
        return Reply(locale=ctx.locale, lines=[Text("choice.expired")], replace_original=True, ok=False)
    parsed = PlanCommand(
        kind="plan",
        action_type=payload["action_type"],
        account=payload["account"],
        due_local=datetime.fromisoformat(payload["due_local"]),
        has_time=payload["has_time"],
        note=payload.get("note"),
        far_ahead=bool(payload.get("far_ahead")) and name != "confirm",
    )
    if parsed.far_ahead:  # the account is now certain; the far date still wants a yes
        reply = _on_words(ctx, replace(parsed, account=account.name))
    else:
        reply = _create(ctx, account, parsed)
    reply.replace_original = True
    return reply


# --------------------------------------------------------------------------- reschedule form


def reschedule_form(ctx: Context, plan: Plan) -> Reply:
    local_due = plan.due_at.astimezone(ctx.zone)
    form = Form(
        form_id=RESCHEDULE_FORM_ID,
        title=Text("form.plan.title"),
        submit=Text("form.plan.submit"),
        metadata=json.dumps({"plan": plan.id}),
        fields=[
            FormField("new_date", Text("form.field.new_date"), "date", True, initial=local_due.date().isoformat()),
            FormField(
                "new_time",
                Text("form.field.new_time"),
                "text",
                initial=local_due.strftime("%H:%M") if plan.has_time else None,
            ),
        ],
    )
    return Reply(locale=ctx.locale, form=form)


def on_reschedule_form(ctx: Context, values: dict[str, Any], metadata: str = "") -> Reply:
    """The reschedule form: a new day (and maybe an hour), in the future."""
    try:
        plan_id = int(json.loads(metadata).get("plan")) if metadata.startswith("{") else None
    except (ValueError, TypeError):
        plan_id = None
    plan = get_plan(ctx.session, ctx.workspace.id, plan_id) if plan_id else None
    if plan is None or plan.member_id != ctx.member.id:
        return Reply(locale=ctx.locale, field_errors={"new_date": Text("choice.expired")}, ok=False)
    errors: dict[str, Text] = {}
    day: date | None = None
    try:
        day = date.fromisoformat(str(values.get("new_date") or ""))
    except ValueError:
        errors["new_date"] = Text("form.error.bad_date")
    hour = DEFAULT_HOUR
    raw_time = str(values.get("new_time") or "").strip()
    if raw_time:
        match = _CLOCK.match(raw_time)
        if match and int(match.group(1)) < 24 and int(match.group(2) or 0) < 60:
            hour = time(int(match.group(1)), int(match.group(2) or 0))
        else:
            errors["new_time"] = Text("form.error.bad_time")
    if errors or day is None:
        return Reply(locale=ctx.locale, field_errors=errors, ok=False)
    due = local_to_utc(datetime.combine(day, hour), ctx.zone)
    if due <= ctx.now:
        return Reply(locale=ctx.locale, field_errors={"new_date": Text("form.error.past")}, ok=False)
    try:
        reschedule(ctx.session, plan, ctx.member, due_at=due, has_time=bool(raw_time), now=ctx.now)
    except PlanError as error:
        status = ctx.say(f"plan.status.{plan.status}")
        return Reply(locale=ctx.locale, field_errors={"new_date": Text(f"plan.error.{error.code}", {"status": status})}, ok=False)
    return ctx.reply(_plan_line(ctx, "plan.rescheduled", plan))




# --------------------------------------------------------------------------- agenda and reminders


def agenda(ctx: Context, today: list[Plan], missed: list[Plan]) -> Reply | None:
    """The morning agenda: today's visits and follow-ups, then what was missed; None when empty."""
    if not today and not missed:
        return None
    lines = [Text("agenda.title", {"name": ctx.member.display_name, "day": format_when(ctx.locale, ctx.local_now, has_time=False)})]
    items = [plan_item(ctx, p) for p in today] + [plan_item(ctx, p, missed=True) for p in missed]
    return Reply(locale=ctx.locale, lines=lines, items=items)


def reminder(ctx: Context, plan: Plan) -> Reply:
    """A reminder shortly before a timed visit, with the same buttons as in the agenda."""
    local_due = plan.due_at.astimezone(ctx.zone)
    minutes = max(1, round((plan.due_at - ctx.now).total_seconds() / 60))
    line = Text(
        "reminder.visit",
        {
            "minutes": minutes,
            "action_type": ctx.label("action_type", plan.action_type),
            "account": plan.account.name,
            "time": format_clock(ctx.locale, local_due),
        },
    )
    return Reply(locale=ctx.locale, lines=[line], items=[plan_item(ctx, plan)])
