"""Tenant isolation: a request signed for workspace B never reads or changes workspace A's rows,
whatever it names — button values (pending ids, plan ids, deal ids, undo tokens), commands, form
submissions or type-ahead. Slack's signature proves Slack sent the request, not that its team_id
owns the ids inside it: every id is looked up in the requester's own workspace."""

from __future__ import annotations

import dataclasses
import itertools
import typing

from sqlalchemy import text

from bot.actions import _ROUTES
from bot.core import Request
from bot.render.text import render_reply
from storage.models import Base

A_WORDS = ("Gamma", "Contrat", "alice")  # what only workspace A holds: never shown to B
ATTACKERS = [("T2", "U1"), ("T2", "UX")]  # B's member with A's user id (forged), and another


def _rows(conversation) -> dict[str, dict[int, tuple]]:
    with conversation.session_factory() as session:
        return {name: {row[0]: tuple(row) for row in session.execute(text(f"SELECT * FROM {name}"))}
                for name in Base.metadata.tables if name != "alembic_version"}


def _handle(conversation, team: str, user: str, **what) -> tuple:
    reply = conversation.handle(Request(team, user, door="console", **what))
    return reply, render_reply(reply)


def _seed_a(conversation) -> list[str]:
    """Workspace A with an action, an account, a deal, a plan and an open question; its buttons."""
    offered: list[str] = []
    steps = [dict(command="carnet", text="help"), dict(command="log", text="visite Gamma hier")]
    for step in steps:
        reply, _ = _handle(conversation, "T1", "U1", **step)
        offered += [c.value for c in reply.all_choices]
    create = next(v for v in offered if v.startswith("log.create_account"))
    reply, _ = _handle(conversation, "T1", "U1", choice=create)
    offered += [c.value for c in reply.all_choices]  # the undo button
    for line in ["opp new Gamma Contrat 12k 30%", "plan visite Gamma demain 10h", "log appel Gam hier",
                 "opp Gamma 50%", "plan", "opp", "relance Gamma dans 3 jours"]:
        command, _, words = line.partition(" ")
        reply, _ = _handle(conversation, "T1", "U1", command=command, text=words)
        offered += [c.value for c in reply.all_choices]
    return offered


def _forged_values(offered: list[str], ids: range) -> set[str]:
    """A's own button values, and every route's value over A's ids (ids are sequential: guessable)."""
    values = set(offered)
    for route, cls in _ROUTES.items():
        fields = dataclasses.fields(cls)
        hints = typing.get_type_hints(cls)
        if not fields:
            values.add(route)
        ints = [f for f in fields if "int" in str(hints[f.name])]
        for combo in itertools.product(ids, repeat=len(ints)):
            values.add(":".join([route, *map(str, combo)]))
    return values


def _assert_a_untouched(before, after, b_workspace: int | None) -> None:
    for name, rows in before.items():
        for row_id, row in rows.items():
            assert after[name].get(row_id) == row, (name, row_id)  # every row of A as it was
    if b_workspace is None:
        return
    columns_of = {name: [c.name for c in table.columns] for name, table in Base.metadata.tables.items()}
    for name, rows in after.items():
        if "workspace_id" not in columns_of[name]:
            continue
        index = columns_of[name].index("workspace_id")
        for row_id, row in rows.items():
            if row_id not in before[name]:
                assert row[index] == b_workspace, (name, row)  # B's requests write only B's rows


def _b_workspace(conversation) -> int | None:
    with conversation.session_factory() as session:
        return session.execute(text("SELECT id FROM workspace WHERE team_id = 'T2'")).scalar()


def test_buttons_of_workspace_a_do_nothing_in_b(conversation):
    offered = _seed_a(conversation)
    assert any(v.startswith("log.undo") for v in offered) and any(v.startswith("plan.") for v in offered)
    _handle(conversation, "T2", "UX", command="carnet", text="help")  # B exists, with its first member
    before = _rows(conversation)
    values = _forged_values(offered, range(1, 5))
    assert len(values) > 60
    for team, user in ATTACKERS:
        for value in sorted(values):
            reply, shown = _handle(conversation, team, user, choice=value)
            assert "error.internal" not in reply.keys, value
            assert not any(word in shown for word in A_WORDS), (value, shown)
    _assert_a_untouched(before, _rows(conversation), _b_workspace(conversation))


def test_commands_from_b_never_read_a(conversation):
    _seed_a(conversation)
    before = _rows(conversation)
    lines = ["opp", "pipeline", "pipeline team", "pipeline @U1", "plan", "opp Gamma 50%", "opp Gamma gagné",
             "opp Gamma perdu prix", "relance Gamma demain", "carnet settings", "carnet team", "carnet kpis",
             "carnet kpis team", "carnet export", "carnet digest", "carnet goals", "log visite Gamma hier",
             "home", "message visite chez Gamma hier"]
    for team, user in ATTACKERS:
        for line in lines:
            command, _, words = line.partition(" ")
            reply, shown = _handle(conversation, team, user, command=command, text=words, request_key=f"{user}{line}")
            assert "error.internal" not in reply.keys, line
            assert not any(word in shown for word in A_WORDS[1:]), (line, shown)  # B may name "Gamma" itself
    _assert_a_untouched(before, _rows(conversation), _b_workspace(conversation))


def test_forms_and_type_ahead_from_b_never_reach_a(conversation):
    _seed_a(conversation)
    before = _rows(conversation)
    for team, user in ATTACKERS:
        assert [value for value, _label in conversation.account_options(team, "Gam")] == ["new:Gam"]
        for n in range(1, 5):
            forms = [
                ("log.form", {"action_type": "visit", "account": f"id:{n}", "date": "2026-11-20"}, None),
                ("opp.form", {"account": f"id:{n}", "name": "x", "amount": "1k", "probability": "50"}, {"opportunity": n}),
                ("plan.reschedule", {"new_date": "2026-12-01"}, {"plan": n}),
            ]
            for form_id, values, metadata in forms:
                reply, shown = _handle(conversation, team, user, form_id=form_id, form_values=values, form_metadata=metadata)
                assert not reply.ok and reply.field_errors, (form_id, n, shown)
                assert not any(word in shown for word in A_WORDS), (form_id, shown)
    _assert_a_untouched(before, _rows(conversation), _b_workspace(conversation))
