"""The message catalogues: one sentence per key in each language, the same blanks in both, and
every Slack emoji code readable at the console."""

from __future__ import annotations

import re
import string

import pytest

from bot.core import Text
from bot.messages import en, fr, normalize_locale, translate
from bot.render.text import CONSOLE_EMOJI, plain

EMOJI_CODE = re.compile(r":[a-z][a-z0-9_+\-]*:")


def blanks(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_french_and_english_have_the_same_keys():
    assert sorted(set(fr.MESSAGES) - set(en.MESSAGES)) == []
    assert sorted(set(en.MESSAGES) - set(fr.MESSAGES)) == []


def test_each_sentence_has_the_same_blanks_in_both_languages():
    differing = {key: (blanks(fr.MESSAGES[key]), blanks(en.MESSAGES[key])) for key in fr.MESSAGES
                 if key in en.MESSAGES and blanks(fr.MESSAGES[key]) != blanks(en.MESSAGES[key])}
    assert differing == {}


@pytest.mark.parametrize("catalogue", [fr.MESSAGES, en.MESSAGES], ids=["fr", "en"])
def test_every_emoji_code_has_a_console_symbol(catalogue):
    """The console drops emoji codes it does not know, which would leave a gap in the sentence."""
    unknown = {code for template in catalogue.values() for code in EMOJI_CODE.findall(template)} - set(CONSOLE_EMOJI)
    assert unknown == set()
    assert plain("fr", Text("digest.preparing", {"count": 2})).startswith("⏳ Je prépare")


def test_slack_locales_map_to_a_catalogue_and_missing_keys_fall_back():
    assert (normalize_locale("fr-FR"), normalize_locale("en-GB"), normalize_locale("de-DE"), normalize_locale(None)) == (
        "fr", "en", "en", "fr"
    )
    assert translate("fr", "no.such.key") == "no.such.key"
