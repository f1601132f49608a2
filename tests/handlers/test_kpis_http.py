"""``/carnet kpis``, ``/carnet export`` and ``/carnet settings rate`` through signed HTTP requests and
the fake Slack Web API: who sees whose KPIs, forecast reliability in words, the file that reaches
the requester's DM, and the refusals (which store nothing). Monday 23 November 2026 in Paris.

alice (U3) manages bob (U2, month) and carol (U4, week); dan (U5) is nobody's; UBOSS is the admin."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.reports.kpis import KPI_COLUMNS
from storage.models import Account, Member, Opportunity, OpportunityStageChange, OutboxMessage
from tests.handlers.conftest import message_text, rows, say, set_member
from tests.handlers.test_carnet_team_http import PEOPLE
from tests.handlers.test_opp_http import workspace_settings_row
from tests.support.messages import flat

D = Decimal


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def deal(session, member: Member, account: Account, title: str, amount: str, status: str, *, currency: str = "EUR",
         closed: datetime | None = None, said: int | None = None) -> None:
    """A deal of ``member`` created on 2 November; a closed one got ``said`` % before its answer."""
    created = utc(2026, 11, 2, 9)
    opp = Opportunity(workspace_id=member.workspace_id, member_id=member.id, account_id=account.id, title=title,
                      amount=D(amount), currency=currency, probability=100 if status == "won" else 0 if status == "lost" else 40,
                      stage=status if status != "open" else "proposal", status=status, created_at=created,
                      updated_at=closed or created, closed_at=closed,
                      expected_close_on=datetime(2026, 11, 27).date() if status == "open" else None)
    session.add(opp)
    session.flush()
    history = [(created, None, "lead", 10)]
    if said is not None:
        history.append((created + timedelta(days=1), "lead", "proposal", said))
    if closed is not None:
        history.append((closed, history[-1][2], status, opp.probability))
    for changed_at, before, after, probability in history:
        session.add(OpportunityStageChange(workspace_id=member.workspace_id, opportunity_id=opp.id, member_id=member.id,
                                           from_stage=before, to_stage=after, probability=probability,
                                           amount=opp.amount, changed_at=changed_at))


@pytest.fixture
def team(runtime, fake_slack, slack):
    for user_id, name in PEOPLE.items():
        fake_slack.add_user(user_id, name=name, tz="Europe/Paris", locale="fr-FR")
        assert slack.command("/carnet", "help", user_id=user_id).status_code == 200
    set_member(runtime, "U3", role="manager")
    set_member(runtime, "U2", manager="U3", period="month")
    set_member(runtime, "U4", manager="U3", period="week")
    with runtime.session_factory() as session, session.begin():
        people = {m.slack_user_id: m for m in session.scalars(select(Member))}
        account = Account(workspace_id=people["U2"].workspace_id, name="Gamma SA", name_key="gamma sa",
                          created_at=utc(2026, 1, 1))
        session.add(account)
        session.flush()
        bob, carol = people["U2"], people["U4"]
        deal(session, bob, account, "Contrat", "12000", "won", closed=utc(2026, 11, 10, 10), said=70)
        deal(session, bob, account, "Audit", "8000", "lost", closed=utc(2026, 11, 12, 10), said=70)
        deal(session, bob, account, "Extension", "3000", "won", currency="USD", closed=utc(2026, 11, 16, 10))
        deal(session, bob, account, "Octobre", "5000", "won", closed=utc(2026, 10, 20, 10))
        deal(session, bob, account, "Pilote", "10000", "open")
        deal(session, carol, account, "Carol's", "4000", "won", closed=utc(2026, 11, 23, 8))


def files(runtime) -> list[dict]:
    return [r for r in rows(runtime, "outbox") if r["kind"] == "file"]


def test_a_rep_sees_their_own_kpis_with_their_forecasts_in_words(runtime, slack, team):
    _body, shown = say(slack, "kpis", user="U2", command="/carnet")

    assert "*bob* — 1 nov. 2026 → 30 nov. 2026" in shown
    assert "gagnées 2 (12 000 € + 3 000 $US)" in shown  # the dollars without a rate: shown apart, never dropped
    assert "perdues 1" in shown
    assert "conversion 67 %" in shown
    assert "vos affaires à 70 % ont été gagnées 50 % du temps (1/2)" in shown
    assert "Pas de taux de change pour USD" in shown
    assert "carol" not in shown and "Octobre" not in shown


def test_a_rep_cannot_see_another_reps_or_the_teams_kpis(runtime, slack, team):
    _body, shown = say(slack, "kpis <@U4|carol>", user="U2", command="/carnet")
    assert "Vous ne pouvez pas voir les indicateurs de carol" in shown
    assert "€" not in shown
    _body, shown = say(slack, "kpis équipe", user="U2", command="/carnet")
    assert "réservés aux managers" in shown and "€" not in shown
    _body, shown = say(slack, "kpis <@U2|bob>", user="U4", command="/carnet")
    assert "Vous ne pouvez pas voir les indicateurs de bob" in shown


def test_a_manager_sees_their_team_and_one_rep_over_another_period(runtime, slack, team):
    _body, shown = say(slack, "kpis", user="U3", command="/carnet")
    assert "*bob* — 1 nov. 2026 → 30 nov. 2026" in shown
    assert "*carol* — 23 nov. 2026 → 29 nov. 2026" in shown  # carol's own period: her week
    assert "les affaires de bob à 70 % ont été gagnées 50 % du temps (1/2)" in shown
    assert "*dan*" not in shown and "boss" not in shown

    _body, shown = say(slack, "kpis <@U2|bob> mois dernier", user="U3", command="/carnet")
    assert "*bob* — 1 oct. 2026 → 31 oct. 2026" in shown
    assert "gagnées 1 (5 000 €)" in shown and "carol" not in shown

    _body, shown = say(slack, "kpis équipe 2026-Q4", user="U3", command="/carnet")
    assert "*bob* — 1 oct. 2026 → 31 déc. 2026" in shown and "*carol* — 1 oct. 2026 → 31 déc. 2026" in shown

    _body, shown = say(slack, "kpis <@U5|dan>", user="U3", command="/carnet")
    assert "Vous ne pouvez pas voir les indicateurs de dan" in shown


def test_another_workspace_is_never_reached(runtime, slack, team, fake_slack):
    fake_slack.add_user("UX", name="xavier", tz="Europe/Paris", locale="fr-FR")
    assert slack.command("/carnet", "help", user_id="UX", team_id="T2").status_code == 200
    for named in ("<@UX|xavier>", "xavier"):
        _body, shown = say(slack, f"kpis {named}", user="UBOSS", command="/carnet")
        assert "Je ne connais ni commercial ni période" in shown and "€" not in shown


def test_unknown_periods_and_reps_are_said_and_nothing_is_stored(runtime, slack, team):
    before = rows(runtime, "outbox")
    _body, shown = say(slack, "kpis <@U2|bob> hier", user="U3", command="/carnet")
    assert "Je ne reconnais pas la période « hier »" in shown and "mois dernier" in shown
    _body, shown = say(slack, "kpis 2026-13", user="U3", command="/carnet")
    assert "Je ne connais ni commercial ni période « 2026-13 »" in shown
    _body, shown = say(slack, "kpis @nobody", user="U3", command="/carnet")
    assert "« @nobody »" in shown
    assert rows(runtime, "outbox") == before


def test_money_in_dollars_is_converted_once_the_admin_sets_a_rate(runtime, slack, team):
    _body, shown = say(slack, "settings rate USD 0,9", user="UBOSS", command="/carnet")
    assert "Réglage enregistré." in shown
    assert "Taux de change : 1 USD = 0,9 EUR" in shown
    assert workspace_settings_row(runtime)["exchange_rates"] == {"USD": "0.9"}

    _body, shown = say(slack, "kpis", user="U2", command="/carnet")
    assert "gagnées 2 (14 700 €)" in shown  # 12,000 € + 3,000 $ x 0.9
    assert "Pas de taux de change" not in shown


@pytest.mark.parametrize("words, error", [
    ("rate USD abc", "« abc » n'est pas un taux"),
    ("rate USD -1", "« -1 » n'est pas un taux"),
    ("rate USD 0", "« 0 » n'est pas un taux"),
    ("rate USD 1e3", "« 1e3 » n'est pas un taux"),
    ("rate XYZ 1", "« XYZ » n'est pas une devise"),
    ("rate EUR 2", "EUR est la devise de l'espace"),
])
def test_a_bad_rate_is_refused_and_nothing_is_stored(runtime, slack, team, words, error):
    say(slack, "settings rate GBP 1.15", user="UBOSS", command="/carnet")
    before = workspace_settings_row(runtime)
    _body, shown = say(slack, f"settings {words}", user="UBOSS", command="/carnet")
    assert error in shown and "Rien n'a été enregistré" in shown
    assert workspace_settings_row(runtime) == before == {**before, "exchange_rates": {"GBP": "1.15"}}


def test_only_an_admin_sets_a_rate_and_the_settings_list_them(runtime, slack, team):
    _body, shown = say(slack, "settings rate USD 0.9", user="U3", command="/carnet")
    assert "Seul un admin" in shown
    assert "exchange_rates" not in workspace_settings_row(runtime)
    _body, shown = say(slack, "settings", user="U3", command="/carnet")
    assert "Taux de change : aucun" in shown
    assert "Des affaires sont en USD sans taux" in shown
    say(slack, "settings rate USD 0.9", user="UBOSS", command="/carnet")
    _body, shown = say(slack, "settings rate USD aucun", user="UBOSS", command="/carnet")
    assert "Taux de change : aucun" in shown and workspace_settings_row(runtime)["exchange_rates"] == {}


def test_changing_the_workspace_currency_rebases_the_rates(runtime, slack, team):
    say(slack, "settings rate USD 0.8", user="UBOSS", command="/carnet")
    say(slack, "settings rate GBP 1.2", user="UBOSS", command="/carnet")
    _body, shown = say(slack, "settings currency USD", user="UBOSS", command="/carnet")
    assert workspace_settings_row(runtime)["exchange_rates"] == {"EUR": "1.25", "GBP": "1.5"}
    _body, shown = say(slack, "settings currency CHF", user="UBOSS", command="/carnet")
    assert "Les taux de change ont été effacés" in shown
    assert workspace_settings_row(runtime)["exchange_rates"] == {}


# --------------------------------------------------------------------------- /carnet export


def _export(slack, fake_slack, user: str, words: str, name: str) -> str:
    response = slack.command("/carnet", words, user_id=user, response_url=fake_slack.response_url(name),
                             trigger_id=f"T-{name}")
    assert response.status_code == 200
    ack = flat(message_text(response.json()))
    assert "Je prépare le fichier" in ack
    fake_slack.wait_for("response_url")
    [answer] = fake_slack.responses(name)
    return flat(message_text(answer))


def test_a_manager_exports_the_kpis_to_their_dm(runtime, slack, team, fake_slack):
    answer = _export(slack, fake_slack, "U3", "export kpis", "kpis")
    assert "carnet-kpis-2026-11-23.xlsx (2 lignes) arrive dans vos messages directs" in answer

    fake_slack.wait_for("files.completeUploadExternal")
    [upload] = fake_slack.uploads(completed_only=True)
    assert upload.filename == "carnet-kpis-2026-11-23.xlsx"
    [dm] = fake_slack.delivered("conversations.open")
    assert dm.params["users"] == "U3"
    sheet = load_workbook(io.BytesIO(upload.content)).active
    assert [c.value for c in sheet[1]] == list(KPI_COLUMNS)
    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == ["bob", "carol"]  # as /carnet kpis shows her team

    # Slack retries the command: the file is not built nor sent twice.
    slack.command("/carnet", "export kpis", user_id="U3", response_url=fake_slack.response_url("kpis"),
                  trigger_id="T-kpis", retry_num=1)
    time.sleep(0.5)
    assert len(fake_slack.uploads()) == 1


def test_a_rep_exports_only_their_own_actions_and_deals(runtime, slack, team, fake_slack):
    say(slack, "visite Gamma SA", user="U2", command="/log")
    say(slack, "visite Gamma SA", user="U4", command="/log")
    answer = _export(slack, fake_slack, "U2", "export opportunities csv", "opps")
    assert "carnet-opportunities-2026-11-23.csv (5 lignes)" in answer
    fake_slack.wait_for("files.completeUploadExternal")
    [upload] = fake_slack.uploads(completed_only=True)
    text = upload.content.decode("utf-8-sig")
    assert "Contrat" in text and "Carol's" not in text
    assert {line.split(",")[1] for line in text.splitlines()[1:]} == {"bob"}


@pytest.mark.parametrize("words", ["export", "export foo", "export actions pdf", "export kpis hier"])
def test_a_bad_export_is_explained_and_nothing_is_queued(runtime, slack, team, fake_slack, words):
    _body, shown = say(slack, words, user="U3", command="/carnet")
    assert "/carnet export actions|opportunities|kpis" in shown
    time.sleep(0.3)
    assert files(runtime) == [] and fake_slack.uploads() == []
