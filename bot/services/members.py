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
                locale_source="slack" if profile.locale else "default",
                tz_source="slack" if valid_tz(profile.tz) else "default",
                profile_checked_at=now if profile != Profile() else None,
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
    now: datetime | None = None,
) -> bool:
    """Write what Slack says of a member who already exists (late answer, first use, refresh).

    A language or time zone an admin chose (``/carnet team``, a CSV) is never replaced; one that
    came from Slack, or that a member set up by an admin inherited from the defaults they were
    given, is refreshed; a default is replaced while it still holds the default. ``now``
    records the check. True when something changed."""
    member = find_member(session, workspace_id, user_id)
    if member is None:
        return False
    if now is not None:
        member.profile_checked_at = now
    return apply_profile(member, profile, default_tz=default_tz, default_locale=default_locale)


def apply_profile(member: Member, profile: Profile, *, default_tz: str, default_locale: str) -> bool:
    """``learn_profile`` on a member already loaded; True when something changed."""
    from bot.messages import normalize_locale

    changed = False
    if profile.display_name and member.display_name in (member.slack_user_id, ""):
        member.display_name = profile.display_name
        changed = True
    if valid_tz(profile.tz) and profile.tz != member.tz and _replaceable(member.tz_source, member.tz, default_tz):
        member.tz = profile.tz  # type: ignore[assignment]
        member.tz_source = "slack"
        changed = True
    if profile.locale:
        locale = normalize_locale(profile.locale)
        if locale != member.locale and _replaceable(member.locale_source, member.locale, normalize_locale(default_locale)):
            member.locale = locale
            member.locale_source = "slack"
            changed = True
    return changed


def _replaceable(source: str | None, value: str, default: str) -> bool:
    # A default someone changed by hand without saying so is kept, like an admin's choice.
    return source in ("slack", "inherited") or (source in (None, "default") and value == default)
