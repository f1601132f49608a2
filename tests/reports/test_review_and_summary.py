"""End-of-period review briefs (for the rep, and privately for their manager) and the team's period
summary, for the hand-built team of ``tests/reports/test_digest.py`` at Monday 30 November 2026,
08:00 in Paris — the last day of everyone's November.

Bruno: objective 50 000 €, won 3 000 € (6 %), "Renouvellement" (20 000 € at 40 %) expected to
close today → projected (3 000 + 8 000) / 50 000 = 22 %; 0 of 1 planned visit done; his gold
account Fjord has 0 of its 4 visits; two deals stalled since 20/10 (41 days) and 15/10 (46 days).
Alice: objective 15 000 €, won 12 000 € (80 %), nothing closing in November; 2 of 2 visits;
"Extension" went proposal 40 % → negotiation 40 %.
Nadia's team in November: won 15 000 € of a 100 000 € team objective (15 %), 2 of 5 won deals (40 %).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, select

from bot.dialogs.context import Context
from bot.present import reports as present
from bot.reports.coaching import period_summary, review_brief, review_briefs
from bot.reports.pipeline import pipeline_report
from bot.services import workspace_settings
from bot.services.team import team_of
from storage.models import Member, Opportunity, Workspace
from tests.reports.test_digest import NBSP, NNBSP, NOW, Seeded, lines, seed_team

D = Decimal
def EUR(n) -> str:
    return f"{n}{NBSP}€"


def K(a, b="000") -> str:
    """French thousands: 12 000 with a narrow no-break space."""
    return f"{a}{NNBSP}{b}"


# Words that would blame rather than help: none may appear in a brief.
BLAME = ("échec", "insuffisant", "mauvais", "faute", "en retard", "failure", "poor", "bad ", "behind", "fault")


def brief_lines(session_factory, seeded: Seeded, rep: str, *, for_manager: bool, reader: str | None = None):
    with session_factory() as s:
        member = s.get(Member, seeded[rep])
        workspace = s.get(Workspace, seeded.ws)
        brief = review_brief(s, member, now=NOW, settings=workspace_settings.load(workspace))
        who = s.get(Member, seeded[reader or rep])
        ctx = Context(session=s, workspace=workspace, member=who, now=NOW)
        return brief, lines(present.review_reply(ctx, brief, for_manager=for_manager))


def summary_lines(session_factory, seeded: Seeded, manager: str = "Nadia", *, show_amounts: bool = True):
    with session_factory() as s:
        member = s.get(Member, seeded[manager])
        workspace = s.get(Workspace, seeded.ws)
        settings = workspace_settings.load(workspace)
        summary = period_summary(s, member, team_of(s, member), now=NOW, settings=settings, period_day=date(2026, 11, 30))
        ctx = Context(session=s, workspace=workspace, member=member, now=NOW)
        return summary, lines(present.summary_reply(ctx, summary, show_amounts=show_amounts))


@pytest.fixture
def seeded(session_factory) -> Seeded:
    return seed_team(session_factory)


# --------------------------------------------------------------------------- review briefs


def test_the_review_brief_of_a_rep_behind_their_objective(session_factory, seeded):
    brief, shown = brief_lines(session_factory, seeded, "Bruno", for_manager=False)

    assert (brief.period_start, brief.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert (brief.target, brief.won, brief.closing) == (D(50000), D(3000), D(8000))
    assert (brief.attainment, brief.projected) == (0.06, 0.22)
    assert (brief.visits_done, brief.visits_planned) == (0, 1)
    assert brief.under_visited_gold == [("Fjord", 0, 4)]
    assert [(d.account, d.title, d.idle_days) for d in brief.stalled] == [("Fjord", "Renouvellement", 41), ("Ibis", "Pilote", 46)]
    assert brief.flat_probabilities == []
    assert brief.talking_points == ["objective", "gold", "stalled"]
    assert shown == [
        ":mag: *Votre revue de période* — Bruno, fin de période le 30 nov. 2026",
        (f"Gagné {EUR(K(3))} sur {EUR(K(50))} (6{NBSP}%) ; avec les affaires pondérées attendues ({EUR(K(8))}), "
         f"projection 22{NBSP}%."),
        "Visites : 0 faites sur 1 prévues.",
        "Comptes or sous-visités : Fjord (0/4).",
        "Affaires en panne : Fjord — Renouvellement (41 j), Ibis — Pilote (46 j).",
        "*Points à aborder*",
        "• Quelles deux affaires peuvent réellement se conclure d'ici le 30 nov. 2026, et qu'est-ce qui les aiderait ?",
        "• Prévoir la prochaine visite de chaque compte or sous-visité.",
        "• Pour chaque affaire en panne : un appel pour la relancer, ou la clore perdue pour assainir le pipeline.",
    ]
    points = shown[shown.index("*Points à aborder*") + 1:]
    assert 2 <= len(points) <= 3
    assert not any(word in line.lower() for line in shown for word in BLAME)


def test_the_managers_private_copy_carries_the_same_figures_under_its_own_title(session_factory, seeded):
    _brief, for_rep = brief_lines(session_factory, seeded, "Bruno", for_manager=False)
    _brief, for_manager = brief_lines(session_factory, seeded, "Bruno", for_manager=True, reader="Nadia")

    assert for_manager[0] == ":mag: *Revue de période de Bruno* — fin le 30 nov. 2026 (privé)"
    assert for_manager[1:] == for_rep[1:]


def test_the_review_brief_of_a_rep_on_track_with_a_flat_probability(session_factory, seeded):
    brief, shown = brief_lines(session_factory, seeded, "Alice", for_manager=False)

    assert (brief.target, brief.won, brief.closing, brief.attainment, brief.projected) == (D(15000), D(12000), D(0), 0.8, 0.8)
    assert brief.flat_probabilities == [("Extension", "Beta", "negotiation", 40)]
    assert brief.under_visited_gold == [] and brief.stalled == []
    assert shown == [
        ":mag: *Votre revue de période* — Alice, fin de période le 30 nov. 2026",
        (f"Gagné {EUR(K(12))} sur {EUR(K(15))} (80{NBSP}%) ; avec les affaires pondérées attendues ({EUR(0)}), "
         f"projection 80{NBSP}%."),
        "Visites : 2 faites sur 2 prévues.",
        f"Probabilités qui n'ont pas monté avec l'étape : Beta — Extension (négociation, 40{NBSP}%).",
        "*Points à aborder*",
        "• Revoir les chances des affaires dont la probabilité n'a pas bougé avec l'étape.",
        "• Célébrer les victoires et noter ce qui les a rendues possibles.",
    ]


def test_an_english_review_uses_english_formats(session_factory, seeded):
    """Xavier (en, New York): 7 000 € won of 10 000 € on his November, read on his 30 November."""
    _brief, shown = brief_lines(session_factory, seeded, "Xavier", for_manager=True, reader="Marc")

    assert shown[0] == ":mag: *Period review of Xavier* — period ending Nov 30, 2026 (private)"
    assert shown[1] == "Won €7,000 of €10,000 (70%); with the weighted deals expected to close (€0), projected 70%."
    assert shown[2] == "Visits: 0 done of 0 planned."
    assert shown[3] == "*Talking points*"
    assert shown[4].startswith("• Which two deals can realistically close by Nov 30, 2026")


# --------------------------------------------------------------------------- the team's period summary


def test_the_period_summary_carries_collective_progress_and_wins(session_factory, seeded):
    summary, shown = summary_lines(session_factory, seeded)

    assert summary.team_targets == {"revenue": D(100000), "won_deals": D(5)}
    assert (summary.team_achieved["revenue"], summary.team_achieved["won_deals"]) == (D(15000), D(2))
    assert shown == [
        ":checkered_flag: *Bilan de période de l'équipe* — 1 nov. 2026 → 30 nov. 2026",
        f"• chiffre d'affaires gagné : {EUR(K(15))} sur {EUR(K(100))} (15{NBSP}%)",
        f"• affaires gagnées : 2 sur 5 (40{NBSP}%)",
        "*Victoires* (2)",
        f":trophy: Alice — *Acme*, Contrat cadre : {EUR(K(12))}",
        f":trophy: Bruno — *Hudson*, Petit lot : {EUR(K(3))}",
        "Merci à toutes et à tous — en route pour la prochaine période !",
    ]


def test_the_summary_without_amounts_names_wins_only(session_factory, seeded):
    _summary, shown = summary_lines(session_factory, seeded, show_amounts=False)

    assert f"• chiffre d'affaires gagné : 15{NBSP}% de l'objectif d'équipe" in shown
    assert ":trophy: Bruno — *Hudson*, Petit lot" in shown
    assert "€" not in "\n".join(shown)


def test_a_rep_far_below_their_objective_is_never_named_in_the_summary_without_a_win(session_factory, seeded):
    """Bruno is at 6 % of his objective; without his win, the summary does not name him at all."""
    with session_factory() as s, s.begin():
        s.execute(delete(Opportunity).where(Opportunity.title == "Petit lot"))
    _summary, shown = summary_lines(session_factory, seeded)
    text = "\n".join(shown)

    assert "Bruno" not in text
    assert "Alice" in text  # her win is celebrated
    assert f"• chiffre d'affaires gagné : {EUR(K(12))} sur {EUR(K(100))} (12{NBSP}%)" in shown


def test_another_workspaces_wins_never_reach_this_summary(session_factory, seeded):
    other = seed_other_workspace(session_factory)
    _summary, shown = summary_lines(session_factory, seeded)
    assert other not in "\n".join(shown)


def seed_other_workspace(session_factory) -> str:
    """Workspace T2 with its own Bruno-like rep, a win on 20/11: none of it may show in T1."""
    from tests.reports.test_digest import LONG_AGO, Builder, Z

    other = Seeded()
    with session_factory() as s, s.begin():
        ws = Workspace(team_id="T2", name="Other", settings={}, created_at=LONG_AGO)
        s.add(ws)
        s.flush()
        other.ws = ws.id
        b = Builder(s, other)
        b.member("Olga", role="manager", user="UOLGA")
        b.member("Oscar", manager="Olga", user="UOSCAR")
        b.account("Acme", "Oscar", "gold", 2)  # same account name, other workspace
        b.deal("Oscar", "Acme", "Secret", "99000", [(Z(2026, 10, 1, 9), "proposal", 40), (Z(2026, 11, 20, 9), "won", 100)])
    with session_factory() as s:
        assert s.scalar(select(Opportunity.id).where(Opportunity.title == "Secret")) is not None
    return "Secret"


# --------------------------------------------------------------------------- all briefs at once


@pytest.mark.parametrize(
    "xavier_tz, xavier_period",
    [("America/New_York", "month"), ("Europe/Paris", "month"), ("Europe/Paris", "week")],
)
def test_all_review_briefs_at_once_are_each_reps_brief_alone(session_factory, seeded, xavier_tz, xavier_period):
    """The scheduler builds a month end's briefs together (one grouped query per figure over every
    rep of a period and zone): each must be exactly the rep's brief alone, and its stalled deals
    the ones the pipeline report lists for the rep — whether the reps share a scope or not."""
    with session_factory() as s, s.begin():
        xavier = s.get(Member, seeded["Xavier"])
        xavier.tz, xavier.period = xavier_tz, xavier_period
    with session_factory() as s:
        settings = workspace_settings.load(s.get(Workspace, seeded.ws))
        reps = [s.get(Member, seeded[name]) for name in ("Alice", "Bruno", "Xavier")]
        together = review_briefs(s, reps, now=NOW, settings=settings)
        alone = {rep.id: review_brief(s, rep, now=NOW, settings=settings) for rep in reps}
        listed = {
            rep.id: pipeline_report(
                s, seeded.ws, [rep.id], period_start=alone[rep.id].period_start, period_end=alone[rep.id].period_end,
                now=NOW, today=NOW.astimezone(ZoneInfo(rep.tz)).date(), zone=ZoneInfo(rep.tz),
                stalled_after_days=settings.stalled_after_days, stalled_limit=5,
            ).stalled
            for rep in reps
        }

    assert together == alone
    assert {rep_id: brief.stalled for rep_id, brief in together.items()} == listed
    bruno, alice = together[seeded["Bruno"]], together[seeded["Alice"]]
    assert len(bruno.stalled) == 2 and alice.flat_probabilities and bruno.under_visited_gold  # not a vacuous check
    assert {b.name for b in together.values()} == {"Alice", "Bruno", "Xavier"}


def test_briefs_of_many_reps_cost_the_statements_of_one(session_factory, seeded):
    engine = session_factory.kw["bind"]
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with session_factory() as s:
        settings = workspace_settings.load(s.get(Workspace, seeded.ws))
        reps = [s.get(Member, seeded[name]) for name in ("Alice", "Bruno")]  # one period, one zone
        event.listen(engine, "before_cursor_execute", listener)
        try:
            review_briefs(s, reps[:1], now=NOW, settings=settings)
            one = len(statements)
            statements.clear()
            review_briefs(s, reps, now=NOW, settings=settings)
            two = len(statements)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert one == two <= 10
