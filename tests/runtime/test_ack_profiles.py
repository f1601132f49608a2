"""A new member's Slack profile never delays the ack (issue 11 §4): users.info is awaited 0.5 s
at most (and only while the request is young); a slower Slack leaves the member on the defaults
until its answer is written."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from bot.runtime import build_runtime, prepare_to_serve
from bot.services.members import Profile, get_or_create_member, get_or_create_workspace, learn_profile
from tests.support.fixtures import SIGNING_SECRET, ServedApp, make_settings
from tests.handlers.conftest import add_account, message_text, rows
from tests.support.fake_slack import FakeSlack
from tests.support.messages import says, word
from tests.support.slack_requests import SlackClient

# As many first-time members at once as the door has threads (10): each of them meets the slow
# users.info. More would also measure the door's queue on a busy test runner (the suite runs on
# every core), which benchmarks/load.py measures instead.
USERS = [f"UNEW{i:02d}" for i in range(10)]


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the database state"
        time.sleep(0.05)


def test_ten_first_time_members_with_a_slow_slack_are_acked_in_time(sqlite_url, clock):
    # As `carnet serve` starts: dateparser's data loaded and the heap so far frozen out of the
    # collector. A test worker's heap after a thousand tests is far larger than a server's; without
    # this, full collections during the ten concurrent requests once cost five of them the deadline.
    prepare_to_serve()
    with FakeSlack(latency=1.5) as fake:  # every users.info takes 1.5 s
        for user in USERS:
            fake.add_user(user, name=user.lower(), tz="America/New_York", locale="en-US")
        runtime = build_runtime(make_settings(sqlite_url, fake), clock=clock, delivery_interval=0.05)
        try:
            add_account(runtime, "Gamma")
            with ServedApp(runtime.web_app(with_delivery=False)) as served:

                def first_log(user: str) -> tuple[int, float, str]:
                    with SlackClient(served.url, SIGNING_SECRET) as client:
                        started = time.monotonic()
                        response = client.command("/log", "visite Gamma", user_id=user)
                        return response.status_code, time.monotonic() - started, message_text(response.json())

                with ThreadPoolExecutor(len(USERS)) as pool:
                    answers = list(pool.map(first_log, USERS))
            assert [status for status, _took, _text in answers] == [200] * len(USERS)
            slowest = max(took for _status, took, _text in answers)
            assert slowest < 3.0, slowest
            # Slack had not answered yet: the first reply is in the workspace's default language.
            assert all(says(shown, "log.saved", action_type=word("action_type.visit"), account="Gamma")
                       for _s, _t, shown in answers)
            assert len(rows(runtime, "action")) == len(USERS)

            def learnt() -> bool:
                members = {m["slack_user_id"]: m for m in rows(runtime, "member")}
                return all((members[u]["tz"], members[u]["locale"]) == ("America/New_York", "en") for u in USERS)

            wait_until(learnt)
            members = {m["slack_user_id"]: m for m in rows(runtime, "member")}
            assert {members[u]["display_name"] for u in USERS} == {u.lower() for u in USERS}
            assert sorted(c.params["user"] for c in fake.calls("users.info")) == USERS  # once each
        finally:
            runtime.close()


def test_a_profile_arriving_late_does_not_undo_what_an_admin_set(sqlite_url, clock):
    runtime = build_runtime(make_settings(sqlite_url), clock=clock, profiles=False)
    try:
        with runtime.session_factory() as session, session.begin():
            workspace = get_or_create_workspace(session, "T1", now=clock.now())
            member = get_or_create_member(session, workspace, "U1", now=clock.now(), profile=None,
                                          default_tz="Europe/Paris", default_locale="fr")
            member.tz = "Asia/Tokyo"  # set by an admin (/carnet team) before users.info answered
            late = Profile(display_name="alice", tz="America/New_York", locale="en-US")
            assert learn_profile(session, workspace.id, "U1", late, default_tz="Europe/Paris", default_locale="fr")
        with runtime.engine.connect() as conn:
            row = conn.execute(text("SELECT display_name, tz, locale FROM member")).one()
        assert tuple(row) == ("alice", "Asia/Tokyo", "en")
    finally:
        runtime.close()
