"""Wires Carnet together from Settings: database, clock, conversation, Slack client, outbox worker.

The CLI, the tests and the benchmarks all assemble Carnet here, so they run the same thing.

Two engines on the same database: the Slack door's (short lock and statement timeouts, under the
3 s ack) and the worker's (scheduler, delivery, CLI, seeding: long ones). ``carnet serve`` is the
door and, unless ``--no-worker``, an embedded worker; ``carnet worker`` is the worker alone.
"""

from __future__ import annotations

import gc
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from bot.app import build_app, make_web_client
from bot import redaction
from bot.clock import Clock, SystemClock
from bot.conversation import Conversation
from bot.handlers.deps import ACK_BUDGET
from bot.jobs.delivery import DeliveryWorker, OutboxDelivery
from bot.services.members import ProfileLookup
from bot.settings import Settings
from bot.slack_install import CarnetInstallationStore, WorkspaceTokens
from bot.slack_profiles import SlackProfiles
from storage.db import make_engine, make_session_factory, upgrade

logger = logging.getLogger(__name__)

# Requests worked on at once per process (a dispatch thread and a Bolt listener thread each); the
# others wait in line and one that waited past its ack deadline is refused before any work.
# benchmarks/load.py, 50 clients on 2 vCPU (SQLite): 40 threads 50 req/s, p95 2.0 s, 320 of 1,543
# requests rolled back; 10 threads 74 req/s, p95 1.05 s, 4 of 2,248 (GIL and Bolt's 10 ms ack
# polling shared by fewer threads).
DEFAULT_THREADS = 10
LATER_THREADS = 2
# A new member's first request waits this long for users.info, then goes on with the defaults.
PROFILE_BUDGET = 0.5


@dataclass
class Runtime:
    settings: Settings
    engine: Engine  # the worker's: long timeouts (scheduler, delivery, CLI, tests' seeding)
    session_factory: sessionmaker[Session]
    clock: Clock
    client: WebClient
    conversation: Conversation
    delivery: OutboxDelivery
    worker: DeliveryWorker
    serve_engine: Engine | None = None  # the Slack door's: short timeouts (None: the console)
    threads: int = DEFAULT_THREADS
    tokens: WorkspaceTokens | None = None  # each workspace's bot token (OAuth or the one token)
    installations: CarnetInstallationStore | None = None  # OAuth only
    _bolt: App | None = field(default=None, repr=False)
    _later: ThreadPoolExecutor | None = field(default=None, repr=False)

    def bolt_app(self) -> App:
        """The Bolt app (built once); needs SLACK_SIGNING_SECRET."""
        if self._bolt is None:
            if not self.settings.slack_signing_secret:
                raise RuntimeError("SLACK_SIGNING_SECRET is not set")
            self._bolt = build_app(
                signing_secret=self.settings.slack_signing_secret,
                client=self.client,
                conversation=self.conversation,
                wake_delivery=self.worker.wake,
                threads=self.threads,
                run_later=self._later_pool().submit,
                oauth=self._oauth(),
                on_uninstall=self.uninstall,
            )
        return self._bolt

    def _oauth(self) -> dict[str, object] | None:
        if self.installations is None:
            return None
        from bot.slack_install import authorize, oauth_settings

        return {
            "oauth_settings": oauth_settings(self.settings, self.installations, self.engine),
            "authorize": authorize(self.settings, self.installations),
            "installation_store": self.installations,
        }

    def uninstall(self, team_id: str) -> None:
        """The app was removed from ``team_id`` (or its bot token revoked): nothing more is sent
        there, its installation is forgotten; its data waits out the grace period (the scheduler
        erases it)."""
        from bot.services import installs

        if self.installations is not None:  # first: its requests are refused from now on
            self.installations.delete_all(enterprise_id=None, team_id=team_id)
        with self.session_factory() as session, session.begin():
            known = installs.mark_uninstalled(session, team_id, now=self.clock.now())
        logger.info("Carnet uninstalled from workspace %s%s; its data is erased after %d days", team_id,
                    "" if known else " (never used)", self.settings.retention_days)

    def _later_pool(self) -> ThreadPoolExecutor:
        # The slow halves of commands (a digest, a 1,000-rep pipeline): a few at a time, so that
        # they never take the threads that answer Slack.
        if self._later is None:
            self._later = ThreadPoolExecutor(max_workers=LATER_THREADS, thread_name_prefix="carnet-later")
        return self._later

    def scheduler(self):  # -> bot.jobs.scheduler.Scheduler
        """The every-minute scheduler of due work (agendas, reminders), waking the delivery worker."""
        from bot.jobs.scheduler import Scheduler

        profiles = None
        if self.conversation.profiles is not None:
            profiles = (self.conversation.profiles, self.conversation.default_tz, self.conversation.default_locale)
        return Scheduler(self.session_factory, self.clock, self.worker.wake, profiles=profiles,
                         retention_days=self.settings.retention_days)

    def web_app(self, *, with_scheduler: bool = False, with_delivery: bool = True) -> Starlette:
        """The ASGI app and what runs beside it: ``carnet serve`` embeds the whole worker (scheduler
        and delivery), ``--no-worker`` neither; tests usually run the delivery alone."""
        from bot.web import create_web_app

        background = ([self.worker] if with_delivery else []) + ([self.scheduler()] if with_scheduler else [])
        return create_web_app(
            self.bolt_app(), self.session_factory, background, threads=self.threads,
            signing_secret=self.settings.slack_signing_secret,
        )

    def close(self) -> None:
        if self._later is not None:
            self._later.shutdown(wait=True)
        self.worker.stop()
        self.conversation.close()
        if self.serve_engine is not None:
            self.serve_engine.dispose()
        self.engine.dispose()


