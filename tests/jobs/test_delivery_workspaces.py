"""Each outbox row is sent with its own workspace's token; a workspace without one (uninstalled)
gets nothing, even a row a worker had already claimed."""

from __future__ import annotations

from slack_sdk import WebClient
from sqlalchemy import update

from bot.jobs.delivery import OutboxDelivery
from bot.services import installs
from bot.slack_install import WorkspaceTokens
from storage.models import Workspace
from tests.jobs.conftest import enqueue_reply, row
from tests.support.fixtures import TEST_NOW


def _delivery(session_factory, fake_slack, clock, tokens) -> OutboxDelivery:
    client = WebClient(token=None, base_url=fake_slack.api_url, timeout=30)
    return OutboxDelivery(session_factory, client, clock, http_timeout=30, tokens=tokens)


def _workspace(session_factory, team: str) -> int:
    with session_factory() as session, session.begin():
        workspace = Workspace(team_id=team, name=team, created_at=TEST_NOW)
        session.add(workspace)
        session.flush()
        return workspace.id


def test_each_row_goes_out_with_its_workspaces_token(session_factory, fake_slack, clock):
    ids = {team: _workspace(session_factory, team) for team in ("T2", "T3")}
    tokens = {ids["T2"]: "xoxb-t2", ids["T3"]: "xoxb-t3"}
    for n, team in enumerate(("T2", "T3", "T2")):
        enqueue_reply(session_factory, ids[team], f"{n} pour {team}")

    report = _delivery(session_factory, fake_slack, clock, tokens.get).drain()

    assert report.sent == 3
    assert sorted((c.params["text"], c.token) for c in fake_slack.calls("chat.postMessage")) == [
        ("0 pour T2", "xoxb-t2"), ("1 pour T3", "xoxb-t3"), ("2 pour T2", "xoxb-t2")]


def test_a_claimed_row_of_an_uninstalled_workspace_is_dropped_unsent(session_factory, fake_slack, clock):
    workspace_id = _workspace(session_factory, "T2")
    row_id = enqueue_reply(session_factory, workspace_id, "trop tard")
    # Uninstalled between the claim and the send: the row is still pending here, as if claimed.
    with session_factory() as session, session.begin():
        session.execute(update(Workspace).where(Workspace.id == workspace_id).values(uninstalled_at=TEST_NOW))

    single = WorkspaceTokens(session_factory, single_token="xoxb-one")
    report = _delivery(session_factory, fake_slack, clock, single.for_workspace).drain()

    assert (report.sent, report.dropped) == (0, 1)
    assert fake_slack.calls() == []
    stored = row(session_factory, row_id)
    assert (stored.status, stored.last_error, stored.attempts) == ("dropped", installs.UNINSTALLED, 0)
