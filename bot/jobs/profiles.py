"""The hourly profile check: members whose language and time zone were read from the chat a week
ago or more (or never) are read again, a bounded number per workspace, oldest first.

``lookup`` is the door's ``ProfileLookup`` (Slack's users.info in ``carnet serve``): this module
does not know the chat. Each member is looked up outside any transaction, then written in a short
one; a lookup that fails (a deleted user) is tried again a week later, so that it never takes
the turn of the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.services.members import ProfileLookup, learn_profile
from storage.models import Member, Workspace

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(days=7)
PER_WORKSPACE = 25  # users.info calls a workspace gets per hour (Slack's tier 4 allows 100 a minute)
CHECK_SECONDS = 3600


@dataclass
class ProfileCheck:
    checked: int = 0
    changed: int = 0
    failed: int = 0


def stale_members(session: Session, workspace_id: int, now: datetime, limit: int) -> list[tuple[int, str]]:
    """(member id, user id) of the members to read again: never read first, then the oldest reads."""
    never = Member.profile_checked_at.is_(None)
    rows = session.execute(
        select(Member.id, Member.slack_user_id)
        .where(Member.workspace_id == workspace_id, never | (Member.profile_checked_at <= now - STALE_AFTER))
        .order_by(never.desc(), Member.profile_checked_at, Member.id)
        .limit(limit)
    )
    return [(row.id, row.slack_user_id) for row in rows]


def check_profiles(
    session_factory: sessionmaker[Session],
    lookup: ProfileLookup,
    now: datetime,
    *,
    default_tz: str,
    default_locale: str,
    per_workspace: int = PER_WORKSPACE,
) -> ProfileCheck:
    """Read the stale profiles of every workspace (at most ``per_workspace`` each) and learn them."""
    report = ProfileCheck()
    with session_factory() as session:
        # An uninstalled workspace has no token to ask with (and its data waits to be erased).
        workspaces = [(w.id, w.team_id) for w in session.scalars(
            select(Workspace).where(Workspace.uninstalled_at.is_(None)).order_by(Workspace.id))]
        due = {wid: stale_members(session, wid, now, per_workspace) for wid, _team in workspaces}
    for_team = getattr(lookup, "for_team", None)  # OAuth: users.info with each workspace's own token
    for workspace_id, team_id in workspaces:
        ask = for_team(team_id) if for_team is not None else lookup
        if ask is None:  # no token for that workspace: nothing to ask with
            continue
        for member_id, user_id in due[workspace_id]:
            try:
                profile = ask(user_id)
            except Exception as exc:  # a deleted user, a revoked token
                logger.warning("profile check of %s in %s failed: %s", user_id, team_id, exc)
                profile = None
            with session_factory() as session, session.begin():
                if profile is None:  # asked again in a week: a deleted user must not take every hour's turn
                    session.execute(update(Member).where(Member.id == member_id).values(profile_checked_at=now))
                    report.failed += 1
                    continue
                changed = learn_profile(session, workspace_id, user_id, profile, now=now,
                                        default_tz=default_tz, default_locale=default_locale)
            report.checked += 1
            report.changed += int(changed)
    return report
