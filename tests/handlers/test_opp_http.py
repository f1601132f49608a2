"""/opp through signed HTTP requests as Slack sends them, against the served app and the fake Web API.

Replies are read where Slack would show them: the ack body of a slash command, the body
POSTed to a click's response_url, and the Web API calls the fake recorded (views.open,
chat.postMessage). The database is only read, to check what was (not) stored.
"""

from __future__ import annotations

import re
import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from bot.messages import translate
from storage.models import Member, OpportunityStageChange, OutboxMessage, Workspace
from tests.support.fixtures import TEST_NOW
from tests.handlers.conftest import add_account, button, buttons, deals, message_text, say, snapshot
from tests.support.messages import flat, says, sentence, word
from tests.support.slack_requests import (
    date_value,
    external_select_value,
    select_value,
    text_value,
)

# What a refused /opp must leave untouched.
GUARDED_TABLES = ("opportunity", "opportunity_stage_change", "account", "pending_command")


# --------------------------------------------------------------------------- helpers


def guarded(runtime) -> dict[str, list[tuple]]:
    return snapshot(runtime, GUARDED_TABLES)


def history(runtime, opportunity_id: int) -> list[tuple]:
    """(from, to, probability then, amount then, when) in the order the changes happened."""
    with runtime.session_factory() as session:
        changes = session.scalars(
            select(OpportunityStageChange)
            .where(OpportunityStageChange.opportunity_id == opportunity_id)
            .order_by(OpportunityStageChange.id)
        )
        return [(c.from_stage, c.to_stage, c.probability, c.amount, c.changed_at.astimezone(UTC)) for c in changes]


def workspace_settings_row(runtime) -> dict[str, Any]:
    with runtime.session_factory() as session:
        return dict(session.scalar(select(Workspace.settings)) or {})


def channel_posts(fake_slack, channel: str) -> list:
    return [c for c in fake_slack.delivered("chat.postMessage") if c.params.get("channel") == channel]


def channel_outbox(runtime) -> list[dict[str, Any]]:
    """Outbox rows addressed to a channel (celebrations), whatever their status."""
    with runtime.session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r.payload for r in rows if r.payload.get("destination", {}).get("type") == "channel"]


def wait_channel_posts(fake_slack, channel: str, count: int, timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        posts = channel_posts(fake_slack, channel)
        if len(posts) >= count:
            return posts
        time.sleep(0.02)
    raise AssertionError(f"expected {count} post(s) to {channel}; got {fake_slack.methods()}")


def post_text(call) -> str:
    return flat(message_text({"text": call.params.get("text"), "blocks": call.params.get("blocks") or []}))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def gamma(runtime, people) -> int:
    return add_account(runtime, "Gamma")


# --------------------------------------------------------------------------- creating and updating


def test_new_deal_is_stored_with_its_close_date_read_on_the_injected_clock(runtime, slack, gamma):
    _body, shown = say(slack, 'new Gamma "Contrat maintenance" 12k€ 30% close 15/12')

    assert says(shown, "opp.created", account="Gamma", title="Contrat maintenance")
    assert "12 000 €" in shown and "30 %" in shown and word("stage.proposal") in shown
    assert "15 déc. 2026" in shown  # the close date as read on Monday 23 November 2026
    assert "3 600 €" in shown  # weighted: 12 000 × 30 %
    [deal] = deals(runtime)
    assert deal.account_id == gamma
    assert deal.title == "Contrat maintenance"
    assert deal.amount == Decimal(12000) and deal.currency == "EUR"
    assert deal.probability == 30 and deal.stage == "proposal" and deal.status == "open"
    assert deal.expected_close_on == date(2026, 12, 15)
    with runtime.session_factory() as session:
        assert session.scalar(select(Member.slack_user_id).where(Member.id == deal.member_id)) == "U1"
    assert history(runtime, deal.id) == [(None, "proposal", 30, Decimal(12000), TEST_NOW)]


def test_new_deal_in_january_is_read_forwards_from_the_clock(runtime, slack, gamma, clock):
    clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=UTC))
    say(slack, 'new Gamma "Renouvellement" 8k close 15/12')  # 15/12 has passed: next year's
    [deal] = deals(runtime)
    assert deal.expected_close_on == date(2027, 12, 15)


