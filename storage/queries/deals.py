"""Reads of a member's opportunities (the carnet commercial)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from storage.models import Member, Opportunity


def _deals_of(member: Member) -> Select[tuple[Opportunity]]:
    return select(Opportunity).where(Opportunity.workspace_id == member.workspace_id, Opportunity.member_id == member.id)


def open_deals_of(session: Session, member: Member) -> list[Opportunity]:
    """The member's open deals, the nearest expected close first (deals without a date last)."""
    query = _deals_of(member).where(Opportunity.status == "open").order_by(
        Opportunity.expected_close_on.is_(None), Opportunity.expected_close_on, Opportunity.id
    )
    return list(session.scalars(query))


def open_deals_at(session: Session, member: Member, account_id: int) -> list[Opportunity]:
    """The member's open deals at the account, newest first."""
    query = _deals_of(member).where(Opportunity.account_id == account_id, Opportunity.status == "open").order_by(
        Opportunity.created_at.desc(), Opportunity.id.desc()
    )
    return list(session.scalars(query))


def latest_closed_deal(session: Session, member: Member, account_id: int) -> Opportunity | None:
    """The member's most recently closed (won or lost) deal at the account, if any."""
    query = _deals_of(member).where(Opportunity.account_id == account_id, Opportunity.status != "open").order_by(
        Opportunity.closed_at.desc(), Opportunity.id.desc()
    )
    return session.scalar(query.limit(1))


def deal_currencies(session: Session, workspace_id: int) -> set[str]:
    """Every currency the workspace's deals are in."""
    return set(session.scalars(select(Opportunity.currency).distinct().where(Opportunity.workspace_id == workspace_id)))
