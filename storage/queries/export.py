"""The exports (``carnet export``, ``/carnet export``): every action and every deal of a workspace, or
of some of its members, streamed as rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storage.models import Account, Action, Contact, Member, Opportunity, Workspace


@dataclass(frozen=True)
class ActionReportRow:
    """One line of the manager's activity table."""

    occurred_on: date
    rep: str
    account: str
    contact: str | None
    function: str | None
    action_type: str
    result: str | None
    channel: str
    note: str | None


def action_report(
    session: Session,
    workspace_id: int,
    *,
    since: date | None = None,
    until: date | None = None,
    member_ids: Sequence[int] | None = None,
    batch: int = 2000,
) -> Iterator[ActionReportRow]:
    """The activity report of a workspace (of ``member_ids`` only, when given), oldest first, streamed
    (a year of a team fits in any memory)."""
    contact = aliased(Contact)
    stmt = (
        select(
            Action.occurred_on,
            Member.display_name,
            Account.name,
            contact.name,
            Action.contact_function,
            Action.action_type,
            Action.result,
            Action.channel,
            Action.note,
        )
        .join(Member, Member.id == Action.member_id)
        .join(Account, Account.id == Action.account_id)
        .outerjoin(contact, contact.id == Action.contact_id)
        .where(Action.workspace_id == workspace_id)
        .order_by(Action.occurred_on, Action.id)
        .execution_options(yield_per=batch)
    )
    if since is not None:
        stmt = stmt.where(Action.occurred_on >= since)
    if until is not None:
        stmt = stmt.where(Action.occurred_on <= until)
    if member_ids is not None:
        stmt = stmt.where(Action.member_id.in_(list(member_ids)))
    for row in session.execute(stmt):
        yield ActionReportRow(*row)


def workspaces(session: Session) -> list[Workspace]:
    return list(session.scalars(select(Workspace).order_by(Workspace.id)))


def count_actions(session: Session, workspace_id: int) -> int:
    return session.scalar(select(func.count(Action.id)).where(Action.workspace_id == workspace_id)) or 0


def _zone(tz: str | None) -> ZoneInfo:
    """The member's time zone; UTC for a name this server's zone database does not know (a corrupt row)."""
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class OpportunityReportRow:
    """One line of the carnet commercial as a table."""

    created_on: date
    rep: str
    account: str
    title: str
    amount: Decimal
    currency: str
    probability: int
    stage: str
    status: str
    expected_close_on: date | None
    next_step_on: date | None
    closed_on: date | None
    close_reason: str | None

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / 100).quantize(Decimal("0.01"))


def opportunity_report(
    session: Session,
    workspace_id: int,
    *,
    since: date | None = None,
    until: date | None = None,
    member_ids: Sequence[int] | None = None,
    batch: int = 2000,
) -> Iterator[OpportunityReportRow]:
    """Every deal of a workspace (of ``member_ids`` only, when given; open first, by expected close),
    created between ``since`` and ``until``. The days of creation and closing are the rep's, in their
    time zone (the days the KPIs count them on)."""
    stmt = (
        select(
            Member.tz,
            Opportunity.created_at,
            Member.display_name,
            Account.name,
            Opportunity.title,
            Opportunity.amount,
            Opportunity.currency,
            Opportunity.probability,
            Opportunity.stage,
            Opportunity.status,
            Opportunity.expected_close_on,
            Opportunity.next_step_on,
            Opportunity.closed_at,
            Opportunity.close_reason,
        )
        .join(Member, Member.id == Opportunity.member_id)
        .join(Account, Account.id == Opportunity.account_id)
        .where(Opportunity.workspace_id == workspace_id)
        .order_by(Opportunity.status != "open", Opportunity.expected_close_on, Opportunity.id)
        .execution_options(yield_per=batch)
    )
    if since is not None:
        stmt = stmt.where(Opportunity.created_at >= datetime.combine(since, time.min, tzinfo=timezone.utc))
    if until is not None:
        stmt = stmt.where(Opportunity.created_at < datetime.combine(until + timedelta(days=1), time.min, tzinfo=timezone.utc))
    if member_ids is not None:
        stmt = stmt.where(Opportunity.member_id.in_(list(member_ids)))
    zones: dict[str, ZoneInfo] = {}
    for tz, created_at, *middle, closed_at, reason in session.execute(stmt):
        zone = zones.get(tz) or zones.setdefault(tz, _zone(tz))
        yield OpportunityReportRow(
            created_at.astimezone(zone).date(), *middle, closed_at.astimezone(zone).date() if closed_at else None, reason
        )
