"""The early warning, written for the rep or for their manager (each gets their own, privately):
where the period is heading, and what could close the gap. Data from ``bot.reports.warnings``."""

from __future__ import annotations

from datetime import date

from bot.core import Reply, Text
from bot.messages import format_day, format_money, translate
from bot.present import Reader
from bot.present.goals import pct
from bot.reports.warnings import GoalWarning


def warning_reply(reader: Reader, warning: GoalWarning, *, name: str, for_manager: bool) -> Reply:
    """``name``: the rep's. The rep reads "you"; the manager reads the rep's name."""
    money = lambda amount: format_money(reader.locale, amount, warning.currency)  # noqa: E731
    if warning.goals and not warning.revenue_at_risk:  # other goals only: which, then the footer
        lines = [Text("warning.title_goals_manager" if for_manager else "warning.title_goals_rep",
                      {"name": name, "end": format_day(reader.locale, warning.period_end), "count": len(warning.goals)})]
        lines += goal_lines(reader, warning, money)
        if any(g.metric == "visits" for g in warning.goals):
            lines += [Text("warning.visit", {"account": a, "done": d, "capital": c}, group="accounts") for a, d, c in warning.accounts]
        lines.append(Text("warning.footer_manager", {"name": name}) if for_manager else Text("warning.footer_rep"))
        return Reply(locale=reader.locale, lines=lines)
    lines = [
        Text(
            "warning.title_manager" if for_manager else "warning.title_rep",
            {
                "name": name,
                "end": format_day(reader.locale, warning.period_end),
                "projected": pct(reader, warning.projected),
                "won": money(warning.won),
                "target": money(warning.target),
                "closing": money(warning.closing),
            },
        ),
    ]
    others = [g for g in warning.goals if g.metric != "revenue"]
    if others:  # the other goals at risk too, before what could close the revenue gap
        lines.append(Text("warning.also"))
        lines += goal_lines(reader, warning, money, others)
    lines.append(Text("warning.gap", {"gap": money(warning.gap)}))
    for deal in warning.deals:
        lines.append(
            Text(
                "warning.deal",
                {
                    "account": deal.account,
                    "title": deal.title,
                    "amount": money(deal.amount),
                    "probability": pct(reader, deal.probability / 100),
                    "weighted": money(deal.weighted),
                    "close": format_day(reader.locale, deal.close) if deal.close else "—",
                },
                group="deals",
            )
        )
    if not warning.deals:
        lines.append(Text("warning.no_deal"))
    for account, done, capital in warning.accounts:
        lines.append(Text("warning.visit", {"account": account, "done": done, "capital": capital}, group="accounts"))
    if warning.overdue_count:
        lines.append(Text("warning.past_close", {"count": warning.overdue_count, "amount": money(warning.overdue_amount)}))
    lines.append(Text("warning.footer_manager", {"name": name}) if for_manager else Text("warning.footer_rep"))
    return Reply(locale=reader.locale, lines=lines)


def goal_lines(reader: Reader, warning: GoalWarning, money, goals: list | None = None) -> list[Text]:
    """One line per goal at risk: its figures so far and its projection; the composite its projection."""
    lines = []
    for goal in warning.goals if goals is None else goals:
        if goal.metric == "composite":
            lines.append(Text("warning.composite_line", {"projected": pct(reader, goal.projected)}, group="goals"))
            continue
        shown = (money(goal.achieved), money(goal.target)) if goal.metric == "revenue" else (f"{goal.achieved:.0f}", f"{goal.target:.0f}")
        lines.append(Text("warning.goal_line", {"metric": translate(reader.locale, f"goals.metric.{goal.metric}"), "achieved": shown[0],
                                                "target": shown[1], "projected": pct(reader, goal.projected)}, group="goals"))
    return lines


def goals_missing_lines(reader: Reader, start: date, end: date, names: list[str], *, team: bool) -> list[Text]:
    """The manager's reminder when a period starts: reps without an objective (``names``), and/or
    (``team``) no objective for the team itself."""
    period = {"start": format_day(reader.locale, start), "end": format_day(reader.locale, end)}
    lines = [goals_missing_text(reader, start, end, names)] if names else []
    if team:
        lines.append(Text("reminder.team_goal_missing_also" if names else "reminder.team_goal_missing", period))
    return lines


def goals_missing_text(reader: Reader, start: date, end: date, names: list[str]) -> Text:
    """The manager's reminder: a new period started and these reps have no objective in force."""
    return Text(
        "reminder.goals_missing",
        {"count": len(names), "names": ", ".join(names), "start": format_day(reader.locale, start), "end": format_day(reader.locale, end)},
    )
