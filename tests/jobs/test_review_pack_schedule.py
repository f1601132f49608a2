"""The review pack as the scheduler sends it: due N workdays before each rep's period ends, N by
kind of period (2 for a week, 5 for a month, 10 for a quarter by default, a workspace setting);
the rep gets their brief, the manager ONE pack listing their reps due that day; nothing in a
channel. On SQLite and PostgreSQL.

Mia (manager, Paris) leads Wendy (week), Manon (month) and Quentin (quarter). The first quarter
of 2027 ends on Wednesday 31 March: its 10 last workdays start after Wednesday 17 March, March's
5 after Wednesday 24; the week of 15–21 March has 2 workdays left on Wednesday 17.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.jobs.conftest import outbox_keys
from tests.jobs.test_manager_reports_schedule import Jobs, posts, seed_periods
from tests.reports.test_digest import TEAM_CHANNEL
from tests.support.fixtures import Z


@pytest.fixture
def jobs(session_factory, fake_slack, clock) -> Jobs:
    return Jobs(session_factory, fake_slack, clock)


def test_the_lead_time_follows_the_kind_of_period(session_factory, fake_slack, jobs):
    seeded = seed_periods(session_factory, settings={"team_channel": TEAM_CHANNEL})
    timeline = [
        (Z(2027, 3, 16, 7), 0),  # Tuesday 08:00: Wendy 3 workdays left, Quentin 11
        (Z(2027, 3, 17, 6, 59), 0),
        (Z(2027, 3, 17, 7), 2),  # Wednesday 08:00: Wendy (2 left) and Quentin (10 left)
        (Z(2027, 3, 17, 9), 0),  # once
        (Z(2027, 3, 23, 7), 0),  # Tuesday: Manon 6 left, Wendy 3
        (Z(2027, 3, 24, 7), 2),  # Wednesday: Manon (5 left) and Wendy's next week (2 left)
    ]
    for when, expected in timeline:
        assert jobs.at(when).reviews == expected, when
    keys = lambda name: [k.rsplit(":", 1)[1] for k in outbox_keys(session_factory, f"review:{seeded[name]}:")]  # noqa: E731
    assert (keys("Wendy"), keys("Manon"), keys("Quentin")) == (["2027-03-21", "2027-03-28"], ["2027-03-31"], ["2027-03-31"])
    # One pack for Mia each day reviews were due, though Wendy's and Quentin's periods differ.
    assert [k.split(":")[2] for k in outbox_keys(session_factory, f"review-pack:{seeded['Mia']}:")] == ["2027-03-17", "2027-03-24"]
    mia = [t for c, t in posts(fake_slack, ":mag:") if c == "UMIA"]
    assert [t.split("\n")[0] for t in mia] == [":mag: *Revues de période de votre équipe* — 2 commerciaux, 0 à risque (privé)"] * 2
    assert "*Quentin* — période du 1 janv. 2027 au 31 mars 2027" in mia[0] and "*Wendy*" in mia[0] and "Manon" not in mia[0]


def test_the_lead_times_are_a_workspace_setting(session_factory, jobs):
    seeded = seed_periods(session_factory, settings={"review_lead_workdays": {"quarter": 3}})
    assert jobs.at(Z(2027, 3, 17, 7)).reviews == 1  # Wendy only: Quentin's quarter now waits…
    assert jobs.at(Z(2027, 3, 25, 8)).reviews == 2  # (Wendy's next week, Manon's month: the defaults)
    assert outbox_keys(session_factory, f"review:{seeded['Quentin']}:") == []
    assert jobs.at(Z(2027, 3, 26, 8)).reviews == 1  # …until 3 workdays are left (29, 30, 31)
    assert outbox_keys(session_factory, f"review:{seeded['Quentin']}:") == [f"review:{seeded['Quentin']}:2027-03-31"]


def test_one_pack_per_manager_for_thirty_reps_each_rep_their_own_brief_nothing_in_a_channel(session_factory, fake_slack, jobs):
    seeded = seed_periods(session_factory, settings={"team_channel": TEAM_CHANNEL}, reps=27)
    assert jobs.at(Z(2027, 3, 17, 7)).reviews == 29  # Wendy, Quentin and the 27 others (quarter)
    assert len(outbox_keys(session_factory, f"review-pack:{seeded['Mia']}:")) == 1
    # Mia's DM is paced (her digest and its charts went first the same morning): a few seconds on, the pack goes.
    jobs.clock.advance(timedelta(seconds=5))
    jobs.delivery.drain()
    reviews = posts(fake_slack, ":mag:")
    assert [c for c, _ in reviews].count("UMIA") == 1
    assert TEAM_CHANNEL not in {c for c, _ in reviews} and all(c.startswith("U") for c, _ in reviews)
    [pack] = [t for c, t in reviews if c == "UMIA"]
    assert pack.split("\n")[0] == ":mag: *Revues de période de votre équipe* — 29 commerciaux, 0 à risque (privé)"
    # Longer than a message shows: the whole pack follows as a file, in Mia's DM only (DUMIA, the fake's DM).
    assert len(outbox_keys(session_factory, "full-copy:review-pack:")) == 1
    assert jobs.at(Z(2027, 3, 17, 7, 1)).reviews == 0  # a minute on: Mia's DM paced, the file row goes
    [upload] = [u for u in fake_slack.uploads() if "review-pack" in u.filename]
    assert upload.channel_id == "DUMIA" and "Rep26" in upload.content.decode()
    for channel, shown in reviews:
        if channel != "UMIA":  # a rep's brief names nobody else
            name = next(n for n in seeded.users if seeded.users[n] == channel)
            assert shown.startswith(f":mag: *Votre revue de période* — {name},"), shown
            assert "Revues de période" not in shown
