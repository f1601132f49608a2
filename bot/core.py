"""The neutral conversation: a Request comes in through a door (Slack or console), a Reply goes out.

Replies are plain data — message keys from the catalogue, facts, choices, a form to open —
so that one renderer turns them into Block Kit and another into terminal text, and tests
assert on them directly.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Text:
    """A sentence of the catalogue (``bot/messages``) and the values it needs."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)
    # A line of a reply may belong to a list (e.g. "reps"): when a door cannot show the whole reply,
    # it shortens lists (saying "… and N more") and never cuts the other lines. Not part of equality:
    # it is layout, not meaning.
    group: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Fact:
    """One labelled value of a reply (e.g. Account: Gamma)."""

    label: Text
    value: Text | str


@dataclass(frozen=True)
class Choice:
    """A button in Slack, a numbered option in the console; ``value`` carries its whole meaning."""

    label: Text
    value: str
    style: str | None = None  # primary | danger


@dataclass(frozen=True)
class Item:
    """One entry of a list with its own buttons (an agenda line and its Done / Snooze / Cancel)."""

    text: Text
    choices: list[Choice] = field(default_factory=list)


@dataclass(frozen=True)
class FormField:
    """One input of a form (a modal block in Slack, a prompt in the console)."""

    name: str
    label: Text
    widget: str  # text | long_text | select | date | checkbox | account (type-ahead over accounts)
    required: bool = False
    options: list[tuple[str, Text]] = field(default_factory=list)
    initial: str | None = None
    hint: Text | None = None
    initial_label: str | None = None  # what to show for ``initial`` when it is a code (e.g. an account id)
    max_length: int | None = None  # for text fields: the longest answer accepted


@dataclass(frozen=True)
class Form:
    """A form to open; ``metadata`` (a dataclass the dialog declares, or its plain data) travels
    with it and comes back, as plain data, on submission."""

    form_id: str
    title: Text
    submit: Text
    fields: list[FormField]
    metadata: Any = None


