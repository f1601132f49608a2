"""run_due (the scheduler's job) and the outbox it fills, on a fixed clock, against the fake Slack Web API.

Members in Paris and in New York: the morning agenda at 08:30 in each one's own time zone on
workdays, across the 2027 daylight-saving changes (US 14 March, Europe 28 March); reminders
before timed visits; missed items; and "exactly once" when the job runs twice, late, or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.jobs.scheduler import run_due
from bot.services import plans as plan_service
from bot.services.accounts import create_account
from storage.models import Account, Member, OutboxMessage, Plan, Workspace
from tests.handlers.conftest import buttons, message_text
from tests.jobs.conftest import make_delivery
from tests.support.fixtures import Z

PARIS, NEW_YORK = "UPARIS", "UNEWYORK"
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # when the plans were made


@pytest.fixture
def team(session_factory) -> dict[str, int]:
    """Workspace T1: Camille (fr, Paris), Jordan (en, New York); accounts Alpha, Beta, Gamma."""
    ids: dict[str, int] = {}
    with session_factory() as s, s.begin():
        # Reviews 3 workdays before every period's end (the per-period lead times would send the
        # month's review on 23 November, in the ticks these planning tests count): their timing is
        # tested with the managers' reports.
        ws = Workspace(team_id="T1", name="Acme", settings={"review_workdays_before": 3}, created_at=LONG_AGO)
        s.add(ws)
        s.flush()
        ids["ws"] = ws.id
        for key, user, name, locale, tz in (
            ("paris", PARIS, "Camille Martin", "fr", "Europe/Paris"),
            ("ny", NEW_YORK, "Jordan Smith", "en", "America/New_York"),
        ):
            member = Member(
                workspace_id=ws.id,
                slack_user_id=user,
                display_name=name,
                role="rep",
                locale=locale,
                tz=tz,
                period="month",
                created_at=LONG_AGO,
            )
            s.add(member)
            s.flush()
            ids[key] = member.id
        for name in ("Alpha", "Beta", "Gamma"):
            ids[name] = create_account(s, ws.id, name, owner_id=None, now=LONG_AGO).id
    return ids


def add_plan(
    session_factory,
    member_id: int,
    account_id: int,
    action_type: str,
    due_at: datetime,
    *,
    has_time: bool = True,
    status: str = "planned",
) -> int:
    with session_factory() as s, s.begin():
        member, account = s.get(Member, member_id), s.get(Account, account_id)
        plan = plan_service.create_plan(
            s,
            member,
            account,
            action_type=action_type,
            due_at=due_at,
            has_time=has_time,
            now=LONG_AGO,
        )
        plan.status = status
        return plan.id


def outbox_rows(session_factory, prefix: str = "") -> list[OutboxMessage]:
    with session_factory() as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.dedupe_key.like(prefix + "%"))
                .order_by(OutboxMessage.id)
            )
        )


def plan_row(session_factory, plan_id: int) -> Plan:
    with session_factory() as s:
        plan = s.get(Plan, plan_id)
        assert plan is not None
        return plan


def dms(fake_slack, user: str) -> list[dict[str, Any]]:
    """The planning DMs (agendas, reminders) a user got; the end-of-period review, which the same
    run_due may send a rep near the end of their period, is tested with the managers' reports."""
    return [
        c.params
        for c in fake_slack.delivered("chat.postMessage")
        if c.params["channel"] == user and not c.params["text"].startswith(":mag:")
    ]


def item_buttons(message: dict[str, Any]) -> list[list[str]]:
    """The values of each item's buttons, item by item."""
    return [
        [e["value"] for e in block["elements"]]
        for block in message["blocks"]
        if block["type"] == "actions"
        and block.get("block_id", "").startswith("carnet.item.")
    ]


def item_texts(message: dict[str, Any]) -> list[str]:
    blocks = message["blocks"]
    return [
        blocks[i - 1]["text"]["text"]
        for i, block in enumerate(blocks)
        if block["type"] == "actions"
        and block.get("block_id", "").startswith("carnet.item.")
    ]


