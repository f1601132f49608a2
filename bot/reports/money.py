"""Sums of money as SQL returns them, made exact ``Decimal`` amounts to the cent, and converted
into the workspace's currency.

SQLite answers a sum as an int, a float or a Decimal, PostgreSQL as an exact numeric, and either
None over no row: every report folds its sums through these, so both databases give the same cents.
Every KPI answers money per currency; ``convert`` is the one place where currencies meet, with
the rates the admin set (``Rates``); a currency without a rate is kept aside, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping

from bot.services.workspace_settings import WorkspaceSettings

CENT = Decimal("0.01")


def as_decimal(value: object) -> Decimal:
    """A sum as SQL gave it (Decimal, int, or None for nothing) as a Decimal."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)) if value is not None else Decimal(0)


def money(value: object) -> Decimal:
    """An amount rounded to the cent (None counts as 0)."""
    return Decimal(value or 0).quantize(CENT)


def weighted_money(hundredths: object) -> Decimal:
    """sum(amount x probability) / 100, rounded once here as ``Opportunity.weighted_amount`` rounds: dividing in
    SQL left a float on SQLite and an exact numeric on PostgreSQL, so half cents came out differently."""
    return (Decimal(hundredths or 0) / 100).quantize(CENT)


@dataclass(frozen=True)
class Rates:
    """The workspace's currency and what one unit of each other currency is worth in it, as the
    admin set them (``/carnet settings rate USD 0.92``). A currency without a rate is never
    guessed: its amounts stay in their own currency (``Converted.unconverted``)."""

    currency: str
    rates: Mapping[str, Decimal] = field(default_factory=dict)

    def rate_of(self, currency: str) -> Decimal | None:
        """What one unit of ``currency`` is worth in the workspace's currency; None without a rate."""
        if currency == self.currency:
            return Decimal(1)
        return self.rates.get(currency)

    @classmethod
    def of(cls, settings: WorkspaceSettings) -> "Rates":
        return cls(settings.currency, settings.rates)


@dataclass(frozen=True)
class Converted:
    """A sum over several currencies: ``amount`` in the workspace's currency (every amount that has a
    rate), and what could not be converted, per currency (empty when every currency has a rate)."""

    amount: Decimal
    currency: str
    unconverted: Mapping[str, Decimal] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unconverted

    def parts(self) -> list[tuple[Decimal, str]]:
        """(amount, currency) of each part: the converted amount first (also when zero and others
        remain), then the unconverted currencies in alphabetical order."""
        return [(self.amount, self.currency)] + sorted(((v, c) for c, v in self.unconverted.items()), key=lambda p: p[1])

    def divided(self, count: int) -> "Converted | None":
        """Each part divided by ``count`` (an average), None for zero."""
        if not count:
            return None
        return Converted(
            money(self.amount / count), self.currency, {c: money(v / count) for c, v in self.unconverted.items()}
        )


def convert(by_currency: Mapping[str, Decimal], rates: Rates) -> Converted:
    """THE conversion of Carnet: a sum per currency (what every KPI answers) into the workspace's
    currency. Each currency's sum is multiplied by its rate and the result rounded once to the cent;
    a currency without a rate is kept aside, never dropped and never counted as if it were the
    workspace's."""
    total = Decimal(0)
    unconverted: dict[str, Decimal] = {}
    for currency, amount in by_currency.items():
        rate = rates.rate_of(currency)
        if rate is None:
            if amount:
                unconverted[currency] = money(unconverted.get(currency, Decimal(0)) + amount)
            continue
        total += Decimal(amount) * rate
    return Converted(money(total), rates.currency, unconverted)


def converted_amount(by_currency: Mapping[str, Decimal], rates: Rates) -> Decimal:
    """The part of ``by_currency`` that has a rate, in the workspace's currency (``convert(...).amount``):
    for a report that can show one figure only and says elsewhere what is left aside."""
    return convert(by_currency, rates).amount
