"""mrkdwn injection: what a member types (account, deal, contact, note, lost reason) is shown as
typed, never as Slack markup — no ``<!channel>`` ping, no ``<@U…>`` mention, no disguised
``<http://x|y>`` link — in acks, answers, channel posts and the App Home."""

from __future__ import annotations

import json
import time

from slack_sdk.models.blocks import Block

from tests.handlers.conftest import register_people, set_member

HOSTILE = "<!channel> <@U2> <http://evil.example|safe> <!here> *gras* _italique_ ~barré~ `code`"
MARKUP = ("<!channel>", "<@U2>", "<http://evil.example", "<!here>")


def _mrkdwn_texts(value) -> list[str]:
    """Every string Slack reads as mrkdwn in a message or view (block texts, fields, top-level text)."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        if isinstance(value.get("text"), str) and "blocks" in value:
            found.append(value["text"])  # a message's fallback text is mrkdwn too
        for inner in value.values():
            found += _mrkdwn_texts(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _mrkdwn_texts(inner)
    return found


def _assert_no_markup(where: str, payload) -> None:
    for text in _mrkdwn_texts(payload):
        assert not any(m in text for m in MARKUP), (where, text)
        assert not any(m in text for m in ("*gras*", "_italique_", "~barré~", "`code`")), (where, text)
    for block in (payload.get("blocks") or []) if isinstance(payload, dict) else []:
        Block.parse(block).validate_json()


def test_typed_text_is_never_markup_anywhere(runtime, slack, fake_slack):
    register_people(fake_slack, slack)
    slack.command("/carnet", "settings channel #C9", user_id="UBOSS")
    slack.command("/carnet", "help", user_id="U1")
    set_member(runtime, "U1", manager="UBOSS")
    said = []
    lines = [
        ("/log", f'visite "{HOSTILE}" proposition avec {HOSTILE} (acheteur) hier -- {HOSTILE}'),
        ("/log", f'visite "{HOSTILE} bis" hier'),
        ("/opp", f'new "{HOSTILE}" "{HOSTILE}" 12k 30%'),
        ("/opp", ""), ("/pipeline", ""), ("/plan", f'visite "{HOSTILE}" demain 10h'), ("/plan", ""),
        ("/log", f"visite {HOSTILE}"), ("/opp", f'"{HOSTILE}" gagné'),
    ]
    for command, words in lines:
        response = slack.command(command, words, user_id="U1", response_url=fake_slack.response_url("inj"))
        assert response.status_code == 200
        if not response.content:
            continue
        said.append((f"{command} {words}", response.json()))
        for block in response.json().get("blocks") or []:  # "create the account": the answer names it again
            for element in block.get("elements") or []:
                if element.get("type") == "button" and element["value"].split(":")[0].endswith("create_account"):
                    slack.action(action_id=element["action_id"], block_id="carnet.choices", value=element["value"],
                                 user_id="U1", response_url=fake_slack.response_url("inj"))
                    time.sleep(0.3)
    slack.command("/pipeline", "team", user_id="UBOSS", response_url=fake_slack.response_url("inj"))
    slack.event({"type": "app_home_opened", "user": "U1", "channel": "DU1", "tab": "home"})
    time.sleep(1.0)  # answers and posts go through the outbox
    shown = "\n".join(t for _w, b in said for t in _mrkdwn_texts(b))
    assert "&lt;!channel&gt;" in shown and "&lt;http://evil.example|safe&gt;" in shown  # shown, as typed
    assert "∗gras∗ ＿italique＿ ∼barré∼ ˋcodeˋ" in shown  # look-alikes: Slack has no escape for its marks
    for where, body in said:
        _assert_no_markup(where, body)
    for call in fake_slack.calls():
        params = call.params
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params = {**params, key: json.loads(params[key])}
        _assert_no_markup(call.method, params)
    assert fake_slack.home_view("U1") is not None
    assert fake_slack.messages("C9"), "the won deal was celebrated in the team channel"
    for answer in fake_slack.responses():
        _assert_no_markup("response_url", answer)