def test_stage_history_after_a_sequence_of_updates(runtime, slack, gamma, clock):
    say(slack, 'new Gamma "Contrat maintenance" 12k€ 30% close 15/12')
    steps = [
        ("Gamma 50%", "mise à jour"),
        ("Gamma negotiation", "mise à jour"),
        ("Gamma 15k", "mise à jour"),
        ("Gamma won", "Bravo"),
    ]
    for words, expected in steps:
        clock.advance(timedelta(hours=1))
        _body, shown = say(slack, words)
        assert expected in shown, (words, shown)
    assert "15 000 €" in shown  # the win reports the amount then

    [deal] = deals(runtime)
    assert (deal.status, deal.stage, deal.probability, deal.amount) == ("won", "won", 100, Decimal(15000))
    assert deal.closed_at.astimezone(UTC) == TEST_NOW + timedelta(hours=4)
    hour = timedelta(hours=1)
    assert history(runtime, deal.id) == [
        (None, "proposal", 30, Decimal(12000), TEST_NOW),
        ("proposal", "proposal", 50, Decimal(12000), TEST_NOW + hour),
        ("proposal", "negotiation", 60, Decimal(12000), TEST_NOW + 2 * hour),  # the stage's default odds
        ("negotiation", "negotiation", 60, Decimal(15000), TEST_NOW + 3 * hour),
        ("negotiation", "won", 100, Decimal(15000), TEST_NOW + 4 * hour),
    ]


def test_an_update_that_changes_nothing_writes_no_history(runtime, slack, gamma):
    say(slack, 'new Gamma "Contrat" 12k 30%')
    before = guarded(runtime)
    _body, shown = say(slack, "Gamma 30%")
    assert says(shown, "opp.unchanged", account="Gamma")
    assert guarded(runtime) == before


def test_several_open_deals_ask_which_one_and_the_click_applies_the_change(runtime, slack, gamma, clicks):
    say(slack, 'new Gamma "Contrat A" 10k')
    say(slack, 'new Gamma "Contrat B" 20k')
    a, b = deals(runtime)
    before = guarded(runtime)

    body, shown = say(slack, "Gamma 50%")

    assert says(shown, "opp.ask_which", account="Gamma")
    labels = {flat(x["text"]["text"]): x["value"] for x in buttons(body)}
    assert labels["Contrat A (10 000 €)"].startswith("opp.pick:") and labels["Contrat A (10 000 €)"].endswith(f":{a.id}")
    assert labels["Contrat B (20 000 €)"].endswith(f":{b.id}")
    assert any(v.startswith("opp.cancel:") for v in labels.values())
    # Nothing was guessed: both deals as they were, no history written.
    after_question = guarded(runtime)
    assert after_question["opportunity"] == before["opportunity"]
    assert after_question["opportunity_stage_change"] == before["opportunity_stage_change"]

    answer = clicks.click(button(body, labels["Contrat B (20 000 €)"]))

    assert answer["replace_original"] is True
    assert says(flat(message_text(answer)), "opp.updated", account="Gamma", title="Contrat B")
    a_now, b_now = deals(runtime)
    assert (a_now.probability, b_now.probability) == (40, 50)
    assert [h[:4] for h in history(runtime, b.id)] == [
        (None, "proposal", 40, Decimal(20000)),
        ("proposal", "proposal", 50, Decimal(20000)),
    ]
    assert len(history(runtime, a.id)) == 1

    # The question is answered once: the same button again changes nothing.
    again = clicks.click(button(body, labels["Contrat A (10 000 €)"]))
    assert says(flat(message_text(again)), "choice.expired")
    assert deals(runtime)[0].probability == 40
    assert len(history(runtime, a.id)) == 1


