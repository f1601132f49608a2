"""``carnet serve`` with OAuth, as a real process: "Add to Slack" and the redirect install a
workspace through the fake's oauth.v2.access, and Slack's requests from it are answered."""

from __future__ import annotations

import re
import signal
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.runtime.test_serve_and_worker_cli import _carnet, _healthy, _stop
from tests.support.fixtures import SIGNING_SECRET, carnet_env
from tests.support.served import free_port
from tests.support.slack_requests import SlackClient


def test_serve_installs_a_workspace_and_answers_it(sqlite_url, fake_slack, tmp_path):
    fake_slack.oauth_client = ("1.2", "client-secret")
    fake_slack.strict_tokens = True
    env = carnet_env(sqlite_url, SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="client-secret", SLACK_STATE_SECRET="s3cret",
                     SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake_slack.api_url)
    log, port = tmp_path / "serve.log", free_port()
    url = f"http://127.0.0.1:{port}"
    serve = _carnet(["serve", "--host", "127.0.0.1", "--port", str(port)], env, log)
    try:
        _healthy(url, serve, log)
        with httpx.Client(base_url=url, timeout=10) as browser:
            page = browser.get("/slack/install")
            assert page.status_code == 200 and "Add to Slack" in page.text
            state = parse_qs(urlsplit(re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', page.text)
                                      .group(1).replace("&amp;", "&")).query)["state"][0]
            code = fake_slack.oauth_code("T7", "Septième", "xoxb-t7")
            done = browser.get("/slack/oauth_redirect", params={"code": code, "state": state},
                               headers={"Cookie": f"slack-app-oauth-state={state}"})
            assert done.status_code == 200, done.text
        fake_slack.add_user("U7", name="zoé", team_id="T7")
        with SlackClient(url, SIGNING_SECRET, response_url=lambda: fake_slack.response_url("r")) as slack:
            answer = slack.command("/carnet", "help", team_id="T7", user_id="U7")
        assert answer.status_code == 200 and answer.json()["response_type"] == "ephemeral"
        assert fake_slack.calls("users.info")[0].token == "xoxb-t7"
        assert fake_slack.calls("auth.test") and fake_slack.calls("auth.test")[-1].token == "xoxb-t7"
    finally:
        _stop(serve, signal.SIGTERM, log, uvicorn=True)
