"""Sums of money as SQL returns them, made exact ``Decimal`` amounts to the cent.

SQLite answers a sum as an int, a float or a Decimal, PostgreSQL as an exact numeric, and either
None over no row: every report folds its sums through these, so both databases give the same cents.
"""

from __future__ import annotations

from decimal import Decimal

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
