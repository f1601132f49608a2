"""A message written to Carnet as to a colleague: read, shown as the rows it would store, stored on Confirm.

The Messages tab of the app (and a console line that does not start with ``/``) comes here.
:func:`bot.grammar.freetext.read_message` finds the action, the deal and the plan; the account is
found here, by trying the words the reader left against the workspace's accounts (an exact name
first); when none is certain, the account question shared with /log asks which one. Then the
proposal shows every row with **Confirm**, **Edit** (the /log form, prefilled) and **Cancel**;
nothing is stored before Confirm, and Confirm stores all the rows or none. An edit of the
message (same ``Context.reference``) withdraws the proposal its first version got: its buttons
then say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from bot.actions import Action, action, choice, decode
from bot.core import Fact, Reply, Text
from bot.dialogs import carnet as carnet_dialog
from bot.dialogs import log as log_dialog
from bot.dialogs import opp as opp_dialog
from bot.dialogs import pending as pending_commands
from bot.dialogs import plan as plan_dialog
from bot.dialogs.context import Context
from bot.dialogs.plan import PendingPlan
from bot.dialogs.shape import AccountQuestion, Dialog, ended, keep_pending
from bot.grammar import vocabulary
from bot.grammar.amounts import CURRENCIES, Money
from bot.grammar.freetext import MAX_TEXT_LENGTH, FreeTextReading, Span, read_message
from bot.grammar.log import MAX_ACCOUNT_LENGTH, MAX_NOTE_LENGTH
from bot.grammar.normalize import fold
from bot.grammar.opp import OppCommand
from bot.messages import format_day, format_money, format_when
from bot.services import workspace_settings
from bot.services.accounts import accounts_named, create_account, find_account, get_account
from bot.services.actions import ActionDraft, record_action
from bot.services.plans import DEFAULT_HOUR, auto_relance_day
from storage.models import Account

NAME = "message"
CLOSED_RESULTS = ("won", "order", "lost")  # a deal that ends with the action is /opp's, not a new one
DATE_ISSUES = ("bad_date", "future_date")


@dataclass(frozen=True)
class DealDraft:
    """The deal a message mentions: its amount, and its close date when one was written."""

    amount: Decimal
    currency: str | None = None
    close_on: date | None = None


@dataclass(frozen=True)
class Proposal:
    """A message's rows, waiting for the account or for Confirm. ``account`` is the name as
    written (a new account is created by that name on Confirm); ``action.action_type`` is ""
    when the message names no type."""

    account: str = ""
    account_id: int | None = None
    action: ActionDraft | None = None
    deal: DealDraft | None = None
    plan: PendingPlan | None = None
    unplaced: list[str] = field(default_factory=list)
    issues: list[list[str]] = field(default_factory=list)  # [code, words]: see freetext.Issue
    date_unsure: bool = False  # a day was written but not read: the action's date waits for Edit
    date_said: bool = False  # the message named the action's day ("ce matin"), so it is not "today by default"
    reference: str | None = None  # the member's message it answers
    withdrawn: bool = False  # the member edited that message: this proposal no longer counts


@action("message.confirm", payload=Proposal)
class Confirm(Action):
    """Store every row shown."""

    pending: int


@action("message.edit", payload=Proposal)
class Edit(Action):
    """Open the /log form, prefilled with the action read."""

    pending: int


@action("message.new_account", payload=Proposal)
class NewAccount(Action):
    """The account named is a new one: propose the rows with it (created on Confirm)."""

    pending: int


# --------------------------------------------------------------------------- reading


def on_message(ctx: Context, text: str) -> Reply:
    """A message: the rows it would store, to confirm."""
    return _answer(ctx, text, edited=False)


def on_edited(ctx: Context, text: str) -> Reply:
    """The member edited a message: read again; the proposal of its first version is withdrawn."""
    return _answer(ctx, text, edited=True)


def _answer(ctx: Context, text: str, *, edited: bool) -> Reply:
    withdrawn = 0
    if ctx.reference is not None:
        withdrawn = pending_commands.withdraw_matching(ctx, NAME, lambda payload: payload.get("reference") == ctx.reference)
    reply = _read(ctx, text)
    if edited:
        reply.lines.insert(0, Text("message.edit_replaces" if withdrawn else "message.edit_late"))
    return reply


def _read(ctx: Context, text: str) -> Reply:
    reading = read_message(text, now_local=ctx.local_now, languages=ctx.languages)
    if reading.too_long:
        return ctx.reply(Text("message.too_long", {"limit": MAX_TEXT_LENGTH}), Text("error.nothing_stored"), ok=False)
    if not reading.understood:
        help_lines = carnet_dialog.help_reply(ctx).lines
        return Reply(locale=ctx.locale, lines=[Text("message.not_understood"), *help_lines], ok=False)
    proposal = _proposal_from(ctx, reading)
    account, span = _exact_account(ctx, reading)
    if account is not None:
        return _propose(ctx, _with_account(proposal, reading, span, account.name, account.id))
    guess = reading.account_hint or (reading.action.contact_span if reading.action else None)
    if guess is None or len(guess.text) > MAX_ACCOUNT_LENGTH:
        return _propose(ctx, replace(proposal, unplaced=reading.unplaced()))
    return _ask_account(ctx, _with_account(proposal, reading, guess, guess.text, None))


def _proposal_from(ctx: Context, reading: FreeTextReading) -> Proposal:
    """The rows read, before the account is known."""
    issues = [[issue.code, issue.words] for issue in reading.issues]
    draft = None
    if reading.action is not None:
        read = reading.action
        note = reading.note[:MAX_NOTE_LENGTH] if reading.note else None
        draft = ActionDraft(read.action_type or "", read.occurred_on, read.result, read.contact, read.contact_function, note)
    deal = None
    if reading.deal is not None:
        read_deal = reading.deal
        if draft is not None and draft.result in CLOSED_RESULTS:
            issues.append(["closed_deal", read_deal.phrase])
        elif read_deal.currency is not None and read_deal.currency not in CURRENCIES:
            issues.append(["bad_amount", read_deal.phrase])
        else:
            deal = DealDraft(read_deal.amount, read_deal.currency, read_deal.close_on)
    plan = None
    if reading.plan is not None:
        plan = PendingPlan(reading.plan.action_type, "", reading.plan.due_local, reading.plan.has_time)
    date_unsure = draft is not None and reading.action is not None and reading.action.date_phrase is None and any(
        issue.code in DATE_ISSUES for issue in reading.issues
    )
    date_said = reading.action is not None and reading.action.date_phrase is not None
    return Proposal(action=draft, deal=deal, plan=plan, issues=issues, date_unsure=date_unsure, date_said=date_said,
                    reference=ctx.reference)


def _exact_account(ctx: Context, reading: FreeTextReading) -> tuple[Account | None, Span | None]:
    """The longest words of the message that are exactly an account's name (one query)."""
    spans = reading.candidate_spans()
    if not spans:
        return None, None
    named = accounts_named(ctx.session, ctx.workspace.id, (span.text for span in spans))
    for span in spans:
        account = named.get(fold(span.text))
        if account is not None:
            return account, span
    return None, None