def five_buttons(plan_id: int) -> list[str]:
    return [
        f"plan.{name}:{plan_id}"
        for name in ("done", "snooze_hour", "snooze_tomorrow", "reschedule", "cancel")
    ]


def run_at(session_factory, when: datetime):
    return run_due(session_factory, when)


# --------------------------------------------------------------------------- morning agenda


def test_the_morning_agenda_at_0830_in_paris_and_in_new_york(
    session_factory, fake_slack, team, clock
):
    """Monday 23 November 2026 (winter): 08:30 is 07:30Z in Paris, 13:30Z in New York."""
    visit = add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 23, 10, 0)
    )  # 11:00 Paris
    relance = add_plan(
        session_factory,
        team["paris"],
        team["Gamma"],
        "follow_up",
        Z(2026, 11, 23, 8, 0),
        has_time=False,
    )
    add_plan(
        session_factory, team["paris"], team["Alpha"], "call", Z(2026, 11, 24, 9, 0)
    )  # tomorrow
    add_plan(
        session_factory,
        team["paris"],
        team["Alpha"],
        "visit",
        Z(2026, 11, 23, 13, 0),
        status="cancelled",
    )
    add_plan(
        session_factory,
        team["paris"],
        team["Alpha"],
        "call",
        Z(2026, 11, 23, 14, 0),
        status="done",
    )
    ny_visit = add_plan(
        session_factory, team["ny"], team["Alpha"], "visit", Z(2026, 11, 23, 15, 0)
    )  # 10:00 New York
    ny_relance = add_plan(
        session_factory,
        team["ny"],
        team["Beta"],
        "follow_up",
        Z(2026, 11, 23, 14, 0),
        has_time=False,
    )
    delivery = make_delivery(session_factory, fake_slack, clock)

    def tick(when: datetime) -> None:
        run_at(session_factory, when)
        clock.set(when)
        delivery.drain()

    tick(Z(2026, 11, 23, 7, 29))  # 08:29 in Paris
    assert (
        outbox_rows(session_factory) == []
        and fake_slack.calls("chat.postMessage") == []
    )

    tick(Z(2026, 11, 23, 7, 30))  # 08:30 in Paris, 02:30 in New York
    [agenda] = dms(fake_slack, PARIS)
    assert dms(fake_slack, NEW_YORK) == []
    text = message_text(agenda)
    assert "Bonjour Camille Martin — votre journée du lundi 23 nov." in text
    assert item_texts(agenda) == [
        "lundi 23 nov. — relance — *Gamma*",
        "lundi 23 nov. à 11:00 — visite — *Beta*",
    ]
    assert item_buttons(agenda) == [five_buttons(relance), five_buttons(visit)]
    labels = [b["text"]["text"] for b in buttons(agenda)][:5]
    assert labels == ["Fait", "+1 h", "Demain", "Déplacer", "Annuler"]
    assert (
        "Alpha" not in text
    )  # tomorrow's call, the cancelled visit and the done call are not today's work

    # Running again, at once or a minute later, queues nothing more.
    for when in (
        Z(2026, 11, 23, 7, 30),
        Z(2026, 11, 23, 7, 31),
        Z(2026, 11, 23, 8, 30),
    ):
        tick(when)
    assert len(dms(fake_slack, PARIS)) == 1
    assert [r.dedupe_key for r in outbox_rows(session_factory, "agenda:")] == [
        f"agenda:{team['paris']}:2026-11-23"
    ]

    tick(Z(2026, 11, 23, 13, 29))  # 08:29 in New York
    assert dms(fake_slack, NEW_YORK) == []
    tick(Z(2026, 11, 23, 13, 30))
    tick(Z(2026, 11, 23, 13, 31))
    [ny_agenda] = dms(fake_slack, NEW_YORK)
    assert "Good morning Jordan Smith — your day, Monday, Nov 23" in message_text(
        ny_agenda
    )
    assert item_texts(ny_agenda) == [
        "Monday, Nov 23 — follow-up — *Beta*",
        "Monday, Nov 23 at 10:00\u202fAM — visit — *Alpha*",
    ]
    assert item_buttons(ny_agenda) == [five_buttons(ny_relance), five_buttons(ny_visit)]
    assert [b["text"]["text"] for b in buttons(ny_agenda)][:5] == [
        "Done",
        "+1 h",
        "Tomorrow",
        "Reschedule",
        "Cancel",
    ]
    assert len(dms(fake_slack, PARIS)) == 1
    assert all(r.status == "sent" for r in outbox_rows(session_factory, "agenda:"))


