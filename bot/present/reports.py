"""The managers' reports as Replies: the weekly digest (with its chart), the end-of-period review
brief, the team's period summary. Built by the scheduler for Monday's digests and the period's
briefs and summaries, and by ``/carnet digest`` for a preview."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent

from bot.core import Attachment, Reply, Text
from bot.messages import counted, format_day, format_money, label, translate
from bot.present import Reader
from bot.present.agenda import drift_reasons
from bot.present.cockpit import digest_charts, money_text
from bot.present.goals import progress_summary
from bot.reports.coaching import PeriodSummary, ReviewBrief, WeeklyDigest
from bot.reports.money import Converted


def _pct(reader: Reader, ratio: float | None) -> str:
    if ratio is None:
        return "—"
    # The locale's own pattern: "80 %" (no-break space) in French, "80%" in English.
    return format_percent(ratio, locale=reader.locale)


def digest_reply(reader: Reader, digest: WeeklyDigest) -> Reply:
    """The manager's weekly digest: the week in figures, each rep, the wins, the risks; its chart
    goes with it as an attachment."""
    money = lambda amount: format_money(reader.locale, amount, digest.currency)  # noqa: E731
    # A total beside what it leaves out (a currency without a rate): "12 000 € + 2 000 $US (sans taux de change)".
    total = lambda amount, aside: money_text(reader.locale, Converted(amount, digest.currency, aside))  # noqa: E731
    lines = [
        Text("digest.title", {"start": format_day(reader.locale, digest.week_start), "end": format_day(reader.locale, digest.week_end)}),
        Text(
            "digest.flash",
            {
                "actions": digest.actions,
                "visits": digest.visits,
                "new": digest.new_opportunities,
                "won": total(digest.won_amount, digest.won_aside),
                "pipeline": total(digest.weighted_pipeline, digest.pipeline_aside),
            },
        ),
        Text(
            "digest.changes",
            {
                "actions_delta": f"{digest.actions - digest.actions_before:+d}",
                "won_delta": ("+" if digest.won_amount >= digest.won_before else "−")
                + money(abs(digest.won_amount - digest.won_before)),
                "won_deals": counted(reader.locale, len(digest.won_deals), "deals_won"),
                "lost_deals": counted(reader.locale, digest.lost_deals, "deals_lost"),
            },
        ),
        Text("digest.reps_title"),
    ]
    lines += _rep_lines(reader, digest, money, total)
    if digest.intensity_by_rep:
        lines.append(_intensity_line(reader, digest))
    if digest.overdue_deals:
        lines.append(Text("digest.past_close", {"count": digest.overdue_deals, "amount": money(digest.overdue_amount)}))
    if digest.teams:  # N+1: each team below the reader, summed
        lines.append(Text("digest.teams_title"))
        lines += [Text("digest.team_line", {"name": t.manager, "count": t.people, "actions": t.actions, "visits": t.visits,
                                            "won": total(t.won, t.won_aside), "pipeline": total(t.weighted_pipeline, t.pipeline_aside)}, "teams")
                  for t in digest.teams]
    if digest.won_deals:
        lines.append(Text("digest.wins_title"))
        # The biggest wins first: when a message cannot show them all, those are the ones kept.
        for rep, account, title, amount in sorted(digest.won_deals, key=lambda win: -win[3]):
            lines.append(Text("digest.win_line", {"rep": rep, "account": account, "title": title, "amount": money(amount)}, "wins"))
    lines.append(Text("digest.risks_title" if digest.risks else "digest.no_risk"))
    for risk in digest.risks:
        lines.append(replace(risk_text(reader, risk.kind, risk.name, risk.values), group="risks"))
    lines += _clients_kept_lines(reader, digest)
    return Reply(locale=reader.locale, lines=lines, attachments=[chart_attachment(reader, digest), *digest_charts(reader, digest)])


def _clients_kept_lines(reader: Reader, digest: WeeklyDigest) -> list[Text]:
    """Clients drifting away (the top ones, and how many in all) and the segment hints: the
    manager's private digest only (rep-level detail)."""
    lines: list[Text] = []
    if digest.drifting:
        lines.append(Text("digest.drifting_title", {"count": digest.drifting_total}))
        lines += [Text("digest.drifting_line", {"rep": rep, "account": d.name, "reasons": drift_reasons(reader.locale, d)},
                       "drifting") for rep, d in digest.drifting]
    if digest.requalify:
        lines.append(Text("digest.requalify_title"))
        lines += [Text(f"digest.requalify.{q.suggestion}", {"rep": rep, "account": q.name, "recent": q.active_recent,
                                                             "before": q.active_before}, "requalify")
                  for rep, q in digest.requalify]
    return lines


