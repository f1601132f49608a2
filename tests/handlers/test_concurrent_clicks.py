"""Impatient people: the same button clicked several times at the same instant, and the same
/log sent ten times at once, through signed HTTP against the served app, on SQLite and PostgreSQL.

One click does the work and confirms it; the others are answered and store nothing. Ten
proposals at one account plan one automatic relance (the database refuses a second).
"""

from __future__ import annotations

import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

import httpx
import pytest

from bot.runtime import Runtime
from tests.support.fixtures import SIGNING_SECRET, carnet_runtime
from tests.handlers.conftest import add_account, button, message_text, rows, snapshot
from tests.support.messages import says, sentence, word
from tests.support.slack_requests import SlackClient

CONFIRMED = sentence("log.saved", action_type=word("action_type.visit"))
_TLS = ssl.create_default_context()
LOST = (sentence("choice.already_done"), sentence("choice.expired"))


@pytest.fixture
def runtime(database_url, fake_slack, clock) -> Iterator[Runtime]:
    """The served app's runtime on each database (the shared fixture is SQLite only)."""
    with carnet_runtime(database_url, fake_slack, clock) as rt:
        yield rt


def at_once(served, count: int, send: Callable[[SlackClient, int], httpx.Response]) -> list[httpx.Response]:
    """``count`` signed requests released together by a barrier, each on its own connection."""
    barrier = threading.Barrier(count)
    # One TLS context for all (each httpx.Client would load the CA bundle: ~0.1 s apiece).
    clients = [
        SlackClient(client=httpx.Client(base_url=served.url, timeout=30, verify=_TLS), signing_secret=SIGNING_SECRET)
        for _ in range(count)
    ]
    for client in clients:  # connect first, so the barrier releases requests, not handshakes
        assert client.http.get("/healthz").status_code == 200

    def one(i: int) -> httpx.Response:
        barrier.wait(timeout=10)
        return send(clients[i], i)

    try:
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(one, range(count)))
    finally:
        for client in clients:
            client.http.close()


def click_at_once(served, fake_slack, btn: dict[str, Any], count: int, prefix: str) -> list[dict[str, Any]]:
    """Click ``btn`` ``count`` times at once; every click's one answer (from its response_url)."""
    before = len(fake_slack.delivered("response_url"))

    def send(client: SlackClient, i: int) -> httpx.Response:
        return client.action(
            action_id=btn["action_id"], block_id="carnet.choices", value=btn["value"],
            response_url=fake_slack.response_url(f"{prefix}{i}"),
        )

    for response in at_once(served, count, send):
        assert response.status_code == 200  # every click is acked
    fake_slack.wait_for("response_url", count=before + count, timeout=30)
    answers = []
    for i in range(count):
        got = fake_slack.responses(f"{prefix}{i}")
        assert len(got) == 1, (i, got)
        answers.append(got[0])
    return answers


def confirmation_at(fake_slack, name: str, timeout: float = 30.0) -> str:
    """The text answered at response_url ``name``, once it holds a confirmation (polled)."""
    deadline = time.monotonic() + timeout
    while not any(says(message_text(a), "log.saved") for a in fake_slack.responses(name)):
        assert time.monotonic() < deadline, f"no confirmation at {name}: {fake_slack.responses(name)}"
        time.sleep(0.02)
    return "\n".join(message_text(a) for a in fake_slack.responses(name))


def ask_about_gama(slack) -> dict[str, Any]:
    response = slack.command("/log", "visite Gama proposition hier")
    assert response.status_code == 200
    return response.json()


def confirmations(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in answers if CONFIRMED.search(message_text(a))]


def assert_one_did_the_work(answers: list[dict[str, Any]]) -> None:
    [confirmed] = confirmations(answers)
    assert confirmed["replace_original"] is True
    for answer in answers:
        if answer is not confirmed:
            text = message_text(answer)
            assert any(lost.search(text) for lost in LOST), text
            assert not CONFIRMED.search(text)


