"""Writing to Carnet as to a colleague, through the terminal door: a line that does not start with
``/`` is read, proposed as rows, and stored only on Confirm. Monday 23 November 2026, 10:00 in Paris."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import build_runtime
from bot.services.accounts import create_account
from bot.services.members import Profile, get_or_create_workspace

from storage.models import Account, Action, Contact, Opportunity, PendingCommand, Plan
from tests.conftest import TEST_NOW, make_settings
from tests.console.test_console_journeys import (  # noqa: F401  (fixtures)
    KNOWN,
    TODAY,
    YESTERDAY,
    Session,
    account_names,
    actions,
    console_clock,
    count,
    rt,
    rt_en,
)

EXAMPLE_FR = "vu Gamma Industries ce matin avec Mme Z (ingénieur), ils veulent une proposition à 12k pour fin janvier"
EXAMPLE_EN = "called Alpha Industries yesterday, no need for now, follow up in 3 months"


def flat(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def facts(out: str) -> dict[str, str]:
    """The "  Label : value" lines of a reply."""
    return {m[1].strip(): m[2] for m in re.finditer(r"^  (\S[^:\[\n]*?) +: (.*)$", flat(out), re.M)}


def rows(rt) -> dict[str, list[tuple]]:
    """Every row a message may store (compare before/after)."""
    with rt.session_factory() as s:
        return {
            "action": [(a.action_type, a.account.name, a.occurred_on, a.result, a.contact_function, a.note)
                       for a in s.scalars(select(Action).order_by(Action.id))],
            "contact": [(c.name, c.function) for c in s.scalars(select(Contact).order_by(Contact.id))],
            "deal": [(o.account.name, o.amount, o.currency, o.stage, o.expected_close_on)
                     for o in s.scalars(select(Opportunity).order_by(Opportunity.id))],
            "plan": [(p.action_type, p.account.name, p.due_at.replace(tzinfo=UTC), p.has_time, p.source)
                     for p in s.scalars(select(Plan).order_by(Plan.id))],
            "account": sorted(s.scalars(select(Account.name))),
        }


NOTHING = {"action": [], "contact": [], "deal": [], "plan": [], "account": sorted(KNOWN)}


def paris(*args: int) -> datetime:
    """A Paris wall time in November–March (UTC+1) as stored (UTC)."""
    return datetime(*args, tzinfo=UTC) - timedelta(hours=1)


def test_the_french_example_is_proposed_then_confirm_stores_exactly_the_rows_shown(rt):
    session = Session(rt)
    out = session.type(EXAMPLE_FR)

    assert "Voici ce que je noterais — rien n'est enregistré avant Confirmer :" in out
    shown = facts(out)
    assert shown == {
        "Société": "Gamma Industries",
        "Action": "visite",
        "Date": "23 nov. 2026 (aujourd'hui : pas de date dans le message)",
        "Résultat": "proposition",
        "Interlocuteur": "Mme Z (ingénieur)",
        "Affaire": "12 000 €, conclusion prévue le 31 janv. 2027",
        "Relance": "lundi 30 nov. (automatique après ce résultat, comme avec /log)",
    }
    assert "passage" not in out  # every word placed or small
    assert rows(rt) == NOTHING  # nothing before Confirm
    assert count(rt, PendingCommand) == 1

    out = session.type(session.number_of("Confirmer", out))

    assert "✔ Noté : visite — Gamma Industries." in flat(out)
    assert "Affaire : 12 000 €, conclusion prévue le 31 janv. 2027." in flat(out)
    assert rows(rt) == {
        "action": [("visit", "Gamma Industries", TODAY, "proposal", "engineer", None)],
        "contact": [("Mme Z", "engineer")],
        "deal": [("Gamma Industries", Decimal("12000.00"), "EUR", "proposal", date(2027, 1, 31))],
        "plan": [("follow_up", "Gamma Industries", paris(2026, 11, 30, 9, 0), False, "auto_relance")],
        "account": sorted(KNOWN),
    }
    assert count(rt, PendingCommand) == 0
    [action] = actions(rt)
    assert action.source == "console"


@pytest.fixture
def rt_any(database_url):
    """The French rep's Carnet on SQLite and, when available, on PostgreSQL."""
    runtime = build_runtime(make_settings(database_url), clock=FixedClock(TEST_NOW),
                            profiles=lambda _user: Profile(display_name="Camille Martin", tz="Europe/Paris", locale="fr"))
    with runtime.session_factory() as s, s.begin():
        workspace = get_or_create_workspace(s, "T1", now=TEST_NOW)
        for name in KNOWN:
            create_account(s, workspace.id, name, owner_id=None, now=TEST_NOW)
    try:
        yield runtime
    finally:
        runtime.close()


