"""The console tests' terminal: one person typing at ``ConsoleDoor`` and reading what it printed."""

from __future__ import annotations

import io
import re

from bot.console import ConsoleDoor
from bot.runtime import Runtime
from tests.support.messages import flat


class Terminal:
    """One person at the console: type lines (form answers included), read what came out.

    With ``plain_spaces`` (the default) the output reads Babel's (narrow) no-break spaces in
    amounts and percentages as the plain spaces they look like.
    """

    def __init__(self, runtime: Runtime, user: str = "U1", *, team: str = "T1", plain_spaces: bool = True) -> None:
        self.out = io.StringIO()
        self.door = ConsoleDoor(runtime.conversation, team_id=team, user_id=user, out=self.out)
        self.plain_spaces = plain_spaces

    @property
    def transcript(self) -> str:
        return self.out.getvalue()

    def type(self, *lines: str) -> str:
        """Type ``lines`` one after the other (a form's answers included); returns the new output."""
        start = len(self.transcript)
        feed = iter(lines)
        for line in feed:
            self.door.handle_line(line, feed)
        new = self.transcript[start:]
        return flat(new) if self.plain_spaces else new

    @staticmethod
    def choices(output: str) -> list[str]:
        """The labels of the numbered choices shown one a line (``  [2] Gamma SA``)."""
        return re.findall(r"^  \[\d+\] (.*)$", output, flags=re.M)

    @staticmethod
    def number_of(label: str, output: str, item: int | None = None) -> str:
        """The number typed to choose ``label`` in ``output`` (``  [2] Gamma SA`` → ``"2"``; several
        choices may share a line, as an item's buttons do). Without ``item`` exactly one choice
        ``label`` must be shown; with it, the ``item``-th of them (0 the first, -1 the last)."""
        rows = [line for line in output.splitlines() if re.search(r"\[\d+\] ", line)]
        found = re.findall(rf"\[(\d+)\] {re.escape(label)}(?:  |$)", "\n".join(rows), flags=re.MULTILINE)
        if item is None:
            assert len(found) == 1, f"no single choice {label!r} in:\n{output}"
            return found[0]
        assert len(found) > (item if item >= 0 else -item - 1), f"no choice {label!r} in:\n{output}"
        return found[item]
