"""``/compte`` (``/account``): an account's card, its changes in words or in a form, and merging two accounts.

``/compte Gamma`` shows the card; ``/compte Gamma segment gold ville Lyon`` changes fields (its owner,
a manager above the owner, or an admin); ``/compte Gamma modifier`` opens the form;
``/compte fusionner A dans B`` (managers and admins) asks for a confirmation, then moves everything
of A to B.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.actions import Action, action, choice
from bot.core import Fact, Form, FormField, Reply, Text
from bot.dialogs.context import Context
from bot.dialogs.shape import Dialog, FormSpec, ended, keep_pending
from bot.grammar.normalize import fold
from bot.messages import counted, format_day, format_money, format_percent
from bot.services.account_card import (
    KEEP,
    SEGMENTS,
    STATUSES,
    AccountChange,
    AccountChangeError,
    apply_change,
    capital_use,
    may_change,
    read_capital,
    read_city,
    read_postcode,
    read_segment,
    read_status,
)
from bot.services import capital
from bot.services.account_merge import MergeError, merge_accounts
from bot.services.accounts import accounts_named, find_account, get_account
from bot.services.team import can_view, find_member_by_mention
from storage.models import Account, Member
from storage.queries import accounts as account_reads

FORM_ID = "account.form"
# The words that start a field in ``/compte NAME field value …`` (folded), and the field they set.
FIELD_WORDS = {
    "statut": "status", "status": "status",
    "segment": "segment",
    "responsable": "owner", "owner": "owner", "proprietaire": "owner",
    "capital": "visits_per_year", "visites": "visits_per_year", "visits": "visits_per_year",
    "ville": "city", "city": "city",
    "cp": "postcode", "postcode": "postcode", "code-postal": "postcode", "zip": "postcode",
}
EDIT_WORDS = {"modifier", "edit", "changer", "change"}
MERGE_WORDS = {"fusionner", "merge"}
INTO_WORDS = {"dans", "into", "avec", "with"}
READERS = {"status": read_status, "segment": read_segment, "visits_per_year": read_capital, "city": read_city,
           "postcode": read_postcode}
QUOTES = {'"': '"', "«": "»", "“": "”"}


@dataclass(frozen=True)
class AccountAbout:
    """The account a form was opened for."""

    account: int | None = None


@dataclass(frozen=True)
class MergeAsk:
    """A merge waiting for its confirmation."""

    source: int
    target: int


@action("account.edit")
class OpenForm(Action):
    account: int


@action("account.show")
class ShowCard(Action):
    account: int


@action("account.merge", payload=MergeAsk)
class ConfirmMerge(Action):
    pending: int


@action("account.merge_cancel", payload=MergeAsk)
class CancelMerge(Action):
    pending: int


# --------------------------------------------------------------------------- the command


def on_command(ctx: Context, text: str) -> Reply:
    """``/compte NAME [field value …]``, ``/compte NAME modifier``, ``/compte fusionner A dans B``."""
    words = text.split()
    if not words:
        return ctx.reply(Text("account.usage"), ok=False)
    if fold(words[0]) in MERGE_WORDS:
        return _ask_merge(ctx, words[1:])
    name, rest = _split_name(text.strip())
    whole = accounts_named(ctx.session, ctx.workspace.id, [_unquote(text)]) if rest else {}
    if whole:  # "Hôtel de Ville" is a name, not "Hôtel de" and a city
        return card(ctx, next(iter(whole.values())))
    account = _find(ctx, name)
    if isinstance(account, Reply):
        return account
    if not rest:
        return card(ctx, account)
    if len(rest) == 1 and fold(rest[0]) in EDIT_WORDS:
        return _open_form(ctx, account)
    return _edit_in_words(ctx, account, rest)


def _split_name(text: str) -> tuple[str, list[str]]:
    """The account's name (quoted, or the words before the first field word) and the words after it."""
    if text[:1] in QUOTES:
        end = text.find(QUOTES[text[0]], 1)
        if end > 0:
            return text[1:end].strip(), text[end + 1:].split()
    words = text.split()
    for index, word in enumerate(words):
        if index and (fold(word) in FIELD_WORDS or (fold(word) in EDIT_WORDS and index == len(words) - 1)):
            return " ".join(words[:index]), words[index:]
    return " ".join(words), []


def _find(ctx: Context, name: str) -> Account | Reply:
    match = find_account(ctx.session, ctx.workspace.id, name, index=ctx.account_index)
    if match.exact is not None:
        return match.exact
    if not match.suggestions:
        return ctx.reply(Text("account.unknown", {"name": name}), ok=False)
    reply = ctx.reply(Text("account.unknown_suggest", {"name": name}), ok=False)
    reply.choices = [choice(Text("plain", {"text": a.name}), ShowCard(a.id)) for a in match.suggestions]
    return reply


