"""Amounts of money as people type them: ``12k``, ``12 000 €``, ``12.000,50``, ``$8,500``,
``dix mille euros``, ``twelve thousand dollars``, ``20 dollars 43 cents``, ``environ 12k``.

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
- Currency names in French and English, singular and plural, with ``de``/``d'`` before
  them (``3 millions de dollars``): ``franc(s) suisse(s)``/``swiss franc(s)``,
  ``livre(s) sterling``/``pound(s)``, ``dollar(s) canadien(s)``/``canadian dollar(s)``,
  ``yen``, ``yuan``/``rmb``/``renminbi``, ``roupie(s)``/``rupee(s)``/``Rs``... A name
  that several currencies share (``francs``, ``couronnes``, ``pesos``) is
  ``unknown_currency``: Carnet asks for the code rather than guess.
- Cents written after the currency: ``20 dollars 43 cents``, ``1 USD 23 cents``,
  ``12 € 50 centimes`` (one or two digits before a cents word: cents, centimes, ct(s),
  c, pence); without a cents word only two digits after a currency *word* or glued to a
  symbol, on a whole number below 1000: ``12 euros 50``, ``12€50``. Anything else is
  ``not_amount`` (``12 euros 150``, ``12 euros 5``, ``12,5 € 50``, ``12k€ 50``), and so
  are ``12 € 50`` and ``12 000 euros 30``, which may as well be a forgotten ``%``.
- Hedges before or after the amount are read and dropped, a deal amount being an
  estimate anyway: ``environ 12k``, ``~12k``, ``≈ 12k``, ``à peu près 10 000 €``,
  ``autour de 5k``, ``about $8k``, ``around 5k``, ``roughly 5k``, ``12k environ``.
- Numbers in words (French and English, read by ``text2num``) are read when the whole
  phrase is an amount once they are written in digits, under the rules of
  :func:`spell_out_amounts`: ``dix mille euros``, ``quinze k€``, ``deux cent cinquante
  mille``, ``a hundred k``, ``douze euros cinquante``. When French and English read a
  phrase differently, it is ``not_amount``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from text_to_num import text2num

from bot.grammar.normalize import fold
from bot.grammar.tokens import QUOTES

MAX_AMOUNT = Decimal(10) ** 12
MAX_PHRASE_LENGTH = 60
# A phrase in words is longer: "quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf euros".
MAX_SPELLED_LENGTH = 160
SPELLED_LANGUAGES: tuple[str, ...] = ("fr", "en")
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

# Symbols and names (folded) of a currency, besides the ISO codes themselves. French and
# English, singular and plural; "de"/"d'" before a name is read by the pattern.
_CURRENCY_WORDS: dict[str, str] = {
    "€": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "$": "USD",
    "us$": "USD",
    "usd$": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "us dollar": "USD",
    "us dollars": "USD",
    "dollar us": "USD",
    "dollars us": "USD",
    "dollar americain": "USD",
    "dollars americains": "USD",
    "american dollar": "USD",
    "american dollars": "USD",
    "£": "GBP",
    "pound": "GBP",
    "pounds": "GBP",
    "livre": "GBP",
    "livres": "GBP",
    "sterling": "GBP",
    "livre sterling": "GBP",
    "livres sterling": "GBP",
    "pound sterling": "GBP",
    "pounds sterling": "GBP",
    "british pound": "GBP",
    "british pounds": "GBP",
    "franc suisse": "CHF",
    "francs suisses": "CHF",
    "swiss franc": "CHF",
    "swiss francs": "CHF",
    "c$": "CAD",
    "ca$": "CAD",
    "can$": "CAD",
    "$can": "CAD",
    "dollar canadien": "CAD",
    "dollars canadiens": "CAD",
    "canadian dollar": "CAD",
    "canadian dollars": "CAD",
    "¥": "JPY",
    "yen": "JPY",
    "yens": "JPY",
    "yuan": "CNY",
    "yuans": "CNY",
    "rmb": "CNY",
    "renminbi": "CNY",
    "zł": "PLN",
    "zloty": "PLN",
    "zlotys": "PLN",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "₹": "INR",
    "rs": "INR",
    "rs.": "INR",
    "rupee": "INR",
    "rupees": "INR",
    "roupie": "INR",
    "roupies": "INR",
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

# Names that several currencies share: Carnet asks for the code (``unknown_currency``).
_SHARED_CURRENCY_NAMES = frozenset(
    {
        *("franc", "francs", "couronne", "couronnes", "crown", "crowns", "krona", "kronor"),
        *("krone", "kroner", "peso", "pesos", "dinar", "dinars", "dirham", "dirhams"),
    }
)

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

# Words (folded) that say a deal amount is an estimate: read the amount, drop the word.
_HEDGES_BEFORE = (
    *("environ", "env.", "env", "approx.", "approx", "approximativement", "a peu pres"),
    *("autour de", "aux alentours de", "dans les", "pres de", "about", "around"),
    *("approximately", "roughly", "circa", "~=", "~", "≈"),
)
_HEDGES_AFTER = ("environ", "approx.", "approx", "approximativement", "a peu pres", "or so", "approximately", "roughly")
_CENT_WORDS = ("centimes", "centime", "cents", "cent", "cts", "ct", "c", "pence", "penny", "p")

_BLANKS = {ord(ch): " " for ch in "\u00a0\u202f\u2009\u2007\u2008\u200a\t"}
_MINUS = {ord("\u2212"): "-", ord("\u2013"): "-", ord("\u2019"): "'"}


def _alternation(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CURRENCY = _alternation(list(_CURRENCY_INDEX))
_MULTIPLIER = _alternation(list(_MULTIPLIERS))
_SHAPE = re.compile(
    rf"(?:(?:{_alternation(_HEDGES_BEFORE)})\s*)?"
    rf"(?P<sign1>[-+])?\s*(?:(?P<pre>{_CURRENCY})\s*)?(?P<sign2>[-+])?\s*"
    rf"(?P<num>\d(?:[\d.,']|\s(?=\d))*)"
    # "12 keur" is k + eur, but "12 mars" is no multiplier m + "ars".
    rf"(?:\s*(?P<mult>{_MULTIPLIER})(?=[^a-z]|$|(?:{_CURRENCY})(?![a-z])))?"
    rf"(?:\s*(?:(?:de\s+|d')(?=(?:{_CURRENCY})(?![a-z])))?"
    rf"(?P<post>{_CURRENCY}|{_alternation(sorted(_SHARED_CURRENCY_NAMES))}|(?!and\s)[a-z]{{3}})(?![a-z]))?"
    # Cents written after the currency: "20 dollars 43 cents", "12 euros et 50 centimes".
    rf"(?:(?P<cents_gap>\s*)(?:(?:et|and)\s+)?(?<![\d.,'])(?P<cents>\d+)(?:\s*(?P<cent_word>{_alternation(_CENT_WORDS)}|¢)(?![a-z]))?)?"
    rf"(?:\s*h\.?t\.?)?"
    rf"(?:\s*(?:{_alternation(_HEDGES_AFTER)}))?"
)
# What a mistyped amount is made of: digits, marks, signs, currency symbols, k and m.
# A sign only at the start: "2026-12-15" is a date, not a mistyped amount.
_AMOUNT_CHARACTERS = re.compile(r"[€$£¥₹₪₩]?\s*[-+]?[\d\s.,'€$£¥₹₪₩km]*\d[\d\s.,'€$£¥₹₪₩km]*")
_EDGE_PUNCTUATION = ",;:!?"
# Cents without a cents word are read only on amounts below this ("12 euros 50"); on a
# deal-sized amount "12 000 euros 30" is more likely a forgotten "%".
_BARE_CENTS_BELOW = Decimal(1000)


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
    if not isinstance(token_or_phrase, str):
        return None
    try:
        return _parse(token_or_phrase)
    except (ArithmeticError, ValueError, TypeError):  # pragma: no cover - belt and braces
        return None


def looks_like_amount(word: str) -> bool:
    """True when ``word`` is an amount, right or wrong (anything but ``None``)."""
    return parse_amount(word) is not None


def _clean(text: str) -> str | None:
    if len(text) > MAX_PHRASE_LENGTH:
        return None
    text = fold(text.translate(_BLANKS).translate(_MINUS))
    text = text.strip(_EDGE_PUNCTUATION + " ")
    if text.endswith(".") and not text.endswith(("h.t.", "ht.")):
        text = text[:-1].rstrip()
    return text or None


@lru_cache(maxsize=4096)  # the grammars try the same words again and again
def _parse(raw: str) -> Money | AmountError | None:
    if len(raw) > MAX_SPELLED_LENGTH:
        return None
    found = _read(raw)
    return found if found is not None else _read_spelled(raw)


def _read_spelled(raw: str) -> Money | AmountError | None:
    """The phrase with its numbers in words written in digits, in each language: they must agree."""
    readings: list[Money | AmountError] = []
    for language in SPELLED_LANGUAGES:
        spelled = spell_out_amounts(raw, (language,))
        found = _read(spelled) if spelled != raw else None
        if found is not None:
            readings.append(found)
    values = {found for found in readings if isinstance(found, Money)}
    if len(values) == 1:
        return values.pop()
    if len(values) > 1:  # no phrase seen so far; refuse rather than pick a language
        return AmountError("not_amount", raw.strip())
    errors = [found for found in readings if isinstance(found, AmountError)]
    if not errors:
        return None
    error = errors[0]
    return error if error.code == "unknown_currency" else replace(error, detail=raw.strip())


def _read(raw: str) -> Money | AmountError | None:
    """An amount written in digits."""
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
    read = _number(match["num"], has_multiplier=multiplier is not None)
    if read is None:
        return AmountError("not_amount", raw.strip())
    number, has_fraction = read
    value = number * multiplier if multiplier is not None else number
    if match["cents"] is not None:
        if multiplier is not None or has_fraction or not _cents_fit(match, value):
            return AmountError("not_amount", raw.strip())
        value += Decimal(int(match["cents"])) / 100
    if value >= MAX_AMOUNT:
        negative = "-" in (match["sign1"] or "", match["sign2"] or "")
        return AmountError("negative_amount" if negative else "absurd_amount", raw.strip())
    value = value.quantize(_CENT, rounding=ROUND_HALF_UP)  # below 10^12: within precision
    if "-" in (match["sign1"], match["sign2"]) and value != 0:
        return AmountError("negative_amount", raw.strip())
    if value >= MAX_AMOUNT:  # 999999999999.999 rounds up to 10^12
        return AmountError("absurd_amount", raw.strip())
    return Money(abs(value), code)


def _cents_fit(match: re.Match[str], whole: Decimal) -> bool:
    """Whether the digits after the currency are its cents ("20 dollars 43 cents", "12€50")."""
    cents = match["cents"]
    if match["cent_word"]:
        return len(cents) <= 2 and (match["post"] is not None or match["pre"] is not None)
    post = match["post"]
    # "12 € 50" and "12 000 euros 30" may be an amount and a forgotten "%": not cents.
    return (
        len(cents) == 2
        and post is not None
        and (post[-1].isalpha() or not match["cents_gap"])
        and whole < _BARE_CENTS_BELOW
    )


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


def _number(text: str, *, has_multiplier: bool) -> tuple[Decimal, bool] | None:
    """The value of the digits and marks of an amount, and whether it has a decimal part.

    None when they are mis-grouped.
    """
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
        return Decimal(f"{digits}.{fraction or '0'}"), decimal_mark is not None
    except InvalidOperation:  # pragma: no cover - digits only by construction
        return None


# --- numbers written in words ------------------------------------------------------------

_WORD = re.compile(r"\S+")
_QUOTE = re.compile("|".join(map(re.escape, QUOTES)))
_LEADING_PUNCTUATION = "([{«“\"'¿¡"
_TRAILING_PUNCTUATION = ".,;:!?)]}»”\"'…"
_MAX_NUMBER_WORDS = 15
_MAX_LINE_LENGTH = 2000  # a command line; longer text is returned as it is
# Scales whose value differs between French and English (or between English usages).
_AMBIGUOUS_SCALES = ("billion", "trillion")
_ENGLISH_ARTICLES = ("a", "an")
_LINKS = ("et", "and")  # between an amount and its cents, as the pattern reads them


@dataclass(frozen=True)
class _Word:
    """One blank-separated word of the text: where its core (without punctuation) is."""

    opens_text: bool  # the first word of the whole text
    start: int
    end: int
    core: str
    glued_before: bool  # punctuation before the core: "(dix"
    glued_after: bool  # punctuation after the core: "mille,"
    has_digit: bool

    @property
    def titled(self) -> bool:
        """Written like a name: "Trois", "Suisses" (but not "EUR", "k€" or "dix")."""
        return self.core[:1].isupper() and any(ch.islower() for ch in self.core)


@dataclass(frozen=True)
class _Run:
    """Consecutive words that read as one number: ``words[first:last + 1]``."""

    first: int
    last: int
    value: int
    parts: int  # number words, "dix-mille" counting two


def spell_out_amounts(text: str, languages: Sequence[str] = SPELLED_LANGUAGES) -> str:
    """``text`` with the numbers written in words that are amounts written in digits.

    ``"Gamma dix mille euros 30%"`` becomes ``"Gamma 10000 euros 30%"``. Conservative,
    since the words may be a name ("Trois Suisses"), a title or a date; a number in words
    (read by ``text2num``, in each language in turn) is rewritten only when

    - it is not inside quotes (``"Un Deux Trois"`` stays), and none of its words is
      written like a name (capital then small letters: "Trois Suisses", "Mille Bornes")
      unless it opens the text ("Dix mille euros" typed in a form);
    - it is a whole number, without "billion"/"trillion" (10^9 or 10^12 depending on
      who writes), and does not follow a word with digits ("15 mille", "1,5 million",
      "43 cents" stay as typed: the amount reader knows those words);
    - it is next to what makes it an amount: a multiplier after it ("quinze k€", "a
      hundred k"), a currency after it and a value of 10 or more ("dix mille euros", but
      not "trois livres"), a currency before it ("douze euros cinquante", "$ twelve
      thousand"), or it is two number words or more worth 1000 or more that end the text
      or come before digits ("deux cent cinquante mille", "dix mille 3", which the amount
      reader then refuses);
    - it is not a number below 1000 right before digits ("deux 500" is not "2 500").

    An English article before a hundred, a thousand or a million goes with it ("a hundred
    k" is "100 k"). Never raises.
    """
    if not isinstance(text, str) or len(text) > _MAX_LINE_LENGTH or not any(ch.isalpha() for ch in text):
        return text
    for language in languages:
        if not _has_number_word(text, language):  # most words are names: a quick look first
            continue
        pieces: list[str] = []
        done = 0
        for start, end, last in _unquoted_spans(text):
            for replace_start, replace_end, digits in _spelled_runs(text, start, end, language, ends_text=last):
                pieces.append(text[done:replace_start])
                pieces.append(digits)
                done = replace_end
        if pieces:
            text = "".join(pieces) + text[done:]
    return text


def _has_number_word(text: str, language: str) -> bool:
    for word in text.replace("-", " ").split():
        word = word.strip(_LEADING_PUNCTUATION + _TRAILING_PUNCTUATION)
        if word.isalpha() and _text2num(word, language) is not None:
            return True
    return False


def _unquoted_spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """``(start, end, ends_text)`` of the text outside quotes (an unclosed quote runs to the end)."""
    start = 0
    while (opening := _QUOTE.search(text, start)) is not None:
        yield start, opening.start(), False
        closers = QUOTES[opening.group()]
        close = next((j for j in range(opening.end(), len(text)) if text[j] in closers), None)
        if close is None:
            return
        start = close + 1
    yield start, len(text), True


def _words(text: str, start: int, end: int) -> list[_Word]:
    words: list[_Word] = []
    opening = len(text) - len(text.lstrip())
    for match in _WORD.finditer(text, start, end):
        raw = match.group()
        core = raw.lstrip(_LEADING_PUNCTUATION)
        lead = len(raw) - len(core)
        stripped = core.rstrip(_TRAILING_PUNCTUATION)
        trail = len(core) - len(stripped)
        has_digit = any(ch.isdigit() for ch in stripped)
        words.append(
            _Word(match.start() == opening, match.start() + lead, match.end() - trail, stripped, lead > 0, trail > 0, has_digit)
        )
    return words


def _spelled_runs(
    text: str, start: int, end: int, language: str, *, ends_text: bool
) -> Iterator[tuple[int, int, str]]:
    """``(start, end, digits)`` for each number in words between ``start`` and ``end`` to rewrite."""
    words = _words(text, start, end)
    rewritten: set[int] = set()
    for run in _runs(words, language):
        begin = run.first
        if (
            language == "en"
            and begin > 0
            and fold(words[begin - 1].core) in _ENGLISH_ARTICLES
            and not words[begin - 1].glued_after
            and (_number_value(words[begin].core.split("-")[0], language) or 0) >= 100
        ):
            begin -= 1  # "a hundred k": the article is part of the number
        before = _neighbour(words, begin - 1, begin)
        if before is not None and fold(before.core) in _LINKS:  # "20 dollars and forty-three cents"
            before = _neighbour(words, begin - 2, begin - 1)
        after = _neighbour(words, run.last + 1, run.last)
        # "trois millions de dollars": the currency after "de".
        then = _neighbour(words, run.last + 2, run.last + 1) if after is not None else None
        at_end = ends_text and run.last + 1 == len(words)
        named = any(words[i].titled and not words[i].opens_text for i in range(run.first, run.last + 1))
        if named or (begin > 0 and (words[begin - 1].has_digit or begin - 1 in rewritten)):
            continue
        if after is not None and after.has_digit and run.value < 1000:
            continue
        if not _amount_context(run, before, after, then, at_end=at_end):
            continue
        rewritten.update(range(begin, run.last + 1))
        yield words[begin].start, words[run.last].end, str(run.value)


def _neighbour(words: Sequence[_Word], index: int, of: int) -> _Word | None:
    """The word at ``index`` when it is next to the word at ``of`` with no punctuation between."""
    if not 0 <= index < len(words):
        return None
    left, right = (words[index], words[of]) if index < of else (words[of], words[index])
    return None if left.glued_after or right.glued_before else words[index]


def _amount_context(
    run: _Run, before: _Word | None, after: _Word | None, then: _Word | None, *, at_end: bool
) -> bool:
    """Whether the words around a number make it an amount."""
    if after is not None and not after.titled:
        follower = _read("1 " + after.core)
        if then is not None and not then.titled and not isinstance(follower, Money):
            follower = _read(f"1 {after.core} {then.core}") or follower
        if (
            isinstance(follower, AmountError)
            and fold(after.core) in _SHARED_CURRENCY_NAMES
            and run.value >= 10
        ):
            return True  # "dix mille francs": the amount reader asks which francs
        if isinstance(follower, Money):
            if follower.amount != 1:  # a multiplier: "quinze k€"
                return True
            if follower.currency is not None and run.value >= 10:  # "dix mille euros"
                return True
    if before is not None:
        leader = _read(before.core + " 1")
        if isinstance(leader, Money) and leader.currency is not None:  # "douze euros cinquante"
            return True
    big = run.parts >= 2 and run.value >= 1000
    return big and (at_end or (after is not None and after.has_digit))


def _runs(words: Sequence[_Word], language: str) -> Iterator[_Run]:
    """The longest runs of words that ``text2num`` reads as one number, left to right."""
    numbers = [not word.has_digit and _number_value(word.core, language) is not None for word in words]
    i = 0
    while i < len(words):
        if not numbers[i]:
            i += 1
            continue
        # How far the number may go: number words, and short links between them ("et", "and").
        ends = [i]
        j = i + 1
        while j < len(words) and j - i < _MAX_NUMBER_WORDS and not words[j - 1].glued_after and not words[j].glued_before:
            if numbers[j]:
                ends.append(j)
            elif not (len(words[j].core) <= 3 and j + 1 < len(words) and numbers[j + 1]):
                break
            j += 1
        for last in reversed(ends):
            phrase = " ".join(word.core for word in words[i : last + 1])
            value = _number_value(phrase, language)
            if value is not None:
                yield _Run(i, last, value, len(phrase.replace("-", " ").split()))
                i = last + 1
                break
        else:  # pragma: no cover - the first word alone is a number
            i += 1


def _number_value(words: str, language: str) -> int | None:
    """What ``text2num`` reads in ``words`` (hyphens as blanks), or None."""
    phrase = " ".join(words.replace("-", " ").split())
    lowered = phrase.casefold()
    if not phrase or any(scale in lowered for scale in _AMBIGUOUS_SCALES):
        return None
    return _text2num(phrase, language)


@lru_cache(maxsize=4096)
def _text2num(phrase: str, language: str) -> int | None:
    try:
        value = text2num(phrase, language)
    except Exception:
        return None
    except BaseException as error:  # pragma: no cover - a Rust panic is pyo3's PanicException
        if type(error).__name__ == "PanicException":
            return None
        raise
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
