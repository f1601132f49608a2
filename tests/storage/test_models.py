"""Model behaviour that only a real database shows: UTC datetimes, per-workspace unique folded names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.services.accounts import create_account
from storage.models import Account, Action, Member, Workspace
from tests.support.fixtures import TEST_NOW


def _workspace(session_factory, team_id: str = "T1") -> int:
    with session_factory() as session, session.begin():
        ws = Workspace(team_id=team_id, name=team_id, created_at=TEST_NOW)
        session.add(ws)
        session.flush()
        return ws.id


# ----------------------------------------------------------------------------- UTCDateTime


@pytest.mark.parametrize(
    "given",
    [
        datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Paris")),  # just after the spring DST jump
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Paris")),  # second 02:30 of autumn
        datetime(2026, 11, 22, 23, 45, tzinfo=ZoneInfo("America/New_York")),  # another UTC day
    ],
)
def test_utc_datetime_round_trips_as_aware_utc(session_factory, given):
    with session_factory() as session, session.begin():
        ws = Workspace(team_id="T1", created_at=given)
        session.add(ws)
        session.flush()
        ws_id = ws.id
    with session_factory() as session:  # a new session: the value comes from the database
        loaded = session.get(Workspace, ws_id).created_at
    # (PEP 495: an ambiguous local time never equals another zone's time, so compare in UTC.)
    assert loaded == given.astimezone(UTC)
    assert loaded.tzinfo is not None and loaded.utcoffset() == timedelta(0)
    assert loaded.replace(tzinfo=None) == given.astimezone(UTC).replace(tzinfo=None)


def test_utc_datetime_compares_in_sql_across_offsets(session_factory):
    """A filter given in another zone selects the same instant (SQLite keeps naive UTC text)."""
    with session_factory() as session, session.begin():
        for i, hour in enumerate((8, 9, 10)):
            session.add(Workspace(team_id=f"T{i}", created_at=datetime(2026, 11, 23, hour, tzinfo=UTC)))
    paris_10h = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))  # = 09:00 UTC
    with session_factory() as session:
        later = session.scalars(
            select(Workspace.team_id).where(Workspace.created_at >= paris_10h).order_by(Workspace.team_id)
        ).all()
    assert later == ["T1", "T2"]


def test_utc_datetime_refuses_naive_datetimes(session_factory):
    with session_factory() as session:
        session.add(Workspace(team_id="T1", created_at=datetime(2026, 11, 23, 9, 0)))
        with pytest.raises(StatementError) as excinfo:
            session.flush()
        assert isinstance(excinfo.value.orig, ValueError)
        session.rollback()
    with session_factory() as session:
        assert session.scalar(select(func.count(Workspace.id))) == 0


def test_utc_datetime_refuses_naive_datetimes_in_filters(session_factory):
    _workspace(session_factory)
    with session_factory() as session:
        with pytest.raises(StatementError):
            session.scalars(select(Workspace).where(Workspace.created_at < datetime(2027, 1, 1))).all()


def test_a_stored_day_is_not_shifted_by_any_time_zone(session_factory):
    """Action.occurred_on is a plain date: it must come back as the very day given."""
    ws_id = _workspace(session_factory)
    with session_factory() as session, session.begin():
        member = Member(workspace_id=ws_id, slack_user_id="U1", created_at=TEST_NOW)
        account = Account(workspace_id=ws_id, name="Gamma", name_key="gamma", created_at=TEST_NOW)
        session.add_all([member, account])
        session.flush()
        session.add(
            Action(
                workspace_id=ws_id, member_id=member.id, account_id=account.id, action_type="visit",
                channel="in_person", occurred_on=date(2026, 12, 31), logged_at=TEST_NOW,
            )
        )
    with session_factory() as session:
        assert session.scalar(select(Action.occurred_on)) == date(2026, 12, 31)


# ----------------------------------------------------------------------------- account names


def _accounts(session_factory, ws_id: int) -> list[tuple[str, str]]:
    with session_factory() as session:
        return [tuple(r) for r in session.execute(
            select(Account.name, Account.name_key).where(Account.workspace_id == ws_id).order_by(Account.id)
        )]


@pytest.mark.parametrize(
    ("first", "second"),
    [("Gamma", "GAMMA"), ("Société", "societe"), ("Société Générale", "  SOCIETE   generale "), ("Çà et Là", "ca et la")],
)
def test_create_account_returns_the_existing_row_whatever_the_case_or_accents(session_factory, first, second):
    ws_id = _workspace(session_factory)
    with session_factory() as session, session.begin():
        created = create_account(session, ws_id, first, owner_id=None, now=TEST_NOW)
        session.flush()
        created_id = created.id
    with session_factory() as session, session.begin():
        again = create_account(session, ws_id, second, owner_id=None, now=TEST_NOW + timedelta(minutes=1))
        assert again.id == created_id
        assert again.name == " ".join(first.split())  # the first spelling stays
    assert len(_accounts(session_factory, ws_id)) == 1


def test_create_account_twice_in_one_transaction_keeps_one_row_and_the_transaction(session_factory):
    """The duplicate is caught in a savepoint: work done before it in the transaction survives."""
    ws_id = _workspace(session_factory)
    with session_factory() as session, session.begin():
        session.add(Member(workspace_id=ws_id, slack_user_id="U1", created_at=TEST_NOW))
        a = create_account(session, ws_id, "Gamma", owner_id=None, now=TEST_NOW)
        b = create_account(session, ws_id, "gamma", owner_id=None, now=TEST_NOW)
        assert a.id == b.id
    with session_factory() as session:
        assert session.scalar(select(func.count(Member.id))) == 1
        assert session.scalar(select(func.count(Account.id))) == 1


def test_account_names_are_unique_per_workspace_only(session_factory):
    ws1, ws2 = _workspace(session_factory, "T1"), _workspace(session_factory, "T2")
    with session_factory() as session, session.begin():
        a1 = create_account(session, ws1, "Gamma", owner_id=None, now=TEST_NOW)
        a2 = create_account(session, ws2, "GAMMA", owner_id=None, now=TEST_NOW)
        assert a1.id != a2.id
    assert _accounts(session_factory, ws1) == [("Gamma", "gamma")]
    assert _accounts(session_factory, ws2) == [("GAMMA", "gamma")]


def test_the_database_itself_refuses_a_second_folded_name(session_factory):
    """The unique constraint, not only the service, guards the folded name."""
    ws_id = _workspace(session_factory)
    with session_factory() as session, session.begin():
        session.add(Account(workspace_id=ws_id, name="Société", name_key="societe", created_at=TEST_NOW))
    with session_factory() as session:
        session.add(Account(workspace_id=ws_id, name="SOCIETE", name_key="societe", created_at=TEST_NOW))
        with pytest.raises(IntegrityError):
            session.commit()


def test_deleting_a_workspace_cascades_to_its_rows(session_factory):
    """Foreign keys are enforced on both backends (SQLite needs PRAGMA foreign_keys=ON)."""
    ws_id = _workspace(session_factory)
    with session_factory() as session, session.begin():
        create_account(session, ws_id, "Gamma", owner_id=None, now=TEST_NOW)
    with session_factory() as session, session.begin():
        session.execute(text("DELETE FROM workspace WHERE id = :id"), {"id": ws_id})
    with session_factory() as session:
        assert session.scalar(select(func.count(Account.id))) == 0


# ----------------------------------------------------------------------------- transactions


def test_a_savepoint_opened_first_is_rolled_back_with_its_transaction(session_factory):
    """begin_nested() as the first write of a transaction must not commit on its own.

    (sqlite3's legacy transaction control emits no BEGIN before SAVEPOINT: releasing it used to
    COMMIT, so a workspace or account created by a request that then failed stayed behind.)
    """
    with session_factory() as session:
        with session.begin():
            assert session.scalar(select(func.count(Workspace.id))) == 0  # a read first, as the services do
            with session.begin_nested():
                session.add(Workspace(team_id="T1", created_at=TEST_NOW))
            session.rollback()
    with session_factory() as session:
        assert session.scalar(select(func.count(Workspace.id))) == 0


def test_create_account_is_undone_when_the_transaction_fails(session_factory):
    ws_id = _workspace(session_factory)
    with session_factory() as session:
        session.begin()
        create_account(session, ws_id, "Gamma", owner_id=None, now=TEST_NOW)
        session.rollback()
    assert _accounts(session_factory, ws_id) == []