def test_opp_alone_lists_my_open_deals_only(runtime, slack, people):
    add_account(runtime, "Gamma")
    add_account(runtime, "Delta")
    add_account(runtime, "Omega")
    add_account(runtime, "Zeta")
    say(slack, 'new Gamma "Contrat maintenance" 12k 30% close 15/12')
    say(slack, 'new Delta "Audit" 5k')
    say(slack, 'new Omega "Chez Bob" 99k', user="U2")
    say(slack, 'new Zeta "Ancien" 7k')
    say(slack, "Zeta lost budget")

    body, shown = say(slack, "")

    assert says(shown, "opp.list_title", count=2)
    assert says(shown, "opp.list_line", account="Gamma", title="Contrat maintenance", stage=word("stage.proposal"),
                amount="12 000 €", probability="30 %", weighted="3 600 €",
                close=translate("fr", "opp.list_close", date="15 déc. 2026"))
    assert says(shown, "opp.list_line", account="Delta", title="Audit")
    assert "Omega" not in shown and "99 000" not in shown  # bob's deal
    assert "Ancien" not in shown and "Zeta" not in shown  # closed
    assert [b["value"] for b in buttons(body)] == ["opp.open_form"]


def test_no_open_deal_offers_to_create_one_and_the_button_opens_the_prefilled_form(
    runtime, slack, gamma, clicks, fake_slack
):
    say(slack, "", user="U1")  # alice is a rep (boss spoke first)
    before = guarded(runtime)

    body, shown = say(slack, "Gamma 50%")

    assert says(shown, "opp.none_open", account="Gamma")
    create = button(body, "opp.open_form:")
    assert create["value"] == f"opp.open_form:{gamma}"
    assert guarded(runtime) == before

    trigger = "12345.98765.abcdef0123456789abcdef0123456789"
    clicks.click(create, expect_answer=False, trigger_id=trigger)

    [opened] = fake_slack.wait_for("views.open")
    assert opened.params["trigger_id"] == trigger
    view = opened.params["view"]
    assert view["callback_id"] == "opp.form"
    account = next(b for b in view["blocks"] if b["block_id"] == "account")
    assert account["element"]["type"] == "external_select"
    assert account["element"]["initial_option"]["value"] == f"id:{gamma}"
    assert account["element"]["initial_option"]["text"]["text"] == "Gamma"
    assert guarded(runtime) == before  # opening a form stores nothing


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def carnet(runtime, slack, gamma) -> dict[str, int]:
    """Gamma with one open deal, Delta with a lost one."""
    delta = add_account(runtime, "Delta")
    say(slack, 'new Gamma "Contrat A" 10k 30%')
    say(slack, 'new Delta "Perdu" 5k')
    _body, shown = say(slack, "Delta lost prix")
    assert says(shown, "opp.lost", account="Delta", title="Perdu")
    return {"gamma": gamma, "delta": delta}


# Each bad /opp line and the sentences (patterns) its answer must show.
BAD_INPUTS = [
    ('new Gamma "X" -12k', [sentence("opp.error.negative_amount")]),
    ("Gamma -5k", [sentence("opp.error.negative_amount")]),
    ('new Gamma "X" 2000000000000', [sentence("opp.error.absurd_amount")]),
    ("Gamma 1000000000000", [sentence("opp.error.absurd_amount")]),
    ('new Gamma "X" 12k 150%', [sentence("opp.error.bad_probability", word="150%")]),
    ("Gamma 150%", [sentence("opp.error.bad_probability", word="150%")]),
    ('new Gamma "X" 12k close 20/11/2026', [sentence("opp.error.close_in_past")]),
    ('new Gamma "X" 12k close hier', [sentence("opp.error.close_in_past")]),
    ('new Gamma "X" 12000 XYZ', [sentence("opp.error.unknown_currency", word="XYZ"), re.compile("EUR"), re.compile("USD")]),
    ("Gamma negociaton", [sentence("opp.error.unknown_stage", word="negociaton"),
                          sentence("opp.error.suggest", suggestion=word("stage.negotiation"))]),
    ("Delta won", [sentence("opp.error.already_lost"), sentence("opp.none_open", account="Delta")]),
    ('new "Nouvelle Société" "X" -12k', [sentence("opp.error.negative_amount")]),
]


