"""Planning through the terminal door: /plan and /relance, the numbered buttons of an item
(Done, +1 h, Tomorrow, Reschedule, Cancel) and the prompts of the forms they open.
Monday 23 November 2026, 10:00 in Paris."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from storage.models import Action, Plan
from tests.console.conftest import Terminal
from tests.support.fixtures import TEST_NOW, Z, console_runtime
from tests.support.messages import console_line, says, word


@pytest.fixture
def rt(database_url) -> Iterator[Runtime]:
    with console_runtime(database_url) as runtime:
        with runtime.session_factory() as s, s.begin():
            ws = get_or_create_workspace(s, "T1", now=TEST_NOW)
            for name in ("Beta", "Gamma"):
                create_account(s, ws.id, name, owner_id=None, now=TEST_NOW)
        yield runtime


def plans(rt: Runtime) -> list[tuple]:
    with rt.session_factory() as s:
        return [
            (p.action_type, p.due_at, p.has_time, p.status)
            for p in s.scalars(select(Plan).order_by(Plan.id))
        ]


def test_plan_then_snooze_and_reschedule_with_the_prompts(rt):
    camille = Terminal(rt)
    out = camille.type("/plan visite Beta mardi 10h")
    assert out.splitlines() == [
        "📅 Prévu : visite chez Beta, mardi 24 nov. à 10:00",
        "• mardi 24 nov. à 10:00 — visite — Beta",
        "    [1] Fait  [2] +1 h  [3] Demain  [4] Déplacer  [5] Annuler",
    ]
    out = camille.type(camille.number_of("+1 h", out, item=0))
    assert console_line("plan.snoozed", gender="feminine", action_type=word("action_type.visit"), account='Beta', when='mardi 24 nov. à 11:00') in out
    assert plans(rt) == [("visit", Z(2026, 11, 24, 10, 0), True, "planned")]

    out = camille.type("/relance Gamma jeudi")
    out = camille.type("/plan")
    assert out.splitlines()[:3] == [
        "Prévu cette semaine (2)",
        "• mardi 24 nov. à 11:00 — visite — Beta",
        "    [1] Fait  [2] +1 h  [3] Demain  [4] Déplacer  [5] Annuler",
    ]
    assert out.splitlines()[3:] == [
        "• jeudi 26 nov. — relance — Gamma",
        "    [6] Fait  [7] +1 h  [8] Demain  [9] Déplacer  [10] Annuler",
    ]
    # Reschedule the visit: a day in the past is refused and asked again; the hour is kept.
    out = camille.type(
        camille.number_of("Déplacer", out, item=0), "2026-11-20", "14h30", "2026-11-27"
    )
    assert "Nouveau jour [2026-11-24]: 2026-11-20" in out
    assert "Heure (facultative, ex. 14h30) (facultatif) [11:00]: 14h30" in out
    assert f"! new_date: {console_line('form.error.past')}" in out
    assert "Nouveau jour [2026-11-24]: 2026-11-27" in out
    assert console_line("plan.rescheduled", gender="feminine", action_type=word("action_type.visit"), account='Beta', when='vendredi 27 nov. à 14:30') in out
    assert plans(rt)[0] == ("visit", Z(2026, 11, 27, 13, 30), True, "planned")

    out = camille.type("/plan")
    out = camille.type(
        camille.number_of("Annuler", out, item=0)
    )  # the relance comes first now
    assert console_line("plan.cancelled", action_type=word("action_type.follow_up"), account='Gamma', when='jeudi 26 nov.') in out
    assert [p[3] for p in plans(rt)] == ["planned", "cancelled"]


def test_done_fills_the_log_form_and_marks_the_plan_done(rt):
    camille = Terminal(rt)
    out = camille.type(
        "/plan visite Beta jeudi 10h"
    )  # Thursday: only the Done button can complete it today
    # The form's defaults are the plan's: Enter keeps each one.
    out = camille.type(camille.number_of("Fait", out, item=0), "", "", "", "", "", "", "")
    assert "Type d'action [visite]: " in out and "Société [Beta]: " in out
    assert says(out, "log.saved", console=True, action_type=word("action_type.visit"), account="Beta")
    assert console_line("plan.done_via_log", action_type=word("action_type.visit"), account='Beta') in out
    with rt.session_factory() as s:
        plan = s.scalars(select(Plan)).one()
        action = s.scalars(select(Action)).one()
        assert (
            plan.status,
            plan.done_action_id,
            action.action_type,
            str(action.occurred_on),
        ) == ("done", action.id, "visit", "2026-11-23")


def test_far_ahead_asks_to_confirm_and_a_bad_line_stores_nothing(rt):
    camille = Terminal(rt)
    out = camille.type("/plan visite Beta hier")
    assert says(out, "plan.error.past_when", console=True, word="hier") and console_line("error.nothing_stored") in out
    out = camille.type("/plan visite Beta 15/03/2028")
    assert (
        console_line("plan.ask_far", when='mercredi 15 mars 2028') in out
    )
    assert plans(rt) == []
    out = camille.type(camille.number_of("Oui, le prévoir", out, item=0))
    assert says(out, "plan.created", console=True, action_type=word("action_type.visit"), account="Beta",
                when="mercredi 15 mars 2028")
    assert plans(rt) == [("visit", Z(2028, 3, 15, 8, 0), False, "planned")]
    with rt.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 0
