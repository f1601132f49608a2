"""Modal submissions (view_submission): errors go back beside the fields, else the modal closes
and the confirmation follows through the outbox, to the channel the form was opened from."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from slack_bolt import Ack, App

from bot.conversation import FORM_IDS
from bot.core import Request, ToMember, ToMemberInChannel
from bot.handlers.deps import SlackDeps
from bot.render.blocks import field_errors, form_values, reply_message


def form_request(body: dict[str, Any], view: dict[str, Any]) -> Request:
    values = form_values((view.get("state") or {}).get("values") or {})  # null is absent
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    if not isinstance(metadata, dict):
        metadata = {}
    user_id = body["user"]["id"]
    channel = metadata.pop("channel", None)
    destination = ToMemberInChannel(channel, user_id) if channel else ToMember(user_id)
    # The same view submitted again with other values is a new request; the same values, a retry.
    fingerprint = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]
    return Request(
        team_id=(body.get("team") or {}).get("id") or body["user"]["team_id"],
        user_id=user_id,
        form_id=view["callback_id"],
        form_values=values,
        form_metadata=metadata,
        request_key=f"view:{view.get('id')}:{fingerprint}",
        deliver_to=destination,
    )


def register(app: App, deps: SlackDeps) -> None:
    @app.view_submission(re.compile("^(" + "|".join(re.escape(form_id) for form_id in FORM_IDS) + ")$"))
    def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]) -> None:
        # Answered in the ack (errors beside the fields): counted from the request's arrival.
        reply = deps.conversation.handle(form_request(body, view), deadline=deps.deadline(context))
        if reply.field_errors:
            ack(response_action="errors", errors=field_errors(reply))
        elif reply.ok:
            ack()
            deps.wake_delivery()
        else:  # an unexpected failure: keep the form open with the apology beside its first field
            ack(response_action="errors", errors={_first_block(view): reply_message(reply)["text"]})


def _first_block(view: dict[str, Any]) -> str:
    """The block id of the form's first input, where an error message is seen first."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return next(iter((view.get("state") or {}).get("values") or {}), "account")