def test_bad_input_is_refused_clearly_and_nothing_is_stored(runtime, slack, carnet):
    # One carnet for every case (each case starts from the same tables): the app is costly to start.
    before = guarded(runtime)
    for words, expected in BAD_INPUTS:
        body, shown = say(slack, words)

        for fragment in expected:
            assert fragment.search(shown), (words, fragment, shown)
        assert says(shown, "error.nothing_stored"), words
        assert "Traceback" not in shown and "error" not in shown.lower(), words
        assert guarded(runtime) == before, words
        assert not [b for b in buttons(body) if b["value"].startswith(("opp.pick", "opp.won"))], words


def test_won_on_a_lost_deal_through_a_button_is_refused_and_nothing_is_stored(runtime, slack, gamma, clicks):
    """Two open deals; the rep is asked which one was won, then loses it before clicking."""
    say(slack, 'new Gamma "Contrat A" 10k')
    say(slack, 'new Gamma "Contrat B" 20k')
    a, _b = deals(runtime)
    body, _shown = say(slack, "Gamma won")
    pick_a = next(x for x in buttons(body) if x["value"].endswith(f":{a.id}"))
    lose, _ = say(slack, "Gamma lost prix")
    lost = clicks.click(next(x for x in buttons(lose) if x["value"].endswith(f":{a.id}")))
    assert says(flat(message_text(lost)), "opp.lost", account="Gamma", title="Contrat A")
    before = guarded(runtime)

    answer = clicks.click(pick_a)

    assert says(flat(message_text(answer)), "opp.error.already_lost")
    after = guarded(runtime)
    assert after["opportunity"] == before["opportunity"]
    assert after["opportunity_stage_change"] == before["opportunity_stage_change"]
    assert deals(runtime, id=a.id)[0].status == "lost"


# --------------------------------------------------------------------------- celebration


def test_a_win_is_celebrated_once_in_the_team_channel_amount_hidden_on_request(runtime, slack, gamma, fake_slack):
    _body, shown = say(slack, "settings channel <#C0TEAM|ventes>", user="UBOSS", command="/carnet")
    assert says(shown, "settings.saved")
    assert workspace_settings_row(runtime)["team_channel"] == "C0TEAM"
    say(slack, 'new Gamma "Contrat maintenance" 12k€ 30% close 15/12')

    _body, shown = say(slack, "Gamma won")

    assert says(shown, "opp.won", account="Gamma", title="Contrat maintenance")
    [post] = wait_channel_posts(fake_slack, "C0TEAM", 1)
    celebration = post_text(post)
    assert "alice" in celebration and "Gamma" in celebration and "12 000 €" in celebration

    # Winning it again is no second win, and no second post.
    _body, shown = say(slack, "Gamma won")
    assert says(shown, "opp.already_won", account="Gamma", title="Contrat maintenance")

    # Amounts hidden: the next win says who and where, not how much.
    _body, shown = say(slack, "settings amounts hide", user="UBOSS", command="/carnet")
    assert says(shown, "settings.saved")
    add_account(runtime, "Delta")
    say(slack, 'new Delta "Audit" 7k')
    say(slack, "Delta won")
    first, second = wait_channel_posts(fake_slack, "C0TEAM", 2)
    assert first is post
    hidden = post_text(second)
    assert "alice" in hidden and "Delta" in hidden
    assert "7 000" not in hidden and "€" not in hidden

    # Exactly one post per win, even a while later.
    time.sleep(0.3)
    assert len(channel_posts(fake_slack, "C0TEAM")) == 2
    assert len(channel_outbox(runtime)) == 2


def test_a_lost_deal_is_never_posted_to_the_channel(runtime, slack, gamma, fake_slack):
    say(slack, "settings channel <#C0TEAM|ventes>", user="UBOSS", command="/carnet")
    add_account(runtime, "Delta")
    say(slack, 'new Gamma "Contrat maintenance" 12k')
    say(slack, 'new Delta "Audit" 7k')

    _body, shown = say(slack, "Gamma lost prix")
    assert says(shown, "opp.lost", account="Gamma", title="Contrat maintenance", reason=re.compile(".*prix.*"))
    assert deals(runtime, title="Contrat maintenance")[0].status == "lost"
    say(slack, "Delta won")  # a later win: its post shows the channel is being served

    [post] = wait_channel_posts(fake_slack, "C0TEAM", 1)
    assert "Delta" in post_text(post) and "Gamma" not in post_text(post)
    time.sleep(0.2)
    assert len(channel_posts(fake_slack, "C0TEAM")) == 1
    assert not any("Gamma" in json.dumps(p, ensure_ascii=False) for p in channel_outbox(runtime))


