"""Who may see whose pipeline: a rep their own, a manager their team, an admin everyone."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from storage.models import Member

# Slack sends mentions as <@U123|name> (or <@U123>); people also type @U123 or @name.
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


def can_view(viewer: Member, target: Member) -> bool:
    """A rep sees their own figures; a manager their direct reports'; an admin anyone's."""
    if viewer.workspace_id != target.workspace_id:
        return False
    if viewer.id == target.id or viewer.role == "admin":
        return True
    return viewer.role == "manager" and target.manager_id == viewer.id


def team_of(session: Session, viewer: Member) -> list[Member]:
    """The members whose figures ``viewer`` sees as "the team" (an admin: every rep of the workspace)."""
    if viewer.role == "admin":
        condition = Member.role.in_(("rep", "manager"))
    elif viewer.role == "manager":
        condition = Member.manager_id == viewer.id
    else:
        return []
    return list(
        session.scalars(
            select(Member).where(Member.workspace_id == viewer.workspace_id, condition).order_by(Member.display_name)
        )
    )


def find_member_by_mention(session: Session, workspace_id: int, text: str) -> Member | None:
    """The member a user named: ``<@U123|bob>``, ``@U123``, ``U123``, ``@Bob Martin`` or ``bob martin``."""
    text = text.strip()
    match = _MENTION.match(text)
    user_id = match.group(1) if match else text.lstrip("@").strip()
    member = session.scalar(select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id))
    if member is not None:
        return member
    wanted = fold(user_id)
    if not wanted:
        return None
    candidates = session.scalars(select(Member).where(Member.workspace_id == workspace_id)).all()
    named = [m for m in candidates if fold(m.display_name) == wanted]
    return named[0] if len(named) == 1 else None
