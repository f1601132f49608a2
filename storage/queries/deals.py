"""Reads of a member's opportunities (the carnet commercial)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Member, Opportunity


def latest_closed_deal(session: Session, member: Member, account_id: int) -> Opportunity | None:
    """The member's most recently closed (won or lost) deal at the account, if any."""
    return session.scalar(
        select(Opportunity)
        .where(
            Opportunity.workspace_id == member.workspace_id,
            Opportunity.account_id == account_id,
            Opportunity.member_id == member.id,
            Opportunity.status != "open",
        )
        .order_by(Opportunity.closed_at.desc(), Opportunity.id.desc())
        .limit(1)
    )


def open_deals_of(session: Session, member: Member) -> list[Opportunity]:
    """The member's open deals, the nearest expected close first (deals without a date last)."""
    return list(
        session.scalars(
            select(Opportunity)
            .where(
                Opportunity.workspace_id == member.workspace_id,
                Opportunity.member_id == member.id,
                Opportunity.status == "open",
            )
            .order_by(Opportunity.expected_close_on.is_(None), Opportunity.expected_close_on, Opportunity.id)
        )
    )
