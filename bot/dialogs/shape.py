"""The one shape every dialog declares: its commands, its button actions, its forms.

A dialog module ends with ``DIALOG = Dialog(...)``; the conversation core routes by it. The checks
every button needs are done here, once: a value no dialog declared is "unknown"; an action that
answers a pending command takes it (expired, not yours, or already taken by another click are
answered here); an action about a row (a plan, a deal) finds it in the member's workspace and
refuses another member's. The handler then gets typed values only.

The account question (``AccountQuestion``) is the flow /log, /opp and /plan share when the
account typed is not certain: pick a suggestion, create the account, or cancel.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from bot.actions import Action, action, choice, decode, dialog_of, from_data, to_data
from bot.core import Reply, Text
from bot.dialogs import pending as pending_commands
from bot.dialogs.context import Context
from bot.services.accounts import AccountMatch, create_account, get_account
from storage.models import Account

CommandHandler = Callable[[Context, str], Reply]
ActionHandler = Callable[..., Reply]  # (ctx, action) · (ctx, action, payload) · (ctx, action, row)
FormHandler = Callable[[Context, dict, Any], Reply]  # (ctx, values, metadata of the declared type)


@dataclass(frozen=True)
class About:
    """What a form was opened about: the plan of a Done or Reschedule button, the deal it updates."""

    plan: int | None = None
    opportunity: int | None = None


@dataclass(frozen=True)
class FormSpec:
    """A form a dialog opens: its id, the handler of its submission, the type of its metadata."""

    form_id: str
    handler: FormHandler
    metadata: type | None = About

    def read_metadata(self, raw: Any) -> Any:
        """The submitted metadata as the declared type (fields it cannot read are left empty)."""
        if self.metadata is None:
            return None
        if isinstance(raw, self.metadata):
            return raw
        try:
            return from_data(self.metadata, raw if isinstance(raw, dict) else {})
        except (TypeError, ValueError):
            return self.metadata()


@dataclass(frozen=True)
class Dialog:
    """A dialog's declaration: what it answers, and with which function."""

    name: str
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    actions: Mapping[type[Action], ActionHandler] = field(default_factory=dict)
    forms: tuple[FormSpec, ...] = ()


def ended(ctx: Context, key: str, *, ok: bool = False) -> Reply:
    """A one-line answer to a button, replacing the message it was on."""
    return Reply(locale=ctx.locale, lines=[Text(key)], replace_original=True, ok=ok)


class Router:
    """Every declared command, action and form of the given dialogs."""

    def __init__(self, dialogs: tuple[Dialog, ...]) -> None:
        self.commands: dict[str, CommandHandler] = {}
        self.actions: dict[type[Action], tuple[Dialog, ActionHandler]] = {}
        self.forms: dict[str, FormSpec] = {}
        for dialog in dialogs:
            self.commands.update(dialog.commands)
            self.actions.update({cls: (dialog, handler) for cls, handler in dialog.actions.items()})
            self.forms.update({spec.form_id: spec for spec in dialog.forms})

    def command(self, ctx: Context, command: str, text: str) -> Reply:
        handler = self.commands.get(command)
        if handler is None:
            return ctx.reply(Text("error.unknown_command", {"command": command}), ok=False)
        return handler(ctx, text)

    def form(self, ctx: Context, form_id: str, values: dict, metadata: Any) -> Reply:
        spec = self.forms.get(form_id)
        if spec is None:
            return ctx.reply(Text("choice.unknown"), ok=False)
        return spec.handler(ctx, values, spec.read_metadata(metadata))

    def choice(self, ctx: Context, value: str) -> Reply:
        """A clicked button: decoded, checked, then handed to its dialog's handler."""
        act = decode(value)
        declared = self.actions.get(type(act)) if act is not None else None
        if act is None or declared is None:
            return ctx.reply(Text("choice.unknown"), ok=False)
        dialog, handler = declared
        if act.payload is not None:
            taken = pending_commands.take(ctx, dialog_of(act.route), getattr(act, "pending"))
            if isinstance(taken, Reply):
                return taken
            return handler(ctx, act, from_data(act.payload, taken.payload))
        subject = act.subject
        if subject is not None:
            row = ctx.session.get(subject, getattr(act, "id"))
            if row is None or row.workspace_id != ctx.workspace.id:
                return ctx.reply(Text("choice.expired"), ok=False)
            if row.member_id != ctx.member.id:
                return ctx.reply(Text("choice.not_your_item"), ok=False)
            return handler(ctx, act, row)
        return handler(ctx, act)


