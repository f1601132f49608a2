"""The /log dialogue: read the words, find the account, store one action, offer Undo.

Nothing is stored until the account is certain: an unknown name stores a pending
command and asks the rep to pick a suggestion, create the account or cancel.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from bot.actions import Action, action, choice
from bot.core import Fact, Form, FormField, Reply, Text
from bot.dialogs.context import Context
from bot.dialogs.fields import account_field, resolve_account_field
from bot.dialogs import opp as opp_dialog
from bot.dialogs.shape import About, AccountQuestion, Dialog, FormSpec
from bot.grammar import vocabulary
from bot.grammar.log import MAX_ACCOUNT_LENGTH, MAX_NOTE_LENGTH, MAX_TEXT_LENGTH, LogCommand, LogParseError, parse_log
from bot.messages import format_day, format_money, format_when
from bot.services import workspace_settings
from bot.services.plans import auto_relance, complete_matching_plans, get_plan, mark_done
from bot.services.accounts import create_account, find_account
from bot.services.actions import ActionDraft, UndoOutcome, record_action, undo_action
from storage.models import Account, Action as ActionRow

FORM_ID = "log.form"


@dataclass(frozen=True)
class PendingLog(ActionDraft):
    """A /log line waiting for its account: the action, the name typed, the door it came through."""

    account: str = ""
    source: str = ""  # the door it came through, stored with the action


@action("log.undo")
class Undo(Action):
    """Undo the action just logged (for 10 minutes)."""

    action_id: int


@action("log.open_form")
class OpenForm(Action):
    """Open the /log form."""


# --------------------------------------------------------------------------- command


def on_command(ctx: Context, text: str) -> Reply:
    """``/log <words>``; with no words, the form."""
    if not text.strip():
        return open_form(ctx)
    parsed = parse_log(text, today=ctx.today, languages=ctx.languages)
    if isinstance(parsed, LogParseError):
        return _parse_error_reply(ctx, parsed)
    if parsed.contact and len(parsed.contact) > MAX_ACCOUNT_LENGTH:
        return _parse_error_reply(ctx, LogParseError("contact_too_long", {"action_type": parsed.action_type, "account": parsed.account}))
    match = find_account(ctx.session, ctx.workspace.id, parsed.account, index=ctx.account_index)
    if match.exact is not None:
        return _store(ctx, match.exact, _draft_from(parsed), new_account=False)
    return ACCOUNT_QUESTION.ask(ctx, parsed.account, match, _pending_from(ctx, parsed))


def _pending_from(ctx: Context, parsed: LogCommand) -> PendingLog:
    draft = _draft_from(parsed)
    return PendingLog(**{f.name: getattr(draft, f.name) for f in fields(draft)}, account=parsed.account, source=ctx.door)


def _resume(ctx: Context, pending: PendingLog, account: Account, created: bool) -> Reply:
    return _store(ctx, account, pending, new_account=created)


ACCOUNT_QUESTION = AccountQuestion("log", PendingLog, _resume, cancelled="log.cancelled", create_question="log.ask_create")


def _draft_from(parsed: LogCommand) -> ActionDraft:
    return ActionDraft(
        action_type=parsed.action_type,
        occurred_on=parsed.occurred_on,
        result=parsed.result,
        contact_name=parsed.contact,
        contact_function=parsed.contact_function,
        note=parsed.note,
    )


def _parse_error_reply(ctx: Context, error: LogParseError) -> Reply:
    values: dict[str, Any] = {"word": error.detail or "", "limit": MAX_NOTE_LENGTH, "length": 0}
    if error.code == "note_too_long":
        values["length"] = len(error.detail or "")
        values["word"] = ""
    if error.code in ("account_too_long", "contact_too_long"):
        values["limit"] = MAX_ACCOUNT_LENGTH
    if error.code == "invalid_text":
        values.update(limit=MAX_TEXT_LENGTH, note_limit=MAX_NOTE_LENGTH)
    lines = [Text(f"log.error.{error.code}", values)]
    if error.suggestion:
        lines.append(Text("log.error.suggest", {"suggestion": error.suggestion}))
    if error.code == "unknown_type":
        types = ", ".join(ctx.label("action_type", code) for code in vocabulary.ACTION_TYPES)
        lines.append(Text("log.types", {"types": types}))
    understood = _describe_understood(ctx, error.understood)
    if understood:
        lines.append(Text("understood.intro", {"understood": understood}))
    lines.append(Text("error.nothing_stored"))
    lines.append(Text("log.usage"))
    lines.append(Text("log.example"))
    return Reply(locale=ctx.locale, lines=lines, ok=False)


def _describe_understood(ctx: Context, understood: dict[str, str]) -> str:
    parts = []
    for field_name, value in understood.items():
        if field_name == "occurred_on":
            continue  # the date phrase says it as the rep typed it
        if field_name == "date_phrase":
            field_name = "date"
        if field_name in ("action_type", "result", "contact_function"):
            kind = "function" if field_name == "contact_function" else field_name
            value = ctx.label(kind, value)
        parts.append(f"{ctx.say('understood.' + field_name)} = {value}")
    return ", ".join(parts)


def _store(
    ctx: Context, account: Account, draft: ActionDraft, *, new_account: bool, plan_id: int | None = None
) -> Reply:
    action = record_action(ctx.session, ctx.member, account, draft, source=ctx.door, now=ctx.now)
    reply = confirmation(ctx, action, new_account=new_account)
    _link_to_deals(ctx, account, draft.result, reply)
    _link_to_planning(ctx, action, reply, plan_id)
    return reply


def _link_to_planning(
    ctx: Context, action: ActionRow, reply: Reply, plan_id: int | None, *, automatic_relance: bool = True
) -> None:
    """Logging does what was planned (the plan named by a Done button, or any matching one),
    and a proposal plans its relance (unless the rep asks for their own: ``automatic_relance``)."""
    done = complete_matching_plans(ctx.session, action, zone=ctx.zone, now=ctx.now)
    if plan_id is not None:
        plan = get_plan(ctx.session, ctx.workspace.id, plan_id)
        if plan is not None and plan.member_id == ctx.member.id and mark_done(ctx.session, plan, action_id=action.id, now=ctx.now):
            done.append(plan)
    for plan in done:
        reply.lines.append(
            Text("plan.done_via_log", {"action_type": ctx.label("action_type", plan.action_type), "account": plan.account.name})
        )
    relance = auto_relance(ctx.session, ctx.member, action, workspace_settings.load(ctx.workspace), now=ctx.now) if automatic_relance else None
    if relance is not None:
        when = format_when(ctx.locale, relance.due_at.astimezone(ctx.zone), has_time=False)
        reply.lines.append(Text("plan.auto_relance", {"account": action.account.name, "when": when}))


WIN_RESULTS = ("won", "order")  # an order is a won deal too


def _link_to_deals(ctx: Context, account: Account, result: str | None, reply: Reply) -> None:
    """A proposal offers to record the deal; a win closes the account's open deal (asks if several)."""
    if result == "proposal":
        reply.lines.append(Text("opp.log_offer"))
        reply.choices.insert(0, choice(Text("choice.open_opp"), opp_dialog.OpenForm(account.id), "primary"))
    elif result in WIN_RESULTS:
        deals = opp_dialog.open_opportunities(ctx.session, ctx.member, account)
        if len(deals) == 1:
            won = opp_dialog.close_as_won(ctx, deals[0])
            if won:
                reply.lines.append(Text("opp.log_closed", {"title": deals[0].title, "account": account.name}))
        elif deals:
            reply.lines.append(Text("opp.log_ask_won", {"account": account.name}))
            reply.choices[:0] = [
                choice(Text("choice.opp_label", {"title": d.title, "amount": format_money(ctx.locale, d.amount, d.currency)}),
                       opp_dialog.Won(d.id))
                for d in deals[:10]
            ]


