"""How long the free-text reader takes per message (issue 13 §4).

    python benchmarks/freetext.py                 # 2,000 rounds over the phrase set
    python benchmarks/freetext.py --rounds 200

Reads a fixed set of French and English messages (short and long, with and without dates,
amounts, contacts, relances) with ``bot.grammar.freetext.read_message`` — the pure reader, no
database — and prints the median, p95 and max microseconds per message, overall and for each
message. The first reading of each message is left out (dateparser loads its language data then).
The dialog's account lookup (one indexed query) is not in these figures.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime

from bot.grammar.freetext import read_message
from bot.grammar.when import warm_up

NOW = datetime(2026, 11, 23, 10, 0)
MESSAGES = (
    "vu Gamma ce matin avec Mme Z (ingénieur), ils veulent une proposition à 12k pour fin janvier",
    "called Alpha Industries yesterday, no need for now, follow up in 3 months",
    "appelé Beta hier, pas intéressé",
    "passé chez Delta Logistique hier, rdv pris pour mardi prochain avec M. Martin",
    "relancer Gamma dans 2 semaines",
    "visite Omega demain 10h",
    "met with the buyer Jane Doe at Acme Corp on Friday, they want a quote for $8k by end of December",
    "rdv Gamma Industries lundi dernier, devis envoyé 25 000 € HT closing fin décembre",
    "Spoke to Mrs Brown (CEO) at Globex yesterday — send the brochure",
    "bonjour",
    "visio avec l'acheteuse de Beta, à rappeler dans 10 jours, ils hésitent encore entre nous et un concurrent "
    "qui propose moins cher mais sans maintenance, budget validé au T2 -- à suivre de près",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="readings of each message (default 2000)")
    args = parser.parse_args()
    warm_up()
    for text in MESSAGES:
        read_message(text, now_local=NOW)
    timings: dict[str, list[float]] = {text: [] for text in MESSAGES}
    for _ in range(args.rounds):
        for text in MESSAGES:
            start = time.perf_counter()
            read_message(text, now_local=NOW)
            timings[text].append((time.perf_counter() - start) * 1e6)
    every = [t for values in timings.values() for t in values]
    print(f"{len(MESSAGES)} messages x {args.rounds} rounds: median {statistics.median(every):.0f} µs, "
          f"p95 {statistics.quantiles(every, n=20)[-1]:.0f} µs, max {max(every):.0f} µs per message")
    for text, values in timings.items():
        print(f"  {statistics.median(values):7.0f} µs  {text[:70]}")


if __name__ == "__main__":
    main()
