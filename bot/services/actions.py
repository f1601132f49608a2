"""The activity report: recording, undoing and reading actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from storage.models import Account, Action, Contact, Member

UNDO_WINDOW = timedelta(minutes=10)

# How each action type reaches the customer; the manager's table shows it as the channel.
CHANNEL_OF_TYPE = {
    "visit": "in_person",
    "meeting": "in_person",
    "demo": "in_person",
    "negotiation": "in_person",
    "call": "phone",
    "follow_up": "phone",
    "email": "email",
    "video": "video",
    "social": "social",  # a LinkedIn (or other network) message: a contact like the others (issue 15)
}


@dataclass(frozen=True)
class ActionDraft:
    """An action as the rep described it, before it is stored."""

    action_type: str
    occurred_on: date
    result: str | None = None
    contact_name: str | None = None
    contact_function: str | None = None
    note: str | None = None


def get_or_create_contact(
    session: Session, account: Account, name: str, function: str | None, *, now: datetime
) -> Contact:
    """The contact ``name`` at ``account``; a newly given function updates the stored one."""
    key = fold(name)
    find = select(Contact).where(
        Contact.workspace_id == account.workspace_id, Contact.account_id == account.id, Contact.name_key == key
    )
    contact = session.scalar(find)
    if contact is None:
        # Two /log naming the same new person at once: the second insert does nothing (it waits
        # for the first on PostgreSQL) and both actions point at the one contact.
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(Contact)
            .values(
                workspace_id=account.workspace_id, account_id=account.id, name=" ".join(name.split()),
                name_key=key, function=function, created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[Contact.workspace_id, Contact.account_id, Contact.name_key])
        )
        contact = session.scalars(find).one()
    elif function and contact.function != function:
        contact.function = function
    return contact


def record_action(
    session: Session, member: Member, account: Account, draft: ActionDraft, *, source: str, now: datetime
) -> Action:
    """Store one row of the activity report for ``member`` at ``account``."""
    contact = None
    if draft.contact_name:
        contact = get_or_create_contact(session, account, draft.contact_name, draft.contact_function, now=now)
    action = Action(
        workspace_id=member.workspace_id,
        member_id=member.id,
        account_id=account.id,
        contact=contact,
        contact_function=draft.contact_function or (contact.function if contact else None),
        action_type=draft.action_type,
        result=draft.result,
        channel=CHANNEL_OF_TYPE.get(draft.action_type, "in_person"),
        occurred_on=draft.occurred_on,
        logged_at=now,
        note=draft.note,
        source=source,
        account=account,
        member=member,
    )
    session.add(action)
    session.flush()
    return action


class UndoOutcome(Enum):
    UNDONE = "undone"
    EXPIRED = "expired"
    MISSING = "missing"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class UndoResult:
    outcome: UndoOutcome
    action_type: str | None = None
    account_name: str | None = None


def undo_action(session: Session, member: Member, action_id: int, *, now: datetime) -> UndoResult:
    """Remove the member's own action if it was logged less than ``UNDO_WINDOW`` ago."""
    action = session.scalar(select(Action).where(Action.workspace_id == member.workspace_id, Action.id == action_id))
    if action is None:
        return UndoResult(UndoOutcome.MISSING)
    if action.member_id != member.id:
        return UndoResult(UndoOutcome.NOT_YOURS)
    if now - action.logged_at > UNDO_WINDOW:
        return UndoResult(UndoOutcome.EXPIRED, action.action_type, action.account.name)
    result = UndoResult(UndoOutcome.UNDONE, action.action_type, action.account.name)
    # One conditional DELETE: of two Undo clicks at once, only the one that removed the row
    # says "undone" (the other DELETE waits for it on PostgreSQL, then matches nothing).
    deleted = session.execute(
        delete(Action).where(Action.id == action.id, Action.member_id == member.id).execution_options(synchronize_session=False)
    ).rowcount
    session.expunge(action)
    return result if deleted == 1 else UndoResult(UndoOutcome.MISSING)
