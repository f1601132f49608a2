"""``/carnet kpis [@rep | team] [période]`` and ``/carnet export actions|opportunities|kpis [xlsx|csv]``.

A rep sees their own KPIs, a manager their reports' (``bot.services.team.can_view``), an admin
anyone's. The figures are the KPI table's rows (``bot.reports.kpis.kpi_rows_for``), the same the
terminal's ``carnet report kpis`` prints. A team over ``LARGE_TEAM`` people, and every export, is
slow work: acked first, then built after the ack (``Reply.after_ack``). An export is the reply's
attachment: the Slack door sends it to the requester's DM through the outbox, the console writes
it in the current directory.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace

from bot.core import Attachment, Reply, Text
from bot.dialogs.context import Context
from bot.grammar.normalize import fold
from bot.services.period_words import parse_period
from bot.messages import format_day, format_money, format_percent
from bot.reports.exports import EXPORTS, Selection, actions_table, kpis_table_for, opportunities_table
from bot.reports.kpis import ForecastBucket, KpiRow, kpi_rows_for
from bot.reports.money import Converted, Rates
from bot.reports.tables import Table, write_csv, xlsx_bytes
from bot.services import workspace_settings
from bot.services.periods import CURRENT, PeriodChoice
from bot.services.team import can_view, find_member_by_mention, team_of
from storage.models import Member

TEAM_WORDS = {"team", "equipe"}
_REFERENCE = re.compile(r"^@[A-Z0-9]+(\|.*)?$")  # a member as the door passes a chat mention on
LARGE_TEAM = 50  # more people than this: the KPIs follow the ack (as /pipeline team does)
COMPACT_ABOVE = 10  # more rows than this: one line per rep instead of a block
FORECASTS_SAID = 2  # announced probabilities put in words, the most used first
MAX_FILE_BYTES = 10_000_000  # an export bigger than this is for `carnet export` (it travels in outbox rows)
FORMATS = ("xlsx", "csv")


# --------------------------------------------------------------------------- /carnet kpis


def on_kpis(ctx: Context, words: list[str]) -> Reply:
    """``/carnet kpis``: mine (a rep) or my team's (a manager); ``@rep`` or ``team``; a period."""
    target, period = _split_period(words)
    members = _whose(ctx, target)
    if isinstance(members, Reply):
        return members
    if len(members) > LARGE_TEAM and not ctx.later:
        return replace(ctx.reply(Text("kpis.preparing", {"count": len(members)})), after_ack=" ".join(["carnet", "kpis", *words]))
    rates = Rates.of(workspace_settings.load(ctx.workspace))
    rows = kpi_rows_for(ctx.session, members, now=ctx.now, period=period, rates=rates)
    return kpis_reply(ctx, rows)


def _split_period(words: list[str]) -> tuple[list[str], PeriodChoice]:
    """The words naming whom, and the period the last words name (the longest such ending; none: current)."""
    for cut in range(len(words) + 1):
        period = parse_period(" ".join(words[cut:]))
        if period is not None:
            return words[:cut], period
    return words, CURRENT  # unreachable: no word at all is the current period


def _whose(ctx: Context, target: list[str]) -> list[Member] | Reply:
    """The members ``target`` names that the asker may see, or the refusal."""
    me = ctx.member
    if not target:
        team = team_of(ctx.session, me) if me.role in ("manager", "admin") else []
        return team or [me]
    if len(target) == 1 and fold(target[0]) in TEAM_WORDS:
        if me.role not in ("manager", "admin"):
            return ctx.reply(Text("kpis.team_refused"), ok=False)
        return team_of(ctx.session, me) or [me]
    if len(target) > 1 and _REFERENCE.match(target[0]):  # a chat mention is one word: what follows is no period
        return ctx.reply(Text("kpis.bad_period", {"value": " ".join(target[1:])}), Text("kpis.usage"), ok=False)
    typed = " ".join(target)
    member = find_member_by_mention(ctx.session, ctx.workspace.id, typed)
    if member is None:
        return ctx.reply(Text("kpis.unknown", {"value": typed}), Text("kpis.usage"), ok=False)
    if not can_view(me, member):
        return ctx.reply(Text("kpis.refused", {"name": member.display_name}), ok=False)
    return [member]


