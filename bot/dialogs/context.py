"""What every dialogue gets: the open session, who is asking, and when."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core import Reply, Text
from bot.messages import label, translate
from bot.present import InZone
from bot.services.accounts import AccountNameIndex
from storage.models import Member, Workspace


@dataclass
class Context(InZone):
    session: Session
    workspace: Workspace
    member: Member
    now: datetime  # aware UTC
    door: str = ""  # the door the request came through (Request.door): the console, or the chat's
    account_index: AccountNameIndex = field(default_factory=AccountNameIndex)
    later: bool = False  # running the slow part of a command already answered (Reply.after_ack)
    reference: str | None = None  # the member's own message this request answers (Request.reference)

    @property
    def locale(self) -> str:
        return self.member.locale

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.member.tz)

    @property
    def languages(self) -> tuple[str, str]:
        """Languages to read dates in, the member's own first."""
        return ("fr", "en") if self.locale == "fr" else ("en", "fr")

    def reply(self, *lines: Text, ok: bool = True) -> Reply:
        return Reply(locale=self.locale, lines=list(lines), ok=ok)

    def label(self, kind: str, code: str | None) -> str:
        return label(self.locale, kind, code)

    def say(self, key: str, /, **values: object) -> str:
        return translate(self.locale, key, **values)

    @property
    def display_name(self) -> str:
        """The member's name: with ``locale``, ``zone`` and ``now``, a Context is the Reader of
        ``bot/present`` (the presentations dialogs and jobs share)."""
        return self.member.display_name
