"""Hypothesis strategies for hostile input: command words, button values, form fields, payloads.

``CARNET_FUZZ_EXAMPLES`` sets how many examples each fuzz test tries (small by default, so the
suite stays fast; raise it for a longer hunt: ``CARNET_FUZZ_EXAMPLES=2000 pytest tests/fuzz``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.actions import _ROUTES
from bot.conversation import FORM_IDS

EXAMPLES = int(os.environ.get("CARNET_FUZZ_EXAMPLES", "30"))
# Function-scoped fixtures (one database, one served app) are shared by a test's examples on purpose.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text as members (or attackers) type it; no NUL and no lone surrogates, which the door refuses.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
WORDS = [
    "visite", "call", "Gamma", "Beta", "proposition", "gagné", "perdu", "prix", "hier", "demain", "10h", "--",
    "avec", "with", "(acheteur)", "12k", "12 000 €", "50%", "close", "15/12", "négociation", "new", "team",
    "équipe", "@U1", "@U2|bob", "#C1", "settings", "channel", "stalled", "0", "9999999999999999999999", "²",
    "<!channel>", "<@U1>", "<http://x|y>", "*gras*", '"', "«", "»", "'", ":", "::", "id:1", "new:x", "+", "-",
    "rate", "USD", "probability", "currency", "amounts", "hide", "digest", "review", "objectif", "goal",
]
COMMAND_TEXT = st.one_of(TEXT, st.lists(st.one_of(st.sampled_from(WORDS), TEXT), max_size=8).map(" ".join))
COMMANDS = st.sampled_from(["log", "opp", "pipeline", "plan", "relance", "carnet", "message"])

ARG = st.one_of(
    st.integers(min_value=0, max_value=12).map(str), st.sampled_from(["", "-1", "²", "١", "9" * 25, "1e3", " 1", "x"]), TEXT,
)
CHOICE = st.one_of(
    st.builds(lambda route, args: ":".join([route, *args]), st.sampled_from(sorted(_ROUTES)), st.lists(ARG, max_size=4)),
    TEXT,
)

JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
FIELD_NAMES = ["action_type", "account", "result", "contact", "contact_function", "date", "note", "name", "amount",
               "probability", "stage", "close_date", "currency", "new_date", "new_time", "x"]
FIELD_VALUE = st.one_of(st.none(), ARG, st.sampled_from(["visit", "id:1", "id:99", "new:Zed", "2026-11-20", "2999-01-01",
                                                          "proposal", "12k", "50", "10:00"]), st.lists(TEXT, max_size=2))
FORM = st.fixed_dictionaries({
    "form_id": st.sampled_from(sorted(FORM_IDS)),
    "values": st.dictionaries(st.sampled_from(FIELD_NAMES), FIELD_VALUE, max_size=8),
    "metadata": st.one_of(st.none(), JSON, st.fixed_dictionaries({}, optional={"plan": JSON_SCALAR | ARG, "opportunity": JSON_SCALAR | ARG})),
})
