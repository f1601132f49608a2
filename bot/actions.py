"""What a button means: small typed dataclasses, encoded into the button's value and decoded once.

A choice travels as a string (a Slack button value, a console option): ``"<dialog>.<name>:<arg>:<arg>"``,
e.g. ``"log.pick_account:12:5"``. Dialogs never build or split that string: each declares its
actions as frozen dataclasses with ``@action("log.pick_account")``, offers them with ``choice(...)``,
and receives them decoded, with their fields typed. The wire form stays the one buttons already
posted in Slack carry, so an upgrade does not break a button on screen.

The same module turns the payload of a pending command (a dataclass) into JSON-ready data and back.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from bot.core import Choice, Text

A = TypeVar("A", bound="Action")
T = TypeVar("T")

_ROUTES: dict[str, type["Action"]] = {}


@dataclass(frozen=True)
class Action:
    """A button's meaning; subclasses are declared with ``@action(route)``."""

    route: ClassVar[str] = ""
    # A payload dataclass when the action answers a pending command (its first field, ``pending``,
    # is that command's id): the core takes the pending command, once, and hands its payload over.
    payload: ClassVar[type | None] = None
    # A model when the action is about one row of it (a plan, a deal), named by its ``id`` field:
    # the core finds it in the member's workspace and refuses another member's (``about``).
    subject: ClassVar[type | None] = None

    @property
    def value(self) -> str:
        """The button value: the route, then each field (``None`` fields at the end are left out)."""
        args = [getattr(self, f.name) for f in dataclasses.fields(self)]
        while args and args[-1] is None:
            args.pop()
        return ":".join([self.route, *("" if a is None else str(a) for a in args)])


def action(route: str, *, payload: type | None = None, subject: type | None = None):
    """Declare a frozen dataclass as the action ``route`` (``"<dialog>.<name>"``), answering a
    pending command whose payload is a ``payload``, or about a row of ``subject``."""

    def declare(cls: type[A]) -> type[A]:
        if route in _ROUTES and _ROUTES[route].__qualname__ != cls.__qualname__:
            raise ValueError(f"two actions named {route}")
        cls = dataclass(frozen=True)(cls)
        cls.route = route
        cls.payload = payload
        cls.subject = subject
        _ROUTES[route] = cls
        return cls

    return declare


def row_action(route: str, subject: type, doc: str) -> type[Action]:
    """Declare the action ``route`` about one row of ``subject``, named by its ``id``."""
    cls = types.new_class(route.rpartition(".")[2].title().replace("_", ""), (Action,),
                          exec_body=lambda ns: ns.update(__annotations__={"id": int}, __doc__=doc))
    return action(route, subject=subject)(cls)


def choice(label: Text, act: Action, style: str | None = None) -> Choice:
    """A button (a numbered option in the console) that means ``act``."""
    return Choice(label, act.value, style)


def dialog_of(value: str) -> str:
    """The dialog a choice value belongs to (``"log"`` for ``"log.undo:3"``)."""
    return value.partition(":")[0].partition(".")[0]


def decode(value: str) -> Action | None:
    """The action a button value means, or None for a value no dialog declared (or forged)."""
    route, _, rest = (value or "").partition(":")
    cls = _ROUTES.get(route)
    if cls is None:
        return None
    args = rest.split(":") if rest else []
    fields = dataclasses.fields(cls)
    if len(args) > len(fields):
        return None
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for index, field in enumerate(fields):
        raw = args[index] if index < len(args) else None
        optional = _is_optional(hints[field.name])
        if raw is None or raw == "":
            if not optional:
                return None
            values[field.name] = None
            continue
        kind = _base_type(hints[field.name])
        if kind is int:
            number = row_id(raw)
            if number is None:
                return None
            values[field.name] = number
        else:
            values[field.name] = raw
    return cls(**values)


MAX_ID = 2**63 - 1  # the largest id a database column holds; a larger one names no row


def row_id(raw: Any) -> int | None:
    """A row id read from outside (a button value, form metadata): ASCII digits within a
    database's integer range, else None (``"²"`` is a digit to Python, not to ``int``)."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    number = int(raw)
    return number if number <= MAX_ID else None


def _is_optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def _base_type(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return args[0]
    return hint


# --------------------------------------------------------------------------- pending payloads


def to_data(value: Any) -> Any:
    """A payload dataclass (or a value inside one) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    return value


def from_data(cls: type[T], data: Any) -> T:
    """The payload dataclass ``cls`` read back from ``to_data``'s output (unknown keys ignored)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in data:
            values[field.name] = _read(hints[field.name], data[field.name])
    return cls(**values)


def _read(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    kind = _base_type(hint)
    if dataclasses.is_dataclass(kind):
        return from_data(kind, raw)
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if kind is Decimal:
        return Decimal(raw)
    if kind is int:  # metadata comes back from outside: a number or its digits, nothing else
        number = None if isinstance(raw, bool) else raw if isinstance(raw, int) and 0 <= raw <= MAX_ID else row_id(raw)
        if number is None:
            raise ValueError(f"not a whole number: {raw!r}")
        return number
    if kind in (str, bool) and not isinstance(raw, kind):
        raise ValueError(f"not a {kind.__name__}: {raw!r}")
    return raw
