"""``/carnet team`` (who reports to whom, roles, languages, time zones, periods) and
``/carnet goals`` (objectives per rep and per team)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from bot.core import Reply, Text
from bot.dialogs.context import Context
from bot.dialogs.pipeline import LARGE_TEAM
from bot.grammar.amounts import Money, parse_amount
from bot.grammar.normalize import fold
from bot.messages import format_day, format_money
from bot.services import objectives as objectives_service
from bot.services import team_setup, workspace_settings
from bot.services.periods import period_bounds
from bot.services.team import can_view, find_member_by_mention, mentioned, team_of
from storage.models import Member
from storage.queries.members import workspace_members

FIELDS = {
    "role": "role", "manager": "manager", "period": "period", "periode": "period", "tz": "tz",
    "timezone": "tz", "fuseau": "tz", "locale": "locale", "langue": "locale", "language": "locale",
}
NO_MANAGER = {"none", "aucun", "personne", "-"}
METRIC_WORDS = {
    "revenue": "revenue", "ca": "revenue", "chiffre": "revenue", "revenu": "revenue",
    "visits": "visits", "visites": "visits", "visite": "visits", "visit": "visits",
    "opportunities": "new_opportunities", "opportunites": "new_opportunities", "affaires": "new_opportunities",
    "deals": "new_opportunities", "new_opportunities": "new_opportunities",
    "won": "won_deals", "gagnees": "won_deals", "won_deals": "won_deals", "signatures": "won_deals",
}
TEAM_WORDS = {"team", "equipe"}
# After the value: how long the objective holds. Nothing said: recurring (every period until changed).
ONE_PERIOD_WORDS = {
    "seulement ce mois", "ce mois seulement", "seulement cette semaine", "cette semaine seulement",
    "seulement ce trimestre", "ce trimestre seulement", "seulement cette periode", "cette periode seulement",
    "uniquement ce mois", "ce mois uniquement", "uniquement cette periode", "cette periode uniquement",
    "pour cette periode", "ponctuel",
    "this period only", "only this period", "this month only", "only this month", "this week only",
    "only this week", "this quarter only", "only this quarter", "for this period", "one-off", "once",
}
RECURRING_WORDS = {"recurring", "recurrent", "every period", "chaque periode", "toutes les periodes"}


# --------------------------------------------------------------------------- /carnet team


def on_team(ctx: Context, words: list[str]) -> Reply:
    if not words:
        return _list_team(ctx)
    if ctx.member.role != "admin":
        return ctx.reply(Text("team.admins_only"), ok=False)
    user_id, name = mentioned(words[0])
    pairs = words[1:]
    if not pairs or len(pairs) % 2:
        return ctx.reply(Text("team.usage"), ok=False)
    setup: dict[str, str] = {}
    for key, value in zip(pairs[::2], pairs[1::2]):
        field = FIELDS.get(fold(key))
        if field is None:
            return ctx.reply(Text("team.error.unknown_field", {"value": key}), Text("team.usage"), ok=False)
        if field == "manager":
            value = "" if fold(value) in NO_MANAGER else mentioned(value)[0]
        setup[field] = value if field in ("manager", "tz") else value.lower()
    known = find_member_by_mention(ctx.session, ctx.workspace.id, user_id)
    # A mention's name only names someone Carnet has not met yet; it never renames a member.
    row = team_setup.MemberSetup(user_id=user_id, display_name=None if known else name, **setup)
    try:
        team_setup.apply(
            ctx.session, ctx.workspace, [(0, row)], now=ctx.now, default_tz=ctx.member.tz, default_locale=ctx.locale
        )
    except team_setup.TeamSetupError as error:
        return Reply(locale=ctx.locale, lines=[problem_text(p) for p in error.problems] + [Text("error.nothing_stored")], ok=False)
    reply = _list_team(ctx)
    reply.lines.insert(0, Text("team.saved"))
    return reply


def problem_text(problem: team_setup.SetupProblem) -> Text:
    return Text(f"team.error.{problem.code}", {"value": problem.value, "line": problem.line})


def _list_team(ctx: Context) -> Reply:
    if ctx.member.role not in ("admin", "manager"):
        return ctx.reply(Text("team.admins_only"), ok=False)
    members = team_of(ctx.session, ctx.member)
    if ctx.member.role == "admin":
        members = workspace_members(ctx.session, ctx.workspace.id)
    if len(members) > LARGE_TEAM and not ctx.later:  # a long list follows the ack (outbox)
        return replace(ctx.reply(Text("team.preparing", {"count": len(members)})), after_ack="carnet team")
    names = {m.id: m.display_name for m in members}
    # A rep's manager is often outside the listed team (a manager's list holds their reps, not themselves).
    names.update({m.id: m.display_name for m in _managers_of(ctx, members, names)})
    lines = [Text("team.title", {"count": len(members)})]
    for m in members:
        lines.append(
            Text(
                "team.line",
                {
                    "name": m.display_name,
                    "user": m.slack_user_id,
                    "role": ctx.say(f"team.role.{m.role}"),
                    "manager": names.get(m.manager_id, "—") if m.manager_id else "—",
                    "locale": m.locale,
                    "tz": m.tz,
                    "period": ctx.say(f"team.period.{m.period}"),
                },
                group="members",
            )
        )
    lines.append(Text("team.usage"))
    return Reply(locale=ctx.locale, lines=lines)


def _managers_of(ctx: Context, members: list[Member], known: dict[int, str]) -> list[Member]:
    """The managers of ``members`` not among them, read at once."""
    missing = {m.manager_id for m in members if m.manager_id and m.manager_id not in known}
    if not missing:
        return []
    return list(ctx.session.scalars(select(Member).where(Member.id.in_(missing))))


# --------------------------------------------------------------------------- /carnet goals


def on_goals(ctx: Context, words: list[str]) -> Reply:
    """``/carnet goals`` shows mine; ``/carnet goals @rep revenue 50k`` or ``team visits 120`` sets one."""
    if not words:
        return show_goals(ctx, ctx.member, team=False)
    target_word = words[0]
    team = fold(target_word) in TEAM_WORDS
    if team:
        owner = ctx.member
        if owner.role not in ("manager", "admin"):
            return ctx.reply(Text("goals.team_refused"), ok=False)
    else:
        owner = find_member_by_mention(ctx.session, ctx.workspace.id, target_word)
        if owner is None:
            return ctx.reply(Text("pipeline.unknown_member", {"name": target_word}), Text("goals.usage"), ok=False)
    if len(words) == 1:
        if not team and not can_view(ctx.member, owner):
            return ctx.reply(Text("pipeline.refused", {"name": owner.display_name}), ok=False)
        return show_goals(ctx, owner, team=team)
    if not team and (owner.id == ctx.member.id and ctx.member.role != "admin" or not _may_set(ctx.member, owner)):
        return ctx.reply(Text("goals.set_refused", {"name": owner.display_name}), ok=False)
    if len(words) < 3:
        return ctx.reply(Text("goals.usage"), ok=False)
    recurring = _read_duration(words[3:])
    if recurring is None:
        return ctx.reply(Text("goals.error.bad_duration", {"value": " ".join(words[3:])}), Text("goals.usage"), ok=False)
    metric = METRIC_WORDS.get(fold(words[1]))
    if metric is None:
        return ctx.reply(Text("goals.error.bad_metric", {"value": words[1]}), Text("goals.usage"), ok=False)
    value = _read_value(words[2], metric)
    if value is None:
        return ctx.reply(Text("goals.error.bad_value", {"value": words[2]}), Text("goals.usage"), ok=False)
    try:
        objectives_service.set_objective(
            ctx.session, owner, team=team, metric=metric, value=value, today=ctx.now.astimezone(_zone(owner)).date(), now=ctx.now,
            recurring=recurring,
        )
    except objectives_service.ObjectiveError as error:
        return ctx.reply(Text(f"goals.error.{error.code}", {"value": words[2]}), Text("error.nothing_stored"), ok=False)
    reply = show_goals(ctx, owner, team=team)
    reply.lines.insert(0, Text("goals.saved"))
    return reply


def _may_set(setter: Member, owner: Member) -> bool:
    return setter.role == "admin" or (setter.role == "manager" and owner.manager_id == setter.id)


def _read_duration(words: list[str]) -> bool | None:
    """The words after the value: nothing or "recurring" → True (every period until changed),
    "this period only" / "seulement ce mois" → False (this period only), anything else → None."""
    said = " ".join(fold(word).strip(".,;") for word in words).strip()
    if not said or said in RECURRING_WORDS:
        return True
    if said in ONE_PERIOD_WORDS:
        return False
    return None


def _zone(member: Member):
    from zoneinfo import ZoneInfo

    return ZoneInfo(member.tz)


def _read_value(word: str, metric: str) -> Decimal | None:
    if metric == "revenue":
        money = parse_amount(word)
        if isinstance(money, Money):
            return money.amount
        if getattr(money, "code", None) == "negative_amount":
            return Decimal(-1)
        return None
    try:
        return Decimal(word.replace(",", "."))
    except InvalidOperation:
        return None


def show_goals(ctx: Context, owner: Member, *, team: bool) -> Reply:
    today = ctx.now.astimezone(_zone(owner)).date()
    start, end = period_bounds(owner.period, today)
    targets = objectives_service.objectives_in_force(ctx.session, owner, team=team, period_start=start)
    currency = workspace_settings.load(ctx.workspace).currency
    title = "goals.team_title" if team else "goals.title"
    lines = [Text(title, {"name": owner.display_name, "start": format_day(ctx.locale, start), "end": format_day(ctx.locale, end)})]
    if not targets:
        lines.append(Text("goals.none"))
    for metric, target, recurring in targets:
        value = format_money(ctx.locale, target, currency) if metric == "revenue" else f"{target:.0f}"
        key = "goals.line" if recurring else "goals.line_once"
        lines.append(Text(key, {"metric": ctx.say(f"goals.metric.{metric}"), "value": value}))
    lines.append(Text("goals.usage"))
    if ctx.member.role in ("manager", "admin"):
        lines.append(Text("goals.usage_duration"))
    return Reply(locale=ctx.locale, lines=lines)
