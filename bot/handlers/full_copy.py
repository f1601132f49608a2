"""Files that follow a reply to the requester's DM, through the outbox (an upload is slow and may be
rate-limited: never before the ack, and exactly once per request — a row's key derives from the
request's): the complete reply as a text file when it does not fit one Slack message, and the
reply's attachments (a digest's chart), which a response_url or an ephemeral message cannot carry."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.conversation import Conversation
from bot.core import Reply, Request, ToMember
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
    if payload is None:
        return False
    return _enqueue(conversation, request, [(f"full-copy:{_request_key(conversation, request)}", payload)])


def queue_attachments(conversation: Conversation, request: Request, reply: Reply) -> bool:
    """Queue ``reply``'s attachments as files to the requester's DM; True when one was queued now."""
    if not reply.attachments:
        return False
    requester = ToMember(request.user_id)
    key = _request_key(conversation, request)
    return _enqueue(conversation, request, [
        (f"attachment:{key}:{n}", outbox.file_payload(requester, attachment)) for n, attachment in enumerate(reply.attachments)
    ])


def _request_key(conversation: Conversation, request: Request) -> str:
    return request.request_key or f"{request.user_id}:{conversation.clock.now().isoformat()}"


def _enqueue(conversation: Conversation, request: Request, files: list[tuple[str, dict[str, Any]]]) -> bool:
    """Queue ``(key, payload)`` file rows for the requester's workspace; True when one went in now."""
    now = conversation.clock.now()
    with conversation.session_factory() as session, session.begin():
        workspace = find_workspace(session, request.team_id)
        if workspace is None:
            return False
        queued = [
            outbox.enqueue(session, workspace_id=workspace.id, dedupe_key=key, kind="file", payload=payload, now=now)
            for key, payload in files
        ]
        return any(queued)