def _rep_lines(reader: Reader, digest: WeeklyDigest, money: Any, total: Any) -> list[Text]:
    """One line per rep of the digest, and under it their goals (both in the "reps" list)."""
    lines: list[Text] = []
    for rep in digest.reps:
        lines.append(
            Text(
                "digest.rep_line",
                {
                    "name": rep.name,
                    "actions": rep.actions,
                    # One definition for every rep: in-person actions logged / in-person visits planned.
                    "visits": rep.visits,
                    "planned": rep.planned_visits or "—",
                    "pipeline": total(rep.weighted_pipeline, rep.pipeline_aside),
                    "won": total(rep.won, rep.won_aside),
                    "attainment": _pct(reader, rep.attainment),
                },
                group="reps",
            )
        )
        goals = progress_summary(reader, rep.goals, digest.currency)
        if goals:
            lines.append(Text("digest.goals", {"goals": goals}, group="reps"))
    return lines


INTENSITY_REPS_SHOWN = 10


def _intensity_line(reader: Reader, digest: WeeklyDigest) -> Text:
    """The team's contacts weighted by channel, then each rep's (issue 15) when they are few (the
    rep lines carry the rest: a long team must not push the wins and risks out of the message)."""
    number = lambda value: format_decimal(value, format="#,##0.#", locale=reader.locale)  # noqa: E731
    if len(digest.intensity_by_rep) > INTENSITY_REPS_SHOWN:
        return Text("digest.intensity", {"value": number(digest.intensity)})
    reps = " · ".join(
        translate(reader.locale, "digest.intensity_rep", name=name, value=number(value)) for name, value in digest.intensity_by_rep
    )
    return Text("digest.intensity", {"value": f"{number(digest.intensity)} ({reps})"})


def risk_text(reader: Reader, kind: str, name: str, values: dict) -> Text:
    """One risk of the digest, its ratio and day written for the reader."""
    shown = dict(values)
    if "projected" in shown:
        shown["projected"] = _pct(reader, float(shown["projected"]))
    if "end" in shown:
        shown["end"] = format_day(reader.locale, date.fromisoformat(str(shown["end"])))
    return Text(f"risk.{kind}", {"name": name, **shown})


def chart_data(reader: Reader, digest: WeeklyDigest) -> dict:
    """What the digest's PNG shows (attainment per rep, the team's pipeline by stage), as plain
    JSON data in the manager's language: ``bot.render.charts.digest_chart_from_data`` draws it."""
    return {
        "attainment": [[rep.name, rep.attainment] for rep in digest.reps],
        "stages": [[label(reader.locale, "stage", stage), float(raw), float(weighted)] for stage, raw, weighted in digest.stages],
        "titles": [translate(reader.locale, "digest.chart_attainment"), translate(reader.locale, "digest.chart_pipeline")],
        "locale": reader.locale,
        "currency": digest.currency,
    }


def chart_attachment(reader: Reader, digest: WeeklyDigest) -> Attachment:
    """The digest's chart (attainment per rep, the team's pipeline by stage), drawn from
    ``chart_data`` only when it is sent (``bot/render/files.py``)."""
    return Attachment(
        "chart",
        filename=f"carnet-digest-{digest.week_start.isoformat()}.png",
        title=translate(reader.locale, "digest.chart_title", start=format_day(reader.locale, digest.week_start)),
        data=chart_data(reader, digest),
    )


