"""The HTTP door itself: signatures, stale requests, Slack's retries, workspaces, /healthz."""

from __future__ import annotations

import threading
import time

import httpx
from tests.handlers.conftest import add_account, button, message_text, rows, snapshot
from tests.support.messages import says, word
from tests.support.slack_requests import FORM, SlackClient, block_actions_body, sign, slash_command_body

SECRET = "test-signing-secret"  # tests/conftest.py's SIGNING_SECRET


# ----------------------------------------------------------------------------- signatures


def test_bad_signature_is_refused(runtime, slack):
    add_account(runtime, "Gamma")
    before = snapshot(runtime)
    response = slack.command("/log", "visite Gamma", bad_signature=True)
    assert response.status_code == 401
    assert snapshot(runtime) == before
    assert rows(runtime, "processed_request") == []


def test_missing_signature_headers_are_refused(runtime, served):
    add_account(runtime, "Gamma")
    before = snapshot(runtime)
    body = slash_command_body("/log", "visite Gamma")
    with httpx.Client(base_url=served.url) as http:
        bare = http.post("/slack/events", content=body, headers={"Content-Type": FORM})
        headers = sign(body, SECRET, int(time.time()))
        del headers["X-Slack-Signature"]
        no_signature = http.post("/slack/events", content=body, headers=headers)
        headers = sign(body, SECRET, int(time.time()))
        del headers["X-Slack-Request-Timestamp"]
        no_timestamp = http.post("/slack/events", content=body, headers=headers)
    assert [r.status_code for r in (bare, no_signature, no_timestamp)] == [401, 401, 401]
    assert snapshot(runtime) == before


def test_signature_of_another_body_is_refused(runtime, served):
    """A valid signature replayed on altered words must not be accepted."""
    add_account(runtime, "Gamma")
    before = snapshot(runtime)
    signed = slash_command_body("/log", "visite Gamma")
    headers = sign(signed, SECRET, int(time.time()))
    tampered = signed.replace("visite", "appel")
    with httpx.Client(base_url=served.url) as http:
        assert http.post("/slack/events", content=tampered, headers=headers).status_code == 401
    assert snapshot(runtime) == before


def test_requests_older_than_five_minutes_are_refused(runtime, slack):
    add_account(runtime, "Gamma")
    before = snapshot(runtime)
    for age in (301, 600, 3600):
        response = slack.command("/log", "visite Gamma", timestamp=int(time.time()) - age)
        assert response.status_code == 401, age
    assert snapshot(runtime) == before


def test_a_four_minute_old_request_is_still_accepted(runtime, slack):
    add_account(runtime, "Gamma")
    response = slack.command("/log", "visite Gamma", timestamp=int(time.time()) - 240)
    assert response.status_code == 200
    assert len(rows(runtime, "action")) == 1


def test_an_old_signed_click_is_refused(runtime, slack, clicks):
    add_account(runtime, "Gamma")
    body = slack.command("/log", "visite Gamma").json()
    undo = button(body, "log.undo:")
    response = slack.action(action_id=undo["action_id"], value=undo["value"], timestamp=int(time.time()) - 400)
    assert response.status_code == 401
    time.sleep(0.2)
    assert len(rows(runtime, "action")) == 1


# ----------------------------------------------------------------------------- Slack's retries