def _read_words(ctx: Context, words: list[str]) -> tuple[AccountChange | None, Member | None, Text | None]:
    """``field value …`` → the change (and the new owner), or the error to say."""
    fields: dict[str, Any] = {}
    owner: Member | None = None
    current: str | None = None
    values: dict[str, list[str]] = {}
    for word in words:
        field = FIELD_WORDS.get(fold(word))
        if field is not None:
            if field in values:
                return None, None, Text("account.error.twice", {"word": word})
            current = field
            values[field] = []
        elif current is None:
            return None, None, Text("account.error.unknown_word", {"word": word})
        else:
            values[current].append(word)
    for field, said in values.items():
        value = " ".join(said)
        if not value:
            return None, None, Text("account.error.missing_value", {"field": ctx.say(f"account.field.{field}")})
        if field == "owner":
            owner = None if fold(value) in ("aucun", "none", "personne", "nobody") else find_member_by_mention(
                ctx.session, ctx.workspace.id, value)
            if owner is None and fold(value) not in ("aucun", "none", "personne", "nobody"):
                return None, None, Text("account.error.unknown_owner", {"value": value})
            fields["owner_id"] = owner.id if owner else None
            continue
        try:
            fields[field] = READERS[field](value)
        except AccountChangeError as error:
            return None, None, Text(f"account.error.{error.code}", {"value": error.value})
    return AccountChange(**fields), owner, None


def _refused(ctx: Context, account: Account) -> Reply | None:
    owner = ctx.session.get(Member, account.owner_id) if account.owner_id else None
    if may_change(ctx.member, account, owner):
        return None
    return ctx.reply(Text("account.refused", {"name": account.name}), Text("error.nothing_stored"), ok=False)


def _owner_refused(ctx: Context, change: AccountChange, owner: Member | None) -> Reply | None:
    """A manager hands an account only to someone of their reporting line (or themself)."""
    if change.owner_id is KEEP or owner is None or ctx.member.role != "manager" or can_view(ctx.member, owner):
        return None
    return ctx.reply(Text("account.error.owner_outside_team", {"name": owner.display_name}), Text("error.nothing_stored"), ok=False)


def _edit_in_words(ctx: Context, account: Account, words: list[str]) -> Reply:
    refused = _refused(ctx, account)
    if refused is not None:
        return refused
    change, owner, error = _read_words(ctx, words)
    if error is not None or change is None:
        return ctx.reply(error or Text("account.usage"), Text("account.usage"), Text("error.nothing_stored"), ok=False)
    return _save(ctx, account, change, owner)


def _save(ctx: Context, account: Account, change: AccountChange, owner: Member | None) -> Reply:
    refused = _owner_refused(ctx, change, owner)
    if refused is not None:
        return refused
    changed = apply_change(account, change)
    ctx.session.flush()
    reply = card(ctx, account)
    key = "account.saved" if changed else "account.unchanged"
    reply.lines.insert(0, Text(key, {"name": account.name}))
    return reply


# --------------------------------------------------------------------------- the card


def card(ctx: Context, account: Account) -> Reply:
    """Status, segment, owner, visit capital and its use, last and next visits, open deals, last actions."""
    owner = ctx.session.get(Member, account.owner_id) if account.owner_id else None
    facts = [
        Fact(Text("account.field.status"), ctx.say(f"account.status.{account.status}")),
        Fact(Text("account.field.segment"), ctx.say(f"account.segment.{account.segment or 'none'}")),
        Fact(Text("account.field.owner"), owner.display_name if owner else ctx.say("account.nobody")),
        Fact(Text("account.field.visits_per_year"), _capital_text(ctx, account)),
        Fact(Text("account.field.city"), _place(account) or "—"),
        Fact(Text("account.last_visit"), _last_visit_text(ctx, account)),
        Fact(Text("account.next_visit"), _next_visit_text(ctx, account)),
    ]
    lines = [Text("account.card.title", {"name": account.name})]
    deals = account_reads.open_deals(ctx.session, account)
    lines.append(Text("account.card.deals", {"count": len(deals)}) if deals else Text("account.card.no_deals"))
    for deal in deals:
        lines.append(Text("account.card.deal", {
            "title": deal.title, "amount": format_money(ctx.locale, deal.amount, deal.currency),
            "probability": format_percent(ctx.locale, deal.probability), "stage": ctx.label("stage", deal.stage),
            "rep": deal.member.display_name}, group="deals"))
    actions = account_reads.last_actions(ctx.session, account)
    lines.append(Text("account.card.actions") if actions else Text("account.card.no_actions"))
    for act in actions:
        result = f" — {ctx.label('result', act.result)}" if act.result else ""
        lines.append(Text("account.card.action", {
            "day": format_day(ctx.locale, act.occurred_on), "type": ctx.label("action_type", act.action_type),
            "rep": act.member.display_name, "result": result}, group="actions"))
    reply = Reply(locale=ctx.locale, lines=lines, facts=facts)
    if may_change(ctx.member, account, owner):
        lines.append(Text("account.edit_usage", {"name": account.name}))
        reply.choices = [choice(Text("account.edit_button"), OpenForm(account.id), "primary")]
    return reply