def prepare_to_serve() -> None:
    """Pay start-up costs before the first ack, not during it (``carnet serve`` and the benchmarks).

    dateparser's first parse loads its language data; then the start-up heap (that data,
    SQLAlchemy, Bolt: ~80,000 objects) is frozen out of the garbage collector. Without the
    freeze every full collection walks it again (~50 ms), and a /log that reads a workspace's
    5,000 account names for suggestions allocates enough to trigger one every few requests:
    benchmarks/log_latency.py measured p99 128 ms before, 60 ms after.
    """
    from bot.grammar.when import warm_up

    warm_up()
    gc.collect()
    gc.freeze()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    upgrade_db: bool = True,
    profiles: ProfileLookup | None | bool = True,
    delivery_interval: float = 1.0,
    door: str = "slack",
    threads: int = DEFAULT_THREADS,
) -> Runtime:
    """Assemble Carnet; ``profiles=True`` learns new members from Slack's users.info.

    ``door="slack"``: the conversation runs on the serving engine (short timeouts) and every
    request has Slack's ack deadline; ``door="console"``: on the worker's engine, no deadline."""
    redaction.install(settings.secrets())  # before anything can log them
    engine = make_engine(settings.database_url, role="worker")
    if upgrade_db:
        upgrade(engine)
    session_factory = make_session_factory(engine)
    serve_engine: Engine | None = None
    conversation_sessions = session_factory
    if door == "slack":
        serve_engine = make_engine(settings.database_url, role="serve", **_serve_pool(settings.database_url, threads))
        conversation_sessions = make_session_factory(serve_engine)
    clock = clock or SystemClock()
    installations, tokens = _installations(settings, engine, session_factory, clock)
    # OAuth: no token of its own; each request, send and lookup takes its workspace's.
    client = make_web_client(None if installations else settings.slack_bot_token, settings.slack_api_url)
    if profiles is True:
        # Runs in the background (PROFILE_BUDGET before the ack at most); a slow Slack costs the
        # member their profile until it answers, never the ack.
        lookup: ProfileLookup | None = SlackProfiles(
            make_web_client(settings.slack_bot_token, settings.slack_api_url, timeout=5), tokens=tokens)
    else:
        lookup = profiles or None
    conversation = Conversation(
        conversation_sessions,
        clock,
        profiles=lookup,
        default_tz=settings.default_tz,
        default_locale=settings.default_locale,
        profile_budget=PROFILE_BUDGET if (profiles is True and door == "slack") else None,
        ack_budget=ACK_BUDGET if door == "slack" else None,
        later_session_factory=session_factory,  # the slow part of a command, after the ack
    )
    # Without any token (the console, a CLI run) rows are not dropped as if uninstalled: they fail to send.
    sends_with = tokens.for_workspace if (installations or settings.slack_bot_token) else None
    delivery = OutboxDelivery(session_factory, client, clock, tokens=sends_with,
                              lease=timedelta(seconds=settings.claim_lease_seconds))
    worker = DeliveryWorker(delivery, interval=delivery_interval)
    return Runtime(settings, engine, session_factory, clock, client, conversation, delivery, worker,
                   serve_engine=serve_engine, threads=threads, tokens=tokens, installations=installations)


def _installations(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session], clock: Clock
) -> tuple[CarnetInstallationStore | None, WorkspaceTokens]:
    """OAuth (SLACK_CLIENT_ID…): the installation store and tokens from it; else the one token."""
    if not settings.oauth:
        return None, WorkspaceTokens(session_factory, single_token=settings.slack_bot_token)
    store = CarnetInstallationStore(settings.slack_client_id or "", engine, session_factory, clock)
    return store, WorkspaceTokens(session_factory, store=store)


def _serve_pool(url: str, threads: int) -> dict[str, object]:
    """One connection per listener thread; a request that cannot get one in 1 s gets the apology."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return {}  # an in-memory database lives in one connection (SingletonThreadPool)
    return {"pool_size": threads, "max_overflow": 4, "pool_timeout": 1.0}


def serve_app() -> Starlette:
    """uvicorn's factory for ``carnet serve --workers N``: one door per process, settings from the
    environment, no worker (the parent process runs it, or ``carnet worker`` does)."""
    import os

    settings = Settings.from_env()
    runtime = build_runtime(settings, threads=int(os.environ.get("CARNET_SERVE_THREADS") or DEFAULT_THREADS))
    prepare_to_serve()
    return runtime.web_app(with_delivery=False)
