"""Fuzz every command grammar, button value and form submission through the conversation core:
never an internal error, and a refusal writes nothing (every table counted)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

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
@given(command=COMMANDS, text=COMMAND_TEXT, user=st.sampled_from(["U1", "U2"]), team=st.sampled_from(["T1", "T2"]))
def test_commands_never_fail(conversation, command, text, user, team):
    if not table_counts(conversation.session_factory)["action"]:
        _seeded(conversation)
    _handle(conversation, Request(team, user, command=command, text=text, door="console", request_key=f"k{next(_n)}"))


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
