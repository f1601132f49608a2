"""Checks shared by the render tests: a payload is valid Block Kit within Slack's limits, and
every line of the reply is either shown or counted in an "… and N more" (and in the full copy)."""

from __future__ import annotations

import base64
import re
from collections import Counter
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.core import Reply
from bot.render.blocks import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    fallback_text,
    full_copy_file,
    home_view,
    render_text,
    reply_message,
)
from bot.render.mrkdwn import atoms, markers_after, split
from bot.render.text import plain

# "… and 1,000 more lines" / "… et 1 000 autres lignes" (the count may hold thin spaces or commas)
MORE = re.compile(r"^_?… (?:and|et) ([\d\u202f\u00a0 ,]+) (?:more|autres?) (lines?|lignes?|items?|éléments?|choices?|choix)_?$")


def more_counts(texts: list[str]) -> Counter:
    """Lines, items and choices counted as not shown by the markers found in ``texts``."""
    counts: Counter = Counter()
    for text in texts:
        for line in text.split("\n"):
            found = MORE.match(line)
            if found:
                kind = {"l": "lines", "i": "items", "é": "items", "c": "choices"}[found.group(2)[0]]
                counts[kind] += int(re.sub(r"\D", "", found.group(1)))
    return counts


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def text_size(blocks: list[dict[str, Any]]) -> int:
    size = 0
    for block in blocks:
        if "text" in block:
            size += len(block["text"]["text"])
        size += sum(len(f["text"]) for f in block.get("fields", ()))
        size += sum(len(e["text"]["text"]) for e in block.get("elements", ()) if "text" in e)
    return size


def check_blocks(blocks: list[dict[str, Any]], *, max_blocks: int) -> None:
    assert 0 < len(blocks) <= max_blocks
    assert text_size(blocks) <= MAX_MESSAGE_CHARS
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))
    action_ids = [e["action_id"] for b in blocks for e in b.get("elements", ()) if "action_id" in e]
    assert len(action_ids) == len(set(action_ids))
    for block in blocks:
        Block.parse(block).validate_json()
        if block["type"] == "section" and "text" in block:
            text = block["text"]["text"]
            assert 0 < len(text) <= MAX_SECTION_TEXT
            for line in text.split("\n"):  # the test data writes balanced lines: so must the cuts
                assert markers_after([], atoms(line)) == [], line


def check_fallback(text: str) -> None:
    assert 0 < len(text) <= 300
    assert not re.search(r"&[A-Za-z#0-9]*$", text), text  # never ends inside &amp;
    assert text.count("<") == text.count(">"), text  # never inside <@U…> or <http…|…>
    assert markers_after([], atoms(text)) == [], text


def check_message(reply: Reply, *, view: bool = False) -> dict[str, Any]:
    """Validate the message (or home view) of ``reply`` and account for each of its lines; returns
    what was found: the blocks, the counts said, and the full copy's lines (when one is due)."""
    if view:
        payload = home_view(reply)
        View(**payload).validate_json()
        blocks = payload["blocks"]
        check_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS)
    else:
        payload = reply_message(reply)
        blocks = payload["blocks"]
        check_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
        check_fallback(payload["text"])
    texts = section_texts(blocks)
    shown = Counter(line for text in texts for line in text.split("\n"))
    rendered = [render_text(reply.locale, line) for line in reply.lines]
    missing = []
    for line in rendered:
        # A line longer than a section is shown as its pieces, cut where ``split`` cuts.
        pieces = split(line, MAX_SECTION_TEXT) if len(line) > MAX_SECTION_TEXT else [line]
        if all(shown[p] > 0 for p in pieces):
            for p in pieces:
                shown[p] -= 1
        else:
            missing.append(line)
    said = more_counts(texts)
    # Every line of the reply is shown, or counted as not shown: nothing silently dropped.
    assert len(missing) == said["lines"], (len(missing), said)
    item_texts = [render_text(reply.locale, item.text) for item in reply.items]
    shown_items = [t for t in item_texts if t in texts]
    assert len(item_texts) - len(shown_items) == said["items"]
    assert item_texts[: len(shown_items)] == shown_items  # the first ones (today first, then missed)
    buttons = [e for b in blocks if b["type"] == "actions" and b.get("block_id") == "carnet.choices" for e in b["elements"]]
    assert len(reply.choices) - len(buttons) == said["choices"]
    copy = full_copy_file(reply, "U1")
    full_lines: list[str] = []
    if missing or said:
        assert copy is not None, "something not shown and no way to see it"
    if copy is not None:
        content = base64.b64decode(copy["content_b64"]).decode("utf-8")
        full_lines = content.splitlines()
        every = [plain(reply.locale, line) for line in reply.lines] + [f"• {plain(reply.locale, i.text)}" for i in reply.items]
        assert Counter(every) - Counter(full_lines) == Counter()  # every line in the file
    return {"blocks": blocks, "said": said, "missing": missing, "copy": full_lines, "payload": payload}
