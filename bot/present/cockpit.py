"""The manager's cockpit charts as attachments (issue 14), and money that may hold currencies
without a rate, written for a reader.

The Monday digest carries attainment (so far and projected, with the time elapsed), the trend of
the last weeks (won, actions) and the stage funnel; the review pack carries attainment, the funnel
and the activity mix. Each is one PNG attachment whose data (``bot/render/charts.py`` builders,
plain JSON with its alt text in the reader's language) is drawn only when the file is sent.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from bot.core import Attachment
from bot.messages import format_day, format_money, label, translate
from bot.present import Reader
from bot.reports.coaching import WeeklyDigest
from bot.reports.kpis import FUNNEL_STAGES
from bot.reports.money import Converted
from bot.reports.review import ReviewPack


def money_text(locale: str, value: Converted) -> str:
    """``12 000 €``, or with currencies that have no rate each apart: ``12 000 € + 2 000 $US (sans taux de change)``."""
    if value.complete:
        return format_money(locale, value.amount, value.currency)
    parts = " + ".join(format_money(locale, amount, currency) for amount, currency in value.parts())
    return translate(locale, "money.unconverted", amounts=parts)


def unconverted_text(locale: str, unconverted: dict[str, Decimal]) -> str:
    """Only the amounts without a rate, each in its currency: ``2 000 $US (sans taux de change)``; "" for none."""
    shown = [(amount, currency) for currency, amount in sorted(unconverted.items()) if amount]
    if not shown:
        return ""
    return translate(locale, "money.unconverted", amounts=" + ".join(format_money(locale, a, c) for a, c in shown))


def _chart(reader: Reader, kind: str, day: date, data: dict) -> Attachment:
    return Attachment(
        "chart",
        filename=f"carnet-{kind}-{day.isoformat()}.png",
        title=translate(reader.locale, "cockpit.file", chart=data["title"], start=format_day(reader.locale, day)),
        data=data,
    )


def _elapsed(start: date, end: date, today: date) -> float:
    return min(max(((today - start).days + 1) / ((end - start).days + 1), 0.0), 1.0)


def digest_charts(reader: Reader, digest: WeeklyDigest) -> list[Attachment]:
    """The Monday digest's cockpit: attainment with projection, the weeks' trend, the funnel."""
    from bot.render.charts import attainment_data, funnel_data, trend_data  # matplotlib: loaded only when charts are made
    loc = reader.locale
    attainment = attainment_data(
        [(rep.name, rep.attainment, rep.projected) for rep in digest.reps],
        elapsed=digest.elapsed, title=translate(loc, "cockpit.attainment"), locale=loc,
    )
    weeks = len(digest.trend)
    left_aside: dict[str, Decimal] = Counter()
    for _day, won, _actions in digest.trend:
        left_aside.update(won.unconverted)
    trend = trend_data(
        [(day, won.amount, actions) for day, won, actions in digest.trend],
        title=translate(loc, "cockpit.trend", count=weeks), locale=loc, currency=digest.currency,
        note=unconverted_text(loc, dict(left_aside)),
    )
    funnel = funnel_data(
        [(label(loc, "stage", stage), count) for stage, count in digest.funnel],
        title=translate(loc, "cockpit.funnel_weeks", count=weeks), locale=loc,
    )
    day = digest.week_start
    return [_chart(reader, "attainment", day, attainment), _chart(reader, "trend", day, trend), _chart(reader, "funnel", day, funnel)]


def pack_charts(reader: Reader, pack: ReviewPack) -> list[Attachment]:
    """The review pack's cockpit: attainment with projection, the funnel, the activity mix (its reps together)."""
    if not pack.reps:
        return []
    from bot.render.charts import activity_mix_data, attainment_data, funnel_data  # matplotlib: loaded only here
    loc = reader.locale
    briefs = [r.brief for r in pack.reps]
    periods = Counter((b.period_start, b.period_end) for b in briefs)
    start, end = periods.most_common(1)[0][0]
    attainment = attainment_data(
        [(b.name, b.attainment, b.projected) for b in briefs],
        elapsed=_elapsed(start, end, reader.today), title=translate(loc, "cockpit.attainment"), locale=loc,
    )
    steps: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for review in pack.reps:
        steps.update(review.funnel)
        types.update(review.by_type)
    funnel = funnel_data([(label(loc, "stage", s), steps[s]) for s in FUNNEL_STAGES], title=translate(loc, "cockpit.funnel_period"), locale=loc)
    mix = activity_mix_data([(label(loc, "action_type", t), n) for t, n in types.items()],
                            title=translate(loc, "cockpit.mix"), locale=loc)
    return [_chart(reader, "review-attainment", start, attainment), _chart(reader, "review-funnel", start, funnel),
            _chart(reader, "review-activity", start, mix)]
