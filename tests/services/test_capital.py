"""One visit capital (issue 15): a yearly number of visits per account, due pro rata of the time
elapsed, the rhythm of the automatic visits, per account, segment and rep; contacts of every
channel weighted in the commercial intensity; the settings that set them.

Camille (U1, Paris) owns Or (gold: 12 a year by default), Argent (silver: 6), Bronze (bronze: 2),
Propre (gold, its own capital of 4 a year) and Prospect (a prospect: her prospection budget of 24
a year counts its visits instead). Sam (U2) owns Autre (gold). The clock is injected: each
figure is read on a given day of 2026.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.reports import coaching, kpis
from bot.reports.kpis import Intensity, KpiScope
from bot.services import capital, workspace_settings
from bot.services.accounts import create_account
from bot.services.actions import ActionDraft, record_action
from bot.services.plans import ensure_segment_visits
from bot.services.workspace_settings import WorkspaceSettings
from storage.models import Account, Action, Member, Plan, Workspace
from storage.queries.capital import CapitalSum
from tests.services.conftest import add_member
from tests.support.fixtures import TEST_NOW, Z, say



def PARIS_NOON(day: date) -> datetime:
    return Z(day.year, day.month, day.day, 11)


@pytest.fixture
def team(session_factory) -> dict[str, int]:
    ws_id, camille = add_member(session_factory, "T1", "U1")
    _, sam = add_member(session_factory, "T1", "U2")
    ids = {"ws": ws_id, "camille": camille, "sam": sam}
    with session_factory() as s, s.begin():
        for name, owner, segment, status, own in (
            ("Or", camille, "gold", "client", None),
            ("Argent", camille, "silver", "client", None),
            ("Bronze", camille, "bronze", "client", None),
            ("Propre", camille, "gold", "client", 4),
            ("Prospect", camille, None, "prospect", None),
            ("Ancien", camille, "gold", "former_client", None),
            ("Autre", sam, "gold", "client", None),
        ):
            account = create_account(s, ws_id, name, owner_id=owner, now=TEST_NOW)
            account.segment, account.status, account.visits_per_year = segment, status, own
            ids[name] = account.id
    return ids


def visit(session_factory, team, who: str, account: str, day: date, action_type: str = "visit") -> None:
    with session_factory() as s, s.begin():
        record_action(s, s.get(Member, team[who]), s.get(Account, team[account]), ActionDraft(action_type, day),
                      source="console", now=Z(day.year, day.month, day.day, 12))


def members(s, team, *names: str) -> list[Member]:
    return [s.get(Member, team[name]) for name in names]


def by_name(rows) -> dict[str, tuple[int, float, int, int]]:
    return {r.name: (r.capital, round(r.due, 2), r.done, r.planned) for r in rows}


def test_the_capital_is_due_pro_rata_of_the_year_elapsed_per_account_segment_and_rep(session_factory, team):
    # Or visited in January, March and June (twice: Sam's joint visit counts for Or's owner), a call
    # in May (not a visit); Argent once in February; Propre never; the prospect twice by Camille.
    for day in (date(2026, 1, 12), date(2026, 3, 9), date(2026, 6, 1)):
        visit(session_factory, team, "camille", "Or", day)
    visit(session_factory, team, "sam", "Or", date(2026, 6, 2), "meeting")
    visit(session_factory, team, "camille", "Or", date(2026, 5, 4), "call")
    visit(session_factory, team, "camille", "Argent", date(2026, 2, 2))
    visit(session_factory, team, "camille", "Prospect", date(2026, 4, 1))
    visit(session_factory, team, "camille", "Prospect", date(2026, 7, 1), "demo")
    settings = WorkspaceSettings()

    def year_on(day: date):
        with session_factory() as s:
            now = PARIS_NOON(day)
            rows = capital.accounts_this_year(s, team["ws"], members(s, team, "camille"), settings, now=now)
            return rows[team["camille"]], capital.segments_this_year(s, team["ws"], members(s, team, "camille", "sam"), settings, now=now)

    # 31 March: 90 days of 365 elapsed. Or 12 × 90/365 = 2.96 due, 2 done; Argent 6 → 1.48, 1 done;
    # Bronze 2 → 0.49; Propre its own 4 → 0.99. The prospect and the former client have no capital.
    rows, segments = year_on(date(2026, 3, 31))
    assert by_name(rows) == {
        "Argent": (6, 1.48, 1, 0), "Bronze": (2, 0.49, 0, 0), "Or": (12, 2.96, 2, 0), "Propre": (4, 0.99, 0, 0),
    }
    assert segments[team["camille"]]["gold"] == CapitalSum(16, pytest.approx(16 * 90 / 365), 2, 0)
    assert segments[team["camille"]]["prospect"] == CapitalSum(24, pytest.approx(24 * 90 / 365), 0, 0)
    assert segments[team["sam"]] == {"gold": CapitalSum(12, pytest.approx(12 * 90 / 365), 0, 0),
                                     "prospect": CapitalSum(24, pytest.approx(24 * 90 / 365), 0, 0)}

    # 31 December: the whole capital is due; the June visits count (4 for Or), the prospect's 2 go to
    # the prospection budget; per rep, the sum of the segments.
    rows, segments = year_on(date(2026, 12, 31))
    assert by_name(rows)["Or"] == (12, 12.0, 4, 0)
    assert segments[team["camille"]]["prospect"] == CapitalSum(24, pytest.approx(24.0), 2, 0)
    assert capital_per_rep(segments)[team["camille"]] == (12 + 6 + 2 + 4 + 24, 48.0, 4 + 1 + 2)


def capital_per_rep(segments):
    from storage.queries.capital import per_rep

    return {m: (s.capital, round(s.due, 2), s.done) for m, s in per_rep(segments).items()}


def test_planned_visits_count_for_the_rest_of_the_year_and_the_kpi_takes_a_period_pro_rata(session_factory, team):
    with session_factory() as s, s.begin():
        for due, status in ((Z(2026, 11, 25, 9), "planned"), (Z(2026, 12, 20, 9), "planned"), (Z(2027, 1, 5, 9), "planned"),
                            (Z(2026, 11, 26, 9), "cancelled")):
            s.add(Plan(workspace_id=team["ws"], member_id=team["camille"], account_id=team["Or"], action_type="visit",
                       due_at=due, status=status, created_at=TEST_NOW, updated_at=TEST_NOW))
    visit(session_factory, team, "camille", "Or", date(2026, 11, 2))
    with session_factory() as s:
        rows = capital.accounts_this_year(s, team["ws"], members(s, team, "camille"), WorkspaceSettings(), now=TEST_NOW)
        assert by_name(rows[team["camille"]])["Or"][2:] == (1, 2)  # next January's is another year's
        scope = KpiScope(team["ws"], (team["camille"],), date(2026, 11, 1), date(2026, 11, 30), capital.known_zone("Europe/Paris"))
        november = kpis.visit_intensity(s, scope, settings=WorkspaceSettings())[team["camille"]]
    # November: 30 days of 365; gold Or 12 + Propre 4 = 16 → 1.3; the visit of 2 November; the 25
    # November visit still planned (the cancelled one is not).
    assert (november["gold"].visits, november["gold"].capital, november["gold"].planned) == (1, 1.3, 1)


def test_the_rhythm_of_the_automatic_visits_follows_the_capital_through_the_year(session_factory, team, conversation, clock):
    """The worker's tick (its segment-visits step) plans each account's next visit; Camille logs every visit on its day, all
    year. Or (12 a year) comes back every 30 days, Argent (6) every 60, Propre (4) every 91, Bronze
    (2) every 182 — moved to Monday when that falls on a weekend."""
    with session_factory() as s, s.begin():  # Sam's account out of the way
        s.get(Account, team["Autre"]).owner_id = None
    done: dict[str, list[date]] = {}
    now = Z(2026, 1, 2, 7)  # Friday 2 January, 08:00 in Paris
    while True:
        with session_factory() as s, s.begin():  # the worker tick's step that plans the next visits
            ensure_segment_visits(s, team["ws"], WorkspaceSettings(), now=now)
        with session_factory() as s:
            name, due_at = s.execute(
                select(Account.name, Plan.due_at).join(Account, Account.id == Plan.account_id)
                .where(Plan.status == "planned", Plan.source == "segment").order_by(Plan.due_at, Account.name).limit(1)
            ).one()
        if due_at >= Z(2026, 12, 31):
            break
        now = due_at + timedelta(hours=2)  # 11:00 in Paris on the visit's day
        clock.set(now)
        assert say(conversation, f'/log visite "{name}"').ok  # marks the planned visit done
        done.setdefault(name, []).append(now.date())
    gaps = {name: {(b - a).days for a, b in zip(days, days[1:])} for name, days in done.items()}
    # Never visited on 2 January: each is visited on the next workday, Monday 5 January.
    assert {name: days[0] for name, days in done.items()} == {n: date(2026, 1, 5) for n in ("Or", "Argent", "Bronze", "Propre")}
    assert gaps["Or"] <= {30, 31, 32} and len(done["Or"]) == 12
    assert gaps["Argent"] <= {60, 61, 62} and len(done["Argent"]) == 6
    assert gaps == {**gaps, "Propre": {91}, "Bronze": {182}} and len(done["Propre"]) == 4 and len(done["Bronze"]) == 2
    with session_factory() as s:  # a year at the rhythm meets the capital: planned = realised
        rows = capital.accounts_this_year(s, team["ws"], members(s, team, "camille"), WorkspaceSettings(), now=Z(2026, 12, 31, 12))
        assert {r.name: (r.done, r.capital) for r in rows[team["camille"]]} == {
            "Argent": (6, 6), "Bronze": (2, 2), "Or": (12, 12), "Propre": (4, 4)}


def test_an_account_far_above_its_capital_while_others_lag_is_a_point_for_the_review(session_factory, team):
    # Bronze (2 a year) is visited every fortnight or so; Or (12 a year) once, Propre never.
    for day in (date(2026, 1, 5), date(2026, 4, 6), date(2026, 4, 20), date(2026, 5, 4), date(2026, 5, 18), date(2026, 6, 1)):
        visit(session_factory, team, "camille", "Bronze", day)
    visit(session_factory, team, "camille", "Or", date(2026, 6, 1))
    with session_factory() as s:
        camille = members(s, team, "camille")
        s.get(Member, team["camille"]).period = "quarter"
        now = Z(2026, 6, 30, 10)
        settings = WorkspaceSettings()
        # Over the quarter (April–June, 91 days of 365): Bronze 5 visits for 0.5 due (its capital over
        # the quarter: one visit); gold Or 1 for 3.0 due and Propre 0 for 1.0 lag.
        assert coaching.over_visited(s, team["ws"], camille, now=now, settings=settings) == {team["camille"]: [("Bronze", 5, 1)]}
        assert coaching.under_visited_gold(s, team["ws"], camille, now=now, settings=settings) == {
            team["camille"]: [("Or", 1, 3), ("Propre", 0, 1)]}
        brief = coaching.review_brief(s, camille[0], now=now, settings=settings)
        assert brief.over_visited == [("Bronze", 5, 1)]
        risks = coaching.risks_for(s, team["ws"], camille, now=now, settings=settings)
        assert [(r.kind, r.values.get("account")) for r in risks if r.kind == "over_visited"] == [("over_visited", "Bronze")]
    with session_factory() as s:
        # Nobody lags (Or and Propre visited enough): visiting Bronze often is no point.
        rows = [r for r in capital.accounts_this_year(s, team["ws"], members(s, team, "camille"), WorkspaceSettings(),
                                                        now=Z(2026, 6, 30, 10))[team["camille"]] if r.name == "Bronze"]
        assert capital.balance(rows).unbalanced is False and capital.is_over_visited(rows[0])


def test_every_channel_counts_in_the_intensity_with_its_weight(session_factory, team, conversation, clock):
    clock.set(Z(2026, 11, 24, 10))
    for text in ('/log visite Or', '/log appel Or', '/log email Argent', '/log visio Argent', '/log linkedin Bronze',
                 '/log social Propre'):
        reply = say(conversation, text)
        assert reply.ok, text
    with session_factory() as s:
        channels = sorted(s.scalars(select(Action.channel)))
        assert channels == ["email", "in_person", "phone", "social", "social", "video"]
        scope = KpiScope(team["ws"], (team["camille"], team["sam"]), date(2026, 11, 23), date(2026, 11, 29),
                         capital.known_zone("Europe/Paris"))
        # 1.0 + 0.5 + 0.2 + 0.7 + 0.2 + 0.2 = 2.8
        assert kpis.commercial_intensity(s, scope, settings=WorkspaceSettings()) == {
            team["camille"]: Intensity(6, 2.8), team["sam"]: Intensity(0, 0.0)}
        heavier = WorkspaceSettings(channel_weights={"in_person": 2.0, "social": 1.0})
        assert kpis.commercial_intensity(s, scope, settings=heavier)[team["camille"]] == Intensity(6, 4.0)


def test_the_capital_settings_are_changed_by_an_admin_and_a_bad_value_stores_nothing(session_factory, team, conversation):
    def stored():
        with session_factory() as s:
            return workspace_settings.load(s.get(Workspace, team["ws"]))

    assert stored().visit_capital == {"gold": 12, "silver": 6, "bronze": 2}
    assert say(conversation, "/carnet settings capital or 10").ok  # U1 spoke first: the admin
    assert say(conversation, "/carnet settings prospection 30").ok
    assert say(conversation, "/carnet settings poids visio 0,8").ok
    assert say(conversation, "/carnet settings tournée 5").ok
    after = stored()
    assert (after.visit_capital["gold"], after.prospection_visits_per_year, after.channel_weights["video"],
            after.tour_visits_per_day) == (10, 30, 0.8, 5)
    for bad in ("capital platine 3", "capital or douze", "poids fax 1", "poids visio 11", "tournée 0", "prospection -2"):
        reply = say(conversation, f"/carnet settings {bad}")
        assert not reply.ok and "error.nothing_stored" in reply.keys, bad
    assert stored() == after
    refused = say(conversation, "/carnet settings capital or 3", user="U2")  # not an admin
    assert not refused.ok and stored() == after


def test_a_workspace_that_chose_the_older_rhythm_keeps_its_meaning(session_factory, team):
    with session_factory() as s, s.begin():
        s.get(Workspace, team["ws"]).settings = {"segment_visit_months": {"gold": 2, "bronze": 12}}
    with session_factory() as s:
        assert workspace_settings.load(s.get(Workspace, team["ws"])).visit_capital == {"gold": 6, "silver": 0, "bronze": 1}
        # The rhythm every save wrote before the capital existed is not a choice: the new defaults hold.
        s.get(Workspace, team["ws"]).settings = {"segment_visit_months": {"gold": 4, "silver": 6}}
        assert workspace_settings.load(s.get(Workspace, team["ws"])).visit_capital == {"gold": 12, "silver": 6, "bronze": 2}
