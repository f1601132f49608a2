"""The terminal door: the same conversation as Slack, typed in a terminal or piped from a script.

Commands are typed as in Slack (``/log visite Gamma proposition``, mentions such as ``<@U1|bob>``
included: they are read as the Slack door reads them); buttons become numbered choices (type the
number); a form becomes a series of prompts. A line that does not start with ``/`` is a message
written as to a colleague, as in the app's Messages tab.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator, TextIO

from bot.conversation import Conversation
from bot.core import Attachment, Choice, Form, FormField, Reply, Request, Text
from bot.handlers.commands import neutral_text
from bot.render.text import plain, render_reply

QUIT_WORDS = {"quit", "exit", "q", ":q", "bye"}
CANCEL_WORDS = {"cancel", "annuler"}
MAX_FORM_ROUNDS = 3


class ConsoleDoor:
    """Runs lines of input through the conversation and writes the replies as text."""

    def __init__(
        self,
        conversation: Conversation,
        *,
        team_id: str,
        user_id: str,
        out: TextIO = sys.stdout,
        interactive: bool = False,
    ) -> None:
        self.conversation = conversation
        self.team_id = team_id
        self.user_id = user_id
        self.out = out
        self.interactive = interactive
        self.choices: list[Choice] = []
        self.locale = conversation.default_locale

    # ------------------------------------------------------------------ loop

    def run(self, lines: Iterator[str]) -> None:
        """Read commands until the input ends or the user quits."""
        self._write(plain(self.locale, Text("console.welcome", {"team": self.team_id, "user": self.user_id})))
        while True:
            line = self._read(lines, "> ")
            if line is None or line.strip().lower() in QUIT_WORDS:
                break
            self.handle_line(line, lines)
        self._write(plain(self.locale, Text("console.bye")))

    def handle_line(self, line: str, lines: Iterator[str]) -> Reply | None:
        """One typed line: a number picks a choice, ``/cmd words`` runs a command, other words are a message."""
        line = line.strip()
        if not line or line.startswith("#"):
            return None
        if line.isdigit() and self.choices:
            index = int(line)
            if not 1 <= index <= len(self.choices):
                self._write(plain(self.locale, Text("console.bad_pick", {"count": len(self.choices)})))
                return None
            choice = self.choices[index - 1]
            return self._send(Request(self.team_id, self.user_id, choice=choice.value, door="console"), lines)
        if not line.startswith("/"):  # written as to a colleague: read, then proposed as rows
            return self._send(Request(self.team_id, self.user_id, command="message", text=line, door="console"), lines)
        command, _, text = line[1:].partition(" ")
        return self._send(Request(self.team_id, self.user_id, command=command, text=neutral_text(text), door="console"), lines)

    def _send(self, request: Request, lines: Iterator[str]) -> Reply:
        reply = self.conversation.handle(request)
        self.locale = reply.locale
        if reply.after_ack:  # slow work promised by the reply: no ack to hurry here, run it now
            self._show(reply, lines)
            command, _, text = reply.after_ack.partition(" ")
            return self._send(Request(self.team_id, self.user_id, command=command, text=text, door="console", later=True), lines)
        return self._show(reply, lines)

    def _show(self, reply: Reply, lines: Iterator[str]) -> Reply:
        if reply.form is not None:
            return self._fill_form(reply.form, reply.locale, lines)
        text = render_reply(reply)
        if text:
            self._write(text)
        for attachment in reply.attachments:
            if attachment.kind != "chart":  # a document asked for (an export): written here
                path = _write_file(attachment)
                self._write(plain(reply.locale, Text("console.file_written", {"path": str(path)})))
        # A reply with choices replaces the ones on screen; a reply without keeps Undo reachable
        # only if it offered it, like a replaced Slack message.
        self.choices = reply.all_choices
        return reply

    # ------------------------------------------------------------------ forms

    def _fill_form(self, form: Form, locale: str, lines: Iterator[str]) -> Reply:
        self._write(plain(locale, Text("console.form_intro", {"title": plain(locale, form.title)})))
        values: dict[str, object] = {}
        to_ask = list(form.fields)
        for _round in range(MAX_FORM_ROUNDS):
            for field in to_ask:
                answer = self._ask(field, locale, lines)
                if answer is _CANCELLED:
                    self._write(plain(locale, Text("console.form_cancelled")))
                    return Reply(locale=locale, ok=False)
                values[field.name] = answer
            reply = self.conversation.handle(
                Request(
                    self.team_id,
                    self.user_id,
                    form_id=form.form_id,
                    form_values=values,
                    form_metadata=form.metadata,  # e.g. the plan a Done or Reschedule button is about
                    door="console",
                )
            )
            if not reply.field_errors:
                return self._show(reply, lines)
            self._write(render_reply(reply))
            to_ask = [f for f in form.fields if f.name in reply.field_errors]
        self._write(plain(locale, Text("console.form_cancelled")))
        return Reply(locale=locale, ok=False)

    def _ask(self, field: FormField, locale: str, lines: Iterator[str]) -> object:
        label = plain(locale, field.label) + ("" if field.required else " (optional)" if locale == "en" else " (facultatif)")
        if field.widget in ("select", "checkbox"):
            for index, (_value, text) in enumerate(field.options, start=1):
                self._write(f"  [{index}] {plain(locale, text)}")
        if field.hint is not None:
            self._write(f"  ({plain(locale, field.hint)})")
        if field.initial:
            shown = field.initial_label or next(
                (plain(locale, text) for value, text in field.options if value == field.initial), field.initial
            )
            label += f" [{shown}]"
        while True:
            answer = self._read(lines, f"{label}: ")
            if answer is None or answer.strip().lower() in CANCEL_WORDS:
                return _CANCELLED
            answer = answer.strip()
            if not answer:
                if field.widget == "checkbox":
                    return []
                return field.initial  # an account's initial is its "id:N", as Slack's type-ahead sends
            if field.widget in ("select", "checkbox"):
                picked = _pick_option(field, answer)
                if picked is None:
                    self._write(plain(locale, Text("console.bad_pick", {"count": len(field.options)})))
                    continue
                return [picked] if field.widget == "checkbox" else picked
            return answer

    # ------------------------------------------------------------------ I/O

    def _read(self, lines: Iterator[str], prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(prompt)  # input() gives line editing and history in a terminal
            except EOFError:
                return None
        try:
            line = next(lines)
        except StopIteration:
            return None
        self.out.write(prompt + line.rstrip("\n") + "\n")  # an echo makes piped transcripts readable
        return line.rstrip("\n")

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


_CANCELLED = object()


def _write_file(attachment: Attachment) -> Path:
    """Write ``attachment`` in the current directory, never over an existing file (``name-2.xlsx``…)."""
    from bot.render.files import bytes_of

    wanted = Path(Path(attachment.filename).name)  # a name, never a path elsewhere
    path, n = Path.cwd() / wanted, 1
    while path.exists():
        n += 1
        path = Path.cwd() / f"{wanted.stem}-{n}{wanted.suffix}"
    path.write_bytes(bytes_of(attachment))
    return path


def _pick_option(field: FormField, answer: str) -> str | None:
    if answer.isdigit() and 1 <= int(answer) <= len(field.options):
        return field.options[int(answer) - 1][0]
    codes = {value for value, _text in field.options}
    return answer if answer in codes else None


def stdin_lines(stream: TextIO) -> Iterator[str]:
    """Lines of ``stream`` one at a time (works for a terminal and for a pipe)."""
    while True:
        line = stream.readline()
        if not line:
            return
        yield line
