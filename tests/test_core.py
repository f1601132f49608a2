"""Replies survive the round trip through JSON (the stored reply of a retried request, the outbox)."""

from __future__ import annotations

import json
from dataclasses import asdict

from bot.core import Choice, Fact, Form, FormField, Item, Reply, Text


def full_reply() -> Reply:
    return Reply(
        locale="fr",
        lines=[Text("log.saved", {"action_type": "visite", "account": "Gamma"})],
        facts=[Fact(Text("fact.date"), "22 nov."), Fact(Text("fact.action"), Text("action_type.visit"))],
        choices=[Choice(Text("choice.undo"), "log.undo:1", "danger")],
        items=[Item(Text("plan.item", {"when": "mardi"}), [Choice(Text("choice.done"), "plan.done:3", "primary")])],
        form=Form(
            "log.form",
            Text("form.log.title"),
            Text("form.log.submit"),
            [FormField("account", Text("form.field.account"), "account", True, [("a", Text("x"))], "id:1", Text("h"), "Gamma", 10)],
            metadata='{"plan": 3}',
        ),
        field_errors={"date": Text("form.error.future_date")},
        replace_original=True,
        ok=False,
    )


def test_to_dict_is_json_and_reads_back_equal():
    reply = full_reply()
    data = json.loads(json.dumps(reply.to_dict()))
    assert Reply.from_dict(data) == reply


def test_to_dict_says_what_asdict_says():
    reply = full_reply()
    expected = json.loads(json.dumps(asdict(reply)))
    assert json.loads(json.dumps(reply.to_dict())) == expected
