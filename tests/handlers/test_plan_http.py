"""/plan and /relance through signed HTTP requests against the served app, and the buttons of a
planned item (Done, +1 h, Tomorrow, Reschedule, Cancel) clicked as Slack sends them.

The day is Monday 23 November 2026, 10:00 in Paris (09:00Z); Camille (U1) lives in Paris.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.messages import translate
from storage.models import Action, PendingCommand, Plan
from tests.handlers.conftest import ack, add_account, button, buttons, message_text, rows
from tests.support.messages import says, word
from tests.support.slack_requests import (
    date_value,
    external_select_value,
    select_value,
    text_value,
)
from tests.support.fixtures import Z, count_rows


@pytest.fixture
def team(runtime, fake_slack) -> dict[str, int]:
    fake_slack.add_user(
        "U1",
        name="camille",
        real_name="Camille Martin",
        tz="Europe/Paris",
        locale="fr-FR",
    )
    fake_slack.add_user(
        "U2", name="sam", real_name="Sam Durand", tz="Europe/Paris", locale="fr-FR"
    )
    return {
        "Beta": add_account(runtime, "Beta"),
        "Gamma": add_account(runtime, "Gamma"),
    }


VISIT = word("action_type.visit")


def at(day: str, time: str) -> str:
    """A planned moment with its time, as the catalogue writes it (``mardi 24 nov. à 10:00``)."""
    return translate("fr", "plan.when_time", day=day, time=time)


def plans(runtime) -> list[Plan]:
    with runtime.session_factory() as s:
        return list(s.scalars(select(Plan).order_by(Plan.id)))


def plan_of(runtime, plan_id: int) -> tuple:
    with runtime.session_factory() as s:
        p = s.get(Plan, plan_id)
        return (p.action_type, p.due_at, p.has_time, p.status)


def plan_buttons(message: dict[str, Any]) -> list[str]:
    return [b["value"] for b in buttons(message)]


def five(plan_id: int) -> list[str]:
    return [
        f"plan.{n}:{plan_id}"
        for n in ("done", "snooze_hour", "snooze_tomorrow", "reschedule", "cancel")
    ]


def plan_one(
    runtime, slack, text: str, *, cmd: str = "/plan"
) -> tuple[int, dict[str, Any]]:
    """Plan through the command; returns the new plan's id and the ack's message."""
    before = {p.id for p in plans(runtime)}
    body = ack(slack, cmd, text)
    [new] = [p.id for p in plans(runtime) if p.id not in before]
    return new, body


def open_view(
    slack, fake_slack, btn: dict[str, Any], user: str = "U1"
) -> dict[str, Any]:
    """Click a button that opens a modal; returns the view Carnet opened."""
    before = len(fake_slack.delivered("views.open"))
    response = slack.action(
        action_id=btn["action_id"],
        value=btn["value"],
        user_id=user,
        response_url=fake_slack.response_url("view"),
        channel_id="C9",
    )
    assert response.status_code == 200
    opened = fake_slack.wait_for("views.open", count=before + 1)[-1]
    return opened.params["view"]


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b["block_id"] == block_id)


# --------------------------------------------------------------------------- commands


def test_plan_visit_on_tuesday_at_ten_is_stored_in_utc_with_its_time(
    runtime, slack, team
):
    plan_id, body = plan_one(runtime, slack, "visite Beta mardi 10h")
    [plan] = plans(runtime)
    assert (
        plan.account_id,
        plan.action_type,
        plan.due_at,
        plan.has_time,
        plan.status,
        plan.source,
    ) == (team["Beta"], "visit", Z(2026, 11, 24, 9, 0), True, "planned", "manual")
    assert says(message_text(body), "plan.created", action_type=VISIT, account="Beta", when=at("mardi 24 nov.", "10:00"))
    assert plan_buttons(body) == five(plan_id)


def test_relance_in_three_days(runtime, slack, team):
    _plan_id, body = plan_one(runtime, slack, "Gamma dans 3 jours", cmd="/relance")
    [plan] = plans(runtime)
    assert (plan.account_id, plan.action_type, plan.due_at, plan.has_time) == (
        team["Gamma"],
        "follow_up",
        Z(2026, 11, 26, 8, 0),
        False,
    )
    assert says(message_text(body), "plan.created", action_type=word("action_type.follow_up"), account="Gamma",
                when="jeudi 26 nov.")


def test_plan_alone_lists_this_week(runtime, slack, team):
    assert says(message_text(ack(slack, "/plan", "")), "plan.week_empty")
    thursday, _ = plan_one(runtime, slack, "Gamma jeudi", cmd="/relance")
    tuesday, _ = plan_one(runtime, slack, "visite Beta mardi 10h")
    plan_one(runtime, slack, "appel Beta lundi prochain 10h")  # next week: not listed
    body = ack(slack, "/plan", "")
    assert body["blocks"][0]["text"]["text"] == translate("fr", "plan.week_title", count=2)
    assert [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"][1:] == [
        translate("fr", "plan.item", when=at("mardi 24 nov.", "10:00"), action_type=VISIT, account="Beta", note=""),
        translate("fr", "plan.item", when="jeudi 26 nov.", action_type=word("action_type.follow_up"), account="Gamma", note=""),
    ]
    assert plan_buttons(body) == five(tuesday) + five(thursday)


@pytest.mark.parametrize(
    "cmd, text, expected",
    [
        ("/plan", "visite Beta hier", ("plan.error.past_when", {"word": "hier"})),
        ("/plan", "visite Beta lundi dernier 10h", ("plan.error.past_when", {})),
        ("/plan", "visite Beta 32/13", ("plan.error.bad_when", {"word": "32/13"})),
        ("/plan", "visite Beta", ("plan.error.missing_when", {})),
        ("/plan", "visitte Beta mardi", ("plan.error.suggest", {"suggestion": "visite"})),
        ("/relance", "demain", ("plan.error.missing_account", {})),
        ("/relance", "", ("plan.error.missing_account", {})),
    ],
)
def test_a_bad_line_says_why_and_stores_nothing(
    runtime, slack, team, cmd, text, expected
):
    body = ack(slack, cmd, text)
    said = message_text(body)
    key, values = expected
    assert says(said, key, **values)
    assert says(said, "error.nothing_stored") and says(said, "plan.usage")  # and an example
    assert buttons(body) == []
    assert (count_rows(runtime.session_factory, Plan), count_rows(runtime.session_factory, PendingCommand)) == (0, 0)


def test_more_than_a_year_ahead_asks_first_and_stores_only_once_confirmed(
    runtime, slack, team, clicks
):
    body = ack(slack, "/plan", "visite Beta 15/03/2028")
    assert says(message_text(body), "plan.ask_far", when="mercredi 15 mars 2028")
    assert count_rows(runtime.session_factory, Plan) == 0
    dropped = ack(slack, "/plan", "visite Gamma 16/03/2028")
    answer = clicks.click(button(dropped, "plan.drop:"))
    assert says(message_text(answer), "plan.pending_cancelled") and answer["replace_original"] is True
    assert count_rows(runtime.session_factory, Plan) == 0

    answer = clicks.click(button(body, "plan.confirm:"))
    assert says(message_text(answer), "plan.created", action_type=VISIT, account="Beta", when="mercredi 15 mars 2028")
    [plan] = plans(runtime)
    assert (plan.account_id, plan.due_at, plan.has_time) == (
        team["Beta"],
        Z(2028, 3, 15, 8, 0),
        False,
    )
    again = clicks.click(
        button(body, "plan.confirm:")
    )  # a second click finds nothing to confirm
    assert says(message_text(again), "choice.expired")
    assert count_rows(runtime.session_factory, Plan) == 1


def test_an_unknown_account_is_suggested_like_log_and_nothing_is_planned_before_the_pick(
    runtime, slack, team, clicks
):
    body = ack(slack, "/plan", "visite Betta mardi 10h")
    assert says(message_text(body), "ask.account", typed="Betta")
    assert [b["text"]["text"] for b in buttons(body)] == [
        "Beta",
        translate("fr", "choice.create_account", name="Betta"),
        translate("fr", "choice.cancel"),
    ]
    assert count_rows(runtime.session_factory, Plan) == 0
    answer = clicks.click(button(body, "plan.pick:"))
    assert says(message_text(answer), "plan.created", action_type=VISIT, account="Beta", when=at("mardi 24 nov.", "10:00"))
    [plan] = plans(runtime)
    assert (plan.account_id, plan.due_at, plan.has_time) == (
        team["Beta"],
        Z(2026, 11, 24, 9, 0),
        True,
    )

    body = ack(slack, "/plan", "visite Zeta jeudi 14h")
    answer = clicks.click(button(body, "plan.create_account:"))
    assert says(message_text(answer), "plan.created", action_type=VISIT, account="Zeta", when=at("jeudi 26 nov.", "14:00"))
    assert [a["name"] for a in rows(runtime, "account")] == ["Beta", "Gamma", "Zeta"]
    body = ack(slack, "/plan", "visite Omega jeudi 14h")
    clicks.click(button(body, "plan.drop:"))
    assert count_rows(runtime.session_factory, Plan) == 2 and len(rows(runtime, "account")) == 3


# --------------------------------------------------------------------------- buttons


def test_done_opens_the_log_form_prefilled_and_logging_it_marks_the_plan_done(
    runtime, slack, fake_slack, team
):
    # Friday: too far ahead for a visit logged today to complete it by itself; only the form's plan id does.
    plan_id, body = plan_one(runtime, slack, "visite Beta vendredi 10h")
    view = open_view(slack, fake_slack, button(body, "plan.done:"))
    assert view["callback_id"] == "log.form"
    metadata = json.loads(view["private_metadata"])
    assert metadata["plan"] == plan_id and metadata["channel"] == "C9"
    assert block(view, "action_type")["element"]["initial_option"]["value"] == "visit"
    assert (
        block(view, "account")["element"]["initial_option"]["value"]
        == f"id:{team['Beta']}"
    )
    assert plan_of(runtime, plan_id)[3] == "planned"  # opening the form changes nothing

    response = slack.submit(
        callback_id="log.form",
        private_metadata=view["private_metadata"],
        values={
            "action_type": select_value("visit"),
            "account": external_select_value(f"id:{team['Beta']}", "Beta"),
            "result": select_value(None),
            "date": date_value("2026-11-23"),
        },
    )
    assert response.status_code == 200 and response.content == b""
    [post] = fake_slack.wait_for("chat.postEphemeral")
    assert says(message_text(post.params), "plan.done_via_log", action_type=VISIT, account="Beta")
    [action] = rows(runtime, "action")
    with runtime.session_factory() as s:
        plan = s.get(Plan, plan_id)
        assert (plan.status, plan.done_action_id) == ("done", action["id"])


def test_snooze_an_hour_and_to_tomorrow(runtime, slack, team, clicks):
    plan_id, body = plan_one(runtime, slack, "visite Beta 15h")  # today 15:00 Paris
    answer = clicks.click(button(body, "plan.snooze_hour:"))
    assert says(message_text(answer), "plan.snoozed", gender="feminine", action_type=VISIT, account="Beta", when=at("lundi 23 nov.", "16:00"))
    assert plan_of(runtime, plan_id) == (
        "visit",
        Z(2026, 11, 23, 15, 0),
        True,
        "planned",
    )
    answer = clicks.click(button(body, "plan.snooze_tomorrow:"))
    assert says(message_text(answer), "plan.snoozed", gender="feminine", action_type=VISIT, account="Beta", when=at("mardi 24 nov.", "16:00"))
    assert plan_of(runtime, plan_id) == (
        "visit",
        Z(2026, 11, 24, 15, 0),
        True,
        "planned",
    )

    untimed, body = plan_one(runtime, slack, "Gamma aujourd'hui", cmd="/relance")
    clicks.click(button(body, "plan.snooze_tomorrow:"))
    assert plan_of(runtime, untimed) == (
        "follow_up",
        Z(2026, 11, 24, 8, 0),
        False,
        "planned",
    )  # 09:00, still untimed


def test_reschedule_opens_a_form_that_moves_the_plan_and_refuses_the_past(
    runtime, slack, fake_slack, team
):
    plan_id, body = plan_one(runtime, slack, "visite Beta vendredi 10h")
    view = open_view(slack, fake_slack, button(body, "plan.reschedule:"))
    assert view["callback_id"] == "plan.reschedule"
    assert json.loads(view["private_metadata"])["plan"] == plan_id
    assert block(view, "new_date")["element"]["initial_date"] == "2026-11-27"
    assert block(view, "new_time")["element"]["initial_value"] == "10:00"

    def submit(day: str, hour: str | None):
        return slack.submit(
            callback_id="plan.reschedule",
            private_metadata=view["private_metadata"],
            values={"new_date": date_value(day), "new_time": text_value(hour)},
        )

    response = submit("2026-11-20", "14h30")
    assert response.json() == {
        "response_action": "errors",
        "errors": {"new_date": translate("fr", "form.error.past")},
    }
    response = submit("2026-11-23", "08:00")  # today, but already gone
    assert response.json()["errors"] == {"new_date": translate("fr", "form.error.past")}
    response = submit("2026-11-26", "25h")
    assert list(response.json()["errors"]) == ["new_time"]
    assert plan_of(runtime, plan_id) == (
        "visit",
        Z(2026, 11, 27, 9, 0),
        True,
        "planned",
    )

    response = submit("2026-11-26", "14h30")
    assert response.status_code == 200 and response.content == b""
    assert plan_of(runtime, plan_id) == (
        "visit",
        Z(2026, 11, 26, 13, 30),
        True,
        "planned",
    )
    [post] = fake_slack.wait_for("chat.postEphemeral")
    assert says(message_text(post.params), "plan.rescheduled", gender="feminine", action_type=VISIT, account="Beta", when=at("jeudi 26 nov.", "14:30"))


def test_cancel_then_every_button_of_the_closed_item_is_refused(
    runtime, slack, fake_slack, team, clicks
):
    plan_id, body = plan_one(runtime, slack, "visite Beta mardi 10h")
    answer = clicks.click(button(body, "plan.cancel:"))
    assert says(message_text(answer), "plan.cancelled", action_type=VISIT, account="Beta", when=at("mardi 24 nov.", "10:00"))
    assert plan_of(runtime, plan_id)[3] == "cancelled"
    for prefix in (
        "plan.snooze_hour:",
        "plan.snooze_tomorrow:",
        "plan.cancel:",
        "plan.reschedule:",
        "plan.done:",
    ):
        answer = clicks.click(button(body, prefix))
        assert says(message_text(answer), "plan.error.not_open", status=word("plan.status.cancelled"))
    assert plan_of(runtime, plan_id) == (
        "visit",
        Z(2026, 11, 24, 9, 0),
        True,
        "cancelled",
    )
    assert fake_slack.calls("views.open") == []


def test_snoozing_an_item_already_done_is_refused_and_changes_nothing(
    runtime, slack, fake_slack, team, clicks
):
    plan_id, body = plan_one(runtime, slack, "visite Beta 15h")
    ack(slack, "/log", "visite Beta")  # the visit happened: logging it completes the plan
    assert plan_of(runtime, plan_id) == ("visit", Z(2026, 11, 23, 14, 0), True, "done")
    for prefix in ("plan.snooze_hour:", "plan.snooze_tomorrow:"):
        answer = clicks.click(button(body, prefix))
        assert says(message_text(answer), "plan.error.not_open", status=word("plan.status.done"))
    assert plan_of(runtime, plan_id) == ("visit", Z(2026, 11, 23, 14, 0), True, "done")


def test_another_users_buttons_and_form_are_refused(
    runtime, slack, fake_slack, team, clicks
):
    plan_id, body = plan_one(runtime, slack, "visite Beta mardi 10h")
    for prefix in (
        "plan.cancel:",
        "plan.snooze_hour:",
        "plan.done:",
        "plan.reschedule:",
    ):
        answer = clicks.click(button(body, prefix), user_id="U2")
        assert says(message_text(answer), "plan.error.not_yours")
    assert fake_slack.calls("views.open") == []
    # Sam replays Camille's reschedule form: refused beside the field.
    response = slack.submit(
        callback_id="plan.reschedule",
        user_id="U2",
        private_metadata=json.dumps({"plan": plan_id}),
        values={"new_date": date_value("2026-11-26"), "new_time": text_value("14h")},
    )
    assert response.json()["response_action"] == "errors"
    assert plan_of(runtime, plan_id) == (
        "visit",
        Z(2026, 11, 24, 9, 0),
        True,
        "planned",
    )
    assert count_rows(runtime.session_factory, Action) == 0


def test_a_far_date_still_asks_after_the_account_is_picked(runtime, slack, team, clicks):
    body = ack(slack, "/plan", "visite Betta 15/03/2028")
    answer = clicks.click(button(body, "plan.pick:"))
    assert says(message_text(answer), "plan.ask_far", when="mercredi 15 mars 2028")
    assert count_rows(runtime.session_factory, Plan) == 0
    done = clicks.click(button(answer, "plan.confirm:"))
    assert says(message_text(done), "plan.created", action_type=VISIT, account="Beta", when="mercredi 15 mars 2028")
    assert count_rows(runtime.session_factory, Plan) == 1