@dataclass
class Reply:
    """What Carnet answers, in the member's language."""

    locale: str
    lines: list[Text] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    form: Form | None = None
    field_errors: dict[str, Text] = field(default_factory=dict)
    replace_original: bool = False
    ok: bool = True
    # Slow work promised by this reply ("carnet digest"): the Slack door acks first, then runs
    # this command as a ``later`` Request delivered through the outbox; the console runs it at once.
    after_ack: str | None = None
    # Set by the door that also sends the complete reply as a file (to the reader's DM) when it
    # does not fit one message: the shortened message then says where the rest is.
    full_copy: bool = False
    # Files that go with the reply (a digest's chart): each door decides where they go.
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """The message keys of the lines, handy in tests."""
        return [line.key for line in self.lines]

    @property
    def all_choices(self) -> list[Choice]:
        """Every choice offered, the items' first, in the order the console numbers them."""
        return [c for item in self.items for c in item.choices] + list(self.choices)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (what ``from_dict`` reads back); built by hand, as ``asdict``'s deep
        copies made queuing a morning's agendas slow."""

        def text(t: Text | None) -> dict[str, Any] | None:
            return None if t is None else {"key": t.key, "values": dict(t.values), "group": t.group}

        def choice(c: Choice) -> dict[str, Any]:
            return {"label": text(c.label), "value": c.value, "style": c.style}

        form = None
        if self.form is not None:
            form = {
                "form_id": self.form.form_id,
                "title": text(self.form.title),
                "submit": text(self.form.submit),
                "metadata": self.form.metadata if isinstance(self.form.metadata, (str, dict)) else plain_metadata(self.form),
                "fields": [
                    {
                        "name": f.name,
                        "label": text(f.label),
                        "widget": f.widget,
                        "required": f.required,
                        "options": [[value, text(label)] for value, label in f.options],
                        "initial": f.initial,
                        "hint": text(f.hint),
                        "initial_label": f.initial_label,
                        "max_length": f.max_length,
                    }
                    for f in self.form.fields
                ],
            }
        return {
            "locale": self.locale,
            "lines": [text(t) for t in self.lines],
            "facts": [{"label": text(f.label), "value": text(f.value) if isinstance(f.value, Text) else f.value} for f in self.facts],
            "choices": [choice(c) for c in self.choices],
            "items": [{"text": text(i.text), "choices": [choice(c) for c in i.choices]} for i in self.items],
            "form": form,
            "field_errors": {k: text(v) for k, v in self.field_errors.items()},
            "replace_original": self.replace_original,
            "ok": self.ok,
            "after_ack": self.after_ack,
            "full_copy": self.full_copy,
            "attachments": [a.to_dict() for a in self.attachments],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reply":
        def text(d: dict[str, Any] | None) -> Text | None:
            return None if d is None else Text(d["key"], dict(d.get("values") or {}), d.get("group"))

        def value(v: Any) -> Text | str:
            return text(v) if isinstance(v, dict) else v  # type: ignore[return-value]

        def choice(c: dict[str, Any]) -> Choice:
            return Choice(text(c["label"]), c["value"], c.get("style"))  # type: ignore[arg-type]

        form = None
        if data.get("form"):
            f = data["form"]
            form = Form(
                form_id=f["form_id"],
                title=text(f["title"]),  # type: ignore[arg-type]
                submit=text(f["submit"]),  # type: ignore[arg-type]
                metadata=f.get("metadata") or None,
                fields=[
                    FormField(
                        name=ff["name"],
                        label=text(ff["label"]),  # type: ignore[arg-type]
                        widget=ff.get("widget") or ff["kind"],  # "kind" in replies stored before the rename
                        required=ff.get("required", False),
                        options=[(o[0], text(o[1])) for o in ff.get("options", [])],  # type: ignore[misc]
                        initial=ff.get("initial"),
                        hint=text(ff.get("hint")),
                        initial_label=ff.get("initial_label"),
                        max_length=ff.get("max_length"),
                    )
                    for ff in f["fields"]
                ],
            )
        return cls(
            locale=data["locale"],
            lines=[text(t) for t in data.get("lines", [])],  # type: ignore[misc]
            facts=[Fact(text(f["label"]), value(f["value"])) for f in data.get("facts", [])],  # type: ignore[arg-type]
            choices=[choice(c) for c in data.get("choices", [])],
            items=[Item(text(i["text"]), [choice(c) for c in i.get("choices", [])]) for i in data.get("items", [])],  # type: ignore[arg-type]
            form=form,
            field_errors={k: text(v) for k, v in data.get("field_errors", {}).items()},  # type: ignore[misc]
            replace_original=data.get("replace_original", False),
            ok=data.get("ok", True),
            after_ack=data.get("after_ack", data.get("followup")),
            full_copy=data.get("full_copy", False),
            attachments=[Attachment.from_dict(a) for a in data.get("attachments", [])],
        )


def plain_metadata(form: Form) -> dict[str, Any]:
    """A form's metadata as plain data, as it travels with the form (a dataclass's empty fields
    are left out)."""
    meta = form.metadata
    if dataclasses.is_dataclass(meta) and not isinstance(meta, type):
        return {f.name: getattr(meta, f.name) for f in dataclasses.fields(meta) if getattr(meta, f.name) is not None}
    if isinstance(meta, str):  # already serialised (a stored reply of an older version)
        try:
            meta = json.loads(meta) if meta else {}
        except ValueError:
            return {}
    return dict(meta) if isinstance(meta, dict) else {}


@dataclass(frozen=True)
class Request:
    """Who asks what: a command and its words, a chosen option, or a submitted form.

    ``request_key`` identifies one user gesture (Slack's trigger_id, a view hash): the same
    key seen again is a retry and gets the stored reply instead of running twice.
    ``deliver_to`` asks the core to also queue the reply in the outbox for that audience (e.g.
    the command's ``response_url``), in the same transaction as the work it reports. ``later`` marks the
    slow part of an earlier command (its Reply's ``after_ack``), run after that command's ack.
    ``reference`` names the member's own message a request answers (Slack's ``ts``), so that an
    edit of that message finds the answer its first version got.
    """

    team_id: str
    user_id: str
    command: str | None = None
    text: str = ""
    choice: str | None = None
    form_id: str | None = None
    form_values: dict[str, Any] = field(default_factory=dict)
    form_metadata: dict[str, Any] | Any = None
    request_key: str | None = None
    deliver_to: Audience | None = None
    door: str = "slack"  # which door the request came through: slack | console
    later: bool = False
    reference: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.deliver_to, dict):  # given in its stored form (an outbox row's "destination")
            object.__setattr__(self, "deliver_to", Audience.from_dict(self.deliver_to))


