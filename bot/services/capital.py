"""The visit capital: a yearly number of visits per account, and what Carnet derives from it.

One definition (``storage.queries.capital``) serves every reader: the rhythm of automatic visits
(a visit every year / capital), the KPIs and the digest (due pro rata of the time elapsed vs done
and planned), the review (under- and over-visited accounts) and the tour plan (accounts due now).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from bot.services.periods import utc_bounds
from bot.services.team import known_zone
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Member
from storage.queries import capital as capital_queries
from storage.queries.capital import AccountCapital, CapitalSum, CapitalWindow

IN_PERSON = ("visit", "meeting", "demo", "negotiation")  # the action types that are visits (plans and capital alike)
UNDER_VISITED_BELOW = 0.5  # an account with less than half its capital due so far lags
OVER_VISITED_ABOVE = 2.0  # an account with more than twice its capital due so far, and …
OVER_VISITED_MARGIN = 2  # … at least two visits more than due, is over-visited


def rhythm_days(capital: int) -> int:
    """Days between two visits of an account with ``capital`` visits a year (12 → 30, 2 → 182)."""
    return max(1, math.floor(365 / capital))


def next_visit_day(last_visit: date | None, capital: int, today: date) -> date:
    """The day the next visit is due: the last one + the rhythm; never visited (or overdue): tomorrow."""
    return max(rhythm_day(last_visit, capital, today), today + timedelta(days=1))


def year_window(today: date, zone_name: str, now: datetime) -> CapitalWindow:
    """The calendar year of ``today`` seen on ``today``: plans count from ``now`` to the year's end."""
    start, end = date(today.year, 1, 1), date(today.year, 12, 31)
    _from, until = utc_bounds(start, end, known_zone(zone_name))
    return CapitalWindow(start, end, today, now, until)


def period_window(start: date, end: date, zone_name: str, *, as_of: date, now: datetime) -> CapitalWindow:
    """A rep's period seen on ``as_of``: plans count from ``now`` to the period's end."""
    _start, planned_until = utc_bounds(start, end, known_zone(zone_name))
    return CapitalWindow(start, end, as_of, now, planned_until)


def accounts_in(
    session: Session, workspace_id: int, owner_ids: list[int], window: CapitalWindow, settings: WorkspaceSettings
) -> list[AccountCapital]:
    """The accounts of ``owner_ids`` with a capital, over ``window``."""
    return capital_queries.per_account(
        session, workspace_id, owner_ids, window, defaults=settings.visit_capital, visit_types=IN_PERSON
    )


def accounts_of(
    session: Session, workspace_id: int, account_ids: list[int], window: CapitalWindow, settings: WorkspaceSettings
) -> list[AccountCapital]:
    """``account_ids`` with a capital, whoever owns them, over ``window`` (an account's card)."""
    return capital_queries.per_account(
        session, workspace_id, [], window, defaults=settings.visit_capital, visit_types=IN_PERSON,
        account_ids=account_ids,
    )


def _by_today(members: list[Member], now: datetime) -> dict[tuple[date, str], list[Member]]:
    """Members grouped by their local day (and a zone of that day), skipping unknown zones."""
    groups: dict[tuple[date, str], list[Member]] = defaultdict(list)
    seen: dict[date, str] = {}
    for member in members:
        zone = known_zone(member.tz)
        if zone is None:
            continue
        today = now.astimezone(zone).date()
        groups[(today, seen.setdefault(today, member.tz))].append(member)
    return groups


def accounts_this_year(
    session: Session, workspace_id: int, members: list[Member], settings: WorkspaceSettings, *, now: datetime,
    account_ids: list[int] | None = None,
) -> dict[int, list[AccountCapital]]:
    """owner → their accounts with a capital: due this year so far, done, planned for the rest of the year."""
    out: dict[int, list[AccountCapital]] = {m.id: [] for m in members}
    for (today, tz), group in _by_today(members, now).items():
        rows = capital_queries.per_account(
            session, workspace_id, [m.id for m in group], year_window(today, tz, now),
            defaults=settings.visit_capital, visit_types=IN_PERSON, account_ids=account_ids,
        )
        for row in rows:
            out[row.owner_id].append(row)
    return out


def segments_this_year(
    session: Session, workspace_id: int, members: list[Member], settings: WorkspaceSettings, *, now: datetime
) -> dict[int, dict[str, CapitalSum]]:
    """owner → segment (and ``prospect``: the prospection budget) → capital, due so far, done, planned."""
    out: dict[int, dict[str, CapitalSum]] = {m.id: {} for m in members}
    for (today, tz), group in _by_today(members, now).items():
        out.update(capital_queries.per_segment(
            session, workspace_id, [m.id for m in group], year_window(today, tz, now),
            defaults=settings.visit_capital, visit_types=IN_PERSON,
            prospection_per_year=settings.prospection_visits_per_year,
        ))
    return out


def is_under_visited(row: AccountCapital) -> bool:
    return row.done < UNDER_VISITED_BELOW * row.due


def is_over_visited(row: AccountCapital) -> bool:
    return row.done > OVER_VISITED_ABOVE * row.due and row.done >= row.due + OVER_VISITED_MARGIN


@dataclass(frozen=True)
class CapitalBalance:
    """A rep's accounts far above their capital while others lag."""

    over: list[tuple[int, str, int]]  # (account id, name, done)
    under: list[tuple[int, str, int]]

    @property
    def unbalanced(self) -> bool:
        return bool(self.over) and bool(self.under)


def balance(rows: list[AccountCapital]) -> CapitalBalance:
    """Over- and under-visited accounts of one rep (most over first)."""
    over = sorted((r for r in rows if is_over_visited(r)), key=lambda r: r.due - r.done)
    under = [r for r in rows if is_under_visited(r)]
    return CapitalBalance(
        [(r.account_id, r.name, r.done) for r in over], [(r.account_id, r.name, r.done) for r in under]
    )


def due_now(rows: list[AccountCapital], today: date, until: date) -> list[AccountCapital]:
    """Accounts whose next visit by the rhythm falls by ``until``, most behind their capital first."""
    due = [r for r in rows if rhythm_day(r.last_visit, r.capital, today) <= until]
    return sorted(due, key=lambda r: (r.done - r.due, r.name))


def rhythm_day(last_visit: date | None, capital: int, today: date) -> date:
    """The day the rhythm asks for the next visit: the last one + the rhythm, today at the earliest."""
    return max(last_visit + timedelta(days=rhythm_days(capital)), today) if last_visit else today
