"""Secrets never appear in logs or errors: configured values and Slack token shapes are redacted
in every log record (message, arguments, traceback), in Settings' repr and in stored errors."""

from __future__ import annotations

import logging
import sys

from bot import redaction
from bot.runtime import build_runtime
from bot.settings import Settings
from tests.support.fixtures import BOT_TOKEN, SIGNING_SECRET, make_settings, typed
from tests.support.log_check import leaks_in

APP_TOKEN = "xapp-1-A0TEST-123-abcdef"
CLIENT_SECRET = "client-secret-0123456789"
STATE_SECRET = "state-secret-9876543210"
WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"


def formatted(record: logging.LogRecord) -> str:
    return logging.Formatter("%(message)s").format(record)


def test_settings_repr_shows_no_secret():
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql+psycopg://carnet:db-password-42@db.example/carnet",
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_CLIENT_ID": "123.456",
        "SLACK_STATE_SECRET": STATE_SECRET,  # OAuth takes the three together
    })
    shown = repr(settings) + str(settings)
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, CLIENT_SECRET, STATE_SECRET, "db-password-42"):
        assert secret not in shown
    assert "slack_bot_token='[redacted]'" in shown and "db.example/carnet" in shown and "environment" not in shown
    assert set(settings.secrets()) == {BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, CLIENT_SECRET, STATE_SECRET, "db-password-42"}


def test_every_part_of_a_log_record_is_redacted():
    redaction.install([CLIENT_SECRET])
    logger = logging.getLogger("bot.test_redaction")
    try:
        raise RuntimeError(f"refused with {CLIENT_SECRET} and xoxp-1234-5678-abcd")
    except RuntimeError:
        record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "posting to %s as %s failed",
                                   (WEBHOOK, APP_TOKEN), exc_info=sys.exc_info())
    shown = formatted(record)
    assert WEBHOOK not in shown and APP_TOKEN not in shown and CLIENT_SECRET not in shown
    assert "xoxp-1234" not in shown
    assert shown.startswith("posting to [redacted] as [redacted] failed")
    assert "RuntimeError: refused with [redacted] and [redacted]" in shown  # the traceback stays readable
    assert isinstance(record.args, tuple) and len(record.args) == 2  # handlers that unpack args still work


def test_a_configured_secret_that_begins_a_longer_token_takes_the_whole_token():
    redaction.install(["xapp-1"])  # e.g. a test's short app token, remembered for the whole process
    assert redaction.redact(f"as {APP_TOKEN} failed") == "as [redacted] failed"


def test_ordinary_words_are_left_alone():
    redaction.install(["abc", ""])  # too short to be a secret: never blanks out words
    assert redaction.redact("abc xoxb is a word, xoxb- alone too") == "abc xoxb is a word, xoxb- alone too"


def test_an_error_holding_the_token_is_logged_without_it(sqlite_url, clock, caplog):
    def lookup(_user: str):
        raise ConnectionError(f"POST https://slack.com/api/users.info Authorization: Bearer {BOT_TOKEN}")

    runtime = build_runtime(make_settings(sqlite_url), clock=clock, profiles=lookup)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.conversation"):
            runtime.conversation.handle(typed("aide"))
        assert "could not read the profile of U1" in caplog.text
        assert BOT_TOKEN not in caplog.text and "Bearer [redacted]" in caplog.text
    finally:
        runtime.close()


def test_the_end_of_run_check_finds_a_leak(tmp_path):
    clean = tmp_path / "gw0.log"
    clean.write_text("INFO bot.x: sent with [redacted]\nINFO bot.x: xoxb is a word\n", encoding="utf-8")
    leaky = tmp_path / "gw1.log"
    leaky.write_text(f"WARNING slack: failed {SIGNING_SECRET}\nERROR x: token xoxb-999-abc\nINFO ok\n", encoding="utf-8")
    assert leaks_in([clean], [SIGNING_SECRET]) == []
    assert len(leaks_in([clean, leaky], [SIGNING_SECRET])) == 2