@pytest.mark.parametrize(
    "who, workdays",
    [
        # Europe changes on Sunday 28 March 2027: 07:30Z on the Friday before, 06:30Z on the Monday after.
        (
            "paris",
            [
                (Z(2027, 3, 26, 7, 30), Z(2027, 3, 26, 9, 0)),
                (Z(2027, 3, 29, 6, 30), Z(2027, 3, 29, 8, 0)),
            ],
        ),
        # The US changes on Sunday 14 March 2027: 13:30Z on the Friday before, 12:30Z on the Monday after.
        (
            "ny",
            [
                (Z(2027, 3, 12, 13, 30), Z(2027, 3, 12, 15, 0)),
                (Z(2027, 3, 15, 12, 30), Z(2027, 3, 15, 14, 0)),
            ],
        ),
    ],
)
def test_the_agenda_stays_at_0830_local_across_the_daylight_saving_change(
    session_factory, fake_slack, team, clock, who, workdays
):
    user = PARIS if who == "paris" else NEW_YORK
    delivery = make_delivery(session_factory, fake_slack, clock)
    for expected, visit_at in workdays:
        add_plan(session_factory, team[who], team["Beta"], "visit", visit_at)
    for count, (expected, _visit_at) in enumerate(workdays, start=1):
        for when in (
            expected - timedelta(minutes=1),
            expected,
            expected + timedelta(minutes=1),
        ):
            run_at(session_factory, when)
            clock.set(when)
            delivery.drain()
            assert len(dms(fake_slack, user)) == (
                count if when >= expected else count - 1
            ), when
        sent = outbox_rows(
            session_factory, f"agenda:{team[who]}:{expected.date().isoformat()}"
        )
        assert [(r.status, r.sent_at) for r in sent] == [("sent", expected)]
    assert all("Beta" in message_text(m) for m in dms(fake_slack, user))
    # The other member's agenda never came at those instants (nothing planned for them).
    assert dms(fake_slack, NEW_YORK if who == "paris" else PARIS) == []


def test_no_agenda_on_saturday_and_sunday_and_monday_shows_what_was_missed(
    session_factory, fake_slack, team, clock
):
    saturday = add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 28, 9, 0)
    )  # 10:00 Paris
    sunday = add_plan(
        session_factory,
        team["paris"],
        team["Gamma"],
        "follow_up",
        Z(2026, 11, 29, 8, 0),
        has_time=False,
    )
    delivery = make_delivery(session_factory, fake_slack, clock)
    when = Z(2026, 11, 27, 23, 0)  # Saturday 00:00 in Paris
    while when < Z(2026, 11, 30, 5, 0):  # every hour of the weekend, in both zones
        run_at(session_factory, when)
        when += timedelta(hours=1)
    assert outbox_rows(session_factory, "agenda:") == []
    assert plan_row(session_factory, saturday).status == "missed"
    assert plan_row(session_factory, sunday).status == "missed"

    run_at(session_factory, Z(2026, 11, 30, 7, 30))  # Monday 08:30
    clock.set(Z(2026, 11, 30, 7, 30))
    delivery.drain()  # Monday 30 November also ends the reps' month: their period reviews go too
    assert [(r.dedupe_key.split(":")[0], r.status) for r in outbox_rows(session_factory, "agenda:")] == [
        ("agenda", "sent")
    ]
    [agenda] = dms(fake_slack, PARIS)
    assert item_texts(agenda) == [
        ":warning: Manqué (samedi 28 nov. à 10:00) — visite — *Beta*",
        ":warning: Manqué (dimanche 29 nov.) — relance — *Gamma*",
    ]
    assert item_buttons(agenda) == [five_buttons(saturday), five_buttons(sunday)]


