"""Tests of the Slack test support itself (fake Web API + request builders)."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.support.fixtures import fake_slack  # noqa: F401 - fixture
from tests.support.fake_slack import FailurePolicy, FakeSlack
from tests.support.slack_requests import (
    SlackClient,
    app_home_opened_event,
    block_actions_body,
    block_suggestion_body,
    checkbox_values,
    date_value,
    datepicker_action,
    event_body,
    select_value,
    sign,
    slash_command_body,
    static_select_action,
    text_value,
    view_submission_body,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def _payload(body: str) -> dict:
    form = parse_qs(body, strict_parsing=True)
    assert list(form) == ["payload"]
    return json.loads(form["payload"][0])


# ----------------------------------------------------------------------------- fake Web API
def test_users_info_known_and_unknown(fake_slack):
    fake_slack.add_user("U1", name="alice", real_name="Alice Martin", tz="Europe/Paris", locale="fr-FR")
    client = _client(fake_slack)

    user = client.users_info(user="U1", include_locale=True)["user"]
    assert (user["id"], user["real_name"], user["tz"], user["locale"]) == ("U1", "Alice Martin", "Europe/Paris", "fr-FR")
    assert user["tz_offset"] in (3600, 7200)
    assert "locale" not in client.users_info(user="U1")["user"]  # like Slack: only with include_locale

    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U404")
    assert exc.value.response["error"] == "user_not_found"

    call = fake_slack.calls("users.info")[0]
    assert call.params["user"] == "U1" and call.token == "xoxb-test"


def test_post_message_update_delete_and_dm(fake_slack):
    client = _client(fake_slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    r1 = client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    r2 = client.chat_postMessage(channel="U7", text="dm")
    assert r1["ok"] and r1["channel"] == "C1" and r1["message"]["text"] == "hi"
    assert r2["channel"] == "DU7" and r2["ts"] > r1["ts"]
    assert client.conversations_open(users="U7")["channel"]["id"] == "DU7"
    assert fake_slack.calls("chat.postMessage")[0].params["blocks"] == blocks

    client.chat_update(channel="C1", ts=r1["ts"], text="edited")
    assert [m["text"] for m in fake_slack.messages("C1")] == ["edited"]
    client.chat_delete(channel="C1", ts=r1["ts"])
    assert fake_slack.messages("C1") == []
    assert client.chat_postEphemeral(channel="C1", user="U1", text="psst")["message_ts"]
    assert client.auth_test()["user_id"] == "UBOT"
    assert client.api_call("reminders.add", params={"text": "x"}).data == {"ok": True}


def test_views(fake_slack):
    client = _client(fake_slack)
    modal = {"type": "modal", "callback_id": "log", "title": {"type": "plain_text", "text": "Log"}, "blocks": []}
    opened = client.views_open(trigger_id="1.2.abc", view=modal)["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "log"
    updated = client.views_update(view_id=opened["id"], view={**modal, "callback_id": "log2"})["view"]
    assert updated["id"] == opened["id"]
    home = client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["view"]
    assert fake_slack.home_view("U1")["id"] == home["id"]


def test_rate_limit_surfaces_as_slack_api_error(fake_slack):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7)
    client = _client(fake_slack)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="hi")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert exc.value.response["error"] == "ratelimited"

    client.chat_postMessage(channel="C1", text="hi")  # next one goes through
    assert [c.failed for c in fake_slack.calls("chat.postMessage")] == [True, False]
    assert len(fake_slack.delivered("chat.postMessage")) == 1


def test_rate_limit_retry_handler_honours_retry_after(fake_slack, monkeypatch):
    monkeypatch.setattr(builtin_handlers.random, "random", lambda: 0.0)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0, times=2)
    client = WebClient(token="xoxb-test", base_url=fake_slack.api_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [c.status for c in fake_slack.calls("chat.postMessage")] == [429, 429, 200]


def test_server_error_and_ok_false_injection(fake_slack):
    client = _client(fake_slack)
    fake_slack.fail_next("views.publish", status=503)
    fake_slack.fail_next("views.publish", status=200, error="not_enabled")
    for expected in (503, 200):
        with pytest.raises(SlackApiError) as exc:
            client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
        assert exc.value.response.status_code == expected
    assert exc.value.response["error"] == "not_enabled"
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]


def test_response_url_is_recorded_and_can_fail(fake_slack):
    url = fake_slack.response_url("cmd1")
    fake_slack.fail_next("response_url", status=500)
    assert WebhookClient(url).send(text="nope").status_code == 500
    resp = WebhookClient(url).send(text="Noté ✅", response_type="ephemeral", replace_original=False)
    assert resp.status_code == 200
    assert fake_slack.responses("cmd1") == [{"text": "Noté ✅", "response_type": "ephemeral", "replace_original": False}]
    assert fake_slack.responses("other") == []
    assert len(fake_slack.calls("response_url")) == 2


def test_file_upload_v2_records_png(fake_slack):
    client = _client(fake_slack)
    resp = client.files_upload_v2(channel="C1", content=PNG, filename="chart.png", title="Pipeline")
    assert resp["file"]["mimetype"] == "image/png"
    [upload] = fake_slack.uploads(completed_only=True)
    assert upload.is_png and upload.content == PNG and upload.channel_id == "C1" and upload.title == "Pipeline"


def test_wait_for_async_delivery(fake_slack):
    client = _client(fake_slack)
    threading.Timer(0.05, lambda: client.chat_postMessage(channel="C1", text="later")).start()
    [call] = fake_slack.wait_for("chat.postMessage", timeout=2)
    assert call.params["text"] == "later"
    with pytest.raises(AssertionError, match="chat.update"):
        fake_slack.wait_for("chat.update", timeout=0.1)


def test_latency_setting():
    with FakeSlack(latency=0.05) as fake:
        start = time.monotonic()
        _client(fake).auth_test()
        assert time.monotonic() - start >= 0.05


# ----------------------------------------------------------------------------- request builders
def test_sign_matches_slack_sdk_verifier():
    body = slash_command_body("/log", "rdv Dupont demain 10h", response_url="http://x/r")
    ts = int(time.time())
    headers = sign(body, "s3cret", ts)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier("s3cret").is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    assert not SignatureVerifier("s3cret").is_valid_request(body, sign(body, "s3cret", ts - 301))


def test_slash_command_body_fields():
    form = parse_qs(slash_command_body("/log", "a b&c=d", response_url="http://x/r"))
    assert list(form) == ["token", "team_id", "team_domain", "channel_id", "channel_name", "user_id",
                          "user_name", "command", "text", "api_app_id", "is_enterprise_install",
                          "response_url", "trigger_id"]
    assert form["text"] == ["a b&c=d"] and form["command"] == ["/log"]
    t1, t2 = (parse_qs(slash_command_body())["trigger_id"][0] for _ in range(2))
    assert t1 != t2 and len(t1.split(".")) == 3


def test_block_actions_body_shapes():
    p = _payload(block_actions_body(action_id="done", value="42", response_url="http://x/r"))
    assert p["type"] == "block_actions" and p["response_url"] == "http://x/r"
    assert p["user"] == {"id": "U1", "username": "alice", "name": "alice", "team_id": "T1"}
    assert p["container"]["type"] == "message" and p["container"]["is_ephemeral"] is True
    [a] = p["actions"]
    assert (a["action_id"], a["block_id"], a["type"], a["value"]) == ("done", "b1", "button", "42")
    assert a["text"]["type"] == "plain_text" and a["action_ts"]

    sel = _payload(block_actions_body(action_id="stage", action=static_select_action("won", "Gagné")))["actions"][0]
    assert sel["type"] == "static_select" and sel["selected_option"]["value"] == "won" and "value" not in sel
    date = _payload(block_actions_body(action_id="due", action=datepicker_action("2026-11-20")))["actions"][0]
    assert date["type"] == "datepicker" and date["selected_date"] == "2026-11-20"


def test_view_submission_and_suggestion_bodies():
    values = {
        "title": {"title_input": text_value("Visite")},
        "stage": select_value("won"),
        "due": {"d": date_value("2026-11-20")},
        "tags": {"t": checkbox_values(["hot", "new"])},
        "note": "plain",
    }
    p = _payload(view_submission_body(callback_id="log", values=values, private_metadata='{"id": 3}'))
    assert p["type"] == "view_submission" and p["view"]["callback_id"] == "log"
    v = p["view"]["state"]["values"]
    assert v["title"]["title_input"]["value"] == "Visite"
    assert v["stage"]["stage"]["selected_option"]["value"] == "won"
    assert v["due"]["d"] == {"type": "datepicker", "selected_date": "2026-11-20"}
    assert [o["value"] for o in v["tags"]["t"]["selected_options"]] == ["hot", "new"]
    assert v["note"]["note"] == {"type": "plain_text_input", "value": "plain"}
    assert p["view"]["private_metadata"] == '{"id": 3}'

    s = _payload(block_suggestion_body(action_id="acct", block_id="b", value="Dup"))
    assert (s["type"], s["action_id"], s["value"], s["container"]["type"]) == ("block_suggestion", "acct", "Dup", "view")

    e = json.loads(event_body(app_home_opened_event("U1"), event_id="Ev1"))
    assert e["type"] == "event_callback" and e["event_id"] == "Ev1" and e["event"]["tab"] == "home"


# ----------------------------------------------------------------------------- end to end with Bolt
# starlette 1.10's TestClient warns that it wants the `httpx2` package; plain httpx still works.
@pytest.mark.filterwarnings("ignore::starlette.exceptions.StarletteDeprecationWarning")
def test_bolt_app_accepts_built_requests(fake_slack):
    from slack_bolt import App
    from slack_bolt.adapter.starlette import SlackRequestHandler
    from starlette.applications import Starlette
    from starlette.routing import Route
    from starlette.testclient import TestClient

    seen: list[str] = []
    app = App(signing_secret="secret", client=_client(fake_slack))

    @app.command("/log")
    def on_log(ack, respond, command):
        ack()
        respond(f"ok {command['text']}")
        seen.append("command")

    @app.action("stage")
    def on_stage(ack, action):
        ack()
        seen.append(action["selected_option"]["value"])

    @app.view("log")
    def on_submit(ack, view):
        ack(response_action="errors", errors={"due": "trop tôt"})
        seen.append(view["state"]["values"]["due"]["due"]["selected_date"])

    @app.event("app_home_opened")
    def on_home(client, event):
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    handler = SlackRequestHandler(app)

    async def endpoint(req):
        return await handler.handle(req)

    web = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
    with TestClient(web) as http:
        slack = SlackClient(client=http, signing_secret="secret", response_url=fake_slack.response_url("c"))
        assert slack.command("/log", "hello").status_code == 200
        assert slack.action(action_id="stage", action=static_select_action("won")).status_code == 200
        r = slack.submit(callback_id="log", values={"due": date_value("2026-11-20")})
        assert r.json() == {"response_action": "errors", "errors": {"due": "trop tôt"}}
        assert slack.event(app_home_opened_event("U1"), retry_num=1).status_code == 200
        assert slack.command("/log", "x", bad_signature=True).status_code == 401
        assert slack.command("/log", "x", timestamp=int(time.time()) - 600).status_code == 401

    assert fake_slack.wait_for("response_url")[0].params["text"] == "ok hello"
    fake_slack.wait_for("views.publish")
    # Bolt runs listeners in a thread pool after the ack: give the last one time to finish.
    deadline = time.monotonic() + 5
    while len(seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(seen) == sorted(["command", "won", "2026-11-20"])


# ----------------------------------------------------------------------------- issue 11: limits and faults


def test_the_per_channel_rate_limit_answers_429_with_retry_after_like_slack():
    now = [1000.0]
    with FakeSlack(rate_limit_per_channel=1.0, burst=3, clock=lambda: now[0]) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url, retry_handlers=[])
        for i in range(3):  # a burst of 3 goes through
            client.chat_postMessage(channel="U1", text=f"m{i}")
        with pytest.raises(SlackApiError) as over:
            client.chat_postMessage(channel="U1", text="m3")
        assert over.value.response.status_code == 429
        assert over.value.response.headers.get("Retry-After") == "1"
        assert over.value.response["error"] == "ratelimited"
        client.chat_postMessage(channel="U2", text="other channel")  # channels are limited apart
        now[0] += 1.0
        client.chat_postMessage(channel="U1", text="m3")  # one more a second
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="U1", text="m4")
        [limited, _] = fake.rate_limited()
        assert (limited.params["text"], limited.retry_after, limited.fake_time) == ("m3", 1, 1000.0)
        assert [m["text"] for m in fake.messages("DU1")] == ["m0", "m1", "m2", "m3"]


def test_conversations_history_serves_messages_newest_first_with_metadata_on_request():
    with FakeSlack() as fake:
        client = _client(fake)
        meta = {"event_type": "carnet_outbox", "event_payload": {"key": "k1", "id": 1}}
        first = client.chat_postMessage(channel="C1", text="a", metadata=meta)
        client.chat_postMessage(channel="C1", text="b")
        client.chat_postMessage(channel="C2", text="elsewhere")
        page = client.conversations_history(channel="C1", include_all_metadata=True, limit=1)
        assert [m["text"] for m in page["messages"]] == ["b"] and page["has_more"] is True
        rest = client.conversations_history(channel="C1", include_all_metadata=True,
                                            cursor=page["response_metadata"]["next_cursor"])
        assert [(m["text"], m.get("metadata")) for m in rest["messages"]] == [("a", meta)]
        plain = client.conversations_history(channel="C1")
        assert all("metadata" not in m for m in plain["messages"])
        after = client.conversations_history(channel="C1", oldest=first["ts"])
        assert [m["text"] for m in after["messages"]] == ["b"]  # oldest is exclusive, as in Slack


def test_a_slow_answer_after_storing_times_the_client_out_but_the_message_is_there():
    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url, timeout=1, retry_handlers=[])
        fake.fail_next("chat.postMessage", mode="slow_after_store", delay=30)
        with pytest.raises(TimeoutError):
            client.chat_postMessage(channel="C1", text="late")
        fake.release()
        [call] = fake.delivered("chat.postMessage")
        assert call.mode == "slow_after_store"
        assert [m["text"] for m in fake.messages("C1")] == ["late"]


def test_dropped_and_lost_requests():
    import http.client

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url, timeout=1, retry_handlers=[])
        fake.fail_next("chat.postMessage", mode="drop_after_store")
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            client.chat_postMessage(channel="C1", text="dropped")
        assert [m["text"] for m in fake.messages("C1")] == ["dropped"]
        fake.fail_next("chat.postMessage", mode="slow_no_store", delay=30)
        with pytest.raises(TimeoutError):
            client.chat_postMessage(channel="C1", text="lost")
        fake.release()
        assert [m["text"] for m in fake.messages("C1")] == ["dropped"]
        assert [c.failed for c in fake.calls("chat.postMessage")] == [False, True]
        with pytest.raises(ValueError):
            fake.fail_next("chat.postMessage", mode="sometimes")


def test_a_failure_policy_fails_one_call_in_n_of_its_methods_taking_the_kinds_in_turn():
    import http.client

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url, timeout=1, retry_handlers=[])
        fake.set_failure_policy(FailurePolicy(every=2, kinds=("429", "500", "timeout", "drop", "lost"),
                                              methods=frozenset({"chat.postMessage"}), timeout=30, budget=5))
        outcomes = []
        for i in range(12):
            try:
                client.chat_postMessage(channel="C1", text=f"m{i}")
                outcomes.append("ok")
            except SlackApiError as exc:
                outcomes.append(str(exc.response.status_code))
            except TimeoutError:
                outcomes.append("timeout")
            except (http.client.RemoteDisconnected, ConnectionError):
                outcomes.append("dropped")
        client.auth_test()  # other methods are left alone
        client.conversations_open(users="U1")
        fake.release()
        assert outcomes == ["ok", "429", "ok", "500", "ok", "timeout", "ok", "dropped", "ok", "dropped", "ok", "ok"]
        # a timeout and a drop store the message (the client never learns it); the others do not
        assert [m["text"] for m in fake.messages("C1")] == ["m0", "m2", "m4", "m5", "m6", "m7", "m8", "m10", "m11"]
        assert fake.failure_policy.failed == {"429": 1, "500": 1, "timeout": 1, "drop": 1, "lost": 1}
        assert fake.calls("chat.postMessage")[1].retry_after == 1
        fake.set_failure_policy(None)
        client.chat_postMessage(channel="C1", text="after")
        with pytest.raises(ValueError):
            FailurePolicy(kinds=("teapot",))
# --------------------------------------------------------------------------- several workspaces


def test_oauth_v2_access_trades_a_code_once_for_the_teams_token(fake_slack):
    fake_slack.oauth_client = ("1.2", "secret")
    code = fake_slack.oauth_code("T2", "Beta", "xoxb-t2")
    client = WebClient(base_url=fake_slack.api_url)

    with pytest.raises(SlackApiError, match="bad_client_secret"):
        client.oauth_v2_access(client_id="1.2", client_secret="wrong", code=code)
    answer = client.oauth_v2_access(client_id="1.2", client_secret="secret", code=code)
    assert (answer["access_token"], answer["team"]["id"], answer["token_type"]) == ("xoxb-t2", "T2", "bot")
    with pytest.raises(SlackApiError, match="invalid_code"):
        client.oauth_v2_access(client_id="1.2", client_secret="secret", code=code)
    assert WebClient(token="xoxb-t2", base_url=fake_slack.api_url).auth_test()["team_id"] == "T2"


def test_strict_and_revoked_tokens_are_refused_like_slack_does(fake_slack):
    fake_slack.strict_tokens = True
    fake_slack.add_team("T3", "Gamma", "xoxb-t3")
    fake_slack.revoked_tokens.add("xoxb-t3-old")
    assert WebClient(token="xoxb-t3", base_url=fake_slack.api_url).auth_test()["team"] == "Gamma"
    for token, error in (("xoxb-unknown", "invalid_auth"), ("xoxb-t3-old", "token_revoked")):
        with pytest.raises(SlackApiError, match=error):
            WebClient(token=token, base_url=fake_slack.api_url).auth_test()


def test_conversations_info_says_whether_the_bot_is_in_the_channel(fake_slack):
    fake_slack.set_channel("C9", is_member=False, is_private=True)
    client = WebClient(token="xoxb-x", base_url=fake_slack.api_url)
    channel = client.conversations_info(channel="C9")["channel"]
    assert (channel["is_member"], channel["is_private"]) == (False, True)
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_info(channel="C0")
