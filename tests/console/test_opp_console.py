"""The carnet commercial through the terminal door (issue 4): /opp, /pipeline, /home and the deal form,
buttons shown as numbered choices. Each test reads the transcript and checks the database."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Iterator

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.accounts import create_account
from storage.models import (
    Account,
    Member,
    Opportunity,
    OpportunityStageChange,
    OutboxMessage,
    PendingCommand,
    Workspace,
)
from tests.console.conftest import Terminal
from tests.support.fixtures import TEST_NOW, console_runtime, count_rows
from tests.support.messages import console_line, says, sentence, word

TEAM = "T1"
D = Decimal


@pytest.fixture
def rt(database_url) -> Iterator[Runtime]:
    """A team in Paris and New York: a manager, Camille (fr) and Jordan (en), two accounts, a team channel."""
    with console_runtime(database_url, name="Newcomer") as runtime:  # Monday 23 November 2026, 10:00 in Paris
        with runtime.session_factory() as s, s.begin():
            ws = Workspace(team_id=TEAM, name="", settings={"team_channel": "CVENTES"}, created_at=TEST_NOW)
            s.add(ws)
            s.flush()
            boss = Member(workspace_id=ws.id, slack_user_id="UMGR", display_name="Nathalie Garnier", role="manager",
                          locale="fr", tz="Europe/Paris", period="month", created_at=TEST_NOW)
            s.add(boss)
            s.flush()
            s.add_all([
                Member(workspace_id=ws.id, slack_user_id="U1", display_name="Camille Martin", role="rep", manager_id=boss.id,
                       locale="fr", tz="Europe/Paris", period="month", created_at=TEST_NOW),
                Member(workspace_id=ws.id, slack_user_id="U2", display_name="Jordan Smith", role="rep", manager_id=boss.id,
                       locale="en", tz="America/New_York", period="month", created_at=TEST_NOW),
            ])
            for name in ("Gamma", "Alpha Industries"):
                create_account(s, ws.id, name, owner_id=None, now=TEST_NOW)
        yield runtime


def deals(rt: Runtime) -> list[tuple]:
    with rt.session_factory() as s:
        rows = s.execute(
            select(Member.slack_user_id, Account.name, Opportunity.title, Opportunity.amount, Opportunity.currency,
                   Opportunity.probability, Opportunity.stage, Opportunity.status, Opportunity.expected_close_on)
            .join(Member, Member.id == Opportunity.member_id)
            .join(Account, Account.id == Opportunity.account_id)
            .order_by(Opportunity.id)
        ).all()
        return [tuple(r) for r in rows]


def history(rt: Runtime, title: str) -> list[tuple]:
    with rt.session_factory() as s:
        deal_id = s.scalar(select(Opportunity.id).where(Opportunity.title == title))
        return [tuple(r) for r in s.execute(
            select(OpportunityStageChange.from_stage, OpportunityStageChange.to_stage,
                   OpportunityStageChange.probability, OpportunityStageChange.amount)
            .where(OpportunityStageChange.opportunity_id == deal_id)
            .order_by(OpportunityStageChange.id)
        )]


def celebrations(rt: Runtime) -> list[str]:
    with rt.session_factory() as s:
        return [m.dedupe_key for m in s.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("celebration:%")))]


# --------------------------------------------------------------------------- a rep's deals


def test_new_deals_a_choice_a_win_then_pipeline_and_home(rt):
    camille = Terminal(rt, "U1")

    out = camille.type('/opp new Gamma "Contrat maintenance" 12k€ 30% close 15/12')
    assert says(out, "opp.created", console=True, account="Gamma", title="Contrat maintenance")
    assert re.search(r"Montant\s+: 12 000 €", out) and re.search(r"Pondéré\s+: 3 600 €", out)
    assert "15 déc. 2026" in out
    out = camille.type('/opp new Gamma "Audit énergie" $8,500 négociation')
    assert re.search(r"Probabilité \(%\)\s+: 60 %", out) and re.search(r"Pondéré\s+: 5 100 \$US", out)
    assert deals(rt) == [
        ("U1", "Gamma", "Contrat maintenance", D("12000.00"), "EUR", 30, "proposal", "open", date(2026, 12, 15)),
        ("U1", "Gamma", "Audit énergie", D("8500.00"), "USD", 60, "negotiation", "open", None),
    ]

    # Two open deals at Gamma: Carnet asks which one, with numbered buttons, and changes nothing yet.
    out = camille.type("/opp Gamma gagné")
    assert console_line("opp.ask_which", account='Gamma') in out
    assert camille.choices(out) == ["Audit énergie (8 500 $US)", "Contrat maintenance (12 000 €)", "Annuler"]
    assert [d[7] for d in deals(rt)] == ["open", "open"]
    assert count_rows(rt.session_factory, PendingCommand) == 1 and celebrations(rt) == []

    out = camille.type(camille.number_of("Contrat maintenance (12 000 €)", out))
    assert says(out, "opp.won", console=True, title="Contrat maintenance", account="Gamma", amount="12 000 €")
    assert [d[6:8] for d in deals(rt)] == [("won", "won"), ("negotiation", "open")]
    assert history(rt, "Contrat maintenance") == [(None, "proposal", 30, D("12000.00")), ("proposal", "won", 100, D("12000.00"))]
    assert count_rows(rt.session_factory, PendingCommand) == 0
    with rt.session_factory() as s:
        won_id = s.scalar(select(Opportunity.id).where(Opportunity.status == "won"))
        assert s.scalar(select(Opportunity.closed_at).where(Opportunity.id == won_id)) == TEST_NOW
    assert celebrations(rt) == [f"celebration:opportunity:{won_id}"]  # once, in the team channel

    # Only one open deal is left at Gamma: no question. A new close date is a change, not "nothing changed".
    out = camille.type("/opp Gamma close 20/12")
    assert console_line("plan.when_time", day='Affaire mise', time='jour chez Gamma : Audit énergie.') in out and "20 déc. 2026" in out
    assert deals(rt)[1][8] == date(2026, 12, 20)
    out = camille.type("/opp Gamma 60%")
    assert console_line("opp.unchanged", title='Audit énergie', account='Gamma') in out
    assert len(history(rt, "Audit énergie")) == 1

    out = camille.type("/pipeline")
    assert out.splitlines() == [
        "Pipeline — Camille Martin (1 nov. 2026 → 30 nov. 2026)",
        "• négociation : 1 affaire · 8 500 $US · pondéré 5 100 $US",
        "Rien à conclure prévu cette période.",
        "🏆 Gagné cette période : 12 000 € (1 affaire)",
    ]

    out = camille.type("/home")
    assert out.splitlines() == [
        "Carnet — Camille Martin",
        "Période du 1 nov. 2026 au 30 nov. 2026 : gagné 12 000 € ; pipeline pondéré 5 100 $US ; 0 action notée.",
        "Mes affaires en cours par étape",
        "• négociation : 1 affaire · 8 500 $US · pondéré 5 100 $US",
        "Rien à conclure prévu cette période.",
        "🏆 Gagné cette période : 12 000 € (1 affaire)",
        # Today comes last, so that its planned items (with their buttons) follow their heading.
        "Aujourd'hui",
        "Rien de prévu aujourd'hui.",
        "  [1] Noter une action",
        "  [2] Ajouter une affaire",
    ]


def test_the_deal_form_from_the_list_and_from_home(rt):
    camille = Terminal(rt, "U1")
    out = camille.type("/opp")
    assert out.splitlines()[0] == console_line("opp.list_empty")
    assert camille.choices(out) == ["Créer une affaire"]

    # The form: every field asked once; wrong ones are shown and asked again; nothing stored meanwhile.
    out = camille.type(
        camille.number_of("Créer une affaire", out),
        "Gama",  # account: a typo
        "Pilote automatisation",  # title
        "-5",  # amount: negative
        "",  # probability: the stage's
        "",  # stage: proposal
        "",  # close date
        "+Delta Énergie",  # account again: "+" creates it
        "5 000",  # amount again
    )
    assert console_line("console.form_intro", title=word("form.opp.title")) in out
    unknown = sentence("form.error.unknown_account_suggest", console=True, typed="Gama", candidates="Gamma")
    assert re.search(f"^  ! account: {unknown.pattern}", out, flags=re.M)
    assert re.search(r"^  ! amount: ", out, flags=re.M)
    assert re.findall(r"^(\w[^:\n]*): ", out, flags=re.M)[-2:] == ["Société", "Montant"]  # only those asked again
    assert says(out, "opp.created", console=True, account="Delta Énergie", title="Pilote automatisation")
    assert deals(rt) == [("U1", "Delta Énergie", "Pilote automatisation", D("5000.00"), "EUR", 40, "proposal", "open", None)]
    with rt.session_factory() as s:
        delta = s.scalar(select(Account).where(Account.name == "Delta Énergie"))
        owner = s.scalar(select(Member.slack_user_id).where(Member.id == delta.owner_id))
        assert owner == "U1"

    # From the App Home: "Add a deal" is choice 2; the account is typed as text, without its capitals.
    out = camille.type("/home")
    out = camille.type(
        camille.number_of("Ajouter une affaire", out), "alpha industries", "Audit", "3k", "25", "2", "2026-11-27"
    )
    assert says(out, "opp.created", console=True, account="Alpha Industries", title="Audit")
    assert re.search(r"Pondéré\s+: 750 €", out)
    assert deals(rt)[-1] == ("U1", "Alpha Industries", "Audit", D("3000.00"), "EUR", 25, "qualification", "open",
                             date(2026, 11, 27))
    assert count_rows(rt.session_factory, Account) == 3  # Gamma, Alpha Industries, Delta Énergie: no duplicate

    out = camille.type("/opp")
    assert out.splitlines()[0] == console_line("opp.list_title", count='2')
    assert console_line("opp.list_line", account='Alpha Industries', title='Audit', stage=word("stage.qualification"), amount='3 000 €', probability='25 %', weighted='750 €', close=', conclusion prévue le 27 nov. 2026') in out
    assert console_line("goals.line", metric='Delta Énergie — Pilote automatisation', value='proposition, 5 000 € à 40 % (pondéré 2 000 €)') in out


def test_bad_input_gets_a_clear_answer_and_stores_nothing(rt):
    camille = Terminal(rt, "U1")
    for text, said in [
        ("/opp new Gamma 12k 150%", "Une probabilité va de 0 % à 100 %"),
        ("/opp new Gamma -5k", "Un montant ne peut pas être négatif."),
        ("/opp new Gamma 2000000000000", "Ce montant n'est pas réaliste"),
        ("/opp new Gamma 5k close hier", "La date de conclusion est passée"),
        ("/opp Gamma negociasion", "Vouliez-vous dire négociation ?"),
    ]:
        out = camille.type(text)
        assert said in out, (text, out)
        assert console_line("error.nothing_stored") in out
    out = camille.type("/opp Gamma gagné")
    assert console_line("opp.none_open", account='Gamma') in out
    assert camille.choices(out) == ["Créer une affaire"]
    assert (count_rows(rt.session_factory, Opportunity), count_rows(rt.session_factory, OpportunityStageChange), count_rows(rt.session_factory, PendingCommand)) == (0, 0, 0)

    # An unknown account: create it with one button; a lost deal then cannot be won.
    out = camille.type("/opp new Zeta 5k")
    assert camille.choices(out) == ["Créer « Zeta »", "Annuler"]
    assert count_rows(rt.session_factory, Account) == 2
    out = camille.type(camille.number_of("Créer « Zeta »", out))
    assert says(out, "opp.created", console=True, account="Zeta", title="Zeta")
    out = camille.type("/opp Zeta perdu prix")
    assert console_line("opp.lost", account='Zeta', title='Zeta', reason='prix') in out
    out = camille.type("/opp Zeta gagné")
    assert says(out, "opp.none_open", console=True, account="Zeta")
    assert deals(rt) == [("U1", "Zeta", "Zeta", D("5000.00"), "EUR", 0, "lost", "lost", None)]
    assert celebrations(rt) == []  # a loss is never posted


# --------------------------------------------------------------------------- the manager's view


def test_team_pipeline_and_who_may_see_what(rt):
    camille, jordan, boss = Terminal(rt, "U1"), Terminal(rt, "U2"), Terminal(rt, "UMGR")
    camille.type('/opp new Gamma "Contrat" 12k 30% close 30/11', '/opp new "Alpha Industries" "Pièces" 4k qualification')
    out = jordan.type('/opp new "Alpha Industries" "Audit" $2,000 qualification close 11/28',
                      '/opp new Gamma "Service" $10,000 closing', '/opp Gamma won')
    assert console_line("plan.when_time", "en", day='New deal', time='Alpha Industries: Audit.') in out and console_line("plan.when_time", "en", day='Congratulations! Service', time='Gamma is won ($10,000).') in out

    out = jordan.type("/home")
    assert out.splitlines()[:2] == [
        "Carnet — Jordan Smith",
        "Period Nov 1, 2026 → Nov 30, 2026: won $10,000; weighted pipeline $400; 0 actions logged.",
    ]
    assert jordan.choices(out) == ["Log an action", "Add a deal"]

    out = boss.type("/pipeline team")
    assert out.splitlines() == [
        "Pipeline de l'équipe — 2 personnes (1 nov. 2026 → 30 nov. 2026)",
        "• qualification : 1 affaire · 4 000 € · pondéré 800 €",
        "• qualification : 1 affaire · 2 000 $US · pondéré 400 $US",
        "• proposition : 1 affaire · 12 000 € · pondéré 3 600 €",
        "À conclure cette période : 1 affaire, 12 000 € (pondéré 3 600 €) ; 1 affaire, 2 000 $US (pondéré 400 $US)",
        "🏆 Gagné cette période : 10 000 $US (1 affaire)",
        "• Camille Martin : 2 en cours, pondéré 4 400 €, à conclure 3 600 €, gagné 0 €",
        "• Jordan Smith : 1 en cours, pondéré 400 $US, à conclure 400 $US, gagné 10 000 $US",
    ]
    out = boss.type("/pipeline <@U1|camille>")
    assert out.splitlines()[0] == console_line("pipeline.title", name='Camille Martin', start='1 nov. 2026', end='30 nov. 2026')
    assert console_line("pipeline.stage_line", stage=word("stage.proposal"), deals='1 affaire', amount='12 000 €', weighted='3 600 €') in out and "$US" not in out
    out = boss.type("/pipeline jordan smith")
    assert out.splitlines()[0] == console_line("pipeline.title", name='Jordan Smith', start='1 nov. 2026', end='30 nov. 2026')
    assert console_line("pipeline.won", amount='10 000 $US', deals='1 affaire') in out

    # A rep sees their own pipeline only, and the answer says why.
    assert console_line("pipeline.refused", name='Jordan Smith') in camille.type("/pipeline @U2")
    assert says(camille.type("/pipeline équipe"), "pipeline.team_refused", console=True)
    out = jordan.type("/pipeline @Nobody")
    assert console_line("pipeline.unknown_member", "en", name='@Nobody') in out
    assert count_rows(rt.session_factory, Opportunity) == 4


def test_the_digest_preview_at_the_console_says_it_is_coming_then_shows_it(rt):
    boss, camille = Terminal(rt, "UMGR"), Terminal(rt, "U1")
    camille.type('/opp new Gamma "Contrat" 12k 30% close 30/11')

    out = boss.type("/carnet digest")
    lines = out.splitlines()
    assert lines[0] == console_line("digest.preparing", count=2)
    assert lines[1] == console_line("digest.title", start='16 nov. 2026', end='22 nov. 2026')
    assert console_line("digest.rep_line", name='Camille Martin', actions='0', visits='0', planned='—', pipeline='3 600 €', won='0 €', attainment='—') in lines
    # No Slack at the console: nothing is queued, not even the chart.
    assert count_rows(rt.session_factory, OutboxMessage) == 0

    assert says(camille.type("/carnet digest"), "digest.refused", console=True)
    assert "Je prépare" not in camille.type("/carnet digest")
