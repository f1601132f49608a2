"""Held-out date phrases, round 3: written after round 2's fixes, kept as first written.

Issue 13 §2 asks for generalisation, not for the corpus of ``test_when_corpus.py``: these
phrases were written the way reps write in chat and CRMs, with their expected reading under
the conventions of ``bot/grammar/when.py``, then run once (the first-run figures are in the
branch's report) and only then was the reader changed with general rules. Expectations
corrected afterwards because they were themselves wrong are marked ``# corrected:``.

"now" is Wednesday 2026-12-02 10:00 unless a block says otherwise; kinds as in
``test_when_corpus.py`` (past, span, day, when). ``None`` expected means "must refuse".
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.grammar.test_when_corpus import Case, _cases, read, score

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
BEFORE_DST = datetime(2027, 3, 26, 16, 0)  # Friday; Paris clocks go forward on Sunday 28 March
LATE_SATURDAY_PARIS = datetime(2027, 3, 27, 23, 30, tzinfo=PARIS)
NY_SATURDAY = datetime(2027, 3, 13, 20, 0, tzinfo=NEW_YORK)  # New York goes forward on 14 March

FRENCH: list[Case] = [
    *_cases("fr", "heldout-3 plan", [
        ("le mardi 15/12 à 10h30", "when", "2026-12-15T10:30"),
        ("mar 15/12 10h30", "when", "2026-12-15T10:30"),
        ("mar. 15 déc.", "when", "2026-12-15T09:00"),
        ("15 déc. à 10h30", "when", "2026-12-15T10:30"),
        ("le 15 décembre prochain", "when", "2026-12-15T09:00"),
        ("le 5 janvier prochain", "when", "2027-01-05T09:00"),
        ("jeudi 17 à 16h30", "when", "2026-12-17T16:30"),
        ("jeudi 17 décembre 16h30", "when", "2026-12-17T16:30"),
        ("jeudi 17.12 16h30", "when", "2026-12-17T16:30"),
        ("17/12 16:30", "when", "2026-12-17T16:30"),
        ("17/12 à 16 h 30", "when", "2026-12-17T16:30"),
        ("16h30 jeudi 17", "when", "2026-12-17T16:30"),
        ("le 17 vers 16h", "when", "2026-12-17T16:00"),
        ("vers 16h le 17", "when", "2026-12-17T16:00"),
        ("dans la matinée de demain", "when", "2026-12-03T09:00"),
        ("demain dans l'après-midi", "when", "2026-12-03T14:00"),
        ("demain en soirée", "when", "2026-12-03T18:00"),
        ("demain soir 19h", "when", "2026-12-03T19:00"),
        ("ce soir vers 19h30", "when", "2026-12-02T19:30"),
        ("à 19h ce soir", "when", "2026-12-02T19:00"),
        ("cet après-midi 15h", "when", "2026-12-02T15:00"),
        ("cet après-midi vers 16h", "when", "2026-12-02T16:00"),
        ("cette après-midi", "when", "2026-12-02T14:00"),
        ("aprèm", "when", "2026-12-02T14:00"),
        ("en fin de journée", "when", "2026-12-02T17:00"),
        ("demain fin de journée", "when", "2026-12-03T17:00"),
        ("lundi prochain en début d'après-midi", "when", "2026-12-07T14:00"),
        ("le lundi 7 décembre au matin", "when", "2026-12-07T09:00"),
        ("la semaine du 21 décembre", "when", "2026-12-21T09:00"),
        ("semaine 51", "when", "2026-12-14T09:00"),
        ("le 24/12 au matin", "when", "2026-12-24T09:00"),
        ("le 2 janvier 2027 à 9h", "when", "2027-01-02T09:00"),
        ("02/01/2027", "when", "2027-01-02T09:00"),
        ("2/1", "when", "2027-01-02T09:00"),
        ("Vendredi 14H30", "when", "2026-12-04T14:30"),
        ("vendredi 14h30 ou 15h", "when", None),
        ("jeudi ou vendredi", "when", None),
        ("midi et demi", "when", "2026-12-02T12:30"),
        ("demain 12h30", "when", "2026-12-03T12:30"),
        ("mercredi 23 à 8h", "when", "2026-12-23T08:00"),
        ("mer 23 à 8h", "when", "2026-12-23T08:00"),
        ("le mercredi 6 janvier", "when", "2027-01-06T09:00"),
        ("jeudi en huit", "when", "2026-12-10T09:00"),
        ("aujourd'hui en huit", "when", "2026-12-09T09:00"),
        ("demain en huit", "when", "2026-12-10T09:00"),
    ]),
    *_cases("fr", "heldout-3 deadline", [
        ("dans 10 jours", "day", "2026-12-12"),
        ("dans 3 mois", "day", "2027-03-02"),
        ("dans 6 semaines", "day", "2027-01-13"),
        ("sous huitaine", "day", "2026-12-09"),
        ("sous 8 jours", "day", "2026-12-10"),
        ("d'ici lundi", "day", "2026-12-07"),
        ("d'ici mi-janvier", "day", "2027-01-15"),
        ("au plus tard le 18", "day", "2026-12-18"),
        ("début février", "day", "2027-02-01"),
        ("fin février", "day", "2027-02-28"),
        ("fin mars 2027", "day", "2027-03-31"),
        ("mi-déc", "day", "2026-12-15"),
        ("dans quinze jours", "day", "2026-12-16"),
    ]),
    *_cases("fr", "heldout-3 past", [
        ("le 20 novembre dernier", "past", "2026-11-20"),
        ("hier en fin de journée", "past", "2026-12-01"),
        ("hier midi", "past", "2026-12-01"),
        ("avant-hier matin", "past", "2026-11-30"),
        ("lundi après-midi", "past", "2026-11-30"),
        ("ce matin à 9h", "past", "2026-12-02"),
        ("vendredi 27 novembre", "past", "2026-11-27"),
        ("le vendredi 27", "past", "2026-11-27"),
        ("ven. 27/11", "past", "2026-11-27"),
        ("27-11-2026", "past", "2026-11-27"),
        ("2026-11-27", "past", "2026-11-27"),
        ("il y a 3 semaines", "past", "2026-11-11"),
        ("il y a une quinzaine", "past", "2026-11-18"),
        ("il y a huit jours", "past", "2026-11-25"),
        ("la semaine dernière mardi", "past", "2026-11-24"),
        ("mardi dernier au matin", "past", "2026-12-01"),
        ("dimanche dernier", "past", "2026-11-29"),
        ("samedi 28", "past", "2026-11-28"),
        ("le 1er décembre", "past", "2026-12-01"),
        ("1/12", "past", "2026-12-01"),
        ("01/12/2026", "past", "2026-12-01"),
        ("le mois dernier", "past", None),
        ("il y a deux jours", "past", "2026-11-30"),
        ("hier aprem", "past", "2026-12-01"),
        ("il y a 2 heures", "past", "2026-12-02"),
        ("fin novembre", "span", ("2026-11-21", "2026-11-30")),
        ("la semaine d'avant", "span", ("2026-11-23", "2026-11-29")),
        ("ce week-end", "span", ("2026-11-28", "2026-11-29")),
    ]),
    *_cases("fr", "heldout-3 names", [
        ("Hôtel Le Dimanche", "when", None),
        ("Bistrot 14", "when", None),
        ("Le Mercredi Café", "past", None),
        ("Pâtisserie Noël", "past", None),
        ("SCI du 15 Août", "past", None),
        ("Cabinet Avril", "past", None),
        ("Vins & Co 1er Cru", "past", None),
    ]),
    *_cases("fr", "heldout-3 DST", [
        ("dimanche matin", "when", "2027-03-28T09:00"),
        ("ce week-end", "when", "2027-03-27T09:00"),
        ("lundi prochain 8h", "when", "2027-03-29T08:00"),
        ("dans 2 jours", "day", "2027-03-28"),
    ], now=BEFORE_DST),
]  # fmt: skip

ENGLISH: list[Case] = [
    *_cases("en", "heldout-3 plan", [
        ("Tuesday Dec 15 at 10:30am", "when", "2026-12-15T10:30"),
        ("Tue 15th Dec 10.30", "when", "2026-12-15T10:30"),
        ("Dec 15 10:30", "when", "2026-12-15T10:30"),
        ("12/15 @ 10:30am", "when", "2026-12-15T10:30"),
        ("15th December, 10:30", "when", "2026-12-15T10:30"),
        ("on Tuesday the 15th", "when", "2026-12-15T09:00"),
        ("Tuesday 15th", "when", "2026-12-15T09:00"),
        ("the 15th", "when", "2026-12-15T09:00"),
        ("next Tuesday at 10:30", "when", "2026-12-08T10:30"),
        ("Tuesday after next", "when", "2026-12-15T09:00"),
        ("a week on Tuesday", "when", "2026-12-15T09:00"),
        ("tomorrow afternoon at 3", "when", "2026-12-03T15:00"),
        ("tomorrow at 3 in the afternoon", "when", "2026-12-03T15:00"),
        ("3 in the afternoon tomorrow", "when", "2026-12-03T15:00"),
        ("tomorrow late afternoon", "when", "2026-12-03T17:00"),
        ("this Thursday at 4", "when", "2026-12-03T16:00"),
        ("Thursday 4:15", "when", "2026-12-03T16:15"),
        ("Thurs. 4:15pm", "when", "2026-12-03T16:15"),
        ("at 9 tomorrow", "when", "2026-12-03T09:00"),
        ("9 tomorrow morning", "when", "2026-12-03T09:00"),
        ("9am sharp tomorrow", "when", "2026-12-03T09:00"),
        ("10am Monday", "when", "2026-12-07T10:00"),
        ("first thing Monday", "when", "2026-12-07T09:00"),
        ("Monday at lunch", "when", "2026-12-07T12:00"),
        ("over lunch tomorrow", "when", "2026-12-03T12:00"),
        ("the week of the 14th", "when", "2026-12-14T09:00"),
        ("week of Dec 21", "when", "2026-12-21T09:00"),
        ("Jan 4th, 2027 at 9am", "when", "2027-01-04T09:00"),
        ("1/4/2027 9am", "when", "2027-01-04T09:00"),
        ("2027-01-04 09:00", "when", "2027-01-04T09:00"),
        ("4 Jan 2027", "when", "2027-01-04T09:00"),
        ("January 4", "when", "2027-01-04T09:00"),
        ("Monday, January 4th", "when", "2027-01-04T09:00"),
        ("tonight at 7:30", "when", "2026-12-02T19:30"),
        ("this evening around 6", "when", "2026-12-02T18:00"),
        ("in an hour", "when", "2026-12-02T11:00"),
        ("in 1 hr", "when", "2026-12-02T11:00"),
        ("in 20 mins", "when", "2026-12-02T10:20"),
        ("in 2 hrs", "when", "2026-12-02T12:00"),
        ("noon-ish", "when", "2026-12-02T12:00"),
        ("1pm", "when", "2026-12-02T13:00"),
        ("1 pm", "when", "2026-12-02T13:00"),
        ("1:00 PM", "when", "2026-12-02T13:00"),
        ("13:00", "when", "2026-12-02T13:00"),
        ("at 1", "when", "2026-12-02T13:00"),
    ]),
    *_cases("en", "heldout-3 deadline", [
        ("in 3 days", "day", "2026-12-05"),
        ("in 6 weeks", "day", "2027-01-13"),
        ("in 3 months", "day", "2027-03-02"),
        ("3 months from now", "day", "2027-03-02"),
        ("a month from today", "day", "2027-01-02"),
        ("by next Friday", "day", "2026-12-04"),
        ("by Monday", "day", "2026-12-07"),
        ("by mid-January", "day", "2027-01-15"),
        ("by the end of January", "day", "2027-01-31"),
        ("end of Jan", "day", "2027-01-31"),
        ("early Feb", "day", "2027-02-01"),
        ("mid Dec", "day", "2026-12-15"),
        ("New Year's Eve", "day", "2026-12-31"),
        ("Christmas", "day", "2026-12-25"),
    ]),
    *_cases("en", "heldout-3 past", [
        ("yesterday evening", "past", "2026-12-01"),
        ("yesterday @ 2pm", "past", "2026-12-01"),
        ("last Monday afternoon", "past", "2026-11-30"),
        ("this past Friday", "past", "2026-11-27"),
        ("Fri 27th", "past", "2026-11-27"),
        ("Friday, November 27", "past", "2026-11-27"),
        ("Nov 20th", "past", "2026-11-20"),
        ("11/20", "past", "2026-11-20"),
        ("11/20/26", "past", "2026-11-20"),
        ("20/11/2026", "past", "2026-11-20"),
        ("4 days ago", "past", "2026-11-28"),
        ("10 days ago", "past", "2026-11-22"),
        ("six weeks ago", "past", "2026-10-21"),
        ("last Tuesday", "past", "2026-12-01"),
        ("on Tuesday", "past", "2026-12-01"),
        ("Tuesday", "past", "2026-12-01"),
        ("Sunday night", "past", "2026-11-29"),
        ("Saturday morning", "past", "2026-11-28"),
        ("last week Thursday", "past", "2026-11-26"),
        ("Thursday last week", "past", "2026-11-26"),
        ("this morning at 9", "past", "2026-12-02"),
        ("just now", "past", "2026-12-02"),
        ("an hour ago", "past", "2026-12-02"),
        ("2 hours ago", "past", "2026-12-02"),
        ("over the weekend", "span", ("2026-11-28", "2026-11-29")),
        ("earlier this month", "span", ("2026-12-01", "2026-12-02")),
        ("the beginning of November", "span", ("2026-11-01", "2026-11-10")),
        ("late November", "span", ("2026-11-21", "2026-11-30")),
    ]),
    *_cases("en", "heldout-3 names", [
        ("Monday.com", "when", None),
        ("Friday Partners", "when", None),
        ("Jan Novak", "past", None),
        ("Sunday Motors", "when", None),
        ("Noon Inc", "when", None),
        ("Midnight Oil Co", "when", None),
        ("March & Sons", "past", None),
    ]),
    *_cases("en", "heldout-3 New York", [
        ("Sunday 10am", "when", "2027-03-14T10:00"),
        ("in 2 days", "day", "2027-03-15"),
        ("tonight at 11", "when", "2027-03-13T23:00"),
    ], now=NY_SATURDAY),
]  # fmt: skip

HELDOUT = FRENCH + ENGLISH


@pytest.mark.parametrize("case", HELDOUT, ids=[f"{c.language}-{c.kind}-{c.phrase}" for c in HELDOUT])
def test_never_a_wrong_day(case: Case) -> None:
    found = read(case)
    assert found is None or found == case.expected


def test_share_read_right() -> None:
    tally = score(HELDOUT)
    for language, goal in (("fr", 0.90), ("en", 0.85)):
        counts = tally[language]
        assert counts["right"] / sum(counts.values()) >= goal, (language, dict(counts))
