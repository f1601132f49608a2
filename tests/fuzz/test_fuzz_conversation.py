"""Fuzz every command grammar, button value and form submission through the conversation core:
never an internal error, and a refusal writes nothing (every table counted)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from bot.core import Request
from tests.fuzz.strategies import CHOICE, COMMAND_TEXT, COMMANDS, FORM, FUZZ
from tests.security.hostile import table_counts

_n = iter(range(10**9))


def _seeded(conversation) -> None:
    """A workspace with an admin, accounts, an action, a deal and a plan: ids 1, 2… exist."""
    for line in ["carnet help", "log visite Gamma hier", "log visite Beta hier", "opp new Gamma Contrat 12k 30%",
                 "plan visite Gamma demain 10h"]:
        command, _, text = line.partition(" ")
        conversation.handle(Request("T1", "U1", command=command, text=text, door="console"))
    for choice in ("log.create_account:1", "log.create_account:2"):
        conversation.handle(Request("T1", "U1", choice=choice, door="console"))


def _handle(conversation, request: Request) -> None:
    before = table_counts(conversation.session_factory)
    reply = conversation.handle(request)
    assert "error.internal" not in reply.keys, request
    if reply.field_errors or "choice.expired" in reply.keys:
        after = table_counts(conversation.session_factory)
        changed = {t for t in after if after[t] != before[t]} - {"processed_request", "workspace", "member"}
        assert not changed, (request, changed)


@FUZZ
@given(command=COMMANDS, words=COMMAND_TEXT, user=st.sampled_from(["U1", "U2"]), team=st.sampled_from(["T1", "T2"]))
def test_commands_never_fail(conversation, command, words, user, team):
    if not table_counts(conversation.session_factory)["action"]:
        _seeded(conversation)
    _handle(conversation, Request(team, user, command=command, text=words, door="console", request_key=f"k{next(_n)}"))


@FUZZ
@given(choice=CHOICE, user=st.sampled_from(["U1", "U2"]), team=st.sampled_from(["T1", "T2"]))
def test_button_values_never_fail(conversation, choice, user, team):
    if not table_counts(conversation.session_factory)["action"]:
        _seeded(conversation)
    _handle(conversation, Request(team, user, choice=choice, door="console", request_key=f"k{next(_n)}"))


@FUZZ
@given(form=FORM, user=st.sampled_from(["U1", "U2"]), team=st.sampled_from(["T1", "T2"]))
def test_form_submissions_never_fail(conversation, form, user, team):
    if not table_counts(conversation.session_factory)["action"]:
        _seeded(conversation)
    _handle(conversation, Request(team, user, form_id=form["form_id"], form_values=form["values"],
                                  form_metadata=form["metadata"], door="console", request_key=f"k{next(_n)}"))


def test_control_characters_in_any_commands_words_never_fail(conversation):
    """The door lets a NUL through in a command's words only (the grammar drops it): on PostgreSQL,
    which refuses NUL in text, every command must still store nothing with one."""
    _seeded(conversation)
    for line in ["log visite Ga\x00mma hier -- no\x00te", "opp new Ga\x00mma Con\x00trat 12k", "opp Gamma 5\x000%",
                 "plan visite Gamma demain\x00 10h", "relance Gamma\x00 demain", "carnet settings channel #C\x001",
                 "carnet team @U\x001 role rep", "carnet goals @U1 visits 2\x000", "message visite chez Ga\x00mma hier",
                 "pipeline @U\x001", "log visite \x00\x07\x1b hier", "opp new \x00 1k"]:
        command, _, words = line.partition(" ")
        _handle(conversation, Request("T1", "U1", command=command, text=words, door="console", request_key=f"k{next(_n)}"))
    with conversation.session_factory() as session:
        for table in ("account", "action", "opportunity", "plan", "contact"):
            for row in session.execute(text(f"SELECT * FROM {table}")):
                assert not any(isinstance(v, str) and "\x00" in v for v in row), (table, row)
