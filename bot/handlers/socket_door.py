"""The Socket Mode door: Slack's payloads arrive parsed over a WebSocket, unsigned; the door's
shape checks run before Bolt builds its request (which itself fails on, say, ``"user": 1``)."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.handlers.door import payload_problem

logger = logging.getLogger(__name__)


def socket_problem(payload: object) -> str | None:
    """What is wrong with a Socket Mode payload, as the HTTP door would say it; None when nothing."""
    if not isinstance(payload, dict):
        return "payload is not a JSON object"
    return payload_problem(payload)


class CheckedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler behind the door: a malformed payload is acknowledged empty
    (Slack does not send it again) and logged; it never reaches Bolt nor a handler."""

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        problem = socket_problem(req.payload)
        if problem is None:
            super().handle(client, req)
            return
        logger.info("refused a Socket Mode %s payload: %s", req.type, problem)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
