"""Wires Carnet together from Settings: database, clock, conversation, Slack client, outbox worker.

The CLI, the tests and the benchmarks all assemble Carnet here, so they run the same thing.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from bot.app import build_app, make_web_client
from bot.clock import Clock, SystemClock
from bot.conversation import Conversation
from bot.jobs.delivery import DeliveryWorker, OutboxDelivery
from bot.services.members import ProfileLookup
from bot.settings import Settings
from bot.slack_profiles import SlackProfiles
from storage.db import make_engine, make_session_factory, upgrade


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    client: WebClient
    conversation: Conversation
    delivery: OutboxDelivery
    worker: DeliveryWorker
    _bolt: App | None = field(default=None, repr=False)

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
            )
        return self._bolt

    def scheduler(self):  # -> bot.jobs.scheduler.Scheduler
        """The every-minute scheduler of due work (agendas, reminders), waking the delivery worker."""
        from bot.jobs.scheduler import Scheduler

        return Scheduler(self.session_factory, self.clock, self.worker.wake)

    def web_app(self, *, with_scheduler: bool = False) -> Starlette:
        """The ASGI app; ``carnet serve`` runs it with the scheduler, tests usually without."""
        from bot.web import create_web_app

        background = [self.worker] + ([self.scheduler()] if with_scheduler else [])
        return create_web_app(self.bolt_app(), self.session_factory, background)

    def close(self) -> None:
        self.worker.stop()
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
) -> Runtime:
    """Assemble Carnet; ``profiles=True`` learns new members from Slack's users.info."""
    engine = make_engine(settings.database_url)
    if upgrade_db:
        upgrade(engine)
    session_factory = make_session_factory(engine)
    clock = clock or SystemClock()
    client = make_web_client(settings.slack_bot_token, settings.slack_api_url)
    if profiles is True:
        # A short timeout: this runs before the ack of a new member's first command.
        lookup: ProfileLookup | None = SlackProfiles(make_web_client(settings.slack_bot_token, settings.slack_api_url, timeout=2))
    else:
        lookup = profiles or None
    conversation = Conversation(
        session_factory,
        clock,
        profiles=lookup,
        default_tz=settings.default_tz,
        default_locale=settings.default_locale,
    )
    delivery = OutboxDelivery(session_factory, client, clock)
    worker = DeliveryWorker(delivery, interval=delivery_interval)
    return Runtime(settings, engine, session_factory, clock, client, conversation, delivery, worker)
