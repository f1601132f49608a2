"""Answers to clicks travel through the outbox: Slack failing once still means one message."""

from __future__ import annotations

import time
from datetime import timedelta

from tests.handlers.conftest import add_account, button, message_text, rows
from tests.support.messages import says, word


def test_response_url_failing_once_delivers_exactly_one_message(runtime, slack, fake_slack):
    add_account(runtime, "Gamma")
    body = slack.command("/log", "visite Gama").json()
    pick = button(body, "log.pick_account:")

    fake_slack.fail_next("response_url", status=500)
    url = fake_slack.response_url("flaky")
    response = slack.action(action_id=pick["action_id"], value=pick["value"], response_url=url)
    assert response.status_code == 200

    # the first attempt meets the 500; the action is stored all the same. Wait until the worker
    # has *recorded* that failed attempt (the row is back to pending with its retry time): the
    # Slack call alone is seen before the worker writes it, and advancing the clock in between
    # would let the retry be computed from the advanced clock.
    deadline = time.monotonic() + 5
    while not [r for r in rows(runtime, "outbox") if r["status"] == "pending" and r["attempts"] == 1]:
        assert time.monotonic() < deadline, f"no recorded delivery attempt: {rows(runtime, 'outbox')}"
        time.sleep(0.02)
    assert [c.status for c in fake_slack.calls("response_url")] == [500]
    assert len(rows(runtime, "action")) == 1
    [row] = rows(runtime, "outbox")
    assert row["status"] != "sent"

    # the retry is due after a back-off measured on Carnet's clock
    runtime.clock.advance(timedelta(seconds=30))
    runtime.worker.wake()
    fake_slack.wait_for("response_url")
    time.sleep(0.3)  # give a duplicate every chance to show up
    assert [c.status for c in fake_slack.calls("response_url")] == [500, 200]
    [answer] = fake_slack.responses("flaky")
    assert says(message_text(answer), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    [row] = rows(runtime, "outbox")
    assert row["status"] == "sent"


def test_each_click_answer_is_sent_once(runtime, slack, fake_slack, clicks):
    add_account(runtime, "Gamma")
    body = slack.command("/log", "visite Gamma").json()
    clicks.click(button(body, "log.undo:"))
    time.sleep(0.3)
    assert len(fake_slack.calls("response_url")) == 1
    assert [r["status"] for r in rows(runtime, "outbox")] == ["sent"]
