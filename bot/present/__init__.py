"""What Carnet says, built once for whoever asks: the dialogs (a command's answer) and the jobs (the
morning agenda, a visit reminder, the managers' reports) both get their Replies here.

A presentation takes a ``Reader`` — the language, time zone and "now" of the member it is written
for, and their name — and plain data (plans, a digest); it returns a ``Reply``. It opens no session
and knows no dialog, so ``bot/jobs/`` writes the same messages as the dialogs without importing them.
It sits below ``bot/dialogs/`` and above ``bot/render/``: it decides *what* to say, a renderer
decides how a door shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from storage.models import Member


class Reader(Protocol):
    """Whom a message is written for. A dialog's Context is one; ``MemberReader`` is the plain one."""

    @property
    def locale(self) -> str: ...

    @property
    def zone(self) -> ZoneInfo: ...

    @property
    def now(self) -> datetime: ...  # aware UTC

    @property
    def local_now(self) -> datetime: ...

    @property
    def today(self) -> date: ...  # the reader's calendar day, in their zone

    @property
    def display_name(self) -> str: ...


class InZone:
    """``local_now`` and ``today`` for whatever has an aware UTC ``now`` and a ``zone``."""

    now: datetime
    zone: ZoneInfo

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.zone)

    @property
    def today(self) -> date:
        """The calendar day in that zone."""
        return self.local_now.date()


@dataclass(frozen=True)
class MemberReader(InZone):
    """A member as the reader of a message, from plain values (what the scheduler writes with)."""

    locale: str
    zone: ZoneInfo
    now: datetime
    display_name: str

    @classmethod
    def of(cls, member: Member, now: datetime) -> "MemberReader":
        return cls(member.locale, ZoneInfo(member.tz), now, member.display_name)
