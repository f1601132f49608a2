"""Workspaces and members learnt on first use."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.services.members import (
    Profile,
    get_or_create_member,
    get_or_create_workspace,
    valid_tz,
)
from storage.models import Member, Workspace
from tests.support.fixtures import TEST_NOW


def _member(session_factory, user_id: str, profile: Profile | None, *, team: str = "T1", default_tz="Europe/Paris",
            default_locale="fr") -> Member:
    with session_factory() as session, session.begin():
        ws = get_or_create_workspace(session, team, now=TEST_NOW)
        return get_or_create_member(
            session, ws, user_id, now=TEST_NOW, profile=profile, default_tz=default_tz, default_locale=default_locale
        )


def test_a_new_member_learns_tz_locale_and_name_from_the_profile(session_factory):
    member = _member(session_factory, "U1", Profile(display_name="Alice", tz="America/New_York", locale="en-US"))
    with session_factory() as session:
        stored = session.get(Member, member.id)
        assert (stored.tz, stored.locale, stored.display_name) == ("America/New_York", "en", "Alice")
        assert (stored.period, stored.slack_user_id) == ("month", "U1")


def test_an_invalid_time_zone_falls_back_to_the_default(session_factory):
    for n, bad_tz in enumerate(["Mars/Olympus_Mons", "", None, "../../etc/passwd", "Europe/"]):
        member = _member(session_factory, f"U{n}", Profile(tz=bad_tz, locale="fr-FR"), default_tz="Europe/Brussels")
        assert (member.tz, member.locale) == ("Europe/Brussels", "fr"), bad_tz
        assert not valid_tz(bad_tz)


def test_no_profile_gives_the_defaults(session_factory):
    member = _member(session_factory, "U1", None, default_tz="Asia/Tokyo", default_locale="en")
    assert (member.tz, member.locale, member.display_name) == ("Asia/Tokyo", "en", "U1")


def test_the_locale_is_reduced_to_a_supported_language(session_factory):
    cases = {"fr-FR": "fr", "fr-CA": "fr", "en-GB": "en", "EN-us": "en"}
    got = {locale: _member(session_factory, f"U-{locale}", Profile(locale=locale)).locale for locale in cases}
    assert got == cases


def test_a_known_member_is_returned_as_is(session_factory):
    first = _member(session_factory, "U1", Profile(display_name="Alice", tz="Europe/Paris", locale="fr-FR"))
    again = _member(session_factory, "U1", Profile(display_name="Other", tz="Asia/Tokyo", locale="en-US"))
    assert again.id == first.id
    assert (again.tz, again.locale, again.display_name) == ("Europe/Paris", "fr", "Alice")
    with session_factory() as session:
        assert session.scalar(select(func.count(Member.id))) == 1


def test_the_same_user_id_in_two_workspaces_is_two_members(session_factory):
    a = _member(session_factory, "U1", None, team="T1")
    b = _member(session_factory, "U1", None, team="T2")
    assert a.id != b.id and a.workspace_id != b.workspace_id
    with session_factory() as session:
        assert session.scalar(select(func.count(Workspace.id))) == 2


def test_get_or_create_workspace_is_stable(session_factory):
    with session_factory() as session, session.begin():
        ws = get_or_create_workspace(session, "T1", now=TEST_NOW)
    with session_factory() as session, session.begin():
        assert get_or_create_workspace(session, "T1", now=TEST_NOW + timedelta(days=1)).id == ws.id
    with session_factory() as session:
        stored = session.scalars(select(Workspace)).one()
        assert stored.created_at == TEST_NOW
