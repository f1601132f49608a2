"""A team-wide reply over more than 50 reps acks at once and follows through the outbox (issue 11 §1).

``/pipeline team`` and ``/carnet team`` for a large team answer "working on it" in the ack; the full
reply arrives at the command's response_url; a Slack retry (same trigger_id) sends nothing twice.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from bot.dialogs.pipeline import LARGE_TEAM
from bot.services.members import get_or_create_workspace
from storage.models import Member
from tests.handlers.conftest import PREPARING, message_text, rows
from tests.support.messages import says, sentence

MANAGER = "UMGR"


def make_team(runtime, reps: int) -> None:
    now = runtime.clock.now()
    with runtime.session_factory() as session, session.begin():
        workspace = get_or_create_workspace(session, "T1", now=now)
        session.add(Member(workspace_id=workspace.id, slack_user_id="UADMIN", display_name="admin", role="admin",
                           locale="fr", tz="Europe/Paris", period="month", created_at=now))
        manager = Member(workspace_id=workspace.id, slack_user_id=MANAGER, display_name="Nathalie", role="manager",
                         locale="fr", tz="Europe/Paris", period="month", created_at=now)
        session.add(manager)
        session.flush()
        session.execute(insert(Member), [
            dict(workspace_id=workspace.id, slack_user_id=f"UR{i:03d}", display_name=f"Rep {i:03d}", role="rep",
                 manager_id=manager.id, locale="fr", tz="Europe/Paris", period="month", created_at=now)
            for i in range(reps)
        ])


@pytest.mark.parametrize(
    ("command", "words", "preparing", "full"),
    [
        ("/pipeline", "team", sentence("pipeline.preparing", count=60), "Rep 059"),
        ("/carnet", "team", sentence("team.preparing", count=60), "Rep 059"),
    ],
)
def test_a_large_team_reply_acks_at_once_and_follows_once(runtime, slack, fake_slack, command, words, preparing, full):
    make_team(runtime, LARGE_TEAM + 10)
    url = fake_slack.response_url("team")
    response = slack.command(command, words, user_id=MANAGER, response_url=url, trigger_id="T-TEAM")
    assert response.status_code == 200
    ack = message_text(response.json())
    assert preparing.search(ack) and full not in ack

    fake_slack.wait_for("response_url")
    [answer] = fake_slack.responses("team")
    assert full in message_text(answer)
    from slack_sdk.models.blocks import Block

    for block in answer.get("blocks") or []:
        Block.parse(block).validate_json()

    # Slack retries the command (same trigger_id): the same ack, and nothing is built or sent again.
    retried = slack.command(command, words, user_id=MANAGER, response_url=url, trigger_id="T-TEAM",
                            headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert preparing.search(message_text(retried.json()))
    replies = [r for r in rows(runtime, "outbox") if r["dedupe_key"] == "reply:command:T-TEAM:later"]
    assert len(replies) == 1
    assert len(fake_slack.responses("team")) == 1


def test_a_team_of_fifty_is_answered_in_the_ack(runtime, slack, fake_slack):
    make_team(runtime, LARGE_TEAM)
    response = slack.command("/pipeline", "team", user_id=MANAGER, trigger_id="T-SMALL")
    shown = message_text(response.json())
    assert not any(says(shown, key) for key in PREPARING) and "50" in shown
    assert [r for r in rows(runtime, "outbox") if r["kind"] == "reply"] == []