def test_a_rep_cannot_change_the_settings(runtime, slack, people):
    say(slack, "settings channel <#C0TEAM|ventes>", user="UBOSS", command="/carnet")
    before = workspace_settings_row(runtime)

    _body, shown = say(slack, "settings amounts hide", user="U1", command="/carnet")
    assert says(shown, "settings.admins_only")
    _body, shown = say(slack, "settings channel <#C0OTHER|random>", user="U1", command="/carnet")
    assert says(shown, "settings.admins_only")

    assert workspace_settings_row(runtime) == before
    assert before["team_channel"] == "C0TEAM" and before["celebrate_amounts"] is True


# --------------------------------------------------------------------------- the link with /log


def test_log_with_a_proposal_offers_to_open_the_deal(runtime, slack, gamma, clicks, fake_slack):
    body, shown = say(slack, "visite Gamma proposition", command="/log")

    assert says(shown, "log.saved", account="Gamma")
    offer = button(body, "opp.open_form:")
    assert offer["value"] == f"opp.open_form:{gamma}"
    assert deals(runtime) == []  # an offer, not a deal

    clicks.click(offer, expect_answer=False)
    [opened] = fake_slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "opp.form"
    account = next(b for b in view["blocks"] if b["block_id"] == "account")
    assert account["element"]["initial_option"]["value"] == f"id:{gamma}"


def test_log_won_closes_the_single_open_deal_and_celebrates(runtime, slack, gamma, fake_slack):
    say(slack, "settings channel <#C0TEAM|ventes>", user="UBOSS", command="/carnet")
    say(slack, 'new Gamma "Contrat maintenance" 12k 30%')

    _body, shown = say(slack, "visite Gamma gagné", command="/log")

    assert says(shown, "log.saved", account="Gamma")
    assert says(shown, "opp.log_closed", title="Contrat maintenance", account="Gamma")
    [deal] = deals(runtime)
    assert (deal.status, deal.stage, deal.probability) == ("won", "won", 100)
    assert history(runtime, deal.id)[-1][:4] == ("proposal", "won", 100, Decimal(12000))
    [post] = wait_channel_posts(fake_slack, "C0TEAM", 1)
    assert "alice" in post_text(post) and "Gamma" in post_text(post) and "12 000 €" in post_text(post)


# --------------------------------------------------------------------------- type-ahead and the deal form


def test_account_type_ahead_offers_matches_of_this_workspace_and_a_create_option(runtime, slack, gamma):
    industries = add_account(runtime, "Gamma Industries")
    add_account(runtime, "Delta")
    add_account(runtime, "Gamma Elsewhere", team_id="T2")  # another workspace's account

    response = slack.suggest(action_id="account", block_id="account", value="gam")

    assert response.status_code == 200
    options = {o["value"]: o["text"]["text"] for o in response.json()["options"]}
    assert options[f"id:{gamma}"] == "Gamma"
    assert options[f"id:{industries}"] == "Gamma Industries"
    assert options["new:gam"].startswith("➕") and "gam" in options["new:gam"]
    assert "Delta" not in options.values()
    assert not any("Elsewhere" in label for label in options.values())
    assert len(options) == 3


def opp_form(account: dict, *, title: str | None = "Contrat maintenance", amount: str | None = "12k€",
             probability: str | None = "30", stage: str | None = "proposal", close: str | None = "2026-12-15") -> dict:
    return {
        "account": account,
        "title": text_value(title),
        "amount": text_value(amount),
        "probability": text_value(probability),
        "stage": select_value(stage),
        "close_date": date_value(close),
    }


