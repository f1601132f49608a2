"""The managers' reports as the scheduler sends them: ``run_due`` decides and queues, the outbox
delivery posts to the fake Slack. Weekly digests on Monday at the digest time in each manager's
zone, once per manager and week, with their chart uploaded to the manager's DM; review briefs N=3
workdays before each rep's period ends, once per period, to the rep and their manager; the team's
period summary on the last day of the manager's period from 17:00, once — and nothing private
ever in the team channel. On SQLite and PostgreSQL.

The team is the one of tests/reports/test_digest.py: Nadia (Paris) leads Alice and Bruno, Marc
(New York) leads Xavier, Ada is the admin; Bruno is far below his objective (6 %).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.jobs.scheduler import run_due
from storage.models import Workspace
from tests.jobs.conftest import make_delivery, outbox_keys
from tests.reports.test_digest import (
    LONG_AGO,
    NOW,
    TEAM_CHANNEL,
    Builder,
    Seeded,
    digest_for,
    seed_team,
)
from tests.support.fixtures import Z


def posts(fake_slack, prefix: str = "") -> list[tuple[str, str]]:
    """(channel, section text) of every message posted, whose text starts with ``prefix``."""
    out = []
    for call in fake_slack.delivered("chat.postMessage"):
        if (call.params.get("text") or "").startswith(prefix):
            [section, *_] = call.params["blocks"]
            out.append((call.params["channel"], section["text"]["text"]))
    return out


class Jobs:
    """run_due then deliver, at a given instant."""

    def __init__(self, session_factory, fake_slack, clock) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.delivery = make_delivery(session_factory, fake_slack, clock)

    def at(self, when: datetime):
        self.clock.set(when)
        report = run_due(self.session_factory, when)
        self.delivery.drain()
        return report


@pytest.fixture
def jobs(session_factory, fake_slack, clock) -> Jobs:
    return Jobs(session_factory, fake_slack, clock)


@pytest.fixture
def team(session_factory) -> Seeded:
    return seed_team(session_factory)


# --------------------------------------------------------------------------- weekly digest


def test_one_digest_per_manager_and_week_on_monday_at_the_digest_time_in_their_zone(
    session_factory, fake_slack, jobs, team
):
    nadia, marc = team["Nadia"], team["Marc"]

    assert jobs.at(Z(2026, 11, 29, 7)).digests == 0  # Sunday
    assert jobs.at(NOW - timedelta(minutes=1)).digests == 0  # Monday 07:59 in Paris
    assert outbox_keys(session_factory, "digest") == []

    assert jobs.at(NOW).digests == 1  # 08:00 in Paris; 02:00 in New York: Marc's is not due yet
    assert outbox_keys(session_factory, "digest") == [f"digest:{nadia}:2026-11-23", f"digest-chart:{nadia}:2026-11-23"]
    [(channel, shown)] = posts(fake_slack, ":bar_chart:")
    assert channel == "UNADIA"
    assert shown.split("\n") == digest_for(session_factory, team, "Nadia")[1]  # the digest of the report, as is

    [upload, *_cockpit] = fake_slack.uploads()
    assert upload.completed and upload.is_png
    assert upload.channel_id == "DUNADIA"  # the manager's DM
    assert (upload.filename, upload.title) == ("carnet-digest-2026-11-23.png", "Digest Carnet — semaine du 23 nov. 2026")
    assert outbox_keys(session_factory, f"cockpit:{nadia}:") == [f"cockpit:{nadia}:2026-11-23:{n}" for n in (1, 2, 3)]

    assert jobs.at(NOW + timedelta(hours=1)).digests == 0  # Monday 09:00: already sent
    # The cockpit's charts followed (the DM is paced), each a file of its own with its alt text in Nadia's language.
    [upload, *cockpit] = [u for u in fake_slack.uploads() if u.filename.endswith("-2026-11-23.png")]
    assert [u.filename for u in cockpit] == [f"carnet-{kind}-2026-11-23.png" for kind in ("attainment", "trend", "funnel")]
    assert all(u.completed and u.is_png and u.channel_id == "DUNADIA" for u in cockpit)
    assert [u.alt_txt.split(" ")[0] for u in cockpit] == ["Atteinte", "Tendance", "Entonnoir"]
    assert jobs.at(NOW + timedelta(hours=5, minutes=59)).digests == 0  # 07:59 in New York
    assert jobs.at(NOW + timedelta(hours=6)).digests == 1  # 08:00 in New York
    assert outbox_keys(session_factory, f"digest:{marc}") == [f"digest:{marc}:2026-11-23"]
    assert jobs.at(Z(2026, 12, 1, 7)).digests == 0  # Tuesday
    assert jobs.at(Z(2026, 12, 1, 14)).digests == 0

    assert [c for c, _ in posts(fake_slack, ":bar_chart:")] == ["UNADIA", "UMARC"]
    digest_files = [u for u in fake_slack.uploads(completed_only=True) if "review" not in u.filename]  # (Nadia's pack has its own)
    assert sorted(u.channel_id for u in digest_files) == ["DUMARC"] * 4 + ["DUNADIA"] * 4
    assert all(u.is_png for u in fake_slack.uploads())

    assert jobs.at(Z(2026, 12, 7, 7)).digests == 1  # next Monday: the week of 30 November
    assert outbox_keys(session_factory, f"digest:{nadia}") == [f"digest:{nadia}:2026-11-23", f"digest:{nadia}:2026-11-30"]
    assert [c for c, _ in posts(fake_slack, ":bar_chart:")] == ["UNADIA", "UMARC", "UNADIA"]


def test_a_digest_time_changed_by_the_workspace_is_followed(session_factory, fake_slack, jobs, team):
    with session_factory() as s, s.begin():
        ws = s.get(Workspace, team.ws)
        ws.settings = {**ws.settings, "digest_time": "10:30"}
    assert jobs.at(NOW + timedelta(hours=2, minutes=29)).digests == 0  # 10:29 in Paris
    assert jobs.at(NOW + timedelta(hours=2, minutes=30)).digests == 1
    assert [c for c, _ in posts(fake_slack, ":bar_chart:")] == ["UNADIA"]


# --------------------------------------------------------------------------- review briefs


@pytest.fixture
def periods(session_factory) -> Seeded:
    """Mia (manager, Paris) leads Wendy (week), Manon (month) and Quentin (quarter); the workspace
    stored the single lead time of before (3 workdays for every period)."""
    return seed_periods(session_factory, settings={"review_workdays_before": 3})


def seed_periods(session_factory, *, settings: dict, reps: int = 0) -> Seeded:
    """Mia (manager) leads Wendy (week), Manon (month), Quentin (quarter) and ``reps`` more quarterly
    reps, in a workspace with ``settings``."""
    seeded = Seeded()
    with session_factory() as s, s.begin():
        ws = Workspace(team_id="T1", name="Acme", settings=settings, created_at=LONG_AGO)
        s.add(ws)
        s.flush()
        seeded.ws = ws.id
        b = Builder(s, seeded)
        b.member("Mia", role="manager")
        b.member("Wendy", manager="Mia", period="week")
        b.member("Manon", manager="Mia", period="month")
        b.member("Quentin", manager="Mia", period="quarter")
        for i in range(reps):
            b.member(f"Rep{i:02d}", manager="Mia", period="quarter")
    return seeded


def review_ends(session_factory, seeded: Seeded) -> dict[str, list[str]]:
    """rep → the period ends of the reviews queued for them (their manager's pack: one per end)."""
    out: dict[str, list[str]] = {}
    for name in ("Wendy", "Manon", "Quentin"):
        out[name] = [k.rsplit(":", 1)[1] for k in outbox_keys(session_factory, f"review:{seeded[name]}:")]
    packs = [k.split(":")[2] for k in outbox_keys(session_factory, f"review-pack:{seeded['Mia']}:")]
    assert packs == ["2027-01-26", "2027-02-02", "2027-03-25", "2027-03-26"]  # one a day reviews are due
    assert outbox_keys(session_factory, "review-manager:") == []  # no copy per rep any more
    return out


def test_reviews_three_workdays_before_each_reps_period_ends_once_per_period(session_factory, fake_slack, jobs, periods):
    """January 2027 ends on a Sunday: its last three workdays are 27, 28 and 29 January, so the
    week and month reviews are due from Tuesday 26 at 08:00. The first quarter ends on
    Wednesday 31 March: due from Friday 26 March."""
    timeline = [
        (Z(2027, 1, 25, 7, 30), 0),  # Monday: 4 workdays left for everyone
        (Z(2027, 1, 26, 6, 59), 0),  # Tuesday 07:59
        (Z(2027, 1, 26, 7, 0), 2),  # Tuesday 08:00: Wendy's week and Manon's month
        (Z(2027, 1, 27, 7, 0), 0),
        (Z(2027, 1, 29, 16, 0), 0),
        (Z(2027, 1, 30, 10, 0), 0),  # Saturday
        (Z(2027, 2, 2, 7, 0), 1),  # Wendy's next week
        (Z(2027, 2, 2, 7, 1), 0),  # a minute on: Mia's paced DM (Tuesday's catch-up digest and its charts first) gets her pack
        (Z(2027, 3, 25, 7, 0), 1),  # Thursday: Wendy (late in her week, still sent); Quentin has 4 days left
        (Z(2027, 3, 26, 7, 0), 2),  # Friday: Quentin's quarter and Manon's March
        (Z(2027, 3, 26, 15, 0), 0),
        (Z(2027, 3, 29, 7, 0), 0),  # a new week: 4 workdays left for Wendy
        (Z(2027, 3, 29, 7, 1), 0),  # a minute on: what Mia's paced DM held back (digest and review charts) goes
    ]
    for when, expected in timeline:
        assert jobs.at(when).reviews == expected, when

    assert review_ends(session_factory, periods) == {
        "Wendy": ["2027-01-31", "2027-02-07", "2027-03-28"],
        "Manon": ["2027-01-31", "2027-03-31"],
        "Quentin": ["2027-03-31"],
    }
    reviews = posts(fake_slack, ":mag:")
    # six reviews to their reps; Mia gets one pack per period end: 31 Jan, 7 Feb, 28 Mar, 31 Mar
    assert len(reviews) == 6 + 4
    assert {c for c, _ in reviews} == {"UWENDY", "UMANON", "UQUENTIN", "UMIA"}
    assert ("UQUENTIN", ":mag: *Votre revue de période* — Quentin, fin de période le 31 mars 2027") in [
        (c, t.split("\n")[0]) for c, t in reviews
    ]
    packs = [t for c, t in reviews if c == "UMIA"]
    assert [t.split("\n")[0] for t in packs].count(
        ":mag: *Revues de période de votre équipe* — 2 commerciaux, 0 à risque (privé)") == 2  # Wendy and Manon twice
    assert any("*Quentin* — période du 1 janv. 2027 au 31 mars 2027" in t for t in packs)
    for channel, shown in reviews:  # a rep only ever gets their own
        title = shown.split("\n")[0]
        if channel != "UMIA":
            assert title.startswith(f":mag: *Votre revue de période* — {channel[1:].capitalize()},"), title
            assert not any(f"*{other}*" in shown for other in ("Wendy", "Manon", "Quentin")), shown
        else:
            assert "(privé)" in title


# --------------------------------------------------------------------------- period summary


def test_the_summary_on_the_last_day_of_the_managers_period_from_1700_once(session_factory, fake_slack, jobs, team):
    nadia, marc = team["Nadia"], team["Marc"]

    assert jobs.at(Z(2026, 11, 29, 16)).summaries == 0  # Sunday 29 November: not the last day
    assert jobs.at(Z(2026, 11, 30, 15, 59)).summaries == 0  # 16:59 in Paris
    assert jobs.at(Z(2026, 11, 30, 16, 0)).summaries == 1  # 17:00 in Paris (11:00 in New York)
    assert jobs.at(Z(2026, 11, 30, 16, 30)).summaries == 0
    assert jobs.at(Z(2026, 11, 30, 22, 0)).summaries == 1  # 17:00 in New York
    assert jobs.at(Z(2026, 12, 1, 7, 0)).summaries == 0
    assert jobs.at(Z(2026, 12, 2, 16, 0)).summaries == 0

    assert outbox_keys(session_factory, "summary:") == [f"summary:{nadia}:2026-11-30", f"summary:{marc}:2026-11-30"]
    summaries = posts(fake_slack, ":checkered_flag:")
    assert [c for c, _ in summaries] == [TEAM_CHANNEL, TEAM_CHANNEL]
    assert summaries[0][1].split("\n")[0] == ":checkered_flag: *Bilan de période de l'équipe* — 1 nov. 2026 → 30 nov. 2026"
    assert summaries[1][1].split("\n")[0] == ":checkered_flag: *Team period summary* — Nov 1, 2026 → Nov 30, 2026"


def test_a_summary_missed_at_the_end_of_the_period_is_sent_the_next_day_once(session_factory, fake_slack, jobs, team):
    assert jobs.at(Z(2026, 12, 1, 9, 0)).summaries == 2  # nobody ran the jobs on 30 November evening
    assert jobs.at(Z(2026, 12, 1, 10, 0)).summaries == 0
    assert len(posts(fake_slack, ":checkered_flag:")) == 2


def test_no_team_channel_no_summary(session_factory, fake_slack, jobs, team):
    with session_factory() as s, s.begin():
        s.get(Workspace, team.ws).settings = {}
    assert jobs.at(Z(2026, 11, 30, 16, 0)).summaries == 0
    assert posts(fake_slack, ":checkered_flag:") == []


# --------------------------------------------------------------------------- privacy


SHORTFALL_WORDS = (
    "%", "objectif", "objective", "atteinte", "attainment", "projection", "projected", "pourrait", "may end",
    "revue", "review", "panne", "stalled", "sous-visité", "under-visited", "probabilité", "probability",
    "visites", "visits", "pipeline",
)


def test_nothing_private_reaches_the_team_channel_and_reports_go_to_the_rep_and_manager_only(
    session_factory, fake_slack, jobs, team
):
    """A whole Monday 30 November of jobs (digests, reviews, summaries), everything delivered."""
    for when in (NOW, NOW + timedelta(hours=6), Z(2026, 11, 30, 16), Z(2026, 11, 30, 22)):
        jobs.at(when)
    every = posts(fake_slack)
    assert {c for c, _ in every} <= {"UNADIA", "UMARC", "UALICE", "UBRUNO", "UXAVIER", TEAM_CHANNEL}

    in_channel = [t for c, t in every if c == TEAM_CHANNEL]
    assert len(in_channel) == 2 and all(t.startswith(":checkered_flag:") for t in in_channel)
    for shown in in_channel:
        for line in shown.split("\n"):
            for rep in ("Alice", "Bruno", "Xavier"):
                if rep in line:  # a rep is named only to celebrate a win
                    assert line.startswith(":trophy:"), line
                    assert not any(word in line.lower() for word in SHORTFALL_WORDS), line
    assert "Bruno" in "\n".join(in_channel)  # his win is celebrated...
    assert "6\u00a0%" not in "\n".join(in_channel) and "22\u00a0%" not in "\n".join(in_channel)  # ...not his shortfall

    digests = [c for c, t in every if t.startswith(":bar_chart:")]
    assert sorted(digests) == ["UMARC", "UNADIA"]
    reviews = [(c, t) for c, t in every if t.startswith(":mag:")]
    assert sorted(c for c, shown in reviews if "Bruno" in shown) == ["UBRUNO", "UNADIA"]
    assert sorted(c for c, shown in reviews if "Alice" in shown) == ["UALICE", "UNADIA"]
    assert sorted(c for c, shown in reviews if "Xavier" in shown) == ["UMARC", "UXAVIER"]
    assert sorted(c for c, _ in reviews) == ["UALICE", "UBRUNO", "UMARC", "UNADIA", "UXAVIER"]  # one pack per manager
    # Whatever names Bruno with a figure of his goes to Bruno or Nadia only.
    assert {c for c, t in every if "Bruno" in t and c != TEAM_CHANNEL} <= {"UBRUNO", "UNADIA"}
    assert {u.channel_id for u in fake_slack.uploads()} == {"DUNADIA", "DUMARC"}


def test_a_rep_without_a_win_is_never_named_in_the_team_channel(session_factory, fake_slack, jobs, team):
    from sqlalchemy import delete

    from storage.models import Opportunity

    with session_factory() as s, s.begin():
        s.execute(delete(Opportunity).where(Opportunity.title == "Petit lot"))
    jobs.at(Z(2026, 11, 30, 16))
    [shown] = [t for c, t in posts(fake_slack) if c == TEAM_CHANNEL]
    assert "Bruno" not in shown
    assert ":trophy: Alice — *Acme*, Contrat cadre" in shown


def test_a_digest_missed_on_monday_is_caught_up_on_tuesday_once(session_factory, team):
    """Nothing ran on Monday 30 November: Tuesday sends the week of the 23rd, once, per manager."""
    tuesday = Z(2026, 12, 1, 16, 0)  # 17:00 Paris, 11:00 New York
    assert run_due(session_factory, tuesday).digests == 2
    assert run_due(session_factory, tuesday + timedelta(hours=1)).digests == 0
    assert sorted(k.rsplit(":", 1)[1] for k in outbox_keys(session_factory, "digest:")) == ["2026-11-23", "2026-11-23"]


def test_no_catch_up_digest_late_in_the_week(session_factory, team):
    assert run_due(session_factory, Z(2026, 12, 3, 16, 0)).digests == 0  # Thursday
    assert outbox_keys(session_factory, "digest:") == []
