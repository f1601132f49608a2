"""The managers' weekly digest for a hand-built team, at a fixed clock, on SQLite and PostgreSQL.

The clock: Monday 30 November 2026, 08:00 in Paris (07:00 UTC). "Last week" is Monday 23 to
Sunday 29 November; "the week before" is 16–22 November. Every rep's period is November
(month), which ends today.

Nadia (manager, fr, Paris) leads Alice and Bruno; Marc (manager, en, New York) leads Xavier;
Ada is the workspace admin (no team of her own: every rep has a manager). The figures, by hand:

Alice   last week: visit Acme 23/11, call Acme 24/11, visit Beta 26/11, email Beta 27/11 → 4
        actions, 2 visits; planned visits Acme 23/11 (done), Beta 26/11 (done) → 2/2.
        Won "Contrat cadre" (Acme, 12 000 €) on 25/11; lost "Essai" (Gamma, 5 000 €) on 27/11.
        Open: "Extension" (Beta, 10 000 €, negotiation 40 %, created 24/11, closes 15/12):
        weighted 4 000 €; it went proposal 40 % → negotiation 40 %: its odds did not rise.
        November objective 15 000 € → 12 000 / 15 000 = 80 % (projected 80 %: not at risk).
        Gold account Acme: capital 2, 1 visit in November ≥ half of 2: not under-visited.
Bruno   last week: call Hudson 25/11 → 1 action, 0 visits; planned visit Fjord 24/11 (missed) → 0/1.
        Won "Petit lot" (Hudson, 3 000 €) on 18/11 (the week before).
        Open: "Renouvellement" (Fjord, 20 000 € proposal 40 %, closes 30/11, untouched since
        20/10) and "Pilote" (Ibis, 8 000 € qualification 20 %, untouched since 15/10): both
        stalled (21 days), weighted 8 000 + 1 600 = 9 600 €.
        November objective 50 000 € → 3 000 / 50 000 = 6 %; projected (3 000 + 8 000 closing
        in November) / 50 000 = 22 % < 80 %: at risk. Gold account Fjord: capital 4, 0 visits.
The week before: Alice call 17/11 and visit Gamma Sunday 22/11, Bruno visit Hudson 18/11 → 3
actions; won 3 000 €. Alice's call of today (30/11) belongs to no week of the digest.

Team (Nadia's): 5 actions, 2 visits, 1 new deal (Extension), won 12 000 €, weighted pipeline
4 000 + 9 600 = 13 600 €; since the week before: actions +2, won +9 000 €.
Risks, most pressing first: Bruno's objective (3 + 0.78), Bruno's gold account (1.5 + 0.1),
Bruno's 2 stalled deals (1 + 0.2), Alice's flat probability (0.5 + 0.1).

Xavier (Marc's, New York): visit Kappa 24/11, won "Hors équipe" (Kappa, 7 000 €) on 24/11;
objective 10 000 € → 70 %. None of it may show in Nadia's digest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.core import Reply, ToMember
from bot.dialogs.context import Context
from bot.present import reports as present
from bot.render.blocks import reply_blocks
from bot.reports.coaching import RepWeek, Risk, weekly_digest, weekly_digests
from bot.services import outbox, workspace_settings
from bot.services.actions import CHANNEL_OF_TYPE
from bot.services.team import team_of
from storage.models import (
    Account,
    Action,
    Member,
    Objective,
    Opportunity,
    OpportunityStageChange,
    Plan,
    Workspace,
)
from tests.support.fixtures import Z

D = Decimal
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 30 November 2026, 08:00 in Paris
LONG_AGO = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)
TEAM_CHANNEL = "CTEAM"
NBSP, NNBSP = "\u00a0", "\u202f"


@dataclass
class Seeded:
    ws: int = 0
    ids: dict[str, int] = field(default_factory=dict)  # member and account ids by name
    users: dict[str, str] = field(default_factory=dict)  # Slack ids by name

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


class Builder:
    """Rows made with the ORM, with terse helpers (every instant is UTC)."""

    def __init__(self, s: Session, seeded: Seeded) -> None:
        self.s = s
        self.seeded = seeded

    def add(self, row: Any) -> Any:
        self.s.add(row)
        self.s.flush()
        return row

    def member(self, name: str, *, role: str = "rep", manager: str | None = None, locale: str = "fr",
               tz: str = "Europe/Paris", period: str = "month", user: str | None = None) -> Member:
        user = user or "U" + name.upper()
        m = self.add(Member(workspace_id=self.seeded.ws, slack_user_id=user, display_name=name, role=role,
                            manager_id=self.seeded[manager] if manager else None, locale=locale, tz=tz,
                            period=period, created_at=LONG_AGO))
        self.seeded.ids[name] = m.id
        self.seeded.users[name] = user
        return m

    def account(self, name: str, owner: str, segment: str | None = None, target: int | None = None) -> None:
        a = self.add(Account(workspace_id=self.seeded.ws, name=name, name_key=name.lower(), status="client",
                             segment=segment, owner_id=self.seeded[owner], visits_per_year=target * 12 if target else None, created_at=LONG_AGO))
        self.seeded.ids[name] = a.id

    def action(self, who: str, where: str, action_type: str, day: date) -> None:
        self.s.add(Action(workspace_id=self.seeded.ws, member_id=self.seeded[who], account_id=self.seeded[where],
                          action_type=action_type, channel=CHANNEL_OF_TYPE[action_type], occurred_on=day,
                          logged_at=Z(day.year, day.month, day.day, 16)))

    def plan(self, who: str, where: str, due: datetime, status: str, action_type: str = "visit") -> None:
        self.s.add(Plan(workspace_id=self.seeded.ws, member_id=self.seeded[who], account_id=self.seeded[where],
                        action_type=action_type, due_at=due, has_time=True, status=status, created_at=LONG_AGO,
                        updated_at=LONG_AGO))

    def deal(self, who: str, where: str, title: str, amount: str, history: list[tuple[datetime, str, int]], *,
             close: date | None = None, currency: str = "EUR") -> Opportunity:
        """``history``: (when, stage, probability); the first row creates the deal, a won/lost row closes it."""
        last_at, stage, probability = history[-1]
        status = stage if stage in ("won", "lost") else "open"
        o = self.add(Opportunity(workspace_id=self.seeded.ws, member_id=self.seeded[who],
                                 account_id=self.seeded[where], title=title, amount=D(amount), currency=currency,
                                 probability=probability, stage=stage, status=status, expected_close_on=close,
                                 created_at=history[0][0], updated_at=last_at,
                                 closed_at=last_at if status != "open" else None))
        previous = None
        for changed_at, to_stage, p in history:
            self.s.add(OpportunityStageChange(workspace_id=self.seeded.ws, opportunity_id=o.id,
                                              member_id=self.seeded[who], from_stage=previous, to_stage=to_stage,
                                              probability=p, amount=D(amount), changed_at=changed_at))
            previous = to_stage
        return o

    def objective(self, who: str, metric: str, value: str, *, team: bool = False, period: str = "month",
                  start: date = NOV_1, end: date = NOV_30) -> None:
        owner = self.seeded[who]
        self.s.add(Objective(workspace_id=self.seeded.ws, scope=f"{'team' if team else 'member'}:{owner}",
                             member_id=None if team else owner, team_manager_id=owner if team else None,
                             metric=metric, period=period, period_start=start, period_end=end, value=D(value),
                             created_at=LONG_AGO, updated_at=LONG_AGO))


def seed_team(session_factory: sessionmaker[Session], *, nadia_locale: str = "fr") -> Seeded:
    """The team of the module docstring."""
    seeded = Seeded()
    with session_factory() as s, s.begin():
        ws = Workspace(team_id="T1", name="Acme", settings={"team_channel": TEAM_CHANNEL}, created_at=LONG_AGO)
        s.add(ws)
        s.flush()
        seeded.ws = ws.id
        b = Builder(s, seeded)
        b.member("Ada", role="admin")
        b.member("Nadia", role="manager", locale=nadia_locale)
        b.member("Alice", manager="Nadia")
        b.member("Bruno", manager="Nadia")
        b.member("Marc", role="manager", locale="en", tz="America/New_York")
        b.member("Xavier", manager="Marc", locale="en", tz="America/New_York")

        b.account("Acme", "Alice", "gold", 2)
        b.account("Beta", "Alice", "silver", 3)
        b.account("Gamma", "Alice", "bronze", 1)
        b.account("Fjord", "Bruno", "gold", 4)
        b.account("Hudson", "Bruno", "bronze", 1)
        b.account("Ibis", "Bruno", "silver", 2)
        b.account("Kappa", "Xavier", "bronze", 1)

        # Last week.
        b.action("Alice", "Acme", "visit", date(2026, 11, 23))
        b.action("Alice", "Acme", "call", date(2026, 11, 24))
        b.action("Alice", "Beta", "visit", date(2026, 11, 26))
        b.action("Alice", "Beta", "email", date(2026, 11, 27))
        b.action("Bruno", "Hudson", "call", date(2026, 11, 25))
        b.action("Xavier", "Kappa", "visit", date(2026, 11, 24))
        # The week before, and today.
        b.action("Alice", "Acme", "call", date(2026, 11, 17))
        b.action("Bruno", "Hudson", "visit", date(2026, 11, 18))
        b.action("Alice", "Gamma", "visit", date(2026, 11, 22))
        b.action("Alice", "Beta", "call", date(2026, 11, 30))

        b.plan("Alice", "Acme", Z(2026, 11, 23, 9), "done")
        b.plan("Alice", "Beta", Z(2026, 11, 26, 13), "done")
        b.plan("Bruno", "Fjord", Z(2026, 11, 24, 9), "missed")

        b.deal("Alice", "Acme", "Contrat cadre", "12000",
               [(Z(2026, 10, 1, 9), "lead", 10), (Z(2026, 11, 2, 9), "proposal", 40), (Z(2026, 11, 25, 10), "won", 100)])
        b.deal("Alice", "Gamma", "Essai", "5000",
               [(Z(2026, 10, 5, 9), "proposal", 40), (Z(2026, 11, 27, 10), "lost", 0)])
        b.deal("Alice", "Beta", "Extension", "10000",
               [(Z(2026, 11, 24, 10), "proposal", 40), (Z(2026, 11, 26, 10), "negotiation", 40)],
               close=date(2026, 12, 15))
        b.deal("Bruno", "Hudson", "Petit lot", "3000",
               [(Z(2026, 10, 1, 9), "proposal", 40), (Z(2026, 11, 18, 10), "won", 100)])
        b.deal("Bruno", "Fjord", "Renouvellement", "20000",
               [(Z(2026, 9, 15, 9), "lead", 10), (Z(2026, 10, 20, 9), "proposal", 40)], close=date(2026, 11, 30))
        b.deal("Bruno", "Ibis", "Pilote", "8000",
               [(Z(2026, 10, 1, 9), "lead", 10), (Z(2026, 10, 15, 9), "qualification", 20)], close=date(2027, 1, 15))
        b.deal("Xavier", "Kappa", "Hors équipe", "7000",
               [(Z(2026, 10, 1, 9), "proposal", 40), (Z(2026, 11, 24, 15), "won", 100)])

        b.objective("Alice", "revenue", "15000")
        b.objective("Bruno", "revenue", "50000")
        b.objective("Xavier", "revenue", "10000")
        b.objective("Nadia", "revenue", "100000", team=True)
        b.objective("Nadia", "won_deals", "5", team=True)
    return seeded


def lines(reply: Reply) -> list[str]:
    """The lines of the reply's message as Slack shows them (its first section)."""
    [section, *_rest] = reply_blocks(reply)
    return section["text"]["text"].split("\n")