def test_the_deal_form_stores_a_deal_and_confirms_it_in_the_channel(runtime, slack, gamma, fake_slack):
    response = slack.submit(
        callback_id="opp.form",
        values=opp_form(external_select_value(f"id:{gamma}", "Gamma")),
        private_metadata=json.dumps({"channel": "C1"}),
    )

    assert response.status_code == 200
    assert response.content in (b"", b"{}")  # the modal closes
    [deal] = deals(runtime)
    assert (deal.account_id, deal.title, deal.amount, deal.currency) == (gamma, "Contrat maintenance", Decimal(12000), "EUR")
    assert (deal.probability, deal.stage, deal.expected_close_on) == (30, "proposal", date(2026, 12, 15))
    assert history(runtime, deal.id) == [(None, "proposal", 30, Decimal(12000), TEST_NOW)]
    [confirmation] = fake_slack.wait_for("chat.postEphemeral")
    assert confirmation.params["channel"] == "C1" and confirmation.params["user"] == "U1"
    assert says(post_text(confirmation), "opp.created", account="Gamma")


def test_the_deal_form_creates_the_account_typed_in_the_type_ahead(runtime, slack, people):
    response = slack.submit(callback_id="opp.form", values=opp_form(external_select_value("new:Zeta Corp", "➕ Créer « Zeta Corp »")))

    assert response.status_code == 200 and response.content in (b"", b"{}")
    [deal] = deals(runtime)
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM account WHERE id = :i"), {"i": deal.account_id}).scalar() == "Zeta Corp"


INVALID_FORMS = [
    (
        {"amount": "-5000", "probability": "150", "close": "2026-11-01"},
        {"amount": "négatif", "probability": "0 à 100", "close_date": "ne peut pas être passée"},
    ),
    ({"amount": "2000000000000"}, {"amount": "n'est pas réaliste"}),
    ({"amount": "douze mille 3"}, {"amount": "Ce n'est pas un montant"}),  # "douze mille" alone now reads 12000
    ({"amount": None}, {"amount": "Obligatoire"}),
    ({"stage": "won"}, {"stage": "Choisissez"}),
    ({"account": "id:999999"}, {"account": "Choisissez"}),
    ({"account": "new:  "}, {"account": "au moins une lettre ou un chiffre"}),
]


def test_an_invalid_deal_form_shows_errors_beside_the_fields_and_stores_nothing(runtime, slack, gamma, fake_slack):
    before = guarded(runtime)
    for changes, expected in INVALID_FORMS:
        changes = dict(changes)
        account = external_select_value(changes.pop("account", f"id:{gamma}"), "Gamma")

        response = slack.submit(callback_id="opp.form", values=opp_form(account, **changes))

        assert response.status_code == 200
        body = response.json()
        assert body["response_action"] == "errors", changes
        assert set(body["errors"]) == set(expected), (changes, body["errors"])
        for field, fragment in expected.items():
            assert fragment in flat(body["errors"][field]), (field, body["errors"][field])
        assert guarded(runtime) == before, changes
    time.sleep(0.1)
    assert fake_slack.calls("chat.postEphemeral") == [] and fake_slack.calls("chat.postMessage") == []


# --------------------------------------------------------------------------- two reps at once (SQLite)


def test_two_reps_typing_at_the_same_time_are_both_answered(runtime, slack, gamma, served):
    """On SQLite, a deal update (read, then write) racing another rep's /log must wait its turn,
    not fail with "database is locked" and the apology."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.support.fixtures import SIGNING_SECRET
    from tests.support.slack_requests import SlackClient

    add_account(runtime, "Delta")
    say(slack, 'new Gamma "Contrat A" 10k 30%')
    say(slack, "", user="U2")

    def alice() -> list[str]:
        with SlackClient(served.url, SIGNING_SECRET) as own:
            return [flat(message_text(own.command("/opp", f"Gamma {30 + i % 2}%", user_id="U1").json())) for i in range(40)]

    def bob() -> list[str]:
        with SlackClient(served.url, SIGNING_SECRET) as own:
            return [flat(message_text(own.command("/log", "visite Delta", user_id="U2").json())) for _ in range(40)]

    with ThreadPoolExecutor(2) as pool:
        replies = [r for f in [pool.submit(alice), pool.submit(bob)] for r in f.result()]

    failed = [r for r in replies if "Un problème est survenu" in r]
    assert failed == []
    assert len(history(runtime, deals(runtime)[0].id)) == 1 + 40 - 1  # every change but the first (already 30 %)
    with runtime.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM action")).scalar() == 40