def kpis_reply(ctx: Context, rows: list[KpiRow]) -> Reply:
    """One block of facts per rep; a team of more than ``COMPACT_ABOVE`` gets one line per rep."""
    lines: list[Text] = []
    compact = len(rows) > COMPACT_ABOVE
    if compact:
        lines.append(Text("kpis.team_title", {"count": len(rows)}))
    for row in rows:
        lines += [_compact_line(ctx, row)] if compact else _block(ctx, row)
    missing = sorted({c for row in rows for m in (row.won_amount, row.weighted_pipeline, row.weighted_closing)
                      for c in m.unconverted})
    if missing:
        lines.append(Text("kpis.no_rate", {"currencies": ", ".join(missing), "example": missing[0]}))
    return Reply(locale=ctx.locale, lines=lines)


def _money(ctx: Context, value: Converted | None) -> str:
    """A sum in the workspace's currency, and the currencies without a rate beside it: ``12 000 € + 3 000 $``."""
    if value is None:
        return "—"
    return " + ".join(format_money(ctx.locale, amount, currency) for amount, currency in value.parts())


def _pct(ctx: Context, ratio: float | None) -> str:
    return "—" if ratio is None else format_percent(ctx.locale, round(ratio * 100))


def _period(ctx: Context, row: KpiRow) -> dict[str, str]:
    return {"start": format_day(ctx.locale, row.period_start), "end": format_day(ctx.locale, row.period_end)}


def _block(ctx: Context, row: KpiRow) -> list[Text]:
    group = "reps"
    lines = [
        Text("kpis.rep_title", {"name": row.rep, **_period(ctx, row)}, group),
        Text("kpis.activity", {"actions": row.actions, "done": row.visits_done, "planned": row.visits_planned}, group),
        Text("kpis.deals", {
            "created": row.opportunities_created, "won": row.won_count, "won_amount": _money(ctx, row.won_amount),
            "lost": row.lost_count, "conversion": _pct(ctx, row.conversion),
            "average": _money(ctx, row.average_won_amount),
        }, group),
        Text("kpis.pipeline", {
            "weighted": _money(ctx, row.weighted_pipeline), "closing": _money(ctx, row.weighted_closing),
            "coverage": "—" if row.coverage is None else f"{row.coverage:.2f}".replace(".", "," if ctx.locale == "fr" else "."),
        }, group),
    ]
    if row.objective_revenue is None:
        lines.append(Text("kpis.no_objective", {}, group))
    else:
        lines.append(Text("kpis.objective", {
            "objective": format_money(ctx.locale, row.objective_revenue, row.won_amount.currency),
            "attainment": _pct(ctx, row.attainment), "projected": _pct(ctx, row.projected),
        }, group))
    lines.append(_reliability(ctx, row))
    return lines


def _compact_line(ctx: Context, row: KpiRow) -> Text:
    return Text("kpis.rep_line", {
        "name": row.rep, **_period(ctx, row), "actions": row.actions, "done": row.visits_done,
        "planned": row.visits_planned, "won": row.won_count, "won_amount": _money(ctx, row.won_amount),
        "lost": row.lost_count, "conversion": _pct(ctx, row.conversion), "weighted": _money(ctx, row.weighted_pipeline),
        "attainment": _pct(ctx, row.attainment), "projected": _pct(ctx, row.projected),
    }, "reps")


def said_forecasts(row: KpiRow) -> list[ForecastBucket]:
    """The announced probabilities worth saying in words: the most used first (then the highest)."""
    return sorted(row.forecasts, key=lambda b: (-b.deals, -b.probability))[:FORECASTS_SAID]


