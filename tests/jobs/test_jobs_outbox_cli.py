"""``carnet jobs status`` / ``carnet jobs retry`` and the failed rows ``carnet jobs run-due`` reports (issue 11 §3):
a message that failed for good is visible with its error, and can be sent again; bad ids change nothing."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.services import outbox
from storage.models import OutboxMessage
from tests.support.fixtures import BOT_TOKEN, TEST_NOW
from tests.jobs.conftest import enqueue_reply, row


@pytest.fixture
def env(engine, monkeypatch, fake_slack):
    for name in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "CARNET_DEFAULT_TZ", "CARNET_DEFAULT_LOCALE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)


def carnet(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def _fail(session_factory, row_id: int, error: str) -> None:
    with session_factory() as session, session.begin():
        claimed = outbox.claim_due(session, worker="w", now=TEST_NOW, limit=100)
        assert row_id in {c.id for c in claimed}
        outbox.mark_final(session, row_id, worker="w", status="failed", error=error)
        for other in claimed:
            if other.id != row_id:
                outbox.defer(session, other.id, worker="w", until=TEST_NOW)


@pytest.fixture
def rows(session_factory, workspace_id) -> dict[str, int]:
    ids = {
        "gone": enqueue_reply(session_factory, workspace_id, "à Paul", destination={"type": "dm", "user": "UPAUL"},
                              key="agenda:UPAUL:2026-11-23"),
        "team": enqueue_reply(session_factory, workspace_id, "bravo", destination={"type": "channel", "channel": "CTEAM"},
                              key="celebrate:42"),
        "queued": enqueue_reply(session_factory, workspace_id, "en attente", key="reply:queued"),
    }
    _fail(session_factory, ids["gone"], "user_not_found")
    _fail(session_factory, ids["team"], "not_in_channel")
    return ids


def test_status_counts_rows_and_lists_the_failed_ones_with_their_error(env, rows):
    code, out = carnet("jobs", "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Outbox: 1 pending, 0 claimed, 0 sent, 2 failed, 0 dropped."
    assert lines[1].startswith("Failed")
    assert lines[2:] == [
        f"  #{rows['team']} T1 celebrate:42 [reply → channel CTEAM] after 1 attempt(s): not_in_channel",
        f"  #{rows['gone']} T1 agenda:UPAUL:2026-11-23 [reply → dm UPAUL] after 1 attempt(s): user_not_found",
    ]


def test_retry_one_id_puts_that_row_back_and_only_it(env, rows, session_factory):
    code, out = carnet("jobs", "retry", "--id", str(rows["team"]))
    assert code == 0 and out.startswith("1 failed message(s) put back")
    back = row(session_factory, rows["team"])
    assert (back.status, back.failures, back.claimed_by) == ("pending", 0, None)
    assert row(session_factory, rows["gone"]).status == "failed"
    _, out = carnet("jobs", "status")
    assert out.splitlines()[0] == "Outbox: 2 pending, 0 claimed, 0 sent, 1 failed, 0 dropped."


def test_retry_all_failed(env, rows, session_factory):
    assert carnet("jobs", "retry", "--all-failed") == (0, "2 failed message(s) put back in the outbox; the worker sends them now.\n")
    assert {row(session_factory, i).status for i in rows.values()} == {"pending"}


def _statuses(session_factory) -> Counter:
    with session_factory() as session:
        return Counter(session.scalars(select(OutboxMessage.status)))


@pytest.mark.parametrize("bad", ["unknown", "not failed", "zero", "one of two"])
def test_retry_with_a_bad_id_says_so_and_changes_nothing(env, rows, session_factory, capsys, bad):
    argv = {
        "unknown": ["--id", "999999"],
        "not failed": ["--id", str(rows["queued"])],
        "zero": ["--id", "0"],
        "one of two": ["--id", str(rows["gone"]), "--id", "999999"],
    }[bad]
    before = _statuses(session_factory)
    code, out = carnet("jobs", "retry", *argv)
    assert code == 2 and out == ""
    err = capsys.readouterr().err
    assert "nothing was changed" in err
    if bad != "zero":
        assert "no failed outbox row with id" in err
    assert _statuses(session_factory) == before == {"failed": 2, "pending": 1}


@pytest.mark.parametrize("argv", [[], ["--id", "abc"], ["--id", "1", "--all-failed"]])
def test_retry_needs_one_valid_choice(env, rows, session_factory, capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        carnet("jobs", "retry", *argv)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err
    assert _statuses(session_factory) == {"failed": 2, "pending": 1}


def test_run_due_prints_the_failed_rows_it_produced(env, session_factory, workspace_id, fake_slack):
    row_id = enqueue_reply(session_factory, workspace_id, "à personne", destination={"type": "dm", "user": "UGONE"},
                           key="agenda:UGONE:2026-11-23")
    fake_slack.fail_next("chat.postMessage", status=200, error="user_not_found")
    code, out = carnet("jobs", "run-due", "--now", "2026-11-23T09:00:00Z")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "Outbox: 0 sent, 0 to retry, 1 failed, 0 dropped."
    assert lines[2:] == [
        "Failed (carnet jobs retry --id N, or --all-failed):",
        f"  #{row_id} T1 agenda:UGONE:2026-11-23 [reply → dm UGONE] after 1 attempt(s): user_not_found",
    ]
