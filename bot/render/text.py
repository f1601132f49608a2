"""The terminal renderer: neutral Replies and Forms → readable text for the console."""

from __future__ import annotations

import re

from bot.core import Reply, Text
from bot.messages import translate

CONSOLE_EMOJI = {
    ":white_check_mark:": "✔",
    ":leftwards_arrow_with_hook:": "↩",
    ":warning:": "⚠",
    ":tada:": "🎉",
    ":trophy:": "🏆",
    ":memo:": "📝",
    ":pencil2:": "✏",
    ":hourglass:": "⌛",
    ":hourglass_flowing_sand:": "⏳",
    ":calendar:": "📅",
    ":zzz:": "💤",
    ":sunny:": "☀",
    ":alarm_clock:": "⏰",
    ":bar_chart:": "📊",
    ":mag:": "🔎",
    ":checkered_flag:": "🏁",
}
_OTHER_EMOJI = re.compile(r":[a-z][a-z0-9_+\-]*:")
_BOLD = re.compile(r"\*([^*\n]+)\*")
_CODE = re.compile(r"`([^`\n]+)`")


def plain(locale: str, text: Text) -> str:
    """A catalogue sentence without Slack's mrkdwn (bold, code, emoji codes)."""
    rendered = translate(locale, text.key, **text.values)
    for code, symbol in CONSOLE_EMOJI.items():
        rendered = rendered.replace(code, symbol)
    rendered = _OTHER_EMOJI.sub("", rendered)
    rendered = _BOLD.sub(r"\1", rendered)
    return _CODE.sub(r"\1", rendered)


def _fact_lines(reply: Reply) -> list[str]:
    """The facts as aligned "label : value" lines."""
    if not reply.facts:
        return []
    width = max(len(plain(reply.locale, f.label)) for f in reply.facts)
    return [
        f"  {plain(reply.locale, fact.label).ljust(width)} : "
        + (plain(reply.locale, fact.value) if isinstance(fact.value, Text) else fact.value)
        for fact in reply.facts
    ]


def render_reply(reply: Reply) -> str:
    """The reply as lines of text; choices numbered from 1 for the console to read back."""
    out = [plain(reply.locale, line) for line in reply.lines] + _fact_lines(reply)
    index = 0
    for item in reply.items:
        out.append(f"• {plain(reply.locale, item.text)}")
        labels = []
        for choice in item.choices:
            index += 1
            labels.append(f"[{index}] {plain(reply.locale, choice.label)}")
        if labels:
            out.append("    " + "  ".join(labels))
    for choice in reply.choices:
        index += 1
        out.append(f"  [{index}] {plain(reply.locale, choice.label)}")
    for name, error in reply.field_errors.items():
        out.append(f"  ! {name}: {plain(reply.locale, error)}")
    return "\n".join(out)


def full_text(reply: Reply) -> str:
    """The whole reply as a plain-text document (the file sent when a Slack message cannot hold
    it): every line, fact and item, without the console's choice numbers."""
    out = [plain(reply.locale, line) for line in reply.lines] + _fact_lines(reply)
    out.extend(f"• {plain(reply.locale, item.text)}" for item in reply.items)
    return "\n".join(out) + "\n"
