"""/log lines Carnet cannot take: a clear answer in the ack, and nothing stored.

Every case goes through a signed slash command to the served app; the reply is read from
the ack body and the action/account/contact tables are compared before and after.
"""

from __future__ import annotations

import json
import re

from bot.messages import translate
from tests.handlers.conftest import ack, add_account, button, buttons, message_text, rows, snapshot
from tests.support.messages import says, word

NOTHING_STORED = translate("fr", "error.nothing_stored")


def test_log_alone_opens_the_form_through_views_open(runtime, slack, fake_slack):
    before = snapshot(runtime)
    response = slack.command("/log", "", channel_id="C42", trigger_id="111.222.abc")
    assert response.status_code == 200
    assert response.content == b""  # empty ack: the modal is the answer

    [call] = fake_slack.wait_for("views.open")
    assert call.params["trigger_id"] == "111.222.abc"
    view = call.params["view"]
    assert view["type"] == "modal" and view["callback_id"] == "log.form"
    assert json.loads(view["private_metadata"]) == {"channel": "C42"}
    assert view["title"]["text"] == translate("fr", "form.log.title")  # fr: the default locale
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == ["action_type", "account", "result", "contact", "contact_function", "date", "note"]
    assert all(b["type"] == "input" for b in blocks.values())
    required = {name for name, b in blocks.items() if not b["optional"]}
    assert required == {"action_type", "account", "date"}
    assert blocks["action_type"]["element"]["type"] == "static_select"
    types = [o["value"] for o in blocks["action_type"]["element"]["options"]]
    assert {"visit", "call", "email", "meeting", "video", "demo", "negotiation", "follow_up"} <= set(types)
    assert blocks["date"]["element"] == {"type": "datepicker", "action_id": "date", "initial_date": "2026-11-23"}
    assert blocks["note"]["element"]["multiline"] is True
    assert blocks["note"]["element"]["max_length"] == 1000
    # The account is picked with type-ahead over the workspace's accounts (block_suggestion).
    assert blocks["account"]["element"] == {"type": "external_select", "action_id": "account", "min_query_length": 1}
    assert snapshot(runtime) == before


def test_blank_words_also_open_the_form(runtime, slack, fake_slack):
    response = slack.command("/log", "   \t ")
    assert response.status_code == 200 and response.content == b""
    [call] = fake_slack.wait_for("views.open")
    assert call.params["view"]["callback_id"] == "log.form"
    assert snapshot(runtime)["action"] == []


def test_unknown_type_suggests_the_nearest(runtime, slack, gamma):
    before = snapshot(runtime)
    body = ack(slack, "/log", "visitte Gamma proposition")
    text = message_text(body)
    assert says(text, "log.error.unknown_type", word="visitte")  # what was not understood
    assert says(text, "log.error.suggest", suggestion=word("action_type.visit"))  # the nearest type
    assert says(text, "log.types", types=re.compile(rf".*\b{word('action_type.call')}\b"))
    assert NOTHING_STORED in text and says(text, "log.example")
    assert buttons(body) == []
    assert snapshot(runtime) == before


def test_missing_account(runtime, slack):
    before = snapshot(runtime)
    for words in ("visite", "visite hier", "appel avec Mr. X"):
        text = message_text(ack(slack, "/log", words))
        assert says(text, "log.error.missing_account"), words
        assert says(text, "understood.intro", understood=re.compile(re.escape(word("understood.action_type")) + " = ")), words
        assert NOTHING_STORED in text, words
    assert snapshot(runtime) == before


def test_unreadable_date(runtime, slack, gamma):
    before = snapshot(runtime)
    for when in ("32/13", "2026-13-45", "31 février"):
        text = message_text(ack(slack, "/log", f"visite Gamma {when}"))
        assert says(text, "log.error.bad_date", word=when), text
        assert says(text, "understood.intro", understood=re.compile(f".*{word('understood.account')} = Gamma")), text
        assert NOTHING_STORED in text
    assert snapshot(runtime) == before


def test_future_date_for_a_past_action(runtime, slack, gamma):
    before = snapshot(runtime)
    for when in ("demain", "tomorrow", "1 décembre 2026", "2026-11-24"):
        text = message_text(ack(slack, "/log", f"visite Gamma proposition {when}"))
        assert says(text, "log.error.future_date", word=when), text
        assert NOTHING_STORED in text
    assert snapshot(runtime) == before


def test_note_over_the_limit_says_how_long_it_is(runtime, slack, gamma):
    before = snapshot(runtime)
    text = message_text(ack(slack, "/log", "visite Gamma -- " + "x" * 1500))
    assert says(text, "log.error.note_too_long", length=1500, limit=1000)
    assert NOTHING_STORED in text
    assert snapshot(runtime) == before