def test_an_empty_day_sends_no_agenda(session_factory, fake_slack, team, clock):
    add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 24, 9, 0)
    )  # tomorrow
    add_plan(
        session_factory,
        team["paris"],
        team["Gamma"],
        "visit",
        Z(2026, 11, 23, 10, 0),
        status="done",
    )
    delivery = make_delivery(session_factory, fake_slack, clock)
    for when in (
        Z(2026, 11, 23, 7, 30),
        Z(2026, 11, 23, 12, 0),
        Z(2026, 11, 23, 13, 30),
        Z(2026, 11, 23, 20, 0),
    ):
        run_at(session_factory, when)
        clock.set(when)
        delivery.drain()
    assert outbox_rows(session_factory, "agenda:") == []
    assert fake_slack.calls("chat.postMessage") == []


def test_after_a_crash_the_agenda_is_sent_late_the_same_day(
    session_factory, fake_slack, team, clock
):
    add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 23, 15, 0)
    )  # 16:00 Paris
    # Nothing ran at 08:30: the process was down until 14:00 Paris.
    run_at(session_factory, Z(2026, 11, 23, 13, 0))
    clock.set(Z(2026, 11, 23, 13, 0))
    assert make_delivery(session_factory, fake_slack, clock).drain().sent == 1
    [agenda] = dms(fake_slack, PARIS)
    assert item_texts(agenda) == ["lundi 23 nov. à 16:00 — visite — *Beta*"]
    [row] = outbox_rows(session_factory, "agenda:")
    assert (row.status, row.sent_at) == ("sent", Z(2026, 11, 23, 13, 0))


def test_an_agenda_not_delivered_by_midnight_is_dropped_never_sent_at_night(
    session_factory, fake_slack, team, clock
):
    add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 23, 15, 0)
    )
    add_plan(
        session_factory, team["paris"], team["Gamma"], "visit", Z(2026, 11, 24, 15, 0)
    )
    run_at(
        session_factory, Z(2026, 11, 23, 7, 30)
    )  # queued at 08:30, but no worker delivered it that day
    [queued] = outbox_rows(session_factory, "agenda:")
    assert queued.status == "pending"

    night = Z(2026, 11, 23, 23, 30)  # Tuesday 00:30 in Paris
    run_at(session_factory, night)
    clock.set(night)
    report = make_delivery(session_factory, fake_slack, clock).drain()
    assert (report.sent, report.dropped) == (0, 1)
    assert fake_slack.calls("chat.postMessage") == []
    [dropped] = outbox_rows(
        session_factory, "agenda:"
    )  # and Tuesday's does not come at night either
    assert (dropped.id, dropped.status, dropped.sent_at) == (queued.id, "dropped", None)

    morning = Z(2026, 11, 24, 7, 30)  # Tuesday 08:30: Tuesday's agenda, once
    run_at(session_factory, morning)
    clock.set(morning)
    assert make_delivery(session_factory, fake_slack, clock).drain().sent == 1
    [agenda] = dms(fake_slack, PARIS)
    assert "mardi 24 nov." in message_text(agenda) and "Gamma" in message_text(agenda)


# --------------------------------------------------------------------------- reminders before timed visits