def _with_account(proposal: Proposal, reading: FreeTextReading, span: Span, name: str, account_id: int | None) -> Proposal:
    """The proposal at that account; a contact read where the account was written is no contact."""
    action_draft = proposal.action
    contact_span = reading.action.contact_span if reading.action else None
    if action_draft is not None and contact_span is not None and span.start < contact_span.end and contact_span.start < span.end:
        action_draft = replace(action_draft, contact_name=None, contact_function=None)
    unplaced = reading.unplaced(span)
    return replace(proposal, account=name, account_id=account_id, action=action_draft, unplaced=unplaced)


# --------------------------------------------------------------------------- the account question


def _resume(ctx: Context, proposal: Proposal, account: Account, _created: bool) -> Reply:
    if proposal.withdrawn:
        return ended(ctx, "message.withdrawn")
    return _propose(ctx, replace(proposal, account=account.name, account_id=account.id))


ACCOUNT_QUESTION = AccountQuestion(NAME, Proposal, _resume, cancelled="message.cancelled", create_question="message.ask_new_account")


def _ask_account(ctx: Context, proposal: Proposal) -> Reply:
    """Which account: the close names, a new account (created only on Confirm), cancel."""
    match = find_account(ctx.session, ctx.workspace.id, proposal.account, index=ctx.account_index)
    question = ACCOUNT_QUESTION.ask(ctx, proposal.account, match, proposal, may_create=False)
    cancel = decode(question.choices[-1].value)
    pending_id = getattr(cancel, "pending")
    new = choice(Text("message.choice.new_account", {"name": proposal.account}), NewAccount(pending_id))
    question.choices.insert(len(question.choices) - 1, new)
    described = _describe(ctx, replace(proposal, account=""), Text("message.read"))
    return Reply(locale=ctx.locale, lines=described.lines + question.lines, facts=described.facts, choices=question.choices)


