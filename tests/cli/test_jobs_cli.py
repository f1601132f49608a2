"""``carnet jobs run-due --now …`` in a real process, delivering through a fake Slack Web API:
what is due is sent once, and running the same command again sends nothing more."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.runtime import build_runtime
from bot.services.accounts import create_account
from bot.services.members import Profile, get_or_create_member, get_or_create_workspace
from bot.services.plans import create_plan
from storage.models import OutboxMessage, Plan
from tests.support.fixtures import BOT_TOKEN, TEST_NOW, make_settings, run_carnet



def run_due(database_url: str, now: str, api_url: str) -> subprocess.CompletedProcess[str]:
    """``carnet jobs run-due --now NOW`` in a fresh process, delivering through ``api_url``."""
    return run_carnet("jobs", "run-due", "--now", now, db=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=api_url)


@pytest.fixture
def seeded(database_url) -> dict[str, int]:
    """Camille (Paris): a visit on Tuesday 24 November at 10:00, and Monday's call not logged."""
    runtime = build_runtime(make_settings(database_url), profiles=False)
    try:
        with runtime.session_factory() as s, s.begin():
            ws = get_or_create_workspace(s, "T1", now=TEST_NOW)
            camille = get_or_create_member(
                s,
                ws,
                "U1",
                now=TEST_NOW,
                profile=Profile(
                    display_name="Camille Martin", tz="Europe/Paris", locale="fr"
                ),
                default_tz="Europe/Paris",
                default_locale="fr",
            )
            beta = create_account(s, ws.id, "Beta", owner_id=None, now=TEST_NOW)
            visit = create_plan(
                s,
                camille,
                beta,
                action_type="visit",
                due_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
                has_time=True,
                now=TEST_NOW,
            )
            call = create_plan(
                s,
                camille,
                beta,
                action_type="call",
                due_at=datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
                has_time=True,
                now=TEST_NOW,
            )
            return {"visit": visit.id, "call": call.id}
    finally:
        runtime.close()


def test_run_due_delivers_the_agenda_once_and_a_second_run_nothing(
    database_url, seeded, fake_slack
):
    first = run_due(
        database_url, "2026-11-24T07:45:00Z", fake_slack.api_url
    )  # 08:45 in Paris
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "2026-11-24T07:45:00+00:00: 1 agenda(s), 0 reminder(s), 0 digest(s), 0 review(s), 0 period summary(ies) queued; 1 item(s) marked missed; 0 segment visit(s) planned.",
        "Outbox: 1 sent, 0 to retry, 0 failed, 0 dropped.",
    ]
    [post] = fake_slack.calls("chat.postMessage")
    assert post.params["channel"] == "U1" and post.token == BOT_TOKEN
    values = [
        e["value"]
        for b in post.params["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert (
        f"plan.done:{seeded['visit']}" in values
        and f"plan.done:{seeded['call']}" in values
    )

    again = run_due(database_url, "2026-11-24T07:45:00Z", fake_slack.api_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "2026-11-24T07:45:00+00:00: 0 agenda(s), 0 reminder(s), 0 digest(s), 0 review(s), 0 period summary(ies) queued; 0 item(s) marked missed; 0 segment visit(s) planned.",
        "Outbox: 0 sent, 0 to retry, 0 failed, 0 dropped.",
    ]
    assert len(fake_slack.calls("chat.postMessage")) == 1

    runtime = build_runtime(
        make_settings(database_url), profiles=False, upgrade_db=False
    )
    try:
        with runtime.session_factory() as s:
            rows = s.scalars(select(OutboxMessage)).all()
            assert [(r.dedupe_key.split(":")[0], r.status) for r in rows] == [
                ("agenda", "sent")
            ]
            assert s.get(Plan, seeded["call"]).status == "missed"
    finally:
        runtime.close()


def test_now_without_an_offset_is_refused_with_status_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["jobs", "run-due", "--now", "2026-11-24T07:45:00"], stdout=io.StringIO())
    assert exit_info.value.code == 2
    assert "needs a UTC offset" in capsys.readouterr().err
