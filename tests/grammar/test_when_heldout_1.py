"""Held-out date phrases, round 1: written before reading the reader's tables, kept as first written.

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
    *_cases("fr", "heldout-1 plan", [
        ("jeu. 14h", "when", "2026-12-03T14:00"),
        ("demain 9h30", "when", "2026-12-03T09:30"),
        ("demain aprem", "when", "2026-12-03T14:00"),
        ("lundi matin", "when", "2026-12-07T09:00"),
        ("mardi prochain 15h", "when", "2026-12-08T15:00"),
        ("ven 11h", "when", "2026-12-04T11:00"),
        ("le 14 à 10h", "when", "2026-12-14T10:00"),
        ("14/12 à 14h30", "when", "2026-12-14T14:30"),
        ("14/12/2026 9h", "when", "2026-12-14T09:00"),
        ("2026-12-14 14:30", "when", "2026-12-14T14:30"),
        ("14 décembre 2026 à 16h", "when", "2026-12-14T16:00"),
        ("lundi 14 décembre 10h", "when", "2026-12-14T10:00"),
        ("jeudi 10 déc. à 11h", "when", "2026-12-10T11:00"),
        ("le 1er mars à 9h", "when", "2027-03-01T09:00"),
        ("le 2e lundi de janvier", "when", "2027-01-11T09:00"),
        ("le 2ème jeudi de janvier", "day", "2027-01-14"),
        ("en début de semaine prochaine", "when", "2026-12-07T09:00"),
        ("la semaine du 14", "when", "2026-12-14T09:00"),
        ("midi", "when", "2026-12-02T12:00"),
        ("demain midi", "when", "2026-12-03T12:00"),
        ("demain à midi et demi", "when", "2026-12-03T12:30"),
        ("minuit", "when", "2026-12-03T00:00"),
        ("cet aprem", "when", "2026-12-02T14:00"),
        ("ce soir 20h", "when", "2026-12-02T20:00"),
        ("ce soir", "when", "2026-12-02T18:00"),
        ("vendredi 17h30", "when", "2026-12-04T17:30"),
        ("Vendredi 4 à 17h", "when", "2026-12-04T17:00"),
        ("samedi 12", "when", "2026-12-12T09:00"),
        ("mercredi 16 déc", "when", "2026-12-16T09:00"),
        ("lundi!", "when", "2026-12-07T09:00"),
        ("Demain,", "when", "2026-12-03T09:00"),
        ("demain en fin de matinée", "when", "2026-12-03T11:00"),
        ("jeudi en fin d'après-midi", "when", "2026-12-03T17:00"),
        ("après-demain 8h", "when", "2026-12-04T08:00"),
        ("dans 3 semaines", "when", "2026-12-23T09:00"),
        ("dans une heure", "when", "2026-12-02T11:00"),
        ("dans 30 min", "when", "2026-12-02T10:30"),
        ("le 15 janvier", "when", "2027-01-15T09:00"),
        ("15 janv. 14h", "when", "2027-01-15T14:00"),
        ("le 3 à 15h", "when", "2026-12-03T15:00"),
        ("mardi 8 à 9h", "when", "2026-12-08T09:00"),
        ("lundi en huit", "when", "2026-12-14T09:00"),
        ("mercredi prochain", "when", "2026-12-09T09:00"),
        ("vers 15h", "when", "2026-12-02T15:00"),
        ("demain vers 10h", "when", "2026-12-03T10:00"),
        ("jeudi 3 décembre 2026 14h", "when", "2026-12-03T14:00"),
        ("3/12 14h", "when", "2026-12-03T14:00"),
        ("le 03/12 à 14 h", "when", "2026-12-03T14:00"),
        ("14h30", "when", "2026-12-02T14:30"),
        ("à 8h", "when", "2026-12-03T08:00"),
        ("lun. 7 déc.", "when", "2026-12-07T09:00"),
    ]),
    *_cases("fr", "heldout-1 deadline", [
        ("dans 2 j", "day", "2026-12-04"),
        ("d'ici 3 semaines", "day", "2026-12-23"),
        ("dans 1 mois", "day", "2027-01-02"),
        ("début janvier", "day", "2027-01-04"),
        ("fin janvier", "day", "2027-01-31"),
        ("mi-janvier", "day", "2027-01-15"),
    ]),
    *_cases("fr", "heldout-1 past", [
        ("hier", "past", "2026-12-01"),
        ("hier après-midi", "past", "2026-12-01"),
        ("avant-hier soir", "past", "2026-11-30"),
        ("vendredi passé", "past", "2026-11-27"),
        ("vendredi dernier", "past", "2026-11-27"),
        ("lundi", "past", "2026-11-30"),
        ("mercredi", "past", "2026-12-02"),
        ("il y a 15 jours", "past", "2026-11-17"),  # corrected: digits are literal (when.py), 15 days
        ("il y a 3 jours", "past", "2026-11-29"),
        ("il y a une semaine", "past", "2026-11-25"),
        ("l'autre jour", "past", None),
        ("ce matin", "past", "2026-12-02"),
        ("jeudi dernier", "past", "2026-11-26"),
        ("le 27", "past", "2026-11-27"),
        ("27/11", "past", "2026-11-27"),
        ("27/11/2026", "past", "2026-11-27"),
        ("le 1er", "past", "2026-12-01"),
        ("1er déc.", "past", "2026-12-01"),
        ("le 28 nov.", "past", "2026-11-28"),
        ("samedi soir", "past", "2026-11-28"),
        ("mardi dernier", "past", "2026-12-01"),
        ("la semaine dernière", "past", "2026-11-25"),
        ("il y a deux semaines", "past", "2026-11-18"),
        ("hier matin", "past", "2026-12-01"),
        ("lundi dernier", "past", "2026-11-30"),
        ("dimanche", "past", "2026-11-29"),
        ("Hier.", "past", "2026-12-01"),
        ("aujourd'hui", "past", "2026-12-02"),
        ("ce midi", "past", "2026-12-02"),
        ("il y a 10 jours", "past", "2026-11-22"),
        ("le mois dernier", "span", ("2026-11-01", "2026-11-30")),
        ("la semaine dernière", "span", ("2026-11-23", "2026-11-29")),
    ]),
    *_cases("fr", "heldout-1 names", [
        ("Boulangerie Martin", "past", None),
        ("Hôtel du Midi", "when", None),
        ("Café de Paris", "when", None),
        ("Les Quatre Saisons", "past", None),
        ("Bar Le Mars", "when", None),
        ("Pharmacie Saint-Jean", "past", None),
        ("SARL Juin & Fils", "past", None),
        ("Transports Martin 2000", "when", None),
    ]),
    *_cases("fr", "heldout-1 DST", [
        ("lundi 9h", "when", "2027-03-29T09:00"),
        ("dimanche 10h", "when", "2027-03-28T10:00"),
        ("dimanche 2h30", "when", "2027-03-28T02:30"),
    ], now=BEFORE_DST),
    *_cases("fr", "heldout-1 DST", [
        ("dans 3 heures", "when", "2027-03-28T03:30"),
    ], now=LATE_SATURDAY_PARIS),
]  # fmt: skip

ENGLISH: list[Case] = [
    *_cases("en", "heldout-1 plan", [
        ("Thu 3pm", "when", "2026-12-03T15:00"),
        ("tomorrow 9am", "when", "2026-12-03T09:00"),
        ("tomorrow morning", "when", "2026-12-03T09:00"),
        ("tomorrow eve", "when", "2026-12-03T18:00"),
        ("tomorrow evening at 7", "when", "2026-12-03T19:00"),
        ("tmrw 10am", "when", "2026-12-03T10:00"),
        ("next Monday 2pm", "when", "2026-12-07T14:00"),
        ("this coming friday", "when", "2026-12-04T09:00"),
        ("the friday after next", "when", "2026-12-11T09:00"),
        ("next week monday", "when", "2026-12-07T09:00"),
        ("monday next week", "when", "2026-12-07T09:00"),
        ("Dec 14th, 2026", "when", "2026-12-14T09:00"),
        ("Dec 14 at 2:30 pm", "when", "2026-12-14T14:30"),
        ("December 14th at 10", "when", "2026-12-14T10:00"),
        ("14 Dec 10am", "when", "2026-12-14T10:00"),
        ("12/14 at 3", "when", "2026-12-14T15:00"),
        ("12/14/2026 9:30am", "when", "2026-12-14T09:30"),
        ("2026-12-14 14:30", "when", "2026-12-14T14:30"),
        ("Mon, Dec 7 at 11am", "when", "2026-12-07T11:00"),
        ("Friday the 11th", "when", "2026-12-11T09:00"),
        ("on the 15th at 4pm", "when", "2026-12-15T16:00"),
        ("Jan 1st", "when", "2027-01-01T09:00"),
        ("the 2nd of January", "when", "2027-01-02T09:00"),
        ("January 3rd 2027 at noon", "when", "2027-01-03T12:00"),
        ("noon", "when", "2026-12-02T12:00"),
        ("midnight", "when", "2026-12-03T00:00"),
        ("2.30pm", "when", "2026-12-02T14:30"),
        ("2:30 p.m.", "when", "2026-12-02T14:30"),
        ("at 4", "when", "2026-12-02T16:00"),
        ("4 o'clock", "when", "2026-12-02T16:00"),
        ("3:30", "when", "2026-12-02T15:30"),
        ("at 8", "when", "2026-12-03T08:00"),
        ("in 2 hours", "when", "2026-12-02T12:00"),
        ("in 45 minutes", "when", "2026-12-02T10:45"),
        ("in half an hour", "when", "2026-12-02T10:30"),
        ("this afternoon", "when", "2026-12-02T14:00"),
        ("this evening", "when", "2026-12-02T18:00"),
        ("tonight at 8", "when", "2026-12-02T20:00"),
        ("next Tues 10:30", "when", "2026-12-08T10:30"),
        ("wed 9th 2pm", "when", "2026-12-09T14:00"),
        ("Thursday, December 10th", "when", "2026-12-10T09:00"),
        ("the first monday of january", "when", "2027-01-04T09:00"),
        ("Tomorrow,", "when", "2026-12-03T09:00"),
        ("Friday!", "when", "2026-12-04T09:00"),
        ("day after tomorrow 11am", "when", "2026-12-04T11:00"),
        ("around 3pm", "when", "2026-12-02T15:00"),
        ("3pm-ish", "when", "2026-12-02T15:00"),
        ("at 10:30", "when", "2026-12-02T10:30"),
        ("12 noon", "when", "2026-12-02T12:00"),
        ("quarter past 2", "when", "2026-12-02T14:15"),
        ("half past 9", "when", "2026-12-03T09:30"),
    ]),
    *_cases("en", "heldout-1 deadline", [
        ("in 2 days", "day", "2026-12-04"),
        ("in 3 weeks", "day", "2026-12-23"),
        ("in a week", "day", "2026-12-09"),
        ("in 10 days", "day", "2026-12-12"),
        ("end of next week", "day", "2026-12-11"),
        ("early january", "day", "2027-01-04"),
        ("mid-january", "day", "2027-01-15"),
        ("end of the month", "day", "2026-12-31"),
        ("by friday", "day", "2026-12-04"),
        ("before friday", "day", "2026-12-03"),
        ("the last friday of the month", "day", "2026-12-25"),
        ("a week from tomorrow", "day", "2026-12-10"),
        ("next month", "day", "2027-01-02"),
    ]),
    *_cases("en", "heldout-1 past", [
        ("yesterday", "past", "2026-12-01"),
        ("yesterday afternoon", "past", "2026-12-01"),
        ("the other day", "past", None),
        ("last Tues", "past", "2026-12-01"),
        ("on Monday", "past", "2026-11-30"),
        ("Monday", "past", "2026-11-30"),
        ("2 weeks ago", "past", "2026-11-18"),
        ("two days ago", "past", "2026-11-30"),
        ("a week ago", "past", "2026-11-25"),
        ("last Friday", "past", "2026-11-27"),
        ("last thursday", "past", "2026-11-26"),
        ("this morning", "past", "2026-12-02"),
        ("today", "past", "2026-12-02"),
        ("Nov 27", "past", "2026-11-27"),
        ("11/27", "past", "2026-11-27"),
        ("27 Nov", "past", "2026-11-27"),
        ("on the 27th", "past", "2026-11-27"),
        ("the 1st", "past", "2026-12-01"),
        ("November 30th", "past", "2026-11-30"),
        ("last Sat", "past", "2026-11-28"),
        ("last week", "past", "2026-11-25"),
        ("yesterday morning", "past", "2026-12-01"),
        ("Tuesday evening", "past", "2026-12-01"),
        ("a fortnight ago", "past", "2026-11-18"),
        ("3 days ago", "past", "2026-11-29"),
        ("earlier today", "past", "2026-12-02"),
        ("11/30/2026", "past", "2026-11-30"),
        ("Mon 11/30", "past", "2026-11-30"),
        ("the day before yesterday", "past", "2026-11-30"),
        ("last week", "span", ("2026-11-23", "2026-11-29")),
        ("last month", "span", ("2026-11-01", "2026-11-30")),
        ("this week", "span", ("2026-11-30", "2026-12-02")),
    ]),
    *_cases("en", "heldout-1 names", [
        ("Sunrise Bakery", "past", None),
        ("Monday Properties", "when", None),
        ("March Industries", "past", None),
        ("Noon Partners", "when", None),
        ("Friday's Diner", "when", None),
        ("May & Co", "past", None),
        ("August Pharma", "past", None),
        ("Summit 2000", "when", None),
    ]),
    *_cases("en", "heldout-1 New York", [
        ("in 10 hours", "when", "2027-03-14T07:00"),
        ("tomorrow 9am", "when", "2027-03-14T09:00"),
        ("Sunday 2:30am", "when", "2027-03-14T02:30"),
    ], now=NY_SATURDAY),
]  # fmt: skip

HELDOUT = FRENCH + ENGLISH


def case_ids(cases: list[Case]) -> list[str]:
    return [f"{c.language}-{c.kind}-{c.phrase}" for c in cases]


def assert_not_wrong(case: Case) -> None:
    """A refusal is allowed, a wrong day never."""
    found = read(case)
    assert found is None or found == case.expected


def assert_goal_met(cases: list[Case]) -> None:
    """The issue's goal: 90 % of the French and 85 % of the English read right."""
    tally = score(cases)
    for language, goal in (("fr", 0.90), ("en", 0.85)):
        counts = tally[language]
        assert counts["right"] / sum(counts.values()) >= goal, (language, dict(counts))


@pytest.mark.parametrize("case", HELDOUT, ids=case_ids(HELDOUT))
def test_never_a_wrong_day(case: Case) -> None:
    assert_not_wrong(case)


def test_share_read_right() -> None:
    assert_goal_met(HELDOUT)
