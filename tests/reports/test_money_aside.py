"""Money in a currency without a rate is never dropped (issue 14): beside each total it is shown per
currency, "12 000 € + 2 000 $US (sans taux de change)", in the digest (flash, each rep, the N+1 team
lines), the review pack (revenue goal, past periods) and the cockpit's trend. On SQLite and PostgreSQL.

The team of ``tests/reports/test_digest.py``, with two deals in US dollars (no rate set): Alice won
2 000 $US on Thursday 26 November (last week) and 1 500 $US in October; Bruno has an open 5 000 $US
deal at 40 % closing on 30 November. Nadia now reports to Ada, whose digest rolls Nadia's team up.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.dialogs.context import Context
from bot.present import MemberReader
from bot.present import reports as present
from bot.present.review import pack_reply
from bot.reports.coaching import weekly_digest
from bot.reports.review import review_pack
from bot.services import workspace_settings
from bot.services.team import team_of
from storage.models import Member, Workspace
from tests.render.payloads import check_message
from tests.reports.test_digest import NOW, Builder, lines, seed_team
from tests.support.fixtures import Z

NBSP, NNBSP = "\u00a0", "\u202f"
USD_2000 = f"2{NNBSP}000{NBSP}$US"


@pytest.fixture
def seeded(session_factory):
    seeded = seed_team(session_factory)
    with session_factory() as s, s.begin():
        b = Builder(s, seeded)
        b.deal("Alice", "Beta", "Export", "2000", [(Z(2026, 11, 2, 9), "proposal", 40), (Z(2026, 11, 26, 9), "won", 100)],
               currency="USD")
        b.deal("Alice", "Gamma", "Export bis", "1500", [(Z(2026, 10, 2, 9), "proposal", 40), (Z(2026, 10, 20, 9), "won", 100)],
               currency="USD")
        b.deal("Bruno", "Fjord", "Import", "5000", [(Z(2026, 11, 3, 9), "proposal", 40)], close=date(2026, 11, 30), currency="USD")
        s.get(Member, seeded["Nadia"]).manager_id = seeded["Ada"]
    return seeded


def digest_lines(session_factory, seeded, who: str) -> list[str]:
    with session_factory() as s:
        member = s.get(Member, seeded[who])
        workspace = s.get(Workspace, seeded.ws)
        digest = weekly_digest(s, member, team_of(s, member), now=NOW, settings=workspace_settings.load(workspace))
        reply = present.digest_reply(Context(session=s, workspace=workspace, member=member, now=NOW), digest)
        check_message(reply)
        return lines(reply)


def test_the_digest_shows_dollars_apart_in_the_flash_and_each_reps_line(session_factory, seeded):
    shown = digest_lines(session_factory, seeded, "Nadia")
    flash = next(line for line in shown if line.startswith("*Flash :*"))
    # Won last week: 12 000 € (Alice's contract) and 2 000 $US; weighted pipeline: 4 000 € + 40 % of 5 000 $US.
    assert f"gagné 12{NNBSP}000{NBSP}€ + {USD_2000} (sans taux de change) ;" in flash
    assert flash.endswith(f"pipeline pondéré 13{NNBSP}600{NBSP}€ + 2{NNBSP}000{NBSP}$US (sans taux de change)")
    [alice, *_goals] = [line for line in shown if line.startswith("• *Alice*")]
    assert f"· 12{NNBSP}000{NBSP}€ + {USD_2000} (sans taux de change) ·" in alice
    [bruno, *_goals] = [line for line in shown if line.startswith("• *Bruno*")]
    assert f"9{NNBSP}600{NBSP}€ + 2{NNBSP}000{NBSP}$US (sans taux de change) · 0{NBSP}€ ·" in bruno  # 40 % of 20 000 €, 20 % of 8 000 €


def test_the_n_plus_1_team_line_keeps_the_dollars_apart(session_factory, seeded):
    shown = digest_lines(session_factory, seeded, "Ada")
    [nadias] = [line for line in shown if line.startswith("• Équipe de *Nadia*")]
    assert f"gagné : 12{NNBSP}000{NBSP}€ + {USD_2000} (sans taux de change)" in nadias
    assert nadias.endswith(f"pipeline pondéré : 13{NNBSP}600{NBSP}€ + 2{NNBSP}000{NBSP}$US (sans taux de change)")


def test_with_a_rate_the_dollars_are_counted_in_euros_and_nothing_is_said_apart(session_factory, seeded):
    with session_factory() as s, s.begin():
        ws = s.get(Workspace, seeded.ws)
        ws.settings = {**ws.settings, "exchange_rates": {"USD": "0.5"}}
    shown = "\n".join(digest_lines(session_factory, seeded, "Nadia"))
    assert "sans taux de change" not in shown
    assert f"gagné 13{NNBSP}000{NBSP}€ ;" in shown  # 12 000 € + 2 000 $US × 0.5


def test_the_review_pack_shows_dollars_apart_in_the_revenue_goal_and_the_past_periods(session_factory, seeded):
    with session_factory() as s:
        nadia = s.get(Member, seeded["Nadia"])
        workspace = s.get(Workspace, seeded.ws)
        reps = [m for m in team_of(s, nadia) if m.role == "rep"]
        pack = review_pack(s, nadia, reps, now=NOW, settings=workspace_settings.load(workspace))
    reply = pack_reply(MemberReader.of(nadia, NOW), pack)
    check_message(reply)
    from bot.render.text import render_reply

    shown = render_reply(reply).split("\n")
    alice = shown[shown.index("Alice — période du 1 nov. 2026 au 30 nov. 2026"):]
    assert alice[1] == (f"• chiffre d'affaires gagné : 12{NNBSP}000{NBSP}€ + {USD_2000} (sans taux de change) "
                        f"sur 15{NNBSP}000{NBSP}€ (80{NBSP}%), projection 80{NBSP}%")
    [trend] = [line for line in alice if line.startswith("Tendance des périodes passées")]
    assert trend.endswith(f"1 oct. 2026 : 0{NBSP}€ + 1{NNBSP}500{NBSP}$US (sans taux de change), 0 action")
