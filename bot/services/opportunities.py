"""The carnet commercial: opportunities, their stage history, wins and losses.

Every change of stage, amount or probability writes a row of stage history with the
values then, so managers can later see how a deal moved (and how honest its odds were).
Rule violations raise ``OpportunityError`` with a catalogue code; nothing is half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.services.stages import OPEN_STAGES
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Account, Member, Opportunity, OpportunityStageChange
from storage.queries.deals import open_deals_at

MAX_AMOUNT = Decimal(10) ** 12
MAX_TITLE_LENGTH = 200
MAX_REASON_LENGTH = 300


class OpportunityError(Exception):
    """A change the carnet refuses; ``code`` names the catalogue sentence ``opp.error.<code>``."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class OpportunityChange:
    """What a rep asks to change; None leaves a field as it is."""

    amount: Decimal | None = None
    currency: str | None = None
    probability: int | None = None
    stage: str | None = None
    expected_close_on: date | None = None
    next_step_on: date | None = None
    next_step: str | None = None
    title: str | None = None


def check_amount(amount: Decimal) -> None:
    if amount < 0:
        raise OpportunityError("negative_amount")
    if amount >= MAX_AMOUNT:
        raise OpportunityError("absurd_amount")


def check_probability(probability: int) -> None:
    if not 0 <= probability <= 100:
        raise OpportunityError("bad_probability", value=probability)


def open_opportunities(session: Session, member: Member, account: Account) -> list[Opportunity]:
    """The member's open deals at ``account``, newest first."""
    return open_deals_at(session, member, account.id)


def get_opportunity(session: Session, workspace_id: int, opportunity_id: int) -> Opportunity | None:
    return session.scalar(
        select(Opportunity).where(Opportunity.workspace_id == workspace_id, Opportunity.id == opportunity_id)
    )


