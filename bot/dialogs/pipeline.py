"""``/pipeline``: my weighted pipeline and period progress; a manager may name a rep or ``team``."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.core import Reply, Text
from bot.dialogs.context import Context
from bot.dialogs.shape import Dialog
from bot.grammar.normalize import fold
from bot.messages import counted, format_day, format_money
from bot.reports.pipeline import PipelineReport, RepTotal, StageTotal, pipeline_report
from bot.services import workspace_settings
from bot.present.goals import progress_lines
from bot.reports import kpis
from bot.reports.goals import goals_progress
from bot.services.periods import period_bounds
from bot.services.team import can_view, find_member_by_mention, team_of
from storage.models import Member

TEAM_WORDS = {"team", "equipe", "équipe"}
# A team-wide reply over more reps than this acks "working on it" and follows through the outbox
# (as the digest does): at 1,000 reps /pipeline team took 2.4-3.1 s, over the chat's 3 s limit with load.
LARGE_TEAM = 50


def on_command(ctx: Context, text: str) -> Reply:
    """``/pipeline``, ``/pipeline @rep``, ``/pipeline team``."""
    words = text.strip()
    if not words:
        return show_member(ctx, ctx.member)
    if words.lower() in TEAM_WORDS:
        if ctx.member.role not in ("manager", "admin"):
            return ctx.reply(Text("pipeline.team_refused"), ok=False)
        return show_team(ctx)
    target = find_member_by_mention(ctx.session, ctx.workspace.id, words)
    if target is None:
        return ctx.reply(Text("pipeline.unknown_member", {"name": words}), Text("pipeline.usage"), ok=False)
    if not can_view(ctx.member, target):
        return ctx.reply(Text("pipeline.refused", {"name": target.display_name}), ok=False)
    return show_member(ctx, target)


def member_report(ctx: Context, member: Member, *, stalled_limit: int = 10) -> PipelineReport:
    """The member's pipeline over their own current period, in their own calendar."""
    settings = workspace_settings.load(ctx.workspace)
    zone = ZoneInfo(member.tz)
    today = ctx.now.astimezone(zone).date()
    start, end = period_bounds(member.period, today)
    return pipeline_report(
        ctx.session,
        ctx.workspace.id,
        [member.id],
        period_start=start,
        period_end=end,
        now=ctx.now,
        today=today,
        zone=zone,
        stalled_after_days=settings.stalled_after_days,
        stalled_limit=stalled_limit,
    )


def _totals_line(ctx: Context, key: str, totals: list[StageTotal]) -> Text:
    if not totals:
        return Text(key + ".none")
    parts = [
        ctx.say(
            "pipeline.deals_amount",
            deals=counted(ctx.locale, t.deals, "deals"),
            amount=format_money(ctx.locale, t.amount, t.currency),
            weighted=format_money(ctx.locale, t.weighted, t.currency),
        )
        for t in totals
    ]
    return Text(key, {"totals": " ; ".join(parts)})


def render_report(ctx: Context, report: PipelineReport, title: Text) -> Reply:
    """The report as lines and facts, shared by /pipeline and the App Home."""
    lines = [title]
    for s in report.stages:
        lines.append(
            Text(
                "pipeline.stage_line",
                {
                    "stage": ctx.label("stage", s.stage),
                    "deals": counted(ctx.locale, s.deals, "deals"),
                    "amount": format_money(ctx.locale, s.amount, s.currency),
                    "weighted": format_money(ctx.locale, s.weighted, s.currency),
                },
            )
        )
    if not report.stages:
        lines.append(Text("pipeline.empty"))
    lines.append(_totals_line(ctx, "pipeline.closing", report.closing))
    if report.won:
        won = " ; ".join(format_money(ctx.locale, w.amount, w.currency) for w in report.won)
        lines.append(Text("pipeline.won", {"amount": won, "deals": counted(ctx.locale, sum(w.deals for w in report.won), "deals")}))
    if report.stalled_count:
        lines.append(Text("pipeline.stalled", {"count": report.stalled_count}))
        for deal in report.stalled:
            lines.append(
                Text(
                    "pipeline.stalled_deal",
                    {
                        "account": deal.account,
                        "title": deal.title,
                        "stage": ctx.label("stage", deal.stage),
                        "amount": format_money(ctx.locale, deal.amount, deal.currency),
                        "days": deal.idle_days,
                    },
                    group="stalled",
                )
            )
    return Reply(locale=ctx.locale, lines=lines)


