"""The conversation core: one Request in, one Reply out, in one database transaction.

Both doors (Slack, console) call ``Conversation.handle``. It finds or learns the
workspace and member, answers a retried request with the reply already given, routes
to the dialogue, and — when the door asks — queues the reply in the outbox in the same
transaction as the work it reports. Any unexpected error rolls everything back and
answers a short apology: never a stack trace, never half-stored work.
"""

from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core import Reply, Request, Text
from bot.dialogs import carnet as carnet_dialog
from bot.dialogs import home as home_dialog
from bot.dialogs import log as log_dialog
from bot.dialogs import opp as opp_dialog
from bot.dialogs import pipeline as pipeline_dialog
from bot.dialogs import plan as plan_dialog
from bot.dialogs.context import Context
from bot.grammar.normalize import fold, has_letter_or_digit
from bot.messages import normalize_locale
from bot.services import outbox
from bot.services.accounts import AccountNameIndex, search_accounts
from bot.services.members import (
    Profile,
    ProfileLookup,
    find_member,
    find_workspace,
    get_or_create_member,
    get_or_create_workspace,
)
from storage.models import ProcessedRequest

logger = logging.getLogger(__name__)

CommandHandler = Callable[[Context, str], Reply]
ChoiceHandler = Callable[[Context, str, list[str]], Reply]
FormHandler = Callable[[Context, dict, str], Reply]

COMMANDS: dict[str, CommandHandler] = {
    "log": log_dialog.on_command,
    "carnet": carnet_dialog.on_carnet,
    "opp": opp_dialog.on_command,
    "pipeline": pipeline_dialog.on_command,
    "plan": plan_dialog.on_plan,
    "relance": plan_dialog.on_relance,
    "home": home_dialog.on_command,
}
# A choice value reads "<dialogue>.<name>:<arg>:<arg>", e.g. "log.pick_account:12:5".
CHOICES: dict[str, ChoiceHandler] = {
    "log": log_dialog.on_choice,
    "opp": opp_dialog.on_choice,
    "plan": plan_dialog.on_choice,
}
FORMS: dict[str, FormHandler] = {
    log_dialog.FORM_ID: log_dialog.on_form,
    opp_dialog.FORM_ID: opp_dialog.on_form,
    plan_dialog.RESCHEDULE_FORM_ID: plan_dialog.on_reschedule_form,
}


class Conversation:
    """Answers Requests from any door against one database and one clock."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        profiles: ProfileLookup | None = None,
        default_tz: str = "Europe/Paris",
        default_locale: str = "fr",
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.profiles = profiles
        self.default_tz = default_tz
        self.default_locale = normalize_locale(default_locale)
        self.account_index = AccountNameIndex()

    def handle(self, request: Request) -> Reply:
        """Answer ``request``; the same ``request_key`` twice runs the work once."""
        try:
            profile = self._profile_if_new(request)
            return self._handle_once(request, profile)
        except IntegrityError:
            # A concurrent duplicate of this request committed first: give its reply.
            stored = self._stored_reply(request)
            if stored is not None:
                return stored
            logger.exception("integrity error while handling %s", request.command or request.choice or request.form_id)
        except Exception:
            logger.exception("error while handling %s", request.command or request.choice or request.form_id)
        return Reply(locale=self.default_locale, lines=[Text("error.internal")], ok=False)

    def account_options(self, team_id: str, query: str, locale: str | None = None) -> list[tuple[str, str]]:
        """Type-ahead options ``(value, label)`` for an account field: matches, then "create …"."""
        from bot.messages import translate

        query = " ".join(query.split())[:120]
        with self.session_factory() as session:
            workspace = find_workspace(session, team_id)
            accounts = search_accounts(session, workspace.id, query, index=self.account_index) if workspace else []
        options = [(f"id:{a.id}", a.name) for a in accounts]
        if query and not any(fold(name) == fold(query) for _v, name in options) and has_letter_or_digit(query):
            label = translate(locale or self.default_locale, "form.account_create_option", name=query)
            options.append((f"new:{query}", label))
        return options

    def _profile_if_new(self, request: Request) -> Profile | None:
        """Ask the door about a user only the first time (outside any transaction: it may be slow)."""
        if self.profiles is None:
            return None
        with self.session_factory() as session:
            workspace = find_workspace(session, request.team_id)
            if workspace is not None and find_member(session, workspace.id, request.user_id) is not None:
                return None
        try:
            return self.profiles(request.user_id)
        except Exception as exc:  # the profile is a nicety: defaults work too
            logger.warning("could not read the profile of %s (%s); using the defaults", request.user_id, exc)
            return None

    def _stored_reply(self, request: Request) -> Reply | None:
        if not request.request_key:
            return None
        with self.session_factory() as session:
            workspace = find_workspace(session, request.team_id)
            if workspace is None:
                return None
            return self._lookup_processed(session, workspace.id, request.request_key)

    @staticmethod
    def _lookup_processed(session: Session, workspace_id: int, key: str) -> Reply | None:
        row = session.scalar(
            select(ProcessedRequest).where(
                ProcessedRequest.workspace_id == workspace_id, ProcessedRequest.request_key == key
            )
        )
        return Reply.from_dict(row.reply) if row is not None else None

    def _handle_once(self, request: Request, profile: Profile | None) -> Reply:
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            workspace = get_or_create_workspace(session, request.team_id, now=now)
            if request.request_key:
                stored = self._lookup_processed(session, workspace.id, request.request_key)
                if stored is not None:
                    return stored
            member = get_or_create_member(
                session,
                workspace,
                request.user_id,
                now=now,
                profile=profile,
                default_tz=self.default_tz,
                default_locale=self.default_locale,
            )
            ctx = Context(
                session=session,
                workspace=workspace,
                member=member,
                now=now,
                source=request.source,
                account_index=self.account_index,
                later=request.later,
            )
            reply = self._route(ctx, request)
            if request.request_key:
                session.add(
                    ProcessedRequest(
                        workspace_id=workspace.id, request_key=request.request_key, reply=reply.to_dict(), created_at=now
                    )
                )
            # A form opens at once through the door (its trigger lives 3 s); field errors are
            # answered in the ack: neither is a message to queue.
            if request.deliver_to is not None and reply.form is None and not reply.field_errors:
                outbox.enqueue(
                    session,
                    workspace_id=workspace.id,
                    dedupe_key=f"reply:{request.request_key or now.isoformat()}",
                    kind="reply",
                    payload={"destination": request.deliver_to, "reply": reply.to_dict()},
                    now=now,
                )
            return reply

    @staticmethod
    def _route(ctx: Context, request: Request) -> Reply:
        if request.choice is not None:
            head, _, rest = request.choice.partition(":")
            dialogue, _, name = head.partition(".")
            handler = CHOICES.get(dialogue)
            if handler is None:
                return Reply(locale=ctx.locale, lines=[Text("choice.unknown")], ok=False)
            return handler(ctx, name, rest.split(":") if rest else [])
        if request.form_id is not None:
            form_handler = FORMS.get(request.form_id)
            if form_handler is None:
                return Reply(locale=ctx.locale, lines=[Text("choice.unknown")], ok=False)
            return form_handler(ctx, request.form_values, request.form_metadata)
        command = (request.command or "").lstrip("/").lower()
        command_handler = COMMANDS.get(command)
        if command_handler is None:
            return Reply(locale=ctx.locale, lines=[Text("error.unknown_command", {"command": command})], ok=False)
        return command_handler(ctx, request.text)
