"""A sender that gives up before its request's body has arrived (Slack past its 3 s, a load balancer
cutting a slow client) leaves nothing behind: no action, no "Exception in ASGI application" (the load
suite found one per run), and the door goes on answering."""

from __future__ import annotations

import logging
import socket
import time
from urllib.parse import urlsplit

from tests.handlers.conftest import add_account, rows
from tests.support.slack_requests import slash_command_body


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_request_abandoned_before_its_body_is_dropped_quietly(runtime, served, slack):
    add_account(runtime, "Gamma")
    errors = _Errors()
    logging.getLogger("uvicorn.error").addHandler(errors)
    try:
        body = slash_command_body("/log", "visite Gamma proposition", team_id="T1", user_id="U1").encode()
        url = urlsplit(served.url)
        with socket.create_connection((url.hostname, url.port)) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: carnet\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[: len(body) // 2])
            time.sleep(0.3)  # the door is waiting for the rest of the body
        time.sleep(0.5)
        assert slack.command("/log", "appel Gamma").status_code == 200  # the door answers the next one
    finally:
        logging.getLogger("uvicorn.error").removeHandler(errors)
    assert errors.messages == []
    assert [a["action_type"] for a in rows(runtime, "action")] == ["call"]