def _place(account: Account) -> str:
    return " ".join(part for part in (account.postcode, account.city) if part)


def _capital_text(ctx: Context, account: Account) -> str:
    use = capital_use(ctx.session, account, ctx.now, ctx.zone)
    visits = counted(ctx.locale, use.used, "visits_in_person")
    if use.capital is None:  # a prospect without its own number counts toward its owner's prospection budget
        return ctx.say("account.capital.prospect" if account.status == "prospect" else "account.capital.none", visits=visits)
    key = "account.capital.own" if use.own else "account.capital.default"
    return ctx.say(key, visits=visits, capital=use.capital, due=round(use.due), planned=use.planned)


def _last_visit_text(ctx: Context, account: Account) -> str:
    day = account_reads.last_visit_on(ctx.session, account, visit_types=capital.IN_PERSON)
    return format_day(ctx.locale, day) if day else ctx.say("account.never")


def _next_visit_text(ctx: Context, account: Account) -> str:
    plan = account_reads.next_visit(ctx.session, account, now=ctx.now)
    if plan is None:
        return ctx.say("account.none_planned")
    return ctx.say("account.next_visit_by", day=format_day(ctx.locale, plan.due_at.astimezone(ctx.zone).date()),
                   rep=plan.member.display_name)


def _show(ctx: Context, act: ShowCard) -> Reply:
    account = get_account(ctx.session, ctx.workspace.id, act.account)
    if account is None:
        return ended(ctx, "choice.expired")
    reply = card(ctx, account)
    reply.replace_original = True
    return reply


# --------------------------------------------------------------------------- the form


def _open_form(ctx: Context, account: Account) -> Reply:
    refused = _refused(ctx, account)
    if refused is not None:
        return refused
    owner = ctx.session.get(Member, account.owner_id) if account.owner_id else None
    form = Form(
        form_id=FORM_ID,
        title=Text("account.form.title"),
        submit=Text("account.form.submit"),
        metadata=AccountAbout(account=account.id),
        fields=[
            FormField("status", Text("account.field.status"), "select", True,
                      options=[(s, Text(f"account.status.{s}")) for s in STATUSES], initial=account.status),
            FormField("segment", Text("account.field.segment"), "select", True,
                      options=[(s, Text(f"account.segment.{s}")) for s in (*SEGMENTS, "none")],
                      initial=account.segment or "none"),
            FormField("owner", Text("account.field.owner"), "text", initial=owner.display_name if owner else None,
                      hint=Text("account.form.owner_hint"), max_length=200),
            FormField("visits_per_year", Text("account.field.visits_per_year"), "text",
                      initial=str(account.visits_per_year) if account.visits_per_year is not None else None,
                      hint=Text("account.form.capital_hint"), max_length=10),
            FormField("city", Text("account.field.city"), "text", initial=account.city, max_length=120),
            FormField("postcode", Text("account.field.postcode"), "text", initial=account.postcode, max_length=16),
        ],
    )
    return Reply(locale=ctx.locale, form=form)


def _open_form_clicked(ctx: Context, act: OpenForm) -> Reply:
    account = get_account(ctx.session, ctx.workspace.id, act.account)
    if account is None:
        return ended(ctx, "choice.expired")
    return _open_form(ctx, account)