def keep_pending(ctx: Context, dialog: str, payload: Any) -> int:
    """Keep ``payload`` (a dataclass) until the member chooses; its id goes in the buttons."""
    return pending_commands.keep(ctx, dialog, to_data(payload)).id


# --------------------------------------------------------------------------- the account question


Resume = Callable[[Context, Any, Account, bool], Reply]  # (ctx, payload, account, created) → reply


class AccountQuestion:
    """"Which account?" for a command kept pending: a button per suggestion, create, cancel.

    ``names`` are the button routes' last parts as buttons already posted carry them (/plan's
    predate the others'). ``resume`` finishes the command once the account is certain;
    ``create_question`` asks whether to create an account nobody's name resembles."""

    def __init__(
        self,
        dialog: str,
        payload: type,
        resume: Resume,
        *,
        cancelled: str,
        create_question: str,
        names: tuple[str, str, str] = ("pick_account", "create_account", "cancel"),
    ) -> None:
        self.dialog, self.payload, self.resume = dialog, payload, resume
        self.cancelled, self.create_question = cancelled, create_question
        pick, create, cancel = names
        self.Pick = action(f"{dialog}.{pick}", payload=payload)(
            types.new_class("PickAccount", (Action,), exec_body=_fields(pending=int, account=int)))
        self.Create = action(f"{dialog}.{create}", payload=payload)(
            types.new_class("CreateAccount", (Action,), exec_body=_fields(pending=int)))
        self.Cancel = action(f"{dialog}.{cancel}", payload=payload)(
            types.new_class("CancelPending", (Action,), exec_body=_fields(pending=int)))

    def ask(self, ctx: Context, typed: str, match: AccountMatch, payload: Any, *, may_create: bool = True) -> Reply:
        """Keep ``payload`` and ask which account ``typed`` means (or whether to create it)."""
        pending_id = keep_pending(ctx, self.dialog, payload)
        choices = [choice(Text("plain", {"text": a.name}), self.Pick(pending_id, a.id)) for a in match.suggestions]
        if may_create:
            choices.append(choice(Text("choice.create_account", {"name": typed}), self.Create(pending_id), "primary"))
        choices.append(choice(Text("choice.cancel"), self.Cancel(pending_id), "danger"))
        key = "ask.account" if match.suggestions else self.create_question
        return Reply(locale=ctx.locale, lines=[Text(key, {"typed": typed})], choices=choices)

    def handlers(self) -> dict[type[Action], ActionHandler]:
        return {self.Pick: self._picked, self.Create: self._create, self.Cancel: self._cancel}

    def _picked(self, ctx: Context, act: Any, payload: Any) -> Reply:
        account = get_account(ctx.session, ctx.workspace.id, act.account)
        if account is None:
            return ended(ctx, "choice.expired")
        return _replacing(self.resume(ctx, payload, account, False))

    def _create(self, ctx: Context, _act: Any, payload: Any) -> Reply:
        account = create_account(ctx.session, ctx.workspace.id, payload.account, owner_id=ctx.member.id, now=ctx.now)
        return _replacing(self.resume(ctx, payload, account, True))

    def _cancel(self, ctx: Context, _act: Any, _payload: Any) -> Reply:
        return ended(ctx, self.cancelled, ok=True)


def _replacing(reply: Reply) -> Reply:
    reply.replace_original = True
    return reply


def _fields(**annotations: type) -> Callable[[dict], None]:
    def body(ns: dict) -> None:
        ns["__annotations__"] = dict(annotations)

    return body