def test_a_timed_visit_is_reminded_an_hour_before_once_and_again_after_a_reschedule(
    session_factory, fake_slack, team, clock
):
    visit = add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 23, 14, 0)
    )  # 15:00 Paris
    add_plan(
        session_factory,
        team["paris"],
        team["Gamma"],
        "visit",
        Z(2026, 11, 23, 14, 0),
        has_time=False,
    )
    delivery = make_delivery(session_factory, fake_slack, clock)

    run_at(session_factory, Z(2026, 11, 23, 12, 59))
    assert outbox_rows(session_factory, "reminder:") == []
    for when in (
        Z(2026, 11, 23, 13, 0),
        Z(2026, 11, 23, 13, 1),
        Z(2026, 11, 23, 13, 30),
    ):
        run_at(session_factory, when)
    [row] = outbox_rows(session_factory, "reminder:")
    assert (
        row.dedupe_key == f"reminder:plan:{visit}:20261123T1400"
    )  # the untimed Gamma visit has none
    clock.set(Z(2026, 11, 23, 13, 30))
    delivery.drain()
    [reminder] = [m for m in dms(fake_slack, PARIS) if "Dans" in m["text"]]
    assert reminder["text"] == ":alarm_clock: Dans 60 min : visite chez *Beta* (15:00)."
    assert item_buttons(reminder) == [five_buttons(visit)]

    # Moved to 17:00 Paris: a reminder of its own at 16:00, none in between.
    with session_factory() as s, s.begin():
        plan, member = s.get(Plan, visit), s.get(Member, team["paris"])
        plan_service.reschedule(
            s,
            plan,
            member,
            due_at=Z(2026, 11, 23, 16, 0),
            has_time=True,
            now=Z(2026, 11, 23, 13, 35),
        )
    run_at(session_factory, Z(2026, 11, 23, 14, 59))
    assert len(outbox_rows(session_factory, "reminder:")) == 1
    run_at(session_factory, Z(2026, 11, 23, 15, 0))
    run_at(session_factory, Z(2026, 11, 23, 15, 1))
    assert [r.dedupe_key for r in outbox_rows(session_factory, "reminder:")] == [
        f"reminder:plan:{visit}:20261123T1400",
        f"reminder:plan:{visit}:20261123T1600",
    ]
    clock.set(Z(2026, 11, 23, 15, 1))
    delivery.drain()
    reminders = [m["text"] for m in dms(fake_slack, PARIS) if "Dans" in m["text"]]
    assert (
        reminders
        == [
            ":alarm_clock: Dans 60 min : visite chez *Beta* (15:00).",
            ":alarm_clock: Dans 60 min : visite chez *Beta* (17:00).",  # written when queued, at 16:00
        ]
    )


def test_a_reminder_queued_late_says_how_long_is_left_and_one_whose_visit_passed_is_dropped(
    session_factory, fake_slack, team, clock
):
    late = add_plan(
        session_factory, team["ny"], team["Alpha"], "visit", Z(2026, 11, 23, 16, 0)
    )  # 11:00 New York
    stale = add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 23, 15, 30)
    )  # 16:30 Paris
    run_at(
        session_factory, Z(2026, 11, 23, 14, 40)
    )  # the scheduler was down: queued late, not never
    assert {r.dedupe_key for r in outbox_rows(session_factory, "reminder:")} == {
        f"reminder:plan:{stale}:20261123T1530"
    }
    run_at(session_factory, Z(2026, 11, 23, 15, 50))
    clock.set(
        Z(2026, 11, 23, 15, 50)
    )  # the Paris visit began 20 minutes ago: its reminder is dropped
    report = make_delivery(session_factory, fake_slack, clock).drain()
    assert (report.sent, report.dropped) == (
        3,
        1,
    )  # both agendas (queued at 14:40Z), one reminder
    assert [
        m["text"]
        for m in dms(fake_slack, NEW_YORK)
        if m["text"].startswith(":alarm_clock:")
    ] == [":alarm_clock: In 10 min: visit at *Alpha* (11:00\u202fAM)."]
    assert [
        m for m in dms(fake_slack, PARIS) if m["text"].startswith(":alarm_clock:")
    ] == []
    statuses = {
        r.dedupe_key: r.status for r in outbox_rows(session_factory, "reminder:")
    }
    assert statuses == {
        f"reminder:plan:{stale}:20261123T1530": "dropped",
        f"reminder:plan:{late}:20261123T1600": "sent",
    }


