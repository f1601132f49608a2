"""Median µs per phrase for the date reader, the /log and /plan lines that carry one, and free text.

    python benchmarks/parse.py              # every phrase of the corpus, 5 rounds
    python benchmarks/parse.py --rounds 20

Phrases: the evaluation corpus of ``tests/grammar/test_when_corpus.py`` (issue 13 §2).
Rows:

- ``past day``: :func:`parse_past_day` on the corpus's past phrases, and ``future when``:
  :func:`parse_when` on its planning phrases — first with the reader's caches emptied before
  each phrase (a phrase never seen: what a member's new line costs), then warm (the /log and
  /plan grammars try the same trailing words several times);
- ``/log line`` and ``/plan line``: the whole grammar on "visite Gamma Industries <phrase>",
  which tries every trailing run of up to 8 words as a date (caches emptied before each);
- ``message``: the free-text reader (:func:`bot.grammar.freetext.read_message`, issue 13 §4) on
  "vu Gamma Industries <phrase>, ils veulent une proposition à 12k" (caches emptied before each),
  and ``messages`` on :data:`MESSAGES`, messages as reps write them, both languages.

It also prints the share of the corpus read right, per language. Exit status 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.grammar import when, when_phrases  # noqa: E402
from bot.grammar.freetext import read_message  # noqa: E402
from bot.grammar.log import parse_log  # noqa: E402
from bot.grammar.plan import parse_plan  # noqa: E402
from tests.grammar.test_when_corpus import CORPUS, Case, score  # noqa: E402


# Messages written to Carnet as to a colleague (the two examples first), each with its language.
MESSAGES: tuple[tuple[str, str], ...] = (
    ("fr", "vu Gamma ce matin avec Mme Z (ingénieur), ils veulent une proposition à 12k pour fin janvier"),
    ("en", "called Alpha Industries yesterday, no need for now, follow up in 3 months"),
    ("fr", "appelé Beta hier, pas intéressé"),
    ("fr", "passé chez Delta Logistique hier, rdv pris pour mardi prochain avec M. Martin"),
    ("fr", "relancer Gamma dans 2 semaines"),
    ("fr", "visite Omega demain 10h"),
    ("en", "met with the buyer Jane Doe at Acme Corp on Friday, they want a quote for $8k by end of December"),
    ("fr", "rdv Gamma Industries lundi dernier, devis envoyé 25 000 € HT closing fin décembre"),
    ("en", "Spoke to Mrs Brown (CEO) at Globex yesterday — send the brochure"),
    ("en", "visited Hooli, about $8k for Q1"),
    ("fr", "visio avec l'acheteuse de Beta, à rappeler dans 10 jours, ils hésitent encore entre nous et un "
           "concurrent qui propose moins cher mais sans maintenance, budget validé au T2 -- à suivre de près"),
)


def _clear_caches() -> None:
    when_phrases.prepare.cache_clear()
    when_phrases.canonical_day.cache_clear()
    when._split.cache_clear()


def _languages(case: Case) -> tuple[str, str]:
    return (case.language, "en" if case.language == "fr" else "fr")


def _time(cases: list[Case], call: Callable[[Case], object], rounds: int, cold: bool) -> list[float]:
    """Per phrase, the median over ``rounds`` of one call, in µs."""
    medians = []
    for case in cases:
        samples = []
        for _ in range(rounds):
            if cold:
                _clear_caches()
            start = time.perf_counter()
            call(case)
            samples.append((time.perf_counter() - start) * 1e6)
        medians.append(statistics.median(samples))
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    when.warm_up()
    print(f"warm_up (tables and dateparser's data): {(time.perf_counter() - started) * 1000:.0f} ms\n")

    past = [c for c in CORPUS if c.kind in ("past", "span")]
    future = [c for c in CORPUS if c.kind in ("when", "day")]
    rows: list[tuple[str, str, list[float]]] = []
    for language in ("fr", "en"):
        mine_past = [c for c in past if c.language == language]
        mine_future = [c for c in future if c.language == language]

        def past_day(c: Case) -> object:
            return when.parse_past_day(c.phrase, today=c.now.date(), languages=_languages(c))

        def future_when(c: Case) -> object:
            return when.parse_when(c.phrase, now_local=c.now, languages=_languages(c))

        def log_line(c: Case) -> object:
            return parse_log(f"visite Gamma Industries {c.phrase}", today=c.now.date(), languages=_languages(c))

        def plan_line(c: Case) -> object:
            return parse_plan(f"visite Gamma Industries {c.phrase}", now_local=c.now, languages=_languages(c))

        def message(c: Case) -> object:
            text = f"vu Gamma Industries {c.phrase}, ils veulent une proposition à 12k"
            return read_message(text, now_local=c.now, languages=_languages(c))

        rows += [
            ("past day (new phrase)", language, _time(mine_past, past_day, args.rounds, cold=True)),
            ("past day (cached)", language, _time(mine_past, past_day, args.rounds, cold=False)),
            ("future when (new phrase)", language, _time(mine_future, future_when, args.rounds, cold=True)),
            ("future when (cached)", language, _time(mine_future, future_when, args.rounds, cold=False)),
            ("/log line", language, _time(mine_past, log_line, args.rounds, cold=True)),
            ("/plan line", language, _time(mine_future, plan_line, args.rounds, cold=True)),
            ("message", language, _time(mine_past, message, args.rounds, cold=True)),
        ]
        written = [Case(text, language, "message", None, "message") for lang, text in MESSAGES if lang == language]
        rows.append(("messages", language, _time(
            written, lambda c: read_message(c.phrase, now_local=c.now, languages=_languages(c)), args.rounds, cold=True)))

    print(f"{'what':26} {'lang':4} {'phrases':>7} {'median µs':>10} {'p95 µs':>8} {'max µs':>8}")
    for name, language, values in rows:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"{name:26} {language:4} {len(values):7d} {statistics.median(values):10.0f} {p95:8.0f} {ordered[-1]:8.0f}")
        if name in ("/log line", "message"):
            import harness  # only for its figure(): parse.py needs no database

            harness.figure(f"read a {name} ({language}), p95", p95 / 1000)

    print("\nread right on the corpus (refused = None, wrong = a wrong day):")
    for language, counts in sorted(score(CORPUS).items()):
        total = sum(counts.values())
        print(
            f"  {language}: {counts['right']}/{total} = {100 * counts['right'] / total:.1f} %"
            f"  refused {counts['refused']}  wrong {counts['wrong']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