def _lock_fresh(session: Session, opportunity: Opportunity) -> None:
    """Take the deal's row and read it again before deciding on a change.

    Two "won" (or two identical updates) at once both read the deal open, and both wrote a
    history row. This no-op UPDATE holds the row lock (PostgreSQL) or the write lock (SQLite)
    until commit, so a concurrent change of the deal has either committed and is read here, or
    waits for this one."""
    session.execute(
        update(Opportunity)
        .where(Opportunity.id == opportunity.id)
        .values(updated_at=Opportunity.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.refresh(opportunity)


def _history(session: Session, opportunity: Opportunity, member: Member, from_stage: str | None, now: datetime) -> None:
    session.add(
        OpportunityStageChange(
            workspace_id=opportunity.workspace_id,
            opportunity_id=opportunity.id,
            member_id=member.id,
            from_stage=from_stage,
            to_stage=opportunity.stage,
            probability=opportunity.probability,
            amount=opportunity.amount,
            changed_at=now,
        )
    )


def create_opportunity(
    session: Session,
    member: Member,
    account: Account,
    *,
    title: str,
    amount: Decimal,
    currency: str,
    probability: int | None,
    stage: str,
    expected_close_on: date | None,
    today: date,
    now: datetime,
    settings: WorkspaceSettings,
    next_step_on: date | None = None,
) -> Opportunity:
    """A new open deal; its probability defaults to the stage's."""
    if stage not in OPEN_STAGES:
        raise OpportunityError("new_must_be_open")
    check_amount(amount)
    if probability is None:
        probability = settings.probability_of(stage)
    check_probability(probability)
    if expected_close_on is not None and expected_close_on < today:
        raise OpportunityError("close_in_past")
    title = " ".join(title.split())[:MAX_TITLE_LENGTH]
    opportunity = Opportunity(
        workspace_id=member.workspace_id,
        member_id=member.id,
        account_id=account.id,
        title=title,
        amount=amount,
        currency=currency,
        probability=probability,
        stage=stage,
        status="open",
        expected_close_on=expected_close_on,
        next_step_on=next_step_on,
        created_at=now,
        updated_at=now,
        account=account,
        member=member,
    )
    session.add(opportunity)
    session.flush()
    _history(session, opportunity, member, None, now)
    return opportunity


def update_opportunity(
    session: Session,
    opportunity: Opportunity,
    member: Member,
    change: OpportunityChange,
    *,
    today: date,
    now: datetime,
    settings: WorkspaceSettings,
) -> bool:
    """Apply ``change`` to an open deal; True when something changed. A change of stage, amount,
    probability or currency also writes stage history; a new close date, next step or title does not."""
    _lock_fresh(session, opportunity)
    if opportunity.status != "open":
        raise OpportunityError("closed", status=opportunity.status)
    if change.amount is not None:
        check_amount(change.amount)
    if change.probability is not None:
        check_probability(change.probability)
    if change.stage is not None and change.stage not in OPEN_STAGES:
        raise OpportunityError("bad_stage")
    if change.expected_close_on is not None and change.expected_close_on < today:
        raise OpportunityError("close_in_past")
    before = (opportunity.stage, opportunity.amount, opportunity.probability, opportunity.currency)
    details_before = (opportunity.expected_close_on, opportunity.next_step_on, opportunity.next_step, opportunity.title)
    from_stage = opportunity.stage
    if change.stage is not None and change.stage != opportunity.stage:
        opportunity.stage = change.stage
        if change.probability is None:  # a new stage brings its usual odds unless the rep says otherwise
            opportunity.probability = settings.probability_of(change.stage)
    if change.probability is not None:
        opportunity.probability = change.probability
    if change.amount is not None:
        opportunity.amount = change.amount
    if change.currency is not None:
        opportunity.currency = change.currency
    if change.expected_close_on is not None:
        opportunity.expected_close_on = change.expected_close_on
    if change.next_step_on is not None:
        opportunity.next_step_on = change.next_step_on
    if change.next_step is not None:
        opportunity.next_step = change.next_step[:300]
    if change.title:
        opportunity.title = " ".join(change.title.split())[:MAX_TITLE_LENGTH]
    after = (opportunity.stage, opportunity.amount, opportunity.probability, opportunity.currency)
    if after != before:
        opportunity.updated_at = now
        _history(session, opportunity, member, from_stage, now)
        return True
    details_after = (opportunity.expected_close_on, opportunity.next_step_on, opportunity.next_step, opportunity.title)
    return details_after != details_before


def mark_won(session: Session, opportunity: Opportunity, member: Member, *, now: datetime) -> bool:
    """Close the deal as won; False when it already was. A lost deal cannot be won."""
    _lock_fresh(session, opportunity)
    if opportunity.status == "won":
        return False
    if opportunity.status == "lost":
        raise OpportunityError("already_lost")
    from_stage = opportunity.stage
    opportunity.stage = "won"
    opportunity.status = "won"
    opportunity.probability = 100
    opportunity.closed_at = now
    opportunity.updated_at = now
    _history(session, opportunity, member, from_stage, now)
    return True


def mark_lost(session: Session, opportunity: Opportunity, member: Member, *, reason: str | None, now: datetime) -> bool:
    """Close the deal as lost with its reason; False when it already was. A won deal cannot be lost."""
    _lock_fresh(session, opportunity)
    if opportunity.status == "lost":
        return False
    if opportunity.status == "won":
        raise OpportunityError("already_won")
    from_stage = opportunity.stage
    opportunity.stage = "lost"
    opportunity.status = "lost"
    opportunity.probability = 0
    opportunity.close_reason = (reason or "").strip()[:MAX_REASON_LENGTH] or None
    opportunity.closed_at = now
    opportunity.updated_at = now
    _history(session, opportunity, member, from_stage, now)
    return True


def stage_history(session: Session, opportunity_id: int) -> list[OpportunityStageChange]:
    return list(
        session.scalars(
            select(OpportunityStageChange)
            .where(OpportunityStageChange.opportunity_id == opportunity_id)
            .order_by(OpportunityStageChange.changed_at, OpportunityStageChange.id)
        )
    )
