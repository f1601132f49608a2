"""Work whose request cannot be acknowledged in time is never stored (issue 11 §1).

A Slack request meets a database held by someone else: the door's short lock / statement limits
make it give up before Slack's 3 s, roll back and answer an apology; the retry stores it once.
"""

from __future__ import annotations

import sqlite3
import threading
import time

from sqlalchemy import create_engine, text

from bot.conversation import Conversation
from bot.core import Request
from bot.messages import translate
from bot.runtime import build_runtime
from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from storage.db import make_engine, make_session_factory, normalize_url
from tests.support.fixtures import SIGNING_SECRET, ServedApp, make_settings
from tests.handlers.conftest import add_account, message_text, rows
from tests.support.messages import says, word
from tests.support.slack_requests import SlackClient

BUSY = translate("fr", "error.busy")


def test_a_locked_sqlite_database_gets_the_apology_quickly_and_nothing_stored(runtime, slack, sqlite_url):
    add_account(runtime, "Gamma")
    assert slack.command("/log", "appel Gamma").status_code == 200  # U1 known, one action stored
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock (a long tick, a migration)
    try:
        started = time.monotonic()
        response = slack.command("/log", "visite Gamma proposition", trigger_id="T-LOCKED")
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 200
    assert BUSY in message_text(response.json())
    assert took < 2.5, took  # well inside Slack's 3 s: the door's busy timeout is 1.5 s
    assert [a["action_type"] for a in rows(runtime, "action")] == ["call"]
    assert "command:T-LOCKED" not in {r["request_key"] for r in rows(runtime, "processed_request")}

    # Slack shows its own error; the rep sends it again (a new trigger): stored once.
    retried = slack.command("/log", "visite Gamma proposition", trigger_id="T-AGAIN")
    assert says(message_text(retried.json()), "log.saved", action_type=word("action_type.visit"), account="Gamma")
    assert [a["action_type"] for a in rows(runtime, "action")] == ["call", "visit"]


def test_the_worker_engine_keeps_waiting_for_the_lock(runtime, sqlite_url):
    """The scheduler and delivery use the long timeouts: a held lock only makes them wait."""
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(2.0, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        with runtime.session_factory() as session, session.begin():
            get_or_create_workspace(session, "T7", now=runtime.clock.now())  # waits ~2 s, then writes
    finally:
        release.join()
        holder.close()
    assert [w["team_id"] for w in rows(runtime, "workspace")] == ["T7"]


def test_work_ready_after_the_deadline_is_rolled_back(sqlite_url, clock):
    """The lock is released after the deadline: the work is done, but not committed."""
    engine = make_engine(sqlite_url)  # long busy timeout: only the deadline can stop this request
    from storage.db import upgrade

    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        workspace = get_or_create_workspace(session, "T1", now=clock.now())
        create_account(session, workspace.id, "Gamma", owner_id=None, now=clock.now())
    conversation = Conversation(factory, clock)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.0, lambda: holder.execute("ROLLBACK"))
    release.start()
    try:
        reply = conversation.handle(
            Request(team_id="T1", user_id="U1", command="log", text="visite Gamma", request_key="command:late"),
            deadline=time.monotonic() + 0.3,
        )
    finally:
        release.join()
        holder.close()
    assert reply.keys == ["error.busy"] and not reply.ok
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM action")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM member")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM processed_request")).scalar() == 0
    # A request whose deadline passed before it started does nothing at all.
    reply = conversation.handle(Request(team_id="T1", user_id="U1", command="log", text="visite Gamma"),
                                deadline=time.monotonic() - 0.1)
    assert reply.keys == ["error.busy"]
    # Without a deadline (the console) the same request is stored.
    assert conversation.handle(Request(team_id="T1", user_id="U1", command="log", text="visite Gamma")).ok
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM action")).scalar() == 1
    engine.dispose()


def test_a_postgresql_lock_makes_the_statement_time_out(postgres_url, fake_slack, clock):
    runtime = build_runtime(make_settings(postgres_url, fake_slack), clock=clock, delivery_interval=0.05)
    holder = create_engine(normalize_url(postgres_url))
    try:
        add_account(runtime, "Gamma")
        with ServedApp(runtime.web_app()) as served, SlackClient(served.url, SIGNING_SECRET) as slack:
            assert slack.command("/log", "appel Gamma").status_code == 200
            with holder.connect() as conn:
                conn.execute(text("LOCK TABLE action IN ACCESS EXCLUSIVE MODE"))  # held until rollback
                started = time.monotonic()
                response = slack.command("/log", "visite Gamma proposition", trigger_id="T-PG-LOCKED")
                took = time.monotonic() - started
                conn.rollback()
            assert response.status_code == 200
            assert BUSY in message_text(response.json())
            assert took < 2.5, took
            assert [a["action_type"] for a in rows(runtime, "action")] == ["call"]
            assert "command:T-PG-LOCKED" not in {r["request_key"] for r in rows(runtime, "processed_request")}
            retried = slack.command("/log", "visite Gamma proposition", trigger_id="T-PG-AGAIN")
            assert says(message_text(retried.json()), "log.saved", action_type=word("action_type.visit"), account="Gamma")
        assert [a["action_type"] for a in rows(runtime, "action")] == ["call", "visit"]
        with runtime.serve_engine.connect() as conn:  # the door's limit; the worker's engine has none
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "1500ms"
        with runtime.engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        holder.dispose()
        runtime.close()
