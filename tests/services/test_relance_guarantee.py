"""One open automatic relance per rep and account, kept by the database (index
``uq_plan_open_auto_relance``), through Conversation.handle on SQLite and PostgreSQL.

The concurrent case (ten /log at once) is in tests/handlers/test_concurrent_clicks.py; these
pin what the guarantee lets through: closed relances, relances planned by hand, and a missed
automatic relance moved back beside a newer one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.render.text import render_reply
from storage.models import Action, Plan
from tests.services.test_plans import plans, said, team  # noqa: F401  (team: a fixture)
from tests.support.fixtures import Z, click

PLANNED = "J'ai prévu une relance"


def only_plan_id(session_factory) -> int:
    with session_factory() as s:
        return s.scalars(select(Plan.id)).one()


def test_a_closed_automatic_relance_does_not_stop_the_next_one(conversation, session_factory, team):
    assert PLANNED in said(conversation, "/log visite Gamma proposition")
    reply = click(conversation, f"plan.cancel:{only_plan_id(session_factory)}")
    assert reply.ok, render_reply(reply)
    assert PLANNED in said(conversation, "/log appel Gamma à relancer")
    assert [p[5:7] for p in plans(session_factory)] == [("cancelled", "auto_relance"), ("planned", "auto_relance")]


def test_relances_planned_by_hand_are_not_limited(conversation, session_factory, team):
    """Only Carnet's own relances are one per account: a rep may plan several follow-ups."""
    said(conversation, "/relance Gamma vendredi")
    said(conversation, "/relance Gamma dans 10 jours")
    assert [(p[2], p[5], p[6]) for p in plans(session_factory)] == [("follow_up", "planned", "manual")] * 2


def test_a_missed_relance_moved_beside_a_newer_one_becomes_the_reps_own(
    conversation, session_factory, team, clock
):
    said(conversation, "/log visite Gamma proposition")  # relance due Monday 30 Nov.
    first = only_plan_id(session_factory)
    clock.advance(timedelta(days=8))  # Tuesday 1 Dec.: the relance's day has passed
    with session_factory() as s, s.begin():
        s.get(Plan, first).status = "missed"
    # Logged late, a call of last Thursday does not fulfil the relance due after it; with no
    # planned relance left, Carnet plans a new one.
    assert PLANNED in said(conversation, "/log appel Gamma proposition il y a 5 jours")
    reply = click(conversation, f"plan.snooze_tomorrow:{first}")  # the rep still wants the old one too
    assert reply.ok, render_reply(reply)
    assert [(p[3], p[5], p[6]) for p in plans(session_factory)] == [
        (Z(2026, 12, 2, 8, 0), "planned", "manual"),
        (Z(2026, 12, 8, 8, 0), "planned", "auto_relance"),
    ]


def test_moving_an_open_automatic_relance_keeps_it_automatic(conversation, session_factory, team):
    said(conversation, "/log visite Gamma proposition")
    reply = click(conversation, f"plan.snooze_tomorrow:{only_plan_id(session_factory)}")
    assert reply.ok, render_reply(reply)
    assert [(p[3], p[5], p[6]) for p in plans(session_factory)] == [(Z(2026, 12, 1, 8, 0), "planned", "auto_relance")]


def test_the_database_refuses_a_second_open_automatic_relance_and_the_action_is_kept(
    conversation, session_factory, team
):
    """What a concurrent /log leaves behind (a relance the check did not see, because it was not
    committed yet) stands here as an open automatic relance the check does not look at."""
    said(conversation, "/log visite Gamma proposition")
    with session_factory() as s, s.begin():
        s.get(Plan, only_plan_id(session_factory)).action_type = "visit"  # invisible to the check
    out = said(conversation, "/log visite Gamma proposition")
    assert "Noté : visite — Gamma." in out and PLANNED not in out
    with session_factory() as s:
        assert len(s.scalars(select(Action)).all()) == 2
    assert [(p[2], p[5], p[6]) for p in plans(session_factory)] == [("visit", "planned", "auto_relance")]
