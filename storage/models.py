"""SQLAlchemy 2.0 typed models. Every row belongs to exactly one workspace.

Times are stored in UTC (``UTCDateTime``); calendar days that a person meant
(``Action.occurred_on``) are stored as dates in that person's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true as sa_true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on the way in and out, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        # SQLite keeps no offset: store naive UTC there, aware elsewhere.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Workspace(Base):
    """One Slack workspace (team)."""

    __tablename__ = "workspace"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # see bot/services/workspace_settings.py
    created_at: Mapped[datetime]
    # The app was removed (app_uninstalled / tokens_revoked): nothing is sent there any more, and
    # its rows are erased once the grace period is over (bot/services/workspace_erase.py).
    uninstalled_at: Mapped[datetime | None]


class Member(Base):
    """A Slack user known to Carnet: their role, manager, language, time zone and period."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="rep")  # rep | manager | admin
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(8), default="fr")  # fr | en
    tz: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    period: Mapped[str] = mapped_column(String(16), default="month")  # week | month | quarter
    created_at: Mapped[datetime]
    # Who chose locale and tz: default | inherited (from the admin who set the member up) | slack | admin.
    # Slack's profile never replaces an admin's choice.
    locale_source: Mapped[str] = mapped_column(String(16), default="default", server_default="slack")
    tz_source: Mapped[str] = mapped_column(String(16), default="default", server_default="slack")
    profile_checked_at: Mapped[datetime | None]  # last users.info read; None: ask at the next request


class Account(Base):
    """A company the team sells to. ``name_key`` is the folded name: unique without case or accents."""

    __tablename__ = "account"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name_key"),
        Index("ix_account_owner_status", "workspace_id", "owner_id", "status"),  # a rep's clients (the drift scan)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="prospect")  # prospect | client | former_client
    segment: Mapped[str | None] = mapped_column(String(16))  # gold | silver | bronze
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    # the "capital de visites": visits a year; None means the workspace's default for the segment
    visits_per_year: Mapped[int | None] = mapped_column(Integer)
    city: Mapped[str | None] = mapped_column(String(120))
    postcode: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]


class Contact(Base):
    """A person at an account ("interlocuteur") and their function."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("workspace_id", "account_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    function: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]


class Action(Base):
    """One row of the activity report: what a rep did, with whom, with what result."""

    __tablename__ = "action"
    __table_args__ = (
        Index("ix_action_workspace_day", "workspace_id", "occurred_on"),
        Index("ix_action_member_day", "workspace_id", "member_id", "occurred_on"),
        Index("ix_action_account", "workspace_id", "account_id"),
        Index("ix_action_account_day", "workspace_id", "account_id", "occurred_on", "result"),  # the drift scan
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    # Indexed: erasing a contact (bot/services/data_protection.py) must find its actions without a scan each.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"), index=True)
    contact_function: Mapped[str | None] = mapped_column(String(32))
    action_type: Mapped[str] = mapped_column(String(32))
    result: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))  # in_person | phone | email | video | social
    occurred_on: Mapped[date] = mapped_column(Date)  # the day in the rep's time zone
    logged_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="slack")  # slack | console | form

    account: Mapped[Account] = relationship(lazy="joined")
    member: Mapped[Member] = relationship(lazy="joined")
    contact: Mapped[Contact | None] = relationship(lazy="joined")


class PendingCommand(Base):
    """A command waiting for the user's choice (e.g. "Did you mean Gamma?"); nothing else is stored meanwhile."""

    __tablename__ = "pending_command"
    # A taken command's id is never given again (SQLite reuses the highest id otherwise): a button
    # still on screen must not take a newer command.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ProcessedRequest(Base):
    """The reply already given to a Slack request, so a retried request is answered, not re-run."""

    __tablename__ = "processed_request"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    request_key: Mapped[str] = mapped_column(String(200))
    reply: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(index=True)


