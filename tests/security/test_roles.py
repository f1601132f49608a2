"""Role checks on every manager and admin command: a rep (and a manager, for admin commands or
reps outside their team) is refused with a clear answer, and nothing is written."""

from __future__ import annotations

from sqlalchemy import text

from bot.core import Request
from storage.models import Base

# Tables a refusal may touch: its dedupe record and the outbox (none here: the console door).
BOOKKEEPING = {"processed_request", "outbox"}


def _say(conversation, user: str, line: str):
    command, _, words = line.partition(" ")
    return conversation.handle(Request("T1", user, command=command, text=words, door="console"))


def _rows(conversation) -> dict[str, list[tuple]]:
    with conversation.session_factory() as session:
        return {name: [tuple(r) for r in session.execute(text(f"SELECT * FROM {name} ORDER BY 1"))]
                for name in Base.metadata.tables if name not in BOOKKEEPING}


def _team(conversation) -> None:
    """UBOSS (the first, so admin), UM manager of U2; U1 and U3 reps outside UM's team."""
    for user in ("UBOSS", "UM", "U1", "U2", "U3"):
        _say(conversation, user, "carnet help")
    for line in ("carnet team @UM role manager", "carnet team @U2 manager @UM"):
        reply = _say(conversation, "UBOSS", line)
        assert reply.ok, reply.keys
    _say(conversation, "U2", "opp new Gamma Contrat 12k 30%")


ADMIN_ONLY = [
    "carnet settings channel #C9", "carnet settings stalled 30", "carnet settings currency USD",
    "carnet settings rate USD 0.9", "carnet settings probability proposal 40", "carnet settings amounts hide",
    "carnet team @U1 role admin", "carnet team @U3 manager @UM", "carnet team @UM role rep",
    "carnet team @U1 period month", "carnet équipe @U1 role manager",
]
MANAGER_ONLY = [
    "pipeline team", "pipeline équipe", "pipeline @U2", "pipeline @UBOSS", "carnet digest", "carnet goals team won 5",
    "carnet goals @U2 revenue 50k", "carnet goals @U3 visits 20", "carnet kpis team", "carnet kpis @U2",
]
OUTSIDE_MY_TEAM = ["pipeline @U1", "pipeline @U3", "carnet goals @U1 revenue 50k", "carnet kpis @U3", "carnet goals @U3"]


def _refused(conversation, user: str, lines: list[str]) -> None:
    before = _rows(conversation)
    for line in lines:
        reply = _say(conversation, user, line)
        assert not reply.ok, (user, line, reply.keys)
        assert "error.internal" not in reply.keys
        assert _rows(conversation) == before, (user, line)


def test_a_rep_is_refused_every_manager_and_admin_command(conversation):
    _team(conversation)
    _refused(conversation, "U1", ADMIN_ONLY + MANAGER_ONLY)
    own = ("pipeline @U2", "carnet kpis @U2")  # a rep sees their own figures
    _refused(conversation, "U2", ADMIN_ONLY + [line for line in MANAGER_ONLY if line not in own])


def test_a_manager_is_refused_admin_commands_and_reps_of_other_teams(conversation):
    _team(conversation)
    _refused(conversation, "UM", ADMIN_ONLY + OUTSIDE_MY_TEAM)


def test_the_refused_commands_work_for_those_allowed(conversation):
    """The same words are accepted from the admin: the refusals above are about the role."""
    _team(conversation)
    for line in ("carnet settings stalled 30", "carnet team @U1 period month", "pipeline @U2", "carnet goals @U3 visits 20"):
        assert _say(conversation, "UBOSS", line).ok, line
    assert _say(conversation, "UM", "pipeline @U2").ok
