"""Who may see whose pipeline: a rep their own, a manager their team, an admin everyone."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from storage.models import Member
from storage.queries.members import workspace_members

# How a command names a member: the chat's mention as the door passes it on ("@U123", or
# "@U123|bob" with the name the chat showed), or typed: "@U123", "U123", "@Bob Martin", "bob martin".
_MENTION = re.compile(r"^@([A-Z0-9]+)\|(.*)$")


@lru_cache(maxsize=1024)
def known_zone(tz: str | None) -> ZoneInfo | None:
    """The time zone named ``tz``, or None when this server's time zone database does not know it
    (a corrupt row, or a name newer than the installed tzdata): jobs skip such a member, and say so,
    rather than guess a zone and send at night."""
    try:
        return ZoneInfo(tz) if tz else None
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: a malformed key such as "../x"
        return None


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


def mentioned(text: str) -> tuple[str, str | None]:
    """Who ``text`` names: (a user id or a typed name, the name the chat's mention showed or None).

    ``@U123|bob`` → ("U123", "bob"); ``@U123`` → ("U123", None); ``@Bob Martin`` → ("Bob Martin", None)."""
    text = text.strip()
    match = _MENTION.match(text)
    if match:
        return match.group(1), match.group(2) or None
    return text.lstrip("@").strip(), None


def find_member_by_mention(session: Session, workspace_id: int, text: str) -> Member | None:
    """The member a user named: ``@U123|bob``, ``@U123``, ``U123``, ``@Bob Martin`` or ``bob martin``."""
    user_id, _shown = mentioned(text)
    member = session.scalar(select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id))
    if member is not None:
        return member
    wanted = fold(user_id)
    if not wanted:
        return None
    named = [m for m in workspace_members(session, workspace_id) if fold(m.display_name) == wanted]
    return named[0] if len(named) == 1 else None