def _new_account(ctx: Context, _act: NewAccount, proposal: Proposal) -> Reply:
    if proposal.withdrawn:
        return ended(ctx, "message.withdrawn")
    reply = _propose(ctx, replace(proposal, account_id=None))
    reply.replace_original = True
    return reply


# --------------------------------------------------------------------------- the proposal


def _missing(proposal: Proposal) -> str | None:
    """What Confirm would still lack (then only Edit and Cancel are offered)."""
    if not proposal.account:
        return "account"
    if proposal.action is not None and not proposal.action.action_type:
        return "type"
    if proposal.date_unsure:
        return "date"
    return None


def _propose(ctx: Context, proposal: Proposal) -> Reply:
    """The rows with Confirm / Edit / Cancel; the proposal is kept (an hour) until one is clicked."""
    pending_id = keep_pending(ctx, NAME, proposal)
    reply = _describe(ctx, proposal, Text("message.proposal"))
    missing = _missing(proposal)
    if missing is not None:
        types = ", ".join(ctx.label("action_type", code) for code in vocabulary.ACTION_TYPES)
        reply.lines.append(Text(f"message.missing.{missing}", {"types": types}))
    else:
        reply.choices.append(choice(Text("message.choice.confirm"), Confirm(pending_id), "primary"))
    if proposal.action is not None:
        reply.choices.append(choice(Text("message.choice.edit"), Edit(pending_id)))
    reply.choices.append(choice(Text("choice.cancel"), ACCOUNT_QUESTION.Cancel(pending_id), "danger"))
    return reply


def _describe(ctx: Context, proposal: Proposal, intro: Text) -> Reply:
    """The rows as facts, then what could not be placed and why."""
    facts: list[Fact] = []
    if proposal.account:
        new = proposal.account_id is None
        shown = ctx.say("message.new_account_mark", account=proposal.account) if new else proposal.account
        facts.append(Fact(Text("fact.account"), shown))
    draft = proposal.action
    if draft is not None:
        facts += _action_facts(ctx, draft, proposal)
    if proposal.deal is not None:
        facts.append(Fact(Text("message.fact.deal"), _deal_value(ctx, proposal.deal)))
    if proposal.plan is not None:
        plan = proposal.plan
        when = format_when(ctx.locale, plan.due_local, has_time=plan.has_time, today=ctx.today)
        if plan.action_type == "follow_up":
            facts.append(Fact(Text("message.fact.relance"), when))
        else:
            facts.append(Fact(Text("message.fact.plan"), ctx.say("message.plan_value", action_type=ctx.label("action_type", plan.action_type), when=when)))
    elif draft is not None and (day := _automatic_relance(ctx, proposal)) is not None:
        when = format_when(ctx.locale, datetime.combine(day, DEFAULT_HOUR), has_time=False, today=ctx.today)
        facts.append(Fact(Text("message.fact.relance"), ctx.say("message.automatic_relance", when=when)))
    lines = [intro]
    for code, words in proposal.issues:
        lines.append(Text(f"message.issue.{code}", {"words": words}))
    if proposal.unplaced:
        quoted = ", ".join(ctx.say("message.quoted", words=words) for words in proposal.unplaced)
        lines.append(Text("message.unplaced", {"count": len(proposal.unplaced), "words": quoted}))
    return Reply(locale=ctx.locale, lines=lines, facts=facts)


def _automatic_relance(ctx: Context, proposal: Proposal) -> date | None:
    """The relance /log plans on its own after this result (stored with the action, so shown)."""
    draft = proposal.action
    if draft is None or not proposal.account:
        return None
    settings = workspace_settings.load(ctx.workspace)
    return auto_relance_day(ctx.session, ctx.member, proposal.account_id, draft.result, draft.occurred_on, settings, now=ctx.now)


def _action_facts(ctx: Context, draft: ActionDraft, proposal: Proposal) -> list[Fact]:
    action_type = ctx.label("action_type", draft.action_type) if draft.action_type else ctx.say("message.unknown")
    if proposal.date_unsure:
        day = ctx.say("message.unknown")
    elif draft.occurred_on == ctx.today and not proposal.date_said:
        day = ctx.say("message.today", day=format_day(ctx.locale, draft.occurred_on))
    else:
        day = format_day(ctx.locale, draft.occurred_on)
    facts = [Fact(Text("fact.action"), action_type), Fact(Text("fact.date"), day)]
    if draft.result:
        facts.append(Fact(Text("fact.result"), ctx.label("result", draft.result)))
    if draft.contact_name or draft.contact_function:
        contact = draft.contact_name or ""
        if draft.contact_function:
            function = ctx.label("function", draft.contact_function)
            contact = f"{contact} ({function})" if contact else function
        facts.append(Fact(Text("fact.contact"), contact))
    if draft.note:
        facts.append(Fact(Text("fact.note"), draft.note))
    return facts