def on_form(ctx: Context, values: dict[str, Any], metadata: AccountAbout) -> Reply:
    """A submitted account form: every field checked (errors beside it), the rights again, then saved."""
    account = get_account(ctx.session, ctx.workspace.id, metadata.account) if metadata.account else None
    if account is None:
        return ctx.reply(Text("choice.expired"), ok=False)
    refused = _refused(ctx, account)
    if refused is not None:
        return refused
    errors: dict[str, Text] = {}
    fields: dict[str, Any] = {}
    status = str(values.get("status") or "")
    if status not in STATUSES:
        errors["status"] = Text("form.error.bad_choice")
    fields["status"] = status
    segment = str(values.get("segment") or "none")
    if segment not in (*SEGMENTS, "none"):
        errors["segment"] = Text("form.error.bad_choice")
    fields["segment"] = None if segment == "none" else segment
    for name in ("visits_per_year", "city", "postcode"):
        try:
            fields[name] = READERS[name](str(values.get(name) or ""))
        except AccountChangeError as error:
            errors[name] = Text(f"account.error.{error.code}", {"value": error.value})
    owner_text = " ".join(str(values.get("owner") or "").split())
    current = ctx.session.get(Member, account.owner_id) if account.owner_id else None
    if current is not None and owner_text == current.display_name:
        owner = current  # left as shown: kept even when another member has the same name
    else:
        owner = find_member_by_mention(ctx.session, ctx.workspace.id, owner_text) if owner_text else None
    if owner_text and owner is None:
        errors["owner"] = Text("account.error.unknown_owner", {"value": owner_text})
    fields["owner_id"] = owner.id if owner else None
    if errors:
        return Reply(locale=ctx.locale, field_errors=errors, ok=False)
    return _save(ctx, account, AccountChange(**fields), owner)


# --------------------------------------------------------------------------- merging


def _ask_merge(ctx: Context, words: list[str]) -> Reply:
    """``fusionner A dans B``: both accounts named exactly, then a confirmation button."""
    if ctx.member.role not in ("manager", "admin"):
        return ctx.reply(Text("account.merge.refused"), Text("error.nothing_stored"), ok=False)
    folded = [fold(w) for w in words]
    cut = next((i for i, w in enumerate(folded) if w in INTO_WORDS and i), None)
    if cut is None or cut == len(words) - 1:
        return ctx.reply(Text("account.merge.usage"), ok=False)
    found = [_find(ctx, _unquote(" ".join(part))) for part in (words[:cut], words[cut + 1:])]
    for either in found:
        if isinstance(either, Reply):
            either.choices = []  # a merge names both accounts exactly: no guess, no button
            return either
    source, target = found
    assert isinstance(source, Account) and isinstance(target, Account)
    if source.id == target.id:
        return ctx.reply(Text("account.merge.same_account"), ok=False)
    pending = keep_pending(ctx, "account", MergeAsk(source=source.id, target=target.id))
    counts = _counts(ctx, source)
    reply = ctx.reply(Text("account.merge.confirm", {"source": source.name, "target": target.name, **counts}))
    reply.choices = [choice(Text("account.merge.button", {"target": target.name}), ConfirmMerge(pending), "danger"),
                     choice(Text("choice.cancel"), CancelMerge(pending))]
    return reply


def _unquote(text: str) -> str:
    text = text.strip()
    if text[:1] in QUOTES and text.endswith(QUOTES[text[0]]) and len(text) > 1:
        return text[1:-1].strip()
    return text


def _counts(ctx: Context, account: Account) -> dict[str, str]:
    actions, deals = account_reads.account_counts(ctx.session, account)
    return {"actions": counted(ctx.locale, actions, "account_actions"), "deals": counted(ctx.locale, deals, "deals")}


def _merge(ctx: Context, _act: ConfirmMerge, ask: MergeAsk) -> Reply:
    if ctx.member.role not in ("manager", "admin"):
        return ended(ctx, "account.merge.refused")
    source = get_account(ctx.session, ctx.workspace.id, ask.source)
    target = get_account(ctx.session, ctx.workspace.id, ask.target)
    if source is None or target is None:
        return ended(ctx, "choice.expired")
    source_name = source.name
    try:
        merge_accounts(ctx.session, source, target, now=ctx.now)
    except MergeError as error:
        return ended(ctx, f"account.merge.{error.code}")
    reply = card(ctx, target)
    reply.lines.insert(0, Text("account.merge.done", {"source": source_name, "target": target.name}))
    reply.replace_original = True
    return reply


def _cancel_merge(ctx: Context, _act: CancelMerge, _ask: MergeAsk) -> Reply:
    return ended(ctx, "account.merge.cancelled", ok=True)


DIALOG = Dialog(
    "account",
    commands={"compte": on_command, "account": on_command},
    actions={OpenForm: _open_form_clicked, ShowCard: _show, ConfirmMerge: _merge, CancelMerge: _cancel_merge},
    forms=(FormSpec(FORM_ID, on_form, metadata=AccountAbout),),
)
