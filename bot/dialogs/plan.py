"""The /plan and /relance dialogue, the week list, and the buttons of planned items.

Nothing is planned until the account is certain (same suggestion flow as /log), and a
plan more than a year ahead waits for the rep's confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from bot.actions import Action, action, choice
from bot.core import Form, FormField, Reply, Text
from bot.dialogs import log as log_dialog
from bot.dialogs import tour as tour_dialog
from bot.dialogs.context import Context
from bot.dialogs.shape import About, AccountQuestion, Dialog, FormSpec, ended, keep_pending
from bot.grammar.datewords import read_clock
from bot.grammar.plan import PlanCommand, PlanParseError, parse_plan, parse_relance
from bot.messages import format_when, gender
from bot.present.agenda import (
    CancelPlan,
    Done,
    PlanVisit,
    Reschedule,
    SnoozeHour,
    SnoozeTomorrow,
    plan_item,
    week_list,
    when_of,
)
from bot.services.accounts import find_account, get_account
from bot.services.plans import (
    DEFAULT_HOUR,
    PlanError,
    cancel,
    create_plan,
    get_plan,
    MISSED_MEMORY,
    local_to_utc,
    plan_drift_visit,
    reschedule,
)
from storage.models import Account, Plan
from storage.queries.plans import missed_plans, plans_between

RESCHEDULE_FORM_ID = "plan.reschedule"


@dataclass(frozen=True)
class PendingPlan:
    """A /plan or /relance line waiting for its account or for a yes to a far date."""

    action_type: str
    account: str
    due_local: datetime
    has_time: bool = False
    note: str | None = None
    far_ahead: bool = False


@action("plan.confirm", payload=PendingPlan)
class ConfirmFar(Action):
    """Yes, plan it on that far date, at this account."""

    pending: int
    account: int




def on_plan(ctx: Context, text: str) -> Reply:
    """``/plan <type> <account> <when>``; alone, this week's plan; ``/plan tournée …``: a tour."""
    if tour_dialog.is_tour(text):
        return tour_dialog.on_tour(ctx, text)
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
    assert parsed.account is not None and parsed.due_local is not None and parsed.action_type is not None
    pending = PendingPlan(parsed.action_type, parsed.account, parsed.due_local, parsed.has_time, parsed.note, parsed.far_ahead)
    match = find_account(ctx.session, ctx.workspace.id, parsed.account, index=ctx.account_index)
    if match.exact is None:
        return ACCOUNT_QUESTION.ask(ctx, parsed.account, match, pending)
    if pending.far_ahead:
        return _ask_far(ctx, pending, match.exact)
    return _create(ctx, match.exact, pending)


def _ask_far(ctx: Context, pending: PendingPlan, account: Account) -> Reply:
    """More than a year ahead: plan it only after a yes."""
    pending_id = keep_pending(ctx, "plan", pending)
    when = format_when(ctx.locale, pending.due_local, has_time=pending.has_time, today=ctx.today)
    return Reply(
        locale=ctx.locale,
        lines=[Text("plan.ask_far", {"when": when})],
        choices=[
            choice(Text("choice.confirm"), ConfirmFar(pending_id, account.id), "primary"),
            choice(Text("choice.cancel"), ACCOUNT_QUESTION.Cancel(pending_id), "danger"),
        ],
    )


def _resume(ctx: Context, pending: PendingPlan, account: Account, _created: bool) -> Reply:
    """The account is now certain; a far date still wants a yes."""
    return _ask_far(ctx, pending, account) if pending.far_ahead else _create(ctx, account, pending)


ACCOUNT_QUESTION = AccountQuestion("plan", PendingPlan, _resume, cancelled="plan.pending_cancelled",
                                   create_question="plan.ask_create", names=("pick", "create_account", "drop"))


def _error(ctx: Context, error: PlanParseError) -> Reply:
    lines = [Text(f"plan.error.{error.code}", {"word": error.detail or ""})]
    if error.suggestion:
        lines.append(Text("plan.error.suggest", {"suggestion": error.suggestion}))
    lines += [Text("error.nothing_stored"), Text("plan.usage")]
    return Reply(locale=ctx.locale, lines=lines, ok=False)


def _create(ctx: Context, account: Account, parsed: PendingPlan) -> Reply:
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
            # the participle agrees with the type: "relance … repoussée", "appel … repoussé"
            "gender": gender(ctx.locale, "action_type", plan.action_type),
        },
    )


def week(ctx: Context) -> Reply:
    """What is planned from now to the end of the member's week, and what was missed."""
    today = ctx.today
    end_day = today + timedelta(days=7 - today.weekday())
    plans = plans_between(ctx.session, ctx.member, ctx.now - timedelta(hours=12), local_to_utc(datetime.combine(end_day, time.min), ctx.zone))
    return week_list(ctx, plans, missed_plans(ctx.session, ctx.member, since=ctx.now - MISSED_MEMORY))


