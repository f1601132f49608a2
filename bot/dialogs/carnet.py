"""``/carnet help | settings``: what Carnet can do, and the workspace settings (admins change them)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from babel.numbers import format_decimal

from bot.core import Reply, Text
from bot.dialogs import digest as digest_dialog
from bot.dialogs import kpis as kpis_dialog
from bot.dialogs import team as team_dialog
from bot.dialogs.context import Context
from bot.dialogs.shape import Dialog
from bot.grammar.amounts import CURRENCIES
from bot.grammar.normalize import fold
from bot.grammar.vocabulary import lookup_stage
from bot.messages import format_percent
from bot.services import workspace_settings
from bot.services.stages import OPEN_STAGES
from storage.queries.deals import deal_currencies

# A team channel: the chat's reference to it as the door passes it on ("#C0TEAM": its id), a name
# typed with its "#" ("#ventes", kept as typed), or a bare channel id.
_CHANNEL = re.compile(r"^#([CG][A-Z0-9]+)$|^(#[\w\-]+)$|^([CG][A-Z0-9]{6,})$")


def on_carnet(ctx: Context, text: str) -> Reply:
    """``/carnet`` sub-commands; ``help`` is the default."""
    words = text.split()
    sub = fold(words[0]) if words else "help"
    if sub in ("settings", "reglages", "parametres"):
        return settings(ctx, words[1:])
    if sub in ("team", "equipe"):
        return team_dialog.on_team(ctx, words[1:])
    if sub in ("goals", "objectifs", "objectives"):
        return team_dialog.on_goals(ctx, words[1:])
    if sub in ("digest", "resume"):
        return digest_dialog.on_digest(ctx, words[1:])
    if sub in ("kpis", "kpi", "indicateurs"):
        return kpis_dialog.on_kpis(ctx, words[1:])
    if sub in ("export", "exporter"):
        return kpis_dialog.on_export(ctx, words[1:])
    return help_reply(ctx)


def help_reply(ctx: Context) -> Reply:
    return ctx.reply(
        Text("help.title"),
        Text("help.log"),
        Text("help.opp"),
        Text("help.pipeline"),
        Text("help.plan"),
        Text("help.accounts"),
        Text("help.team"),
        Text("help.kpis"),
        Text("help.settings"),
        Text("help.languages"),
    )


def _describe(ctx: Context) -> Reply:
    current = workspace_settings.load(ctx.workspace)
    probabilities = ", ".join(
        f"{ctx.label('stage', stage)} {format_percent(ctx.locale, current.probability_of(stage))}" for stage in OPEN_STAGES
    )
    channel = current.team_channel or ctx.say("settings.none")
    if current.team_channel and not current.team_channel.startswith("#"):
        channel = "#" + current.team_channel  # a channel id, shown as the door passed it on
    return ctx.reply(
        Text("settings.title"),
        Text("settings.channel", {"value": channel}),
        Text("settings.stalled", {"value": current.stalled_after_days}),
        Text("settings.amounts", {"value": ctx.say("settings.shown" if current.celebrate_amounts else "settings.hidden")}),
        Text("settings.currency", {"value": current.currency}),
        *_rates_line(ctx, current),
        Text("settings.probabilities", {"value": probabilities}),
        Text("settings.usage"),
        Text("settings.rate_usage"),
    )


def settings(ctx: Context, words: list[str]) -> Reply:
    """Show the settings, or (admins) change one: channel, stalled, amounts, currency, probability."""
    if not words:
        return _describe(ctx)
    if ctx.member.role != "admin":
        return ctx.reply(Text("settings.admins_only"), ok=False)
    current = workspace_settings.load(ctx.workspace)
    name, values = fold(words[0]), words[1:]
    updated = None
    raw = " ".join(values)
    if name in ("channel", "canal") and len(values) == 1:
        match = _CHANNEL.match(values[0])
        if match:
            updated = _replace(current, team_channel=next(g for g in match.groups() if g))
    elif name in ("stalled", "panne") and len(values) == 1 and values[0].isdigit() and 1 <= int(values[0]) <= 365:
        updated = _replace(current, stalled_after_days=int(values[0]))
    elif name in ("amounts", "montants") and len(values) == 1 and fold(values[0]) in ("hide", "show", "masquer", "afficher"):
        updated = _replace(current, celebrate_amounts=fold(values[0]) in ("show", "afficher"))
    elif name in ("currency", "devise") and len(values) == 1 and values[0].upper() in CURRENCIES:
        updated, kept = workspace_settings.with_currency(current, values[0].upper())
        if not kept:
            workspace_settings.save(ctx.workspace, updated)
            reply = _describe(ctx)
            reply.lines[:0] = [Text("settings.saved"), Text("settings.rates_cleared")]
            return reply
    elif name in ("rate", "taux") and len(values) == 2:
        return _set_rate(ctx, current, values[0], values[1])
    elif name in ("probability", "probabilite") and len(values) == 2:
        stage = lookup_stage(values[0])
        value = values[1].rstrip("%")
        if stage and value.isdigit() and 0 <= int(value) <= 100:
            probabilities = dict(current.stage_probabilities, **{stage: int(value)})
            updated = _replace(current, stage_probabilities=probabilities)
    else:
        return ctx.reply(Text("settings.usage"), ok=False)
    if updated is None:
        return ctx.reply(Text("settings.bad_value", {"value": raw}), Text("settings.usage"), ok=False)
    workspace_settings.save(ctx.workspace, updated)
    reply = _describe(ctx)
    reply.lines.insert(0, Text("settings.saved"))
    return reply


_RATE = re.compile(r"^\d{1,6}([.,]\d{1,6})?$")
NO_RATE = {"none", "aucun", "off", "-"}


def _set_rate(ctx: Context, current: workspace_settings.WorkspaceSettings, code: str, value: str) -> Reply:
    """``rate USD 0.92``: one USD is worth 0.92 of the workspace's currency; ``rate USD none`` forgets it."""
    currency = code.upper()
    if currency not in CURRENCIES:
        return ctx.reply(Text("settings.rate.unknown_currency", {"value": code}), Text("error.nothing_stored"), ok=False)
    if currency == current.currency:
        return ctx.reply(Text("settings.rate.own_currency", {"value": currency}), Text("error.nothing_stored"), ok=False)
    if fold(value) in NO_RATE:
        rate = None
    elif _RATE.match(value) and Decimal(value.replace(",", ".")) > 0:
        rate = Decimal(value.replace(",", "."))
    else:
        return ctx.reply(Text("settings.rate.bad_value", {"value": value, "currency": currency, "own": current.currency}),
                         Text("error.nothing_stored"), ok=False)
    workspace_settings.save(ctx.workspace, workspace_settings.with_rate(current, currency, rate))
    reply = _describe(ctx)
    reply.lines.insert(0, Text("settings.saved"))
    return reply


def _rates_line(ctx: Context, current: workspace_settings.WorkspaceSettings) -> list[Text]:
    """The exchange rates, and the currencies of deals that have none (their amounts are shown apart)."""
    rates = current.rates
    shown = " · ".join(
        f"1 {code} = {format_decimal(rate, locale=ctx.locale)} {current.currency}" for code, rate in sorted(rates.items())
    )
    lines = [Text("settings.rates", {"value": shown or ctx.say("settings.none")})]
    missing = sorted(deal_currencies(ctx.session, ctx.workspace.id) - set(rates) - {current.currency})
    if missing:
        lines.append(Text("settings.rates_missing", {"currencies": ", ".join(missing), "example": missing[0]}))
    return lines


def _replace(current: workspace_settings.WorkspaceSettings, **changes: object) -> workspace_settings.WorkspaceSettings:
    return replace(current, **changes)  # type: ignore[arg-type]


DIALOG = Dialog("carnet", commands={"carnet": on_carnet})
