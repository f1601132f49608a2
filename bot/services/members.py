"""Workspaces and members: found by the chat's ids (team and user), created on first use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Member, Workspace


@dataclass(frozen=True)
class Profile:
    """What a door knows about a user (the chat's user profile, or the console's options)."""

    display_name: str = ""
    tz: str | None = None
    locale: str | None = None


ProfileLookup = Callable[[str], "Profile | None"]


def valid_tz(name: str | None) -> bool:
    """True for an IANA time zone name this machine knows."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def find_workspace(session: Session, team_id: str) -> Workspace | None:
    return session.scalar(select(Workspace).where(Workspace.team_id == team_id))


def get_or_create_workspace(session: Session, team_id: str, *, now: datetime) -> Workspace:
    """The workspace of ``team_id``, created the first time it is seen (safe under concurrency)."""
    workspace = find_workspace(session, team_id)
    if workspace is not None:
        return workspace
    try:
        with session.begin_nested():
            workspace = Workspace(team_id=team_id, name="", created_at=now)
            session.add(workspace)
    except IntegrityError:
        workspace = find_workspace(session, team_id)
        assert workspace is not None
    return workspace


def find_member(session: Session, workspace_id: int, user_id: str) -> Member | None:
    return session.scalar(
        select(Member).where(Member.workspace_id == workspace_id, Member.slack_user_id == user_id)
    )


def get_or_create_member(
    session: Session,
    workspace: Workspace,
    user_id: str,
    *,
    now: datetime,
    profile: Profile | None,
    default_tz: str,
    default_locale: str,
) -> Member:
    """The member ``user_id``, learnt from ``profile`` (time zone, language) on first use."""
    from bot.messages import normalize_locale  # the catalogue decides which locales exist

    member = find_member(session, workspace.id, user_id)
    if member is not None:
        return member
    profile = profile or Profile()
    tz = profile.tz if valid_tz(profile.tz) else default_tz
    # The first person to use Carnet in a workspace (usually whoever installed it) is its admin.
    first = session.scalar(select(Member.id).where(Member.workspace_id == workspace.id).limit(1)) is None
    locale = normalize_locale(profile.locale) if profile.locale else default_locale
    try:
        with session.begin_nested():
            member = Member(
                workspace_id=workspace.id,
                slack_user_id=user_id,
                display_name=profile.display_name or user_id,
                role="admin" if first else "rep",
                locale=locale,
                tz=tz,
                period="month",
                created_at=now,
            )
            session.add(member)
    except IntegrityError:
        member = find_member(session, workspace.id, user_id)
        assert member is not None
    return member


def learn_profile(
    session: Session,
    workspace_id: int,
    user_id: str,
    profile: Profile,
    *,
    default_tz: str,
    default_locale: str,
) -> bool:
    """Write a profile that came after the member was created with the defaults.

    Only what still holds the defaults is changed: a name, time zone or language an admin set in
    the meantime (``/carnet team``) wins. True when something changed."""
    from bot.messages import normalize_locale

    member = find_member(session, workspace_id, user_id)
    if member is None:
        return False
    changed = False
    if profile.display_name and member.display_name == user_id:
        member.display_name = profile.display_name
        changed = True
    if valid_tz(profile.tz) and member.tz == default_tz and profile.tz != member.tz:
        member.tz = profile.tz  # type: ignore[assignment]
        changed = True
    if profile.locale:
        locale = normalize_locale(profile.locale)
        if member.locale == normalize_locale(default_locale) and locale != member.locale:
            member.locale = locale
            changed = True
    return changed
