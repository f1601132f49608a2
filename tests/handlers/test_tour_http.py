"""/plan tournée (issue 15): a week of visits due by the visit capital, grouped by place and day,
proposed through signed HTTP requests and accepted, trimmed or dropped with the buttons as Slack
sends them.

Monday 23 November 2026, 10:00 in Paris (09:00Z); Camille (U1) lives in Paris. Next week's workdays
are Monday 30 November to Friday 4 December. The workspace plans 2 visits a day on a tour.
Camille's accounts and their capital (visits a year, the segment's default: gold 12 → every 30 days,
silver 6 → every 60, bronze 2 → every 182):

- Alpha, gold, Lyon 69003, last visited 1 October: due (31 October);
- Bravo, gold, Villeurbanne 69100, never visited: due — same department (69) as Alpha, same day;
- Charlie, silver, Grenoble 38000, visited 20 November: next due 19 January, not in the tour;
- Delta, bronze, Grenoble 38100, never visited: due;
- Echo, silver, Annecy 74000, last visited 1 August: due, but Camille planned a visit there herself;
- Foxtrot, gold, no place, never visited: due;
- Golf, gold, Lyon, Sam's account: never in Camille's tour.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import select

from bot.jobs.scheduler import run_due
from bot.services.accounts import create_account
from bot.services.actions import ActionDraft, record_action
from storage.models import Account, Member, PendingCommand, Plan, Workspace
from tests.handlers.conftest import ack, button, buttons, message_text
from tests.support.fixtures import TEST_NOW, Z, count_rows
from tests.support.messages import says


@pytest.fixture
def accounts(runtime, slack, fake_slack) -> dict[str, int]:
    for user, name in (("U1", "camille"), ("U2", "sam")):
        fake_slack.add_user(user, name=name, real_name=name.title(), tz="Europe/Paris", locale="fr-FR")
        ack(slack, "/plan", "", user=user)  # each becomes a member
    with runtime.session_factory() as s, s.begin():
        ws = s.scalar(select(Workspace))
        ws.settings = {"tour_visits_per_day": 2}
        camille = s.scalar(select(Member).where(Member.slack_user_id == "U1"))
        sam = s.scalar(select(Member).where(Member.slack_user_id == "U2"))
        ids = {}
        for name, segment, city, postcode, last, owner in (
            ("Alpha", "gold", "Lyon", "69003", date(2026, 10, 1), camille),
            ("Bravo", "gold", "Villeurbanne", "69100", None, camille),
            ("Charlie", "silver", "Grenoble", "38000", date(2026, 11, 20), camille),
            ("Delta", "bronze", "Grenoble", "38100", None, camille),
            ("Echo", "silver", "Annecy", "74000", date(2026, 8, 1), camille),
            ("Foxtrot", "gold", None, None, None, camille),
            ("Golf", "gold", "Lyon", "69001", None, sam),
        ):
            account = create_account(s, ws.id, name, owner_id=owner.id, now=TEST_NOW)
            account.segment, account.status, account.city, account.postcode = segment, "client", city, postcode
            if last is not None:
                record_action(s, owner, account, ActionDraft("visit", last), source="console", now=TEST_NOW)
            ids[name] = account.id
    ack(slack, "/plan", "visite Echo mercredi 2 décembre 10h")  # Camille's own visit at Echo
    return ids


def plans(runtime) -> list[tuple]:
    with runtime.session_factory() as s:
        rows = s.execute(
            select(Account.name, Plan.due_at, Plan.source, Plan.status).join(Account, Account.id == Plan.account_id)
            .order_by(Plan.id)
        )
        return [tuple(r) for r in rows]


def valid_blocks(message: dict[str, Any]) -> None:
    """Every block is Block Kit that slack_sdk reads back and validates."""
    assert 0 < len(message["blocks"]) <= 50
    for raw in message["blocks"]:
        Block.parse(raw).validate_json()


def tour_lines(message: dict[str, Any]) -> list[str]:
    return [line for line in message_text(message).split("\n") if " — " in line and "·" in line]


def test_the_tour_groups_due_accounts_by_place_and_day_and_accept_plans_them_once(runtime, slack, clicks, accounts):
    body = ack(slack, "/plan", "tournée semaine prochaine")
    valid_blocks(body)
    text = message_text(body)
    assert says(text, "tour.title", count=4, start="30 nov. 2026")
    # The most behind their capital first (never visited gold: 10.8 visits due so far, Alpha 9.8,
    # Delta 1.8), an area's accounts together: the Lyon department (69) fills Monday, two a day;
    # Foxtrot (no place) and Delta (Grenoble) share Tuesday. Charlie (not due), Echo (planned by
    # hand) and Sam's Golf are left out.
    assert tour_lines(body) == [
        "*lundi 30 nov.* — Bravo (Villeurbanne) · capital de visites",
        "*lundi 30 nov.* — Alpha (Lyon) · capital de visites",
        "*mardi 1 déc.* — Foxtrot (lieu inconnu) · capital de visites",
        "*mardi 1 déc.* — Delta (Grenoble) · capital de visites",
    ]
    assert len([b for b in buttons(body) if b["value"].startswith("tour.drop:")]) == 4
    assert plans(runtime) == [("Echo", Z(2026, 12, 2, 9), "manual", "planned")]  # nothing stored yet

    answer = clicks.click(button(body, "tour.accept:"))
    assert says(message_text(answer), "tour.accepted", count=4) and answer["replace_original"] is True
    assert plans(runtime) == [
        ("Echo", Z(2026, 12, 2, 9), "manual", "planned"),
        ("Bravo", Z(2026, 11, 30, 8), "tour", "planned"),
        ("Alpha", Z(2026, 11, 30, 8), "tour", "planned"),
        ("Foxtrot", Z(2026, 12, 1, 8), "tour", "planned"),
        ("Delta", Z(2026, 12, 1, 8), "tour", "planned"),
    ]

    again = clicks.click(button(body, "tour.accept:"))  # the same button twice: nothing more
    assert says(message_text(again), "choice.expired")
    second = ack(slack, "/plan", "tour next week")  # every due account has its visit now
    assert says(message_text(second), "tour.nothing", start="30 nov. 2026")
    assert len(plans(runtime)) == 5


def test_drop_takes_a_line_out_and_accept_plans_the_rest(runtime, slack, clicks, accounts):
    body = ack(slack, "/plan", "tournée")
    dropped = clicks.click(button(body, f"tour.drop:{_pending(runtime)}:{accounts['Bravo']}"))
    valid_blocks(dropped)
    assert dropped["replace_original"] is True
    assert says(message_text(dropped), "tour.title", count=3, start="30 nov. 2026")
    assert [line.split(" — ")[1] for line in tour_lines(dropped)] == [
        "Alpha (Lyon) · capital de visites",
        "Foxtrot (lieu inconnu) · capital de visites",
        "Delta (Grenoble) · capital de visites",
    ]
    assert says(message_text(clicks.click(button(body, "tour.accept:"))), "choice.expired")  # the old proposal is gone
    clicks.click(button(dropped, "tour.accept:"))
    assert [p[0] for p in plans(runtime)] == ["Echo", "Alpha", "Foxtrot", "Delta"]


def test_the_automatic_visit_moves_to_the_tours_day_instead_of_staying_beside_it(runtime, slack, clicks, accounts):
    run_due(runtime.session_factory, now=TEST_NOW)  # the scheduler's tick plans each due account's visit
    automatic = {p[0]: p[1] for p in plans(runtime) if p[2] == "segment"}
    # Tomorrow for the late or never visited; Charlie 60 days after 20 November.
    assert automatic == {name: Z(2026, 11, 24, 8) for name in ("Alpha", "Bravo", "Delta", "Foxtrot", "Golf")} | {
        "Charlie": Z(2027, 1, 19, 8)}
    body = ack(slack, "/plan", "tournée semaine prochaine")
    assert len(tour_lines(body)) == 4
    clicks.click(button(body, "tour.accept:"))
    mine = [p for p in plans(runtime) if p[0] not in ("Golf", "Charlie", "Echo")]
    assert sorted((p[0], p[1], p[2]) for p in mine) == [
        ("Alpha", Z(2026, 11, 30, 8), "tour"),
        ("Bravo", Z(2026, 11, 30, 8), "tour"),
        ("Delta", Z(2026, 12, 1, 8), "tour"),
        ("Foxtrot", Z(2026, 12, 1, 8), "tour"),
    ]
    assert count_rows(runtime.session_factory, Plan) == 7  # moved, not duplicated (Echo, Golf, Charlie and the four)


def test_cancel_and_unreadable_words_store_nothing(runtime, slack, clicks, accounts):
    body = ack(slack, "/plan", "tournée semaine prochaine")
    answer = clicks.click(button(body, "tour.cancel:"))
    assert says(message_text(answer), "tour.cancelled")
    refused = ack(slack, "/plan", "tournée demain")
    assert says(message_text(refused), "tour.error.when", words="demain")
    assert says(message_text(refused), "error.nothing_stored")
    assert len(plans(runtime)) == 1 and count_rows(runtime.session_factory, PendingCommand) == 0


def _pending(runtime) -> int:
    with runtime.session_factory() as s:
        return s.scalar(select(PendingCommand.id).where(PendingCommand.kind == "tour"))
