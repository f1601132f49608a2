"""The Block Kit renderer: neutral Replies and Forms → Slack messages and modals."""

from __future__ import annotations

from typing import Any

from bot.core import Choice, Fact, Form, FormField, Reply, Text
from bot.messages import translate

CHOICE_ACTION_PREFIX = "carnet.choice"
MAX_SECTION_TEXT = 3000  # Slack's limit for a section's text
MAX_FIELDS = 10  # Slack's limit for a section's fields
MAX_ITEMS = 20  # two blocks an item: within Slack's 50 blocks a message


def escape(text: str) -> str:
    """Escape what Slack's mrkdwn reads as markup (``<!channel>``, links) in user-typed text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_text(locale: str, text: Text, *, mrkdwn: bool = True) -> str:
    values = {k: escape(v) if mrkdwn and isinstance(v, str) else v for k, v in text.values.items()}
    return translate(locale, text.key, **values)


def _plain(locale: str, text: Text, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": render_text(locale, text, mrkdwn=False)[:limit] or " ", "emoji": True}


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


def reply_blocks(reply: Reply) -> list[dict[str, Any]]:
    """The blocks of a message showing ``reply``."""
    blocks: list[dict[str, Any]] = []
    if reply.lines:
        body = "\n".join(render_text(reply.locale, line) for line in reply.lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:MAX_SECTION_TEXT]}})
    for start in range(0, len(reply.facts), MAX_FIELDS):
        fields = [
            {
                "type": "mrkdwn",
                "text": f"*{render_text(reply.locale, f.label)}*\n{_fact_value(reply.locale, f)}"[:2000],
            }
            for f in reply.facts[start : start + MAX_FIELDS]
        ]
        blocks.append({"type": "section", "fields": fields})
    index = 0
    for number, item in enumerate(reply.items[:MAX_ITEMS]):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": render_text(reply.locale, item.text)[:MAX_SECTION_TEXT]}})
        if item.choices:
            elements = []
            for choice in item.choices[:5]:
                elements.append(_button(reply.locale, index, choice))
                index += 1
            blocks.append({"type": "actions", "block_id": f"carnet.item.{number}", "elements": elements})
    if reply.choices:
        blocks.append(
            {
                "type": "actions",
                "block_id": "carnet.choices",
                "elements": [_button(reply.locale, index + i, c) for i, c in enumerate(reply.choices[:25])],
            }
        )
    return blocks


def fallback_text(reply: Reply) -> str:
    """The text Slack shows in notifications (read as mrkdwn: typed values are escaped)."""
    if reply.lines:
        return render_text(reply.locale, reply.lines[0])[:300]
    return " "


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
    """The App Home tab showing ``reply``."""
    return {"type": "home", "blocks": reply_blocks(reply)[:100]}


def _element(locale: str, field: FormField) -> dict[str, Any]:
    if field.kind in ("text", "long_text"):
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.name}
        if field.kind == "long_text":
            element["multiline"] = True
        if field.max_length:
            element["max_length"] = field.max_length
        if field.initial:
            element["initial_value"] = field.initial
        return element
    if field.kind == "account":
        # Type-ahead over the workspace's accounts, served by the block_suggestion handler.
        element = {"type": "external_select", "action_id": field.name, "min_query_length": 1}
        if field.initial:
            element["initial_option"] = {"text": _plain(locale, Text("plain", {"text": field.initial_label or field.initial}), 75), "value": field.initial}
        return element
    if field.kind == "date":
        element = {"type": "datepicker", "action_id": field.name}
        if field.initial:
            element["initial_date"] = field.initial
        return element
    options = [{"text": _plain(locale, text, 75), "value": value} for value, text in field.options[:100]]
    if field.kind == "checkbox":
        return {"type": "checkboxes", "action_id": field.name, "options": options}
    element = {"type": "static_select", "action_id": field.name, "options": options}
    if field.initial:
        initial = next((o for o in options if o["value"] == field.initial), None)
        if initial:
            element["initial_option"] = initial
    return element


def form_view(form: Form, locale: str) -> dict[str, Any]:
    """A modal view for ``form``: one input block per field, named after the field."""
    blocks = []
    for field in form.fields:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field.name,
            "label": _plain(locale, field.label, 2000),
            "element": _element(locale, field),
            "optional": not field.required,
        }
        if field.hint:
            block["hint"] = _plain(locale, field.hint, 2000)
        blocks.append(block)
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "private_metadata": form.metadata[:3000],
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
