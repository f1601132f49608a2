"""The App Home tab (and ``/home`` in the console): my period, today, my deals, the stalled ones."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.actions import choice
from bot.core import Reply, Text
from bot.dialogs import log as log_dialog
from bot.dialogs import opp as opp_dialog
from bot.dialogs.context import Context
from bot.dialogs.shape import Dialog
from bot.dialogs.pipeline import goals_lines, member_report, render_report
from bot.reports import kpis
from bot.reports.pipeline import StageTotal, by_currency
from bot.messages import counted, format_day, format_money, label
from bot.present.agenda import plan_item
from bot.services import workspace_settings
from bot.services.plans import local_day_bounds
from storage.queries.activity import actions_of_day
from storage.queries.plans import plans_between



def on_command(ctx: Context, _text: str = "") -> Reply:
    """The member's home: progress this period, open deals by stage, stalled deals, then today:
    what was logged and what is planned (with the agenda's buttons)."""
    report = member_report(ctx, ctx.member, stalled_limit=5)
    actions_in_period = _actions_between(ctx, report.period_start, report.period_end)
    today_actions = actions_of_day(ctx.session, ctx.member, ctx.today, limit=10)

    def total(values: list[StageTotal], attr: str) -> str:
        sums = by_currency(values, attr) or {_currency(ctx): Decimal(0)}
        return " + ".join(format_money(ctx.locale, amount, currency) for currency, amount in sums.items())

    body = render_report(ctx, report, Text("home.deals"))
    lines = [
        Text("home.title", {"name": ctx.member.display_name}),
        Text(
            "home.progress",
            {
                "start": format_day(ctx.locale, report.period_start),
                "end": format_day(ctx.locale, report.period_end),
                "won": total(report.won, "amount"),
                "weighted": total(report.stages, "weighted"),
                "actions": counted(ctx.locale, actions_in_period, "actions_logged"),
            },
        ),
        *goals_lines(ctx, ctx.member),
    ]
    today_lines = [Text("home.today")]
    start, end = local_day_bounds(ctx.today, ctx.zone)
    today_plans = plans_between(ctx.session, ctx.member, start, end)
    for action_type, account in today_actions:
        today_lines.append(Text("plain", {"text": f"✓ {label(ctx.locale, 'action_type', action_type)} — {account}"}))
    if not today_actions and not today_plans:
        today_lines.append(Text("home.today_empty"))
    # Today comes last so that its planned items (with their buttons) follow their heading.
    body.lines = lines + body.lines + today_lines
    body.items = [plan_item(ctx, plan) for plan in today_plans[:10]]
    body.choices = [
        choice(Text("home.log_button"), log_dialog.OpenForm(), "primary"),
        choice(Text("home.opp_button"), opp_dialog.OpenForm()),
    ]
    return body


def _actions_between(ctx: Context, start: date, end: date) -> int:
    """How many actions the member logged on the days from ``start`` to ``end`` (the activity KPI)."""
    scope = kpis.KpiScope(ctx.workspace.id, (ctx.member.id,), start, end, ctx.zone)
    return sum(kpis.actions_by_type(ctx.session, scope)[ctx.member.id].values())


def _currency(ctx: Context) -> str:
    return workspace_settings.load(ctx.workspace).currency


DIALOG = Dialog("home", commands={"home": on_command})
