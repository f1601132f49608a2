"""Socket Mode: payloads arrive parsed (no HTTP door, no signature); the same hostile shapes are
acknowledged empty at once and logged, never reaching Bolt (which fails building its request on
``"user": 1``) nor a handler, and nothing is written."""

from __future__ import annotations

import logging
import time

from slack_sdk.socket_mode.request import SocketModeRequest

from bot.handlers.socket_door import CheckedSocketModeHandler
from tests.security.hostile import row_counts
from tests.security.test_door_http import base_payloads, malformed_payloads


class _Client:
    """What the handler needs of a Socket Mode client: somewhere to send its acks."""

    def __init__(self) -> None:
        self.sent = []
        self.logger = logging.getLogger("test.socket_mode")

    def send_socket_mode_response(self, response) -> None:
        self.sent.append(response)


def test_malformed_payloads_are_acknowledged_and_dropped(runtime):
    handler = CheckedSocketModeHandler(runtime.bolt_app(), "xapp-test-token")
    client = _Client()
    before = row_counts(runtime)
    # A payload that is not an object never becomes a SocketModeRequest: slack_sdk refuses it first.
    cases = [(name, p) for name, p in malformed_payloads() if isinstance(p, dict)] + [
        ("NUL", {**base_payloads()["block_suggestion"], "value": "Ga\x00"}),
        ("lone surrogate", {**base_payloads()["block_suggestion"], "value": "\ud800"}),
    ]
    for n, (name, payload) in enumerate(cases):
        started = time.monotonic()
        handler.handle(client, SocketModeRequest(type="interactive", envelope_id=f"e{n}", payload=payload))
        assert time.monotonic() - started < 1.0, name
        assert client.sent[-1].envelope_id == f"e{n}" and client.sent[-1].payload is None, name
    assert len(client.sent) == len(cases)
    assert row_counts(runtime) == before


def test_well_formed_payloads_still_reach_bolt(runtime):
    handler = CheckedSocketModeHandler(runtime.bolt_app(), "xapp-test-token")
    client = _Client()
    handler.handle(client, SocketModeRequest(type="interactive", envelope_id="ok", payload=base_payloads()["block_suggestion"]))
    [ack] = client.sent
    assert ack.envelope_id == "ok" and "options" in ack.payload
