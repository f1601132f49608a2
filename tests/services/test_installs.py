"""A workspace's uninstall and erasure: nothing more is queued or sent, its data waits out the grace
period, then every row holding its workspace id goes — and no other workspace's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.core import Reply, Text, ToMember
from bot.demo import seed_demo
from bot.jobs.scheduler import erase_uninstalled, run_due
from bot.services import installs, outbox
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES, Base, OutboxMessage, Plan, Workspace
from tests.support.fixtures import TEST_NOW, say

TEAMS = ("T2", "T3")


@pytest.fixture
def two_workspaces(session_factory, conversation) -> dict[str, int]:
    """Two demo workspaces, each with a waiting choice, a remembered request, an outbox row and an
    installation; returns their ids."""
    ids = {}
    for team in TEAMS:
        with session_factory() as session, session.begin():
            ids[team] = seed_demo(session, now=TEST_NOW, team_id=team).id
        say(conversation, "/log visite Zzyzx proposition", team=team, user="U1", key=f"k-{team}")  # asks: pending
        with session_factory() as session, session.begin():
            outbox.enqueue_many(session, [outbox.reply_message(ids[team], f"test:{team}", ToMember("U1"),
                                                               Reply("fr", [Text("help.title")]))], now=TEST_NOW)
            for table in (SLACK_INSTALLATIONS, SLACK_BOTS):
                row = dict(client_id="1.2", app_id="A1", team_id=team, bot_token=f"xoxb-{team}", installed_at=TEST_NOW.replace(tzinfo=None))
                if table is SLACK_INSTALLATIONS:
                    row["user_id"] = "UINSTALLER"
                session.execute(insert(table).values(**row))
    return ids


def rows_by_table(session_factory, workspace_id: int) -> dict[str, int]:
    with session_factory() as session:
        counts = {t.name: session.scalar(select(func.count()).select_from(t).where(t.c.workspace_id == workspace_id)) or 0
                  for t in installs.workspace_tables()}
        counts["workspace"] = session.scalar(select(func.count()).select_from(Workspace).where(Workspace.id == workspace_id))
        for table in (SLACK_INSTALLATIONS, SLACK_BOTS):
            team = session.scalar(select(Workspace.team_id).where(Workspace.id == workspace_id))
            counts[table.name] = session.scalar(select(func.count()).select_from(table).where(table.c.team_id == team)) if team else 0
        return counts


def test_every_table_of_the_models_holds_a_workspace_id_or_a_slack_team_id():
    """Erasing by workspace id reaches every row only if every table carries it: a new table
    without one must say how it is erased."""
    slack_tables = {SLACK_INSTALLATIONS.name, SLACK_BOTS.name, SLACK_OAUTH_STATES.name}
    without = {t.name for t in Base.metadata.sorted_tables if "workspace_id" not in t.c} - slack_tables - {"workspace"}
    assert without == set()
    assert {t.name for t in installs.workspace_tables()} == set(Base.metadata.tables) - slack_tables - {"workspace"}


def test_erase_deletes_every_row_of_the_workspace_and_nothing_of_another(session_factory, two_workspaces):
    before = {team: rows_by_table(session_factory, two_workspaces[team]) for team in TEAMS}
    filled = {name for name, count in before["T2"].items() if count}
    # The seed reaches the tables that matter (a test that erases nothing proves nothing).
    assert {"member", "account", "contact", "action", "opportunity", "opportunity_stage_change", "plan", "objective",
            "pending_command", "processed_request", "outbox", "workspace", "slack_installations", "slack_bots"} <= filled

    with session_factory() as session, session.begin():
        erased = installs.erase(session, "T2")

    assert erased is not None and erased.rows == {name: count for name, count in before["T2"].items() if count}
    after = rows_by_table(session_factory, two_workspaces["T2"])
    assert {name: count for name, count in after.items() if count} == {}
    assert rows_by_table(session_factory, two_workspaces["T3"]) == before["T3"]


def test_erasing_an_unknown_workspace_says_so_and_changes_nothing(session_factory, two_workspaces):
    before = {team: rows_by_table(session_factory, two_workspaces[team]) for team in TEAMS}
    with session_factory() as session, session.begin():
        assert installs.erase(session, "T404") is None
    assert {team: rows_by_table(session_factory, two_workspaces[team]) for team in TEAMS} == before


def test_an_uninstalled_workspace_is_erased_after_the_grace_period_only(session_factory, two_workspaces):
    with session_factory() as session, session.begin():
        assert installs.mark_uninstalled(session, "T2", now=TEST_NOW)
    kept = rows_by_table(session_factory, two_workspaces["T2"])

    assert erase_uninstalled(session_factory, TEST_NOW + timedelta(days=29, hours=23), retention_days=30) == []
    assert rows_by_table(session_factory, two_workspaces["T2"]) == kept

    erased = erase_uninstalled(session_factory, TEST_NOW + timedelta(days=30), retention_days=30)
    assert [e.team_id for e in erased] == ["T2"]
    assert sum(rows_by_table(session_factory, two_workspaces["T2"]).values()) == 0
    assert rows_by_table(session_factory, two_workspaces["T3"])["action"] > 0


def test_uninstall_drops_the_waiting_messages_and_the_scheduler_queues_nothing_more(session_factory, two_workspaces):
    with session_factory() as session, session.begin():
        assert installs.mark_uninstalled(session, "T2", now=TEST_NOW)
        assert not installs.mark_uninstalled(session, "T404", now=TEST_NOW)  # never known: nothing to stop
    before = segment_plans(session_factory)
    report = run_due(session_factory, TEST_NOW)

    after = segment_plans(session_factory)
    assert report.segment_visits > 0  # the tick did plan visits, for T3 alone
    assert after[two_workspaces["T3"]] - before.get(two_workspaces["T3"], 0) == report.segment_visits
    assert after.get(two_workspaces["T2"], 0) == before.get(two_workspaces["T2"], 0)
    with session_factory() as session:
        status = dict(session.execute(select(OutboxMessage.workspace_id, OutboxMessage.status)
                                      .where(OutboxMessage.dedupe_key.like("test:%"))).all())
        dropped = session.scalars(select(OutboxMessage.last_error).where(
            OutboxMessage.workspace_id == two_workspaces["T2"])).all()
    assert status == {two_workspaces["T2"]: "dropped", two_workspaces["T3"]: "pending"}
    assert dropped == [installs.UNINSTALLED]


def segment_plans(session_factory) -> dict[int, int]:
    with session_factory() as session:
        return dict(session.execute(select(Plan.workspace_id, func.count()).where(Plan.source == "segment")
                                    .group_by(Plan.workspace_id)).all())
