"""Amounts of money as people type them: ``12k``, ``12 000 €``, ``12.000,50``, ``$8,500``.

``parse_amount`` reads one token or a short phrase and answers a :class:`Money`, an
:class:`AmountError` (it is an amount, but a wrong one), or ``None`` (not an amount at
all: "Gamma", "50%", "15/12", "10h").

How a number is read (decisions for the ambiguous cases):

- Blanks are thousands separators: ordinary, no-break (U+00A0), narrow no-break (U+202F,
  what French keyboards and Excel produce), thin and figure spaces; so is the Swiss
  apostrophe (``12'000``). Grouped digits must be grouped by three: ``12 000`` yes,
  ``1 2`` is ``not_amount``.
- When both ``.`` and ``,`` appear, the last one is the decimal mark and the other groups
  thousands: ``12.000,50`` and ``12,000.50`` are both 12000.50.
- A single kind of mark that appears twice or more groups thousands: ``1.000.000``.
- A single mark that appears once is a decimal mark, except when it is followed by exactly
  three digits, preceded by one to three digits (not a lone ``0``), with no ``k``/``M``
  multiplier and no blank grouping: ``12.000`` = ``12,000`` = 12000 and ``8,500`` = 8500,
  but ``12,50`` = 12.50, ``12.5k`` = 12500, ``1,5 M€`` = 1500000, ``0,125`` = 0.125,
  ``12 000,500`` = 12000.50 (blanks already group, so the mark is decimal).
- Multipliers: ``k`` (thousand), ``m``/``mn``/``mio``/``million(s)`` (million),
  ``md``/``mds``/``mrd``/``milliard(s)``/``bn`` (10^9), ``mille``/``thousand``; any case,
  glued or not: ``12k``, ``12 K€``, ``1.5M``, ``2m``, ``12 keur``. (``billion`` is not
  read: it is 10^9 in English and 10^12 in French.)
- The result is rounded half-up to the cent: ``12.345,678`` is 12345.68.
- Currency: a symbol, an ISO code or a word before or after the number (``€12k``,
  ``EUR 12000``, ``12000 euros``, ``500 dollars``, ``£300``); ``$`` alone is the US
  dollar, ``¥`` the yen. Both before and after is accepted when they agree. A trailing
  ``HT`` (hors taxes, the French B2B default) is accepted and ignored.
- A three-letter word that is not a known currency *after* a number is
  ``unknown_currency`` (``12000 XYZ``, ``12k BTC``), except month abbreviations, time
  units and a few common words ("15 dec", "3 ans", "12 par") which make the phrase
  not an amount. Before a number it is not read as a currency at all ("SAS 12k" is not
  an amount), since it is usually the end of a company name.
- A sign ``-`` (or the minus ``−``) before the number or the currency is
  ``negative_amount``; a value of 10^12 or more is ``absurd_amount``.
- Text made only of digits, marks, signs, currency symbols and ``k``/``m`` that fits no
  shape (``12..5``, ``1,2,3``, ``12kk``, ``€€12``) is ``not_amount``; anything with other
  letters or characters is ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bot.grammar.normalize import fold

MAX_AMOUNT = Decimal(10) ** 12
MAX_PHRASE_LENGTH = 60
_CENT = Decimal("0.01")

# ISO code -> how a reply displays it.
CURRENCIES: dict[str, str] = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "CHF": "CHF",
    "CAD": "CA$",
    "JPY": "¥",
    "SEK": "SEK",
    "NOK": "NOK",
    "DKK": "DKK",
    "PLN": "zł",
    "AUD": "A$",
    "NZD": "NZ$",
    "CNY": "CNY",
    "HKD": "HK$",
    "SGD": "S$",
    "INR": "₹",
    "BRL": "R$",
    "MXN": "MX$",
    "ZAR": "ZAR",
    "CZK": "CZK",
    "HUF": "HUF",
    "RON": "RON",
    "TRY": "TRY",
    "MAD": "MAD",
    "TND": "TND",
    "AED": "AED",
    "ILS": "₪",
    "KRW": "₩",
}

# Symbols and words (folded) that name a currency, besides the ISO codes themselves.
_CURRENCY_WORDS: dict[str, str] = {
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "d'euros": "EUR",
    "$": "USD",
    "us$": "USD",
    "usd$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "de dollars": "USD",
    "£": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "livre": "GBP",
    "livres": "GBP",
    "sterling": "GBP",
    "livres sterling": "GBP",
    "pounds sterling": "GBP",
    "franc suisse": "CHF",
    "francs suisses": "CHF",
    "c$": "CAD",
    "ca$": "CAD",
    "can$": "CAD",
    "¥": "JPY",
    "yen": "JPY",
    "yens": "JPY",
    "zł": "PLN",
    "zloty": "PLN",
    "zlotys": "PLN",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "₹": "INR",
    "r$": "BRL",
    "₪": "ILS",
    "₩": "KRW",
    # How Babel writes them in French ("12 000,50 $US") and English ("CN¥12,000.50"),
    # so amounts shown in a form read back unchanged.
    "$us": "USD",
    "£gb": "GBP",
    "$ca": "CAD",
    "$au": "AUD",
    "$nz": "NZD",
    "$hk": "HKD",
    "$sg": "SGD",
    "$mx": "MXN",
    "mx$": "MXN",
    "cn¥": "CNY",
    "jp¥": "JPY",
}
_CURRENCY_INDEX: dict[str, str] = {code.lower(): code for code in CURRENCIES} | _CURRENCY_WORDS

# Three-letter words that follow numbers in ordinary French and English: never currencies.
_NOT_CURRENCIES = frozenset(
    {
        *("jan", "feb", "fev", "mar", "apr", "avr", "may", "mai", "jun", "jul", "aug", "sep"),
        *("oct", "nov", "dec", "ans", "day", "jrs", "hrs", "min", "sec", "sem"),
        *("les", "des", "par", "per", "sur", "the", "and", "for", "out", "via", "aux", "une"),
        *("est", "sas", "ltd", "inc", "plc", "llc", "srl", "spa", "sca", "gie"),
        *("pct", "pcs", "pts", "ttc"),
    }
)

_MULTIPLIERS: dict[str, Decimal] = {
    "k": Decimal(10) ** 3,
    "mille": Decimal(10) ** 3,
    "thousand": Decimal(10) ** 3,
    "m": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6,
    "mio": Decimal(10) ** 6,
    "million": Decimal(10) ** 6,
    "millions": Decimal(10) ** 6,
    "md": Decimal(10) ** 9,
    "mds": Decimal(10) ** 9,
    "mrd": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
    "milliard": Decimal(10) ** 9,
    "milliards": Decimal(10) ** 9,
}

_BLANKS = {ord(ch): " " for ch in "\u00a0\u202f\u2009\u2007\u2008\u200a\t"}
_MINUS = {ord("\u2212"): "-", ord("\u2013"): "-", ord("\u2019"): "'"}


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CURRENCY = _alternation(list(_CURRENCY_INDEX))
_MULTIPLIER = _alternation(list(_MULTIPLIERS))
_SHAPE = re.compile(
    rf"(?P<sign1>[-+])?\s*(?:(?P<pre>{_CURRENCY})\s*)?(?P<sign2>[-+])?\s*"
    rf"(?P<num>\d(?:[\d.,']|\s(?=\d))*)"
    # "12 keur" is k + eur, but "12 mars" is no multiplier m + "ars".
    rf"(?:\s*(?P<mult>{_MULTIPLIER})(?=[^a-z]|$|(?:{_CURRENCY})(?![a-z])))?"
    rf"(?:\s*(?P<post>{_CURRENCY}|[a-z]{{3}})(?![a-z]))?"
    rf"(?:\s*h\.?t\.?)?"
)
# What a mistyped amount is made of: digits, marks, signs, currency symbols, k and m.
# A sign only at the start: "2026-12-15" is a date, not a mistyped amount.
_AMOUNT_CHARACTERS = re.compile(r"[€$£¥₹₪₩]?\s*[-+]?[\d\s.,'€$£¥₹₪₩km]*\d[\d\s.,'€$£¥₹₪₩km]*")
_EDGE_PUNCTUATION = ",;:!?"


@dataclass(frozen=True)
class Money:
    """An amount as stored: rounded to the cent, with the ISO currency typed (if any)."""

    amount: Decimal  # quantized to 0.01
    currency: str | None  # ISO code, None when the user typed none


@dataclass(frozen=True)
class AmountError:
    """An amount Carnet will not store, and why."""

    code: str  # not_amount | unknown_currency | negative_amount | absurd_amount
    detail: str | None = None  # the unknown currency code, or the phrase as typed


def parse_amount(token_or_phrase: str) -> Money | AmountError | None:
    """Read an amount; ``None`` when the text does not look like an amount at all.

    Never raises, whatever the text.
    """
    try:
        return _parse(token_or_phrase)
    except (ArithmeticError, ValueError, TypeError):  # pragma: no cover - belt and braces
        return None


def looks_like_amount(word: str) -> bool:
    """True when ``word`` is an amount, right or wrong (anything but ``None``)."""
    return parse_amount(word) is not None


def _clean(text: str) -> str | None:
    if not isinstance(text, str) or len(text) > MAX_PHRASE_LENGTH:
        return None
    text = fold(text.translate(_BLANKS).translate(_MINUS))
    text = text.strip(_EDGE_PUNCTUATION + " ")
    if text.endswith(".") and not text.endswith(("h.t.", "ht.")):
        text = text[:-1].rstrip()
    return text or None


def _parse(raw: str) -> Money | AmountError | None:
    text = _clean(raw)
    if text is None:
        return None
    match = _SHAPE.fullmatch(text)
    if match is None:
        if _AMOUNT_CHARACTERS.fullmatch(text):
            return AmountError("not_amount", raw.strip())
        return None

    currency = _currency(match["pre"], match["post"])
    if isinstance(currency, AmountError):
        return currency if currency.detail else AmountError("not_amount", raw.strip())
    if currency is False:
        return None
    code = currency if isinstance(currency, str) else None

    if match["sign1"] and match["sign2"]:
        return AmountError("not_amount", raw.strip())
    multiplier = _MULTIPLIERS[match["mult"]] if match["mult"] else None
    number = _number(match["num"], has_multiplier=multiplier is not None)
    if number is None:
        return AmountError("not_amount", raw.strip())
    value = number * multiplier if multiplier is not None else number
    if value >= MAX_AMOUNT:
        negative = "-" in (match["sign1"] or "", match["sign2"] or "")
        return AmountError("negative_amount" if negative else "absurd_amount", raw.strip())
    value = value.quantize(_CENT, rounding=ROUND_HALF_UP)  # below 10^12: within precision
    if "-" in (match["sign1"], match["sign2"]) and value != 0:
        return AmountError("negative_amount", raw.strip())
    if value >= MAX_AMOUNT:  # 999999999999.999 rounds up to 10^12
        return AmountError("absurd_amount", raw.strip())
    return Money(abs(value), code)


def _currency(pre: str | None, post: str | None) -> str | None | bool | AmountError:
    """The ISO code (None when no currency was typed); False when the phrase is no amount.

    An ``AmountError`` without detail means two currencies that disagree ("€12 USD").
    """
    codes: list[str] = []
    for word in (pre, post):
        if word is None:
            continue
        code = _CURRENCY_INDEX.get(word)
        if code is None:
            # Only ``post`` can be an unknown word: the pattern limits ``pre`` to currencies.
            if word in _NOT_CURRENCIES:
                return False
            return AmountError("unknown_currency", word.upper())
        codes.append(code)
    if len(codes) == 2 and codes[0] != codes[1]:
        return AmountError("not_amount")
    return codes[0] if codes else None


def _number(text: str, *, has_multiplier: bool) -> Decimal | None:
    """The value of the digits and marks of an amount; None when they are mis-grouped."""
    text = text.replace("'", " ")
    blank_grouped = " " in text
    dots, commas = text.count("."), text.count(",")
    decimal_mark: str | None = None
    if dots and commas:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        if text.count(decimal_mark) > 1:
            return None
    elif dots + commas == 1:
        mark = "." if dots else ","
        before, after = text.split(mark)
        thousands = (
            len(after) == 3
            and 1 <= len(before) <= 3
            and before != "0"
            and not has_multiplier
            and not blank_grouped
        )
        decimal_mark = None if thousands else mark

    whole, fraction = text, ""
    if decimal_mark is not None:
        whole, fraction = text.split(decimal_mark)
        if not fraction.isdigit():
            return None
    groups = re.split(r"[ .,]", whole)
    if len(groups) > 1 and (
        not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
    ):
        return None
    digits = "".join(groups)
    if not digits.isdigit():
        return None
    try:
        return Decimal(f"{digits}.{fraction or '0'}")
    except InvalidOperation:  # pragma: no cover - digits only by construction
        return None