def test_five_thousand_character_note(runtime, slack, gamma):
    before = snapshot(runtime)
    body = ack(slack, "/log", "visite Gamma proposition -- " + "é" * 5000)
    text = message_text(body)
    assert says(text, "log.error.note_too_long", length=5000, limit=1000)
    assert NOTHING_STORED in text
    assert "x" * 200 not in text and "é" * 200 not in text  # the wall of text is not echoed
    assert all(len(b["text"]["text"]) <= 3000 for b in body["blocks"] if b.get("text"))
    assert snapshot(runtime) == before


def test_unclosed_quote(runtime, slack):
    before = snapshot(runtime)
    text = message_text(ack(slack, "/log", 'visite "Alpha Industries proposition'))
    assert says(text, "log.error.unclosed_quote")
    assert NOTHING_STORED in text
    assert snapshot(runtime) == before


def test_account_without_a_letter_or_digit(runtime, slack):
    before = snapshot(runtime)
    for name in ("?!*", "...", "🚀🚀"):
        text = message_text(ack(slack, "/log", f"visite {name} proposition"))
        assert says(text, "log.error.invalid_account", word=name), text
        assert NOTHING_STORED in text
    assert snapshot(runtime) == before


def test_account_name_over_the_limit(runtime, slack):
    before = snapshot(runtime)
    text = message_text(ack(slack, "/log", "visite " + "A" * 130))
    assert says(text, "log.error.account_too_long", limit=120)
    assert NOTHING_STORED in text
    assert snapshot(runtime) == before


def test_markup_in_the_words_is_not_rendered(runtime, slack):
    """<!channel> typed as a name must not ping the channel when echoed back.

    Slack escapes &, < and > in a command's text: the words arrive as ``&lt;!channel&gt;``."""
    body = ack(slack, "/log", "visite &lt;!channel&gt; Corp")
    mrkdwn = [body["text"]] + [b["text"]["text"] for b in body["blocks"] if b.get("text")]
    assert all("<!channel>" not in t and "&lt;!channel&gt; Corp" in t for t in mrkdwn), mrkdwn
    # button labels are plain_text: Slack never reads markup there, the name shows as typed
    assert button(body, "log.create_account:")["text"] == {"type": "plain_text", "text": translate("fr", "choice.create_account", name="<!channel> Corp"), "emoji": True}
    assert snapshot(runtime)["action"] == []


def test_ampersand_escaped_by_slack_is_read_back(runtime, slack):
    account_id = add_account(runtime, "AT&T")
    body = ack(slack, "/log", "appel AT&amp;T")
    assert says(message_text(body), "log.saved", action_type=word("action_type.call"), account="AT&amp;T")  # mrkdwn shows AT&T
    [action] = rows(runtime, "action")
    assert action["account_id"] == account_id


# ----------------------------------------------------------------------------- letters of any script


def test_emoji_beside_letters_is_a_name(runtime, slack, clicks):
    """Decision from the grammar: an emoji is kept in a name that also has letters."""
    before = snapshot(runtime)
    body = ack(slack, "/log", "visite 🚀 Rocket proposition")
    assert says(message_text(body), "log.ask_create", typed="🚀 Rocket")
    assert snapshot(runtime) == before  # asking is not storing

    answer = clicks.click(button(body, "log.create_account:"))
    assert says(message_text(answer), "log.saved", action_type=word("action_type.visit"), account="🚀 Rocket")
    [account] = rows(runtime, "account")
    assert account["name"] == "🚀 Rocket"
    [action] = rows(runtime, "action")
    assert (action["action_type"], action["result"], action["account_id"]) == ("visit", "proposal", account["id"])


def test_arabic_account_is_asked_then_created(runtime, slack, clicks):
    body = ack(slack, "/log", "visite شركة الأمل")
    assert says(message_text(body), "log.ask_create", typed="شركة الأمل")
    assert rows(runtime, "account") == []
    clicks.click(button(body, "log.create_account:"))
    assert [a["name"] for a in rows(runtime, "account")] == ["شركة الأمل"]
    assert len(rows(runtime, "action")) == 1


def test_hebrew_account_and_note_are_stored_as_typed(runtime, slack):
    account_id = add_account(runtime, "חברת אור")
    body = ack(slack, "/log", "appel חברת אור -- שיחה טובה")
    text = message_text(body)
    assert says(text, "log.saved", action_type=word("action_type.call"), account="חברת אור") and "שיחה טובה" in text
    [action] = rows(runtime, "action")
    assert (action["account_id"], action["action_type"], action["note"]) == (account_id, "call", "שיחה טובה")


def test_control_characters_never_crash(runtime, slack, gamma):
    body = ack(slack, "/log", "visite\u0000 Gamma\u0007 proposition\n")
    text = message_text(body)
    assert not says(text, "error.internal")
    [action] = rows(runtime, "action")
    assert (action["account_id"], action["result"]) == (gamma, "proposal")


def test_contact_name_over_the_limit(runtime, slack, gamma):
    before = snapshot(runtime)
    text = message_text(ack(slack, "/log", "visite Gamma avec " + "X" * 250))
    assert says(text, "log.error.contact_too_long", limit=120)
    assert NOTHING_STORED in text
    assert snapshot(runtime) == before
