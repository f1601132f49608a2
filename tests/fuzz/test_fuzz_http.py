"""Fuzz the served app with interactive payloads and events, signed as Slack signs them: well-formed
ones with a field replaced by anything JSON can hold, unknown action ids, wrong types. Never a
500, never Bolt's 3 s wait, and a refusal writes nothing."""

from __future__ import annotations

import copy
import time

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import CHOICE, FUZZ, JSON, TEXT
from tests.security.hostile import post_event, post_payload, row_counts
from tests.security.test_door_http import base_payloads
from tests.support.slack_requests import app_home_opened_event, message_event

ACCEPTED = (200, 400, 404)


def _paths(value, prefix=()):
    """Every path into ``value``'s dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, prefix + (key,))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, prefix + (index,))


def _replace(value, path, new):
    if not path:
        return new
    broken = copy.deepcopy(value)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return broken


@st.composite
def mutated(draw, bases):
    base = draw(st.sampled_from(bases))
    paths = list(_paths(base))
    path = draw(st.sampled_from(paths))
    return _replace(base, path, draw(JSON))


def _settle(runtime) -> None:
    """Wait until the work of an acked request (it runs after the ack) has stopped writing."""
    counts, still = row_counts(runtime), 0
    for _ in range(100):
        time.sleep(0.05)
        again = row_counts(runtime)
        still = still + 1 if again == counts else 0
        if still == 8:
            return
        counts = again


def _send(slack, runtime, send, body) -> None:
    before = row_counts(runtime)
    response = send(slack, body)
    assert response.status_code in ACCEPTED, (response.status_code, response.text, body)
    assert response.elapsed.total_seconds() < 2.5, body
    if response.status_code == 200:
        _settle(runtime)  # so that the next example counts from a still database
    else:
        assert row_counts(runtime) == before, body


@FUZZ
@given(payload=mutated(list(base_payloads().values())))
def test_interactive_payloads_never_500(runtime, slack, payload):
    _send(slack, runtime, post_payload, payload)


@FUZZ
@given(value=CHOICE, action_id=st.one_of(st.just("carnet.choice.1"), TEXT), selected=st.booleans())
def test_unknown_action_ids_and_button_values_never_500(runtime, slack, value, action_id, selected):
    payload = base_payloads()["block_actions"]
    action = payload["actions"][0]
    action["action_id"] = action_id
    if selected:
        action.pop("value", None)
        action["selected_option"] = {"text": {"type": "plain_text", "text": "x"}, "value": value}
    else:
        action["value"] = value
    payload["response_url"] = "http://127.0.0.1:9/fuzz"
    _send(slack, runtime, post_payload, payload)


def _event(event):
    return {"token": "t", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": "Ev1",
            "event_time": 1, "event": event}


@FUZZ
@given(body=mutated([_event(message_event("visite Gamma hier")), _event(app_home_opened_event("U1"))]))
def test_events_never_500(runtime, slack, body):
    _send(slack, runtime, post_event, body)
