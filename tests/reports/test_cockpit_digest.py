"""The manager's cockpit in the Monday digest (issue 14): the figures behind its charts, read in SQL
(``kpis.weekly_trend``, ``kpis.stage_funnel``) and worked out by hand on the team of
``tests/reports/test_digest.py``; the three charts as attachments with their alt text, valid Block
Kit beside them, and legible at 1,000 reps. On SQLite and PostgreSQL.

Nadia's team is Alice and Bruno; the digest of Monday 30 November 2026 covers 23–29 November, its
trend and funnel the 12 weeks from Monday 7 September.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from bot.core import ToMember
from bot.dialogs.context import Context
from bot.present import reports as present
from bot.present.cockpit import digest_charts, money_text
from bot.render import files
from bot.render.charts import EDGE_REPS
from bot.reports import kpis
from bot.reports.coaching import RepWeek, WeeklyDigest, weekly_digest
from bot.reports.money import Converted
from bot.services import outbox, workspace_settings
from bot.services.team import team_of
from storage.models import Member, Workspace
from tests.render.payloads import check_message
from tests.reports.test_digest import NOW, Builder, seed_team
from tests.support.fixtures import Z

D = Decimal
SEPT_7 = date(2026, 9, 7)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def seeded(session_factory):
    return seed_team(session_factory)


def nadias_digest(session_factory, seeded):
    with session_factory() as s:
        member = s.get(Member, seeded["Nadia"])
        workspace = s.get(Workspace, seeded.ws)
        digest = weekly_digest(s, member, team_of(s, member), now=NOW, settings=workspace_settings.load(workspace))
        ctx = Context(session=s, workspace=workspace, member=member, now=NOW)
        return digest, ctx, present.digest_reply(ctx, digest)


def test_the_trend_and_funnel_of_a_hand_built_team(session_factory, seeded):
    digest, _ctx, _reply = nadias_digest(session_factory, seeded)
    weeks = [(day, won.amount, actions) for day, won, actions in digest.trend]
    assert [day for day, _, _ in weeks] == [SEPT_7 + timedelta(weeks=i) for i in range(12)]
    # Week of 16 Nov: Bruno's 3 000 won (18th); Alice's call (17th) and Sunday visit (22nd), Bruno's visit (18th).
    # Week of 23 Nov: Alice's 12 000 won (25th); her four actions and Bruno's call. Nothing before.
    assert weeks[-2:] == [(date(2026, 11, 16), D("3000.00"), 3), (date(2026, 11, 23), D("12000.00"), 5)]
    assert all((won, actions) == (D(0), 0) for _, won, actions in weeks[:-2])
    # Six deals of Alice and Bruno created since 7 Sep; the furthest stage each reached: won (Contrat
    # cadre, Petit lot), negotiation (Extension), proposal (Essai, lost; Renouvellement), qualification (Pilote).
    assert digest.funnel == [("lead", 6), ("qualification", 6), ("proposal", 5), ("negotiation", 3), ("closing", 2), ("won", 2)]
    assert digest.elapsed == 1.0  # Monday 30 November: the last day of the reps' month
    # Alice: 12 000 of 15 000 and nothing closing in November; Bruno 3 000 of 50 000 and 40 % of 20 000 closing on the 30th.
    assert [(r.name, r.attainment, r.projected) for r in digest.reps] == [("Alice", 0.8, 0.8), ("Bruno", 0.06, 0.22)]


def test_weekly_trend_and_stage_funnel_are_one_statement_each(session_factory, engine, seeded):
    scope = kpis.KpiScope(seeded.ws, (seeded["Alice"], seeded["Bruno"], seeded["Xavier"]), SEPT_7, date(2026, 11, 29), PARIS)
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with session_factory() as s:
            trend = kpis.weekly_trend(s, scope)
            funnel = kpis.stage_funnel(s, scope)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(statements) == 2
    assert trend[seeded["Xavier"]][-1] == kpis.TrendWeek(date(2026, 11, 23), {"EUR": D("7000.00")}, 1)
    assert funnel[seeded["Xavier"]] == {"lead": 1, "qualification": 1, "proposal": 1, "negotiation": 1, "closing": 1, "won": 1}
    assert funnel[seeded["Bruno"]] == {"lead": 3, "qualification": 3, "proposal": 2, "negotiation": 1, "closing": 1, "won": 1}


def test_the_digest_carries_three_cockpit_charts_with_alt_text_beside_valid_block_kit(session_factory, seeded):
    _digest, _ctx, reply = nadias_digest(session_factory, seeded)
    check_message(reply)  # the digest itself: valid Block Kit within Slack's limits
    [chart, attainment, trend, funnel] = reply.attachments
    assert chart.filename == "carnet-digest-2026-11-23.png"  # the digest's own chart, first as before
    assert [a.filename for a in (attainment, trend, funnel)] == [
        "carnet-attainment-2026-11-23.png", "carnet-trend-2026-11-23.png", "carnet-funnel-2026-11-23.png"]
    assert attainment.title == "Atteinte de l'objectif de CA, atteint et projeté — 23 nov. 2026"
    assert attainment.data["alt"] == ("Atteinte de l'objectif de 2 commerciaux, 100\u00a0% de la période écoulée : "
                                      "0 à 100 % ou plus, 1 sous 50 %, médiane 43\u00a0%, projection médiane 51\u00a0%.")
    assert trend.data["alt"] == ("Tendance sur 12 semaines : gagné 0\u00a0€ la semaine du 7 sept. 2026, "
                                        "12\u202f000\u00a0€ la semaine du 23 nov. 2026 (total 15\u202f000\u00a0€) ; 8 actions, de 0 à 5 par semaine.")
    assert funnel.data["alt"].startswith("Entonnoir des affaires : piste 6 (100\u00a0% passent à l'étape suivante), "
                                         "qualification 6 (83\u00a0% passent")
    for attachment in (attainment, trend, funnel):
        row = outbox.file_payload(ToMember("UNADIA"), attachment)
        assert json.loads(json.dumps(row)) == row  # plain JSON, as the outbox keeps it
        assert files.alt_text(row) == attachment.data["alt"]
        assert files.content(row).startswith(b"\x89PNG\r\n\x1a\n")  # drawn as the delivery worker draws it


def test_at_1000_reps_the_digest_attainment_chart_shows_twenty_reps_and_the_others_together():
    reps = [RepWeek(i, f"Rep {i:04d}", 0, 0, 0, 0, D(0), D(0), i / 1000, projected=i / 800) for i in range(1000)]
    digest = WeeklyDigest(1, date(2026, 11, 23), date(2026, 11, 29), "EUR", reps=reps, elapsed=0.5)
    from bot.present import MemberReader

    reader = MemberReader("en", PARIS, NOW, "Nadia")
    [attainment, trend, funnel] = digest_charts(reader, digest)
    data = attainment.data
    assert len(data["top"]) == len(data["bottom"]) == EDGE_REPS and data["others"]["count"] == 980
    assert data["top"][0][0] == "Rep 0999" and data["bottom"][-1][0] == "Rep 0000"
    assert data["alt"].startswith("Attainment of 1,000 reps, 50% of the period elapsed")
    assert len(data["alt"]) < 1000  # Slack's alt_txt limit, whatever the team's size
    assert files.content({files.CHART_FIELD: data}).startswith(b"\x89PNG")
    assert trend.data["alt"] == funnel.data["alt"] == "No data yet."


def test_won_in_a_currency_without_a_rate_is_shown_apart_in_the_trend(session_factory, seeded):
    with session_factory() as s, s.begin():
        Builder(s, seeded).deal("Alice", "Beta", "Export", "2000",
                                [(Z(2026, 11, 2, 9), "proposal", 40), (Z(2026, 11, 26, 9), "won", 100)], currency="USD")
    digest, _ctx, reply = nadias_digest(session_factory, seeded)
    assert digest.trend[-1][1] == Converted(D("12000.00"), "EUR", {"USD": D("2000.00")})
    trend = reply.attachments[2].data
    assert trend["weeks"][-1][1] == 12000.0  # the bars hold what has a rate, never dollars counted as euros
    assert trend["note"] == "2\u202f000\u00a0$US (sans taux de change)"
    assert trend["alt"].endswith(" 2\u202f000\u00a0$US (sans taux de change)")
    assert money_text("fr", digest.trend[-1][1]) == "12\u202f000\u00a0€ + 2\u202f000\u00a0$US (sans taux de change)"