def confirmation(ctx: Context, action: ActionRow, *, new_account: bool) -> Reply:
    """The stored row as the rep will find it in the report, with an Undo button."""
    lines = [Text("log.saved", {"action_type": ctx.label("action_type", action.action_type), "account": action.account.name})]
    if new_account:
        lines.append(Text("log.saved_new_account", {"account": action.account.name}))
    facts = [
        Fact(Text("fact.date"), format_day(ctx.locale, action.occurred_on)),
        Fact(Text("fact.account"), action.account.name),
        Fact(Text("fact.action"), ctx.label("action_type", action.action_type)),
    ]
    if action.result:
        facts.append(Fact(Text("fact.result"), ctx.label("result", action.result)))
    if action.contact is not None:
        contact = action.contact.name
        if action.contact_function:
            contact += f" ({ctx.label('function', action.contact_function)})"
        facts.append(Fact(Text("fact.contact"), contact))
    if action.note:
        facts.append(Fact(Text("fact.note"), action.note))
    lines.append(Text("log.undo_hint"))
    return Reply(
        locale=ctx.locale,
        lines=lines,
        facts=facts,
        choices=[choice(Text("choice.undo"), Undo(action.id), "danger")],
    )


# --------------------------------------------------------------------------- buttons


def _undo(ctx: Context, undo: Undo) -> Reply:
    result = undo_action(ctx.session, ctx.member, undo.action_id, now=ctx.now)
    if result.outcome is UndoOutcome.UNDONE:
        line = Text(
            "log.undone",
            {"action_type": ctx.label("action_type", result.action_type), "account": result.account_name},
        )
        return Reply(locale=ctx.locale, lines=[line], replace_original=True)
    key = {
        UndoOutcome.EXPIRED: "log.undo_expired",
        UndoOutcome.MISSING: "log.already_undone",
        UndoOutcome.NOT_YOURS: "choice.not_yours",
    }[result.outcome]
    # A refused undo leaves the original confirmation in place.
    return Reply(locale=ctx.locale, lines=[Text(key)], ok=False)


