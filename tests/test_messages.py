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


# ---------------------------------------------------------------------------- words (issue 14)

FORM_SUFFIXES = ("zero", "one", "two", "few", "many", "other", "feminine", "masculine")


@pytest.mark.parametrize("catalogue", [fr.MESSAGES, en.MESSAGES], ids=["fr", "en"])
def test_no_message_writes_a_plural_or_agreement_in_brackets(catalogue):
    """"1 affaire(s)", "5 commercial(aux)", "notée(e)": the catalogue's plural forms say it instead."""
    bracketed = re.compile(r"\w\((?:s|e|es|x|aux|ies)\)")
    assert {key: text for key, text in catalogue.items() if bracketed.search(text)} == {}


@pytest.mark.parametrize("catalogue", [fr.MESSAGES, en.MESSAGES], ids=["fr", "en"])
def test_every_counted_or_gendered_message_has_its_other_form(catalogue):
    """``key.one`` without ``key.other`` would print the key itself for every other count."""
    stems = {key.rsplit(".", 1)[0] for key in catalogue if key.rsplit(".", 1)[-1] in ("one", "feminine", "masculine")}
    assert sorted(stem for stem in stems if f"{stem}.other" not in catalogue) == []


def test_sentences_with_several_counts_take_counted_words():
    from bot.messages import counted

    assert translate("fr", "digest.changes", actions_delta="+1", won_delta="+0 €",
                     won_deals=counted("fr", 1, "deals_won"), lost_deals=counted("fr", 3, "deals_lost")).endswith(
        "1 affaire gagnée, 3 perdues cette semaine")
    assert translate("en", "digest.changes", actions_delta="+1", won_delta="+€0",
                     won_deals=counted("en", 2, "deals_won"), lost_deals=counted("en", 1, "deals_lost")).endswith(
        "2 deals won, 1 lost this week")
    assert translate("fr", "pipeline.won", amount="5 €", deals=counted("fr", 1000, "deals")) == \
        ":trophy: Gagné cette période : 5 € (1\u202f000 affaires)"
    assert translate("en", "home.progress", start="a", end="b", won="c", weighted="d",
                     actions=counted("en", 1, "actions_logged")).endswith("; 1 action logged.")


def test_participles_agree_with_the_action_types_gender():
    from bot.messages import gender

    snoozed = {code: translate("fr", "plan.snoozed", action_type=code, account="A", when="demain",
                               gender=gender("fr", "action_type", code))
               for code in ("follow_up", "visit", "call")}
    assert snoozed == {"follow_up": ":zzz: follow_up chez *A* repoussée à demain",
                       "visit": ":zzz: visit chez *A* repoussée à demain",
                       "call": ":zzz: call chez *A* repoussé à demain"}
    assert gender("en", "action_type", "visit") == "other" and gender("fr", "action_type", "nope") == "other"
    # Every action type has a gender in both catalogues.
    types = {key.split(".", 1)[1] for key in fr.MESSAGES if key.startswith("action_type.")}
    assert {code for code in types if f"gender.action_type.{code}" not in fr.MESSAGES} == set()


def test_the_deal_word_decides_the_agreement_of_won():
    assert translate("fr", "opp.won", title="Contrat", account="Gamma", amount="1 €") == \
        ":trophy: Bravo ! L'affaire Contrat chez *Gamma* est gagnée (1 €)."
