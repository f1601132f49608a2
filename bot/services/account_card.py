"""An account's card and its changes: status, segment, owner, visit capital, city and postcode.

Who may change an account: its owner, a manager whose reporting line holds the owner (any manager
when nobody owns it), an admin. The words each field accepts (French or English) are read here
once, for the /compte dialog and the accounts import alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from bot.services import capital, workspace_settings
from bot.services.team import can_view
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Account, Member, Workspace
from storage.queries import accounts as account_reads

STATUSES = ("prospect", "client", "former_client")
SEGMENTS = ("gold", "silver", "bronze")
# Visits a year when the account has no capital of its own (h-capital's workspace defaults replace these).
MAX_CAPITAL = 365
MAX_CITY = 120
MAX_POSTCODE = 16
STATUS_WORDS = {
    "prospect": "prospect", "client": "client", "customer": "client", "ancien client": "former_client",
    "ex-client": "former_client", "ex client": "former_client", "former client": "former_client",
    "former customer": "former_client", "former_client": "former_client",
}
SEGMENT_WORDS = {"gold": "gold", "or": "gold", "silver": "silver", "argent": "silver", "bronze": "bronze"}
NONE_WORDS = {"none", "aucun", "aucune", "-", "sans", "no"}
DEFAULT_WORDS = {"default", "defaut", "par defaut", "standard"}
KEEP = object()  # a field the change leaves as it is


class AccountChangeError(ValueError):
    """A value a field cannot take: ``code`` names ``account.error.<code>``."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(f"{code}: {value}")
        self.code, self.value = code, value


@dataclass(frozen=True)
class CapitalUse:
    """The account's visit capital this year, by the one definition of ``bot/services/capital.py``:
    visits done so far, due pro rata of the year elapsed, still planned (capital None: none)."""

    used: int
    capital: int | None
    own: bool  # the account's own capital, not the segment's default
    due: float = 0.0
    planned: int = 0


def capital_use(
    session: Session, account: Account, now: datetime, zone: ZoneInfo | None = None,
    settings: WorkspaceSettings | None = None,
) -> CapitalUse:
    """The account's capital this calendar year (in ``zone``, UTC by default), as plans, KPIs, digest
    and review count it (``capital.accounts_in``)."""
    settings = settings or workspace_settings.load(session.get(Workspace, account.workspace_id))
    zone_name = getattr(zone, "key", None) or "UTC"
    today = now.astimezone(zone or timezone.utc).date()
    window = capital.year_window(today, zone_name, now)
    rows = capital.accounts_of(session, account.workspace_id, [account.id], window, settings)
    own = account.visits_per_year is not None
    if not rows:  # no capital: the visits of the year still show
        used = account_reads.visits_in_person(session, account, since=window.start, until=today,
                                              visit_types=capital.IN_PERSON)
        return CapitalUse(used=used, capital=None, own=own)
    [row] = rows
    return CapitalUse(used=row.done, capital=row.capital, own=own, due=row.due, planned=row.planned)


def may_change(member: Member, account: Account, owner: Member | None) -> bool:
    """The owner, a manager above the owner (any manager of an unowned account), an admin."""
    if member.workspace_id != account.workspace_id:
        return False
    if member.role == "admin" or (owner is not None and owner.id == member.id):
        return True
    if member.role != "manager":
        return False
    return owner is None or can_view(member, owner)


def read_status(word: str) -> str:
    status = STATUS_WORDS.get(fold(word).replace("_", " ").strip()) or STATUS_WORDS.get(fold(word).strip())
    if status is None:
        raise AccountChangeError("bad_status", word)
    return status


def read_segment(word: str) -> str | None:
    key = fold(word).strip()
    if key in NONE_WORDS:
        return None
    if key not in SEGMENT_WORDS:
        raise AccountChangeError("bad_segment", word)
    return SEGMENT_WORDS[key]


def read_capital(text: str) -> int | None:
    """Visits a year: a whole number 0..365, or ``default`` or nothing (None: the segment's default)."""
    key = fold(text).strip()
    for suffix in ("/an", "/year", " par an", " a year", " per year"):
        key = key.removesuffix(suffix).strip()
    if not key or key in DEFAULT_WORDS or key in NONE_WORDS:
        return None
    if not key.isdigit() or int(key) > MAX_CAPITAL:
        raise AccountChangeError("bad_capital", text)
    return int(key)


def read_city(text: str) -> str | None:
    city = " ".join(text.split())
    if fold(city) in NONE_WORDS or not city:
        return None
    if len(city) > MAX_CITY:
        raise AccountChangeError("city_too_long", city[:40])
    return city


def read_postcode(text: str) -> str | None:
    code = "".join(text.split())
    if not code or fold(code) in NONE_WORDS:
        return None
    if len(code) > MAX_POSTCODE or not all(ch.isalnum() or ch == "-" for ch in code):
        raise AccountChangeError("bad_postcode", text)
    return code


@dataclass(frozen=True)
class AccountChange:
    """What to change; ``KEEP`` leaves a field as it is, None clears it."""

    status: Any = KEEP
    segment: Any = KEEP
    owner_id: Any = KEEP
    visits_per_year: Any = KEEP
    city: Any = KEEP
    postcode: Any = KEEP

    def changed(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not KEEP}


def apply_change(account: Account, change: AccountChange) -> list[str]:
    """Write ``change`` on the account; returns the names of the fields whose value changed."""
    done = []
    for name, value in change.changed().items():
        if getattr(account, name) != value:
            setattr(account, name, value)
            done.append(name)
    return done