def test_on_both_databases_the_account_is_found_in_the_words_and_an_edit_of_the_proposal_is_safe(rt_any):
    session = Session(rt_any)
    out = session.type("vu le directeur de Delta Logistique lundi dernier, pas intéressé, à relancer dans 2 mois")
    assert facts(out) == {
        "Société": "Delta Logistique",
        "Action": "visite",
        "Date": "16 nov. 2026",
        "Résultat": "pas de besoin",
        "Interlocuteur": "directeur",
        "Relance": "samedi 23 janv. 2027",
    }
    session.type(session.number_of("Confirmer", out))
    stored = rows(rt_any)
    assert stored["action"] == [("visit", "Delta Logistique", date(2026, 11, 16), "no_need", "director", None)]
    assert stored["plan"] == [("follow_up", "Delta Logistique", paris(2027, 1, 23, 9, 0), False, "manual")]
    assert count(rt_any, PendingCommand) == 0


def test_the_english_example_plans_the_follow_up_asked_and_no_automatic_one(rt_en):
    session = Session(rt_en)
    out = session.type(EXAMPLE_EN)

    assert facts(out) == {
        "Account": "Alpha Industries",
        "Action": "call",
        "Date": "Nov 22, 2026",
        "Result": "no need",
        "Follow-up": "Tuesday, Feb 23, 2027",
    }
    out = session.type(session.number_of("Confirm", out))

    assert "✔ Logged: call — Alpha Industries." in out
    assert "Planned: follow-up at Alpha Industries, Tuesday, Feb 23, 2027" in out
    stored = rows(rt_en)
    assert stored["action"] == [("call", "Alpha Industries", YESTERDAY, "no_need", None, None)]
    assert stored["plan"] == [("follow_up", "Alpha Industries", paris(2027, 2, 23, 9, 0), False, "manual")]
    assert stored["deal"] == [] and stored["contact"] == []


def test_a_proposal_and_the_relance_asked_make_one_relance_not_two(rt):
    session = Session(rt)
    out = session.type("visite Gamma SA, ils veulent un devis, relancer dans 2 semaines")
    assert facts(out)["Relance"] == "lundi 7 déc."
    session.type(session.number_of("Confirmer", out))

    assert rows(rt)["plan"] == [("follow_up", "Gamma SA", paris(2026, 12, 7, 9, 0), False, "manual")]


def test_cancel_stores_nothing(rt):
    session = Session(rt)
    out = session.type(EXAMPLE_FR)
    out = session.type(session.number_of("Annuler", out))

    assert "Message annulé : rien n'a été enregistré." in out
    assert rows(rt) == NOTHING
    assert count(rt, PendingCommand) == 0


def test_an_expired_proposal_stores_nothing(rt, console_clock):
    session = Session(rt)
    out = session.type(EXAMPLE_FR)
    console_clock.advance(timedelta(hours=2))

    out = session.type(session.number_of("Confirmer", out))

    assert "Ce choix a expiré — retapez la commande." in out
    assert rows(rt) == NOTHING


def test_confirm_stores_every_row_or_none(rt, console_clock):
    session = Session(rt)
    out = session.type("appelé Gamma SA, relancer dans 30 minutes")
    assert facts(out)["Relance"] == "lundi 23 nov. à 10:30"
    console_clock.advance(timedelta(minutes=45))  # the relance is now in the past

    out = session.type(session.number_of("Confirmer", out))

    assert "Rien n'a été enregistré." in out
    assert rows(rt) == NOTHING  # the call was rolled back with the refused relance


