"""The HTTP door refuses what an attacker sends with a clean 4xx, at once, writing nothing.

Issue 16: a non-numeric timestamp was a 500, 23 of 76 malformed interactive payloads were 500s,
a block_actions without a user hung 3 s then got a 404. Every case here is signed with the real
secret (the attacker knows it, or the proxy broke the body), so only the door's checks stand
between it and the handlers; each checks the status, the time, and every table's row count.
"""

from __future__ import annotations

import copy
import logging
import socket
import json
import time
from urllib.parse import parse_qsl, urlencode

import pytest

from tests.security.hostile import assert_refused, post_event, post_payload, post_raw, row_counts, signed_headers
from tests.support.slack_requests import (
    JSON, block_actions_body, block_suggestion_body, event_body, message_event, slash_command_body,
    text_value, view_closed_body, view_submission_body,
)


def _payload(form: str) -> dict:
    return json.loads(dict(parse_qsl(form))["payload"])


def base_payloads() -> dict[str, dict]:
    """One well-formed payload of each interaction kind Carnet reads."""
    return {
        "block_actions": _payload(block_actions_body(action_id="carnet.choice.1", value="nothing:1",
                                                     response_url="http://127.0.0.1:9/r")),
        "view_submission": _payload(view_submission_body(callback_id="log.form", values={"note": text_value("x")})),
        "view_closed": _payload(view_closed_body(callback_id="log.form")),
        "block_suggestion": _payload(block_suggestion_body(action_id="account", block_id="account", value="Ga")),
    }


def _set(payload: dict, path: tuple, value) -> dict:
    broken = copy.deepcopy(payload)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if value is _MISSING:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return broken


def _at(payload: dict, path: tuple):
    for key in path:
        payload = payload.get(key) if isinstance(payload, dict) else None
    return payload


_MISSING = object()
# The fields each kind's handler reads, and what an attacker puts there instead.
_READ = {
    "block_actions": [("user",), ("user", "id"), ("actions",), ("team",), ("channel",), ("response_url",),
                      ("trigger_id",), ("container",)],
    "view_submission": [("user",), ("user", "id"), ("view",), ("view", "callback_id"), ("view", "state"),
                        ("view", "state", "values"), ("view", "private_metadata"), ("team",)],
    "view_closed": [("user",), ("view",)],
    "block_suggestion": [("user",), ("user", "id"), ("action_id",), ("value",), ("team",)],
}
_WRONG = [_MISSING, 1, "x", [], [1], True]


def malformed_payloads() -> list[tuple[str, object]]:
    """(name, payload) pairs no handler can read; each must be refused with a 400."""
    cases: list[tuple[str, object]] = [
        ("a JSON array", [1, 2]), ("a JSON string", "block_actions"), ("a number", 3), ("null", None),
        ("an object without a type", {"user": {"id": "U1"}}), ("a type that is not a string", {"type": 5}),
    ]
    bases = base_payloads()
    for kind, paths in _READ.items():
        for path in paths:
            for wrong in _WRONG:
                if isinstance(wrong, str) and isinstance(_at(bases[kind], path), str):
                    continue  # another string is not a wrong type (what it says is the dialogs' business)
                broken = _set(bases[kind], path, wrong)
                if wrong is _MISSING and path in (("channel",), ("response_url",), ("trigger_id",), ("container",),
                                                  ("view", "state"), ("view", "state", "values"),
                                                  ("view", "private_metadata"), ("value",)):
                    continue  # optional: Slack leaves them out in some containers
                if wrong is _MISSING and path == ("team",):
                    continue  # user.team_id names the workspace too
                cases.append((f"{kind}: {'.'.join(path)} = {'missing' if wrong is _MISSING else repr(wrong)}", broken))
    actions = bases["block_actions"]
    for name, value in [("actions=[]", []), ("actions=[{}]", [{}]), ("actions=[1]", [1]),
                        ("action_id=5", [{"action_id": 5}]),
                        ("value={}", [{"action_id": "carnet.choice.1", "value": {}}]),
                        ("selected_option='x'", [{"action_id": "carnet.choice.1", "selected_option": "x"}]),
                        ("selected_option={}", [{"action_id": "carnet.choice.1", "selected_option": {}}])]:
        cases.append((f"block_actions: {name}", _set(actions, ("actions",), value)))
    submission = bases["view_submission"]
    for name, values in [("a block that is a list", {"note": []}), ("an element that is a string", {"note": {"note": "x"}}),
                         ("a value that is a number", {"note": {"note": {"type": "plain_text_input", "value": 3}}}),
                         ("an option without a value", {"account": {"account": {"type": "external_select",
                                                                              "selected_option": {"text": "x"}}}}),
                         ("options that are strings", {"x": {"x": {"type": "checkboxes", "selected_options": ["a"]}}})]:
        cases.append((f"view_submission: {name}", _set(submission, ("view", "state", "values"), values)))
    cases.append(("no user at all, no team", _set(_set(actions, ("user",), _MISSING), ("team",), _MISSING)))
    return cases


