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
        *_capital_lines(ctx, current),
        Text("settings.usage"),
        Text("settings.rate_usage"),
        Text("settings.capital_usage"),
        *_drift_lines(current),
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
    elif name in ("drift", "derive"):
        return _set_drift(ctx, current, values)
    elif name in ("probability", "probabilite") and len(values) == 2:
        stage = lookup_stage(values[0])
        value = values[1].rstrip("%")
        if stage and value.isdigit() and 0 <= int(value) <= 100:
            probabilities = dict(current.stage_probabilities, **{stage: int(value)})
            updated = _replace(current, stage_probabilities=probabilities)
    elif name in CAPITAL_SETTINGS:
        return _set_capital(ctx, current, name, values)
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


# --- the visit capital, channel weights and tour (issue 15) ---------------------------------------

CAPITAL_SETTINGS = ("capital", "prospection", "weight", "poids", "tour", "tournee")
SEGMENT_WORDS = {"gold": "gold", "or": "gold", "silver": "silver", "argent": "silver", "bronze": "bronze"}
CHANNEL_WORDS = {
    "in_person": "in_person", "visit": "in_person", "visite": "in_person", "video": "video", "visio": "video",
    "phone": "phone", "call": "phone", "appel": "phone", "telephone": "phone", "email": "email", "mail": "email",
    "social": "social", "linkedin": "social",
}
_WEIGHT = re.compile(r"^\d{1,2}([.,]\d{1,2})?$")


def _set_capital(ctx: Context, current: workspace_settings.WorkspaceSettings, name: str, values: list[str]) -> Reply:
    """``capital gold 12`` (visits a year), ``prospection 24`` (a rep's visits a year at prospects),
    ``weight video 0.7`` (0 to 10), ``tour 4`` (visits a day); anything else stores nothing."""
    raw = " ".join(values)
    updated = None
    if name == "capital" and len(values) == 2 and fold(values[0]) in SEGMENT_WORDS and _whole(values[1], 0, 365):
        updated = _replace(current, visit_capital=dict(current.visit_capital, **{SEGMENT_WORDS[fold(values[0])]: int(values[1])}))
    elif name == "prospection" and len(values) == 1 and _whole(values[0], 0, 2000):
        updated = _replace(current, prospection_visits_per_year=int(values[0]))
    elif name in ("weight", "poids") and len(values) == 2 and fold(values[0]) in CHANNEL_WORDS and _WEIGHT.match(values[1]):
        weight = float(values[1].replace(",", "."))
        if weight <= 10:
            updated = _replace(current, channel_weights=dict(current.channel_weights, **{CHANNEL_WORDS[fold(values[0])]: weight}))
    elif name in ("tour", "tournee") and len(values) == 1 and _whole(values[0], 1, 12):
        updated = _replace(current, tour_visits_per_day=int(values[0]))
    if updated is None:
        return ctx.reply(Text("settings.bad_value", {"value": raw}), Text("error.nothing_stored"), Text("settings.capital_usage"), ok=False)
    workspace_settings.save(ctx.workspace, updated)
    reply = _describe(ctx)
    reply.lines.insert(0, Text("settings.saved"))
    return reply


# --------------------------------------------------------------------------- clients kept (drift)

_DRIFT_WORDS = {"gap": "gap", "ecart": "gap", "silence": "silence", "orders": "orders", "commandes": "orders",
                "lost": "lost", "perdue": "lost", "perdu": "lost"}


def _drift_lines(current: workspace_settings.WorkspaceSettings) -> list[Text]:
    """The drift thresholds, and how to change them."""
    return [
        Text("settings.drift", {"gap": current.drift_gap_times, "silence": current.drift_silence_days,
                                "orders": current.drift_orders_drop_pct, "lost": current.drift_lost_days}),
        Text("settings.drift_usage"),
    ]


def _set_drift(ctx: Context, current: workspace_settings.WorkspaceSettings, values: list[str]) -> Reply:
    """``drift gap 3`` · ``drift silence 45`` · ``drift orders 60`` · ``drift lost 21``, each within its bounds."""
    word = _DRIFT_WORDS.get(fold(values[0])) if values else None
    if word is None or len(values) != 2:
        return ctx.reply(Text("settings.drift_usage"), Text("error.nothing_stored"), ok=False)
    field_name, low, high = workspace_settings.DRIFT_SETTINGS[word]
    raw = values[1].rstrip("%")
    if not raw.isdigit() or not low <= int(raw) <= high:
        return ctx.reply(Text("settings.bad_value", {"value": values[1]}), Text("settings.drift_usage"),
                         Text("error.nothing_stored"), ok=False)
    workspace_settings.save(ctx.workspace, _replace(current, **{field_name: int(raw)}))
    reply = _describe(ctx)
    reply.lines.insert(0, Text("settings.saved"))
    return reply


def _whole(text: str, low: int, high: int) -> bool:
    return text.isdigit() and low <= int(text) <= high


def _capital_lines(ctx: Context, current: workspace_settings.WorkspaceSettings) -> list[Text]:
    capital = ", ".join(f"{segment} {n}" for segment, n in current.visit_capital.items())
    weights = ", ".join(
        f"{ctx.label('channel', channel)} {format_decimal(weight, locale=ctx.locale)}" for channel, weight in current.channel_weights.items()
    )
    return [
        Text("settings.capital", {"value": capital, "prospection": current.prospection_visits_per_year}),
        Text("settings.weights", {"value": weights}),
        Text("settings.tour", {"value": current.tour_visits_per_day}),
    ]


def _replace(current: workspace_settings.WorkspaceSettings, **changes: object) -> workspace_settings.WorkspaceSettings:
    return replace(current, **changes)  # type: ignore[arg-type]


DIALOG = Dialog("carnet", commands={"carnet": on_carnet})
