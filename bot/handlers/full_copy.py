"""A reply too long for one Slack message: the door sends the complete reply as a text file to
the requester's DM, through the outbox (an upload is slow and may be rate-limited: never before
the ack, and exactly once per request — the row's key derives from the request's)."""

from __future__ import annotations

from dataclasses import replace

from bot.conversation import Conversation
from bot.core import Reply, Request
from bot.render.blocks import fits, full_copy_file
from bot.services import outbox
from bot.services.members import find_workspace


def mark(reply: Reply) -> Reply:
    """``reply`` as the message shows it: when it does not fit, it says the full copy is coming."""
    if reply.form is not None or reply.full_copy or fits(reply):
        return reply
    return replace(reply, full_copy=True)


def queue(conversation: Conversation, request: Request, reply: Reply) -> bool:
    """Queue the whole of ``reply`` as a file to the requester's DM when a message cannot show it
    whole; True when a file was queued now."""
    if reply.form is not None or (not reply.full_copy and fits(reply)):
        return False
    now = conversation.clock.now()
    name = f"{(request.command or 'reply').strip('/')}-{now:%Y-%m-%d}"
    payload = full_copy_file(reply, request.user_id, name=name, force=True)
    key = f"full-copy:{request.request_key or f'{request.user_id}:{now.isoformat()}'}"
    with conversation.session_factory() as session, session.begin():
        workspace = find_workspace(session, request.team_id)
        if workspace is None or payload is None:
            return False
        return outbox.enqueue(session, workspace_id=workspace.id, dedupe_key=key, kind="file", payload=payload, now=now)