def _currency(ctx: Context, deal: DealDraft) -> str:
    return deal.currency or workspace_settings.load(ctx.workspace).currency


def _deal_value(ctx: Context, deal: DealDraft) -> str:
    amount = format_money(ctx.locale, deal.amount, _currency(ctx, deal))
    if deal.close_on is None:
        return amount
    return ctx.say("message.deal_value", amount=amount, close=format_day(ctx.locale, deal.close_on))


# --------------------------------------------------------------------------- the buttons


class _Refused(Exception):
    """A row could not be stored: every row of the message is rolled back."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("refused")
        self.reply = reply


def _confirm(ctx: Context, _act: Confirm, proposal: Proposal) -> Reply:
    """Store the rows shown, all or none."""
    if proposal.withdrawn:
        return ended(ctx, "message.withdrawn")
    if _missing(proposal) is not None:
        return ended(ctx, "choice.expired")
    try:
        with ctx.session.begin_nested():
            reply = _store(ctx, proposal)
    except _Refused as refused:
        refused.reply.lines.append(Text("error.nothing_stored"))
        refused.reply.ok = False
        return refused.reply
    reply.replace_original = True
    return reply


def _store(ctx: Context, proposal: Proposal) -> Reply:
    created = proposal.account_id is None
    if created:
        account = create_account(ctx.session, ctx.workspace.id, proposal.account, owner_id=ctx.member.id, now=ctx.now)
    else:
        account = get_account(ctx.session, ctx.workspace.id, proposal.account_id)  # type: ignore[arg-type]
        if account is None:
            raise _Refused(ctx.reply(Text("choice.expired"), ok=False))
    if proposal.action is not None:
        stored = record_action(ctx.session, ctx.member, account, proposal.action, source=ctx.door, now=ctx.now)
        reply = log_dialog.confirmation(ctx, stored, new_account=created)
        if proposal.deal is None:
            log_dialog._link_to_deals(ctx, account, stored.result, reply)
        # A relance the rep asked for replaces the one a proposal plans on its own.
        log_dialog._link_to_planning(ctx, stored, reply, None, automatic_relance=proposal.plan is None)
    else:
        reply = Reply(locale=ctx.locale, lines=[Text("log.saved_new_account", {"account": account.name})] if created else [])
    if proposal.deal is not None:
        deal = proposal.deal
        command = OppCommand(kind="new", account=account.name, amount=Money(deal.amount, _currency(ctx, deal)), close_on=deal.close_on)
        reply.lines += _part(opp_dialog._apply(ctx, account, command)).lines
        reply.lines.append(Text("message.saved_deal", {"deal": _deal_value(ctx, deal)}))
    if proposal.plan is not None:
        planned = _part(plan_dialog._create(ctx, account, replace(proposal.plan, account=account.name)))
        reply.lines += planned.lines
        reply.items += planned.items
    return reply


def _part(reply: Reply) -> Reply:
    if not reply.ok:
        raise _Refused(reply)
    return reply


def _edit(ctx: Context, _act: Edit, proposal: Proposal) -> Reply:
    """The /log form with every field read from the message (the deal and the plan are not in it)."""
    if proposal.withdrawn:
        return ended(ctx, "message.withdrawn")
    draft = proposal.action
    account = get_account(ctx.session, ctx.workspace.id, proposal.account_id) if proposal.account_id else None
    reply = log_dialog.open_form(ctx, action_type=(draft.action_type or None) if draft else None, account=account)
    if reply.form is None or draft is None:
        return reply
    initial = {
        "result": draft.result,
        "contact": draft.contact_name,
        "contact_function": draft.contact_function,
        "date": None if proposal.date_unsure else draft.occurred_on.isoformat(),
        "note": draft.note,
    }
    fields = []
    for form_field in reply.form.fields:
        if form_field.name == "account" and account is None and proposal.account:
            form_field = replace(form_field, initial=f"new:{proposal.account}", initial_label=proposal.account)
        elif initial.get(form_field.name):
            form_field = replace(form_field, initial=initial[form_field.name])
        fields.append(form_field)
    reply.form = replace(reply.form, fields=fields)
    return reply


DIALOG = Dialog(
    NAME,
    commands={"message": on_message, "message_edit": on_edited},
    actions={Confirm: _confirm, Edit: _edit, NewAccount: _new_account, **ACCOUNT_QUESTION.handlers()},
)
