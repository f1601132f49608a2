"""An evaluation corpus of everyday date phrases, French and English, with the expected reading.

Written for issue 13 §2 (not taken from any public corpus): each family of the issue has
several phrasings in both languages. "now" is Wednesday 2026-12-02 10:00 in the member's
zone unless a case says otherwise; some cases sit across the 2027-03-28 European
daylight-saving change. Kinds:

- ``past``: :func:`parse_past_day` (a /log day) — ``None`` expected means "refuse";
- ``span``: :func:`past_span` (the days a past phrase covers, first and last);
- ``day``: :func:`parse_future_day` (a deadline);
- ``when``: :func:`parse_when` (a planned visit or follow-up, naive local wall time).

The tests below check that nothing is read wrong (a refusal is allowed, a wrong day never)
and that the share read right stays above the issue's goal; ``benchmarks/parse.py`` times
the same phrases. The strict, per-family tables are in ``test_when_families.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import pytest

from bot.grammar.when import parse_future_day, parse_past_day, parse_when, past_span

NOW = datetime(2026, 12, 2, 10, 0)  # Wednesday 2 December 2026, 10:00
BEFORE_DST = datetime(2027, 3, 26, 16, 0)  # Friday; clocks go forward on Sunday 28 March
AFTER_DST = datetime(2027, 3, 29, 9, 0)  # the Monday after


@dataclass(frozen=True)
class Case:
    phrase: str
    language: str  # "fr" or "en": the member's language, tried first
    kind: str  # past | span | day | when
    expected: date | datetime | tuple[date, date] | None
    family: str
    now: datetime = NOW


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _cases(language: str, family: str, rows: Iterable[tuple], now: datetime = NOW) -> list[Case]:
    out = []
    for phrase, kind, expected in rows:
        if isinstance(expected, str):
            expected = _t(expected) if "T" in expected else _d(expected)
        elif isinstance(expected, tuple):
            expected = (_d(expected[0]), _d(expected[1]))
        out.append(Case(phrase, language, kind, expected, family, now))
    return out


FRENCH: list[Case] = [
    *_cases("fr", "weekday + day number", [
        ("samedi 16 à 18h", "when", "2027-01-16T18:00"),
        ("samedi 16", "day", "2027-01-16"),
        ("mercredi 13", "day", "2027-01-13"),
        ("mercredi 16", "day", "2026-12-16"),
        ("lundi 11", "day", "2027-01-11"),
        ("le lundi 11", "when", "2027-01-11T09:00"),
        ("vendredi 11 à 14h", "when", "2026-12-11T14:00"),
        ("jeudi 3 à 9h30", "when", "2026-12-03T09:30"),
        ("lundi 14 décembre", "day", "2026-12-14"),
        ("ven. 18 déc.", "day", "2026-12-18"),
        ("mardi 5 janvier 10h", "when", "2027-01-05T10:00"),
        ("samedi 28", "past", "2026-11-28"),
        ("lundi 30", "past", "2026-11-30"),
        ("jeudi 26 novembre", "past", "2026-11-26"),
        ("mardi 1er", "past", "2026-12-01"),
        ("vendredi 13", "past", "2026-11-13"),
    ]),
    *_cases("fr", "hedged times", [
        ("vers 18h", "when", "2026-12-02T18:00"),
        ("à environ 11h", "when", "2026-12-02T11:00"),
        ("aux alentours de 15h", "when", "2026-12-02T15:00"),
        ("plutôt vers 18h", "when", "2026-12-02T18:00"),
        ("demain vers 9h", "when", "2026-12-03T09:00"),
        ("vers 9h30 demain", "when", "2026-12-03T09:30"),
        ("12 décembre à environ 10h", "when", "2026-12-12T10:00"),
        ("jeudi vers 14h", "when", "2026-12-03T14:00"),
        ("environ 16h", "when", "2026-12-02T16:00"),
        ("autour de 17h", "when", "2026-12-02T17:00"),
        ("vendredi aux alentours de midi", "when", "2026-12-04T12:00"),
        ("à peu près 15h", "when", "2026-12-02T15:00"),
        ("hier vers 18h", "past", "2026-12-01"),
        ("lundi aux alentours de 15h", "past", "2026-11-30"),
    ]),
    *_cases("fr", "relative days", [
        ("lundi en huit", "day", "2026-12-14"),
        ("mardi en quinze", "day", "2026-12-22"),
        ("jeudi en huit à 10h", "when", "2026-12-10T10:00"),
        ("aujourd'hui en huit", "day", "2026-12-09"),
        ("demain en huit", "day", "2026-12-10"),
        ("mardi suivant", "day", "2026-12-08"),
        ("le mardi d'après", "day", "2026-12-08"),
        ("la semaine suivante", "day", "2026-12-09"),
        ("la veille", "past", "2026-12-01"),
        ("l'avant-veille", "past", "2026-11-30"),
        ("le lendemain", "day", "2026-12-03"),
        ("le surlendemain", "day", "2026-12-04"),
        ("le lendemain à 10h", "when", "2026-12-03T10:00"),
        ("après-demain", "day", "2026-12-04"),
        ("dans quinze jours", "day", "2026-12-16"),
        ("dans huit jours", "day", "2026-12-09"),
        ("dans trois jours", "day", "2026-12-05"),
        ("dans deux semaines", "day", "2026-12-16"),
        ("dans une quinzaine", "day", "2026-12-16"),
        ("dans un mois", "day", "2027-01-02"),
        ("d'ici vendredi", "day", "2026-12-04"),
        ("avant vendredi", "day", "2026-12-03"),
        ("au plus tard vendredi", "day", "2026-12-04"),
        ("d'ici la fin de la semaine", "day", "2026-12-04"),
        ("jeudi prochain", "day", "2026-12-03"),
        ("jeudi qui vient", "day", "2026-12-03"),
        ("il y a quinze jours", "past", "2026-11-18"),
        ("il y a trois jours", "past", "2026-11-29"),
        ("il y a deux semaines", "past", "2026-11-18"),
        ("il y a huit jours", "past", "2026-11-25"),
        ("il y a un mois", "past", "2026-11-02"),
        ("avant-hier", "past", "2026-11-30"),
        ("mercredi dernier", "past", "2026-11-25"),
    ]),
    *_cases("fr", "ordinals and composed days", [
        ("premier mars", "day", "2027-03-01"),
        ("le premier mars", "day", "2027-03-01"),
        ("1er mars", "day", "2027-03-01"),
        ("le premier mercredi du mois prochain", "day", "2027-01-06"),
        ("le premier lundi de mars", "day", "2027-03-01"),
        ("le deuxième mardi de janvier", "day", "2027-01-12"),
        ("le dernier vendredi du mois", "day", "2026-12-25"),
        ("le troisième jeudi de février", "day", "2027-02-18"),
        ("le 20 du mois prochain", "day", "2027-01-20"),
        ("le 15 de ce mois", "day", "2026-12-15"),
        ("le 1er", "day", "2027-01-01"),
        ("le premier", "day", None),  # "Hôtel Le Premier": ordinal words need a month
        ("le deux mars", "day", "2027-03-02"),
        ("le vingt et un décembre", "day", "2026-12-21"),
        ("le premier décembre", "past", "2026-12-01"),
        ("premier novembre", "past", "2026-11-01"),
        ("le dernier lundi du mois dernier", "past", "2026-11-30"),
    ]),
    *_cases("fr", "period edges", [
        ("mi-décembre", "day", "2026-12-15"),
        ("à la mi-janvier", "day", "2027-01-15"),
        ("mi mars", "day", "2027-03-15"),
        ("début avril", "day", "2027-04-01"),
        ("début janvier", "day", "2027-01-04"),
        ("début février", "when", "2027-02-01T09:00"),
        ("fin du mois de mars", "day", "2027-03-31"),
        ("fin mars", "when", "2027-03-31T09:00"),
        ("fin avril", "day", "2027-04-30"),
        ("fin de la semaine prochaine", "day", "2026-12-11"),
        ("début de la semaine prochaine", "day", "2026-12-07"),
        ("en début de semaine prochaine", "when", "2026-12-07T09:00"),
        ("début du mois prochain", "day", "2027-01-04"),
        ("en fin de mois", "day", "2026-12-31"),
        ("fin d'année", "day", "2026-12-31"),
        ("courant janvier", "span", ("2026-01-01", "2026-01-31")),
        ("début novembre", "span", ("2026-11-01", "2026-11-10")),
        ("mi-novembre", "span", ("2026-11-11", "2026-11-20")),
        ("fin novembre", "span", ("2026-11-21", "2026-11-30")),
        ("fin novembre", "past", None),
    ]),
    *_cases("fr", "parts of the day", [
        ("en fin de matinée", "when", "2026-12-02T11:00"),
        ("demain en fin de matinée", "when", "2026-12-03T11:00"),
        ("en fin d'après-midi", "when", "2026-12-02T17:00"),
        ("vendredi en fin d'après-midi", "when", "2026-12-04T17:00"),
        ("après déjeuner", "when", "2026-12-02T14:00"),
        ("demain après le déjeuner", "when", "2026-12-03T14:00"),
        ("ce week-end", "when", "2026-12-05T09:00"),
        ("ce weekend", "day", "2026-12-05"),
        ("le week-end prochain", "day", "2026-12-05"),
        ("en début d'après-midi", "when", "2026-12-02T14:00"),
        ("demain en début de matinée", "when", "2026-12-03T08:00"),
        ("ce soir", "when", "2026-12-02T18:00"),
        ("ce soir vers 20h", "when", "2026-12-02T20:00"),
        ("8h ce soir", "when", "2026-12-02T20:00"),
        ("demain midi", "when", "2026-12-03T12:00"),
        ("jeudi à l'heure du déjeuner", "when", "2026-12-03T12:00"),
        ("cet après-midi", "when", "2026-12-02T14:00"),
        ("mardi matin", "when", "2026-12-08T09:00"),
        ("hier en fin d'après-midi", "past", "2026-12-01"),
        ("lundi après déjeuner", "past", "2026-11-30"),
        ("ce matin", "past", "2026-12-02"),
        ("hier soir", "past", "2026-12-01"),
        ("avant-hier matin", "past", "2026-11-30"),
    ]),
    *_cases("fr", "spoken times", [
        ("midi et quart", "when", "2026-12-02T12:15"),
        ("midi et demi", "when", "2026-12-02T12:30"),
        ("midi moins le quart", "when", "2026-12-02T11:45"),
        ("quinze heures trente", "when", "2026-12-02T15:30"),
        ("demain à neuf heures", "when", "2026-12-03T09:00"),
        ("dix-sept heures", "when", "2026-12-02T17:00"),
        ("seize heures quarante-cinq", "when", "2026-12-02T16:45"),
        ("18h et quart", "when", "2026-12-02T18:15"),
        ("17h moins le quart", "when", "2026-12-02T16:45"),
        ("14 heures et demie", "when", "2026-12-02T14:30"),
        ("six heures du soir", "when", "2026-12-02T18:00"),
        ("vendredi à quatorze heures", "when", "2026-12-04T14:00"),
        ("demain à onze heures et quart", "when", "2026-12-03T11:15"),
        ("à midi", "when", "2026-12-02T12:00"),
    ]),
    *_cases("fr", "past periods", [
        ("le mois dernier", "span", ("2026-11-01", "2026-11-30")),
        ("le mois dernier", "past", None),
        ("le mois passé", "span", ("2026-11-01", "2026-11-30")),
        ("la semaine dernière", "span", ("2026-11-23", "2026-11-29")),
        ("la semaine passée", "span", ("2026-11-23", "2026-11-29")),
        ("dimanche de la semaine dernière", "past", "2026-11-29"),
        ("mardi de la semaine dernière", "past", "2026-11-24"),
        ("lundi de la semaine passée", "past", "2026-11-23"),
        ("jeudi la semaine dernière", "past", "2026-11-26"),
        ("le week-end dernier", "span", ("2026-11-28", "2026-11-29")),
        ("le week-end dernier", "past", None),
        ("cette semaine", "span", ("2026-11-30", "2026-12-02")),
        ("ce mois-ci", "span", ("2026-12-01", "2026-12-02")),
        ("en novembre", "span", ("2026-11-01", "2026-11-30")),
        ("l'année dernière", "span", ("2025-01-01", "2025-12-31")),
        ("hier", "span", ("2026-12-01", "2026-12-01")),
        ("samedi dernier", "past", "2026-11-28"),
        ("dimanche dernier", "past", "2026-11-29"),
    ]),
    *_cases("fr", "ordinary forms", [
        ("le 12/12", "day", "2026-12-12"),
        ("12 déc.", "day", "2026-12-12"),
        ("12 déc", "when", "2026-12-12T09:00"),
        ("le 12 décembre", "day", "2026-12-12"),
        ("jeudi prochain 14h30", "when", "2026-12-03T14:30"),
        ("demain 9h", "when", "2026-12-03T09:00"),
        ("demain à 9h", "when", "2026-12-03T09:00"),
        ("vendredi 10h", "when", "2026-12-04T10:00"),
        ("lundi prochain à 15h", "when", "2026-12-07T15:00"),
        ("dans 3 jours à 15h", "when", "2026-12-05T15:00"),
        ("le 15 à 14h", "when", "2026-12-15T14:00"),
        ("15/01 10h", "when", "2027-01-15T10:00"),
        ("le 3 janvier", "day", "2027-01-03"),
        ("3 janv. 2027", "day", "2027-01-03"),
        ("mardi de la semaine prochaine", "day", "2026-12-08"),
        ("dans 2 heures", "when", "2026-12-02T12:00"),
        ("dans une heure", "when", "2026-12-02T11:00"),
        ("aujourd'hui 16h", "when", "2026-12-02T16:00"),
        ("hier", "past", "2026-12-01"),
        ("hier à 14h", "past", "2026-12-01"),
        ("lundi", "past", "2026-11-30"),
        ("le 28", "past", "2026-11-28"),
        ("25/11", "past", "2026-11-25"),
        ("le 25 novembre", "past", "2026-11-25"),
        ("il y a 2 jours", "past", "2026-11-30"),
        ("aujourd'hui", "past", "2026-12-02"),
    ]),
    *_cases("fr", "refusals", [
        ("lundi 15 décembre", "day", None),  # 15 December 2026 is a Tuesday
        ("vendredi 3 décembre", "day", None),  # a Thursday
        ("lundi ou mardi", "day", None),
        ("entre lundi et mardi", "when", None),
        ("le 31 février", "day", None),
        ("32/13", "past", None),
        ("mardi 10h 11h", "when", None),
        ("ce soir demain", "when", None),
        ("Gamma Industries", "when", None),
        ("vingt-cinq heures", "when", None),
        ("avril", "past", None),
        ("demain hier", "past", None),
    ]),
    *_cases("fr", "daylight saving", [
        ("dimanche 10h", "when", "2027-03-28T10:00"),
        ("dimanche 2h30", "when", "2027-03-28T02:30"),  # does not exist: returned as typed
        ("lundi en huit", "when", "2027-04-05T09:00"),
        ("ce week-end", "when", "2027-03-27T09:00"),
        ("fin mars", "when", "2027-03-31T09:00"),
        ("après-demain vers 15h", "when", "2027-03-28T15:00"),
        ("dans deux jours en fin de matinée", "when", "2027-03-28T11:00"),
    ], now=BEFORE_DST),
    *_cases("fr", "daylight saving", [
        ("hier", "past", "2027-03-28"),
        ("samedi 27", "past", "2027-03-27"),
        ("la semaine dernière", "span", ("2027-03-22", "2027-03-28")),
        ("dimanche de la semaine dernière", "past", "2027-03-28"),
        ("le mois dernier", "span", ("2027-02-01", "2027-02-28")),
    ], now=AFTER_DST),
]  # fmt: skip

ENGLISH: list[Case] = [
    *_cases("en", "weekday + day number", [
        ("Mon, February 15", "day", "2027-02-15"),
        ("at 7:30 PM on Fri, Jan 15", "when", "2027-01-15T19:30"),
        ("Friday, January 8", "day", "2027-01-08"),
        ("Fri, Dec 18", "day", "2026-12-18"),
        ("Tue Jan 5 at 10am", "when", "2027-01-05T10:00"),
        ("Saturday the 16th", "day", "2027-01-16"),
        ("Monday the 11th", "day", "2027-01-11"),
        ("wednesday 16", "day", "2026-12-16"),
        ("friday 11th at 2pm", "when", "2026-12-11T14:00"),
        ("Thursday, November 26", "past", "2026-11-26"),
        ("Fri, Nov 27", "past", "2026-11-27"),
        ("monday the 30th", "past", "2026-11-30"),
    ]),
    *_cases("en", "hedged times", [
        ("around 3pm", "when", "2026-12-02T15:00"),
        ("about 4pm", "when", "2026-12-02T16:00"),
        ("tomorrow around 9am", "when", "2026-12-03T09:00"),
        ("at around 11am", "when", "2026-12-02T11:00"),
        ("friday at about 2pm", "when", "2026-12-04T14:00"),
        ("approximately 5pm", "when", "2026-12-02T17:00"),
        ("around noon tomorrow", "when", "2026-12-03T12:00"),
        ("3pm-ish", "when", "2026-12-02T15:00"),
        ("yesterday around 3pm", "past", "2026-12-01"),
    ]),
    *_cases("en", "relative days", [
        ("the day after tomorrow", "day", "2026-12-04"),
        ("day after tomorrow at 10am", "when", "2026-12-04T10:00"),
        ("a fortnight ago", "past", "2026-11-18"),
        ("in a fortnight", "day", "2026-12-16"),
        ("two weeks ago", "past", "2026-11-18"),
        ("in two weeks", "day", "2026-12-16"),
        ("in five days", "day", "2026-12-07"),
        ("in 2 weeks", "day", "2026-12-16"),
        ("three days ago", "past", "2026-11-29"),
        ("a week ago", "past", "2026-11-25"),
        ("a month ago", "past", "2026-11-02"),
        ("the day before yesterday", "past", "2026-11-30"),
        ("by friday", "day", "2026-12-04"),
        ("before friday", "day", "2026-12-03"),
        ("no later than friday", "day", "2026-12-04"),
        ("this coming thursday", "day", "2026-12-03"),
        ("next thursday", "day", "2026-12-03"),
        ("tuesday next week", "day", "2026-12-08"),
        ("a week from today", "day", "2026-12-09"),
        ("a week from tomorrow", "day", "2026-12-10"),
        ("in a month", "day", "2027-01-02"),
        ("last wednesday", "past", "2026-11-25"),
        ("the following tuesday", "day", "2026-12-08"),
    ]),
    *_cases("en", "ordinals and composed days", [
        ("the 20th of next month", "day", "2027-01-20"),
        ("the first monday of march", "day", "2027-03-01"),
        ("the second tuesday of next month", "day", "2027-01-12"),
        ("the last friday of the month", "day", "2026-12-25"),
        ("the third thursday of february", "day", "2027-02-18"),
        ("march 1st", "day", "2027-03-01"),
        ("the first of march", "day", "2027-03-01"),
        ("first of march", "day", "2027-03-01"),
        ("the 15th of this month", "day", "2026-12-15"),
        ("the 1st", "past", "2026-12-01"),
        ("the first of december", "past", "2026-12-01"),
        ("the twenty-first of december", "day", "2026-12-21"),
    ]),
    *_cases("en", "period edges", [
        ("end of next week", "day", "2026-12-11"),
        ("early january", "day", "2027-01-04"),
        ("mid-january", "day", "2027-01-15"),
        ("mid march", "day", "2027-03-15"),
        ("end of march", "day", "2027-03-31"),
        ("late april", "day", "2027-04-30"),
        ("beginning of april", "day", "2027-04-01"),
        ("early next week", "day", "2026-12-07"),
        ("the beginning of next month", "day", "2027-01-04"),
        ("end of the month", "when", "2026-12-31T09:00"),
        ("early february", "when", "2027-02-01T09:00"),
        ("early november", "span", ("2026-11-01", "2026-11-10")),
        ("late november", "span", ("2026-11-21", "2026-11-30")),
        ("mid-november", "past", None),
    ]),
    *_cases("en", "parts of the day", [
        ("8 tonight", "when", "2026-12-02T20:00"),
        ("this evening", "when", "2026-12-02T18:00"),
        ("tonight at 7", "when", "2026-12-02T19:00"),
        ("this weekend", "day", "2026-12-05"),
        ("this weekend", "when", "2026-12-05T09:00"),
        ("next weekend", "day", "2026-12-05"),
        ("after lunch", "when", "2026-12-02T14:00"),
        ("tomorrow after lunch", "when", "2026-12-03T14:00"),
        ("late morning", "when", "2026-12-02T11:00"),
        ("tomorrow late afternoon", "when", "2026-12-03T17:00"),
        ("friday late afternoon", "when", "2026-12-04T17:00"),
        ("early afternoon", "when", "2026-12-02T14:00"),
        ("tomorrow morning", "when", "2026-12-03T09:00"),
        ("at lunchtime", "when", "2026-12-02T12:00"),
        ("thursday at lunch", "when", "2026-12-03T12:00"),
        ("this afternoon", "when", "2026-12-02T14:00"),
        ("8 in the morning tomorrow", "when", "2026-12-03T08:00"),
        ("yesterday evening", "past", "2026-12-01"),
        ("last night", "past", "2026-12-01"),
        ("this morning", "past", "2026-12-02"),
        ("monday afternoon", "past", "2026-11-30"),
    ]),
    *_cases("en", "spoken times", [
        ("a quarter past 3", "when", "2026-12-02T15:15"),
        ("half past 3 pm", "when", "2026-12-02T15:30"),
        ("quarter to 4", "when", "2026-12-02T15:45"),
        ("half past two", "when", "2026-12-02T14:30"),
        ("tomorrow at a quarter past eleven", "when", "2026-12-03T11:15"),
        ("3 o'clock", "when", "2026-12-02T15:00"),
        ("at four", "when", "2026-12-02T16:00"),
        ("friday at half past ten", "when", "2026-12-04T10:30"),
        ("noon", "when", "2026-12-02T12:00"),
        ("twelve thirty", "when", "2026-12-02T12:30"),
        ("tomorrow at eleven thirty", "when", "2026-12-03T11:30"),
    ]),
    *_cases("en", "business hours", [
        ("3:30", "when", "2026-12-02T15:30"),
        ("at 4", "when", "2026-12-02T16:00"),
        ("tomorrow at 3:30", "when", "2026-12-03T15:30"),
        ("friday at 2", "when", "2026-12-04T14:00"),
        ("at 11", "when", "2026-12-02T11:00"),
        ("at 8", "when", "2026-12-03T08:00"),
        ("at 9:30", "when", "2026-12-03T09:30"),
        ("at 12:30", "when", "2026-12-02T12:30"),
        ("monday at 7", "when", "2026-12-07T19:00"),
        ("at 3:30 am", "when", "2026-12-03T03:30"),
    ]),
    *_cases("en", "past periods", [
        ("last week", "span", ("2026-11-23", "2026-11-29")),
        ("last month", "span", ("2026-11-01", "2026-11-30")),
        ("last month", "past", None),
        ("sunday from last week", "past", "2026-11-29"),
        ("sunday of last week", "past", "2026-11-29"),
        ("tuesday last week", "past", "2026-11-24"),
        ("last week on thursday", "past", "2026-11-26"),
        ("last weekend", "span", ("2026-11-28", "2026-11-29")),
        ("this week", "span", ("2026-11-30", "2026-12-02")),
        ("this month", "span", ("2026-12-01", "2026-12-02")),
        ("in november", "span", ("2026-11-01", "2026-11-30")),
        ("last year", "span", ("2025-01-01", "2025-12-31")),
        ("yesterday", "span", ("2026-12-01", "2026-12-01")),
        ("last sunday", "past", "2026-11-29"),
    ]),
    *_cases("en", "ordinary forms", [
        ("tomorrow 9am", "when", "2026-12-03T09:00"),
        ("next Friday at noon", "when", "2026-12-04T12:00"),
        ("12/12", "day", "2026-12-12"),
        ("dec 12", "day", "2026-12-12"),
        ("december 12th", "day", "2026-12-12"),
        ("on the 15th at 2pm", "when", "2026-12-15T14:00"),
        ("tomorrow at 10", "when", "2026-12-03T10:00"),
        ("monday 10am", "when", "2026-12-07T10:00"),
        ("next tuesday at 2:30pm", "when", "2026-12-08T14:30"),
        ("in 3 days at 3pm", "when", "2026-12-05T15:00"),
        ("in 2 hours", "when", "2026-12-02T12:00"),
        ("in an hour", "when", "2026-12-02T11:00"),
        ("today at 4pm", "when", "2026-12-02T16:00"),
        ("Jan 3, 2027", "day", "2027-01-03"),
        ("yesterday", "past", "2026-12-01"),
        ("yesterday at 10:30", "past", "2026-12-01"),
        ("monday", "past", "2026-11-30"),
        ("on the 28th", "past", "2026-11-28"),
        ("11/25", "past", "2026-11-25"),
        ("november 25", "past", "2026-11-25"),
        ("2 days ago", "past", "2026-11-30"),
        ("today", "past", "2026-12-02"),
    ]),
    *_cases("en", "refusals", [
        ("Monday, December 15", "day", None),  # a Tuesday
        ("monday or tuesday", "day", None),
        ("between monday and tuesday", "when", None),
        ("february 30", "day", None),
        ("13pm", "when", None),
        ("tonight tomorrow", "when", None),
        ("Acme Corp", "when", None),
        ("april", "past", None),
    ]),
    *_cases("en", "daylight saving", [
        ("sunday at 10am", "when", "2027-03-28T10:00"),
        ("tomorrow at 3:30", "when", "2027-03-27T15:30"),
        ("sunday at half past 2 pm", "when", "2027-03-28T14:30"),
        ("this weekend", "when", "2027-03-27T09:00"),
        ("in two days at 2:30", "when", "2027-03-28T14:30"),
        ("end of the month", "day", "2027-03-31"),
    ], now=BEFORE_DST),
    *_cases("en", "daylight saving", [
        ("yesterday", "past", "2027-03-28"),
        ("sunday from last week", "past", "2027-03-28"),
        ("last week", "span", ("2027-03-22", "2027-03-28")),
        ("saturday the 27th", "past", "2027-03-27"),
    ], now=AFTER_DST),
]  # fmt: skip

# Written after the reader, to check it on phrasings it was not built around (the first
# run read 0 % of them wrong and left the share in the report unread; see the report).
FRENCH_SECOND: list[Case] = [
    *_cases("fr", "second set", [
        ("sam 16 à 18h", "when", "2027-01-16T18:00"),
        ("samedi 16/01", "day", "2027-01-16"),
        ("le samedi 16 janvier à 18h00", "when", "2027-01-16T18:00"),
        ("mer. 16 déc. à 14h", "when", "2026-12-16T14:00"),
        ("jeudi 10 à 8h30", "when", "2026-12-10T08:30"),
        ("demain matin vers 10h", "when", "2026-12-03T10:00"),
        ("demain dans la matinée", "when", "2026-12-03T09:00"),
        ("vers midi", "when", "2026-12-02T12:00"),
        ("vers les 15h", "when", "2026-12-02T15:00"),
        ("dans l'après-midi", "when", "2026-12-02T14:00"),
        ("mardi prochain en fin de journée", "when", "2026-12-08T17:00"),
        ("jeudi à 17 heures", "when", "2026-12-03T17:00"),
        ("à 17h30 jeudi", "when", "2026-12-03T17:30"),
        ("10/12 à 9h", "when", "2026-12-10T09:00"),
        ("le 10/12/2026 à 9h", "when", "2026-12-10T09:00"),
        ("10 déc 2026", "day", "2026-12-10"),
        ("le lundi 7 décembre à 14h30", "when", "2026-12-07T14:30"),
        ("dans 10 jours", "day", "2026-12-12"),
        ("dans une semaine", "day", "2026-12-09"),
        ("dans un an", "day", "2027-12-02"),
        ("d'ici deux semaines", "day", "2026-12-16"),
        ("sous huitaine", "day", "2026-12-09"),
        ("sous quinzaine", "day", "2026-12-16"),
        ("mercredi prochain", "day", "2026-12-09"),
        ("vendredi après-midi", "when", "2026-12-04T14:00"),
        ("le vendredi suivant", "day", "2026-12-04"),
        ("vendredi de cette semaine", "day", "2026-12-04"),
        ("en milieu de semaine prochaine", "day", "2026-12-09"),
        ("la semaine du 14", "day", "2026-12-14"),
        ("la semaine du 14 décembre", "when", "2026-12-14T09:00"),
        ("avant la fin du mois", "day", "2026-12-31"),
        ("avant la fin de l'année", "day", "2026-12-31"),
        ("pour vendredi", "day", "2026-12-04"),
        ("pour le 15", "day", "2026-12-15"),
        ("au plus tard le 15", "day", "2026-12-15"),
        ("le 15 au plus tard", "day", "2026-12-15"),
        ("avant le 15", "day", "2026-12-14"),
        ("d'ici le 15", "day", "2026-12-15"),
        ("dix heures et demie", "when", "2026-12-02T10:30"),
        ("à quatorze heures trente", "when", "2026-12-02T14:30"),
        ("demain à huit heures", "when", "2026-12-03T08:00"),
        ("à midi pile", "when", "2026-12-02T12:00"),
        ("à 15h pile", "when", "2026-12-02T15:00"),
        ("1h de l'après-midi", "when", "2026-12-02T13:00"),
        ("dans 2h", "when", "2026-12-02T12:00"),
        ("dans une heure et demie", "when", "2026-12-02T11:30"),
        ("jeudi soir", "when", "2026-12-03T18:00"),
        ("demain soir 20h", "when", "2026-12-03T20:00"),
        ("lundi matin", "past", "2026-11-30"),
        ("vendredi 27", "past", "2026-11-27"),
        ("le 27/11", "past", "2026-11-27"),
        ("27 nov", "past", "2026-11-27"),
        ("il y a une semaine", "past", "2026-11-25"),
        ("il y a 10 jours", "past", "2026-11-22"),
        ("avant-hier après-midi", "past", "2026-11-30"),
        ("samedi dernier au soir", "past", "2026-11-28"),
        ("mercredi de la semaine dernière", "past", "2026-11-25"),
        ("le mercredi d'avant", "past", "2026-11-25"),
        ("en début de semaine", "span", ("2026-11-30", "2026-12-01")),
        ("début de la semaine dernière", "span", ("2026-11-23", "2026-11-24")),
        ("fin du mois dernier", "span", ("2026-11-21", "2026-11-30")),
        ("au début du mois", "span", ("2026-12-01", "2026-12-02")),
        ("ce lundi", "past", "2026-11-30"),
        ("dimanche soir", "past", "2026-11-29"),
        ("vendredi dernier en fin de journée", "past", "2026-11-27"),
        ("la semaine du 16 novembre", "span", ("2026-11-16", "2026-11-22")),
    ]),
]  # fmt: skip

ENGLISH_SECOND: list[Case] = [
    *_cases("en", "second set", [
        ("Fri Jan 15 7:30pm", "when", "2027-01-15T19:30"),
        ("Friday January 15th at 7:30 PM", "when", "2027-01-15T19:30"),
        ("on Friday the 4th", "day", "2026-12-04"),
        ("Monday, Dec 7", "day", "2026-12-07"),
        ("Mon 12/7", "day", "2026-12-07"),
        ("tomorrow at around 3", "when", "2026-12-03T15:00"),
        ("sometime tomorrow", "day", "2026-12-03"),
        ("first thing tomorrow", "when", "2026-12-03T09:00"),
        ("end of day tomorrow", "when", "2026-12-03T17:00"),
        ("EOD friday", "when", "2026-12-04T17:00"),
        ("by end of day", "when", "2026-12-02T17:00"),
        ("next Monday morning", "when", "2026-12-07T09:00"),
        ("monday next week at 10", "when", "2026-12-07T10:00"),
        ("a week from friday", "day", "2026-12-11"),
        ("two weeks from today", "day", "2026-12-16"),
        ("ten days from now", "day", "2026-12-12"),
        ("in a couple of days", "day", "2026-12-04"),
        ("in a few days", "day", None),
        ("the week of december 14", "day", "2026-12-14"),
        ("the end of the week", "day", "2026-12-04"),
        ("mid next week", "day", "2026-12-09"),
        ("the middle of next week", "day", "2026-12-09"),
        ("early next month", "day", "2027-01-04"),
        ("late january", "day", "2027-01-31"),
        ("by the end of next week", "day", "2026-12-11"),
        ("15th", "day", "2026-12-15"),
        ("December 15, 2026", "day", "2026-12-15"),
        ("15 Dec", "day", "2026-12-15"),
        ("12/15/2026", "day", "2026-12-15"),
        ("Wednesday at 3", "when", "2026-12-02T15:00"),
        ("wed at 3", "when", "2026-12-02T15:00"),
        ("thurs 2pm", "when", "2026-12-03T14:00"),
        ("tmrw 10am", "when", "2026-12-03T10:00"),
        ("tonite at 8", "when", "2026-12-02T20:00"),
        ("noonish", "when", "2026-12-02T12:00"),
        ("2.30pm", "when", "2026-12-02T14:30"),
        ("half three", "when", "2026-12-02T15:30"),
        ("at 3pm sharp", "when", "2026-12-02T15:00"),
        ("yesterday afternoon", "past", "2026-12-01"),
        ("on monday", "past", "2026-11-30"),
        ("tuesday", "past", "2026-12-01"),
        ("earlier this week", "span", ("2026-11-30", "2026-12-02")),
        ("a couple of weeks ago", "past", "2026-11-18"),
        ("the other day", "past", None),
        ("last Friday afternoon", "past", "2026-11-27"),
        ("Nov 30", "past", "2026-11-30"),
        ("30 Nov", "past", "2026-11-30"),
        ("on the 30th", "past", "2026-11-30"),
        ("last week tuesday", "past", "2026-11-24"),
        ("the week before last", "span", ("2026-11-16", "2026-11-22")),
        ("at the beginning of the month", "span", ("2026-12-01", "2026-12-02")),
        ("at the end of last month", "span", ("2026-11-21", "2026-11-30")),
    ]),
]  # fmt: skip

FRENCH_THIRD: list[Case] = [
    *_cases("fr", "third set", [
        ("maintenant", "past", "2026-12-02"),
        ("dès demain", "day", "2026-12-03"),
        ("dès demain 8h", "when", "2026-12-03T08:00"),
        ("lundi à 9h00", "when", "2026-12-07T09:00"),
        ("lun 9h", "when", "2026-12-07T09:00"),
        ("lundi 09:00", "when", "2026-12-07T09:00"),
        ("3/12 15h", "when", "2026-12-03T15:00"),
        ("03/12", "day", "2026-12-03"),
        ("mar 8", "day", "2026-12-08"),
        ("mar. 8 déc.", "day", "2026-12-08"),
        ("15 mar", "day", "2027-03-15"),
        ("sam. 5 déc. 10h", "when", "2026-12-05T10:00"),
        ("demain 18.30", "when", None),
        ("demain en soirée", "when", "2026-12-03T18:00"),
        ("demain dans l'après-midi", "when", "2026-12-03T14:00"),
        ("à partir de lundi", "day", None),
        ("le 15 ou le 16", "day", None),
        ("du 14 au 18 décembre", "day", None),
        ("entre 9h et 11h", "when", None),
        ("à Noël", "day", "2026-12-25"),
        ("Noël", "past", None),  # a surname too: "appel Marc Noël"
        ("Le Cinq", "when", None),  # a restaurant, not the 5th
        ("Hôtel Le Premier", "past", None),
        ("avant Noël", "day", "2026-12-24"),
        ("le jour de l'an", "day", "2027-01-01"),
        ("la Saint-Valentin", "day", "2027-02-14"),
        ("la Toussaint", "past", "2026-11-01"),
        ("lundi de Pâques", "day", "2027-03-29"),
        ("d'ici ce soir", "when", "2026-12-02T18:00"),
        ("aujourd'hui même", "day", "2026-12-02"),
        ("dans la journée", "when", "2026-12-02T11:00"),
        ("le mois d'après", "day", "2027-01-02"),
        ("la semaine d'après", "day", "2026-12-09"),
        ("vendredi prochain à 11h30", "when", "2026-12-04T11:30"),
        ("vendredi 4 décembre 2026", "day", "2026-12-04"),
        ("4 décembre", "when", "2026-12-04T09:00"),
        ("le 4 déc. à 15 h", "when", "2026-12-04T15:00"),
        ("à 9 heures demain", "when", "2026-12-03T09:00"),
        ("demain à 14 heures 30", "when", "2026-12-03T14:30"),
        ("demain 14h30 environ", "when", "2026-12-03T14:30"),
        ("jeudi ou vendredi", "when", None),
        ("il y a trois semaines", "past", "2026-11-11"),
        ("il y a deux mois", "past", "2026-10-02"),
        ("avant-hier vers 17h", "past", "2026-11-30"),
        ("mardi dernier vers midi", "past", "2026-12-01"),
        ("le 30 novembre", "past", "2026-11-30"),
        ("30/11/2026", "past", "2026-11-30"),
        ("dimanche 29 novembre", "past", "2026-11-29"),
        ("le week-end", "span", ("2026-11-28", "2026-11-29")),
        ("les trois derniers jours", "span", None),
        ("hier ou avant-hier", "past", None),
    ]),
]  # fmt: skip

ENGLISH_THIRD: list[Case] = [
    *_cases("en", "third set", [
        ("now", "past", "2026-12-02"),
        ("right now", "past", "2026-12-02"),
        ("Dec. 3rd", "day", "2026-12-03"),
        ("3rd of December", "day", "2026-12-03"),
        ("December the 3rd", "day", "2026-12-03"),
        ("the 3rd of Dec at 5", "when", "2026-12-03T17:00"),
        ("Thursday 12/3", "day", "2026-12-03"),
        ("12/3 at 5pm", "when", "2026-12-03T17:00"),
        ("in 3 weeks' time", "day", "2026-12-23"),
        ("a week today", "day", "2026-12-09"),
        ("monday week", "day", "2026-12-14"),
        ("a week on monday", "day", "2026-12-14"),
        ("tomorrow week", "day", "2026-12-10"),
        ("next mon", "day", "2026-12-07"),
        ("last thurs", "past", "2026-11-26"),
        ("Tues. 10am", "when", "2026-12-08T10:00"),
        ("Mar 8", "day", "2027-03-08"),
        ("2pm tomorrow", "when", "2026-12-03T14:00"),
        ("tomorrow, 2pm", "when", "2026-12-03T14:00"),
        ("tomorrow @ 2pm", "when", "2026-12-03T14:00"),
        ("monday or tuesday", "when", None),
        ("from monday", "day", None),
        ("between 9 and 11", "when", None),
        ("christmas", "day", "2026-12-25"),
        ("christmas eve", "day", "2026-12-24"),
        ("new year's day", "day", "2027-01-01"),
        ("new year's eve", "day", "2026-12-31"),
        ("valentine's day", "day", "2027-02-14"),
        ("thanksgiving", "past", "2026-11-26"),
        ("easter monday", "day", "2027-03-29"),
        ("before christmas", "day", "2026-12-24"),
        ("by tonight", "when", "2026-12-02T18:00"),
        ("later today", "when", None),
        ("this time next week", "day", None),
        ("next friday 11:30am", "when", "2026-12-04T11:30"),
        ("friday, december 4, 2026", "day", "2026-12-04"),
        ("dec 4 at 3", "when", "2026-12-04T15:00"),
        ("at 9 tomorrow", "when", "2026-12-03T09:00"),
        ("tomorrow at 2:30", "when", "2026-12-03T14:30"),
        ("three weeks ago", "past", "2026-11-11"),
        ("two months ago", "past", "2026-10-02"),
        ("last tuesday at noon", "past", "2026-12-01"),
        ("11/30/2026", "past", "2026-11-30"),
        ("sunday november 29", "past", "2026-11-29"),
        ("the weekend", "span", ("2026-11-28", "2026-11-29")),
        ("the last 3 days", "span", None),
        ("yesterday or the day before", "past", None),
    ]),
]  # fmt: skip

CORPUS: list[Case] = FRENCH + ENGLISH + FRENCH_SECOND + ENGLISH_SECOND + FRENCH_THIRD + ENGLISH_THIRD


def read(case: Case) -> object:
    """What Carnet reads for a case, with the function its kind names."""
    languages = (case.language, "en" if case.language == "fr" else "fr")
    today = case.now.date()
    if case.kind == "past":
        return parse_past_day(case.phrase, today=today, languages=languages)
    if case.kind == "span":
        return past_span(case.phrase, today=today, languages=languages)
    if case.kind == "day":
        return parse_future_day(case.phrase, today=today, languages=languages)
    return parse_when(case.phrase, now_local=case.now, languages=languages)


def score(cases: Iterable[Case]) -> dict[str, Counter]:
    """Per language: how many cases were read right, refused (None) and read wrong."""
    tally: dict[str, Counter] = {}
    for case in cases:
        found = read(case)
        outcome = "right" if found == case.expected else "refused" if found is None else "wrong"
        tally.setdefault(case.language, Counter())[outcome] += 1
    return tally


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c.language}-{c.kind}-{c.phrase}" for c in CORPUS])
def test_never_a_wrong_day(case: Case) -> None:
    found = read(case)
    assert found is None or found == case.expected


def test_corpus_is_large_enough() -> None:
    assert len(FRENCH) >= 150
    assert len(ENGLISH) >= 120


def test_share_read_right() -> None:
    tally = score(CORPUS)
    for language, goal in (("fr", 0.90), ("en", 0.85)):
        counts = tally[language]
        assert counts["wrong"] == 0
        assert counts["right"] / sum(counts.values()) >= goal, (language, dict(counts))
