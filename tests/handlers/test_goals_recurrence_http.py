"""``/carnet goals`` through signed HTTP requests: recurring objectives (the default) and objectives
for this period only, their words in French and English, the bad words (refused, nothing stored),
and ``/carnet team`` naming each rep's real manager. Monday 23 November 2026 (tests/conftest.py's clock)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.models import Member, Objective
from tests.handlers.conftest import say, set_member, table
from tests.support.messages import says, word

PEOPLE = {"UBOSS": "boss", "U2": "bob", "U3": "alice", "U4": "carol"}


@pytest.fixture
def team(runtime, fake_slack, slack) -> None:
    """alice manages bob (month) and carol (month)."""
    for user_id, name in PEOPLE.items():
        fake_slack.add_user(user_id, name=name, tz="Europe/Paris", locale="fr-FR")
        assert slack.command("/carnet", "help", user_id=user_id).status_code == 200
    set_member(runtime, "U3", role="manager")
    for user_id in ("U2", "U4"):
        set_member(runtime, user_id, manager="U3", period="month")


def stored(runtime) -> list[tuple]:
    with runtime.session_factory() as s:
        return [(o.metric, o.period_start, o.value, o.recurring) for o in s.scalars(select(Objective).order_by(Objective.id))]


def test_an_objective_is_recurring_by_default(runtime, slack, team):
    _body, shown = say(slack, "goals <@U2|bob> visites 40", user="U3", command="/carnet")
    assert says(shown, "goals.saved")
    assert says(shown, "goals.line", metric=word("goals.metric.visits"), value=40)
    assert stored(runtime) == [("visits", date(2026, 11, 1), Decimal(40), True)]


@pytest.mark.parametrize("words", ["seulement ce mois", "cette période seulement", "this period only", "only this month"])
def test_an_objective_for_this_period_only(runtime, slack, team, words):
    _body, shown = say(slack, f"goals <@U2|bob> visits 12 {words}", user="U3", command="/carnet")
    assert says(shown, "goals.saved"), words
    assert says(shown, "goals.line_once", metric=word("goals.metric.visits"), value=12)
    assert stored(runtime) == [("visits", date(2026, 11, 1), Decimal(12), False)]


def test_a_one_period_objective_sits_beside_the_recurring_one(runtime, slack, team):
    say(slack, "goals <@U2|bob> visits 40", user="U3", command="/carnet")
    _body, shown = say(slack, "goals <@U2|bob> visits 12 seulement ce mois", user="U3", command="/carnet")
    assert says(shown, "goals.line_once", metric=word("goals.metric.visits"), value=12)
    assert not says(shown, "goals.line", metric=word("goals.metric.visits"), value=40)
    assert sorted(stored(runtime)) == [
        ("visits", date(2026, 11, 1), Decimal(12), False), ("visits", date(2026, 11, 1), Decimal(40), True)
    ]


@pytest.mark.parametrize("words", ["goals <@U2|bob> visits 40 demain", "goals <@U2|bob> ca 50k pour toujours", "goals team won 5 next period"])
def test_unknown_duration_words_are_refused_and_nothing_is_stored(runtime, slack, team, words):
    _body, shown = say(slack, words, user="U3", command="/carnet")
    assert says(shown, "goals.error.bad_duration"), words
    assert not says(shown, "goals.saved")
    assert table(runtime, "objective") == []


def test_the_team_list_names_each_reps_manager(runtime, slack, team):
    _body, shown = say(slack, "team", user="U3", command="/carnet")
    assert says(shown, "team.line", name="bob", manager="alice")
    assert says(shown, "team.line", name="carol", manager="alice")
    assert not says(shown, "team.line", name="bob", manager="—")


def test_pipeline_follows_every_objective_in_force(runtime, slack, team):
    say(slack, "goals <@U2|bob> visits 40", user="U3", command="/carnet")
    say(slack, "goals <@U2|bob> won 6", user="U3", command="/carnet")
    say(slack, "goals team opportunities 12", user="U3", command="/carnet")
    _body, shown = say(slack, "", user="U2", command="/pipeline")
    assert says(shown, "goals.progress_title")
    assert says(shown, "goals.progress_line", metric=word("goals.metric.visits"), achieved=0, target=40)
    assert says(shown, "goals.progress_line", metric=word("goals.metric.won_deals"), achieved=0, target=6)
    assert says(shown, "goals.progress_line", metric=word("goals.team_metric.new_opportunities"), achieved=0, target=12)
    assert says(shown, "goals.composite", individual=70, collective=30)


def test_pipeline_counts_the_deals_past_their_close_date(runtime, slack, team):
    """Today is 23 November 2026: a deal expected on 20 November and still open is in no projection."""
    from datetime import UTC, datetime

    from storage.models import Account, Opportunity

    with runtime.session_factory() as s, s.begin():
        bob = s.scalar(select(Member).where(Member.slack_user_id == "U2"))
        account = Account(workspace_id=bob.workspace_id, name="Gamma", name_key="gamma", status="client", owner_id=bob.id,
                          created_at=datetime(2026, 1, 1, tzinfo=UTC))
        s.add(account)
        s.flush()
        for title, close in (("Late", date(2026, 11, 20)), ("On time", date(2026, 11, 27))):
            s.add(Opportunity(workspace_id=bob.workspace_id, member_id=bob.id, account_id=account.id, title=title,
                              amount=Decimal(12000), currency="EUR", probability=40, stage="proposal", status="open",
                              expected_close_on=close, created_at=datetime(2026, 10, 1, tzinfo=UTC),
                              updated_at=datetime(2026, 10, 1, tzinfo=UTC)))
    _body, shown = say(slack, "", user="U2", command="/pipeline")
    assert says(shown, "digest.past_close", count=1, amount="12 000 €")
