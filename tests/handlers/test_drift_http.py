"""Clients kept in the rep's morning agenda: the top three clients drifting away, each with "Plan a
visit", clicked as Slack sends it (signed HTTP against the served app, the fake Slack Web API).

The day is Monday 23 November 2026; the agenda is due at 08:30 in Paris (07:30Z). Alice (U1)
owns Nord, Est, Sud and Ouest, seen every 10 days until 100, 90, 80 and 70 days ago (scores 10,
9, 8, 7: all drifting), Centre (seen 5 days ago: kept) and a silent prospect; Bob (U2) owns Zeta,
drifting too. Carol (U3) owns nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from sqlalchemy import select

from bot.jobs.scheduler import run_due
from bot.messages import translate
from bot.services.accounts import create_account
from storage.models import Action, Member, OutboxMessage, Plan, Workspace
from tests.handlers.conftest import ack, buttons, message_text, register_people, say
from tests.jobs.conftest import make_delivery
from tests.support.fixtures import Z, count_rows
from tests.support.messages import says

TODAY = date(2026, 11, 23)
AGENDA_TIME = Z(2026, 11, 23, 7, 30)


def member_id(runtime, user: str) -> int:
    with runtime.session_factory() as s:
        return s.scalar(select(Member.id).where(Member.slack_user_id == user))


def client(runtime, name: str, owner: int, silent: int, *, status: str = "client", segment: str | None = None) -> int:
    """A client of ``owner`` seen every 10 days for a year until ``silent`` days ago."""
    with runtime.session_factory() as s, s.begin():
        owner_row = s.get(Member, owner)
        account = create_account(s, owner_row.workspace_id, name, owner_id=owner, now=Z(2025, 1, 1, 9))
        account.status, account.segment = status, segment
        day = TODAY - timedelta(days=silent + 360)
        while day <= TODAY - timedelta(days=silent):
            s.add(Action(workspace_id=account.workspace_id, member_id=owner, account_id=account.id, action_type="visit",
                         channel="in_person", occurred_on=day, logged_at=datetime(day.year, day.month, day.day, 16, tzinfo=UTC)))
            day += timedelta(days=10)
        return account.id


@pytest.fixture
def clients(runtime, slack, fake_slack) -> dict[str, int]:
    register_people(fake_slack, slack)
    for user in ("U1", "U2", "U3"):
        ack(slack, "/plan", user=user)  # each one meets Carnet (nothing planned yet)
    alice, bob = member_id(runtime, "U1"), member_id(runtime, "U2")
    ids = {name: client(runtime, name, alice, silent) for name, silent in (("Nord", 100), ("Est", 90), ("Sud", 80), ("Ouest", 70))}
    ids["Silver"] = client(runtime, "Silver", alice, 60, segment="silver")  # a segment visit comes back every 6 months
    ids["Centre"] = client(runtime, "Centre", alice, 5)
    ids["Prospect"] = client(runtime, "Prospect", alice, 200, status="prospect")
    ids["Zeta"] = client(runtime, "Zeta", bob, 100)
    return ids


def valid(message: dict[str, Any]) -> dict[str, Any]:
    for block in message.get("blocks") or []:
        Block.parse(block).validate_json()
    return message


def agenda_of(fake_slack, user: str) -> list[dict[str, Any]]:
    """The morning agendas ``user`` got (other DMs of the tick, e.g. the objectives reminder, left out)."""
    return [valid(c.params) for c in fake_slack.delivered("chat.postMessage")
            if c.params["channel"] == user and c.params["text"].startswith(":sunny:")]


def tick(runtime, fake_slack, when: datetime) -> None:
    run_due(runtime.session_factory, when)
    runtime.clock.set(when)
    make_delivery(runtime.session_factory, fake_slack, runtime.clock).drain()


def test_the_agenda_suggests_the_top_three_drifting_clients_once(runtime, slack, fake_slack, clients):
    tick(runtime, fake_slack, AGENDA_TIME)
    [alice] = agenda_of(fake_slack, "U1")
    assert [b["value"] for b in buttons(alice)] == [f"plan.drift_visit:{clients[n]}" for n in ("Nord", "Est", "Sud")]
    assert {b["text"]["text"] for b in buttons(alice)} == {translate("fr", "choice.plan_visit")}
    text = message_text(alice)
    assert "*Nord* s'éloigne : aucun contact depuis 100 jours (rythme habituel : 10 jours entre deux contacts)" in text
    assert "Ouest" not in text and "Centre" not in text and "Prospect" not in text and "Zeta" not in text
    [bob] = agenda_of(fake_slack, "U2")
    assert [b["value"] for b in buttons(bob)] == [f"plan.drift_visit:{clients['Zeta']}"]
    assert agenda_of(fake_slack, "U3") == []  # nothing planned, nothing drifting: no agenda

    tick(runtime, fake_slack, AGENDA_TIME + timedelta(minutes=1))
    tick(runtime, fake_slack, AGENDA_TIME + timedelta(hours=3))
    assert len(agenda_of(fake_slack, "U1")) == 1
    with runtime.session_factory() as s:
        assert s.query(OutboxMessage).filter(OutboxMessage.dedupe_key.like("agenda:%")).count() == 2


def test_plan_a_visit_plans_one_visit_tomorrow_and_never_two(runtime, slack, fake_slack, clients, clicks):
    tick(runtime, fake_slack, AGENDA_TIME)
    [alice] = agenda_of(fake_slack, "U1")
    nord = buttons(alice)[0]
    runtime.clock.set(Z(2026, 11, 23, 9))
    answer = valid(clicks.click(nord, user_id="U1"))
    assert "Visite planifiée chez *Nord*" in message_text(answer)
    with runtime.session_factory() as s:
        [plan] = s.scalars(select(Plan).where(Plan.account_id == clients["Nord"])).all()
        assert (plan.action_type, plan.status, plan.source, plan.has_time, plan.due_at) == (
            "visit", "planned", "drift", False, Z(2026, 11, 24, 8))  # Tuesday 09:00 in Paris
    again = clicks.click(nord, user_id="U1")
    assert "déjà planifiée" in message_text(again) and "rien d'ajouté" in message_text(again)
    assert count_rows(runtime.session_factory, Plan, Plan.account_id == clients["Nord"]) == 1


def test_plan_a_visit_brings_a_later_planned_visit_forward(runtime, slack, fake_slack, clients, clicks):
    """Silver's segment visit, moved months ahead, comes back to tomorrow: still one visit."""
    tick(runtime, fake_slack, AGENDA_TIME)
    with runtime.session_factory() as s, s.begin():
        [plan] = s.scalars(select(Plan).where(Plan.account_id == clients["Silver"])).all()
        # The tick plans it by the visit capital (tomorrow: the client is late); put it months ahead,
        # as a rep who pushed it back would have.
        assert plan.source == "segment"
        plan.due_at = Z(2027, 2, 1, 8)
        plan_id = plan.id
    runtime.clock.set(Z(2026, 11, 23, 9))
    answer = clicks.click({"action_id": "carnet.choice.0", "value": f"plan.drift_visit:{clients['Silver']}"}, user_id="U1")
    assert "déjà planifiée" in message_text(answer)
    with runtime.session_factory() as s:
        assert s.execute(select(Plan.id, Plan.due_at, Plan.status).where(Plan.account_id == clients["Silver"])).all() == [
            (plan_id, Z(2026, 11, 24, 8), "planned")]


