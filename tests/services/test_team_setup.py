"""Team set-up (bot/services/team_setup.py): reading the team CSV, checking every row against the
workspace as it would be afterwards, and applying all rows or none — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.services import team_setup
from bot.services.team_setup import MemberSetup, SetupProblem, TeamSetupError
from storage.models import Member
from tests.support.fixtures import TEST_NOW
from tests.services.conftest import add_member, load_workspace

HEADER = "slack_user_id,role,manager,locale,timezone,period,name\n"
GOOD = HEADER + (
    "UREP1,rep,UMGR,en,America/New_York,week,Rita\n"  # her manager comes later in the file
    "UREP2,rep,UMGR,fr,Europe/Paris,quarter,Rémi\n"
    "UMGR,manager,,fr,Europe/Paris,month,Mona\n"
)


def members(session_factory) -> list[tuple]:
    """Every member row, as stored (compare before/after)."""
    with session_factory() as s:
        return [tuple(r) for r in s.execute(text("SELECT * FROM member ORDER BY id"))]


def by_user(session_factory) -> dict[str, tuple]:
    with session_factory() as s:
        rows = s.scalars(select(Member).order_by(Member.id)).all()
        ids = {m.id: m.slack_user_id for m in rows}
        return {
            m.slack_user_id: (m.display_name, m.role, ids.get(m.manager_id), m.locale, m.tz, m.period) for m in rows
        }


@pytest.fixture
def ws(session_factory) -> int:
    """A workspace whose first member, UADMIN, is its admin."""
    ws_id, _ = add_member(session_factory, "T1", "UADMIN")
    return ws_id


def apply(session_factory, ws: int, csv_text: str, *, known: set[str] | None = None):
    rows, problems = team_setup.parse_csv(csv_text)
    assert problems == []
    with session_factory() as s, s.begin():
        return team_setup.apply(
            s, load_workspace(s, ws), rows, now=TEST_NOW, default_tz="Europe/Paris", default_locale="fr",
            user_exists=None if known is None else known.__contains__,
        )


def problems_of(session_factory, ws: int, csv_text: str, *, known: set[str] | None = None) -> list[SetupProblem]:
    """Apply the file; it must fail, store nothing, and say why."""
    before = members(session_factory)
    with pytest.raises(TeamSetupError) as raised:
        apply(session_factory, ws, csv_text, known=known)
    assert members(session_factory) == before
    return raised.value.problems


def test_a_good_file_sets_roles_managers_languages_zones_and_periods(session_factory, ws):
    result = apply(session_factory, ws, GOOD, known={"UREP1", "UREP2", "UMGR"})

    assert result.created == ["UREP1", "UREP2", "UMGR"] and result.updated == []
    assert by_user(session_factory) == {
        "UADMIN": ("UADMIN", "admin", None, "fr", "Europe/Paris", "month"),
        "UREP1": ("Rita", "rep", "UMGR", "en", "America/New_York", "week"),
        "UREP2": ("Rémi", "rep", "UMGR", "fr", "Europe/Paris", "quarter"),
        "UMGR": ("Mona", "manager", None, "fr", "Europe/Paris", "month"),
    }


def test_importing_again_updates_and_an_empty_manager_cell_keeps_no_manager(session_factory, ws):
    apply(session_factory, ws, GOOD)
    result = apply(session_factory, ws, HEADER + "UREP1,manager,,fr,Europe/London,month,\n")

    assert result.created == [] and result.updated == ["UREP1"]
    assert by_user(session_factory)["UREP1"] == ("Rita", "manager", None, "fr", "Europe/London", "month")
    assert by_user(session_factory)["UREP2"][2] == "UMGR"  # untouched rows stay as they were


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("UREP9,rep,UMGR,fr,Europe/Paris,month,", [SetupProblem(3, "unknown_user", "UREP9")]),
        ("UREP1,rep,UNOBODY,fr,Europe/Paris,month,", [SetupProblem(3, "unknown_manager", "UNOBODY")]),

        ("UREP1,rep,,fr,Europe/Pariss,month,", [SetupProblem(3, "bad_tz", "Europe/Pariss")]),
        ("UREP1,rep,,fr,Europe/Paris,year,", [SetupProblem(3, "bad_period", "year")]),
        ("UREP1,boss,,fr,Europe/Paris,month,", [SetupProblem(3, "bad_role", "boss")]),
        ("UREP1,rep,,de,Europe/Paris,month,", [SetupProblem(3, "bad_locale", "de")]),
        ("bob,rep,,fr,Europe/Paris,month,", [SetupProblem(3, "bad_user_id", "bob")]),
    ],
)
def test_a_bad_row_is_named_with_its_line_and_nothing_is_stored(session_factory, ws, row, expected):
    apply(session_factory, ws, HEADER + "UMGR,manager,,fr,Europe/Paris,month,\n")
    csv_text = HEADER + "UMGR,manager,,fr,Europe/Paris,month,\n" + row + "\n"
    assert problems_of(session_factory, ws, csv_text, known={"UMGR", "UREP1"}) == expected


def test_being_ones_own_manager_is_refused(session_factory, ws):
    problems = problems_of(session_factory, ws, HEADER + "UREP1,rep,UREP1,fr,Europe/Paris,month,\n", known={"UREP1"})
    assert problems[0] == SetupProblem(2, "own_manager", "UREP1")
    assert all(p.line == 2 for p in problems)


def test_a_manager_cycle_in_the_file_is_refused(session_factory, ws):
    csv_text = HEADER + "UAAA,manager,UBBB,fr,Europe/Paris,month,\nUBBB,manager,UAAA,fr,Europe/Paris,month,\n"
    [problem] = problems_of(session_factory, ws, csv_text)
    assert (problem.line, problem.code) == (2, "manager_cycle")
    assert problem.value == "UAAA → UBBB → UAAA"


def test_a_cycle_through_members_already_stored_is_refused(session_factory, ws):
    """UAAA → UBBB → UCCC is stored; a file making UCCC report to UAAA would close the loop."""
    apply(session_factory, ws, HEADER + "UAAA,rep,UBBB,,,,\nUBBB,manager,UCCC,,,,\nUCCC,manager,,,,,\n")
    [problem] = problems_of(session_factory, ws, HEADER + "UCCC,manager,UAAA,,,,\n")
    assert (problem.line, problem.code) == (2, "manager_cycle")
    assert set(problem.value.split(" → ")) == {"UAAA", "UBBB", "UCCC"}


def test_every_problem_of_a_file_is_listed_with_its_line(session_factory, ws):
    csv_text = HEADER + (
        "UREP1,rep,,fr,Mars/Olympus,month,\n"
        "UREP2,chief,,fr,Europe/Paris,fortnight,\n"
        "\n"  # blank lines are skipped, but still counted
        "UREP1,rep,,fr,Europe/Paris,month,\n"
    )
    assert problems_of(session_factory, ws, csv_text) == [
        SetupProblem(2, "bad_tz", "Mars/Olympus"),
        SetupProblem(3, "bad_role", "chief"),
        SetupProblem(3, "bad_period", "fortnight"),
        SetupProblem(5, "duplicate_user", "UREP1"),
    ]


def test_a_file_without_the_needed_columns_is_refused_before_anything(session_factory, ws):
    rows, problems = team_setup.parse_csv("slack_user_id,role\nUREP1,rep\n")
    assert rows == []
    assert problems == [SetupProblem(1, "missing_columns", "manager, locale, timezone, period")]


def test_members_of_another_workspace_are_not_managers_here(session_factory, ws):
    add_member(session_factory, "T2", "UOTHER")
    [problem] = problems_of(session_factory, ws, HEADER + "UREP1,rep,UOTHER,fr,Europe/Paris,month,\n")
    assert (problem.code, problem.value) == ("unknown_manager", "UOTHER")


def test_one_row_from_slack_changes_one_member(session_factory, ws):
    """What ``/carnet team`` passes: one MemberSetup, line 0."""
    apply(session_factory, ws, GOOD)
    with session_factory() as s, s.begin():
        team_setup.apply(
            s, load_workspace(s, ws), [(0, MemberSetup("UREP2", period="month", manager=""))],
            now=TEST_NOW, default_tz="Europe/Paris", default_locale="fr",
        )
    assert by_user(session_factory)["UREP2"] == ("Rémi", "rep", None, "fr", "Europe/Paris", "month")