def digest_for(session_factory, seeded: Seeded, manager: str, now: datetime = NOW):
    with session_factory() as s:
        member = s.get(Member, seeded[manager])
        workspace = s.get(Workspace, seeded.ws)
        settings = workspace_settings.load(workspace)
        digest = weekly_digest(s, member, team_of(s, member), now=now, settings=settings)
        ctx = Context(session=s, workspace=workspace, member=member, now=now)
        chart = outbox.file_payload(ToMember(member.slack_user_id), present.chart_attachment(ctx, digest))
        return digest, lines(present.digest_reply(ctx, digest)), chart


@pytest.fixture
def seeded(session_factory) -> Seeded:
    return seed_team(session_factory)


# --------------------------------------------------------------------------- the figures


def test_the_digest_figures_of_a_hand_built_team(session_factory, seeded):
    digest, _lines, _chart = digest_for(session_factory, seeded, "Nadia")

    assert (digest.week_start, digest.week_end) == (date(2026, 11, 23), date(2026, 11, 29))
    assert (digest.actions, digest.actions_before, digest.visits, digest.new_opportunities) == (5, 3, 2, 1)
    assert (digest.won_amount, digest.won_before, digest.weighted_pipeline) == (D(12000), D(3000), D(13600))
    assert digest.won_deals == [("Alice", "Acme", "Contrat cadre", D(12000))]
    assert digest.lost_deals == 1
    assert digest.reps == [
        RepWeek(seeded["Alice"], "Alice", 4, 2, 2, 2, D(4000), D(12000), 0.8),
        RepWeek(seeded["Bruno"], "Bruno", 1, 0, 1, 0, D(9600), D(0), 0.06),
    ]
    assert digest.stages == [
        ("qualification", D(8000), D(1600)),
        ("proposal", D(20000), D(8000)),
        ("negotiation", D(10000), D(4000)),
    ]
    assert [(r.name, r.kind, r.values) for r in digest.risks] == [
        ("Bruno", "objective", {"projected": 0.22, "end": "2026-11-30"}),
        ("Bruno", "gold", {"count": 1}),
        ("Bruno", "stalled", {"count": 2}),
        ("Alice", "optimistic", {"count": 1}),
    ]
    assert all(isinstance(r, Risk) and r.member_id in (seeded["Alice"], seeded["Bruno"]) for r in digest.risks)