def show_member(ctx: Context, member: Member) -> Reply:
    report = member_report(ctx, member)
    title = Text(
        "pipeline.title",
        {
            "name": member.display_name,
            "start": format_day(ctx.locale, report.period_start),
            "end": format_day(ctx.locale, report.period_end),
        },
    )
    reply = render_report(ctx, report, title)
    reply.lines[1:1] = goals_lines(ctx, member)
    return reply


def goals_lines(ctx: Context, member: Member) -> list[Text]:
    """The member's progress on each objective in force this period, and the weighted composite."""
    settings = workspace_settings.load(ctx.workspace)
    progress = goals_progress(ctx.session, [member], now=ctx.now, settings=settings)[member.id]
    lines = progress_lines(ctx, progress, settings.currency)
    # Deals past their close date are in no period's projection: counted here so they are not lost.
    today = ctx.now.astimezone(ZoneInfo(member.tz)).date()
    scope = kpis.KpiScope(ctx.workspace.id, (member.id,), progress.start, progress.end, ZoneInfo(member.tz))
    overdue = kpis.overdue_deals(ctx.session, scope, today=today)[member.id]
    if overdue.count:
        amounts = " + ".join(format_money(ctx.locale, amount, currency) for currency, amount in sorted(overdue.amounts.items()))
        lines.append(Text("digest.past_close", {"count": overdue.count, "amount": amounts}))
    return lines


def show_team(ctx: Context) -> Reply:
    members = team_of(ctx.session, ctx.member)
    if not members:
        return ctx.reply(Text("pipeline.no_team"), ok=False)
    if len(members) > LARGE_TEAM and not ctx.later:
        return replace(ctx.reply(Text("pipeline.preparing", {"count": len(members)})), after_ack="pipeline team")
    settings = workspace_settings.load(ctx.workspace)
    start, end = period_bounds(ctx.member.period, ctx.today)
    report = pipeline_report(
        ctx.session,
        ctx.workspace.id,
        [m.id for m in members],
        period_start=start,
        period_end=end,
        now=ctx.now,
        today=ctx.today,
        zone=ctx.zone,
        stalled_after_days=settings.stalled_after_days,
        per_rep=True,
    )
    title = Text(
        "pipeline.team_title",
        {"count": len(members), "start": format_day(ctx.locale, start), "end": format_day(ctx.locale, end)},
    )
    reply = render_report(ctx, report, title)
    # Every member of the team gets a line, a rep with no deal too (with zeros).
    currency = settings.currency
    with_deals = {rep.member_id for rep in report.reps}
    idle = [
        RepTotal(m.id, m.display_name, currency, 0, Decimal(0), Decimal(0), Decimal(0))
        for m in members
        if m.id not in with_deals
    ]
    for rep in sorted(report.reps + idle, key=lambda r: (fold(r.name), r.currency)):
        reply.lines.append(
            Text(
                "pipeline.rep_line",
                {
                    "name": rep.name,
                    "deals": rep.deals,
                    "weighted": format_money(ctx.locale, rep.weighted, rep.currency),
                    "closing": format_money(ctx.locale, rep.closing_weighted, rep.currency),
                    "won": format_money(ctx.locale, rep.won_amount, rep.currency),
                },
                group="reps",
            )
        )
    return reply


DIALOG = Dialog("pipeline", commands={"pipeline": on_command})