@pytest.fixture
def known(runtime, slack, fake_slack) -> dict[str, int]:
    """A workspace with a member and an account, and its row counts (what must not change)."""
    fake_slack.add_user("U1", name="alice", tz="Europe/Paris", locale="fr-FR")
    assert slack.command("/carnet", "help").status_code == 200
    return row_counts(runtime)


def test_a_timestamp_that_is_not_a_number_is_401(runtime, slack, known):
    body = slash_command_body("/log", "visite Gamma")
    for timestamp in ["abc", "", "1e9", "12.5", "-1", "١٧٠٠٠٠٠٠٠٠".encode(), "0x10", "9" * 400, "1" + "0" * 12]:
        response = post_raw(slack, body, **{"X-Slack-Request-Timestamp": timestamp})
        assert_refused(response, 401)
    assert row_counts(runtime) == known


def test_unsigned_stale_or_missing_headers_are_401(runtime, slack, known):
    body = slash_command_body("/log", "visite Gamma")
    old = str(int(time.time()) - 301)
    cases = [
        {"X-Slack-Signature": "v0=" + "0" * 64},  # forged
        {"X-Slack-Signature": ""},
        signed_headers(body.encode(), timestamp=old),  # a replay after five minutes, signed in its day
        signed_headers(body.encode(), secret="another-apps-secret"),
    ]
    for headers in cases:
        assert_refused(post_raw(slack, body, **headers), 401)
    assert_refused(slack.http.post(slack.path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}), 401)
    assert row_counts(runtime) == known


def test_a_replay_within_five_minutes_is_answered_once(runtime, slack, known):
    """Same signed bytes sent again (Slack's retry, or an eavesdropper): the trigger_id dedupes it."""
    body = slash_command_body("/carnet", "settings channel #ventes", trigger_id="1.2.replayed",
                              response_url="http://127.0.0.1:9/r")
    first = post_raw(slack, body)
    after_first = row_counts(runtime)
    second = post_raw(slack, body)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert row_counts(runtime) == after_first


def test_bodies_past_the_limit_are_413_without_reading_them(runtime, slack, known):
    big = slash_command_body("/log", "visite Gamma -- " + "x" * 1_048_576)
    assert_refused(post_raw(slack, big), 413)

    def chunks():  # no Content-Length: the door counts what arrives
        yield big[:1000].encode()
        for _ in range(1100):
            yield b"x" * 1024

    headers = signed_headers(b"unknowable")
    assert_refused(slack.http.post(slack.path, content=chunks(), headers=headers), 413)
    assert row_counts(runtime) == known


def test_bodies_that_are_not_utf8_or_hold_nul_are_400(runtime, slack, known):
    command = slash_command_body("/log", "visite Gamma")
    cases = [
        command.encode() + b"\xff\xfe",  # not UTF-8
        command.replace("Gamma", "Gam%FFma").encode(),  # a form field that is not UTF-8 once decoded
        command.encode() + b"\x00",  # a raw NUL
        slash_command_body("/log", "visite Gamma", user_id="U1\x00").encode(),  # a NUL in an id
        slash_command_body("/log\x00", "visite Gamma").encode(),
        (command + "&text=again").encode(),  # a field given twice: which one would Bolt read?
        b"",  # nothing
        b"&&&==",  # not a form
        b"team_id=T1&user_id=U1",  # neither a command nor a payload
        slash_command_body("log", "visite Gamma").encode(),  # a command without its slash
        slash_command_body("/log", "visite Gamma", team_id="").encode(),
        slash_command_body("/log", "visite Gamma", user_id="").encode(),
        urlencode({"command": "/log", "text": "x", "team_id": "T1"}).encode(),  # no user
    ]
    for body in cases:
        assert_refused(post_raw(slack, body), 400)
    for payload in ['{"type":"block_actions","user":{"id":"U1\\u0000"}}', '{"type":"x","t":"\\ud800"}',
                    "[" * 5000 + "]" * 5000, '{"a":' * 40 + "1" + "}" * 40]:
        assert_refused(post_raw(slack, urlencode({"payload": payload})), 400)
    assert row_counts(runtime) == known