# --------------------------------------------------------------------------- attachments


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a chart, a text or CSV document.

    Plain data, like the rest of the Reply: the door that shows the reply decides where the file
    goes, and ``bot/render/files.py`` turns it into bytes only when it is sent (drawing a chart
    takes a third of a second: never while a reply, or a morning's digests, are being built)."""

    kind: str  # chart (a PNG drawn from ``data``) | text | csv (``data`` is the document itself) | xlsx (base64)
    filename: str
    title: str
    data: Any  # chart: the plain JSON the drawing reads; text, csv: a str
    comment: str = ""  # said with the file where it is posted

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "filename": self.filename, "title": self.title, "data": self.data, "comment": self.comment}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Attachment":
        return cls(data["kind"], data["filename"], data["title"], data["data"], data.get("comment", ""))


# --------------------------------------------------------------------------- audiences


class UnknownAudience(ValueError):
    """A stored destination whose ``type`` Carnet does not know."""


@dataclass(frozen=True)
class Audience:
    """Who a queued reply (or file) is for, said without Slack: the member, a channel, the
    requester where the door answers them. Only the doors (``bot/handlers/``) and the delivery
    worker turn an audience into a Slack conversation.

    Outbox rows keep ``to_dict()``: the JSON they have always held (``{"type": "dm", "user": …}``),
    so rows queued before these types existed are read back by ``from_dict``."""

    TYPE: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"type": self.TYPE}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None or f.default is MISSING:
                stored[f.name] = value
        return stored

    @staticmethod
    def from_dict(data: Any) -> "Audience":
        """The audience an outbox row names; TypeError when it is not an object, UnknownAudience
        for a type Carnet does not know, KeyError when a field is missing."""
        if not isinstance(data, dict):
            raise TypeError("destination is not an object")
        kind = _AUDIENCES.get(data.get("type"))  # type: ignore[arg-type]
        if kind is None:
            raise UnknownAudience(f"unknown destination {data.get('type')!r}")
        return kind(**{f.name: data[f.name] for f in fields(kind) if f.default is MISSING or f.name in data})


@dataclass(frozen=True)
class ToMember(Audience):
    """The member, in their private conversation with Carnet."""

    TYPE: ClassVar[str] = "dm"
    user: str


@dataclass(frozen=True)
class ToChannel(Audience):
    """A channel (the team's). With ``user``: that member's own message, sent to them privately
    when the channel will not take it."""

    TYPE: ClassVar[str] = "channel"
    channel: str
    user: str | None = None


@dataclass(frozen=True)
class ToReplyUrl(Audience):
    """The requester, at the reply address their door gave (a Slack ``response_url``)."""

    TYPE: ClassVar[str] = "response_url"
    url: str


@dataclass(frozen=True)
class ToMemberInChannel(Audience):
    """The requester alone, in the channel they asked from (a Slack ephemeral message)."""

    TYPE: ClassVar[str] = "ephemeral"
    channel: str
    user: str


@dataclass(frozen=True)
class ToHome(Audience):
    """The member's own home page (the Slack App Home), redrawn with the reply."""

    TYPE: ClassVar[str] = "home"
    user: str


_AUDIENCES: dict[str, type[Audience]] = {kind.TYPE: kind for kind in (ToMember, ToChannel, ToReplyUrl, ToMemberInChannel, ToHome)}