def test_a_retried_command_is_stored_once_and_answered_the_same(runtime, slack):
    add_account(runtime, "Gamma")
    first = slack.command("/log", "visite Gamma proposition hier", trigger_id="1.2.retry")
    retried = slack.command("/log", "visite Gamma proposition hier", trigger_id="1.2.retry", retry_num=1)
    again = slack.command("/log", "visite Gamma proposition hier", trigger_id="1.2.retry", retry_num=2)
    assert first.status_code == retried.status_code == again.status_code == 200
    assert retried.json() == first.json() == again.json()
    assert says(message_text(first.json()), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    assert len(rows(runtime, "action")) == 1


def test_a_retried_question_keeps_one_pending_choice(runtime, slack, clicks):
    add_account(runtime, "Gamma")
    first = slack.command("/log", "visite Gama", trigger_id="1.2.ask").json()
    retried = slack.command("/log", "visite Gama", trigger_id="1.2.ask", retry_num=1).json()
    assert retried == first  # same buttons, same pending id
    clicks.click(button(retried, "log.pick_account:"))
    assert len(rows(runtime, "action")) == 1


def test_the_same_words_with_a_new_trigger_are_a_new_action(runtime, slack):
    add_account(runtime, "Gamma")
    slack.command("/log", "appel Gamma")
    slack.command("/log", "appel Gamma")
    assert len(rows(runtime, "action")) == 2


# ----------------------------------------------------------------------------- workspaces


def test_another_workspace_cannot_use_our_buttons(runtime, slack, clicks):
    gamma_t1 = add_account(runtime, "Gamma", team_id="T1")
    asked = slack.command("/log", "visite Gama", team_id="T1", user_id="U1").json()
    logged = slack.command("/log", "visite Gamma", team_id="T1", user_id="U1").json()
    before = snapshot(runtime)

    for value_prefix in ("log.pick_account:", "log.create_account:", "log.cancel:"):
        answer = clicks.click(button(asked, value_prefix), team_id="T2", user_id="U1")
        assert says(message_text(answer), "choice.expired"), value_prefix
    answer = clicks.click(button(logged, "log.undo:"), team_id="T2", user_id="U1")
    assert not says(message_text(answer), "log.undone")
    assert snapshot(runtime) == before

    # T1's rep still has their question and their action
    clicks.click(button(asked, "log.pick_account:"), team_id="T1", user_id="U1")
    assert [a["account_id"] for a in rows(runtime, "action")] == [gamma_t1, gamma_t1]


def test_another_workspace_cannot_pick_our_account(runtime, slack, clicks):
    gamma_t1 = add_account(runtime, "Gamma", team_id="T1")
    add_account(runtime, "Gamme", team_id="T2")
    asked = slack.command("/log", "visite Gama", team_id="T2", user_id="U7").json()
    pending = button(asked, "log.cancel:")["value"].split(":")[1]
    before = snapshot(runtime)
    forged = {"action_id": "carnet.choice.0", "value": f"log.pick_account:{pending}:{gamma_t1}"}
    answer = clicks.click(forged, team_id="T2", user_id="U7")
    assert says(message_text(answer), "choice.expired")
    assert snapshot(runtime) == before


def test_same_account_name_in_two_workspaces(runtime, slack):
    gamma_t1 = add_account(runtime, "Gamma", team_id="T1")
    gamma_t2 = add_account(runtime, "Gamma", team_id="T2")
    slack.command("/log", "visite Gamma", team_id="T1", user_id="U1")
    slack.command("/log", "appel Gamma", team_id="T2", user_id="U1")
    actions = rows(runtime, "action")
    assert [(a["account_id"], a["action_type"]) for a in actions] == [(gamma_t1, "visit"), (gamma_t2, "call")]
    assert actions[0]["workspace_id"] != actions[1]["workspace_id"]
    assert actions[0]["member_id"] != actions[1]["member_id"]  # U1 of T1 is not U1 of T2


# ----------------------------------------------------------------------------- health


def test_healthz(served):
    with httpx.Client(base_url=served.url) as http:
        response = http.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"ok": True}
        assert http.post("/healthz").status_code == 405
        assert http.get("/slack/events").status_code in (404, 405)


def test_an_unsigned_click_is_refused(runtime, served):
    add_account(runtime, "Gamma")
    body = block_actions_body(action_id="carnet.choice.0", value="log.undo:1")
    with httpx.Client(base_url=served.url) as http:
        response = http.post("/slack/events", content=body, headers={"Content-Type": FORM})
    assert response.status_code == 401


def test_a_slow_request_does_not_hold_up_the_others(runtime, slack, served, fake_slack):
    """A new member's first command waits on users.info; other requests must not wait behind it."""
    add_account(runtime, "Gamma")
    slack.command("/log", "appel Gamma", user_id="U1")  # U1 known from now on
    # Slack could not say who U1 is; asked once at first use, never again on each request
    [u1] = [m for m in rows(runtime, "member") if m["slack_user_id"] == "U1"]
    assert u1["profile_checked_at"] is not None
    fake_slack.latency = 1.5  # Slack's Web API is slow right now
    slow = threading.Thread(target=lambda: slack.command("/log", "visite Gamma", user_id="U9"))
    slow.start()
    try:
        time.sleep(0.3)  # U9's request is now waiting on users.info (recorded once answered)
        assert len(fake_slack.calls("users.info")) == 1
        with httpx.Client(base_url=served.url) as http:
            started = time.monotonic()
            assert http.get("/healthz").status_code == 200
            health_took = time.monotonic() - started
        with SlackClient(served.url, SECRET) as other:
            started = time.monotonic()
            assert other.command("/log", "email Gamma", user_id="U1").status_code == 200
            command_took = time.monotonic() - started
    finally:
        slow.join(10)
        fake_slack.latency = 0
    assert health_took < 0.7, health_took
    assert command_took < 0.7, command_took
    assert len(rows(runtime, "action")) == 3


def test_concurrent_copies_of_one_command_store_once(runtime, slack):
    """A retry may arrive while the first delivery is still being handled."""
    add_account(runtime, "Gamma")
    slack.command("/log", "appel Gamma")  # U1 known: both copies go straight to the database
    barrier = threading.Barrier(4)
    answers: list = []

    def send(retry_num):
        barrier.wait()
        answers.append(slack.command("/log", "visite Gamma proposition", trigger_id="5.5.race", retry_num=retry_num))

    threads = [threading.Thread(target=send, args=(n,)) for n in (None, 1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert [a.status_code for a in answers] == [200] * 4
    texts = {message_text(a.json()) for a in answers}
    assert len(texts) == 1, texts
    assert says(texts.pop(), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    assert [a["action_type"] for a in rows(runtime, "action")] == ["call", "visit"]
