"""Property tests: any reply — lines of any length with mrkdwn entities, emoji, ``&``, ``<@U1>``,
lists, items and choices — renders to valid Block Kit within Slack's limits, and every line,
item and choice is shown or counted in an "… and N more"."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Choice, Item, Reply, Text
from bot.render.mrkdwn import atoms, markers_after, split, truncate
from tests.render.payloads import check_message

WORDS = st.sampled_from(["Gamma", "Industries", "&", "<@U1>", ":tada:", "12 000 €", "A&B", "déjà", "🎉", "x" * 40, "—", "::"])
SEGMENT = st.one_of(
    WORDS,
    WORDS.map(lambda w: f"*{w.strip() or 'x'}*"),
    WORDS.map(lambda w: f"_{w.strip() or 'x'}_"),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).map(lambda t: t.replace("*", "").replace("_", "").replace("~", "")),
)
LINE_TEXT = st.lists(SEGMENT, min_size=1, max_size=60).map(" ".join) | st.lists(SEGMENT, min_size=250, max_size=400).map(" ".join)
MRKDWN_WORDS = st.sampled_from(["*Gamma*", "&amp;", "<@U1>", "<https://example.com/a?b=1&amp;c=2|le devis>", ":tada:",
                                "_après_", "mot", "12\u202f000 €", "~barré~", "snake_case"])
MRKDWN = st.lists(MRKDWN_WORDS, min_size=1, max_size=900).map(" ".join)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    lines=st.lists(st.tuples(LINE_TEXT, st.sampled_from([None, None, "reps", "wins", "risks"])), min_size=1, max_size=80),
    items=st.integers(min_value=0, max_value=40),
    choices=st.integers(min_value=0, max_value=40),
    locale=st.sampled_from(["fr", "en"]),
    view=st.booleans(),
)
def test_any_reply_renders_valid_and_accounts_for_every_line(lines, items, choices, locale, view):
    reply = Reply(
        locale,
        lines=[Text("plain", {"text": text}, group) for text, group in lines],
        items=[Item(Text("plain", {"text": f"Visite {i} & <@U1>"}), [Choice(Text("choice.done"), f"plan.done:{i}")]) for i in range(items)],
        choices=[Choice(Text("plain", {"text": f"Choix {i}"}), f"x:{i}") for i in range(choices)],
    )
    check_message(reply, view=view)


@settings(max_examples=150, deadline=None)
@given(text=MRKDWN, limit=st.integers(min_value=100, max_value=3000))
def test_a_cut_never_falls_inside_an_entity_and_keeps_formatting_balanced(text, limit):
    pieces = split(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert re.sub(r"[\s*_~]", "", "".join(pieces)) == re.sub(r"[\s*_~]", "", text)  # nothing lost
    for piece in pieces:
        assert markers_after([], atoms(piece)) == []
        assert piece.count("<") == piece.count(">")
        assert not re.search(r"&[A-Za-z#0-9]*$", piece)
    cut = truncate(text, min(limit, 300))
    assert len(cut) <= min(limit, 300)
    assert cut == text or cut.endswith("…")
    assert markers_after([], atoms(cut.rstrip("…"))) == [] and cut.count("<") == cut.count(">")