def test_the_french_digest_reads_exactly_so(session_factory, seeded):
    """Amounts as Babel writes them in French (narrow no-break space for thousands, no-break
    space before €), days as "23 nov. 2026", percentages with a no-break space."""
    _digest, shown, _chart = digest_for(session_factory, seeded, "Nadia")
    def eur(n) -> str:
        return f"{n}{NBSP}€"

    def thousands(a, b) -> str:
        return f"{a}{NNBSP}{b}"

    assert shown == [
        ":bar_chart: *Digest de la semaine* — 23 nov. 2026 → 29 nov. 2026",
        (f"*Flash :* 5 actions, 2 visites, 1 nouvelles affaires, gagné {eur(thousands(12, '000'))} ; "
         f"pipeline pondéré {eur(thousands(13, '600'))}"),
        (f"*Par rapport à la semaine d'avant :* actions +2, gagné +{eur(thousands(9, '000'))} ; "
         "1 affaire gagnée, 1 perdue cette semaine"),
        ("*Par commercial* (actions · visites de la semaine : faites en personne, prévues ou non / planifiées · "
         "pipeline pondéré · gagné cette semaine · atteinte de l'objectif de CA sur la période)"),
        f"• *Alice* : 4 · 2/2 · {eur(thousands(4, '000'))} · {eur(thousands(12, '000'))} · 80{NBSP}%",
        # Team: revenue 15 000 / 100 000 (0.15), won deals 2 / 5 (0.4): C = 0.275.
        # Alice: 0.7 x 0.8 + 0.3 x 0.275 = 0.6425; Bruno: 0.7 x 0.06 + 0.3 x 0.275 = 0.1245.
        f"   objectifs : chiffre d'affaires gagné 80{NBSP}% — pondéré 64{NBSP}%",
        f"• *Bruno* : 1 · 0/1 · {eur(thousands(9, '600'))} · {eur(0)} · 6{NBSP}%",
        f"   objectifs : chiffre d'affaires gagné 6{NBSP}% — pondéré 12{NBSP}%",
        # Contacts weighted by channel: Alice 2 visits (1.0) + a call (0.5) + an email (0.2); Bruno a call.
        "Intensité commerciale (contacts pondérés par canal) : 3,2 (Alice 2,7 · Bruno 0,5)",
        "*Victoires de la semaine*",
        f":trophy: Alice — *Acme*, Contrat cadre : {eur(thousands(12, '000'))}",
        "*À aborder* (pour aider, pas pour juger)",
        (f"• *Bruno* pourrait finir la période à 22{NBSP}% de l'objectif (fin le 30 nov. 2026) : "
         "quelles affaires l'aider à conclure ?"),
        "• *Bruno* a 1 compte or moins visité que prévu : prévoir une visite ensemble ?",
        "• *Bruno* a 2 affaires sans nouvelles depuis un moment : un appel pour les relancer ou les clore.",
        "• *Alice* a 1 affaire dont la probabilité n'a pas monté avec l'étape : à revoir ensemble.",
    ]
    # Another manager's team never shows.
    assert not any("Xavier" in line or "Kappa" in line or "Hors équipe" in line for line in shown)


