"""A review brief names the first five stalled deals, under-visited gold accounts and flat
probabilities, and counts the others in words — never a list cut without saying so."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.dialogs.context import Context
from bot.present.reports import review_reply
from bot.render.text import render_reply
from bot.reports.coaching import ReviewBrief
from bot.reports.pipeline import StalledDeal
from storage.models import Member, Workspace
from tests.support.fixtures import TEST_NOW


def brief(stalled: int, gold: int, flat: int) -> ReviewBrief:
    return ReviewBrief(
        member_id=1, name="bob", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), currency="EUR",
        target=Decimal(50000), won=Decimal(10000), closing=Decimal(5000), attainment=0.2, projected=0.3,
        visits_done=3, visits_planned=5,
        under_visited_gold=[(f"Or {n}", 0, 3) for n in range(gold)],
        stalled=[StalledDeal(n, f"Client {n}", f"Affaire {n}", "bob", "proposal", Decimal(1000), "EUR", 30) for n in range(min(stalled, 5))],
        flat_probabilities=[(f"Offre {n}", f"Compte {n}", "negotiation", 40) for n in range(min(flat, 5))],
        talking_points=["stalled"], stalled_total=stalled, flat_total=flat,
    )


def shown(locale: str, b: ReviewBrief) -> str:
    member = Member(slack_user_id="U1", display_name="bob", role="rep", tz="Europe/Paris", locale=locale, period="month")
    ctx = Context(session=None, workspace=Workspace(team_id="T1", name="Acme"), member=member, now=TEST_NOW)  # type: ignore[arg-type]
    return render_reply(review_reply(ctx, b, for_manager=True))


@pytest.mark.parametrize("locale, more, one_more", [("fr", "et 7 autres", "et 1 autre"), ("en", "and 7 more", "and 1 more")])
def test_the_first_five_are_named_and_the_others_counted(locale, more, one_more):
    text = shown(locale, brief(stalled=12, gold=12, flat=12))
    assert all(f"Client {n}" in text for n in range(5)) and all(f"Or {n}" in text for n in range(5))
    assert "Or 5" not in text
    assert text.count(more) == 3, text
    assert one_more in shown(locale, brief(stalled=6, gold=6, flat=6))


def test_five_or_fewer_are_all_named_without_a_count():
    text = shown("en", brief(stalled=5, gold=5, flat=5))
    assert "more" not in text and all(f"Client {n}" in text for n in range(5))
