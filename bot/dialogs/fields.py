"""Form fields shared by several dialogues."""

from __future__ import annotations

from typing import Any

from bot.actions import row_id
from bot.core import FormField, Text
from bot.dialogs.context import Context
from bot.grammar.log import MAX_ACCOUNT_LENGTH
from bot.grammar.normalize import has_letter_or_digit
from bot.services.accounts import find_account, get_account
from storage.models import Account


def account_field(ctx: Context, account: Account | None = None) -> FormField:
    """An account chosen with the chat's type-ahead, or typed in the console (``+Name`` creates it)."""
    return FormField(
        "account",
        Text("form.field.account"),
        "account",
        True,
        initial=f"id:{account.id}" if account else None,
        initial_label=account.name if account else None,
        hint=Text("form.account_hint_console") if ctx.door == "console" else None,
    )


def resolve_account_field(ctx: Context, value: Any) -> tuple[Account | None, str | None, Text | None]:
    """An account field's value → (existing account, name to create, error). Values come as
    ``id:N`` or ``new:Name`` from the chat's type-ahead, or as typed text (``+Name`` creates)."""
    raw = " ".join(str(value or "").split())
    if not raw:
        return None, None, Text("form.error.required")
    if raw.startswith("id:") and raw[3:].isdigit():
        number = row_id(raw[3:])  # None past a database's range, or for digits int() refuses
        account = get_account(ctx.session, ctx.workspace.id, number) if number is not None else None
        return (account, None, None) if account else (None, None, Text("form.error.bad_choice"))
    create = raw[4:] if raw.startswith("new:") else raw[1:] if raw.startswith("+") else None
    name = (create if create is not None else raw).strip()
    if len(name) > MAX_ACCOUNT_LENGTH:
        return None, None, Text("form.error.too_long", {"limit": MAX_ACCOUNT_LENGTH})
    if not has_letter_or_digit(name):
        return None, None, Text("form.error.invalid_account")
    match = find_account(ctx.session, ctx.workspace.id, name, index=ctx.account_index)
    if match.exact is not None:
        return match.exact, None, None
    if create is not None:
        return None, name, None
    if match.suggestions:
        names = ", ".join(a.name for a in match.suggestions)
        return None, None, Text("form.error.unknown_account_suggest", {"typed": name, "candidates": names})
    return None, None, Text("form.error.unknown_account", {"typed": name})