# --------------------------------------------------------------------------- form


def open_form(
    ctx: Context, metadata: About | None = None, *, action_type: str | None = None, account: Account | None = None
) -> Reply:
    """The /log form: every field of the grammar, the date defaulting to today."""

    def options(kind: str, codes: Any) -> list[tuple[str, Text]]:
        return [(code, Text(f"{kind}.{code}")) for code in codes]

    form = Form(
        form_id=FORM_ID,
        title=Text("form.log.title"),
        submit=Text("form.log.submit"),
        metadata=metadata,
        fields=[
            FormField(
                "action_type",
                Text("form.field.action_type"),
                "select",
                True,
                options("action_type", vocabulary.ACTION_TYPES),
                initial=action_type,
            ),
            account_field(ctx, account),
            FormField("result", Text("form.field.result"), "select", options=options("result", vocabulary.RESULTS)),
            FormField("contact", Text("form.field.contact"), "text"),
            FormField(
                "contact_function",
                Text("form.field.contact_function"),
                "select",
                options=options("function", vocabulary.CONTACT_FUNCTIONS),
            ),
            FormField("date", Text("form.field.date"), "date", True, initial=ctx.today.isoformat()),
            FormField("note", Text("form.field.note"), "long_text", max_length=MAX_NOTE_LENGTH),
        ],
    )
    return Reply(locale=ctx.locale, form=form)


def on_form(ctx: Context, values: dict[str, Any], metadata: About | None = None) -> Reply:
    """A submitted /log form: every field checked, errors shown beside the field, else stored."""
    errors: dict[str, Text] = {}

    def text_of(name: str) -> str:
        value = values.get(name)
        return " ".join(str(value).split()) if value else ""

    action_type = text_of("action_type")
    if action_type not in vocabulary.ACTION_TYPES:
        errors["action_type"] = Text("form.error.required" if not action_type else "form.error.bad_choice")
    result = text_of("result") or None
    if result is not None and result not in vocabulary.RESULTS:
        errors["result"] = Text("form.error.bad_choice")
    function = text_of("contact_function") or None
    if function is not None and function not in vocabulary.CONTACT_FUNCTIONS:
        errors["contact_function"] = Text("form.error.bad_choice")
    occurred_on: date | None = None
    try:
        occurred_on = date.fromisoformat(text_of("date")) if text_of("date") else ctx.today
    except ValueError:
        errors["date"] = Text("form.error.bad_date")
    if occurred_on is not None and occurred_on > ctx.today:
        errors["date"] = Text("form.error.future_date")
    note = str(values.get("note") or "").strip() or None
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        errors["note"] = Text("form.error.too_long", {"limit": MAX_NOTE_LENGTH})
    contact = text_of("contact") or None
    if contact is not None and len(contact) > MAX_ACCOUNT_LENGTH:
        errors["contact"] = Text("form.error.too_long", {"limit": MAX_ACCOUNT_LENGTH})

    account, new_name, account_error = resolve_account_field(ctx, values.get("account"))
    if account_error is not None:
        errors["account"] = account_error

    if errors:
        return Reply(locale=ctx.locale, field_errors=errors, ok=False)
    new_account = account is None
    if account is None:
        assert new_name is not None
        account = create_account(ctx.session, ctx.workspace.id, new_name, owner_id=ctx.member.id, now=ctx.now)
    assert occurred_on is not None
    draft = ActionDraft(action_type, occurred_on, result, contact, function if contact else None, note)
    return _store(ctx, account, draft, new_account=new_account, plan_id=metadata.plan if metadata else None)


DIALOG = Dialog(
    "log",
    commands={"log": on_command},
    actions={Undo: _undo, OpenForm: lambda ctx, _open: open_form(ctx), **ACCOUNT_QUESTION.handlers()},
    forms=(FormSpec(FORM_ID, on_form),),
)
