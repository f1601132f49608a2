"""The review pack as Replies: the manager's one pack (their reps, those at risk first) and each
rep's own brief — the same facts, one section per rep. Built by the scheduler before the period
ends and by ``carnet report review`` in the terminal."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from bot.core import Reply, Text
from bot.messages import format_day, format_money, label, translate
from bot.present import Reader
from bot.present.cockpit import money_text, pack_charts
from bot.present.reports import REVIEW_LISTED, _listed, _pct
from bot.reports.money import Converted
from bot.reports.review import Deal, RepReview, ReviewPack


# Babel formats an amount in ~0.2 ms and a pack of 50 reps with their briefs writes some 1,500
# (the same amounts in the pack and in each brief): each distinct one is formatted once.
_money = lru_cache(maxsize=8192)(format_money)


def pack_reply(reader: Reader, pack: ReviewPack) -> Reply:
    """The manager's pack: a title counting the reps and those at risk, then one section per rep."""
    lines = [Text("review_pack.title", {"count": len(pack.reps), "at_risk": pack.at_risk})]
    for review in pack.reps:
        lines += rep_section(reader, review, pack.currency, group=f"rep{review.brief.member_id}")
    return Reply(locale=reader.locale, lines=lines, attachments=pack_charts(reader, pack))


def brief_reply(reader: Reader, review: RepReview, currency: str) -> Reply:
    """The rep's own brief: the pack's section about them, nobody else's."""
    brief = review.brief
    lines = [Text("review.title", {"name": brief.name, "end": format_day(reader.locale, brief.period_end)})]
    return Reply(locale=reader.locale, lines=lines + rep_section(reader, review, currency, heading=False))


def _deals(reader: Reader, deals: list[Deal]) -> str:
    shown = []
    for d in deals[:REVIEW_LISTED]:
        text = f"{d.account} — {d.title} ({_money(reader.locale, d.amount, d.currency)}"
        if d.reason:
            text += f", {d.reason}"
        if d.day:
            text += f", {format_day(reader.locale, d.day)}"
        shown.append(text + ")")
    return ", ".join(shown)


def _counts(reader: Reader, kind: str, counts: dict[str, int]) -> str:
    return ", ".join(f"{label(reader.locale, kind, k)} {n}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "—"


def _won_and_closing(loc: str, brief, currency: str) -> dict[str, str]:
    """A brief's won and weighted closing, each with what has no rate beside it."""
    return {"won": money_text(loc, Converted(brief.won, currency, brief.won_aside)),
            "closing": money_text(loc, Converted(brief.closing, currency, brief.closing_aside))}


def rep_section(reader: Reader, review: RepReview, currency: str, *, heading: bool = True, group: str | None = None) -> list[Text]:
    """One rep's facts, each with its number, and the talking points drawn from them."""
    loc = reader.locale
    money = lambda amount: _money(loc, amount, currency)  # noqa: E731
    brief = review.brief
    period = {"start": format_day(loc, brief.period_start), "end": format_day(loc, brief.period_end)}
    lines: list[Text] = []
    if heading:
        lines.append(Text("review_pack.rep_at_risk" if review.at_risk else "review_pack.rep", {"name": brief.name, **period}))
    for goal in review.goals:
        shown = ((money_text(loc, Converted(goal.achieved, currency, brief.won_aside)), money(goal.target))
                 if goal.metric == "revenue" else (f"{goal.achieved:.0f}", f"{goal.target:.0f}"))
        lines.append(Text("review_pack.goal", {
            "metric": translate(loc, f"goals.metric.{goal.metric}"), "achieved": shown[0], "target": shown[1],
            "ratio": _pct(reader, goal.ratio), "projected": _pct(reader, goal.projected),
        }))
    if not review.goals:
        lines.append(Text("review.no_objective", _won_and_closing(loc, brief, currency)))
    lines.append(Text("review_pack.activity", {
        "count": review.actions, "types": _counts(reader, "action_type", review.by_type),
        "channels": _counts(reader, "channel", review.by_channel),
    }))
    lines.append(Text("review_pack.plan", {"done": brief.visits_done, "planned": brief.visits_planned}))
    if review.relances_due:
        lines.append(Text("review_pack.relances", {"missed": review.relances_missed, "due": review.relances_due}))
    closed = review.conversion.won + review.conversion.lost
    if closed:
        lines.append(Text("review_pack.conversion", {"closed": closed, "won": review.conversion.won, "rate": _pct(reader, review.conversion.rate)}))
    if review.lost:
        lines.append(_listed("review_pack.lost", "deals", _deals(reader, review.lost), review.lost_total - REVIEW_LISTED))
    if review.late:
        lines.append(_listed("review_pack.late", "deals", _deals(reader, review.late), review.late_total - REVIEW_LISTED))
    if brief.stalled:
        deals = ", ".join(f"{d.account} — {d.title} ({translate(loc, 'review_pack.idle', count=d.idle_days)})" for d in brief.stalled[:REVIEW_LISTED])
        lines.append(_listed("review.stalled", "deals", deals, max(brief.stalled_total, len(brief.stalled)) - REVIEW_LISTED))
    if brief.under_visited_gold:
        names = ", ".join(f"{name} ({done}/{capital})" for name, done, capital in brief.under_visited_gold[:REVIEW_LISTED])
        lines.append(_listed("review.gold", "accounts", names, len(brief.under_visited_gold) - REVIEW_LISTED))
    if brief.over_visited:
        names = ", ".join(f"{name} ({done}/{due})" for name, done, due in brief.over_visited[:REVIEW_LISTED])
        lines.append(_listed("review.over_visited", "accounts", names, len(brief.over_visited) - REVIEW_LISTED))
    if brief.flat_probabilities:
        deals = ", ".join(f"{account} — {title} ({label(loc, 'stage', stage)}, {_pct(reader, p / 100)})" for title, account, stage, p in brief.flat_probabilities[:REVIEW_LISTED])
        lines.append(_listed("review.flat", "deals", deals, max(brief.flat_total, len(brief.flat_probabilities)) - REVIEW_LISTED))
    if review.trend:
        periods = " · ".join(
            translate(loc, "review_pack.trend_period", start=format_day(loc, t.start), won=money_text(loc, Converted(t.won, currency, t.won_aside)), count=t.actions)
            for t in review.trend
        )
        lines.append(Text("review_pack.trend", {"periods": periods}))
    lines.append(Text("review.points_title"))
    for kind, values in review.points:
        shown = dict(values)
        if "projected" in shown:
            shown["projected"] = _pct(reader, float(shown["projected"]))
        if "rate" in shown:
            shown["rate"] = _pct(reader, float(shown["rate"]))
        if "gap" in shown:
            shown["gap"] = money(Decimal(shown["gap"]))
        lines.append(Text(f"review_pack.point.{kind}", {**shown, **period}))
    if group:
        lines = [Text(t.key, t.values, group) for t in lines]
    return lines
