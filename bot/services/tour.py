"""The tour plan ("tournée"): a week of visits proposed to a rep, grouped by place and day.

Candidate accounts come from a short list of sources (``SOURCES``), each answering the rep's
accounts that want a visit in the week and why: today the visit capital (accounts whose rhythm
asks for a visit by the week's end; the automatic visit Carnet planned there moves to the tour's
day on accept). Accounts of the same postcode
area (or city) go on the same day, at most ``tour_visits_per_day`` a day, on the rep's workdays
(Monday to Friday) of the week. Accepting plans the visits; an account the rep planned a visit at
themselves (meanwhile, or by an earlier tour) is skipped, so nothing is planned twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from bot.services import capital
from bot.services.plans import DEFAULT_HOUR, IN_PERSON, create_plan, local_to_utc, reschedule
from bot.services.team import known_zone
from bot.services.workspace_settings import WorkspaceSettings, drift_rules
from storage.models import Account, Member, Plan
from storage.queries.drift import drifting_accounts

WORKDAYS = 5  # Monday to Friday


@dataclass(frozen=True)
class Candidate:
    """An account a source wants visited in the week, and why (``reason``: ``capital`` | ``drift`` …)."""

    account_id: int
    name: str
    city: str | None
    postcode: str | None
    reason: str
    urgency: float  # higher first: how far behind


@dataclass(frozen=True)
class TourLine:
    account_id: int
    account: str
    day: date
    place: str | None  # the city (or postcode) the line is grouped under
    reason: str


Source = Callable[[Session, Member, WorkspaceSettings, datetime, date, date], list[Candidate]]


def capital_due(session: Session, member: Member, settings: WorkspaceSettings, now: datetime, first: date, last: date) -> list[Candidate]:
    """The rep's accounts whose visit rhythm (their capital) asks for a visit by ``last``."""
    rows = capital.accounts_this_year(session, member.workspace_id, [member], settings, now=now)[member.id]
    return [
        Candidate(r.account_id, r.name, r.city, r.postcode, "capital", r.due - r.done)
        for r in capital.due_now(rows, first, last)
    ]


def _planned_by_hand(session: Session, member: Member) -> set[int]:
    """Accounts where the rep has an open visit they planned themselves (or by an earlier tour)."""
    return set(session.scalars(select(Plan.account_id).where(
        Plan.workspace_id == member.workspace_id,
        Plan.member_id == member.id,
        Plan.status == "planned",
        Plan.action_type.in_(IN_PERSON),
        Plan.source != "segment",
    )))


def drifting_clients(session: Session, member: Member, settings: WorkspaceSettings, now: datetime, first: date, last: date) -> list[Candidate]:
    """The rep's clients drifting away (storage/queries/drift.py), the most drifting first."""
    drifting = drifting_accounts(session, member.workspace_id, now, rep_ids=[member.id], rules=drift_rules(settings))
    if not drifting:
        return []
    places = {row.id: (row.city, row.postcode) for row in session.execute(
        select(Account.id, Account.city, Account.postcode).where(Account.id.in_([d.account_id for d in drifting]))
    )}
    return [
        Candidate(d.account_id, d.name, *places.get(d.account_id, (None, None)), "drift", max(1.0, d.score))
        for d in drifting
    ]


# Where candidates come from, in order (an account named by several keeps its first reason).
SOURCES: list[Source] = [capital_due, drifting_clients]


def week_of(today: date, *, next_week: bool) -> tuple[date, date]:
    """The workdays of this week (from tomorrow) or of next week: (first, last)."""
    monday = today - timedelta(days=today.weekday())
    if next_week:
        monday += timedelta(days=7)
        return monday, monday + timedelta(days=WORKDAYS - 1)
    return today + timedelta(days=1), monday + timedelta(days=WORKDAYS - 1)


def candidates(
    session: Session, member: Member, settings: WorkspaceSettings, *, now: datetime, first: date, last: date,
    sources: list[Source] | None = None,
) -> list[Candidate]:
    """Every source's candidates, each account once (its first source's reason)."""
    seen: dict[int, Candidate] = {}
    taken = _planned_by_hand(session, member)  # the rep already chose a day there
    for source in SOURCES if sources is None else sources:
        for candidate in source(session, member, settings, now, first, last):
            if candidate.account_id not in taken:
                seen.setdefault(candidate.account_id, candidate)
    return list(seen.values())


def place_of(candidate: Candidate) -> str:
    """The grouping key: the postcode's department (its first two characters), else the folded city."""
    if candidate.postcode and len(candidate.postcode.strip()) >= 2:
        return candidate.postcode.strip()[:2]
    return fold(candidate.city or "")


def propose(found: list[Candidate], first: date, last: date, per_day: int) -> list[TourLine]:
    """Fill the workdays first..last with ``per_day`` visits each: the most urgent place first, a place's
    accounts together (a place bigger than a day continues the next day); what does not fit waits."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1) if (first + timedelta(days=i)).weekday() < WORKDAYS]
    if not days or per_day <= 0:
        return []
    places: dict[str, list[Candidate]] = {}
    for candidate in sorted(found, key=lambda c: (-c.urgency, c.name)):
        places.setdefault(place_of(candidate), []).append(candidate)
    ordered = sorted(places.values(), key=lambda group: (-max(c.urgency for c in group), group[0].name))
    lines: list[TourLine] = []
    day_index, used = 0, 0
    for group in ordered:
        if used and used + len(group) > per_day and len(group) <= per_day:
            day_index, used = day_index + 1, 0  # a place that fits a day is not split over two
        for candidate in group:
            if used == per_day:
                day_index, used = day_index + 1, 0
            if day_index >= len(days):
                return lines
            lines.append(TourLine(candidate.account_id, candidate.name, days[day_index],
                                  candidate.city or candidate.postcode, candidate.reason))
            used += 1
    return lines


def accept(session: Session, member: Member, lines: list[TourLine], *, now: datetime) -> tuple[list[Plan], list[TourLine]]:
    """Plan a visit for each line at 09:00 on its day. The automatic visit Carnet had planned at the
    account (from its capital) moves to that day rather than stay beside it; a line whose account
    already has a visit the rep planned (by hand or by an earlier tour), or whose day is past, is
    skipped. Returns (plans made, lines skipped)."""
    zone = known_zone(member.tz)
    made, skipped = [], []
    taken = _planned_by_hand(session, member)
    for line in lines:
        account = session.get(Account, line.account_id)
        due_at = local_to_utc(datetime.combine(line.day, DEFAULT_HOUR), zone) if zone else None
        if account is None or account.workspace_id != member.workspace_id or due_at is None or due_at <= now \
                or line.account_id in taken:
            skipped.append(line)
            continue
        automatic = session.scalar(select(Plan).where(
            Plan.workspace_id == member.workspace_id, Plan.account_id == line.account_id,
            Plan.status.in_(("planned", "missed")), Plan.action_type.in_(IN_PERSON), Plan.source == "segment",
        ).order_by(Plan.id).limit(1))
        if automatic is not None and automatic.member_id == member.id:
            reschedule(session, automatic, member, due_at=due_at, has_time=False, now=now)
            automatic.source = "tour"
            made.append(automatic)
        else:
            made.append(create_plan(session, member, account, action_type="visit", due_at=due_at, has_time=False,
                                    now=now, source="tour"))
        taken.add(line.account_id)
    return made, skipped