def test_an_english_managers_digest_uses_english_numbers_and_dates(session_factory, seeded):
    """Marc (en, New York): his Monday 08:00 is 13:00 UTC; last week is 23–29 November there too."""
    digest, shown, chart = digest_for(session_factory, seeded, "Marc", NOW + timedelta(hours=6))

    assert [(r.name, r.actions, r.visits, r.planned_visits, r.won, r.attainment) for r in digest.reps] == [
        ("Xavier", 1, 1, 0, D(7000), 0.7)
    ]
    assert shown[:3] == [
        ":bar_chart: *Weekly digest* — Nov 23, 2026 → Nov 29, 2026",
        "*Flash:* 1 actions, 1 visits, 0 new deals, won €7,000; weighted pipeline €0",
        "*Since the week before:* actions +1, won +€7,000; 1 deal won, 0 lost this week",
    ]
    assert "• *Xavier*: 1 · 1/— · €0 · €7,000 · 70%" in shown
    assert ":trophy: Xavier — *Kappa*, Hors équipe: €7,000" in shown
    assert "• *Xavier* may end the period at 70% of the objective (period ends Nov 30, 2026): " \
           "which deals could you help close?" in shown
    assert chart["title"] == "Carnet digest — week of Nov 23, 2026"
    joined = "\n".join(shown)
    assert "Alice" not in joined and "Bruno" not in joined and "€12,000" not in joined
    assert NBSP not in joined and NNBSP not in joined  # no French spacing in English


