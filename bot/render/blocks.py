"""The Block Kit renderer: neutral Replies and Forms → Slack messages and modals.

A long reply is laid out within Slack's limits, never cut silently: its lines are packed into
as many sections as needed (3,000 characters each, a line is never cut unless it alone is
longer), in the reply's order. When the whole reply does not fit one message (50 blocks, and
about 12,000 characters: Slack refuses longer ones with ``msg_blocks_too_long``), its lists
(lines marked with a ``group``, and items) are shortened — the other lines (titles, totals) are
always kept — and each shortened list says "… and N more". The door that sends the reply may
also send the complete reply as a text file (``full_copy_file``); the message then says so.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.core import Choice, Fact, Form, FormField, Reply, Text, plain_metadata
from bot.messages import translate
from bot.render.mrkdwn import plain_truncate, split, truncate
from bot.render.text import full_text

CHOICE_ACTION_PREFIX = "carnet.choice"
MAX_SECTION_TEXT = 3000  # Slack's limit for a section's text
MAX_FIELDS = 10  # Slack's limit for a section's fields
MAX_FIELD_TEXT = 2000  # Slack's limit for one field
MAX_MESSAGE_BLOCKS = 50  # Slack's limit for a message
MAX_VIEW_BLOCKS = 100  # Slack's limit for a modal or the App Home
MAX_ACTIONS = 25  # Slack's limit for an actions block's elements
MAX_OPTIONS = 100  # Slack's limit for a static_select
# Not in Slack's reference, but seen: chat.postMessage answers msg_blocks_too_long from about
# 13,200 characters of blocks (slackapi/bolt-js#2509); a message is also read on a phone.
MAX_MESSAGE_CHARS = 12_000
FALLBACK_CHARS = 300  # the notification text: the reply's first line, not the whole report


# Slack's mrkdwn has no escape for its formatting marks: in typed text, a pair of them that Slack
# would read as formatting is shown as look-alikes, so that "*Acme*" is not bold, "~x~" not struck
# and "`x`" no code; a lone mark ("?!*") or one inside a word (snake_case) stays as typed.
_LOOK_ALIKES = {"*": "∗", "~": "∼", "`": "ˋ", "_": "＿"}
_AT_EDGE = {mark: re.compile(("" if mark == "`" else r"(?<!\w)") + re.escape(mark) + "|" + re.escape(mark)
                              + ("" if mark == "`" else r"(?!\w)")) for mark in _LOOK_ALIKES}


def escape(text: str) -> str:
    """Escape what Slack's mrkdwn reads as markup in user-typed text: ``<!channel>``, mentions and
    links (as entities), and pairs of the formatting marks ``*``, ``_``, ``~`` and backticks."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for mark, alike in _LOOK_ALIKES.items():
        if text.count(mark) >= 2:
            text = _AT_EDGE[mark].sub(alike, text)
    return text


def render_text(locale: str, text: Text, *, mrkdwn: bool = True) -> str:
    values = {k: escape(v) if mrkdwn and isinstance(v, str) else v for k, v in text.values.items()}
    return translate(locale, text.key, **values)


def _plain(locale: str, text: Text, limit: int) -> dict[str, Any]:
    rendered = plain_truncate(render_text(locale, text, mrkdwn=False), limit)
    return {"type": "plain_text", "text": rendered or " ", "emoji": True}


def _fact_value(locale: str, fact: Fact) -> str:
    if isinstance(fact.value, Text):
        return render_text(locale, fact.value)
    return escape(fact.value)


def _button(locale: str, index: int, choice: Choice) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": f"{CHOICE_ACTION_PREFIX}.{index}",
        "text": _plain(locale, choice.label, 75),
        "value": choice.value,
    }
    if choice.style in ("primary", "danger"):
        button["style"] = choice.style
    return button


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text if text.strip() else " "}}


