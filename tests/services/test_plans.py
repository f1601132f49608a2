"""Plans Carnet makes by itself: the relance after a proposal (through Conversation.handle, as a
rep types /log), and the recurring visits of key accounts by segment (through run_due)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.conversation import Conversation
from bot.jobs.scheduler import run_due
from bot.render.text import render_reply
from bot.services.accounts import create_account
from bot.services.actions import ActionDraft, record_action
from storage.models import Action, Member, OutboxMessage, Plan, Workspace
from tests.support.fixtures import TEST_NOW, Z, say
from tests.services.conftest import add_member


@pytest.fixture
def team(session_factory) -> dict[str, int]:
    """T1 with Camille (U1, Paris) and Sam (U2); accounts Gamma and Delta."""
    ws_id, camille = add_member(session_factory, "T1", "U1")
    _, sam = add_member(session_factory, "T1", "U2")
    ids = {"ws": ws_id, "camille": camille, "sam": sam}
    with session_factory() as s, s.begin():
        for name in ("Gamma", "Delta"):
            ids[name] = create_account(s, ws_id, name, owner_id=None, now=TEST_NOW).id
    return ids


def said(conversation: Conversation, text: str, user: str = "U1") -> str:
    """What Carnet answers to ``text`` typed by ``user``, rendered; the answer must be ok."""
    reply = say(conversation, text, user=user)
    assert reply.ok, render_reply(reply)
    return render_reply(reply)


def plans(session_factory) -> list[tuple]:
    """(member id, account id, type, due_at, has_time, status, source) of every plan, in creation order."""
    with session_factory() as s:
        return [
            (
                p.member_id,
                p.account_id,
                p.action_type,
                p.due_at,
                p.has_time,
                p.status,
                p.source,
            )
            for p in s.scalars(select(Plan).order_by(Plan.id))
        ]


def set_settings(session_factory, ws_id: int, **settings: object) -> None:
    with session_factory() as s, s.begin():
        s.get(Workspace, ws_id).settings = dict(settings)


# --------------------------------------------------------------------------- automatic relance


def test_a_proposal_plans_a_relance_seven_days_later_at_nine(
    conversation, session_factory, team
):
    out = said(conversation, "/log visite Gamma proposition")
    assert "📅 J'ai prévu une relance chez Gamma le lundi 30 nov." in out
    assert plans(session_factory) == [
        (
            team["camille"],
            team["Gamma"],
            "follow_up",
            Z(2026, 11, 30, 8, 0),
            False,
            "planned",
            "auto_relance",
        ),
    ]
    with session_factory() as s:
        action_id = s.scalar(select(Action.id))
        assert s.scalar(select(Plan.origin_action_id)) == action_id


def test_to_follow_up_plans_one_too_and_other_results_none(
    conversation, session_factory, team
):
    said(conversation, "/log appel Delta pas de besoin")
    said(conversation, "/log visite Delta")
    assert plans(session_factory) == []
    said(conversation, "/log appel Gamma à relancer")
    assert [p[2:4] for p in plans(session_factory)] == [
        ("follow_up", Z(2026, 11, 30, 8, 0))
    ]


@pytest.mark.parametrize(
    "already",
    [
        ("relance", "Gamma vendredi"),
        ("plan", "appel Gamma jeudi 14h"),
        ("relance", "Gamma dans 10 jours"),
    ],
)
def test_no_second_relance_when_the_rep_already_planned_one(
    conversation, session_factory, team, already
):
    said(conversation, "/" + " ".join(already))
    before = plans(session_factory)
    assert len(before) == 1
    out = said(conversation, "/log visite Gamma proposition")
    assert "J'ai prévu une relance" not in out
    assert plans(session_factory) == before


def test_another_reps_relance_does_not_count(conversation, session_factory, team):
    said(conversation, "/relance Gamma vendredi", user="U2")
    said(conversation, "/log visite Gamma proposition")
    assert [(p[0], p[3], p[6]) for p in plans(session_factory)] == [
        (team["sam"], Z(2026, 11, 27, 8, 0), "manual"),
        (team["camille"], Z(2026, 11, 30, 8, 0), "auto_relance"),
    ]


def test_send_documentation_plans_a_relance_three_days_later(
    conversation, session_factory, team
):
    out = said(conversation, "/log appel Gamma envoyer documentation")
    assert "J'ai prévu une relance chez Gamma le jeudi 26 nov." in out
    assert [p[2:7] for p in plans(session_factory)] == [
        ("follow_up", Z(2026, 11, 26, 8, 0), False, "planned", "auto_relance")
    ]


def test_the_workspace_settings_choose_the_delays_and_a_weekend_moves_to_monday(
    conversation, session_factory, team
):
    set_settings(
        session_factory, team["ws"], relance_after_days=4, documentation_relance_days=5
    )
    said(conversation, "/log visite Gamma proposition")  # Friday 27
    said(conversation, "/log appel Delta envoi doc")  # Saturday 28 → Monday 30
    assert [(p[1], p[3]) for p in plans(session_factory)] == [
        (team["Gamma"], Z(2026, 11, 27, 8, 0)),
        (team["Delta"], Z(2026, 11, 30, 8, 0)),
    ]


def test_a_zero_delay_turns_the_automatic_relance_off(
    conversation, session_factory, team
):
    set_settings(session_factory, team["ws"], relance_after_days=0)
    said(conversation, "/log visite Gamma proposition")
    assert plans(session_factory) == []


def test_the_relance_is_in_the_reps_own_time_zone(session_factory, team, clock):
    with session_factory() as s, s.begin():
        s.get(Member, team["camille"]).tz = "America/New_York"
    conversation = Conversation(session_factory, clock)
    said(conversation, "/log visite Gamma proposition")  # Monday 04:00 in New York
    assert [p[3] for p in plans(session_factory)] == [
        Z(2026, 11, 30, 14, 0)
    ]  # 09:00 EST


# --------------------------------------------------------------------------- recurring visits by segment


def make_key_account(
    session_factory,
    team,
    name: str,
    segment: str | None,
    *,
    last_visit: date | None,
    owner: str = "camille",
    status: str = "client",
) -> int:
    with session_factory() as s, s.begin():
        member = s.get(Member, team[owner]) if owner else None
        account = create_account(
            s, team["ws"], name, owner_id=member.id if member else None, now=TEST_NOW
        )
        account.segment, account.status = segment, status
        if last_visit is not None:
            record_action(
                s,
                member or s.get(Member, team["camille"]),
                account,
                ActionDraft("visit", last_visit),
                source="console",
                now=TEST_NOW,
            )
        return account.id


def test_key_accounts_get_their_next_visit_from_their_segment(session_factory, team):
    # The visit capital gives the rhythm: 3 visits a year → every 121 days, 2 → every 182 days;
    # bronze 0 → no automatic visit.
    set_settings(session_factory, team["ws"], visit_capital={"gold": 3, "silver": 2, "bronze": 0})
    gold = make_key_account(
        session_factory, team, "Or SA", "gold", last_visit=date(2026, 9, 5)
    )
    silver = make_key_account(
        session_factory, team, "Argent SA", "silver", last_visit=date(2026, 9, 1)
    )
    make_key_account(
        session_factory, team, "Bronze SA", "bronze", last_visit=date(2026, 1, 5)
    )
    make_key_account(
        session_factory, team, "Sans segment", None, last_visit=date(2026, 1, 5)
    )
    make_key_account(
        session_factory,
        team,
        "Ancien SA",
        "gold",
        last_visit=date(2026, 1, 5),
        status="former_client",
    )
    never = make_key_account(
        session_factory, team, "Jamais vu", "gold", last_visit=None
    )

    report = run_due(session_factory, TEST_NOW)
    assert report.segment_visits == 3
    assert plans(session_factory) == [
        # 5 September + 121 days is Monday 4 January 2027, 09:00 in Paris.
        (
            team["camille"],
            gold,
            "visit",
            Z(2027, 1, 4, 8, 0),
            False,
            "planned",
            "segment",
        ),
        (
            team["camille"],
            silver,
            "visit",
            Z(2027, 3, 2, 8, 0),
            False,
            "planned",
            "segment",
        ),
        # Never visited: as soon as possible, tomorrow.
        (
            team["camille"],
            never,
            "visit",
            Z(2026, 11, 24, 8, 0),
            False,
            "planned",
            "segment",
        ),
    ]
    # The rhythm comes from the capital, not from a stored recurrence: a capital changed later
    # changes the next visit (the plans table has no recurrence column any more).
    assert not hasattr(Plan, "recurrence_months")

    assert run_due(session_factory, TEST_NOW).segment_visits == 0  # twice: nothing more
    assert len(plans(session_factory)) == 3


def test_an_account_without_an_owner_or_with_a_visit_planned_gets_none(
    conversation, session_factory, team
):
    make_key_account(
        session_factory, team, "Orphelin", "gold", last_visit=date(2026, 1, 5), owner=""
    )
    planned = make_key_account(
        session_factory, team, "Prevu", "gold", last_visit=date(2026, 1, 5)
    )
    said(conversation, "/plan visite Prevu jeudi 14h")
    assert run_due(session_factory, TEST_NOW).segment_visits == 0
    assert [(p[1], p[6]) for p in plans(session_factory)] == [(planned, "manual")]


def test_the_workspace_chooses_the_rhythm(session_factory, team):
    set_settings(
        session_factory, team["ws"], segment_visit_months={"gold": 2, "bronze": 12}
    )
    gold = make_key_account(
        session_factory, team, "Or SA", "gold", last_visit=date(2026, 10, 14)
    )
    bronze = make_key_account(
        session_factory, team, "Bronze SA", "bronze", last_visit=date(2026, 2, 10)
    )
    make_key_account(
        session_factory, team, "Argent SA", "silver", last_visit=date(2026, 1, 5)
    )
    run_due(session_factory, TEST_NOW)
    assert [(p[1], p[3]) for p in plans(session_factory)] == [
        (gold, Z(2026, 12, 14, 8, 0)),
        (bronze, Z(2027, 2, 10, 8, 0)),
    ]


def test_logging_the_visit_marks_it_done_and_the_next_run_plans_the_one_after(
    conversation, session_factory, team, clock
):
    set_settings(session_factory, team["ws"], visit_capital={"gold": 3})  # every 121 days
    gold = make_key_account(
        session_factory, team, "Or SA", "gold", last_visit=date(2026, 9, 5)
    )
    run_due(session_factory, TEST_NOW)
    [first] = plans(session_factory)
    assert first[3] == Z(2027, 1, 4, 8, 0)

    clock.set(Z(2027, 1, 4, 10, 0))  # 11:00 in Paris, the day of the visit
    out = said(conversation, '/log visite "Or SA"')
    assert "Élément prévu marqué fait : visite chez Or SA." in out
    with session_factory() as s:
        done = s.scalars(select(Plan).order_by(Plan.id)).first()
        visit_id = s.scalar(
            select(Action.id).where(Action.occurred_on == date(2027, 1, 4))
        )
        assert (done.status, done.done_action_id) == ("done", visit_id)

    assert run_due(session_factory, clock.now()).segment_visits == 1
    # 121 days after 4 January: Wednesday 5 May 2027, 09:00 summer time in Paris.
    assert plans(session_factory)[1] == (
        team["camille"],
        gold,
        "visit",
        Z(2027, 5, 5, 7, 0),
        False,
        "planned",
        "segment",
    )
    assert run_due(session_factory, clock.now()).segment_visits == 0


def test_a_missed_segment_visit_is_not_planned_again_every_other_day(
    session_factory, team
):
    """The rep lets the 4 January visit pass: it stays in the agenda as missed (two weeks), and no
    second, third… visit of the same account piles up meanwhile; after that the account gets a new one."""
    set_settings(session_factory, team["ws"], visit_capital={"gold": 3})  # every 121 days
    gold = make_key_account(
        session_factory, team, "Or SA", "gold", last_visit=date(2026, 9, 5)
    )
    run_due(session_factory, TEST_NOW)
    day = Z(2027, 1, 4, 7, 30)
    while day <= Z(
        2027, 1, 15, 7, 30
    ):  # every morning for a fortnight, weekends included
        run_due(session_factory, day)
        day += timedelta(days=1)
    assert plans(session_factory) == [
        (
            team["camille"],
            gold,
            "visit",
            Z(2027, 1, 4, 8, 0),
            False,
            "missed",
            "segment",
        ),
    ]
    with session_factory() as s:
        agendas = s.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("agenda:%"))
        ).all()
        # Every workday from the 4th (today, then missed) the agenda showed that one visit, never two.
        assert len(agendas) == 10
        assert all(len(a.payload["reply"]["items"]) == 1 for a in agendas)

    run_due(
        session_factory, Z(2027, 1, 19, 7, 30)
    )  # no longer shown: the account gets a new visit
    assert [p[3:6] for p in plans(session_factory)] == [
        (Z(2027, 1, 4, 8, 0), False, "missed"),
        (Z(2027, 1, 20, 8, 0), False, "planned"),
    ]
