"""``/carnet team``, ``/carnet goals`` and ``/carnet digest`` through signed HTTP requests: who may
set up the team and the objectives, which period an objective lands in, and the refusals (which
store nothing). The day is Monday 23 November 2026 (tests/conftest.py's clock)."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Member, Objective
from tests.handlers.conftest import PREPARING, message_text, rows, say, set_member, table
from tests.support.messages import flat, says, sentence, word

PEOPLE = {"UBOSS": "boss", "U2": "bob", "U3": "alice", "U4": "carol", "U5": "dan"}
TEAM_SETUP = "team <@U2|bob> role manager manager <@U3|alice> period quarter tz America/New_York locale en"


def member(runtime, user_id: str) -> dict[str, Any]:
    [found] = [m for m in rows(runtime, "member") if m["slack_user_id"] == user_id]
    return found


def objectives(runtime) -> list[tuple]:
    """(scope owner's Slack id, team?, metric, period, start, end, value) of every objective."""
    with runtime.session_factory() as s:
        users = {m.id: m.slack_user_id for m in s.scalars(select(Member))}
        return [
            (users[o.member_id or o.team_manager_id], o.team_manager_id is not None, o.metric, o.period,
             o.period_start, o.period_end, o.value)
            for o in s.scalars(select(Objective).order_by(Objective.id))
        ]


@pytest.fixture
def people(fake_slack, slack) -> None:
    """Everyone has used Carnet once; UBOSS first, so UBOSS is the workspace's admin."""
    for user_id, name in PEOPLE.items():
        fake_slack.add_user(user_id, name=name, tz="Europe/Paris", locale="fr-FR")
    for user_id in PEOPLE:
        assert slack.command("/carnet", "help", user_id=user_id).status_code == 200


@pytest.fixture
def team(runtime, people) -> None:
    """alice manages bob (week), carol (month) and dan (quarter)."""
    set_member(runtime, "U3", role="manager")
    for user_id, period in (("U2", "week"), ("U4", "month"), ("U5", "quarter")):
        set_member(runtime, user_id, manager="U3", period=period)


# --------------------------------------------------------------------------- /carnet team


def test_the_first_member_of_a_workspace_is_its_admin(runtime, people):
    assert member(runtime, "UBOSS")["role"] == "admin"
    assert {member(runtime, u)["role"] for u in ("U2", "U3", "U4", "U5")} == {"rep"}


def test_an_admin_sets_up_a_member_in_one_command(runtime, slack, people):
    _body, shown = say(slack, TEAM_SETUP, user="UBOSS", command="/carnet")

    assert says(shown, "team.saved")
    assert says(shown, "team.line", name="bob", user="U2", role=word("team.role.manager"), manager="alice", locale="en",
                tz="America/New_York", period=word("team.period.quarter"))
    bob, alice = member(runtime, "U2"), member(runtime, "U3")
    assert (bob["role"], bob["manager_id"], bob["period"], bob["tz"], bob["locale"]) == (
        "manager", alice["id"], "quarter", "America/New_York", "en"
    )
    assert bob["display_name"] == "bob"  # a mention's name never renames a member


def test_a_rep_cannot_set_up_the_team(runtime, slack, people):
    before = table(runtime, "member")
    _body, shown = say(slack, TEAM_SETUP, user="U4", command="/carnet")

    assert says(shown, "team.admins_only")
    assert table(runtime, "member") == before


BAD_SETTINGS = [
    ("team <@U2|bob> manager <@U9|nobody>", ("team.error.unknown_manager", "U9")),
    ("team <@U2|bob> tz Mars/Olympus", ("team.error.bad_tz", "Mars/Olympus")),
    ("team <@U2|bob> period fortnight", ("team.error.bad_period", "fortnight")),
    ("team <@U2|bob> role chief", ("team.error.bad_role", "chief")),
    ("team <@U2|bob> locale de", ("team.error.bad_locale", "de")),
    ("team <@U2|bob> manager <@U2|bob>", ("team.error.own_manager", "U2")),
    ("team <@U2|bob> colour blue", ("team.error.unknown_field", "colour")),
    ("team <@U2|bob> period week tz Mars/Olympus", ("team.error.bad_tz", "Mars/Olympus")),  # the good half waits too
]


def test_a_bad_setting_gets_a_clear_answer_and_changes_nothing(runtime, slack, people):
    before = table(runtime, "member")
    for words, answer in BAD_SETTINGS:
        _body, shown = say(slack, words, user="UBOSS", command="/carnet")

        key, value = answer
        assert says(shown, key, value=value), words
        assert not says(shown, "team.saved")
        assert table(runtime, "member") == before, words


def test_a_manager_cycle_from_slack_is_refused(runtime, slack, people):
    assert says(say(slack, "team <@U3|alice> role manager manager <@U2|bob>", user="UBOSS", command="/carnet")[1],
                "team.saved")
    before = table(runtime, "member")

    _body, shown = say(slack, "team <@U2|bob> role manager manager <@U3|alice>", user="UBOSS", command="/carnet")

    assert says(shown, "team.error.manager_cycle") and not says(shown, "team.saved")
    assert table(runtime, "member") == before


# --------------------------------------------------------------------------- /carnet goals


@pytest.mark.parametrize(
    ("user", "name", "period", "start", "end"),
    [
        ("U2", "bob", "week", date(2026, 11, 23), date(2026, 11, 29)),
        ("U4", "carol", "month", date(2026, 11, 1), date(2026, 11, 30)),
        ("U5", "dan", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_a_manager_sets_a_reps_objective_for_the_reps_own_period(runtime, slack, team, user, name, period, start, end):
    _body, shown = say(slack, f"goals <@{user}|{name}> revenue 50k", user="U3", command="/carnet")

    assert says(shown, "goals.saved")
    assert says(shown, "goals.title", name=name, start=re.compile(f"{start.day} .*"))
    assert says(shown, "goals.line", metric=word("goals.metric.revenue"), value="50 000 €")
    assert objectives(runtime) == [(user, False, "revenue", period, start, end, Decimal("50000.00"))]


def test_setting_an_objective_again_replaces_it(runtime, slack, team):
    say(slack, "goals <@U2|bob> revenue 50k", user="U3", command="/carnet")
    say(slack, "goals <@U2|bob> ca 40k", user="U3", command="/carnet")
    assert [o[-1] for o in objectives(runtime)] == [Decimal("40000.00")]


def test_a_manager_sets_the_teams_objective_for_their_own_period(runtime, slack, team):
    _body, shown = say(slack, "goals team visits 120", user="U3", command="/carnet")

    assert says(shown, "goals.saved")
    assert says(shown, "goals.team_title", name="alice", start="1 nov. 2026", end="30 nov. 2026")
    assert says(shown, "goals.line", metric=word("goals.metric.visits"), value=120)
    assert objectives(runtime) == [("U3", True, "visits", "month", date(2026, 11, 1), date(2026, 11, 30), Decimal(120))]


def test_a_negative_objective_is_refused_and_nothing_is_stored(runtime, slack, team):
    for words in ("goals <@U2|bob> revenue -5k", "goals <@U2|bob> visits -3", "goals team won -1"):
        _body, shown = say(slack, words, user="U3", command="/carnet")

        assert says(shown, "goals.error.negative"), words
        assert says(shown, "error.nothing_stored")
        assert not says(shown, "goals.saved")
        assert table(runtime, "objective") == []


def test_a_rep_cannot_set_objectives(runtime, slack, team):
    for words, answer in (
        ("goals <@U5|dan> revenue 10k", sentence("goals.set_refused", name="dan")),
        ("goals <@U4|carol> revenue 1", sentence("goals.set_refused", name="carol")),
        ("goals team visits 10", sentence("goals.team_refused")),
    ):
        _body, shown = say(slack, words, user="U4", command="/carnet")

        assert answer.search(shown), words
        assert table(runtime, "objective") == []


def test_a_manager_cannot_set_another_managers_reps_objective(runtime, slack, team):
    set_member(runtime, "UBOSS", role="manager")  # not bob's manager, and no longer admin
    _body, shown = say(slack, "goals <@U2|bob> revenue 10k", user="UBOSS", command="/carnet")
    assert says(shown, "goals.set_refused", name="bob")
    assert table(runtime, "objective") == []


def test_a_rep_sees_their_own_objectives(runtime, slack, team):
    say(slack, "goals <@U4|carol> revenue 50k", user="U3", command="/carnet")
    _body, shown = say(slack, "goals", user="U4", command="/carnet")
    assert says(shown, "goals.title", name="carol", start="1 nov. 2026", end="30 nov. 2026")
    assert says(shown, "goals.line", metric=word("goals.metric.revenue"), value="50 000 €")


# --------------------------------------------------------------------------- /carnet digest


def test_a_rep_asking_for_the_team_digest_is_refused(runtime, slack, team):
    _body, shown = say(slack, "digest", user="U4", command="/carnet")

    assert says(shown, "digest.refused")
    assert not says(shown, "digest.title") and not re.search(r"\d[\d ]* €", shown)


def test_a_manager_previews_their_digest_after_the_ack_with_its_chart_in_their_dm(runtime, slack, team, fake_slack):
    """The ack only says the digest is coming (a digest is slow work: never before the ack);
    the digest follows at the command's response_url, its chart in the manager's DM."""
    response = slack.command("/carnet", "digest", user_id="U3", response_url=fake_slack.response_url("digest"), trigger_id="T-DIGEST")
    assert response.status_code == 200
    ack = flat(message_text(response.json()))
    assert says(ack, "digest.preparing", count=3)
    assert not says(ack, "digest.title")

    fake_slack.wait_for("response_url")
    [answer] = fake_slack.responses("digest")
    shown = flat(message_text(answer))
    assert says(shown, "digest.title", start="16 nov. 2026", end="22 nov. 2026")
    for name in ("bob", "carol", "dan"):
        assert says(shown, "digest.rep_line", name=name, actions=0, visits=0, planned="—", pipeline="0 €", won="0 €",
                    attainment="—")
    assert "boss" not in shown  # not in alice's team
    # The digest's chart, then the cockpit's three (the DM is paced: a burst of three, then about
    # one a second — on the test's fixed clock, the fourth goes once the clock moves on).
    fake_slack.wait_for("files.completeUploadExternal", count=3)
    runtime.clock.advance(timedelta(seconds=5))
    fake_slack.wait_for("files.completeUploadExternal", count=4)
    [chart, *cockpit] = fake_slack.uploads(completed_only=True)
    assert chart.is_png and chart.filename == "carnet-digest-2026-11-16.png"
    assert sorted(u.filename for u in cockpit) == [f"carnet-{kind}-2026-11-16.png" for kind in ("attainment", "funnel", "trend")]
    assert all(u.is_png and u.alt_txt for u in cockpit)
    assert {c.params["users"] for c in fake_slack.delivered("conversations.open")} == {"U3"}

    # Slack retries the same command: the ack is replayed, nothing is built or sent again.
    retry = slack.command("/carnet", "digest", user_id="U3", response_url=fake_slack.response_url("digest"), trigger_id="T-DIGEST", retry_num=1)
    assert says(flat(message_text(retry.json())), "digest.preparing")
    time.sleep(0.5)
    assert len(fake_slack.responses("digest")) == 1
    assert len(fake_slack.uploads()) == 4


def test_no_digest_to_prepare_for_a_rep_or_a_manager_without_a_team(runtime, slack, people, fake_slack):
    set_member(runtime, "U3", role="manager")  # alice manages nobody yet
    for user in ("U3", "U4"):
        response = slack.command("/carnet", "digest", user_id=user, response_url=fake_slack.response_url(user))
        assert not any(says(flat(message_text(response.json())), key) for key in PREPARING)
    time.sleep(0.3)
    assert fake_slack.responses() == [] and fake_slack.uploads() == []
    assert [r for r in rows(runtime, "outbox") if r["kind"] == "file"] == []


def test_the_objective_lands_in_the_reps_period_in_the_reps_time_zone(runtime, slack, team, clock):
    """At 00:30 on 1 December in Paris it is still 30 November in New York: bob (New York,
    month) gets November's objective, whatever his Paris manager's calendar says."""
    from datetime import UTC, datetime

    set_member(runtime, "U2", tz="America/New_York", period="month")
    clock.set(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    _body, shown = say(slack, "goals <@U2|bob> revenue 50k", user="U3", command="/carnet")

    assert says(shown, "goals.title", name="bob", start="1 nov. 2026", end="30 nov. 2026")
    assert objectives(runtime) == [("U2", False, "revenue", "month", date(2026, 11, 1), date(2026, 11, 30), Decimal("50000.00"))]
