"""The manager's review pack and the rep's brief, on the hand-built team of
``tests/reports/test_digest.py`` at Monday 30 November 2026, 08:00 in Paris (everyone's November
ends today), with a few more rows:

Bruno   objectives also 10 visits and 2 won deals (1 visit, 1 deal won in November: 10 %, 50 %);
        13 relances due in November, 6 of them missed; lost "Appel d'offres" (Ibis, 15 000 €) and
        "Maintenance" (Hudson, 2 000 €), both for "prix"; "Extension Hudson" (4 000 €) was to
        close on 20 October and is still open; in October he won "Octobre" (5 000 €) and logged
        2 actions. Projected revenue 22 % → at risk, listed first although "Alice" sorts first.
        Talking points: the gap (39 000 € short), the relances (6 of 13), the late deal.
Alice   on track (80 %); "Extension"'s probability did not rise; 1 deal won.
Chloé   no objective; 24 calls in November, won 1 deal of 5 closed (20 %), 4 lost without a
        reason: "work on qualification".
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.dialogs.context import Context
from bot.present.review import brief_reply, pack_reply
from bot.reports.review import review_pack, rep_reviews
from bot.services import workspace_settings
from storage.models import Member, Workspace
from tests.reports.test_digest import NBSP, NNBSP, NOW, Builder, Seeded, seed_team
from tests.support.fixtures import Z

from bot.render.blocks import reply_blocks


def text_of(reply) -> str:
    return "\n".join(b["text"]["text"] for b in reply_blocks(reply) if b.get("type") == "section")


@pytest.fixture
def seeded(session_factory) -> Seeded:
    seeded = seed_team(session_factory)
    with session_factory() as s, s.begin():
        b = Builder(s, seeded)
        b.objective("Bruno", "visits", "10")
        b.objective("Bruno", "won_deals", "2")
        for i in range(13):  # relances on 2, 4, … 26 November; the first six missed
            b.plan("Bruno", "Hudson", Z(2026, 11, 2 + 2 * i, 9), "missed" if i < 6 else "done", action_type="follow_up")
        b.plan("Bruno", "Hudson", Z(2026, 12, 3, 9), "planned", action_type="follow_up")  # not due yet
        b.deal("Bruno", "Ibis", "Appel d'offres", "15000", [(Z(2026, 10, 1, 9), "proposal", 40), (Z(2026, 11, 10, 9), "lost", 0)])
        b.deal("Bruno", "Hudson", "Maintenance", "2000", [(Z(2026, 10, 1, 9), "proposal", 40), (Z(2026, 11, 12, 9), "lost", 0)])
        b.deal("Bruno", "Hudson", "Extension Hudson", "4000", [(Z(2026, 10, 1, 9), "proposal", 40)], close=date(2026, 10, 20))
        b.deal("Bruno", "Hudson", "Octobre", "5000", [(Z(2026, 9, 1, 9), "proposal", 40), (Z(2026, 10, 10, 9), "won", 100)])
        b.action("Bruno", "Hudson", "call", date(2026, 10, 5))
        b.action("Bruno", "Fjord", "visit", date(2026, 10, 12))
        b.member("Chloé", manager="Nadia")
        b.account("Jade", "Chloé", "bronze", 1)
        for i in range(24):
            b.action("Chloé", "Jade", "call", date(2026, 11, 2) + timedelta(days=i))
        b.deal("Chloé", "Jade", "C1", "1000", [(Z(2026, 10, 1, 9), "proposal", 40), (Z(2026, 11, 5, 9), "won", 100)])
        for n in range(2, 6):
            b.deal("Chloé", "Jade", f"C{n}", "1000", [(Z(2026, 10, 1, 9), "proposal", 40), (Z(2026, 11, 5 + n, 9), "lost", 0)])
        s.flush()
        from storage.models import Opportunity
        from sqlalchemy import update
        s.execute(update(Opportunity).where(Opportunity.title.in_(("Appel d'offres", "Maintenance"))).values(close_reason="prix"))
    return seeded


def pack_for(session_factory, seeded, manager="Nadia"):
    with session_factory() as s:
        workspace = s.get(Workspace, seeded.ws)
        settings = workspace_settings.load(workspace)
        member = s.get(Member, seeded[manager])
        reps = [s.get(Member, seeded[n]) for n in ("Alice", "Bruno", "Chloé")]
        pack = review_pack(s, member, reps, now=NOW, settings=settings)
        ctx = Context(session=s, workspace=workspace, member=member, now=NOW)
        return pack, text_of(pack_reply(ctx, pack))


def test_the_pack_lists_reps_at_risk_first_with_every_fact_and_its_number(session_factory, seeded):
    pack, shown = pack_for(session_factory, seeded)
    assert [r.brief.name for r in pack.reps] == ["Bruno", "Alice", "Chloé"]
    assert [r.at_risk for r in pack.reps] == [True, False, False]
    bruno, alice, chloe = pack.reps

    assert [(g.metric, g.achieved, g.target, g.ratio, g.projected) for g in bruno.goals] == [
        ("revenue", 3000, 50000, 0.06, 0.22), ("visits", 1, 10, 0.1, 0.1), ("won_deals", 1, 2, 0.5, 0.5)]
    assert (bruno.relances_due, bruno.relances_missed) == (13, 6)
    assert [(d.title, d.amount, d.reason) for d in bruno.lost] == [("Appel d'offres", 15000, "prix"), ("Maintenance", 2000, "prix")]
    assert [(d.title, d.day) for d in bruno.late] == [("Extension Hudson", date(2026, 10, 20))]
    assert (bruno.conversion.won, bruno.conversion.lost) == (1, 2)
    assert bruno.by_type == {"call": 1, "visit": 1} and bruno.by_channel == {"phone": 1, "in_person": 1}
    assert [(t.start, t.won, t.actions) for t in bruno.trend] == [
        (date(2026, 8, 1), 0, 0), (date(2026, 9, 1), 0, 0), (date(2026, 10, 1), 5000, 2)]
    assert bruno.points == [
        ("gap", {"projected": 0.22, "gap": 39000}),
        ("relances", {"missed": 6, "due": 13}),
        ("late", {"count": 1}),
    ]
    assert alice.points == [("probabilities", {"count": 1}), ("wins", {"count": 1})]
    assert chloe.goals == [] and chloe.actions == 24
    assert chloe.points == [("qualification", {"rate": 0.2, "won": 1, "closed": 5, "actions": 24}), ("lost", {"count": 4, "reason": ""})]

    lines = shown.split("\n")
    assert lines[0] == ":mag: *Revues de période de votre équipe* — 3 commerciaux, 1 à risque (privé)"
    assert lines[1] == ":warning: *Bruno* — à risque — période du 1 nov. 2026 au 30 nov. 2026"
    k = lambda a: f"{a}{NNBSP}000{NBSP}€"  # noqa: E731
    for expected in (
        f"• chiffre d'affaires gagné : 3{NNBSP}000{NBSP}€ sur {k(50)} (6{NBSP}%), projection 22{NBSP}%",
        f"• visites : 1 sur 10 (10{NBSP}%), projection 10{NBSP}%",
        f"• affaires gagnées : 1 sur 2 (50{NBSP}%), projection 50{NBSP}%",
        "Activité : 2 actions — par type : appel 1, visite 1 ; par canal : en personne 1, téléphone 1",
        "Visites faites / prévues : 0/1",
        "Relances manquées / dues : 6/13",
        f"Conversion : 33{NBSP}% des affaires conclues gagnées (1 sur 3)",
        f"Perdues : Ibis — Appel d'offres ({k(15)}, prix), Hudson — Maintenance (2{NNBSP}000{NBSP}€, prix)",
        f"Date de conclusion dépassée : Hudson — Extension Hudson (4{NNBSP}000{NBSP}€, 20 oct. 2026)",
        f"• Projection à 22{NBSP}% de l'objectif de CA : il manque {k(39)} d'ici le 30 nov. 2026 — quelles affaires peuvent se conclure, et qu'est-ce qui les aiderait ?",
        "• 6 relances manquées sur 13 : planifier les relances ensemble.",
        "• 1 affaire a dépassé sa date de conclusion : la redater ou la clore.",
        f"• 24 actions mais seulement 20{NBSP}% des affaires conclues gagnées (1 sur 5) : travailler la qualification.",
        "*Alice* — période du 1 nov. 2026 au 30 nov. 2026",
    ):
        assert expected in lines, expected
    trend = next(line for line in lines if line.startswith("Tendance"))
    assert trend.endswith(f"1 oct. 2026 : 5{NNBSP}000{NBSP}€, 2 actions")
    # Bruno's section comes first: everything about him precedes Alice's heading.
    assert lines.index("• 6 relances manquées sur 13 : planifier les relances ensemble.") < lines.index(
        "*Alice* — période du 1 nov. 2026 au 30 nov. 2026")


def test_the_reps_brief_is_their_section_of_the_pack_and_nobody_elses(session_factory, seeded):
    with session_factory() as s:
        workspace = s.get(Workspace, seeded.ws)
        settings = workspace_settings.load(workspace)
        bruno = s.get(Member, seeded["Bruno"])
        review = rep_reviews(s, [bruno], now=NOW, settings=settings)[bruno.id]
        ctx = Context(session=s, workspace=workspace, member=bruno, now=NOW)
        shown = text_of(brief_reply(ctx, review, settings.currency))
    assert shown.split("\n")[0] == ":mag: *Votre revue de période* — Bruno, fin de période le 30 nov. 2026"
    assert "• 6 relances manquées sur 13 : planifier les relances ensemble." in shown
    assert "Alice" not in shown and "Chloé" not in shown and "à risque" not in shown


def test_reviews_of_many_reps_at_once_are_each_reps_alone(session_factory, seeded):
    with session_factory() as s:
        settings = workspace_settings.load(s.get(Workspace, seeded.ws))
        reps = [s.get(Member, seeded[n]) for n in ("Alice", "Bruno", "Chloé", "Xavier")]
        together = rep_reviews(s, reps, now=NOW, settings=settings)
        for rep in reps:
            alone = rep_reviews(s, [rep], now=NOW, settings=settings)[rep.id]
            assert together[rep.id] == alone, rep.display_name
