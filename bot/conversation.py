"""The conversation core: one Request in, one Reply out, in one database transaction.

Both doors (Slack, console) call ``Conversation.handle``. It finds or learns the
workspace and member, answers a retried request with the reply already given, routes
to the dialogue, and — when the door asks — queues the reply in the outbox in the same
transaction as the work it reports. Any unexpected error rolls everything back and
answers a short apology: never a stack trace, never half-stored work.

A Slack door passes a ``deadline`` (a ``time.monotonic()`` instant a little before Slack's 3 s):
work that would commit after it is rolled back and answered with an apology, because Slack
shows the member a failure for a late ack and they will type it again. A new member's Slack
profile is asked for with a short budget; when Slack is slower the member starts with the
defaults and the profile is written after the ack.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.core import Reply, Request, Text
from bot.dialogs import account as account_dialog
from bot.dialogs import carnet as carnet_dialog
from bot.dialogs import home as home_dialog
from bot.dialogs import log as log_dialog
from bot.dialogs import message as message_dialog
from bot.dialogs import opp as opp_dialog
from bot.dialogs import pipeline as pipeline_dialog
from bot.dialogs import plan as plan_dialog
from bot.dialogs import tour as tour_dialog
from bot.dialogs.context import Context
from bot.dialogs.shape import Router
from bot.grammar.normalize import fold, has_letter_or_digit
from bot.messages import normalize_locale
from bot.services import outbox
from bot.services.accounts import AccountNameIndex, search_accounts
from bot.services.members import (
    Profile,
    ProfileLookup,
    apply_profile,
    find_member,
    find_workspace,
    get_or_create_member,
    get_or_create_workspace,
    learn_profile,
)
from storage.models import ProcessedRequest

logger = logging.getLogger(__name__)

# Every dialog's declaration (commands, button actions, forms); the core routes by them.
DIALOGS = (
    log_dialog.DIALOG,
    opp_dialog.DIALOG,
    plan_dialog.DIALOG,
    carnet_dialog.DIALOG,
    pipeline_dialog.DIALOG,
    home_dialog.DIALOG,
    message_dialog.DIALOG,
    account_dialog.DIALOG,
    tour_dialog.DIALOG,
)
ROUTER = Router(DIALOGS)
FORM_IDS = tuple(ROUTER.forms)


class DeadlineMissed(Exception):
    """The request's work was done too late to be acknowledged in time: it is rolled back."""