def _reliability(ctx: Context, row: KpiRow) -> Text:
    """Forecast reliability in words: "your deals at 70 % were won 40 % of the time (2/5)"."""
    buckets = said_forecasts(row)
    if not buckets:
        return Text("kpis.reliability_none", {}, "reps")
    own = row.member_id == ctx.member.id
    said = [
        ctx.say("kpis.forecast_own" if own and i == 0 else "kpis.forecast_other" if i == 0 else "kpis.forecast_more",
                name=row.rep, probability=format_percent(ctx.locale, b.probability),
                rate=format_percent(ctx.locale, round(b.won_rate * 100)), won=b.won, deals=b.deals)
        for i, b in enumerate(buckets)
    ]
    brier = f"{row.forecast_brier:.2f}".replace(".", "," if ctx.locale == "fr" else ".")
    return Text("kpis.reliability", {"said": " ; ".join(said), "brier": brier, "count": row.forecast_deals}, "reps")


# --------------------------------------------------------------------------- /carnet export


def on_export(ctx: Context, words: list[str]) -> Reply:
    """``/carnet export actions|opportunities|kpis [xlsx|csv] [période]``: a file in my DM."""
    what = _what(words[0]) if words else None
    rest = words[1:]
    fmt = "xlsx"
    if rest and fold(rest[0]) in FORMATS:
        fmt, rest = fold(rest[0]), rest[1:]
    elif rest and fold(rest[-1]) in FORMATS:
        fmt, rest = fold(rest[-1]), rest[:-1]
    if what is None:
        return ctx.reply(Text("export.usage"), ok=False)
    period = parse_period(" ".join(rest)) if what == "kpis" else (CURRENT if not rest else None)
    if period is None:
        return ctx.reply(Text("kpis.bad_period", {"value": " ".join(rest)}), Text("export.usage"), ok=False)
    if not ctx.later:
        return replace(ctx.reply(Text("export.preparing")), after_ack=" ".join(["carnet", "export", what, fmt, *rest]))
    table = _table(ctx, what, period)
    content, count = _file(table, fmt)
    if len(content) > MAX_FILE_BYTES:
        return ctx.reply(Text("export.too_big", {"what": what}), ok=False)
    filename = f"carnet-{what}-{ctx.today.isoformat()}.{fmt}"
    # CSV as text (the Slack door and the console encode it as UTF-8); a workbook's bytes as base64.
    data = content.decode("utf-8") if fmt == "csv" else base64.b64encode(content).decode("ascii")
    attachment = Attachment(fmt, filename, ctx.say(f"export.title.{what}"), data, ctx.say("export.comment", count=count))
    # Each door puts the file where it belongs: Slack in my DM (through the outbox), the console here.
    key = "export.ready" if ctx.door == "console" else "export.sent"
    return replace(ctx.reply(Text(key, {"filename": filename, "count": count})), attachments=[attachment])


_WHAT = {"actions": "actions", "activite": "actions", "opportunities": "opportunities", "opportunites": "opportunities",
         "affaires": "opportunities", "deals": "opportunities", "kpis": "kpis", "kpi": "kpis", "indicateurs": "kpis"}


def _what(word: str) -> str | None:
    what = _WHAT.get(fold(word))
    return what if what in EXPORTS else None


def _visible(ctx: Context) -> list[Member] | None:
    """Whose rows the asker may take away: an admin everyone's (None), a manager theirs and their
    reports', a rep their own."""
    me = ctx.member
    if me.role == "admin":
        return None
    return [me, *team_of(ctx.session, me)] if me.role == "manager" else [me]


def _table(ctx: Context, what: str, period: PeriodChoice) -> Table:
    visible = _visible(ctx)
    ids = None if visible is None else [m.id for m in visible]
    if what in ("actions", "opportunities"):
        build = actions_table if what == "actions" else opportunities_table
        return build(ctx.session, [ctx.workspace.id], ctx.locale, Selection(member_ids=ids))
    members = _whose(ctx, [])  # as /carnet kpis shows them: my team (an admin: every rep), or me
    assert isinstance(members, list)
    return kpis_table_for(ctx.session, ctx.workspace, members, now=ctx.now, period=period)


def _file(table: Table, fmt: str) -> tuple[bytes, int]:
    """The table as the bytes of a file, and its number of rows."""
    if fmt == "xlsx":
        return xlsx_bytes(table)
    text = io.StringIO()
    count = write_csv(table, text)
    # A BOM: Excel then reads the CSV as UTF-8 (accents of names and notes intact).
    return ("\ufeff" + text.getvalue()).encode("utf-8"), count