def test_plan_a_visit_at_someone_elses_client_is_refused_and_plans_nothing(runtime, slack, fake_slack, clients, clicks):
    tick(runtime, fake_slack, AGENDA_TIME)
    [bob] = agenda_of(fake_slack, "U2")
    before = count_rows(runtime.session_factory, Plan)  # Silver's segment visit
    answer = clicks.click(buttons(bob)[0], user_id="U1")  # Bob's button, clicked by Alice
    assert "*Zeta* n'est pas l'un de vos comptes : rien de planifié." in message_text(answer)
    forged = clicks.click({"action_id": "carnet.choice.0", "value": "plan.drift_visit:999999"}, user_id="U1")
    assert translate("fr", "choice.expired") in message_text(forged)
    assert count_rows(runtime.session_factory, Plan) == before == 1


# --------------------------------------------------------------------------- settings


def stored_settings(runtime) -> dict[str, Any]:
    with runtime.session_factory() as s:
        return dict(s.scalar(select(Workspace.settings)) or {})


def test_an_admin_sets_the_drift_thresholds_and_a_bad_one_stores_nothing(runtime, slack, fake_slack):
    register_people(fake_slack, slack)  # UBOSS speaks first: the admin
    _body, shown = say(slack, "settings drift gap 3", user="UBOSS", command="/carnet")
    assert says(shown, "settings.saved")
    assert says(shown, "settings.drift", gap=3, silence=30, orders=50, lost=14)
    say(slack, "settings derive commandes 60%", user="UBOSS", command="/carnet")
    assert {k: v for k, v in stored_settings(runtime).items() if k.startswith("drift_")} == {
        "drift_gap_times": 3, "drift_silence_days": 30, "drift_orders_drop_pct": 60, "drift_lost_days": 14}
    before = stored_settings(runtime)
    for words in ("settings drift gap 1", "settings drift gap x", "settings drift silence 400", "settings drift lost",
                  "settings drift rhythm 3", "settings drift"):
        body, shown = say(slack, words, user="UBOSS", command="/carnet")
        assert says(shown, "settings.drift_usage"), words
        assert says(shown, "error.nothing_stored"), words
        assert stored_settings(runtime) == before, words
    _body, shown = say(slack, "settings drift gap 5", user="U1", command="/carnet")
    assert says(shown, "settings.admins_only")
    assert stored_settings(runtime) == before


def carol_agendas(runtime) -> list[str]:
    """The agenda days queued for Carol (what the scheduler decided, delivered or not)."""
    carol = member_id(runtime, "U3")
    with runtime.session_factory() as s:
        keys = s.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"agenda:{carol}:%")))
        return sorted(key.rsplit(":", 1)[1] for key in keys)


def test_a_calm_member_is_scanned_once_a_day(runtime, slack, fake_slack, clients):
    """Carol's Calme, seen every 10 days until 25 days ago, is kept at 08:30 (25 < 30 days). The
    admin then lowers ``drift silence`` to 20: the ticks of the day do not scan Carol again (no
    agenda); Tuesday's first agenda tick does, and suggests Calme."""
    calme = client(runtime, "Calme", member_id(runtime, "U3"), 25)
    run_due(runtime.session_factory, AGENDA_TIME)
    assert carol_agendas(runtime) == []
    with runtime.session_factory() as s, s.begin():
        workspace = s.scalar(select(Workspace))
        workspace.settings = {**(workspace.settings or {}), "drift_silence_days": 20}
    for minutes in (1, 90, 600):
        run_due(runtime.session_factory, AGENDA_TIME + timedelta(minutes=minutes))
    assert carol_agendas(runtime) == []
    tick(runtime, fake_slack, AGENDA_TIME + timedelta(days=1))
    assert carol_agendas(runtime) == ["2026-11-24"]
    [carol] = agenda_of(fake_slack, "U3")
    assert [b["value"] for b in buttons(carol)] == [f"plan.drift_visit:{calme}"]
