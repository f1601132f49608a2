"""The /opp dialogue: create and update deals, win and lose them, list mine.

When the account or the deal is not certain (an unknown name, several open deals at
one account), a pending command is kept and the rep chooses; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.actions import Action, action, choice, row_action
from bot.core import Fact, Form, FormField, Reply, Text, ToChannel
from bot.dialogs.context import Context
from bot.dialogs.fields import account_field, resolve_account_field
from bot.dialogs.shape import About, AccountQuestion, Dialog, FormSpec, keep_pending
from bot.grammar.amounts import CURRENCIES, AmountError, Money, parse_amount
from bot.grammar.normalize import fold
from bot.grammar.opp import OppCommand, OppParseError, parse_opp
from bot.messages import format_day, format_money, format_percent
from bot.services import outbox, workspace_settings
from bot.services.accounts import create_account, find_account, get_account
from bot.services.opportunities import (
    OpportunityChange,
    OpportunityError,
    create_opportunity,
    get_opportunity,
    mark_lost,
    mark_won,
    open_opportunities,
    update_opportunity,
)
from bot.services.stages import OPEN_STAGES
from storage.models import Account, Opportunity
from storage.queries.deals import latest_closed_deal, open_deals_of

FORM_ID = "opp.form"


@action("opp.open_form")
class OpenForm(Action):
    """Open the deal form (about the account's single open deal, when there is one)."""

    account: int | None = None


Won = row_action("opp.won", Opportunity, "Close this deal as won (offered by /log … gagné when the account has several).")


@action("opp.pick", payload=OppCommand)
class PickDeal(Action):
    """Run the pending /opp command on this one of the account's open deals."""

    pending: int
    opportunity: int



# --------------------------------------------------------------------------- command


def on_command(ctx: Context, text: str) -> Reply:
    """``/opp …``; alone, the list of my open deals."""
    parsed = parse_opp(text, today=ctx.today, languages=ctx.languages) if text.strip() else OppCommand("list")
    if isinstance(parsed, OppParseError):
        return _parse_error_reply(ctx, parsed)
    if parsed.kind == "list":
        return list_mine(ctx)
    assert parsed.account is not None
    match = find_account(ctx.session, ctx.workspace.id, parsed.account, index=ctx.account_index)
    if match.exact is not None:
        return _apply(ctx, match.exact, parsed)
    if parsed.kind != "new" and not match.suggestions:
        # Only a new deal may create its account: an update names a deal that must exist already.
        return ctx.reply(Text("opp.unknown_account", {"typed": parsed.account}), ok=False)
    return ACCOUNT_QUESTION.ask(ctx, parsed.account, match, parsed, may_create=parsed.kind == "new")


def _resume(ctx: Context, parsed: OppCommand, account: Account, _created: bool) -> Reply:
    return _apply(ctx, account, parsed)


ACCOUNT_QUESTION = AccountQuestion("opp", OppCommand, _resume, cancelled="opp.cancelled", create_question="opp.ask_create")


def _parse_error_reply(ctx: Context, error: OppParseError) -> Reply:
    values: dict[str, Any] = {"word": error.detail or "", "currencies": ", ".join(sorted(CURRENCIES))}
    lines = [Text(f"opp.error.{error.code}", values)]
    if error.suggestion:
        lines.append(Text("opp.error.suggest", {"suggestion": error.suggestion}))
    if error.code == "unknown_stage":
        lines.append(Text("opp.error.stages", {"stages": ", ".join(ctx.label("stage", s) for s in OPEN_STAGES)}))
    understood = _describe_understood(ctx, error.understood)
    if understood:
        lines.append(Text("understood.intro", {"understood": understood}))
    lines += [Text("error.nothing_stored"), Text("opp.usage"), Text("opp.example")]
    return Reply(locale=ctx.locale, lines=lines, ok=False)


def _describe_understood(ctx: Context, understood: dict[str, str]) -> str:
    """What the parser read before it stopped, in the member's words."""
    parts = []
    if understood.get("account"):
        parts.append(f"{ctx.say('understood.account')} = {understood['account']}")
    if understood.get("title"):
        parts.append(f"{ctx.say('understood.title')} = {understood['title']}")
    if understood.get("amount"):
        try:
            amount = format_money(ctx.locale, Decimal(understood["amount"]), understood.get("currency") or "EUR")
        except (InvalidOperation, ValueError):
            amount = understood["amount"]
        parts.append(f"{ctx.say('understood.amount')} = {amount}")
    if understood.get("probability"):
        parts.append(f"{ctx.say('understood.probability')} = {understood['probability']} %")
    if understood.get("stage"):
        parts.append(f"{ctx.say('understood.stage')} = {ctx.label('stage', understood['stage'])}")
    if understood.get("close_phrase"):
        parts.append(f"{ctx.say('understood.close')} = {understood['close_phrase']}")
    return ", ".join(parts)


def _error_reply(ctx: Context, error: OpportunityError) -> Reply:
    return Reply(
        locale=ctx.locale,
        lines=[Text(f"opp.error.{error.code}", {k: str(v) for k, v in error.values.items()}), Text("error.nothing_stored")],
        ok=False,
    )


# --------------------------------------------------------------------------- applying a command


def _apply(ctx: Context, account: Account, parsed: OppCommand, opportunity: Opportunity | None = None) -> Reply:
    """Run ``parsed`` on ``account`` (and on ``opportunity`` once known); all or nothing."""
    settings = workspace_settings.load(ctx.workspace)
    try:
        with ctx.session.begin_nested():  # a refused change leaves no trace, not even half of it
            if parsed.kind == "new":
                return _create(ctx, account, parsed, settings)
            if opportunity is None:
                deals = open_opportunities(ctx.session, ctx.member, account)
                if not deals and parsed.kind in ("won", "lost"):
                    # "won" on the deal just lost (or the reverse) says why it cannot be.
                    closed = latest_closed_deal(ctx.session, ctx.member, account.id)
                    if closed is not None:
                        try:
                            return _change(ctx, closed, parsed, settings)
                        except OpportunityError as error:  # refused before anything changed
                            refused = _error_reply(ctx, error)
                            refused.lines.append(Text("opp.none_open", {"account": account.name}))
                            refused.choices.append(choice(Text("choice.create_opp"), OpenForm(account.id), "primary"))
                            return refused
                if not deals:
                    return Reply(
                        locale=ctx.locale,
                        lines=[Text("opp.none_open", {"account": account.name})],
                        choices=[choice(Text("choice.create_opp"), OpenForm(account.id), "primary")],
                        ok=False,
                    )
                if len(deals) > 1 and parsed.title:
                    # A quoted title names the deal: `/opp Gamma "Contrat A" won`.
                    named = [d for d in deals if fold(d.title) == fold(parsed.title)]
                    deals = named or deals
                if len(deals) > 1:
                    return _ask_which(ctx, account, parsed, deals)
                opportunity = deals[0]
            return _change(ctx, opportunity, parsed, settings)
    except OpportunityError as error:
        return _error_reply(ctx, error)


def _ask_which(ctx: Context, account: Account, parsed: OppCommand, deals: list[Opportunity]) -> Reply:
    pending = keep_pending(ctx, "opp", parsed)
    choices = [
        choice(Text("choice.opp_label", {"title": d.title, "amount": format_money(ctx.locale, d.amount, d.currency)}),
               PickDeal(pending, d.id))
        for d in deals[:10]
    ]
    choices.append(choice(Text("choice.cancel"), ACCOUNT_QUESTION.Cancel(pending), "danger"))
    return Reply(locale=ctx.locale, lines=[Text("opp.ask_which", {"account": account.name})], choices=choices)


def _currency_of(money: Money | None, settings: workspace_settings.WorkspaceSettings) -> str:
    currency = (money.currency if money else None) or settings.currency
    if currency not in CURRENCIES:
        raise OpportunityError("unknown_currency", word=currency, currencies=", ".join(sorted(CURRENCIES)))
    return currency


def _create(ctx: Context, account: Account, parsed: OppCommand, settings: workspace_settings.WorkspaceSettings) -> Reply:
    if parsed.amount is None:
        raise OpportunityError("missing_amount")
    opportunity = create_opportunity(
        ctx.session,
        ctx.member,
        account,
        title=parsed.title or account.name,
        amount=parsed.amount.amount,
        currency=_currency_of(parsed.amount, settings),
        probability=parsed.probability,
        stage=parsed.stage or "proposal",
        expected_close_on=parsed.close_on,
        next_step_on=parsed.next_step_on,
        today=ctx.today,
        now=ctx.now,
        settings=settings,
    )
    return deal_reply(ctx, opportunity, Text("opp.created", {"account": account.name, "title": opportunity.title}))


def _change(
    ctx: Context, opportunity: Opportunity, parsed: OppCommand, settings: workspace_settings.WorkspaceSettings
) -> Reply:
    names = {"account": opportunity.account.name, "title": opportunity.title}
    if parsed.kind == "won":
        if not mark_won(ctx.session, opportunity, ctx.member, now=ctx.now):
            return ctx.reply(Text("opp.already_won", names))
        celebrate(ctx, opportunity, settings)
        amount = format_money(ctx.locale, opportunity.amount, opportunity.currency)
        return deal_reply(ctx, opportunity, Text("opp.won", {**names, "amount": amount}))
    if parsed.kind == "lost":
        if not mark_lost(ctx.session, opportunity, ctx.member, reason=parsed.reason, now=ctx.now):
            return ctx.reply(Text("opp.already_lost", names))
        reason = opportunity.close_reason or ctx.say("opp.no_reason")
        return deal_reply(ctx, opportunity, Text("opp.lost", {**names, "reason": reason}))
    change = OpportunityChange(
        amount=parsed.amount.amount if parsed.amount else None,
        currency=_currency_of(parsed.amount, settings) if parsed.amount and parsed.amount.currency else None,
        probability=parsed.probability,
        stage=parsed.stage,
        expected_close_on=parsed.close_on,
        next_step_on=parsed.next_step_on,
    )
    changed = update_opportunity(ctx.session, opportunity, ctx.member, change, today=ctx.today, now=ctx.now, settings=settings)
    return deal_reply(ctx, opportunity, Text("opp.updated" if changed else "opp.unchanged", names))


def close_as_won(ctx: Context, opportunity: Opportunity) -> bool:
    """Mark the deal won (and celebrate it); False when it was already closed."""
    if opportunity.status != "open":
        return False
    mark_won(ctx.session, opportunity, ctx.member, now=ctx.now)
    celebrate(ctx, opportunity, workspace_settings.load(ctx.workspace))
    return True


def celebrate(ctx: Context, opportunity: Opportunity, settings: workspace_settings.WorkspaceSettings) -> None:
    """Queue the win for the team channel (once per deal); losses are never posted there."""
    if not settings.team_channel:
        return
    values = {"rep": opportunity.member.display_name, "account": opportunity.account.name, "title": opportunity.title}
    if settings.celebrate_amounts:
        line = Text("opp.celebration", {**values, "amount": format_money(ctx.locale, opportunity.amount, opportunity.currency)})
    else:
        line = Text("opp.celebration_no_amount", values)
    outbox.enqueue(
        ctx.session,
        workspace_id=ctx.workspace.id,
        dedupe_key=f"celebration:opportunity:{opportunity.id}",
        kind="reply",
        payload=outbox.reply_payload(ToChannel(settings.team_channel), Reply(locale=ctx.locale, lines=[line])),
        now=ctx.now,
    )


def deal_reply(ctx: Context, opportunity: Opportunity, headline: Text) -> Reply:
    """A deal as the rep will find it in the carnet."""
    facts = [
        Fact(Text("fact.account"), opportunity.account.name),
        Fact(Text("form.field.title"), opportunity.title),
        Fact(Text("form.field.amount"), format_money(ctx.locale, opportunity.amount, opportunity.currency)),
        Fact(Text("form.field.probability"), format_percent(ctx.locale, opportunity.probability)),
        Fact(Text("form.field.stage"), ctx.label("stage", opportunity.stage)),
    ]
    if opportunity.status == "open":
        facts.append(Fact(Text("pipeline.weighted"), format_money(ctx.locale, opportunity.weighted_amount, opportunity.currency)))
    if opportunity.expected_close_on and opportunity.status == "open":
        facts.append(Fact(Text("form.field.close_date"), format_day(ctx.locale, opportunity.expected_close_on)))
    return Reply(locale=ctx.locale, lines=[headline], facts=facts)


def list_mine(ctx: Context) -> Reply:
    """My open deals, the nearest closing first."""
    deals = open_deals_of(ctx.session, ctx.member)
    if not deals:
        return Reply(
            locale=ctx.locale,
            lines=[Text("opp.list_empty")],
            choices=[choice(Text("choice.create_opp"), OpenForm(), "primary")],
        )
    lines = [Text("opp.list_title", {"count": len(deals)})]
    for deal in deals:
        close = ctx.say("opp.list_close", date=format_day(ctx.locale, deal.expected_close_on)) if deal.expected_close_on else ""
        lines.append(
            Text(
                "opp.list_line",
                {
                    "account": deal.account.name,
                    "title": deal.title,
                    "stage": ctx.label("stage", deal.stage),
                    "amount": format_money(ctx.locale, deal.amount, deal.currency),
                    "probability": format_percent(ctx.locale, deal.probability),
                    "weighted": format_money(ctx.locale, deal.weighted_amount, deal.currency),
                    "close": close,
                },
                group="deals",
            )
        )
    return Reply(locale=ctx.locale, lines=lines, choices=[choice(Text("choice.create_opp"), OpenForm(), "primary")])


# --------------------------------------------------------------------------- buttons


def _open_form(ctx: Context, act: OpenForm) -> Reply:
    account = get_account(ctx.session, ctx.workspace.id, act.account) if act.account is not None else None
    return open_form(ctx, account=account)


def _won(ctx: Context, _act: Won, opportunity: Opportunity) -> Reply:
    reply = _apply(ctx, opportunity.account, OppCommand(kind="won", account=opportunity.account.name), opportunity)
    reply.replace_original = True
    return reply


def _pick_deal(ctx: Context, act: PickDeal, parsed: OppCommand) -> Reply:
    opportunity = get_opportunity(ctx.session, ctx.workspace.id, act.opportunity)
    if opportunity is None or opportunity.member_id != ctx.member.id:
        return ctx.reply(Text("choice.expired"), ok=False)
    reply = _apply(ctx, opportunity.account, parsed, opportunity)
    reply.replace_original = True
    return reply


# --------------------------------------------------------------------------- form


def open_form(ctx: Context, *, account: Account | None = None, opportunity: Opportunity | None = None) -> Reply:
    """The deal form: a new deal, or the account's single open deal when there is one."""
    if opportunity is None and account is not None:
        deals = open_opportunities(ctx.session, ctx.member, account)
        opportunity = deals[0] if len(deals) == 1 else None
    stage = opportunity.stage if opportunity else "proposal"
    form = Form(
        form_id=FORM_ID,
        title=Text("form.opp.title"),
        submit=Text("form.opp.submit"),
        metadata=About(opportunity=opportunity.id if opportunity else None),
        fields=[
            account_field(ctx, account),
            FormField("title", Text("form.field.title"), "text", initial=opportunity.title if opportunity else None),
            FormField(
                "amount",
                Text("form.field.amount"),
                "text",
                True,
                initial=(format_money(ctx.locale, opportunity.amount, opportunity.currency) if opportunity else None),
            ),
            FormField(
                "probability",
                Text("form.field.probability"),
                "text",
                initial=str(opportunity.probability) if opportunity else None,
                hint=None if opportunity else Text("form.hint.probability_default"),
            ),
            FormField(
                "stage",
                Text("form.field.stage"),
                "select",
                True,
                options=[(s, Text(f"stage.{s}")) for s in OPEN_STAGES],
                initial=stage,
            ),
            FormField(
                "close_date",
                Text("form.field.close_date"),
                "date",
                initial=opportunity.expected_close_on.isoformat() if opportunity and opportunity.expected_close_on else None,
            ),
        ],
    )
    return Reply(locale=ctx.locale, form=form)


@dataclass
class _DealForm:
    """A deal form's values once read; ``errors`` says which fields were not."""

    errors: dict[str, Text]
    account: Account | None = None
    new_account: str | None = None
    money: Money | None = None
    probability: int | None = None
    stage: str = "proposal"
    close_on: date | None = None
    existing: Opportunity | None = None


def on_form(ctx: Context, values: dict[str, Any], metadata: About | None = None) -> Reply:
    """A submitted deal form: every field checked and errors shown beside it, else saved."""
    form = _read_form(ctx, values, metadata)
    if form.errors:
        return Reply(locale=ctx.locale, field_errors=form.errors, ok=False)
    settings = workspace_settings.load(ctx.workspace)
    try:
        with ctx.session.begin_nested():
            return _save_form(ctx, form, str(values.get("title") or "").strip(), settings)
    except OpportunityError as error:
        field = {"close_in_past": "close_date", "bad_probability": "probability"}.get(error.code, "amount")
        return Reply(locale=ctx.locale, field_errors={field: Text(f"opp.error.{error.code}", {k: str(v) for k, v in error.values.items()})}, ok=False)


def _read_form(ctx: Context, values: dict[str, Any], metadata: About | None) -> _DealForm:
    form = _DealForm(errors={})
    form.account, form.new_account, account_error = resolve_account_field(ctx, values.get("account"))
    if account_error:
        form.errors["account"] = account_error
    form.money = _read_amount(str(values.get("amount") or "").strip(), form.errors)
    probability_text = str(values.get("probability") or "").strip().rstrip("%").strip()
    if probability_text:
        try:
            form.probability = int(Decimal(probability_text.replace(",", ".")))
            if not 0 <= form.probability <= 100:
                raise ValueError
        except (InvalidOperation, ValueError):
            form.errors["probability"] = Text("form.error.bad_probability")
    form.stage = str(values.get("stage") or "proposal")
    if form.stage not in OPEN_STAGES:
        form.errors["stage"] = Text("form.error.bad_choice")
    if values.get("close_date"):
        try:
            form.close_on = date.fromisoformat(str(values["close_date"]))
        except ValueError:
            form.errors["close_date"] = Text("form.error.bad_date")
    deal_id = metadata.opportunity if metadata else None
    existing = get_opportunity(ctx.session, ctx.workspace.id, deal_id) if deal_id is not None else None
    form.existing = existing if existing is not None and existing.member_id == ctx.member.id else None
    if form.close_on is not None and form.close_on < ctx.today and form.existing is None:
        form.errors["close_date"] = Text("form.error.close_in_past")
    return form


def _read_amount(text: str, errors: dict[str, Text]) -> Money | None:
    """The amount field: required, a readable amount in a known currency."""
    parsed = parse_amount(text) if text else None
    if not text:
        errors["amount"] = Text("form.error.required")
    elif isinstance(parsed, Money):
        if parsed.currency is not None and parsed.currency not in CURRENCIES:
            errors["amount"] = Text("form.error.bad_amount")
        return parsed
    elif isinstance(parsed, AmountError) and parsed.code in ("negative_amount", "absurd_amount"):
        errors["amount"] = Text(f"opp.error.{parsed.code}")
    else:
        errors["amount"] = Text("form.error.bad_amount")
    return None


def _save_form(ctx: Context, form: _DealForm, title: str, settings: workspace_settings.WorkspaceSettings) -> Reply:
    """Update the open deal the form was opened for, or create one (and its account if new)."""
    money = form.money
    assert money is not None
    account = form.account
    if account is None:
        assert form.new_account is not None
        account = create_account(ctx.session, ctx.workspace.id, form.new_account, owner_id=ctx.member.id, now=ctx.now)
    title = title or account.name
    existing = form.existing
    if existing is not None and existing.status == "open":
        change = OpportunityChange(
            amount=money.amount,
            currency=_currency_of(money, settings) if money.currency else None,
            probability=form.probability,
            stage=form.stage,
            expected_close_on=form.close_on,
            title=title,
        )
        update_opportunity(ctx.session, existing, ctx.member, change, today=ctx.today, now=ctx.now, settings=settings)
        return deal_reply(ctx, existing, Text("opp.updated", {"account": existing.account.name, "title": existing.title}))
    new = OppCommand(kind="new", account=account.name, title=title, amount=money, probability=form.probability,
                     stage=form.stage, close_on=form.close_on)
    return _create(ctx, account, new, settings)


DIALOG = Dialog(
    "opp",
    commands={"opp": on_command},
    actions={OpenForm: _open_form, Won: _won, PickDeal: _pick_deal, **ACCOUNT_QUESTION.handlers()},
    forms=(FormSpec(FORM_ID, on_form),),
)
