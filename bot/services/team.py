"""Who may see whose pipeline: a rep their own, a manager everyone below them (their reports, their
reports' reports…: the whole reporting line), an admin everyone of the workspace."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

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
    """A rep sees their own figures; a manager those of everyone below them along the reporting
    line (``Member.manager_id`` followed up from ``target``); an admin anyone's. Never across workspaces."""
    if viewer.workspace_id != target.workspace_id:
        return False
    if viewer.id == target.id or viewer.role == "admin":
        return True
    if viewer.role != "manager":
        return False
    session = object_session(target) or object_session(viewer)
    seen = {target.id}
    manager_id = target.manager_id
    while manager_id is not None and manager_id not in seen:  # a cycle in the links stops here
        if manager_id == viewer.id:
            return True
        seen.add(manager_id)
        above = session.get(Member, manager_id) if session is not None else None
        if above is None or above.workspace_id != viewer.workspace_id:
            return False
        manager_id = above.manager_id
    return False


def below(session: Session, workspace_id: int, manager_ids: list[int]) -> dict[int, set[int]]:
    """manager → the ids of every member below them (direct reports, their reports, …), from one
    read of the workspace's reporting links; cycle-safe (a member is never below themself)."""
    reports: dict[int, list[int]] = {}
    for member_id, manager_id in session.execute(
        select(Member.id, Member.manager_id).where(Member.workspace_id == workspace_id, Member.manager_id.is_not(None))
    ):
        reports.setdefault(manager_id, []).append(member_id)
    out: dict[int, set[int]] = {}
    for manager_id in manager_ids:
        found: set[int] = set()
        frontier = [manager_id]
        while frontier:
            frontier = [r for m in frontier for r in reports.get(m, []) if r not in found and r != manager_id]
            found.update(frontier)
        out[manager_id] = found
    return out


def team_of(session: Session, viewer: Member) -> list[Member]:
    """The members whose figures ``viewer`` sees as "the team": a manager's whole reporting line
    below them, an admin every rep and manager of the workspace, a rep nobody."""
    if viewer.role == "admin":
        condition = Member.role.in_(("rep", "manager"))
    elif viewer.role == "manager":
        ids = sorted(below(session, viewer.workspace_id, [viewer.id])[viewer.id])
        if not ids:
            return []
        condition = Member.id.in_(ids)
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