class OutboxMessage(Base):
    """A message Carnet owes to Slack. ``dedupe_key`` (kind, subject, slot) makes each one exist once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_channel", "workspace_id", "channel_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    dedupe_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))  # response_url | chat.postMessage | chat.postEphemeral | ...
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | claimed | sent | failed | dropped
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # HTTP tries, 429s included
    failures: Mapped[int] = mapped_column(Integer, default=0)  # real errors (5xx, network): MAX_ATTEMPTS counts these
    # The conversation a message is paced in (channel id, or the user id of a DM); None: not paced.
    channel_key: Mapped[str | None] = mapped_column(String(64))
    first_attempt_at: Mapped[datetime | None]  # where to start looking in the history after an unknown outcome
    outcome_unknown: Mapped[bool] = mapped_column(default=False)  # the last try may have landed (timeout)
    next_attempt_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class Opportunity(Base):
    """A deal in the carnet commercial: a proposal waiting for an answer, with its chance of success."""

    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_rep_status", "workspace_id", "member_id", "status", "stage"),
        Index("ix_opportunity_account_status", "workspace_id", "account_id", "status"),
        Index("ix_opportunity_status_stage", "workspace_id", "status", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    probability: Mapped[int] = mapped_column(Integer)  # 0..100, the rep's estimate
    stage: Mapped[str] = mapped_column(String(16))  # lead | qualification | proposal | negotiation | closing | won | lost
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | won | lost
    expected_close_on: Mapped[date | None] = mapped_column(Date)
    next_step_on: Mapped[date | None] = mapped_column(Date)
    next_step: Mapped[str | None] = mapped_column(String(300))
    close_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]  # last stage, amount or probability change
    closed_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship(lazy="joined")
    member: Mapped[Member] = relationship(lazy="joined")

    @property
    def weighted_amount(self) -> Decimal:
        """Amount x probability: what the deal is worth in the pipeline."""
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))


class OpportunityStageChange(Base):
    """The stage history of an opportunity: every change, with the amount and probability then."""

    __tablename__ = "opportunity_stage_change"
    __table_args__ = (Index("ix_stage_change_opportunity", "opportunity_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    probability: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    changed_at: Mapped[datetime]


class Plan(Base):
    """A planned visit, call or follow-up ("relance"), and what became of it."""

    __tablename__ = "plan"
    __table_args__ = (
        Index("ix_plan_due", "status", "due_at"),
        Index("ix_plan_member_due", "workspace_id", "member_id", "status", "due_at"),
        Index("ix_plan_account", "workspace_id", "account_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    action_type: Mapped[str] = mapped_column(String(32))  # visit | call | follow_up | …
    due_at: Mapped[datetime]
    has_time: Mapped[bool] = mapped_column(default=False)  # a timed visit gets a reminder before it
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned | done | missed | cancelled
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual | auto_relance | segment | tour | drift
    note: Mapped[str | None] = mapped_column(Text)
    # Indexed: deleting an action must find the plans that point at it without scanning them all.
    origin_action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id", ondelete="SET NULL"), index=True)
    done_action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    account: Mapped[Account] = relationship(lazy="joined")
    member: Mapped[Member] = relationship(lazy="joined")


# One open automatic relance per rep and account, kept by the database: ten concurrent
# "/log … proposition" must plan one, not one each (the check before the insert cannot see
# rows that other transactions have not committed yet). Relances a rep plans by hand are free.
AUTO_RELANCE_OPEN = (Plan.status == "planned") & (Plan.source == "auto_relance")
Index(
    "uq_plan_open_auto_relance",
    Plan.workspace_id,
    Plan.member_id,
    Plan.account_id,
    unique=True,
    sqlite_where=AUTO_RELANCE_OPEN,
    postgresql_where=AUTO_RELANCE_OPEN,
)


class Objective(Base):
    """A target over a period: for one rep (``member_id``) or a manager's team (``team_manager_id``).

    ``scope`` (``member:<id>`` or ``team:<id>``). A ``recurring`` objective holds from its period on,
    every period, until another recurring one replaces it; a one-period objective (``recurring``
    false) overrides it for its own period only. So one of each kind per scope, metric and period
    (``bot.services.objectives.in_force`` reads which one holds)."""

    __tablename__ = "objective"
    __table_args__ = (
        UniqueConstraint("workspace_id", "scope", "metric", "period_start", "recurring", name="uq_objective_in_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    team_manager_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(24))  # revenue | visits | new_opportunities | won_deals
    period: Mapped[str] = mapped_column(String(16))  # week | month | quarter
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    recurring: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# slack-sdk's installation and OAuth state tables (OAuth v2, several workspaces), built by
# slack-sdk's own builders so that the stores in bot/slack_install.py read exactly what migration
# 0013 created. Rows are keyed by the Slack team id, not by workspace.id.
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore  # noqa: E402
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore  # noqa: E402

SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, SQLAlchemyInstallationStore.default_installations_table_name)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, SQLAlchemyInstallationStore.default_bots_table_name)
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, SQLAlchemyOAuthStateStore.default_table_name)
