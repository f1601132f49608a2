"""The free-text reader: messages written as to a colleague, in French and English, in any order.

Each row gives a message and what must be read from it; parts not named in a row must be absent.
"Today" is Monday 23 November 2026, 10:00 in the member's zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar.freetext import MAX_TEXT_LENGTH, read_message
from bot.grammar.when import parse_day_any

NOW = datetime(2026, 11, 23, 10, 0)
TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)

# (message, expected): action = (type, day, result, contact, function); deal = (amount, currency,
# close day); plan = (type, due); hint = the likeliest account words; unplaced = quoted back.
CASES: list[tuple[str, dict[str, Any]]] = [
    # the two examples of the issue
    (
        "vu Gamma ce matin avec Mme Z (ingénieur), ils veulent une proposition à 12k pour fin janvier",
        dict(action=("visit", TODAY, "proposal", "Mme Z", "engineer"), deal=("12000", None, date(2027, 1, 31)),
             hint="Gamma", unplaced=[], date_phrase="ce matin"),
    ),
    (
        "called Alpha Industries yesterday, no need for now, follow up in 3 months",
        dict(action=("call", YESTERDAY, "no_need", None, None), plan=("follow_up", datetime(2027, 2, 23, 9, 0)),
             hint="Alpha Industries", unplaced=[]),
    ),
    # French
    ("appelé Beta hier, pas intéressé", dict(action=("call", YESTERDAY, "no_need", None, None), hint="Beta")),
    (
        "passé chez Delta Logistique hier, rdv pris pour mardi prochain avec M. Martin",
        dict(action=("visit", YESTERDAY, "meeting_booked", "M. Martin", None),
             plan=("meeting", datetime(2026, 11, 24, 9, 0)), hint="Delta Logistique", unplaced=[]),
    ),
    ("relancer Gamma dans 2 semaines", dict(plan=("follow_up", datetime(2026, 12, 7, 9, 0)), hint="Gamma")),
    ("visite Omega demain 10h", dict(plan=("visit", datetime(2026, 11, 24, 10, 0)), hint="Omega", has_time=True)),
    ("relance Gamma hier", dict(action=("follow_up", YESTERDAY, None, None, None), hint="Gamma")),
    (
        "demo chez Gamma SA le 20/11 avec Paul (technicien) -- très intéressés",
        dict(action=("demo", date(2026, 11, 20), None, "Paul", "technician"), hint="Gamma SA", note="très intéressés"),
    ),
    (
        "rdv Gamma Industries lundi dernier, devis envoyé 25 000 € HT closing fin décembre",
        dict(action=("meeting", date(2026, 11, 16), "proposal", None, None), deal=("25000", "EUR", date(2026, 12, 31)),
             hint="Gamma Industries", unplaced=["envoyé"]),
    ),
    (
        "visio avec l'acheteuse de Beta, à rappeler dans 10 jours",
        dict(action=("video", TODAY, None, None, "buyer"), plan=("follow_up", datetime(2026, 12, 3, 9, 0)), hint="Beta"),
    ),
    (
        "négocié avec Gamma Industries hier, ils veulent revoir l'offre",
        dict(action=("negotiation", YESTERDAY, "revise_proposal", "Gamma Industries", None)),
    ),
    ("appelé Gamma il y a 3 jours", dict(action=("call", date(2026, 11, 20), None, None, None), hint="Gamma")),
    ("appelé Gamma hier à 15h", dict(action=("call", YESTERDAY, None, None, None), date_phrase="hier à 15h")),
    (
        "visite Gamma, proposition 15000 pour fin mars",
        dict(action=("visit", TODAY, "proposal", None, None), deal=("15000", None, date(2027, 3, 31)), hint="Gamma"),
    ),
    ("vu Gamma le 3/11/2026", dict(action=("visit", date(2026, 11, 3), None, None, None), hint="Gamma")),
    ("relance \"Café de la Gare\" demain matin", dict(plan=("follow_up", datetime(2026, 11, 24, 9, 0)), hint="Café de la Gare")),
    ("visite \"Lundi Matin\" hier", dict(action=("visit", YESTERDAY, None, None, None), hint="Lundi Matin")),  # quotes: a name
    (
        "Gamma proposition 12k fin janvier",
        dict(deal=("12000", None, date(2027, 1, 31)), unplaced=["Gamma proposition"]),
    ),
    # English
    (
        "met with the buyer Jane Doe at Acme Corp on Friday, they want a quote for $8k by end of December",
        dict(action=("visit", date(2026, 11, 20), "proposal", "Jane Doe", "buyer"), deal=("8000", "USD", date(2026, 12, 31)),
             hint="Acme Corp", unplaced=[]),
    ),
    ("emailed Zeta Corp the brochure", dict(action=("email", TODAY, "send_documentation", None, None), hint="Zeta Corp")),
    (
        "Had a call with Omega Corp today; lost, went with a competitor",
        dict(action=("call", TODAY, "lost", "Omega Corp", None)),
    ),
    (
        "met John at Initech, 5k deal closing next month",
        dict(action=("visit", TODAY, None, None, None), deal=("5000", None, date(2026, 12, 23)), hint="Initech", unplaced=["John"]),
    ),
    (
        "Spoke to Mrs Brown (CEO) at Globex yesterday — send the brochure",
        dict(action=("call", YESTERDAY, "send_documentation", "Mrs Brown", "director"), hint="Globex"),
    ),
    ("visited Hooli, about $8k for Q1", dict(action=("visit", TODAY, None, None, None), deal=("8000", "USD", None), hint="Hooli",
                                                   unplaced=["Q1"])),
    ("met Initech last friday", dict(action=("visit", date(2026, 11, 20), None, None, None), hint="Initech")),
    ("Call Alpha Industries: no need", dict(action=("call", TODAY, "no_need", None, None), hint="Alpha Industries")),
    ("called Globex on Mon, November 16", dict(action=("call", date(2026, 11, 16), None, None, None), hint="Globex")),
    ("visited Initech, follow up on Tue, December 1 at 3:30",
     dict(action=("visit", TODAY, None, None, None), plan=("follow_up", datetime(2026, 12, 1, 15, 30)), has_time=True, hint="Initech")),
    ("visite Gamma, budget de dix mille euros pour fin mars",
     dict(action=("visit", TODAY, None, None, None), deal=("10000", "EUR", date(2027, 3, 31)), hint="Gamma", unplaced=[])),
    ("called Initech, twelve thousand dollars by end of March",
     dict(action=("call", TODAY, None, None, None), deal=("12000", "USD", date(2027, 3, 31)), hint="Initech")),
    ("called Alpha 3 times", dict(action=("call", TODAY, None, None, None), unplaced=["Alpha 3 times"])),
    ("phoned Globex, chase them next week", dict(action=("call", TODAY, None, None, None), plan=("follow_up", datetime(2026, 11, 30, 9, 0)), hint="Globex")),
    # what is refused is said, never read as something else
    ("vu Gamma 32/13", dict(action=("visit", TODAY, None, None, None), issues=[("bad_date", "32/13")], hint="Gamma")),
    ("vu Gamma, -12k", dict(action=("visit", TODAY, None, None, None), issues=[("bad_amount", "-12k")], hint="Gamma")),
    ("vu Gamma hier, ils signent demain", dict(action=("visit", YESTERDAY, None, None, None), issues=[("future_date", "demain")],
                                               hint="Gamma", unplaced=["signent"])),
    ("Gamma hier 12k", dict(deal=("12000", None, None), issues=[("unused_date", "hier")], unplaced=["Gamma"])),
    ("bonjour", dict(understood=False)),
    ("", dict(understood=False)),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_messages_are_read_into_rows(text, expected):
    reading = read_message(text, now_local=NOW, languages=("fr", "en"))
    assert reading.understood is expected.get("understood", True)

    if "action" in expected:
        assert reading.action is not None
        got = reading.action
        assert (got.action_type, got.occurred_on, got.result, got.contact, got.contact_function) == expected["action"]
    else:
        assert reading.action is None
    if "date_phrase" in expected:
        assert reading.action is not None and reading.action.date_phrase == expected["date_phrase"]

    if "deal" in expected:
        amount, currency, close = expected["deal"]
        assert reading.deal is not None
        assert (reading.deal.amount, reading.deal.currency, reading.deal.close_on) == (Decimal(amount), currency, close)
    else:
        assert reading.deal is None

    if "plan" in expected:
        assert reading.plan is not None
        assert (reading.plan.action_type, reading.plan.due_local) == expected["plan"]
        assert reading.plan.has_time is expected.get("has_time", False)
    else:
        assert reading.plan is None

    if "hint" in expected:
        assert reading.account_hint is not None and reading.account_hint.text == expected["hint"]
    if "unplaced" in expected:
        assert reading.unplaced(reading.account_hint if "hint" in expected else None) == expected["unplaced"]
    assert [(i.code, i.words) for i in reading.issues] == expected.get("issues", [])
    assert reading.note == expected.get("note")


def test_english_first_reads_month_day_dates():
    reading = read_message("visited Hooli 11/20", now_local=NOW, languages=("en", "fr"))
    assert reading.action is not None and reading.action.occurred_on == date(2026, 11, 20)


def test_small_words_are_not_quoted_back_but_content_words_are():
    reading = read_message("vu Gamma, ils veulent une démo du nouveau modèle", now_local=NOW)
    assert reading.account_hint is not None and reading.account_hint.text == "Gamma"
    assert reading.unplaced(reading.account_hint) == ["démo du nouveau modèle"]


def test_an_account_name_may_be_any_run_of_words_the_dialog_tries_them_longest_first():
    reading = read_message("vu Gamma Industries Sud hier", now_local=NOW)
    spans = [s.text for s in reading.candidate_spans()]
    assert spans[:3] == ["Gamma Industries Sud", "Gamma Industries", "Industries Sud"]
    assert "Gamma" in spans and "hier" not in " ".join(spans)


def test_a_message_too_long_is_refused_not_cut():
    reading = read_message("vu Gamma " + "x" * MAX_TEXT_LENGTH, now_local=NOW)
    assert reading.too_long and not reading.understood


def test_a_day_ahead_becomes_a_plan_in_the_members_zone_across_the_clock_change():
    # Saturday 28 March 2026 in Paris; clocks go forward on Sunday 29 at 02:00.
    reading = read_message("visite Gamma demain 10h", now_local=datetime(2026, 3, 28, 18, 0))
    assert reading.plan is not None and reading.plan.due_local == datetime(2026, 3, 29, 10, 0)


# --------------------------------------------------------------------------- fuzzing

WORDS = st.sampled_from(
    "vu appelé called met visite rdv Gamma Alpha Industries hier yesterday demain lundi dernier mardi 10h "
    "avec with Mme M. (acheteur) (CEO) proposition devis no need pas de besoin 12k 12 000 € $8k -3k 32/13 "
    "pour fin janvier end of March relancer follow up dans 3 mois in 2 weeks chez at , ; . -- ( ) "
    "le la the il y a 3 jours ago ce matin tonight 15/12 2026 ils veulent they want".split()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=14).map(" ".join))
def test_no_date_word_ever_reaches_an_account_name(text):
    # (Quotes are left out: a quoted word is a name by the rep's own choice, "Lundi" included.)
    reading = read_message(text, now_local=NOW)
    for span in reading.candidate_spans():
        assert parse_day_any(span.text, today=TODAY) is None, (text, span)
    if reading.account_hint is not None:
        assert parse_day_any(reading.account_hint.text, today=TODAY) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_no_input_raises(text):
    reading = read_message(text, now_local=NOW, languages=("en", "fr"))
    assert all(0 <= r.start < r.end <= len(reading.words) for r in reading.runs)
    reading.unplaced(reading.account_hint)
    reading.candidate_spans()
