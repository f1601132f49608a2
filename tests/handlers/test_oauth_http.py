"""OAuth v2 in several workspaces, over real HTTP: "Add to Slack", the redirect, oauth.v2.access on
the fake Web API, each workspace's requests and messages with its own token, and the uninstall."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, text

from bot.runtime import build_runtime
from bot.services import outbox
from bot.core import Reply, Text, ToMember
from storage.models import OutboxMessage, Workspace
from tests.support.fixtures import SIGNING_SECRET, ServedApp, make_settings
from tests.support.slack_requests import SlackClient, app_home_opened_event

CLIENT_ID, CLIENT_SECRET, STATE_SECRET = "1234.5678", "client-secret", "state-secret"
TOKENS = {"T2": "xoxb-t2-token", "T3": "xoxb-t3-token"}


def oauth_settings(url: str, fake, **overrides: str):
    return make_settings(url, fake, SLACK_BOT_TOKEN="", SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET,
                         SLACK_STATE_SECRET=STATE_SECRET, **overrides)


@pytest.fixture
def oauth(sqlite_url, fake_slack, clock):
    fake_slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    fake_slack.strict_tokens = True  # a token Slack never gave is refused, as Slack does
    rt = build_runtime(oauth_settings(sqlite_url, fake_slack), clock=clock, delivery_interval=0.05)
    try:
        with ServedApp(rt.web_app()) as served:
            rt.served_url = served.url  # type: ignore[attr-defined]
            yield rt
    finally:
        rt.close()


@pytest.fixture
def browser(oauth):
    with httpx.Client(base_url=oauth.served_url, timeout=10) as client:
        yield client


@pytest.fixture
def slack(oauth, fake_slack):
    with SlackClient(oauth.served_url, SIGNING_SECRET, response_url=lambda: fake_slack.response_url("r")) as client:
        yield client


def install(browser, fake, team: str, name: str) -> httpx.Response:
    """An admin of ``team`` clicks "Add to Slack", allows the app, and comes back with the code."""
    page = browser.get("/slack/install")
    assert page.status_code == 200, page.text
    authorize = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text).group(1)
    query = parse_qs(urlsplit(authorize.replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID]
    assert "chat:write" in query["scope"][0].split(",")
    state = query["state"][0]
    assert page.cookies.get("slack-app-oauth-state") == state or f"slack-app-oauth-state={state}" in page.headers["set-cookie"]
    code = fake.oauth_code(team, name, TOKENS[team])
    return browser.get("/slack/oauth_redirect", params={"code": code, "state": state},
                       headers={"Cookie": f"slack-app-oauth-state={state}"})


def uninstalled(runtime, team: str, *, timeout: float = 5.0):
    """When ``team`` was marked uninstalled: Bolt acks an event first and runs its listener right
    after, so the test waits for it (briefly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workspace = workspaces(runtime).get(team)
        if workspace is not None and workspace.uninstalled_at is not None:
            return workspace.uninstalled_at
        time.sleep(0.02)
    raise AssertionError(f"{team} was not marked uninstalled")


def installations(runtime) -> list[dict]:
    with runtime.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT team_id, team_name, bot_token FROM slack_installations ORDER BY id"))]


def workspaces(runtime) -> dict[str, Workspace]:
    with runtime.session_factory() as session:
        found = {w.team_id: w for w in session.scalars(select(Workspace))}
        session.expunge_all()
        return found


def test_add_to_slack_installs_the_app_through_oauth_v2_access(oauth, browser, fake_slack):
    done = install(browser, fake_slack, "T2", "Beta Ventes")

    assert done.status_code == 200, done.text
    exchange = fake_slack.calls("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0].ok
    assert exchange[0].params["code"].startswith("code-")
    assert installations(oauth) == [{"team_id": "T2", "team_name": "Beta Ventes", "bot_token": TOKENS["T2"]}]
    assert workspaces(oauth)["T2"].name == "Beta Ventes"
    assert workspaces(oauth)["T2"].uninstalled_at is None


def test_a_callback_with_a_forged_or_reused_state_installs_nothing(oauth, browser, fake_slack):
    page = browser.get("/slack/install")
    state = re.search(r"state=([^&\"]+)", page.text).group(1)
    forged = state.rsplit(".", 1)[0] + ".0000"  # a state Carnet did not sign
    code = fake_slack.oauth_code("T2", "Beta", TOKENS["T2"])
    refused = browser.get("/slack/oauth_redirect", params={"code": code, "state": forged},
                          headers={"Cookie": f"slack-app-oauth-state={forged}"})
    assert refused.status_code in (400, 401)  # Bolt answers a bad state with a failure page
    assert fake_slack.calls("oauth.v2.access") == []

    done = browser.get("/slack/oauth_redirect", params={"code": code, "state": state},
                       headers={"Cookie": f"slack-app-oauth-state={state}"})
    assert done.status_code == 200
    again = browser.get("/slack/oauth_redirect", params={"code": code, "state": state},
                        headers={"Cookie": f"slack-app-oauth-state={state}"})
    assert again.status_code in (400, 401)  # a state works once
    assert len(installations(oauth)) == 1


def test_a_wrong_client_secret_installs_nothing(sqlite_url, fake_slack, clock):
    fake_slack.oauth_client = (CLIENT_ID, "the-real-secret")
    rt = build_runtime(oauth_settings(sqlite_url, fake_slack), clock=clock)
    try:
        with ServedApp(rt.web_app(with_delivery=False)) as served, httpx.Client(base_url=served.url) as browser:
            answer = install(browser, fake_slack, "T2", "Beta")
            assert answer.status_code in (400, 401)
            assert fake_slack.calls("oauth.v2.access")[0].response["error"] == "bad_client_secret"
            assert installations(rt) == []
            assert workspaces(rt) == {}
    finally:
        rt.close()


def test_each_workspace_is_answered_and_written_to_with_its_own_token(oauth, browser, slack, fake_slack):
    for team, name in (("T2", "Beta"), ("T3", "Gamma")):
        assert install(browser, fake_slack, team, name).status_code == 200
    fake_slack.add_user("U2A", name="anne", team_id="T2")
    fake_slack.add_user("U3A", name="bruno", team_id="T3")

    for team, user in (("T2", "U2A"), ("T3", "U3A")):
        answer = slack.command("/carnet", "help", team_id=team, user_id=user)
        assert answer.status_code == 200 and answer.json()["response_type"] == "ephemeral"
        assert slack.event(app_home_opened_event(user), team_id=team).status_code == 200
    published = fake_slack.wait_for("views.publish", count=2)

    assert {c.params["user_id"]: c.token for c in published} == {"U2A": TOKENS["T2"], "U3A": TOKENS["T3"]}
    profile_tokens = {c.params["user"]: c.token for c in fake_slack.calls("users.info")}
    assert profile_tokens == {"U2A": TOKENS["T2"], "U3A": TOKENS["T3"]}
    assert all(c.ok for c in fake_slack.calls("views.publish"))


def test_a_workspace_that_never_installed_the_app_is_refused(oauth, slack, fake_slack):
    answer = slack.command("/carnet", "help", team_id="T9", user_id="U9")
    assert "response_type" not in (answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {})
    assert workspaces(oauth) == {}  # nothing stored for it


def test_uninstall_stops_sending_at_once_and_keeps_the_data_for_the_grace_period(oauth, browser, slack, fake_slack, clock):
    for team, name in (("T2", "Beta"), ("T3", "Gamma")):
        install(browser, fake_slack, team, name)
    fake_slack.add_user("U2A", name="anne", team_id="T2")
    assert slack.command("/carnet", "help", team_id="T2", user_id="U2A").status_code == 200
    oauth.worker.stop()  # the messages below wait in the outbox
    ids = {}
    with oauth.session_factory() as session, session.begin():
        for team in ("T2", "T3"):
            workspace_id = session.scalar(select(Workspace.id).where(Workspace.team_id == team))
            outbox.enqueue_many(session, [outbox.reply_message(workspace_id, f"test:{team}", ToMember("U2A"),
                                                               Reply("en", [Text("help.title")]))], now=clock.now())
            ids[team] = workspace_id

    assert slack.event({"type": "app_uninstalled", "event_ts": "1.0"}, team_id="T2").status_code == 200

    assert uninstalled(oauth, "T2") == clock.now()
    assert workspaces(oauth)["T3"].uninstalled_at is None
    with oauth.session_factory() as session:
        status = dict(session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.status)).all())
    assert status["test:T2"] == "dropped" and status["test:T3"] == "pending"
    assert [i["team_id"] for i in installations(oauth)] == ["T3"]
    answer = slack.command("/carnet", "help", team_id="T2", user_id="U2A")
    assert "response_type" not in (answer.json() if answer.content.startswith(b"{") else {})
    with oauth.engine.connect() as conn:  # the member and their settings are still there
        assert conn.execute(text("SELECT COUNT(*) FROM member WHERE workspace_id = :w"), {"w": ids["T2"]}).scalar() == 1

    # A retry of the event changes nothing; tokens_revoked of the bot token does the same.
    assert slack.event({"type": "app_uninstalled", "event_ts": "1.0"}, team_id="T2", retry_num=1).status_code == 200
    assert workspaces(oauth)["T2"].uninstalled_at == clock.now()
    slack.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOTT3"]}, "event_ts": "2.0"}, team_id="T3")
    assert uninstalled(oauth, "T3") == clock.now()
    assert installations(oauth) == []


def test_a_reinstall_within_the_grace_period_brings_the_workspace_back(oauth, browser, slack, fake_slack, clock):
    install(browser, fake_slack, "T2", "Beta")
    slack.event({"type": "app_uninstalled", "event_ts": "1.0"}, team_id="T2")
    uninstalled(oauth, "T2")
    install(browser, fake_slack, "T2", "Beta")
    assert workspaces(oauth)["T2"].uninstalled_at is None
    assert [i["team_id"] for i in installations(oauth)] == ["T2"]
