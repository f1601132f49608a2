"""The one conversion of money between currencies (``bot.reports.money.convert``) and the rates kept
in the workspace settings."""

from __future__ import annotations

from decimal import Decimal

from bot.reports.money import Converted, Rates, convert
from bot.services import workspace_settings
from bot.services.workspace_settings import WorkspaceSettings

D = Decimal


def test_convert_with_and_without_rates():
    rates = Rates("EUR", {"USD": D("0.92")})
    assert convert({"EUR": D("100.00"), "USD": D("1000.00")}, rates) == Converted(D("1020.00"), "EUR", {})
    assert convert({"EUR": D("100.00"), "GBP": D("50.00"), "USD": D("0.01")}, rates) == Converted(
        D("100.01"), "EUR", {"GBP": D("50.00")})  # 0.0092 rounds once, at the end
    assert convert({}, rates) == Converted(D("0.00"), "EUR", {})
    assert convert({"GBP": D("0")}, rates).complete  # nothing to leave aside


def test_parts_and_average_keep_every_currency():
    total = Converted(D("12000.00"), "EUR", {"USD": D("3000.00"), "CHF": D("10.00")})
    assert total.parts() == [(D("12000.00"), "EUR"), (D("10.00"), "CHF"), (D("3000.00"), "USD")]
    assert total.divided(4) == Converted(D("3000.00"), "EUR", {"USD": D("750.00"), "CHF": D("2.50")})
    assert total.divided(0) is None


def test_rates_are_stored_as_typed_and_rebased_with_the_currency():
    settings = workspace_settings.with_rate(WorkspaceSettings(), "USD", D("0.80"))
    settings = workspace_settings.with_rate(settings, "GBP", D("1.2"))
    assert settings.exchange_rates == {"USD": "0.80", "GBP": "1.2"}
    assert Rates.of(settings) == Rates("EUR", {"USD": D("0.80"), "GBP": D("1.2")})
    in_dollars, kept = workspace_settings.with_currency(settings, "USD")
    assert kept and in_dollars.currency == "USD" and in_dollars.exchange_rates == {"EUR": "1.25", "GBP": "1.5"}
    in_francs, kept = workspace_settings.with_currency(settings, "CHF")
    assert not kept and in_francs.exchange_rates == {}
    assert workspace_settings.with_rate(settings, "USD", None).exchange_rates == {"GBP": "1.2"}