@pytest.mark.parametrize("count", [2, 10])
def test_create_clicked_at_once_stores_one_action_and_one_account(runtime, served, slack, fake_slack, count):
    add_account(runtime, "Gamma")
    body = ask_about_gama(slack)
    answers = click_at_once(served, fake_slack, button(body, "log.create_account:"), count, "create")
    assert_one_did_the_work(answers)
    [action] = rows(runtime, "action")
    assert sorted(a["name"] for a in rows(runtime, "account")) == ["Gama", "Gamma"]
    assert action["account_id"] == next(a["id"] for a in rows(runtime, "account") if a["name"] == "Gama")
    assert rows(runtime, "pending_command") == []
    # the lost clicks did not replace the question (and so the confirmation) with their answer
    assert [a.get("replace_original") for a in answers].count(True) >= 1
    for answer in answers:
        if "vient d'être traité" in message_text(answer):
            assert not answer.get("replace_original")


def test_pick_clicked_ten_times_at_once_stores_one_action(runtime, served, slack, fake_slack):
    gamma = add_account(runtime, "Gamma")
    body = ask_about_gama(slack)
    answers = click_at_once(served, fake_slack, button(body, "log.pick_account:"), 10, "pick")
    assert_one_did_the_work(answers)
    [action] = rows(runtime, "action")
    assert action["account_id"] == gamma
    [relance] = rows(runtime, "plan")  # the proposal's relance, planned once too
    assert (relance["source"], relance["status"]) == ("auto_relance", "planned")


def test_cancel_and_create_clicked_at_once_do_one_of_the_two(runtime, served, slack, fake_slack):
    add_account(runtime, "Gamma")
    before = snapshot(runtime)
    body = ask_about_gama(slack)
    cancel, create = button(body, "log.cancel:"), button(body, "log.create_account:")
    before_answers = len(fake_slack.delivered("response_url"))

    def send(client: SlackClient, i: int) -> httpx.Response:
        btn = (cancel, create)[i % 2]
        return client.action(
            action_id=btn["action_id"], block_id="carnet.choices", value=btn["value"],
            response_url=fake_slack.response_url(f"mixed{i}"),
        )

    at_once(served, 6, send)
    fake_slack.wait_for("response_url", count=before_answers + 6, timeout=30)
    texts = [message_text(fake_slack.responses(f"mixed{i}")[0]) for i in range(6)]
    done = [t for t in texts if CONFIRMED.search(t) or says(t, "log.cancelled")]
    assert len(done) == 1, texts
    if CONFIRMED.search(done[0]):
        assert len(rows(runtime, "action")) == 1
    else:
        assert snapshot(runtime) == before


def test_a_plan_choice_clicked_at_once_plans_once(runtime, served, slack, fake_slack):
    add_account(runtime, "Gamma")
    response = slack.command("/plan", "visite Gama mardi 10h")
    assert response.status_code == 200
    body = response.json()
    answers = click_at_once(served, fake_slack, button(body, "plan.create_account:"), 10, "plan")
    planned = [a for a in answers if says(message_text(a), "plan.created", action_type=word("action_type.visit"), account="Gama")]
    assert len(planned) == 1, [message_text(a) for a in answers]
    for answer in answers:
        if answer is not planned[0]:
            assert any(lost.search(message_text(answer)) for lost in LOST), message_text(answer)
    [plan] = rows(runtime, "plan")
    assert (plan["action_type"], plan["source"]) == ("visit", "manual")
    assert sorted(a["name"] for a in rows(runtime, "account")) == ["Gama", "Gamma"]


