"""Progress on objectives, written for a reader: the full lines of ``/pipeline`` and the App Home,
and the digest's one-line summary per rep. Data from ``bot.reports.goals``."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent

from bot.core import Text
from bot.messages import format_money, translate
from bot.present import Reader
from bot.reports.goals import GoalsProgress
from bot.reports.kpis import Attainment


def pct(reader: Reader, ratio: float | None) -> str:
    """A ratio as the reader's locale writes a percentage ("80 %" / "80%"), "—" for none."""
    return "—" if ratio is None else format_percent(ratio, locale=reader.locale)


def _figure(reader: Reader, metric: str, value: Decimal, currency: str) -> str:
    return format_money(reader.locale, value, currency) if metric == "revenue" else f"{value:.0f}"


def progress_lines(reader: Reader, progress: GoalsProgress, currency: str) -> list[Text]:
    """Every objective in force (the rep's, then the team's), done / objective, and the composite."""
    if not progress.individual and not progress.collective:
        return []
    lines = [Text("goals.progress_title")]
    for attainments, key in ((progress.individual, "goals.metric"), (progress.collective, "goals.team_metric")):
        for metric, attainment in attainments.items():
            lines.append(_line(reader, translate(reader.locale, f"{key}.{metric}"), metric, attainment, currency))
    if progress.composite is not None and progress.individual and progress.collective:
        lines.append(Text("goals.composite", {"composite": pct(reader, progress.composite), **_weights(progress)}))
    return lines


def _weights(progress: GoalsProgress) -> dict[str, int]:
    return {"individual": progress.weight, "collective": 100 - progress.weight}


def _line(reader: Reader, name: str, metric: str, attainment: Attainment, currency: str) -> Text:
    return Text(
        "goals.progress_line",
        {
            "metric": name,
            "achieved": _figure(reader, metric, attainment.achieved, currency),
            "target": _figure(reader, metric, attainment.target, currency),
            "ratio": pct(reader, attainment.ratio),
        },
    )


def progress_summary(reader: Reader, progress: GoalsProgress | None, currency: str) -> str:
    """The digest's compact form: "revenue won 60 %, visits 45/40 (113 %) — weighted 75 %"."""
    if progress is None or not progress.individual:
        return ""
    parts = []
    for metric, attainment in progress.individual.items():
        name = translate(reader.locale, f"goals.metric.{metric}")
        if metric == "revenue":
            parts.append(f"{name} {pct(reader, attainment.ratio)}")
        else:
            parts.append(f"{name} {attainment.achieved:.0f}/{attainment.target:.0f} ({pct(reader, attainment.ratio)})")
    text = ", ".join(parts)
    if progress.collective and progress.composite is not None:
        text += " — " + translate(reader.locale, "goals.composite_short", composite=pct(reader, progress.composite))
    return text
