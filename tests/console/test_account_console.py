"""``/compte`` in the terminal (issue 15 A): the card, changes in words, the form as prompts, a merge
confirmed by its number; a rep who may not change an account is refused and nothing is stored."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Iterator

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.accounts import create_account
from storage.models import Account, Action, Member, Opportunity, Plan, Workspace
from tests.console.conftest import Terminal
from tests.support.fixtures import TEST_NOW, console_runtime
from tests.support.messages import console_line

TEAM = "T1"


@pytest.fixture
def rt(sqlite_url) -> Iterator[Runtime]:
    """Nathalie manages Camille; Gamma is Camille's (a visit, a deal, a planned visit), Gama a duplicate."""
    with console_runtime(sqlite_url) as runtime:
        with runtime.session_factory() as s, s.begin():
            ws = Workspace(team_id=TEAM, name="", settings={}, created_at=TEST_NOW)
            s.add(ws)
            s.flush()
            boss = Member(workspace_id=ws.id, slack_user_id="UMGR", display_name="Nathalie Garnier", role="manager",
                          locale="fr", tz="Europe/Paris", period="month", created_at=TEST_NOW)
            s.add(boss)
            s.flush()
            camille = Member(workspace_id=ws.id, slack_user_id="U1", display_name="Camille Martin", role="rep",
                             manager_id=boss.id, locale="fr", tz="Europe/Paris", period="month", created_at=TEST_NOW)
            other = Member(workspace_id=ws.id, slack_user_id="U2", display_name="Jordan Smith", role="rep",
                           locale="en", tz="Europe/Paris", period="month", created_at=TEST_NOW)
            namesake = Member(workspace_id=ws.id, slack_user_id="U3", display_name="Camille Martin", role="rep",
                              locale="fr", tz="Europe/Paris", period="month", created_at=TEST_NOW)
            s.add_all([camille, other, namesake])
            s.flush()
            gamma = create_account(s, ws.id, "Gamma", owner_id=camille.id, now=TEST_NOW)
            gama = create_account(s, ws.id, "Gama", owner_id=None, now=TEST_NOW)
            gamma.segment = "gold"
            gamma.status = "client"  # a client: its capital is the segment's (a prospect's is the prospection budget)
            s.flush()
            for account in (gamma, gama):
                s.add(Action(workspace_id=ws.id, member_id=camille.id, account_id=account.id, action_type="visit",
                             result="proposal", channel="in_person", occurred_on=date(2026, 11, 16), logged_at=TEST_NOW,
                             source="console"))
            s.add(Opportunity(workspace_id=ws.id, member_id=camille.id, account_id=gamma.id, title="Contrat maintenance",
                              amount=Decimal(12000), probability=40, stage="proposal", created_at=TEST_NOW,
                              updated_at=TEST_NOW))
            s.add(Plan(workspace_id=ws.id, member_id=camille.id, account_id=gamma.id, action_type="visit",
                       due_at=TEST_NOW + timedelta(days=2), created_at=TEST_NOW, updated_at=TEST_NOW))
        yield runtime


def accounts(rt: Runtime) -> list[tuple]:
    with rt.session_factory() as s:
        return [(a.name, a.status, a.segment, a.visits_per_year, a.city, a.postcode)
                for a in s.scalars(select(Account).order_by(Account.id))]


def test_the_card_in_the_terminal(rt):
    out = Terminal(rt, "U2").type("/account gamma")  # Jordan reads English
    assert "Gamma" in out and "Camille Martin" in out
    assert "1 visit of 12 a year" in out  # gold: 12 a year by default
    assert "Contrat maintenance — €12,000, 40%, proposal (Camille Martin)" in out
    assert "Nov 16, 2026: visit — proposal (Camille Martin)" in out
    assert "Nov 25, 2026 (Camille Martin)" in out  # the next visit
    assert Terminal.choices(out) == []  # Jordan may not change Camille's account


def test_the_owner_changes_in_words_and_a_stranger_is_refused(rt):
    out = Terminal(rt, "U1").type("/compte Gamma statut client ville Lyon cp 69001 capital 6")
    assert console_line("account.saved", name="Gamma") in out
    before = accounts(rt)
    assert before[0] == ("Gamma", "client", "gold", 6, "Lyon", "69001")
    out = Terminal(rt, "U2").type("/compte Gamma ville Paris")
    assert console_line("account.refused", "en", name="Gamma") in out
    assert accounts(rt) == before


def test_the_form_as_prompts(rt):
    term = Terminal(rt, "UMGR")
    out = term.type("/compte Gamma modifier", "3", "2", "", "", "Nîmes", "30000")
    assert console_line("account.saved", name="Gamma") in out
    assert accounts(rt)[0] == ("Gamma", "former_client", "silver", None, "Nîmes", "30000")
    with rt.session_factory() as s:  # the owner left as shown stays Camille (U1), though U3 has her name
        owner = s.scalar(select(Member.slack_user_id).join(Account, Account.owner_id == Member.id).where(Account.name == "Gamma"))
    assert owner == "U1"


def test_a_name_holding_a_field_word_is_a_name(rt):
    with rt.session_factory() as s, s.begin():
        ws = s.scalar(select(Workspace.id))
        create_account(s, ws, "Hôtel de Ville", owner_id=None, now=TEST_NOW)
    before = accounts(rt)
    out = Terminal(rt, "UMGR").type("/compte hotel de ville")
    assert "Hôtel de Ville" in out and console_line("account.field.status") in out
    out = Terminal(rt, "UMGR").type('/compte "Hôtel de Ville" ville Paris')
    assert console_line("account.saved", name="Hôtel de Ville") in out
    assert accounts(rt)[-1][4] == "Paris" and accounts(rt)[:-1] == before[:-1]


def test_a_merge_confirmed_by_its_number(rt):
    term = Terminal(rt, "UMGR")
    out = term.type("/compte fusionner Gama dans Gamma")
    out = term.type(Terminal.number_of("Fusionner dans Gamma", out))
    assert console_line("account.merge.done", source="Gama", target="Gamma") in out
    assert [a[0] for a in accounts(rt)] == ["Gamma"]
    assert "2 visites sur 12 par an" in out  # the merged account's visit counts now
