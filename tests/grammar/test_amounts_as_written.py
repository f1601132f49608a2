"""Amounts as people write them (issue 13 §3): numbers in words, cents after the currency,
currency names, hedges — in French and English — and what Carnet refuses rather than guess."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar.amounts import (
    CURRENCIES,
    MAX_AMOUNT,
    AmountError,
    Money,
    parse_amount,
    spell_out_amounts,
)
from bot.grammar.tokens import split
from tests.grammar.test_amounts import money


IN_WORDS = [
    # French
    ("dix mille euros", money("10000.00", "EUR")),
    ("Dix mille euros", money("10000.00", "EUR")),  # a phone's capital opens the field
    ("dix-mille euros", money("10000.00", "EUR")),  # 1990 spelling
    ("quinze k€", money("15000.00", "EUR")),
    ("douze k", money("12000.00")),
    ("deux cent cinquante mille", money("250000.00")),
    ("deux cent cinquante mille euros", money("250000.00", "EUR")),
    ("deux-cent-cinquante-mille €", money("250000.00", "EUR")),
    ("vingt et un mille euros", money("21000.00", "EUR")),
    ("quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf euros", money("99999.00", "EUR")),
    ("quatre vingt mille euros", money("80000.00", "EUR")),
    ("soixante-dix mille €", money("70000.00", "EUR")),
    ("septante mille CHF", money("70000.00", "CHF")),
    ("douze cents euros", money("1200.00", "EUR")),
    ("mille euros", money("1000.00", "EUR")),
    ("cent euros", money("100.00", "EUR")),
    ("un million d'euros", money("1000000.00", "EUR")),
    ("trois millions de dollars", money("3000000.00", "USD")),
    ("un million deux cent cinquante mille euros", money("1250000.00", "EUR")),
    ("€ dix mille", money("10000.00", "EUR")),
    ("1,5 million", money("1500000.00")),  # digits and a word: read as before
    ("15 mille euros", money("15000.00", "EUR")),
    # English
    ("twelve thousand dollars", money("12000.00", "USD")),
    ("Twelve thousand dollars", money("12000.00", "USD")),
    ("a hundred k", money("100000.00")),
    ("A hundred k", money("100000.00")),
    ("a thousand dollars", money("1000.00", "USD")),
    ("one hundred and fifty thousand dollars", money("150000.00", "USD")),
    ("two hundred fifty thousand", money("250000.00")),
    ("twelve hundred dollars", money("1200.00", "USD")),
    ("twelve hundred thousand dollars", money("1200000.00", "USD")),
    ("forty-five thousand euros", money("45000.00", "EUR")),
    ("$ twelve thousand", money("12000.00", "USD")),
    ("fifty k$", money("50000.00", "USD")),
]

CENTS = [
    ("20 dollars 43 cents", money("20.43", "USD")),
    ("1 USD 23 cents", money("1.23", "USD")),
    ("12 euros 50", money("12.50", "EUR")),
    ("12 € 50 centimes", money("12.50", "EUR")),
    ("12€50", money("12.50", "EUR")),
    ("12 euros et 50 centimes", money("12.50", "EUR")),
    ("20 dollars and 43 cents", money("20.43", "USD")),
    ("$20 and 43 cents", money("20.43", "USD")),
    ("2 USD 5 cents", money("2.05", "USD")),
    ("5 pounds 20 pence", money("5.20", "GBP")),
    ("1 200 € 50 centimes", money("1200.50", "EUR")),
    ("12 CHF 50 cts", money("12.50", "CHF")),
    # in words
    ("douze euros cinquante", money("12.50", "EUR")),
    ("douze euros cinquante centimes", money("12.50", "EUR")),
    ("douze euros et cinquante centimes", money("12.50", "EUR")),
    ("twenty dollars forty three cents", money("20.43", "USD")),
    ("twenty dollars and forty-three cents", money("20.43", "USD")),
    ("vingt dollars quarante-trois cents", money("20.43", "USD")),  # as in Quebec
    ("2 dollars six cents", money("2.06", "USD")),  # French reads 600: only English fits
]

CURRENCY_NAMES = [
    # CHF
    ("12 000 CHF", money("12000.00", "CHF")),
    ("12 000 francs suisses", money("12000.00", "CHF")),
    ("1 franc suisse", money("1.00", "CHF")),
    ("5k swiss francs", money("5000.00", "CHF")),
    ("dix mille francs suisses", money("10000.00", "CHF")),
    ("five thousand swiss francs", money("5000.00", "CHF")),
    # GBP
    ("£300", money("300.00", "GBP")),
    ("300 livres sterling", money("300.00", "GBP")),
    ("1 livre sterling", money("1.00", "GBP")),
    ("300 pounds", money("300.00", "GBP")),
    ("1 pound", money("1.00", "GBP")),
    ("ten thousand pounds", money("10000.00", "GBP")),
    ("cinq mille livres sterling", money("5000.00", "GBP")),
    # CAD
    ("C$ 900", money("900.00", "CAD")),
    ("900 dollars canadiens", money("900.00", "CAD")),
    ("1 dollar canadien", money("1.00", "CAD")),
    ("900 canadian dollars", money("900.00", "CAD")),
    ("3 millions de dollars canadiens", money("3000000.00", "CAD")),
    ("vingt mille dollars canadiens", money("20000.00", "CAD")),
    # JPY
    ("¥150000", money("150000.00", "JPY")),
    ("150 000 yens", money("150000.00", "JPY")),
    ("1 yen", money("1.00", "JPY")),
    ("a million yen", money("1000000.00", "JPY")),
    ("cent mille yens", money("100000.00", "JPY")),
    # CNY
    ("5000 yuan", money("5000.00", "CNY")),
    ("5000 yuans", money("5000.00", "CNY")),
    ("RMB 5000", money("5000.00", "CNY")),
    ("5000 renminbi", money("5000.00", "CNY")),
    ("5 000 CNY", money("5000.00", "CNY")),
    ("ten thousand yuan", money("10000.00", "CNY")),
    ("cinquante mille yuans", money("50000.00", "CNY")),
    # INR
    ("₹2,000", money("2000.00", "INR")),
    ("Rs 20", money("20.00", "INR")),
    ("Rs. 2,000", money("2000.00", "INR")),
    ("20 rupees", money("20.00", "INR")),
    ("1 rupee", money("1.00", "INR")),
    ("20 roupies", money("20.00", "INR")),
    ("1 roupie", money("1.00", "INR")),
    ("fifty thousand rupees", money("50000.00", "INR")),
    ("deux cent mille roupies", money("200000.00", "INR")),
    # EUR and USD, and "$" alone is the US dollar
    ("3 millions d'euros", money("3000000.00", "EUR")),
    ("1 euro", money("1.00", "EUR")),
    ("1 dollar", money("1.00", "USD")),
    ("$500", money("500.00", "USD")),
    ("500 dollars US", money("500.00", "USD")),
    ("500 US dollars", money("500.00", "USD")),
    ("500 dollars américains", money("500.00", "USD")),
]

HEDGES = [
    ("environ 12k", money("12000.00")),
    ("about $8k", money("8000.00", "USD")),
    ("~12k", money("12000.00")),
    ("~ 12k", money("12000.00")),
    ("≈ 12 k€", money("12000.00", "EUR")),
    ("à peu près 10 000 €", money("10000.00", "EUR")),
    ("A peu pres 10 000 €", money("10000.00", "EUR")),
    ("around 5k", money("5000.00")),
    ("roughly 5k", money("5000.00")),
    ("approximately 5k USD", money("5000.00", "USD")),
    ("approx. 5k", money("5000.00")),
    ("env. 5k", money("5000.00")),
    ("autour de 5k", money("5000.00")),
    ("aux alentours de 5 000 €", money("5000.00", "EUR")),
    ("dans les 10k", money("10000.00")),
    ("près de 10k", money("10000.00")),
    ("12k environ", money("12000.00")),
    ("10 000 € environ", money("10000.00", "EUR")),
    ("5k or so", money("5000.00")),
    ("environ dix mille euros", money("10000.00", "EUR")),
    ("about twelve thousand", money("12000.00")),
    ("à peu près quinze mille", money("15000.00")),
]


@pytest.mark.parametrize(
    ("text", "expected"), IN_WORDS + CENTS + CURRENCY_NAMES + HEDGES, ids=[t for t, _ in IN_WORDS + CENTS + CURRENCY_NAMES + HEDGES]
)
def test_amounts_as_written(text: str, expected: Money) -> None:
    found = parse_amount(text)
    assert found == expected
    assert isinstance(found, Money) and found.amount.as_tuple().exponent == -2


REFUSED = [
    # cents that are not cents
    ("12 euros 150", AmountError("not_amount", "12 euros 150")),
    ("12 euros 5", AmountError("not_amount", "12 euros 5")),
    ("12 € 150 centimes", AmountError("not_amount", "12 € 150 centimes")),
    ("12,5 € 50", AmountError("not_amount", "12,5 € 50")),
    ("12k€ 50", AmountError("not_amount", "12k€ 50")),
    ("12 € 50", AmountError("not_amount", "12 € 50")),  # "12 €, 50 %"?
    ("12 000 euros 30", AmountError("not_amount", "12 000 euros 30")),  # a forgotten "%"?
    ("douze mille euros cent cinquante", AmountError("not_amount", "douze mille euros cent cinquante")),
    # numbers in words followed by digits
    ("dix mille 3", AmountError("not_amount", "dix mille 3")),
    ("dix mille 500", AmountError("not_amount", "dix mille 500")),
    ("twelve thousand 3", AmountError("not_amount", "twelve thousand 3")),
    # signs and size keep their codes in words
    ("- dix mille euros", AmountError("negative_amount", "- dix mille euros")),
    ("environ -12k", AmountError("negative_amount", "environ -12k")),
    ("mille milliards d'euros", AmountError("absurd_amount", "mille milliards d'euros")),
    # names that several currencies share: Carnet asks for the code
    ("12 000 francs", AmountError("unknown_currency", "FRANCS")),
    ("1 franc", AmountError("unknown_currency", "FRANC")),
    ("12 000 couronnes", AmountError("unknown_currency", "COURONNES")),
    ("5000 pesos", AmountError("unknown_currency", "PESOS")),
    ("dix mille francs", AmountError("unknown_currency", "FRANCS")),
]


@pytest.mark.parametrize(("text", "expected"), REFUSED, ids=[t for t, _ in REFUSED])
def test_refused_rather_than_guessed(text: str, expected: AmountError) -> None:
    assert parse_amount(text) == expected


NOT_AMOUNTS = [
    # names, titles and ordinary words that hold numbers in words
    "Trois Suisses",
    "Un Deux Trois",
    "Mille Bornes",
    "Cent Pour Cent",
    "Les Quatre Saisons",
    "Trois Livres",  # a bookshop, not £3
    "les trois livres",  # a value below 10 before a currency word is no amount
    "trois",
    "mille",
    "Twelve Oaks",
    "un deux trois",
    "vingt vingt euros",
    "deux 500",  # not "2 500"
    "cent cent euros",
    "premier",
    "vingtième",
    "twentieth",
    "dix Mille euros",
    # numbers Carnet does not read in words
    "two billion dollars",  # 10^9 in English, 10^12 in French
    "deux billions d'euros",
    "deux virgule cinq millions",
    "two point five million",
    "43 cents",
]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_not_amounts_in_words(text: str) -> None:
    assert parse_amount(text) is None


SPELLED_OUT = [
    # (text, languages, expected)
    ('new Gamma "Contrat" dix mille euros 30%', ("fr", "en"), 'new Gamma "Contrat" 10000 euros 30%'),
    ("Gamma twelve thousand dollars", ("en", "fr"), "Gamma 12000 dollars"),
    ("Gamma twelve thousand dollars", ("fr",), "Gamma twelve thousand dollars"),  # not French
    ("Gamma dix mille euros", ("en",), "Gamma dix mille euros"),  # not English
    # quoted text and names stay as typed
    ('new Gamma "Un Deux Trois" dix mille euros', ("fr", "en"), 'new Gamma "Un Deux Trois" 10000 euros'),
    ("new Gamma “Un Deux Trois” quinze k€", ("fr", "en"), "new Gamma “Un Deux Trois” 15 k€"),
    ("« Mille et une nuits » mille euros", ("fr",), "« Mille et une nuits » 1000 euros"),
    ('"dix mille euros"', ("fr",), '"dix mille euros"'),
    ('Gamma "dix mille euros', ("fr",), 'Gamma "dix mille euros'),  # unclosed: untouched
    ("Trois Suisses dix mille euros", ("fr",), "Trois Suisses 10000 euros"),
    ("Gamma Trois Suisses 10k", ("fr",), "Gamma Trois Suisses 10k"),
    ("Gamma Trois Mille Sabords 50%", ("fr",), "Gamma Trois Mille Sabords 50%"),
    ("Les Trois Livres 50%", ("fr",), "Les Trois Livres 50%"),
    ("Cent Pour Cent 50%", ("fr",), "Cent Pour Cent 50%"),
    ("Seven Eleven 12k", ("en",), "Seven Eleven 12k"),
    # numbers that are not amounts: no currency, multiplier, nor a big number at the end
    ("vu trois clients", ("fr",), "vu trois clients"),
    ("close dans trois semaines", ("fr",), "close dans trois semaines"),
    ("Gamma deux cent cinquante mille clients", ("fr",), "Gamma deux cent cinquante mille clients"),
    ("gamma trois mille sabords 50%", ("fr",), "gamma trois mille sabords 50%"),
    # what makes a number an amount
    ("Gamma deux cent cinquante mille", ("fr",), "Gamma 250000"),
    ("Gamma deux cent cinquante mille 30%", ("fr",), "Gamma 250000 30%"),
    ("Gamma (dix mille euros)", ("fr",), "Gamma (10000 euros)"),
    ("Gamma a hundred k", ("en",), "Gamma 100 k"),
    ("douze euros cinquante", ("fr",), "12 euros 50"),
    ("douze euros et cinquante centimes", ("fr",), "12 euros et 50 centimes"),
    ("dix mille 3", ("fr",), "10000 3"),
    # digits and words the amount reader knows are left as typed
    ("Gamma 1,5 million", ("fr", "en"), "Gamma 1,5 million"),
    ("15 mille euros", ("fr",), "15 mille euros"),
    ("20 dollars 43 cents", ("fr", "en"), "20 dollars 43 cents"),
    ("deux 500 euros", ("fr",), "deux 500 euros"),
]


@pytest.mark.parametrize(("text", "languages", "expected"), SPELLED_OUT, ids=[t for t, _, _ in SPELLED_OUT])
def test_spell_out_amounts(text: str, languages: tuple[str, ...], expected: str) -> None:
    assert spell_out_amounts(text, languages) == expected


NUMBER_WORDS = (
    "un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente cinquante "
    "soixante septante cent cents mille million millions milliard et quatre-vingt dix-mille "
    "one two three twelve twenty fifty hundred thousand million billion and a an"
).split()
AMOUNT_WORDS = (
    "euros euro € $ £ ¥ ₹ k k€ keur M€ usd CHF dollars livres sterling francs suisses yen yuan rmb "
    "roupies rupees Rs cents centimes environ about ~ around HT 12 000 1,5 50 150 3 -"
).split()
WORD = st.sampled_from(NUMBER_WORDS + AMOUNT_WORDS).map(lambda w: w.title() if len(w) > 3 and w[0] == "t" else w)


@settings(max_examples=400, deadline=None)
@given(st.lists(WORD, max_size=8).map(" ".join))
def test_amounts_in_words_never_raise_and_stay_in_bounds(text: str) -> None:
    found = parse_amount(text)
    assert found is None or isinstance(found, Money | AmountError)
    if isinstance(found, Money):
        assert found.amount.is_finite() and Decimal(0) <= found.amount < MAX_AMOUNT
        assert found.currency is None or found.currency in CURRENCIES


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_never_raises(text: str) -> None:
    found = parse_amount(text)
    assert found is None or isinstance(found, Money | AmountError)
    if isinstance(found, Money):
        assert found.amount.is_finite() and Decimal(0) <= found.amount < MAX_AMOUNT
    assert isinstance(spell_out_amounts(text), str)


NAME_WORDS = ["Trois", "Mille", "Cent", "Deux", "Vingt", "Twelve", "Thousand", "Hundred", "Seven", "Suisses", "Oaks"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(NUMBER_WORDS + AMOUNT_WORDS + NAME_WORDS),
            st.lists(st.sampled_from(NUMBER_WORDS + NAME_WORDS), min_size=1, max_size=3).map(
                lambda words: '"' + " ".join(words) + '"'
            ),
        ),
        max_size=10,
    ).map(" ".join)
)
def test_spelling_out_never_touches_quotes_nor_names(text: str) -> None:
    """Quoted text, and words written like a name (but the first), come out as typed."""
    out = spell_out_amounts(text, ("fr", "en"))
    before, after = split(text, notes=False), split(out, notes=False)
    assert [t.text for t in before.tokens if t.quoted] == [t.text for t in after.tokens if t.quoted]
    named = [w for w in text.split()[1:] if re.fullmatch(r"[A-Z][a-z]+", w)]
    remaining = iter(out.split())
    assert all(any(w == kept for kept in remaining) for w in named)  # in order, none lost
