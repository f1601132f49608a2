"""/log through signed HTTP requests, exactly as Slack sends them, against the served app."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import Account, Action
from tests.support.messages import says


def test_log_known_account_is_stored_and_confirmed_in_the_ack(runtime, slack, fake_slack):
    fake_slack.add_user("U1", name="alice", tz="Europe/Paris", locale="fr-FR")
    slack.command("/log", "visite Gamma proposition", user_id="U1")  # creates nothing: Gamma unknown
    with runtime.session_factory() as session, session.begin():
        from bot.services.accounts import create_account
        from bot.services.members import find_workspace

        ws = find_workspace(session, "T1")
        create_account(session, ws.id, "Gamma", owner_id=None, now=runtime.clock.now())
    response = slack.command("/log", "visite Gamma proposition hier", user_id="U1")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    text = body["blocks"][0]["text"]["text"]
    assert says(text, "log.saved", account="Gamma")
    with runtime.session_factory() as session:
        action = session.scalars(select(Action)).one()
        assert action.action_type == "visit"
        assert action.result == "proposal"
        assert action.occurred_on.isoformat() == "2026-11-22"


def test_bad_signature_is_refused_and_nothing_stored(runtime, slack):
    response = slack.command("/log", "visite Gamma", bad_signature=True)
    assert response.status_code == 401
    with runtime.session_factory() as session:
        assert session.scalar(select(func.count(Account.id))) == 0