def test_malformed_interactive_payloads_are_400(runtime, slack, known):
    cases = malformed_payloads()
    assert len(cases) > 100
    for name, payload in cases:
        response = post_payload(slack, payload)
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert_refused(response, 400)
    assert row_counts(runtime) == known


def test_payloads_that_are_not_json_are_400(runtime, slack, known):
    for text in ["{", "{'type': 'block_actions'}", "not json", "", "NaN", '{"type": "block_actions",}']:
        assert_refused(post_raw(slack, urlencode({"payload": text})), 400)
    for body in ["{", '{"type": "event_callback"', "{}", '{"token": "x"}']:
        assert_refused(post_raw(slack, body, content_type=JSON), 400)
    assert row_counts(runtime) == known


def test_malformed_events_are_400(runtime, slack, known):
    good = json.loads(event_body(message_event("visite Gamma")))
    cases = [
        _set(good, ("event",), _MISSING), _set(good, ("event",), []), _set(good, ("event",), "message"),
        _set(good, ("team_id",), _MISSING), _set(good, ("team_id",), 1), _set(good, ("event", "type"), _MISSING),
        _set(good, ("event", "text"), {"a": 1}), _set(good, ("event", "user"), ["U1"]),
        _set(good, ("event", "channel_type"), 1),
        _set(_set(good, ("event", "type"), "app_home_opened"), ("event", "user"), _MISSING),
        {"type": "url_verification"}, {"type": "url_verification", "challenge": 5},
    ]
    for body in cases:
        assert_refused(post_event(slack, body), 400)
    assert row_counts(runtime) == known


def test_slacks_certificate_check_is_answered_without_running_anything(runtime, slack, known):
    response = slack.http.post(slack.path, content=b"ssl_check=1&token=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.elapsed.total_seconds() < 1
    assert row_counts(runtime) == known


def test_a_command_naming_payload_is_read(runtime, slack, known):
    """Bolt read any form holding the word "payload" as an empty interaction (a 404): the door's reading stands."""
    response = slack.command("/carnet", "payload")
    assert response.status_code == 200, response.text
    assert response.json()["response_type"] == "ephemeral"


def test_well_formed_requests_still_pass(runtime, slack, known):
    """The door refuses no shape Slack sends (the handler tests cover the rest)."""
    assert slack.command("/carnet", "help").status_code == 200
    assert slack.url_verification("challenge-1").json() == {"challenge": "challenge-1"}
    assert slack.suggest(action_id="account", block_id="account", value="Ga").status_code == 200
    body = json.loads(event_body({"type": "team_join", "user": {"id": "U9"}}))
    assert post_event(slack, body).status_code in (200, 404)  # an event Carnet does not read: not a 400


def _raw_http(served, head: bytes, body: bytes, *, close_early: bool = False) -> bytes:
    """Send bytes over a socket; with ``close_early`` hang up before the body is complete."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(head + body)
        if close_early:
            return b""
        return sock.recv(65536)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_that_hangs_up_mid_body_is_let_go_cleanly(runtime, served, slack, known):
    errors, door_log = _Records(), _Records()
    logging.getLogger("uvicorn.error").addHandler(errors)
    logging.getLogger("bot.web").addHandler(door_log)
    logging.getLogger("bot.web").setLevel(logging.INFO)
    try:
        body = slash_command_body("/log", "visite Gamma").encode()
        head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\n" % (len(body) + 500))
        _raw_http(served, head, body, close_early=True)
        deadline = time.monotonic() + 3
        while not door_log.records and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [r.getMessage() for r in door_log.records] == ["client disconnected before the whole body arrived"]
        assert [r for r in errors.records if r.levelno >= logging.ERROR] == []
    finally:
        logging.getLogger("uvicorn.error").removeHandler(errors)
        logging.getLogger("bot.web").removeHandler(door_log)
    assert row_counts(runtime) == known
    assert slack.command("/carnet", "help").status_code == 200  # the server is still serving


def test_a_bad_content_length_is_400(runtime, served, known):
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
    assert _raw_http(served, head, b"").startswith(b"HTTP/1.1 400")
    assert row_counts(runtime) == known


def test_null_where_an_object_may_be_is_read_as_absent(runtime, slack, known):
    """Found by the fuzz suite: a view whose ``state`` is null was a 500 (``None.get``)."""
    submission = _set(base_payloads()["view_submission"], ("view", "state"), None)
    response = post_payload(slack, submission)
    assert response.status_code == 200, response.text
    assert response.json()["response_action"] == "errors"  # the form's required fields, beside them
