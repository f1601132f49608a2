"""Merging two accounts that are the same company: every row of the first moves to the second.

Contacts of the same name become one (the actions that named the first one name the kept one);
automatic plans that would now be twice (a rep's open automatic relance, the account's open
segment visit) keep the one due first and cancel the others; the merged account is then deleted.
``MOVED`` names every table that points at an account: a test checks it against the models, so a
new table cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.models import Account, Action, Contact, Opportunity, Plan

MOVED = ("contact", "action", "opportunity", "plan")
# Fields the kept account takes from the merged one when it has none of its own.
FILLED = ("segment", "owner_id", "visits_per_year", "city", "postcode")


class MergeError(ValueError):
    """``code`` names ``account.merge.<code>``: same account, another workspace."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class MergeResult:
    moved: dict[str, int] = field(default_factory=dict)
    contacts_joined: int = 0
    plans_cancelled: int = 0


def merge_accounts(session: Session, source: Account, target: Account, *, now: datetime) -> MergeResult:
    """Move everything of ``source`` to ``target`` (same workspace), then delete ``source``."""
    if source.id == target.id:
        raise MergeError("same_account")
    if source.workspace_id != target.workspace_id:
        raise MergeError("other_workspace")
    ws = target.workspace_id
    # Both rows locked first (PostgreSQL): an action or deal written meanwhile for the merged account
    # waits, then fails on its deleted account, rather than being moved by nobody and deleted with it.
    session.execute(select(Account.id).where(Account.id.in_((source.id, target.id))).order_by(Account.id).with_for_update())
    result = MergeResult()
    result.contacts_joined = _join_contacts(session, ws, source.id, target.id)
    result.plans_cancelled = _cancel_duplicate_plans(session, ws, source.id, target.id, now=now)
    for name, model in (("contact", Contact), ("action", Action), ("opportunity", Opportunity), ("plan", Plan)):
        moved = session.execute(
            update(model)
            .where(model.workspace_id == ws, model.account_id == source.id)
            .values(account_id=target.id)
            .execution_options(synchronize_session=False)
        )
        result.moved[name] = moved.rowcount
    for name in FILLED:
        if getattr(target, name) is None and getattr(source, name) is not None:
            setattr(target, name, getattr(source, name))
    if source.status == "client" and target.status != "client":
        target.status = "client"  # a company that buys from us is a client, whichever row said so
    session.flush()
    session.execute(delete(Account).where(Account.id == source.id, Account.workspace_id == ws))
    session.expire_all()
    return result


def _join_contacts(session: Session, ws: int, source_id: int, target_id: int) -> int:
    """The source's contacts whose name the target already has: their actions name the target's, and they go."""
    kept = dict(session.execute(select(Contact.name_key, Contact.id).where(Contact.workspace_id == ws, Contact.account_id == target_id)).all())
    joined = 0
    for contact_id, key in session.execute(
        select(Contact.id, Contact.name_key).where(Contact.workspace_id == ws, Contact.account_id == source_id)
    ).all():
        if key in kept:
            session.execute(update(Action).where(Action.workspace_id == ws, Action.contact_id == contact_id)
                            .values(contact_id=kept[key]).execution_options(synchronize_session=False))
            session.execute(delete(Contact).where(Contact.id == contact_id))
            joined += 1
    return joined


def _cancel_duplicate_plans(session: Session, ws: int, source_id: int, target_id: int, *, now: datetime) -> int:
    """Of the open automatic plans the two accounts would share — a rep's relance, the segment visit —
    keep the one due first; the others are cancelled (the database holds one open relance per rep)."""
    rows = session.execute(
        select(Plan.id, Plan.member_id, Plan.source, Plan.due_at).where(
            Plan.workspace_id == ws, Plan.account_id.in_((source_id, target_id)), Plan.status == "planned",
            Plan.source.in_(("auto_relance", "segment")),
        ).order_by(Plan.due_at, Plan.id)
    ).all()
    seen: set[tuple] = set()
    cancel = []
    for plan_id, member_id, source, _due in rows:
        slot = (source, member_id) if source == "auto_relance" else (source,)
        if slot in seen:
            cancel.append(plan_id)
        seen.add(slot)
    if cancel:
        session.execute(update(Plan).where(Plan.id.in_(cancel)).values(status="cancelled", updated_at=now)
                        .execution_options(synchronize_session=False))
    return len(cancel)
