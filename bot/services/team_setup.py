"""Team set-up: roles, who reports to whom, language, time zone and period of each member.

Changes come from ``/carnet team …`` (admins) or a CSV (``carnet team import``). Every row is
checked first — unknown users, unknown managers, manager cycles, invalid time zones or
periods — and a file with any error changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.members import valid_tz
from bot.services.periods import PERIODS
from storage.models import Member, Workspace

ROLES = ("rep", "manager", "admin")
LOCALES = ("fr", "en")
CSV_COLUMNS = ("slack_user_id", "role", "manager", "locale", "timezone", "period")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class MemberSetup:
    """One member's set-up as asked; None leaves a field as it is (or at its default for a new member)."""

    user_id: str  # the chat's id of the member
    role: str | None = None
    manager: str | None = None  # the manager's user id; "" removes the manager
    locale: str | None = None
    tz: str | None = None
    period: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class SetupProblem:
    """Why a row cannot be used: ``code`` names ``team.error.<code>``; ``line`` is the CSV line (or 0)."""

    line: int
    code: str
    value: str = ""


class TeamSetupError(Exception):
    def __init__(self, problems: list[SetupProblem]) -> None:
        super().__init__(", ".join(f"{p.line}:{p.code}" for p in problems))
        self.problems = problems


@dataclass
class SetupResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def parse_csv(text: str) -> tuple[list[tuple[int, MemberSetup]], list[SetupProblem]]:
    """Read the team CSV (header: slack_user_id, role, manager, locale, timezone, period [, name])."""
    problems: list[SetupProblem] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        return [], [SetupProblem(1, "missing_columns", ", ".join(missing))]
    rows: list[tuple[int, MemberSetup]] = []
    for raw in reader:
        number = reader.line_num  # the file's own line (blank lines are skipped, not renumbered)
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        rows.append(
            (
                number,
                MemberSetup(
                    user_id=row["slack_user_id"],
                    role=row["role"].lower() or None,
                    manager=row["manager"],
                    locale=row["locale"].lower() or None,
                    tz=row["timezone"] or None,
                    period=row["period"].lower() or None,
                    display_name=row.get("name") or None,
                ),
            )
        )
    return rows, problems


def check(
    session: Session,
    workspace: Workspace,
    rows: Iterable[tuple[int, MemberSetup]],
    *,
    user_exists: Callable[[str], bool] | None = None,
) -> list[SetupProblem]:
    """Every problem of ``rows`` against the workspace as it would be after them."""
    rows = list(rows)
    problems: list[SetupProblem] = []
    existing = {m.slack_user_id: m for m in session.scalars(select(Member).where(Member.workspace_id == workspace.id))}
    asked: dict[str, MemberSetup] = {}
    for line, setup in rows:
        uid = setup.user_id
        if uid not in existing and not _USER_ID.match(uid):  # a member Carnet knows has a real id
            problems.append(SetupProblem(line, "bad_user_id", uid))
            continue
        if uid in asked:
            problems.append(SetupProblem(line, "duplicate_user", uid))
        asked[uid] = setup
        if uid not in existing and user_exists is not None and not user_exists(uid):
            problems.append(SetupProblem(line, "unknown_user", uid))
        if setup.role is not None and setup.role not in ROLES:
            problems.append(SetupProblem(line, "bad_role", setup.role))
        if setup.locale is not None and setup.locale not in LOCALES:
            problems.append(SetupProblem(line, "bad_locale", setup.locale))
        if setup.tz is not None and not valid_tz(setup.tz):
            problems.append(SetupProblem(line, "bad_tz", setup.tz))
        if setup.period is not None and setup.period not in PERIODS:
            problems.append(SetupProblem(line, "bad_period", setup.period))
        if setup.manager:
            if setup.manager == uid:
                problems.append(SetupProblem(line, "own_manager", uid))
            elif setup.manager not in existing and not any(s.user_id == setup.manager for _l, s in rows):
                problems.append(SetupProblem(line, "unknown_manager", setup.manager))
    # Who would manage whom afterwards, then look for a loop.
    manager_of: dict[str, str | None] = {}
    by_id = {m.id: m.slack_user_id for m in existing.values()}
    for uid, member in existing.items():
        manager_of[uid] = by_id.get(member.manager_id) if member.manager_id else None
    for uid, setup in asked.items():
        if setup.manager is not None:
            manager_of[uid] = setup.manager or None
    lines = {setup.user_id: line for line, setup in rows}
    reported: set[frozenset[str]] = set()
    for start in manager_of:
        seen: list[str] = []
        current: str | None = start
        while current is not None and current not in seen:
            seen.append(current)
            current = manager_of.get(current)
        if current is not None and current == start:
            loop = frozenset(seen)
            if loop not in reported:
                reported.add(loop)
                # The line of the first row of the file that takes part in the loop (0: none does).
                line = min((lines[uid] for uid in seen if uid in lines), default=0)
                problems.append(SetupProblem(line, "manager_cycle", " → ".join(seen + [start])))
    return problems


def apply(
    session: Session,
    workspace: Workspace,
    rows: Iterable[tuple[int, MemberSetup]],
    *,
    now: datetime,
    default_tz: str,
    default_locale: str,
    user_exists: Callable[[str], bool] | None = None,
) -> SetupResult:
    """Check then apply every row; raises ``TeamSetupError`` (and changes nothing) on any problem."""
    rows = list(rows)
    problems = check(session, workspace, rows, user_exists=user_exists)
    if problems:
        raise TeamSetupError(problems)
    result = SetupResult()
    members = {m.slack_user_id: m for m in session.scalars(select(Member).where(Member.workspace_id == workspace.id))}
    for _line, setup in rows:  # create first, so managers named later in the file exist
        if setup.user_id not in members:
            member = Member(
                workspace_id=workspace.id,
                slack_user_id=setup.user_id,
                display_name=setup.display_name or setup.user_id,
                role="rep",
                locale=default_locale,
                tz=default_tz,
                period="month",
                created_at=now,
                # The admin's own (the defaults given) until their first use reads Slack's profile.
                locale_source="inherited",
                tz_source="inherited",
                profile_checked_at=None,
            )
            session.add(member)
            members[setup.user_id] = member
            result.created.append(setup.user_id)
        else:
            result.updated.append(setup.user_id)
    session.flush()
    for _line, setup in rows:
        member = members[setup.user_id]
        if setup.role:
            member.role = setup.role
        if setup.locale:
            member.locale, member.locale_source = setup.locale, "admin"  # Slack's profile no longer replaces it
        if setup.tz:
            member.tz, member.tz_source = setup.tz, "admin"
        if setup.period:
            member.period = setup.period
        if setup.display_name:
            member.display_name = setup.display_name
        if setup.manager is not None:
            member.manager_id = members[setup.manager].id if setup.manager else None
    session.flush()
    return result