class _ProfileFetch:
    """One users.info in flight for a new member, used at creation if it answers in time."""

    def __init__(self) -> None:
        self.profile: Future[Profile | None] = Future()  # resolved as soon as users.info answered
        self.settled = threading.Event()
        self.created_with_defaults = False


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
        profile_budget: float | None = None,
        ack_budget: float | None = None,
        later_session_factory: sessionmaker[Session] | None = None,
    ) -> None:
        """``profile_budget``: seconds a new member's request waits for ``profiles`` (Slack's
        users.info) before going on with the defaults; the profile is then written when it comes.
        None waits as long as the lookup takes (the console's lookup is instant).
        ``ack_budget``: the deadline of a Slack request whose door passes none, counted from the
        start of ``handle`` (the console's requests and the slow part of a command have none)."""
        self.session_factory = session_factory
        self.clock = clock
        self.profiles = profiles
        self.default_tz = default_tz
        self.default_locale = normalize_locale(default_locale)
        self.account_index = AccountNameIndex()
        self.profile_budget = profile_budget
        self.ack_budget = ack_budget
        self.later_session_factory = later_session_factory
        self._profile_pool: ThreadPoolExecutor | None = None
        if profiles is not None and profile_budget is not None:
            self._profile_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="carnet-profile")

    def close(self) -> None:
        """Wait for the profiles still being fetched (each bounded by its client's timeout)."""
        if self._profile_pool is not None:
            self._profile_pool.shutdown(wait=True, cancel_futures=True)

    def handle(self, request: Request, *, deadline: float | None = None) -> Reply:
        """Answer ``request``; the same ``request_key`` twice runs the work once.

        ``deadline`` is a ``time.monotonic()`` instant: work not ready to commit by then is rolled
        back and answered with ``error.busy`` (so is a database lock or statement timeout)."""
        if "\x00" in request.text:  # no database stores it (PostgreSQL refuses it in text); the words never need it
            request = dataclasses.replace(request, text=request.text.replace("\x00", ""))
        reply = self._answer(request, deadline)
        if request.later and request.deliver_to is not None and reply.keys in (["error.busy"], ["error.internal"]):
            self._queue_failure(request, reply)  # the member was told "preparing…": say it failed
        return reply

    def _queue_failure(self, request: Request, reply: Reply) -> None:
        try:
            with self._sessions(request)() as session, session.begin():
                workspace = find_workspace(session, request.team_id)
                if workspace is not None:
                    outbox.enqueue(session, workspace_id=workspace.id,
                                   dedupe_key=f"reply:{request.request_key or self.clock.now().isoformat()}", kind="reply",
                                   payload=outbox.reply_payload(request.deliver_to, reply), now=self.clock.now())
        except Exception:
            logger.exception("could not queue the failure of %s", request.command)

    def _sessions(self, request: Request) -> sessionmaker[Session]:
        """The slow part of a command runs after the ack: on the worker's engine (long timeouts)."""
        if request.later and self.later_session_factory is not None:
            return self.later_session_factory
        return self.session_factory

    def _answer(self, request: Request, deadline: float | None) -> Reply:
        fetch: _ProfileFetch | None = None
        if deadline is None and self.ack_budget is not None and request.door == "slack" and not request.later:
            deadline = time.monotonic() + self.ack_budget
        try:
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlineMissed  # it waited too long in a queue: do not even start
            profile, fetch = self._profile_if_new(request, deadline)
            return self._handle_once(request, profile, deadline, fetch)
        except (DeadlineMissed, OperationalError, PoolTimeout) as exc:
            # Rolled back: Slack shows the member a failure (or this apology), they try again,
            # and nothing is stored twice.
            logger.warning("%s not answered in time (%s); rolled back", request.command or request.choice or request.form_id,
                           exc.__class__.__name__)
            return Reply(locale=self.default_locale, lines=[Text("error.busy")], ok=False)
        except IntegrityError:
            # A concurrent duplicate of this request committed first: give its reply.
            stored = self._stored_reply(request)
            if stored is not None:
                return stored
            logger.exception("integrity error while handling %s", request.command or request.choice or request.form_id)
        except Exception:
            logger.exception("error while handling %s", request.command or request.choice or request.form_id)
        finally:
            if fetch is not None:
                fetch.settled.set()
        return Reply(locale=self.default_locale, lines=[Text("error.internal")], ok=False)

    def account_options(
        self, team_id: str, query: str, locale: str | None = None, user_id: str | None = None
    ) -> list[tuple[str, str]]:
        """Type-ahead options ``(value, label)`` for an account field: matches, then "create …".

        The "create …" label is in the language of the member ``user_id`` (else ``locale``)."""
        from bot.messages import translate

        query = " ".join(query.split())[:120]
        with self.session_factory() as session:
            workspace = find_workspace(session, team_id)
            accounts = search_accounts(session, workspace.id, query, index=self.account_index) if workspace else []
            member = find_member(session, workspace.id, user_id) if workspace is not None and user_id else None
            if member is not None:
                locale = member.locale
        options = [(f"id:{a.id}", a.name) for a in accounts]
        if query and not any(fold(name) == fold(query) for _v, name in options) and has_letter_or_digit(query):
            label = translate(normalize_locale(locale) if locale else self.default_locale,
                              "form.account_create_option", name=query)
            options.append((f"new:{query}", label))
        return options

    def profile_changed(self, team_id: str, user_id: str, profile: Profile) -> bool:
        """A member changed their profile in the chat (``user_change``): learn it; users that are not
        members are ignored. Without a language in it, the next request asks for the whole profile."""
        now = self.clock.now()
        with self.session_factory() as session, session.begin():
            workspace = find_workspace(session, team_id)
            member = find_member(session, workspace.id, user_id) if workspace is not None else None
            if member is None:
                return False
            changed = apply_profile(member, profile, default_tz=self.default_tz, default_locale=self.default_locale)
            member.profile_checked_at = now if profile.locale else None
            return changed

    def _profile_if_new(self, request: Request, deadline: float | None) -> tuple[Profile | None, _ProfileFetch | None]:
        """Ask the door about a user only the first time (outside any transaction: it may be slow).

        With a ``profile_budget`` the lookup runs in the background: an answer within the budget
        is used at once; a later one is written to the member after this request commits."""
        if self.profiles is None or request.later:
            return None, None
        with self.session_factory() as session:
            workspace = find_workspace(session, request.team_id)
            member = find_member(session, workspace.id, request.user_id) if workspace is not None else None
            # A member an admin set up before their first use has never been looked up: ask now.
            if member is not None and member.profile_checked_at is not None:
                return None, None
        if self._profile_pool is None:
            return self._lookup(request), None
        fetch = _ProfileFetch()
        self._profile_pool.submit(self._fetch_then_apply, request, fetch)
        budget = self.profile_budget or 0.0
        if deadline is not None:
            budget = max(0.0, min(budget, deadline - time.monotonic() - 1.5))  # leave time for the work
        try:
            return fetch.profile.result(timeout=budget), fetch
        except FutureTimeout:
            logger.info("users.info of %s is slow: starting with the defaults, profile after the ack", request.user_id)
            return None, fetch

    def _lookup(self, request: Request) -> Profile | None:
        user_id = request.user_id
        lookup = self.profiles
        # A lookup that serves several workspaces (users.info with each one's token) says so.
        for_team = getattr(lookup, "for_team", None)
        try:
            if for_team is not None:
                lookup = for_team(request.team_id)
            return lookup(user_id) if lookup else None
        except Exception as exc:  # the profile is a nicety: defaults work too
            logger.warning("could not read the profile of %s (%s); using the defaults", user_id, exc)
            return None

    def _fetch_then_apply(self, request: Request, fetch: _ProfileFetch) -> None:
        """In the profile pool: users.info, then — once the request settled — the late update."""
        profile = self._lookup(request)
        fetch.profile.set_result(profile)
        if profile is None:
            return
        # Returns at once when the request used the profile; otherwise wait for its commit (or
        # rollback) so that the member row exists, then update it.
        fetch.settled.wait(10)
        if fetch.created_with_defaults:
            try:
                with self.session_factory() as session, session.begin():
                    workspace = find_workspace(session, request.team_id)
                    if workspace is not None:
                        learn_profile(session, workspace.id, request.user_id, profile, now=self.clock.now(),
                                      default_tz=self.default_tz, default_locale=self.default_locale)
            except Exception:
                logger.exception("could not store the profile of %s", request.user_id)

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

    def _handle_once(
        self, request: Request, profile: Profile | None, deadline: float | None = None, fetch: _ProfileFetch | None = None
    ) -> Reply:
        now = self.clock.now()
        with self._sessions(request)() as session, session.begin():
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
            if profile is not None and member.profile_checked_at is None:  # set up by an admin: learn it now
                member.profile_checked_at = now
                apply_profile(member, profile, default_tz=self.default_tz, default_locale=self.default_locale)
            elif member.profile_checked_at is None and self.profiles is not None and not request.later:
                # Asked once, at first use: a failed or slow users.info must not cost every later request
                # its wait. A late answer is still written (below), and user_change and the weekly
                # check refresh it.
                member.profile_checked_at = now
            ctx = Context(
                session=session,
                workspace=workspace,
                member=member,
                now=now,
                door=request.door,
                account_index=self.account_index,
                later=request.later,
                reference=request.reference,
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
                    payload=outbox.reply_payload(request.deliver_to, reply),
                    now=now,
                )
            if deadline is not None and time.monotonic() > deadline:
                raise DeadlineMissed  # leaving the block now would commit work Slack will report as failed
            if fetch is not None and profile is None:
                fetch.created_with_defaults = True  # read by the profile thread only after the commit
            return reply

    @staticmethod
    def _route(ctx: Context, request: Request) -> Reply:
        if request.choice is not None:
            return ROUTER.choice(ctx, request.choice)
        if request.form_id is not None:
            return ROUTER.form(ctx, request.form_id, request.form_values, request.form_metadata)
        return ROUTER.command(ctx, (request.command or "").lstrip("/").lower(), request.text)