def pack(texts: list[str], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Lines joined into as few texts of at most ``limit`` characters as they fit in, in order;
    a line is split (``mrkdwn.split``) only when it alone is longer than ``limit``."""
    sections: list[str] = []
    current: str | None = None
    for text in texts:
        for piece in split(text, limit) if len(text) > limit else [text]:
            if current is None:
                current = piece
            elif len(current) + 1 + len(piece) <= limit:
                current += "\n" + piece
            else:
                sections.append(current)
                current = piece
    if current is not None:
        sections.append(current)
    return sections


@dataclass
class Layout:
    """A reply laid out for one Slack surface: its blocks, and what they could not show."""

    blocks: list[dict[str, Any]]
    shown_lines: list[int]  # indexes in ``reply.lines``
    hidden_lines: int
    shown_items: int
    hidden_items: int
    hidden_choices: int
    cut_facts: int  # facts whose value was cut at Slack's 2,000 characters

    @property
    def complete(self) -> bool:
        return not (self.hidden_lines or self.hidden_items or self.hidden_choices or self.cut_facts)


def _keep_within(lengths: list[int], budget: int) -> int:
    """How many of the first ``lengths`` fit in ``budget`` characters (one newline each)."""
    used = 0
    for count, length in enumerate(lengths):
        used += length + 1
        if used > budget:
            return count
    return len(lengths)


def _share(groups: dict[str, list[int]], budget: int) -> dict[str, int]:
    """Lines kept per list within ``budget`` characters: the short lists whole first, the rest
    split evenly among the long ones (so a digest's wins and risks survive 1,000 rep lines)."""
    keep: dict[str, int] = {}
    order = sorted(groups, key=lambda g: sum(groups[g]) + len(groups[g]))
    left = max(0, budget)
    for position, group in enumerate(order):
        share = left // (len(order) - position)
        keep[group] = _keep_within(groups[group], share)
        left -= sum(groups[group][: keep[group]]) + keep[group]
    return keep


def _text_size(blocks: list[dict[str, Any]]) -> int:
    size = 0
    for block in blocks:
        if "text" in block:
            size += len(block["text"]["text"])
        size += sum(len(f["text"]) for f in block.get("fields", ()))
        size += sum(len(e["text"]["text"]) for e in block.get("elements", ()) if "text" in e)
    return size


class _Builder:
    """Builds the blocks of ``reply`` keeping only some list lines and items."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        locale = reply.locale
        self.texts = [render_text(locale, line) for line in reply.lines]
        self.groups: dict[str, list[int]] = {}
        for index, line in enumerate(reply.lines):
            if line.group is not None:
                self.groups.setdefault(line.group, []).append(index)
        self.item_texts = [render_text(locale, item.text) for item in reply.items]
        self.fact_blocks, self.cut_facts = self._facts()

    def _facts(self) -> tuple[list[dict[str, Any]], int]:
        reply, blocks, cut = self.reply, [], 0
        for start in range(0, len(reply.facts), MAX_FIELDS):
            fields = []
            for fact in reply.facts[start : start + MAX_FIELDS]:
                full = f"*{render_text(reply.locale, fact.label)}*\n{_fact_value(reply.locale, fact)}"
                if len(full) > MAX_FIELD_TEXT:
                    cut += 1
                fields.append({"type": "mrkdwn", "text": truncate(full, MAX_FIELD_TEXT)})
            blocks.append({"type": "section", "fields": fields})
        return blocks, cut

    def build(self, keep: dict[str, int], keep_items: int, keep_essential: int) -> Layout:
        reply, locale = self.reply, self.reply.locale
        shown: set[int] = set()
        for group, indexes in self.groups.items():
            shown.update(indexes[: keep.get(group, len(indexes))])
        essential = [i for i, line in enumerate(reply.lines) if line.group is None]
        shown.update(essential[:keep_essential])
        hidden_essential = len(essential) - min(keep_essential, len(essential))
        texts: list[str] = []
        for index, line in enumerate(reply.lines):
            if index in shown:
                texts.append(self.texts[index])
            group = line.group
            if group is not None and index == self.groups[group][-1]:
                hidden = len(self.groups[group]) - keep.get(group, len(self.groups[group]))
                if hidden:
                    texts.append(translate(locale, "render.more_lines", count=hidden))
        if hidden_essential:
            texts.append(translate(locale, "render.more_lines", count=hidden_essential))
        blocks = [_section(text) for text in pack(texts)]
        blocks.extend(self.fact_blocks)
        index = 0
        for number, item in enumerate(reply.items[:keep_items]):
            blocks.append(_section(truncate(self.item_texts[number], MAX_SECTION_TEXT)))
            if item.choices:
                elements = []
                for choice in item.choices[:MAX_ACTIONS]:
                    elements.append(_button(locale, index, choice))
                    index += 1
                blocks.append({"type": "actions", "block_id": f"carnet.item.{number}", "elements": elements})
        hidden_items = len(reply.items) - min(keep_items, len(reply.items))
        if hidden_items:
            blocks.append(_section(translate(locale, "render.more_items", count=hidden_items)))
        hidden_choices = max(0, len(reply.choices) - MAX_ACTIONS)
        if reply.choices:
            blocks.append(
                {
                    "type": "actions",
                    "block_id": "carnet.choices",
                    "elements": [_button(locale, index + i, c) for i, c in enumerate(reply.choices[:MAX_ACTIONS])],
                }
            )
        if hidden_choices:
            blocks.append(_section(translate(locale, "render.more_choices", count=hidden_choices)))
        layout = Layout(
            blocks=blocks,
            shown_lines=sorted(shown),
            hidden_lines=len(reply.lines) - len(shown),
            shown_items=min(keep_items, len(reply.items)),
            hidden_items=hidden_items,
            hidden_choices=hidden_choices,
            cut_facts=self.cut_facts,
        )
        if reply.full_copy and not layout.complete:
            blocks.append(_section(translate(locale, "render.full_copy")))
        return layout


def layout(reply: Reply, *, max_blocks: int = MAX_MESSAGE_BLOCKS, max_chars: int = MAX_MESSAGE_CHARS) -> Layout:
    """``reply`` within ``max_blocks`` blocks and ``max_chars`` characters: everything when it fits;
    else the lists shortened (items by blocks, lines by characters) and, as a last resort, the
    last ordinary lines too — every line not shown is counted in an "… and N more"."""
    builder = _Builder(reply)
    keep = {group: len(indexes) for group, indexes in builder.groups.items()}
    keep_items = len(reply.items)
    essential = sum(1 for line in reply.lines if line.group is None)
    keep_essential = essential
    for _ in range(60):
        result = builder.build(keep, keep_items, keep_essential)
        over_blocks = len(result.blocks) - max_blocks
        over_chars = _text_size(result.blocks) - max_chars
        if over_blocks <= 0 and over_chars <= 0:
            return result
        kept_group_chars = sum(
            len(builder.texts[i]) + 1 for group, indexes in builder.groups.items() for i in indexes[: keep[group]]
        )
        if over_blocks > 0 and keep_items > 0:
            keep_items = max(0, keep_items - max(1, (over_blocks + 1) // 2))
        elif over_chars > 0 and keep_items > 0 and kept_group_chars == 0:
            average = max(1, sum(len(t) for t in builder.item_texts[:keep_items]) // keep_items)
            keep_items = max(0, keep_items - max(1, -(-over_chars // average)))
        elif kept_group_chars > 0:
            # Fewer characters also means fewer sections: one budget serves both limits.
            cut = max(over_chars, over_blocks * MAX_SECTION_TEXT // 2, 0) + 100
            lengths = {g: [len(builder.texts[i]) for i in indexes] for g, indexes in builder.groups.items()}
            new_keep = _share(lengths, kept_group_chars - cut)
            if new_keep == keep:  # rounding: take one more line off the longest list
                longest = max(keep, key=lambda g: keep[g])
                new_keep[longest] = max(0, keep[longest] - 1)
            keep = new_keep
        elif keep_essential > 0:
            keep_essential -= max(1, keep_essential // 10)
        else:
            break
    return builder.build({g: 0 for g in builder.groups}, 0, 0)


def fits(reply: Reply, *, view: bool = False) -> bool:
    """Whether a message (or, with ``view``, the App Home) can show ``reply`` whole."""
    return layout(reply, max_blocks=MAX_VIEW_BLOCKS if view else MAX_MESSAGE_BLOCKS).complete


def reply_blocks(reply: Reply) -> list[dict[str, Any]]:
    """The blocks of a message showing ``reply`` (shortened to fit, never silently)."""
    return layout(reply).blocks


def fallback_text(reply: Reply) -> str:
    """The text Slack shows in notifications (the blocks show the rest): the first line, cut at a
    safe place (never inside an entity, no formatting left open), with "…" when cut."""
    if not reply.lines:
        return " "
    return truncate(render_text(reply.locale, reply.lines[0]), FALLBACK_CHARS).strip() or " "


def reply_message(reply: Reply) -> dict[str, Any]:
    """A slash-command / response_url message body (ephemeral: only the asker sees it)."""
    message: dict[str, Any] = {
        "response_type": "ephemeral",
        "text": fallback_text(reply),
        "blocks": reply_blocks(reply),
    }
    if reply.replace_original:
        message["replace_original"] = True
    return message


def home_view(reply: Reply) -> dict[str, Any]:
    """The App Home tab showing ``reply`` (100 blocks)."""
    return {"type": "home", "blocks": layout(reply, max_blocks=MAX_VIEW_BLOCKS).blocks}


def full_copy_file(reply: Reply, channel: str, *, name: str = "reply", force: bool = False) -> dict[str, Any] | None:
    """An outbox "file" payload carrying the whole of ``reply`` as plain text to ``channel`` (a
    user id means their DM), or None when a message shows it whole (unless ``force``)."""
    if not force and fits(reply):
        return None
    content = full_text(reply)
    return {
        "channel": channel,
        "filename": f"carnet-{name}.txt",
        "title": translate(reply.locale, "render.full_copy_title"),
        "initial_comment": translate(reply.locale, "render.full_copy_comment"),
        "content_b64": base64.b64encode(content.encode("utf-8")).decode("ascii"),
    }


def _option_limit(field: FormField) -> int:
    return 10 if field.widget == "checkbox" else MAX_OPTIONS  # Slack: 10 checkboxes, 100 select options


def _element(locale: str, field: FormField) -> dict[str, Any]:
    if field.widget in ("text", "long_text"):
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.name}
        if field.widget == "long_text":
            element["multiline"] = True
        if field.max_length:
            element["max_length"] = field.max_length
        if field.initial:
            element["initial_value"] = field.initial
        return element
    if field.widget == "account":
        # Type-ahead over the workspace's accounts, served by the block_suggestion handler.
        element = {"type": "external_select", "action_id": field.name, "min_query_length": 1}
        if field.initial:
            element["initial_option"] = {"text": _plain(locale, Text("plain", {"text": field.initial_label or field.initial}), 75), "value": field.initial}
        return element
    if field.widget == "date":
        element = {"type": "datepicker", "action_id": field.name}
        if field.initial:
            element["initial_date"] = field.initial
        return element
    options = [{"text": _plain(locale, text, 75), "value": value} for value, text in field.options[: _option_limit(field)]]
    if field.widget == "checkbox":
        return {"type": "checkboxes", "action_id": field.name, "options": options}
    element = {"type": "static_select", "action_id": field.name, "options": options}
    if field.initial:
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial:
            element["initial_option"] = initial
    return element


def form_view(form: Form, locale: str, *, channel: str | None = None) -> dict[str, Any]:
    """A modal view for ``form``: one input block per field, named after the field. Its metadata
    travels as JSON with the channel it was opened from (where the confirmation goes)."""
    blocks = []
    for field in form.fields:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field.name,
            "label": _plain(locale, field.label, 2000),
            "element": _element(locale, field),
            "optional": not field.required,
        }
        hint = render_text(locale, field.hint, mrkdwn=False) if field.hint else ""
        unlisted = len(field.options) - _option_limit(field) if field.widget in ("select", "checkbox") else 0
        if unlisted > 0:  # said, not dropped silently
            hint = f"{hint} {translate(locale, 'render.more_options', count=unlisted)}".strip()
        if hint:
            block["hint"] = {"type": "plain_text", "text": plain_truncate(hint, 2000), "emoji": True}
        blocks.append(block)
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "private_metadata": json.dumps({**plain_metadata(form), "channel": channel})[:3000],
        "title": _plain(locale, form.title, 24),
        "submit": _plain(locale, form.submit, 24),
        "close": _plain(locale, Text("choice.cancel"), 24),
        "blocks": blocks,
    }


def field_errors(reply: Reply) -> dict[str, str]:
    """Validation errors keyed by block id, as ``ack(response_action="errors")`` wants them."""
    return {name: render_text(reply.locale, text, mrkdwn=False) for name, text in reply.field_errors.items()}


def form_values(state_values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A submitted modal's ``view.state.values`` → ``{field name: value}`` (str, list or None)."""
    values: dict[str, Any] = {}
    for block_id, actions in state_values.items():
        for element in actions.values():
            kind = element.get("type")
            if kind == "plain_text_input":
                values[block_id] = element.get("value")
            elif kind in ("static_select", "external_select"):
                option = element.get("selected_option")
                values[block_id] = option.get("value") if option else None
            elif kind == "datepicker":
                values[block_id] = element.get("selected_date")
            elif kind == "checkboxes":
                values[block_id] = [o.get("value") for o in element.get("selected_options") or []]
            elif kind == "users_select":
                values[block_id] = element.get("selected_user")
            else:
                values[block_id] = element.get("value")
    return values
