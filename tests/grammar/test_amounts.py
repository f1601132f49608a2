"""Amounts as people type them, in French and English habits, and text that is not one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.grammar.amounts import (
    CURRENCIES,
    MAX_AMOUNT,
    AmountError,
    Money,
    looks_like_amount,
    parse_amount,
)

NNBSP = "\u202f"  # narrow no-break space: French keyboards, Excel, phones
NBSP = "\u00a0"


def money(amount: str, currency: str | None = None) -> Money:
    return Money(Decimal(amount), currency)


AMOUNTS = [
    # the examples
    ("12k", money("12000.00")),
    ("12K€", money("12000.00", "EUR")),
    ("12 k€", money("12000.00", "EUR")),
    ("12 000 €", money("12000.00", "EUR")),
    ("12 000,50 €", money("12000.50", "EUR")),
    ("12.000,50", money("12000.50")),
    ("12,000.50", money("12000.50")),
    ("$8,500", money("8500.00", "USD")),
    ("8 500 $", money("8500.00", "USD")),
    ("€12k", money("12000.00", "EUR")),
    ("1.5M", money("1500000.00")),
    ("1,5 M€", money("1500000.00", "EUR")),
    ("2m", money("2000000.00")),
    ("EUR 12000", money("12000.00", "EUR")),
    ("12000 EUR", money("12000.00", "EUR")),
    ("12000 euros", money("12000.00", "EUR")),
    ("500 dollars", money("500.00", "USD")),
    ("£300", money("300.00", "GBP")),
    (f"12{NNBSP}000", money("12000.00")),
    (f"12{NBSP}000{NBSP}€", money("12000.00", "EUR")),
    (f"1{NNBSP}234{NNBSP}567,89{NNBSP}€", money("1234567.89", "EUR")),
    # separators: thousands or decimals
    ("12.000", money("12000.00")),
    ("12,000", money("12000.00")),
    ("8,500", money("8500.00")),
    ("12.5k", money("12500.00")),
    ("12,5k", money("12500.00")),
    ("12,50", money("12.50")),
    ("12.5", money("12.50")),
    ("0,500", money("0.50")),
    ("1234,567", money("1234.57")),
    ("12 000,500", money("12000.50")),
    ("1.000.000", money("1000000.00")),
    ("1,000,000", money("1000000.00")),
    ("12.345,678", money("12345.68")),
    ("12'000 CHF", money("12000.00", "CHF")),
    ("12.3456", money("12.35")),
    # multipliers and currencies, any case, glued or not
    ("12 keur", money("12000.00", "EUR")),
    ("12kEUR", money("12000.00", "EUR")),
    ("2 md€", money("2000000000.00", "EUR")),
    ("1,5 million", money("1500000.00")),
    ("12 mille euros", money("12000.00", "EUR")),
    ("3 millions d'euros", money("3000000.00", "EUR")),
    ("2 mio CHF", money("2000000.00", "CHF")),
    ("1.2bn", money("1200000000.00")),
    ("3M$", money("3000000.00", "USD")),
    ("US$ 5k", money("5000.00", "USD")),
    ("C$ 900", money("900.00", "CAD")),
    ("A$1,200", money("1200.00", "AUD")),
    ("¥150000", money("150000.00", "JPY")),
    ("15 000 SEK", money("15000.00", "SEK")),
    ("nok 800", money("800.00", "NOK")),
    ("4500 DKK", money("4500.00", "DKK")),
    ("3 000 zł", money("3000.00", "PLN")),
    ("3000 PLN", money("3000.00", "PLN")),
    ("€ 12 000 EUR", money("12000.00", "EUR")),
    ("12k€ HT", money("12000.00", "EUR")),
    ("+12k", money("12000.00")),
    ("12k.", money("12000.00")),
    ("0", money("0.00")),
    ("-0", money("0.00")),
    ("999 999 999 999,99", money("999999999999.99")),
    ("12", money("12.00")),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS, ids=[t for t, _ in AMOUNTS])
def test_amounts(text: str, expected: Money) -> None:
    found = parse_amount(text)
    assert found == expected
    assert isinstance(found, Money) and found.amount.as_tuple().exponent == -2


ERRORS = [
    ("12000 XYZ", AmountError("unknown_currency", "XYZ")),
    ("12k BTC", AmountError("unknown_currency", "BTC")),
    ("12 000 btc", AmountError("unknown_currency", "BTC")),
    ("-12k", AmountError("negative_amount", "-12k")),
    ("−500 €", AmountError("negative_amount", "−500 €")),
    ("-€5", AmountError("negative_amount", "-€5")),
    ("€-5", AmountError("negative_amount", "€-5")),
    ("1 000 000 000 000", AmountError("absurd_amount", "1 000 000 000 000")),
    ("1000000000000", AmountError("absurd_amount", "1000000000000")),
    ("2000md", AmountError("absurd_amount", "2000md")),
    ("99999999999999999999999999999999", AmountError("absurd_amount", "9" * 32)),
    ("-2000md", AmountError("negative_amount", "-2000md")),
    ("12..5", AmountError("not_amount", "12..5")),
    ("1,2,3", AmountError("not_amount", "1,2,3")),
    ("1.2.3,4.5", AmountError("not_amount", "1.2.3,4.5")),
    ("12kk", AmountError("not_amount", "12kk")),
    ("€€12", AmountError("not_amount", "€€12")),
    ("1 2", AmountError("not_amount", "1 2")),
    ("1 00", AmountError("not_amount", "1 00")),
    ("€12 USD", AmountError("not_amount", "€12 USD")),
    ("1,00,000", AmountError("not_amount", "1,00,000")),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS, ids=[t for t, _ in ERRORS])
def test_amount_errors(text: str, expected: AmountError) -> None:
    assert parse_amount(text) == expected
    assert looks_like_amount(text)


NOT_AMOUNTS = [
    "",
    "   ",
    "Gamma",
    "negotiation",
    "50%",
    "30 %",
    "15/12",
    "2026-12-15",
    "10h",
    "14h30",
    "15 dec",
    "3 ans",
    "12 mars",
    "12 par",
    "$",
    "k€",
    "€",
    "1e12",
    "SAS 12k",
    "12 USDT",
    "12 millions de roubles",
    "x" * 200,
    "12" * 40,
]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_not_amounts(text: str) -> None:
    assert parse_amount(text) is None
    assert not looks_like_amount(text)


def test_currency_table_has_the_required_codes() -> None:
    required = {"EUR", "USD", "GBP", "CHF", "CAD", "JPY", "SEK", "NOK", "DKK", "PLN", "AUD"}
    assert required <= set(CURRENCIES)
    assert CURRENCIES["EUR"] == "€" and CURRENCIES["USD"] == "$" and CURRENCIES["GBP"] == "£"


@pytest.mark.parametrize("code", sorted(CURRENCIES))
def test_every_iso_code_reads_before_and_after(code: str) -> None:
    assert parse_amount(f"1200 {code}") == money("1200.00", code)
    assert parse_amount(f"{code.lower()} 1200") == money("1200.00", code)


def test_limit_is_ten_to_the_twelve() -> None:
    assert MAX_AMOUNT == Decimal(10) ** 12
    assert parse_amount("999999999999.99") == money("999999999999.99")
    # Rounded to the cent it reaches 10^12.
    assert parse_amount("999999999999.999") == AmountError("absurd_amount", "999999999999.999")
    assert parse_amount("1000 md") == AmountError("absurd_amount", "1000 md")


@pytest.mark.parametrize("locale", ["fr_FR", "en_US", "en_GB", "fr_CH", "de_CH"])
def test_babel_renderings_read_back(locale: str) -> None:
    """What a reply or a form shows (Babel's format) reads back as the same amount.

    Not for en_CA or en_AU, where Babel writes the local dollar as a bare "$" (USD here).
    """
    value = Decimal("12000.50")
    for code in CURRENCIES:
        found = parse_amount(format_currency(value, code, locale=locale))
        assert isinstance(found, Money) and found.currency == code, code
        # Currencies without cents (yen, won) are shown rounded.
        assert found.amount in (value, Decimal("12000.00"), Decimal("12001.00")), code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_amount_never_raises(text: str) -> None:
    found = parse_amount(text)
    assert found is None or isinstance(found, Money | AmountError)
    if isinstance(found, Money):
        assert Decimal(0) <= found.amount < MAX_AMOUNT
        assert found.currency is None or found.currency in CURRENCIES


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="0123456789 .,'-+kKmM€$£¥\u202f\u00a0eurUSDHT", max_size=20),
)
def test_amount_shaped_text_never_raises(text: str) -> None:
    found = parse_amount(text)
    assert found is None or isinstance(found, Money | AmountError)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_french_and_english_renderings_read_back(value: Decimal) -> None:
    whole, _, cents = f"{value:.2f}".partition(".")
    groups = f"{int(whole):,}"
    english = f"{groups}.{cents}"
    french = groups.replace(",", NNBSP) + "," + cents + NNBSP + "€"
    assert parse_amount(english) == Money(value, None)
    assert parse_amount(french) == Money(value, "EUR")