def test_the_same_team_in_english_is_the_same_digest_in_english_formats(session_factory):
    """Nadia switched to English: the same figures, written the English way."""
    seeded = seed_team(session_factory, nadia_locale="en")
    _digest, shown, _chart = digest_for(session_factory, seeded, "Nadia")

    assert shown[0] == ":bar_chart: *Weekly digest* — Nov 23, 2026 → Nov 29, 2026"
    assert shown[1] == "*Flash:* 5 actions, 2 visits, 1 new deals, won €12,000; weighted pipeline €13,600"
    assert "• *Alice*: 4 · 2/2 · €4,000 · €12,000 · 80%" in shown
    assert "• *Bruno*: 1 · 0/1 · €9,600 · €0 · 6%" in shown


def test_the_digest_chart_payload_is_a_png_for_the_managers_dm(session_factory, seeded):
    """The outbox row keeps what the chart shows, in the manager's language; the delivery worker
    draws the PNG from it (tests/jobs/test_file_delivery.py uploads one)."""
    from bot.render.charts import digest_chart_from_data

    _digest, _shown, chart = digest_for(session_factory, seeded, "Nadia")
    assert chart["channel"] == seeded.users["Nadia"]
    assert chart["filename"] == "carnet-digest-2026-11-23.png"
    assert chart["title"] == "Digest Carnet — semaine du 23 nov. 2026"
    assert chart["digest_chart"] == {
        "attainment": [["Alice", 0.8], ["Bruno", 0.06]],
        "stages": [["qualification", 8000.0, 1600.0], ["proposition", 20000.0, 8000.0], ["négociation", 10000.0, 4000.0]],
        "titles": ["Atteinte des objectifs", "Pipeline par étape"],
        "locale": "fr",
        "currency": "EUR",
    }
    assert json.loads(json.dumps(chart)) == chart  # plain JSON, as the outbox stores it
    assert digest_chart_from_data(chart["digest_chart"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_a_quiet_team_gets_a_digest_without_risks(session_factory):
    """A manager whose only rep did nothing and owes nothing: zeros, "—" for no objective, no risk."""
    seeded = Seeded()
    with session_factory() as s, s.begin():
        ws = Workspace(team_id="T9", name="Calm", settings={}, created_at=LONG_AGO)
        s.add(ws)
        s.flush()
        seeded.ws = ws.id
        b = Builder(s, seeded)
        b.member("Nadia", role="manager")
        b.member("Zoé", manager="Nadia", user="UZOE")
    digest, shown, _chart = digest_for(session_factory, seeded, "Nadia")

    assert digest.risks == [] and digest.won_deals == []
    assert f"• *Zoé* : 0 · 0/— · 0{NBSP}€ · 0{NBSP}€ · —" in shown
    assert shown[-1] == "*Rien d'inquiétant cette semaine.*"


def test_a_rep_on_a_week_period_is_measured_against_this_weeks_objective(session_factory, seeded):
    """The attainment column follows each rep's own period: a beginner on a week period is
    measured against the objective of the week that holds today (30 Nov – 6 Dec)."""
    with session_factory() as s, s.begin():
        bruno = s.get(Member, seeded["Bruno"])
        bruno.period = "week"
        Builder(s, seeded).objective("Bruno", "revenue", "4000", period="week", start=date(2026, 11, 30),
                                     end=date(2026, 12, 6))
    digest, _shown, _chart = digest_for(session_factory, seeded, "Nadia")
    [bruno_line] = [r for r in digest.reps if r.name == "Bruno"]
    assert bruno_line.attainment == 0.0  # nothing won yet this week; the November objective no longer applies
    # Renouvellement closes on 30/11, in his week: (0 + 8 000) / 4 000 = 200 % projected, not at risk.
    assert ("Bruno", "objective") not in [(r.name, r.kind) for r in digest.risks]


@pytest.mark.parametrize("marc_tz", ["America/New_York", "Europe/Paris"])
def test_all_digests_at_once_are_each_teams_digest_alone(session_factory, seeded, marc_tz):
    """The scheduler builds a Monday's digests together (one grouped query per figure over every
    team of a time zone): each must be exactly the digest of its team alone — no rep, win, stage
    or risk of another team in it — whether the managers share a zone or not."""
    with session_factory() as s, s.begin():
        s.get(Member, seeded["Marc"]).tz = marc_tz
    with session_factory() as s:
        settings = workspace_settings.load(s.get(Workspace, seeded.ws))
        teams = [(m, team_of(s, m)) for m in (s.get(Member, seeded["Nadia"]), s.get(Member, seeded["Marc"]))]
        together = weekly_digests(s, teams, now=NOW, settings=settings)
        alone = {m.id: weekly_digest(s, m, team, now=NOW, settings=settings) for m, team in teams}

    assert together == alone
    nadia, marc = together[seeded["Nadia"]], together[seeded["Marc"]]
    assert [r.name for r in nadia.reps] == ["Alice", "Bruno"] and [r.name for r in marc.reps] == ["Xavier"]
    assert marc.won_deals == [("Xavier", "Kappa", "Hors équipe", D(7000))] and marc.lost_deals == 0
    assert {r.member_id for r in nadia.risks} <= {seeded["Alice"], seeded["Bruno"]}
    assert {r.member_id for r in marc.risks} <= {seeded["Xavier"]}
