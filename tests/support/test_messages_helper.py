"""``says`` (tests/support/messages.py) must fail when the reply is wrong: another message, another
value, another language, or nothing at all."""

from __future__ import annotations

import re

from bot.core import Reply, Text
from bot.render.blocks import reply_blocks
from bot.render.text import render_reply
from tests.handlers.conftest import message_text
from tests.support.messages import says, word

SAVED = Reply(locale="fr", lines=[Text("log.saved", {"action_type": "visite", "account": "Gamma <SA>"})])


def test_a_slack_reply_says_its_message_with_its_values():
    shown = message_text({"text": "", "blocks": reply_blocks(SAVED)})
    assert says(shown, "log.saved", action_type=word("action_type.visit"), account="Gamma &lt;SA&gt;")
    assert says(shown, "log.saved")  # blanks not given match any text
    assert not says(shown, "log.saved", account="Gamma")  # another value
    assert not says(shown, "log.undone")  # another message
    assert not says(shown, "log.saved", "en")  # another language
    assert not says("", "log.saved")


def test_the_console_prints_the_sentence_without_mrkdwn():
    shown = render_reply(SAVED)
    assert says(shown, "log.saved", console=True, action_type="visite", account="Gamma <SA>")
    assert not says(shown, "log.saved", action_type="visite", account="Gamma <SA>")  # the Slack form has * and :emoji:


def test_counted_messages_and_pattern_values():
    shown = "Comptes or sous-visités : Acme et 3 autres."
    assert says(shown, "review.gold_more", accounts="Acme", count=3)
    assert says(shown, "review.gold_more", accounts="Acme")  # any plural form
    assert not says(shown, "review.gold_more", accounts="Acme", count=1)
    assert says(shown, "review.gold_more", accounts=re.compile("A.me"))
    assert not says(shown, "review.gold_more", accounts=re.compile("Beta"))
