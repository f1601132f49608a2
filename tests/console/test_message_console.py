"""Writing to Carnet as to a colleague, through the terminal door: a line that does not start with
``/`` is read, proposed as rows, and stored only on Confirm. Monday 23 November 2026, 10:00 in Paris."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from storage.models import Account, Action, Contact, Opportunity, PendingCommand, Plan
from tests.console.conftest import Terminal
from tests.console.test_console_journeys import KNOWN, TODAY, YESTERDAY, account_names, actions, rt, rt_en  # noqa: F401
from tests.support.fixtures import console_runtime, count_rows
from tests.support.messages import console_line, says, word

EXAMPLE_FR = "vu Gamma Industries ce matin avec Mme Z (ingénieur), ils veulent une proposition à 12k pour fin janvier"
EXAMPLE_EN = "called Alpha Industries yesterday, no need for now, follow up in 3 months"


def facts(out: str) -> dict[str, str]:
    """The "  Label : value" lines of a reply."""
    return {m[1].strip(): m[2] for m in re.finditer(r"^  (\S[^:\[\n]*?) +: (.*)$", out, re.M)}


def count(rt, model) -> int:
    return count_rows(rt.session_factory, model)


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
    terminal = Terminal(rt)
    out = terminal.type(EXAMPLE_FR)

    assert console_line("message.proposal") in out
    assert facts(out) == {
        word("fact.account"): "Gamma Industries",
        word("fact.action"): word("action_type.visit"),
        word("fact.date"): "23 nov. 2026",  # "ce matin" was said: not "today, no date in the message"
        word("fact.result"): word("result.proposal"),
        word("fact.contact"): f"Mme Z ({word('function.engineer')})",
        word("message.fact.deal"): console_line("message.deal_value", amount="12 000 €", close="31 janv. 2027"),
        word("message.fact.relance"): console_line("message.automatic_relance", when="lundi 30 nov."),
    }
    assert not says(out, "message.unplaced", console=True)  # every word placed, or a small one
    assert rows(rt) == NOTHING  # nothing before Confirm
    assert count(rt, PendingCommand) == 1

    out = terminal.type(terminal.number_of(word("message.choice.confirm"), out))

    assert console_line("log.saved", action_type=word("action_type.visit"), account="Gamma Industries") in out
    assert console_line("message.saved_deal", deal="12 000 €, conclusion prévue le 31 janv. 2027") in out
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
    with console_runtime(database_url) as runtime:
        with runtime.session_factory() as session, session.begin():
            workspace = get_or_create_workspace(session, "T1", now=runtime.clock.now())
            for name in KNOWN:
                create_account(session, workspace.id, name, owner_id=None, now=runtime.clock.now())
        yield runtime


def test_on_both_databases_the_account_is_found_among_the_words(rt_any):
    terminal = Terminal(rt_any)
    out = terminal.type("vu le directeur de Delta Logistique lundi dernier, pas intéressé, à relancer dans 2 mois")
    assert facts(out) == {
        word("fact.account"): "Delta Logistique",
        word("fact.action"): word("action_type.visit"),
        word("fact.date"): "16 nov. 2026",
        word("fact.result"): word("result.no_need"),
        word("fact.contact"): word("function.director"),
        word("message.fact.relance"): "samedi 23 janv. 2027",
    }
    terminal.type(terminal.number_of(word("message.choice.confirm"), out))
    stored = rows(rt_any)
    assert stored["action"] == [("visit", "Delta Logistique", date(2026, 11, 16), "no_need", "director", None)]
    assert stored["plan"] == [("follow_up", "Delta Logistique", paris(2027, 1, 23, 9, 0), False, "manual")]
    assert count(rt_any, PendingCommand) == 0


def test_the_english_example_plans_the_follow_up_asked_and_no_automatic_one(rt_en):
    terminal = Terminal(rt_en)
    out = terminal.type(EXAMPLE_EN)

    assert facts(out) == {
        word("fact.account", "en"): "Alpha Industries",
        word("fact.action", "en"): word("action_type.call", "en"),
        word("fact.date", "en"): "Nov 22, 2026",
        word("fact.result", "en"): word("result.no_need", "en"),
        word("message.fact.relance", "en"): "Tuesday, Feb 23, 2027",
    }
    out = terminal.type(terminal.number_of(word("message.choice.confirm", "en"), out))

    assert console_line("log.saved", "en", action_type=word("action_type.call", "en"), account="Alpha Industries") in out
    assert says(out, "plan.created", "en", console=True, account="Alpha Industries", when="Tuesday, Feb 23, 2027")
    stored = rows(rt_en)
    assert stored["action"] == [("call", "Alpha Industries", YESTERDAY, "no_need", None, None)]
    assert stored["plan"] == [("follow_up", "Alpha Industries", paris(2027, 2, 23, 9, 0), False, "manual")]
    assert stored["deal"] == [] and stored["contact"] == []


def test_a_proposal_and_the_relance_asked_make_one_relance_not_two(rt):
    terminal = Terminal(rt)
    out = terminal.type("visite Gamma SA, ils veulent un devis, relancer dans 2 semaines")
    assert facts(out)[word("message.fact.relance")] == "lundi 7 déc."
    terminal.type(terminal.number_of(word("message.choice.confirm"), out))

    assert rows(rt)["plan"] == [("follow_up", "Gamma SA", paris(2026, 12, 7, 9, 0), False, "manual")]


def test_cancel_stores_nothing(rt):
    terminal = Terminal(rt)
    out = terminal.type(EXAMPLE_FR)
    out = terminal.type(terminal.number_of(word("choice.cancel"), out))

    assert console_line("message.cancelled") in out
    assert rows(rt) == NOTHING
    assert count(rt, PendingCommand) == 0


def test_an_expired_proposal_stores_nothing(rt, clock):
    terminal = Terminal(rt)
    out = terminal.type(EXAMPLE_FR)
    clock.advance(timedelta(hours=2))

    out = terminal.type(terminal.number_of(word("message.choice.confirm"), out))

    assert console_line("choice.expired") in out
    assert rows(rt) == NOTHING


def test_confirm_stores_every_row_or_none(rt, clock):
    terminal = Terminal(rt)
    out = terminal.type("appelé Gamma SA, relancer dans 30 minutes")
    assert facts(out)[word("message.fact.relance")] == "lundi 23 nov. à 10:30"
    clock.advance(timedelta(minutes=45))  # the relance is now in the past

    out = terminal.type(terminal.number_of(word("message.choice.confirm"), out))

    assert console_line("error.nothing_stored") in out
    assert rows(rt) == NOTHING  # the call was rolled back with the refused relance


def test_edit_opens_the_log_form_prefilled_with_what_was_read(rt):
    terminal = Terminal(rt)
    out = terminal.type("vu Gamma SA hier avec Paul (acheteur), proposition -- budget en mars")
    # Every prompt shows the value read; Enter keeps it.
    out = terminal.type(terminal.number_of(word("message.choice.edit"), out), "", "", "", "", "", "", "")

    assert console_line("console.form_intro", title=word("form.log.title")) in out
    optional = " (facultatif)"
    for label, shown in (("form.field.action_type", "visite"), ("form.field.account", "Gamma SA"),
                         ("form.field.result", "proposition"), ("form.field.contact", "Paul"),
                         ("form.field.contact_function", "acheteur"), ("form.field.date", "2026-11-22"),
                         ("form.field.note", "budget en mars")):
        required = label in ("form.field.action_type", "form.field.account", "form.field.date")
        prompt = f"{word(label)}{'' if required else optional} [{shown}]:"
        assert prompt in out, prompt
    assert console_line("log.saved", action_type=word("action_type.visit"), account="Gamma SA") in out
    stored = rows(rt)
    assert stored["action"] == [("visit", "Gamma SA", YESTERDAY, "proposal", "buyer", "budget en mars")]
    assert stored["contact"] == [("Paul", "buyer")]


def test_an_unknown_account_is_asked_then_proposed(rt):
    terminal = Terminal(rt)
    out = terminal.type("vu Gama Industries hier")

    assert console_line("message.read") in out
    assert console_line("ask.account", typed="Gama Industries") in out
    assert facts(out) == {word("fact.action"): word("action_type.visit"), word("fact.date"): "22 nov. 2026"}
    out = terminal.type(terminal.number_of("Gamma Industries", out))
    assert facts(out)[word("fact.account")] == "Gamma Industries"
    assert rows(rt) == NOTHING

    terminal.type(terminal.number_of(word("message.choice.confirm"), out))
    assert rows(rt)["action"] == [("visit", "Gamma Industries", YESTERDAY, None, None, None)]


def test_a_new_account_is_created_only_on_confirm(rt):
    terminal = Terminal(rt)
    out = terminal.type("vu Zorglub Conseil hier, pas de besoin")
    assert console_line("message.ask_new_account", typed="Zorglub Conseil") in out
    out = terminal.type(terminal.number_of(console_line("message.choice.new_account", name="Zorglub Conseil"), out))

    assert facts(out)[word("fact.account")] == console_line("message.new_account_mark", account="Zorglub Conseil")
    assert account_names(rt) == sorted(KNOWN)
    out = terminal.type(terminal.number_of(word("message.choice.confirm"), out))

    assert console_line("log.saved_new_account", account="Zorglub Conseil") in out
    assert rows(rt)["action"] == [("visit", "Zorglub Conseil", YESTERDAY, "no_need", None, None)]


def test_a_message_without_action_type_or_readable_date_offers_no_confirm(rt):
    terminal = Terminal(rt)
    out = terminal.type("Gamma SA hier avec M. Dupont (directeur)")
    assert facts(out)[word("fact.action")] == word("message.unknown")
    assert says(out, "message.missing.type", console=True)
    assert terminal.choices(out) == [word("message.choice.edit"), word("choice.cancel")]

    out = terminal.type("vu Gamma SA 32/13")
    assert console_line("message.issue.bad_date", words="32/13") in out
    assert facts(out)[word("fact.date")] == word("message.unknown")
    assert says(out, "message.missing.date", console=True)
    assert word("message.choice.confirm") not in terminal.choices(out)
    assert rows(rt) == NOTHING


def test_words_it_could_not_place_are_quoted_back(rt_en):
    terminal = Terminal(rt_en)
    out = terminal.type("met John at Alpha Industries, 5k deal closing next month")

    assert console_line("message.unplaced", "en", count=1, words="“John”") in out
    assert facts(out)[word("message.fact.deal", "en")] == console_line(
        "message.deal_value", "en", amount="€5,000", close="Dec 23, 2026")
    out = terminal.type("visited Gamma SA with Jane, they liked the new range, lost the old contract")
    assert console_line("message.unplaced", "en", count=2, words="“liked the new range”, “old contract”") in out


def test_plain_words_that_say_nothing_get_the_help(rt):
    out = Terminal(rt).type("merci !")
    assert console_line("message.not_understood") in out
    assert console_line("help.title") in out
    assert rows(rt) == NOTHING
    assert count(rt, PendingCommand) == 0


def test_a_message_without_a_day_says_it_is_dated_today_by_default(rt):
    terminal = Terminal(rt)
    out = terminal.type("vu Gamma Industries avec Mme Z (ingénieur)")
    assert facts(out)[word("fact.date")] == console_line("message.today", day="23 nov. 2026")
    assert rows(rt) == NOTHING