def test_edit_opens_the_log_form_prefilled_with_what_was_read(rt):
    session = Session(rt)
    out = session.type("vu Gamma SA hier avec Paul (acheteur), proposition -- budget en mars")
    # Every prompt shows the value read; Enter keeps it.
    out = session.type(session.number_of("Modifier", out), "", "", "", "", "", "", "")

    assert "Noter une action — Entrée pour passer un champ facultatif." in out
    for prompt in ("Type d'action [visite]:", "Société [Gamma SA]:", "Résultat (facultatif) [proposition]:",
                   "Interlocuteur (facultatif) [Paul]:", "Fonction de l'interlocuteur (facultatif) [acheteur]:", "Date [2026-11-22]:", "Note (facultatif) [budget en mars]:"):
        assert prompt in out, prompt
    assert "✔ Noté : visite — Gamma SA." in out
    stored = rows(rt)
    assert stored["action"] == [("visit", "Gamma SA", YESTERDAY, "proposal", "buyer", "budget en mars")]
    assert stored["contact"] == [("Paul", "buyer")]


def test_an_unknown_account_is_asked_then_proposed(rt):
    session = Session(rt)
    out = session.type("vu Gama Industries hier")

    assert "Voici ce que j'ai compris de votre message :" in out
    assert "Pas de société « Gama Industries ». Vouliez-vous dire l'une de celles-ci ?" in out
    assert facts(out) == {"Action": "visite", "Date": "22 nov. 2026"}
    out = session.type(session.number_of("Gamma Industries", out))
    assert facts(out)["Société"] == "Gamma Industries"
    assert rows(rt) == NOTHING

    session.type(session.number_of("Confirmer", out))
    assert rows(rt)["action"] == [("visit", "Gamma Industries", YESTERDAY, None, None, None)]


def test_a_new_account_is_created_only_on_confirm(rt):
    session = Session(rt)
    out = session.type("vu Zorglub Conseil hier, pas de besoin")
    out = session.type(session.number_of("Nouvelle société « Zorglub Conseil »", out))

    assert facts(out)["Société"] == "Zorglub Conseil (nouvelle société, créée à la confirmation)"
    assert account_names(rt) == sorted(KNOWN)
    out = session.type(session.number_of("Confirmer", out))

    assert "Nouvelle société créée : Zorglub Conseil." in out
    assert rows(rt)["action"] == [("visit", "Zorglub Conseil", YESTERDAY, "no_need", None, None)]


def test_a_message_without_action_type_or_readable_date_offers_no_confirm(rt):
    session = Session(rt)
    out = session.type("Gamma SA hier avec M. Dupont (directeur)")
    assert facts(out)["Action"] == "à préciser"
    assert "Quel type d'action (visite, appel," in out
    assert "] Confirmer" not in out and "[1] Modifier" in out

    out = session.type("vu Gamma SA 32/13")
    assert "« 32/13 » ressemble à une date, mais je ne sais pas la lire." in out
    assert facts(out)["Date"] == "à préciser"
    assert "] Confirmer" not in out
    assert rows(rt) == NOTHING


def test_words_it_could_not_place_are_quoted_back(rt_en):
    session = Session(rt_en)
    out = session.type("met John at Alpha Industries, 5k deal closing next month")

    assert "I could not place these words: “John”." in out
    assert facts(out)["Deal"] == "€5,000, expected to close on Dec 23, 2026"
    out = session.type("visited Gamma SA with Jane, they liked the new range, lost the old contract")
    assert "I could not place these 2 passages: “liked the new range”, “old contract”." in out


def test_plain_words_that_say_nothing_get_the_help(rt):
    out = Session(rt).type("merci !")
    assert "Je n'ai rien trouvé à noter dans ce message." in out
    assert "Carnet — votre carnet commercial dans Slack" in out
    assert rows(rt) == NOTHING
    assert count(rt, PendingCommand) == 0
