"""One failing job never stops the others: ``run_due`` runs each job kind of each workspace (the
digests of one time zone, the reviews of a batch of reps) in its own short transaction, a unit that
raises is rolled back alone, split down to the member it fails for, listed in the report, and
decided again on the next tick. On SQLite and PostgreSQL, with real bad rows written straight into
the table (no monkeypatching): a period Carnet does not know, and a time zone nobody knows.

The team is the one of tests/reports/test_digest.py (Nadia leads Alice and Bruno in Paris, Marc
leads Xavier in New York, Ada is the admin), at Monday 30 November 2026 14:30 UTC — 15:30 in
Paris, 09:30 in New York: the weekly digests and the agendas are due in both zones, and the
month reviews too (the last day of November).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from bot.jobs.scheduler import DueReport, FailedUnit, managers_with_teams, run_due
from bot.services.team import team_of
from storage.models import Member, Plan, Workspace
from tests.cli.test_jobs_cli import run_due as run_due_command
from tests.jobs.conftest import outbox_keys
from tests.reports.test_digest import LONG_AGO, Builder, Seeded, seed_team
from tests.support.fixtures import Z


AT = Z(2026, 11, 30, 14, 30)


@pytest.fixture
def team(session_factory) -> Seeded:
    """seed_team, plus: visits today (Alice 15:00Z and Bruno 15:10Z, reminded an hour before; Xavier
    20:00Z), and a call each of Alice and Bruno left planned last Friday (marked missed today)."""
    seeded = seed_team(session_factory)
    with session_factory() as s, s.begin():
        b = Builder(s, seeded)
        b.plan("Alice", "Beta", Z(2026, 11, 30, 15), "planned")
        b.plan("Bruno", "Hudson", Z(2026, 11, 30, 15, 10), "planned")
        b.plan("Xavier", "Kappa", Z(2026, 11, 30, 20), "planned")
        b.plan("Alice", "Gamma", Z(2026, 11, 27, 10), "planned", action_type="call")
        b.plan("Bruno", "Ibis", Z(2026, 11, 27, 10), "planned", action_type="call")
    return seeded


def who_got(session_factory, seeded: Seeded, prefix: str) -> list[str]:
    """Names of the members whose id is the subject of the ``prefix`` keys (``agenda:<id>:…``)."""
    names = {seeded[name]: name for name in seeded.users}  # members only (accounts share the ids' range)
    return sorted(names[int(key.split(":")[1])] for key in outbox_keys(session_factory, prefix))


def plan_status(session_factory, seeded: Seeded, who: str, action_type: str) -> list[str]:
    with session_factory() as s:
        return sorted(
            s.scalars(select(Plan.status).where(Plan.member_id == seeded[who], Plan.action_type == action_type))
        )


def segment_visits(session_factory, seeded: Seeded) -> list[str]:
    names = {v: k for k, v in seeded.ids.items() if k not in seeded.users}  # accounts
    with session_factory() as s:
        return sorted(names[a] for a in s.scalars(select(Plan.account_id).where(Plan.source == "segment")))


def set_member(session_factory, seeded: Seeded, who: str, **values) -> None:
    """A row changed straight in the table, as a bad import or a hand-made fix would."""
    with session_factory() as s, s.begin():
        s.execute(update(Member).where(Member.id == seeded[who]).values(**values))


def failures(report: DueReport) -> list[tuple[str, str | None, str]]:
    return [(f.job, f.member, f.error) for f in report.failed]


def test_a_digest_that_raises_for_one_team_stops_nothing_else_and_is_retried_until_fixed(
    session_factory, team, caplog
):
    # Bruno's period is a word Carnet does not know (written straight into the row): Nadia's
    # digest, which measures Bruno over his period, raises. Marc is moved to Paris so that his
    # digest is built in the same batch as Nadia's (one zone, one grouped build) and must survive.
    set_member(session_factory, team, "Bruno", period="fortnight")
    set_member(session_factory, team, "Marc", tz="Europe/Paris")

    with caplog.at_level(logging.ERROR, logger="bot.jobs.scheduler"):
        report = run_due(session_factory, AT)

    assert failures(report) == [
        ("digests", "UNADIA", "ValueError: unknown period 'fortnight'"),
        ("reviews", "UBRUNO", "ValueError: unknown period 'fortnight'"),
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "due work failed: digests in workspace T1 for member UNADIA",
        "due work failed: reviews in workspace T1 for member UBRUNO",
    ]
    assert all(r.exc_info for r in caplog.records)  # with the traceback
    # Everything else of that morning is queued: Marc's digest, every agenda and reminder (Bruno's
    # too: they do not need his period), the missed calls, the segment visits, the other reviews.
    assert who_got(session_factory, team, "digest:") == ["Marc"]
    assert who_got(session_factory, team, "digest-chart:") == ["Marc"]
    assert who_got(session_factory, team, "agenda:") == ["Alice", "Bruno", "Xavier"]
    assert len(outbox_keys(session_factory, "reminder:")) == 2
    assert plan_status(session_factory, team, "Alice", "call") == plan_status(session_factory, team, "Bruno", "call") == ["missed"]
    # Every account with a visit capital and no visit planned gets one (Gamma, bronze, too: issue 15).
    assert segment_visits(session_factory, team) == ["Acme", "Gamma", "Ibis"]
    assert who_got(session_factory, team, "review:") == ["Alice", "Xavier"]
    assert (report.digests, report.agendas, report.reminders, report.missed, report.segment_visits, report.reviews) == (
        1, 3, 2, 2, 3, 2
    )

    # The next tick tries again (and fails again, saying so), queuing nothing twice.
    again = run_due(session_factory, AT + timedelta(minutes=1))
    assert [(f.job, f.member) for f in again.failed] == [("digests", "UNADIA"), ("reviews", "UBRUNO")]
    assert again.queued == again.missed == again.segment_visits == 0

    # Fixed: the next tick sends what waited, and only that.
    set_member(session_factory, team, "Bruno", period="month")
    fixed = run_due(session_factory, AT + timedelta(minutes=2))
    assert fixed.failed == []
    assert (fixed.digests, fixed.reviews, fixed.agendas, fixed.reminders) == (1, 1, 0, 0)
    assert who_got(session_factory, team, "digest:") == ["Marc", "Nadia"]
    assert who_got(session_factory, team, "review:") == ["Alice", "Bruno", "Xavier"]
    # The managers' packs: Nadia's first one had Alice, Bruno's came in a pack of its own once fixed.
    assert who_got(session_factory, team, "review-pack:") == ["Marc", "Nadia", "Nadia"]
    assert sorted(int(k.rsplit(":", 1)[1]) for k in outbox_keys(session_factory, f"review-pack:{team['Nadia']}:")) == sorted(
        [team["Alice"], team["Bruno"]])
    assert run_due(session_factory, AT + timedelta(minutes=3)).queued == 0


def test_a_member_with_an_unknown_time_zone_is_skipped_and_reported_and_nobody_else_waits(session_factory, team):
    # 'Mars/Olympus' is in no time zone database: nobody knows when Bruno's morning or day is, so
    # Carnet does not guess (a guessed zone could send his agenda at night, or mark his visit missed
    # while his day goes on). His own jobs wait, reported on every tick; everyone else's go.
    set_member(session_factory, team, "Bruno", tz="Mars/Olympus")

    report = run_due(session_factory, AT)

    unknown = (
        "time zone", "UBRUNO",
        "unknown time zone 'Mars/Olympus': this member's agenda, reminders, missed items and reports wait "
        "until it is fixed (/carnet team <@UBRUNO> tz Europe/Paris)",
    )
    assert failures(report) == [unknown, ("digests", "UNADIA", "ZoneInfoNotFoundError: 'No time zone found with key Mars/Olympus'")]
    assert who_got(session_factory, team, "agenda:") == ["Alice", "Xavier"]
    assert who_got(session_factory, team, "digest:") == ["Marc"]
    assert who_got(session_factory, team, "review:") == ["Alice", "Xavier"]
    assert len(outbox_keys(session_factory, "reminder:")) == 1
    assert plan_status(session_factory, team, "Alice", "call") == ["missed"]
    assert plan_status(session_factory, team, "Bruno", "call") == ["planned"]  # his day may not be over
    assert segment_visits(session_factory, team) == ["Acme", "Gamma"]  # Bruno's Ibis waits for his zone

    assert failures(run_due(session_factory, AT + timedelta(minutes=1)))[0] == unknown  # said again each tick

    set_member(session_factory, team, "Bruno", tz="Europe/Paris")
    fixed = run_due(session_factory, AT + timedelta(minutes=2))
    assert fixed.failed == []
    assert (fixed.agendas, fixed.reminders, fixed.missed, fixed.segment_visits, fixed.digests, fixed.reviews) == (1, 1, 1, 1, 1, 1)
    assert who_got(session_factory, team, "agenda:") == ["Alice", "Bruno", "Xavier"]
    assert who_got(session_factory, team, "digest:") == ["Marc", "Nadia"]
    assert plan_status(session_factory, team, "Bruno", "call") == ["missed"]


def test_the_report_lists_each_failed_unit_under_the_counts():
    report = DueReport(agendas=3, reminders=2, digests=1)
    assert str(report) == (
        "3 agenda(s), 2 reminder(s), 1 digest(s), 0 review(s), 0 period summary(ies) queued; "
        "0 item(s) marked missed; 0 segment visit(s) planned"
    )
    report.failed += [
        FailedUnit("digests", "T1", "UNADIA", "ValueError: unknown period 'fortnight'"),
        FailedUnit("missed items", "T2", None, "OperationalError: database is locked"),
    ]
    assert str(report).split("\n") == [
        "3 agenda(s), 2 reminder(s), 1 digest(s), 0 review(s), 0 period summary(ies) queued; "
        "0 item(s) marked missed; 0 segment visit(s) planned; 2 unit(s) failed, retried on the next tick:",
        "  - digests in T1 for UNADIA: ValueError: unknown period 'fortnight'",
        "  - missed items in T2: OperationalError: database is locked",
    ]


def test_carnet_jobs_run_due_prints_the_failed_units(engine, session_factory, team, fake_slack):
    set_member(session_factory, team, "Bruno", period="fortnight")
    done = run_due_command(engine.url.render_as_string(hide_password=False), AT.isoformat(), fake_slack.api_url)
    assert done.returncode == 0, done.stderr
    # The outbox's lines last: what was sent, then (Marc's DM paced: his digest's charts) what waits.
    lines = done.stdout.splitlines()
    outbox_lines = [i for i, line in enumerate(lines) if line.startswith("Outbox: ")]
    assert outbox_lines and outbox_lines == list(range(outbox_lines[0], len(lines)))
    first, *failed, delivered = lines[: outbox_lines[0] + 1]
    assert first.startswith(f"{AT.isoformat()}: 3 agenda(s), 2 reminder(s), 1 digest(s), 2 review(s), ")
    assert first.endswith("; 2 unit(s) failed, retried on the next tick:")
    assert failed == [
        "  - digests in T1 for UNADIA: ValueError: unknown period 'fortnight'",
        "  - reviews in T1 for UBRUNO: ValueError: unknown period 'fortnight'.",
    ]
    assert delivered.startswith("Outbox: ")
    assert "unknown period 'fortnight'" in done.stderr  # the log, with its traceback


def test_managers_with_teams_is_team_of_for_each_manager_in_two_queries(session_factory, engine, team):
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with session_factory() as s:
        together = managers_with_teams(s, team.ws)
        assert len(statements) == 2
        alone = [(m, team_of(s, m)) for m in s.scalars(select(Member).where(Member.role.in_(("manager", "admin"))).order_by(Member.id))]
    assert [(m.display_name, [r.display_name for r in t]) for m, t in together] == [
        (m.display_name, [r.display_name for r in t if m.role == "manager" or r.manager_id is None and r.role == "rep"])
        for m, t in alone
        if m.role == "manager"
    ] == [("Nadia", ["Alice", "Bruno"]), ("Marc", ["Xavier"])]


def quiet_tick_statements(session_factory, engine, managers: int) -> int:
    """Statements of a tick a minute after everything due was queued, for ``managers`` teams."""
    seeded = Seeded()
    with session_factory() as s, s.begin():
        ws = Workspace(team_id="T1", name="Acme", settings={"team_channel": "C1"}, created_at=LONG_AGO)
        s.add(ws)
        s.flush()
        seeded.ws = ws.id
        b = Builder(s, seeded)
        for i in range(managers):
            b.member(f"Manager {i}", role="manager")
            for j in range(3):
                b.member(f"Rep {i}-{j}", manager=f"Manager {i}")
    assert run_due(session_factory, AT).digests == managers
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        quiet = run_due(session_factory, AT + timedelta(minutes=1))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert quiet.queued == 0 and quiet.failed == []
    return len(statements)


@pytest.mark.parametrize("managers", [2, 30])
def test_a_quiet_tick_costs_the_same_few_statements_whatever_the_number_of_managers(session_factory, engine, managers):
    # Monday afternoon of a month's last day: digests, reviews and agendas are all in their window,
    # so each due check runs (and finds everything queued). Before: one query per manager, twice.
    # PostgreSQL adds one: the advisory lock that keeps two workers from planning a visit twice.
    lock = 1 if engine.dialect.name == "postgresql" else 0
    assert quiet_tick_statements(session_factory, engine, managers) == 9 + lock