# --------------------------------------------------------------------------- buttons


def _confirm_far(ctx: Context, act: ConfirmFar, pending: PendingPlan) -> Reply:
    account = get_account(ctx.session, ctx.workspace.id, act.account)
    if account is None:
        return ended(ctx, "choice.expired")
    reply = _create(ctx, account, pending)
    reply.replace_original = True
    return reply


def _open_item(handler: Callable[[Context, Plan], Reply]) -> Callable[[Context, Action, Plan], Reply]:
    """A button of a planned item works while the item is still planned (or missed)."""

    def on_click(ctx: Context, _act: Action, plan: Plan) -> Reply:
        if plan.status not in ("planned", "missed"):
            status = ctx.say(f"plan.status.{plan.status}")
            return ctx.reply(Text("plan.error.not_open", {"status": status}), ok=False)
        try:
            return handler(ctx, plan)
        except PlanError as error:
            return ctx.reply(Text(f"plan.error.{error.code}", {"word": "", "status": ""}), ok=False)

    return on_click


def _done(ctx: Context, plan: Plan) -> Reply:
    """The log form is the way a plan gets done."""
    return log_dialog.open_form(ctx, About(plan=plan.id), action_type=plan.action_type, account=plan.account)


def _snooze_hour(ctx: Context, plan: Plan) -> Reply:
    due = max(plan.due_at, ctx.now) + timedelta(hours=1)
    reschedule(ctx.session, plan, ctx.member, due_at=due, has_time=True, now=ctx.now)
    return ctx.reply(_plan_line(ctx, "plan.snoozed", plan))


def _snooze_tomorrow(ctx: Context, plan: Plan) -> Reply:
    local_due = plan.due_at.astimezone(ctx.zone)
    hour = local_due.time() if plan.has_time else DEFAULT_HOUR
    # The day after the item's own day (never earlier than tomorrow): "not today, the next day".
    day = max(ctx.today, local_due.date()) + timedelta(days=1)
    due = local_to_utc(datetime.combine(day, hour.replace(tzinfo=None)), ctx.zone)
    reschedule(ctx.session, plan, ctx.member, due_at=due, has_time=plan.has_time, now=ctx.now)
    return ctx.reply(_plan_line(ctx, "plan.snoozed", plan))


def _cancel(ctx: Context, plan: Plan) -> Reply:
    cancel(ctx.session, plan, ctx.member, now=ctx.now)
    return ctx.reply(_plan_line(ctx, "plan.cancelled", plan))


def _plan_drift_visit(ctx: Context, act: PlanVisit) -> Reply:
    """"Plan a visit" at a client drifting away (from the morning agenda): one visit, never two."""
    account = get_account(ctx.session, ctx.workspace.id, act.account)
    if account is None:
        return ctx.reply(Text("choice.expired"), ok=False)
    if account.owner_id != ctx.member.id:
        return ctx.reply(Text("drift.not_your_account", {"account": account.name}), ok=False)
    plan, created = plan_drift_visit(ctx.session, ctx.member, account, now=ctx.now, zone=ctx.zone)
    key = "drift.planned" if created else "drift.already_planned"
    line = Text(key, {"account": account.name, "when": when_of(ctx, plan)})
    return Reply(locale=ctx.locale, lines=[line], items=[plan_item(ctx, plan)])


# --------------------------------------------------------------------------- reschedule form


def reschedule_form(ctx: Context, plan: Plan) -> Reply:
    local_due = plan.due_at.astimezone(ctx.zone)
    form = Form(
        form_id=RESCHEDULE_FORM_ID,
        title=Text("form.plan.title"),
        submit=Text("form.plan.submit"),
        metadata=About(plan=plan.id),
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


def on_reschedule_form(ctx: Context, values: dict[str, Any], metadata: About | None = None) -> Reply:
    """The reschedule form: a new day (and maybe an hour), in the future."""
    plan_id = metadata.plan if metadata else None
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
        typed = read_clock(raw_time)
        if typed is None:
            errors["new_time"] = Text("form.error.bad_time")
        hour = typed or hour
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


DIALOG = Dialog(
    "plan",
    commands={"plan": on_plan, "relance": on_relance},
    actions={
        ConfirmFar: _confirm_far,
        Done: _open_item(_done),
        SnoozeHour: _open_item(_snooze_hour),
        SnoozeTomorrow: _open_item(_snooze_tomorrow),
        Reschedule: _open_item(reschedule_form),
        CancelPlan: _open_item(_cancel),
        PlanVisit: _plan_drift_visit,
        **ACCOUNT_QUESTION.handlers(),
    },
    forms=(FormSpec(RESCHEDULE_FORM_ID, on_reschedule_form),),
)