def test_the_workspace_chooses_the_reminder_lead_and_the_agenda_time(
    session_factory, fake_slack, team, clock
):
    with session_factory() as s, s.begin():
        s.get(Workspace, team["ws"]).settings = {
            "visit_reminder_minutes": 30,
            "agenda_time": "07:45",
        }
    visit = add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 23, 14, 0)
    )
    run_at(session_factory, Z(2026, 11, 23, 6, 44))
    assert outbox_rows(session_factory) == []
    run_at(session_factory, Z(2026, 11, 23, 6, 45))  # 07:45 Paris
    assert [r.dedupe_key for r in outbox_rows(session_factory)] == [
        f"agenda:{team['paris']}:2026-11-23"
    ]
    run_at(session_factory, Z(2026, 11, 23, 13, 29))
    assert outbox_rows(session_factory, "reminder:") == []
    run_at(session_factory, Z(2026, 11, 23, 13, 30))
    assert [r.dedupe_key for r in outbox_rows(session_factory, "reminder:")] == [
        f"reminder:plan:{visit}:20261123T1400"
    ]


# --------------------------------------------------------------------------- missed items


def test_an_item_becomes_missed_when_its_local_day_ends_and_shows_in_the_next_agenda(
    session_factory, fake_slack, team, clock
):
    paris_visit = add_plan(
        session_factory, team["paris"], team["Beta"], "visit", Z(2026, 11, 23, 9, 0)
    )  # 10:00 Paris
    ny_visit = add_plan(
        session_factory, team["ny"], team["Alpha"], "visit", Z(2026, 11, 23, 15, 0)
    )  # 10:00 New York
    done = add_plan(
        session_factory,
        team["paris"],
        team["Gamma"],
        "call",
        Z(2026, 11, 23, 9, 0),
        status="done",
    )
    cancelled = add_plan(
        session_factory,
        team["ny"],
        team["Gamma"],
        "call",
        Z(2026, 11, 23, 15, 0),
        status="cancelled",
    )

    run_at(
        session_factory, Z(2026, 11, 23, 22, 59)
    )  # 23:59 in Paris: the day is not over
    assert plan_row(session_factory, paris_visit).status == "planned"
    run_at(
        session_factory, Z(2026, 11, 23, 23, 0)
    )  # midnight in Paris, 18:00 in New York
    assert plan_row(session_factory, paris_visit).status == "missed"
    assert plan_row(session_factory, ny_visit).status == "planned"
    run_at(session_factory, Z(2026, 11, 24, 4, 59))
    assert plan_row(session_factory, ny_visit).status == "planned"
    run_at(session_factory, Z(2026, 11, 24, 5, 0))  # midnight in New York
    assert plan_row(session_factory, ny_visit).status == "missed"
    assert (
        plan_row(session_factory, done).status,
        plan_row(session_factory, cancelled).status,
    ) == ("done", "cancelled")

    delivery = make_delivery(session_factory, fake_slack, clock)
    for when in (Z(2026, 11, 24, 7, 30), Z(2026, 11, 24, 13, 30)):
        run_at(session_factory, when)
        clock.set(when)
        delivery.drain()
    [paris] = dms(fake_slack, PARIS)
    assert item_texts(paris) == [
        ":warning: Manqué (lundi 23 nov. à 10:00) — visite — *Beta*"
    ]
    assert item_buttons(paris) == [five_buttons(paris_visit)]
    [ny] = dms(fake_slack, NEW_YORK)
    assert item_texts(ny) == [
        ":warning: Missed (Monday, Nov 23 at 10:00\u202fAM) — visit — *Alpha*"
    ]
    assert item_buttons(ny) == [five_buttons(ny_visit)]
