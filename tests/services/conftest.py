"""Helpers of the service tests (the database, ``engine`` and ``session_factory``, is the shared one
of tests/support/fixtures.py: a migrated SQLite file and PostgreSQL schema per test)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from bot.services.members import Profile, get_or_create_member, get_or_create_workspace
from storage.models import Member, Workspace
from tests.support.fixtures import TEST_NOW


def add_member(
    session_factory: sessionmaker[Session], team_id: str, user_id: str, *, tz: str = "Europe/Paris", locale: str = "fr"
) -> tuple[int, int]:
    """Create (or find) a workspace and a member in it; returns (workspace id, member id)."""
    with session_factory() as session, session.begin():
        ws = get_or_create_workspace(session, team_id, now=TEST_NOW)
        member = get_or_create_member(
            session, ws, user_id, now=TEST_NOW, profile=Profile(tz=tz, locale=locale),
            default_tz="Europe/Paris", default_locale="fr",
        )
        return ws.id, member.id


def load_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    assert member is not None
    return member


def load_workspace(session: Session, workspace_id: int) -> Workspace:
    ws = session.get(Workspace, workspace_id)
    assert ws is not None
    return ws
