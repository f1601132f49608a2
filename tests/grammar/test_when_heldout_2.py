"""Held-out date phrases, round 2: written after round 1's fixes, kept as first written.

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
    *_cases("fr", "heldout-2 plan", [
        ("jeudi prochain à 14h30", "when", "2026-12-03T14:30"),
        ("le jeudi 10 à 14h", "when", "2026-12-10T14:00"),
        ("jeudi 10/12 à 14h", "when", "2026-12-10T14:00"),
        ("jeu 10/12 14h", "when", "2026-12-10T14:00"),
        ("10/12 de 9h à 10h", "when", "2026-12-10T09:00"),
        ("demain entre 14h et 15h", "when", None),  # corrected: a window is refused (test_when_corpus pins "entre 9h et 11h")
        ("demain dans la matinée", "when", "2026-12-03T09:00"),
        ("demain en début d'aprem", "when", "2026-12-03T14:00"),
        ("mardi 8 décembre à 14 heures", "when", "2026-12-08T14:00"),
        ("le mardi 8 déc à 14h00", "when", "2026-12-08T14:00"),
        ("à 14h00 le 8", "when", "2026-12-08T14:00"),
        ("8 déc, 14h", "when", "2026-12-08T14:00"),
        ("08.12.2026", "when", "2026-12-08T09:00"),
        ("8/12/26 à 11h", "when", "2026-12-08T11:00"),
        ("le 8/12 au matin", "when", "2026-12-08T09:00"),
        ("semaine prochaine mardi", "when", "2026-12-08T09:00"),
        ("mardi de la semaine pro", "when", "2026-12-08T09:00"),
        ("lundi pro 10h", "when", "2026-12-07T10:00"),
        ("lundi 7 au matin", "when", "2026-12-07T09:00"),
        ("le 7 décembre en fin de journée", "when", "2026-12-07T17:00"),
        ("jeudi vers midi", "when", "2026-12-03T12:00"),
        ("demain 8h pile", "when", "2026-12-03T08:00"),
        ("demain à 8 h 15", "when", "2026-12-03T08:15"),
        ("après-demain en fin de matinée", "when", "2026-12-04T11:00"),
        ("mercredi 9 décembre 2026 à 10h30", "when", "2026-12-09T10:30"),
        ("mer. 9/12 10h30", "when", "2026-12-09T10:30"),
        ("lundi 14/12 à 9h", "when", "2026-12-14T09:00"),
        ("le lundi suivant", "when", "2026-12-07T09:00"),
        ("ce jeudi", "when", "2026-12-03T09:00"),
        ("ce vendredi 14h", "when", "2026-12-04T14:00"),
        ("vendredi en 15", "when", "2026-12-18T09:00"),
        ("début de semaine prochaine", "when", "2026-12-07T09:00"),
        ("en milieu de semaine prochaine", "when", "2026-12-09T09:00"),
        ("fin de semaine prochaine", "when", "2026-12-11T09:00"),
        ("courant de la semaine prochaine", "when", "2026-12-09T09:00"),
        ("le 1er janvier", "when", "2027-01-01T09:00"),
        ("le 4 janv", "when", "2027-01-04T09:00"),
        ("lundi 4 janvier", "when", "2027-01-04T09:00"),
        ("le premier lundi de février", "when", "2027-02-01T09:00"),
        ("midi pile", "when", "2026-12-02T12:00"),
        ("13 h", "when", "2026-12-02T13:00"),
        ("à 13h", "when", "2026-12-02T13:00"),
        ("15h-16h", "when", "2026-12-02T15:00"),
        ("dès 8h", "when", "2026-12-03T08:00"),
        ("demain dès 8h", "when", "2026-12-03T08:00"),
        ("lun 14 déc 9h", "when", "2026-12-14T09:00"),
        ("Mardi 15 Décembre, 16h", "when", "2026-12-15T16:00"),
    ]),
    *_cases("fr", "heldout-2 deadline", [
        ("dans 15 jours", "day", "2026-12-17"),
        ("dans huit jours", "day", "2026-12-09"),
        ("d'ici la fin de la semaine", "day", "2026-12-04"),
        ("d'ici fin décembre", "day", "2026-12-31"),
        ("avant la fin du mois", "day", "2026-12-31"),
        ("pour vendredi", "day", "2026-12-04"),
        ("pour le 15", "day", "2026-12-15"),
        ("pour demain", "day", "2026-12-03"),
        ("le dernier vendredi du mois", "day", "2026-12-25"),
        ("le 31", "day", "2026-12-31"),
        ("31/12", "day", "2026-12-31"),
        ("fin d'année", "day", "2026-12-31"),
        ("avant Noël", "day", "2026-12-24"),
        ("à Noël", "day", "2026-12-25"),
        ("4 janvier 2027", "day", "2027-01-04"),
    ]),
    *_cases("fr", "heldout-2 past", [
        ("hier soir", "past", "2026-12-01"),
        ("hier vers 16h", "past", "2026-12-01"),
        ("lundi dernier en fin de journée", "past", "2026-11-30"),
        ("la semaine passée", "past", "2026-11-25"),
        ("mardi de la semaine dernière", "past", "2026-11-24"),
        ("le 30", "past", "2026-11-30"),
        ("le 30/11", "past", "2026-11-30"),
        ("30 novembre", "past", "2026-11-30"),
        ("lundi 30 novembre", "past", "2026-11-30"),
        ("lun 30/11", "past", "2026-11-30"),
        ("il y a 2 jours", "past", "2026-11-30"),
        ("avant-hier", "past", "2026-11-30"),
        ("avant hier", "past", "2026-11-30"),
        ("ce matin vers 9h", "past", "2026-12-02"),
        ("tout à l'heure", "past", "2026-12-02"),
        ("jeudi passé", "past", "2026-11-26"),
        ("jeudi 26", "past", "2026-11-26"),
        ("le jeudi 26 novembre", "past", "2026-11-26"),
        ("26.11", "past", "2026-11-26"),
        ("26/11/26", "past", "2026-11-26"),
        ("jeudi de la semaine dernière", "past", "2026-11-26"),
        ("dimanche soir", "past", "2026-11-29"),
        ("samedi matin", "past", "2026-11-28"),
        ("il y a 1 mois", "past", "2026-11-02"),
        ("Hier !", "past", "2026-12-01"),
        ("HIER", "past", "2026-12-01"),
        ("hier, 17h", "past", "2026-12-01"),
        ("aujourd'hui 9h", "past", "2026-12-02"),
        ("le week-end dernier", "span", ("2026-11-28", "2026-11-29")),
        ("début novembre", "span", ("2026-11-01", "2026-11-10")),
        ("en novembre", "span", ("2026-11-01", "2026-11-30")),
        ("cette semaine", "span", ("2026-11-30", "2026-12-02")),
        ("mi-novembre", "span", ("2026-11-11", "2026-11-20")),
    ]),
    *_cases("fr", "heldout-2 names", [
        ("Maison Lundi", "when", None),
        ("Garage Dupont & Fils", "past", None),
        ("Boucherie du Marché", "past", None),
        ("Resto Midi Minuit", "when", None),
        ("Imprimerie 3D", "when", None),
        ("Clinique du Parc", "past", None),
        ("Les Jardins de Mai", "past", None),
        ("Auto 2000", "when", None),
        ("Agence Mars Conseil", "when", None),
    ]),
    *_cases("fr", "heldout-2 DST", [
        ("dimanche 28 mars à 2h30", "when", "2027-03-28T02:30"),
        ("lundi 29 mars 9h", "when", "2027-03-29T09:00"),
        ("le 28 à 3h", "when", "2027-03-28T03:00"),
    ], now=BEFORE_DST),
    *_cases("fr", "heldout-2 DST", [
        ("dans 6 heures", "when", "2027-03-28T06:30"),
    ], now=LATE_SATURDAY_PARIS),
]  # fmt: skip

ENGLISH: list[Case] = [
    *_cases("en", "heldout-2 plan", [
        ("next Thurs at 2", "when", "2026-12-03T14:00"),
        ("Thursday at 2", "when", "2026-12-03T14:00"),
        ("thurs 2pm", "when", "2026-12-03T14:00"),
        ("Thu, Dec 10, 2:00 PM", "when", "2026-12-10T14:00"),
        ("Thursday Dec 10th @ 2", "when", "2026-12-10T14:00"),
        ("12/10 2pm", "when", "2026-12-10T14:00"),
        ("12/10/26 2pm", "when", "2026-12-10T14:00"),
        ("Dec. 10 at 2 pm", "when", "2026-12-10T14:00"),
        ("10 December at 14:00", "when", "2026-12-10T14:00"),
        ("on the 10th", "when", "2026-12-10T09:00"),
        ("the 10th at 2:30", "when", "2026-12-10T14:30"),
        ("tomorrow at 8:30", "when", "2026-12-03T08:30"),
        ("tomorrow @ 3", "when", "2026-12-03T15:00"),
        ("tomorrow 3ish", "when", "2026-12-03T15:00"),
        ("tomorrow lunchtime", "when", "2026-12-03T12:00"),
        ("tomorrow after lunch", "when", "2026-12-03T14:00"),
        ("tomorrow first thing", "when", "2026-12-03T09:00"),
        ("end of day tomorrow", "when", "2026-12-03T17:00"),
        ("EOD Friday", "when", "2026-12-04T17:00"),
        ("this Friday", "when", "2026-12-04T09:00"),
        ("Friday week", "when", "2026-12-11T09:00"),
        ("next Friday afternoon", "when", "2026-12-04T14:00"),
        ("Monday morning", "when", "2026-12-07T09:00"),
        ("Mon morning", "when", "2026-12-07T09:00"),
        ("Tues 10am", "when", "2026-12-08T10:00"),
        ("Tue 12/8 10am", "when", "2026-12-08T10:00"),
        ("in 2 weeks", "when", "2026-12-16T09:00"),
        ("in 90 minutes", "when", "2026-12-02T11:30"),
        ("in an hour and a half", "when", "2026-12-02T11:30"),
        ("noon tomorrow", "when", "2026-12-03T12:00"),
        ("tomorrow at noon", "when", "2026-12-03T12:00"),
        ("at noon on Friday", "when", "2026-12-04T12:00"),
        ("Friday at 5:30pm", "when", "2026-12-04T17:30"),
        ("5.30pm Friday", "when", "2026-12-04T17:30"),
        ("17:30 Friday", "when", "2026-12-04T17:30"),
        ("Friday 5:30", "when", "2026-12-04T17:30"),
        ("the 1st of next month", "when", "2027-01-01T09:00"),
        ("the 20th of next month", "when", "2027-01-20T09:00"),
        ("early next week", "when", "2026-12-07T09:00"),
        ("mid next week", "when", "2026-12-09T09:00"),
        ("tonight", "when", "2026-12-02T18:00"),
        ("8pm tonight", "when", "2026-12-02T20:00"),
        ("tonight around 7", "when", "2026-12-02T19:00"),
        ("this evening at 6:30", "when", "2026-12-02T18:30"),
        ("at 11", "when", "2026-12-02T11:00"),
        ("11 a.m.", "when", "2026-12-02T11:00"),
        ("Wed the 16th at 10", "when", "2026-12-16T10:00"),
    ]),
    *_cases("en", "heldout-2 deadline", [
        ("two weeks from today", "day", "2026-12-16"),
        ("two weeks from now", "day", "2026-12-16"),
        ("in a couple of days", "day", "2026-12-04"),
        ("in a few days", "day", None),
        ("end of this week", "day", "2026-12-04"),
        ("by end of week", "day", "2026-12-04"),
        ("by the 15th", "day", "2026-12-15"),
        ("no later than Dec 15", "day", "2026-12-15"),
        ("Jan 15, 2027", "day", "2027-01-15"),
        ("15 January 2027", "day", "2027-01-15"),
        ("2027-01-15", "day", "2027-01-15"),
        ("01/15/2027", "day", "2027-01-15"),
        ("1/15", "day", "2027-01-15"),
        ("Christmas Eve", "day", "2026-12-24"),
        ("New Year's Day", "day", "2027-01-01"),
    ]),
    *_cases("en", "heldout-2 past", [
        ("yesterday at 4", "past", "2026-12-01"),
        ("last night", "past", "2026-12-01"),
        ("on Friday", "past", "2026-11-27"),
        ("last Fri", "past", "2026-11-27"),
        ("Friday 27th", "past", "2026-11-27"),
        ("Fri 11/27", "past", "2026-11-27"),
        ("on 11/27", "past", "2026-11-27"),
        ("27th Nov", "past", "2026-11-27"),
        ("November 27, 2026", "past", "2026-11-27"),
        ("Nov. 27th", "past", "2026-11-27"),
        ("Thanksgiving", "past", "2026-11-26"),
        ("day before yesterday", "past", "2026-11-30"),
        ("3 weeks ago", "past", "2026-11-11"),
        ("a month ago", "past", "2026-11-02"),
        ("one week ago", "past", "2026-11-25"),
        ("a couple of days ago", "past", "2026-11-30"),
        ("a few days ago", "past", None),
        ("recently", "past", None),
        ("last Monday morning", "past", "2026-11-30"),
        ("Monday afternoon", "past", "2026-11-30"),
        ("this past Monday", "past", "2026-11-30"),
        ("this past weekend", "span", ("2026-11-28", "2026-11-29")),
        ("last weekend", "span", ("2026-11-28", "2026-11-29")),
        ("earlier this week", "span", ("2026-11-30", "2026-12-02")),
        ("week before last", "span", ("2026-11-16", "2026-11-22")),
        ("the week of Nov 16", "span", ("2026-11-16", "2026-11-22")),
        ("early November", "span", ("2026-11-01", "2026-11-10")),
        ("in November", "span", ("2026-11-01", "2026-11-30")),
        ("mid-Nov", "span", ("2026-11-11", "2026-11-20")),
    ]),
    *_cases("en", "heldout-2 names", [
        ("Tuesday Morning Inc", "when", None),
        ("Sunday Best Ltd", "past", None),
        ("Noon & Co", "when", None),
        ("Easter Seals", "past", None),
        ("Mayfair Group", "past", None),
        ("Dec Systems", "past", None),
        ("Halloween Store", "past", None),
        ("April Smith", "past", None),
    ]),
    *_cases("en", "heldout-2 New York", [
        ("tomorrow at 2:30am", "when", "2027-03-14T02:30"),
        ("in 3 hours", "when", "2027-03-13T23:00"),
        ("in 8 hours", "when", "2027-03-14T05:00"),
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