def review_reply(reader: Reader, brief: ReviewBrief, *, for_manager: bool) -> Reply:
    """The end-of-period brief: where the rep stands, what could still move, what to talk about."""
    money = lambda amount: format_money(reader.locale, amount, brief.currency)  # noqa: E731
    won = money_text(reader.locale, Converted(brief.won, brief.currency, brief.won_aside))
    closing = money_text(reader.locale, Converted(brief.closing, brief.currency, brief.closing_aside))
    key = "review.title_manager" if for_manager else "review.title"
    lines = [Text(key, {"name": brief.name, "end": format_day(reader.locale, brief.period_end)})]
    if brief.target:
        lines.append(
            Text(
                "review.attainment",
                {
                    "won": won,
                    "target": money(brief.target),
                    "attainment": _pct(reader, brief.attainment),
                    "projected": _pct(reader, brief.projected),
                    "closing": closing,
                },
            )
        )
    else:
        lines.append(Text("review.no_objective", {"won": won, "closing": closing}))
    lines.append(Text("review.activity", {"done": brief.visits_done, "planned": brief.visits_planned}))
    if brief.under_visited_gold:
        names = ", ".join(f"{name} ({done}/{capital})" for name, done, capital in brief.under_visited_gold[:REVIEW_LISTED])
        lines.append(_listed("review.gold", "accounts", names, len(brief.under_visited_gold) - REVIEW_LISTED))
    if brief.over_visited:
        names = ", ".join(f"{name} ({done}/{due})" for name, done, due in brief.over_visited[:REVIEW_LISTED])
        lines.append(_listed("review.over_visited", "accounts", names, len(brief.over_visited) - REVIEW_LISTED))
    if brief.stalled:
        deals = ", ".join(f"{d.account} — {d.title} ({d.idle_days} j)" if reader.locale == "fr" else f"{d.account} — {d.title} ({d.idle_days} d)" for d in brief.stalled[:REVIEW_LISTED])
        lines.append(_listed("review.stalled", "deals", deals, max(brief.stalled_total, len(brief.stalled)) - REVIEW_LISTED))
    if brief.flat_probabilities:
        deals = ", ".join(f"{account} — {title} ({label(reader.locale, 'stage', stage)}, {_pct(reader, probability / 100)})" for title, account, stage, probability in brief.flat_probabilities[:REVIEW_LISTED])
        lines.append(_listed("review.flat", "deals", deals, max(brief.flat_total, len(brief.flat_probabilities)) - REVIEW_LISTED))
    lines.append(Text("review.points_title"))
    points = brief.talking_points or ["none"]
    for kind in points:
        lines.append(Text(f"review.point.{kind}", {"end": format_day(reader.locale, brief.period_end)}))
    if len(points) < 2 and brief.won > 0:  # only when something was won
        lines.append(Text("review.point.wins"))
    return Reply(locale=reader.locale, lines=lines)


REVIEW_LISTED = 5  # accounts or deals named in one line of a brief; the others are counted


def _listed(key: str, name: str, listed: str, more: int) -> Text:
    """A brief's line naming the first few; with ``more`` left, the ``<key>_more`` sentence counts them."""
    if more <= 0:
        return Text(key, {name: listed})
    return Text(f"{key}_more", {name: listed, "count": more})


def summary_reply(reader: Reader, summary: PeriodSummary, *, show_amounts: bool) -> Reply:
    """For the team channel: the team's objectives and its wins. No individual figure but wins."""
    money = lambda amount: format_money(reader.locale, amount, summary.currency)  # noqa: E731
    lines = [
        Text("summary.title", {"start": format_day(reader.locale, summary.period_start), "end": format_day(reader.locale, summary.period_end)})
    ]
    for metric in ("revenue", "won_deals", "new_opportunities", "visits"):
        if metric not in summary.team_targets:
            continue
        target = summary.team_targets[metric]
        achieved = summary.team_achieved.get(metric, Decimal(0))
        shown = (money(achieved), money(target)) if metric == "revenue" else (f"{achieved:.0f}", f"{target:.0f}")
        if metric == "revenue" and not show_amounts:
            shown = ("", "")
        ratio = float(achieved / target) if target else None
        lines.append(
            Text(
                "summary.progress_amounts" if all(shown) else "summary.progress",
                {"metric": translate(reader.locale, f"goals.metric.{metric}"), "achieved": shown[0], "target": shown[1], "ratio": _pct(reader, ratio)},
            )
        )
    if summary.wins:
        lines.append(Text("summary.wins_title", {"count": len(summary.wins)}))
        for rep, account, title, amount in summary.wins:
            key = "summary.win_line" if show_amounts else "summary.win_line_no_amount"
            lines.append(Text(key, {"rep": rep, "account": account, "title": title, "amount": money(amount)}))
    lines.append(Text("summary.thanks"))
    return Reply(locale=reader.locale, lines=lines)