def test_ten_proposals_at_once_at_one_account_plan_one_relance(runtime, served, fake_slack):
    add_account(runtime, "Gamma")
    # The rep is known already: this test is about the relance, not the first-time profile.
    fake_slack.add_user("U1", name="alice", tz="Europe/Paris", locale="fr-FR")
    with SlackClient(served.url, SIGNING_SECRET, response_url=fake_slack.response_url("warm")) as client:
        assert client.command("/plan", "").status_code == 200

    def send(client: SlackClient, i: int) -> httpx.Response:
        return client.command("/log", "visite Gamma proposition", response_url=fake_slack.response_url(f"log{i}"))

    responses = at_once(served, 10, send)
    texts = []
    for i, response in enumerate(responses):
        assert response.status_code == 200
        text = message_text(response.json()) if response.content else ""
        if not says(text, "log.saved"):  # answered after the ack, through the response_url
            text = confirmation_at(fake_slack, f"log{i}")
        texts.append(text)
    assert all(says(t, "log.saved", action_type=word("action_type.visit"), account="Gamma") for t in texts), texts
    assert sum(says(t, "plan.auto_relance", account="Gamma") for t in texts) == 1, texts
    assert len(rows(runtime, "action")) == 10
    [relance] = rows(runtime, "plan")
    assert (relance["action_type"], relance["status"], relance["source"]) == ("follow_up", "planned", "auto_relance")


def test_ten_wins_at_once_close_the_deal_once(runtime, served, slack, fake_slack):
    add_account(runtime, "Gamma")
    assert slack.command("/opp", 'new Gamma "Contrat maintenance" 12k').status_code == 200

    def send(client: SlackClient, i: int) -> httpx.Response:
        return client.command("/opp", "Gamma won", response_url=fake_slack.response_url(f"won{i}"))

    texts = [message_text(r.json()) for r in at_once(served, 10, send)]
    assert sum(says(t, "opp.won", account="Gamma") for t in texts) == 1, texts
    assert sum(says(t, "opp.already_won", account="Gamma") for t in texts) == 9, texts
    changes = [c["to_stage"] for c in rows(runtime, "opportunity_stage_change")]
    assert changes.count("won") == 1, changes


def test_one_stage_change_sent_ten_times_at_once_is_one_history_row(runtime, served, slack, fake_slack):
    add_account(runtime, "Gamma")
    assert slack.command("/opp", 'new Gamma "Contrat maintenance" 12k 30%').status_code == 200

    def send(client: SlackClient, i: int) -> httpx.Response:
        return client.command("/opp", "Gamma negotiation", response_url=fake_slack.response_url(f"stage{i}"))

    texts = [message_text(r.json()) for r in at_once(served, 10, send)]
    assert sum(says(t, "opp.updated", account="Gamma") for t in texts) == 1, texts
    assert sum(says(t, "opp.unchanged", account="Gamma") for t in texts) == 9, texts
    changes = [(c["from_stage"], c["to_stage"]) for c in rows(runtime, "opportunity_stage_change")]
    assert changes == [(None, "proposal"), ("proposal", "negotiation")]


@pytest.mark.parametrize("count", [2, 10])
def test_undo_clicked_at_once_removes_the_action_once_and_says_so_once(runtime, served, slack, fake_slack, count):
    add_account(runtime, "Gamma")
    response = slack.command("/log", "visite Gamma")
    assert response.status_code == 200
    undo = button(response.json(), "log.undo:")
    assert len(rows(runtime, "action")) == 1
    answers = click_at_once(served, fake_slack, undo, count, "undo")
    texts = [message_text(a) for a in answers]
    assert sum(says(t, "log.undone", action_type=word("action_type.visit"), account="Gamma") for t in texts) == 1, texts
    assert sum(says(t, "log.already_undone") for t in texts) == count - 1, texts
    assert rows(runtime, "action") == []


def test_ten_logs_at_once_naming_a_new_contact_store_ten_actions_and_one_contact(runtime, served, slack, fake_slack):
    add_account(runtime, "Gamma")
    assert slack.command("/plan", "").status_code == 200  # the rep is known

    def send(client: SlackClient, i: int) -> httpx.Response:
        return client.command("/log", "visite Gamma avec Mme Roux (acheteur)", response_url=fake_slack.response_url(f"c{i}"))

    texts = [message_text(r.json()) for r in at_once(served, 10, send)]
    assert all(says(t, "log.saved", action_type=word("action_type.visit"), account="Gamma") for t in texts), texts
    assert len(rows(runtime, "action")) == 10
    [contact] = rows(runtime, "contact")
    assert {a["contact_id"] for a in rows(runtime, "action")} == {contact["id"]}
