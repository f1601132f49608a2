"""``carnet report kpis`` against an independent recount of ``carnet export actions`` and
``carnet export opportunities`` on the small demo (SQLite and PostgreSQL), plus the ``--period``
forms, the currencies (with and without a rate) and the refusals of the command line.

The recount only reads the two exports' CSV (and the plans table for ``visits_planned``, which no
export holds): if a KPI and the exports ever disagree on a rep, a day or an amount, it fails.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Iterator

import pytest
from sqlalchemy import select, text

from bot.cli import main
from bot.clock import FixedClock
from bot.demo import seed_demo
from bot.messages import label
from bot.reports.kpis import KPI_COLUMNS
from bot.runtime import Runtime, build_runtime
from bot.services import workspace_settings
from bot.services.objectives import set_objective
from bot.services.plans import IN_PERSON
from storage.models import Account, Member, Opportunity, Plan, Workspace
from tests.conftest import TEST_NOW, make_settings

NOW = TEST_NOW.isoformat()  # Monday 23 November 2026, 10:00 in Paris
D = Decimal
WON, LOST, OPEN = (label("en", "status", s) for s in ("won", "lost", "open"))
VISIT_LABELS = {label("en", "action_type", t) for t in IN_PERSON}


@pytest.fixture
def demo(database_url) -> Iterator[Runtime]:
    """The small demo seeded at the test's instant, with revenue objectives for three reps, a few
    visits planned, and one deal in dollars won this month by Camille (EUR workspace, no rate yet)."""
    rt = build_runtime(make_settings(database_url), clock=FixedClock(TEST_NOW), profiles=False)
    with rt.session_factory() as session, session.begin():
        workspace = seed_demo(session, now=TEST_NOW, size="small")
        reps = list(session.scalars(select(Member).where(Member.workspace_id == workspace.id, Member.role == "rep")
                                    .order_by(Member.display_name)))
        for rep, target in zip(reps[:3], ("50000", "20000", "80000")):
            today = TEST_NOW.astimezone(__import__("zoneinfo").ZoneInfo(rep.tz)).date()
            set_objective(session, rep, team=False, metric="revenue", value=D(target), today=today, now=TEST_NOW)
        account = session.scalar(select(Account).where(Account.workspace_id == workspace.id).order_by(Account.id))
        for i, status in enumerate(("planned", "done", "missed", "cancelled")):
            session.add(Plan(workspace_id=workspace.id, member_id=reps[0].id, account_id=account.id, action_type="visit",
                             status=status, due_at=TEST_NOW - timedelta(days=i + 1), has_time=True,
                             created_at=TEST_NOW - timedelta(days=30), updated_at=TEST_NOW - timedelta(days=30)))
    try:
        yield rt
    finally:
        rt.close()


def cli(monkeypatch, capsys, db: str, *args: str) -> tuple[int, str, str]:
    for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "CARNET_DEFAULT_LOCALE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    out = io.StringIO()
    try:
        status = main(list(args), stdout=out)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, out.getvalue(), capsys.readouterr().err


def table(text_: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text_)))


def kpi_report(monkeypatch, capsys, db: str, *args: str) -> list[dict[str, str]]:
    status, out, err = cli(monkeypatch, capsys, db, "report", "kpis", "--format", "csv", "--now", NOW, *args)
    assert status == 0, err
    assert out.splitlines()[0].split(",") == list(KPI_COLUMNS)
    return table(out)


def day(text_: str) -> date | None:
    return date.fromisoformat(text_) if text_ else None


def pct(numerator, denominator) -> str:
    return "" if not denominator else f"{float(Fraction(numerator) / Fraction(denominator)) * 100:.1f}"


def cents(value) -> str:
    return f"{Decimal(value).quantize(D('0.01')):.2f}"


def recount(row: dict[str, str], actions: list[dict], deals: list[dict], objective: Decimal | None) -> dict[str, str]:
    """Every column of ``row`` worked out again from the exports alone (amounts are all euros here)."""
    start, end = day(row["period_start"]), day(row["period_end"])
    mine = [a for a in actions if a["Rep"] == row["rep"] and start <= day(a["Date"]) <= end]
    theirs = [d for d in deals if d["Rep"] == row["rep"]]
    closed = [d for d in theirs if d["Closed on"] and start <= day(d["Closed on"]) <= end]
    won = [d for d in closed if d["Status"] == WON]
    lost = [d for d in closed if d["Status"] == LOST]
    open_ = [d for d in theirs if d["Status"] == OPEN]
    won_amount = sum((D(d["Amount"]) for d in won), D(0))
    weighted = lambda ds: sum((D(d["Amount"]) * int(d["Probability (%)"]) for d in ds), D(0)) / 100  # noqa: E731
    closing = weighted([d for d in open_ if d["Expected close"] and start <= day(d["Expected close"]) <= end])
    expected = {
        "actions": str(len(mine)),
        "visits_done": str(sum(1 for a in mine if a["Action"] in VISIT_LABELS)),
        "opportunities_created": str(sum(1 for d in theirs if start <= day(d["Created"]) <= end)),
        "won_count": str(len(won)),
        "won_amount": cents(won_amount),
        "lost_count": str(len(lost)),
        "conversion_pct": pct(len(won), len(won) + len(lost)),
        "average_won_amount": cents(won_amount / len(won)) if won else "",
        "weighted_pipeline": cents(weighted(open_)),
        "objective_revenue": cents(objective) if objective is not None else "",
        "attainment_pct": pct(won_amount, objective) if objective else "",
        "projected_pct": pct(won_amount + closing, objective) if objective else "",
        "coverage": "",
    }
    if objective is not None and objective > won_amount:
        expected["coverage"] = f"{float(Fraction(cents(closing)) / Fraction(objective - won_amount)):.2f}"
    return expected


class Objectives:
    """The revenue objectives in force, recounted in Python from the raw rows: for a rep and a
    period start, that period's one-period objective, else the latest recurring one set at or
    before it (objectives live from period to period)."""

    def __init__(self, rows) -> None:
        self.rows = [(name, start if isinstance(start, date) else date.fromisoformat(start), D(str(value)), bool(recurring))
                     for name, start, value, recurring in rows]

    def get(self, key: tuple[str, date]) -> Decimal | None:
        name, start = key
        once = [v for n, s, v, r in self.rows if n == name and s == start and not r]
        if once:
            return once[0]
        recurring = sorted((s, v) for n, s, v, r in self.rows if n == name and r and s <= start)
        return recurring[-1][1] if recurring else None


def objectives(rt: Runtime) -> Objectives:
    with rt.engine.connect() as conn:
        return Objectives(conn.execute(text("SELECT m.display_name, o.period_start, o.value, o.recurring FROM objective o "
                                            "JOIN member m ON m.id = o.member_id WHERE o.metric = 'revenue'")))


def planned_visits(rt: Runtime, name: str, start: date, end: date) -> int:
    """In-person plans due on the rep's days, not cancelled, counted in Python from the raw rows."""
    from zoneinfo import ZoneInfo

    with rt.session_factory() as session:
        member = session.scalar(select(Member).where(Member.display_name == name))
        zone = ZoneInfo(member.tz)
        plans = session.scalars(select(Plan).where(Plan.member_id == member.id)).all()
        return sum(1 for p in plans if p.status != "cancelled" and p.action_type in IN_PERSON
                   and start <= p.due_at.astimezone(zone).date() <= end)


@pytest.mark.parametrize("period", [None, "previous", "2026-11", "2026-Q3", "2026-10"])
def test_each_kpi_is_the_count_of_the_exports(monkeypatch, capsys, demo, database_url, period):
    extra = ("--period", period) if period else ()
    report = kpi_report(monkeypatch, capsys, database_url, *extra)
    status, out, err = cli(monkeypatch, capsys, database_url, "export", "actions", "--lang", "en")
    assert status == 0, err
    actions = table(out)
    status, out, err = cli(monkeypatch, capsys, database_url, "export", "opportunities", "--lang", "en")
    assert status == 0, err
    deals = table(out)
    targets = objectives(demo)

    with demo.session_factory() as session:
        sellers = {m.display_name for m in session.scalars(select(Member).where(Member.role.in_(("rep", "manager"))))}
    assert [row["rep"] for row in report] == sorted(sellers, key=str.casefold)  # one row each, by name
    checked = {column: 0 for column in KPI_COLUMNS}
    for row in report:
        start, end = day(row["period_start"]), day(row["period_end"])
        expected = recount(row, actions, deals, targets.get((row["rep"], start)))
        expected["visits_planned"] = str(planned_visits(demo, row["rep"], start, end))
        for column, value in expected.items():
            assert row[column] == value, (row["rep"], column, row)
            checked[column] += value not in ("", "0", "0.00")
    # The demo gives every figure something to count (at least for one rep in the current period).
    if period is None:
        assert [c for c in KPI_COLUMNS[3:] if not checked.get(c) and c != "forecast_brier"] == []


def test_the_period_forms(monkeypatch, capsys, demo, database_url):
    """current: each rep's own period in their zone; previous: the one before; a month or a quarter:
    the same days for everybody."""
    current = {r["rep"]: (r["period_start"], r["period_end"]) for r in kpi_report(monkeypatch, capsys, database_url)}
    with demo.session_factory() as session:
        periods = {m.display_name: m.period for m in session.scalars(select(Member).where(Member.role != "admin"))}
    own = {"week": ("2026-11-23", "2026-11-29"), "month": ("2026-11-01", "2026-11-30"), "quarter": ("2026-10-01", "2026-12-31")}
    assert current == {name: own[period] for name, period in periods.items()}
    before = {"week": ("2026-11-16", "2026-11-22"), "month": ("2026-10-01", "2026-10-31"), "quarter": ("2026-07-01", "2026-09-30")}
    previous = {r["rep"]: (r["period_start"], r["period_end"]) for r in kpi_report(monkeypatch, capsys, database_url, "--period", "previous")}
    assert previous == {name: before[period] for name, period in periods.items()}
    for form, days in (("2026-02", ("2026-02-01", "2026-02-28")), ("2026-Q4", ("2026-10-01", "2026-12-31")),
                       ("2026-q1", ("2026-01-01", "2026-03-31"))):
        rows = kpi_report(monkeypatch, capsys, database_url, "--period", form)
        assert {(r["period_start"], r["period_end"]) for r in rows} == {days}


@pytest.mark.parametrize("value", ["2026-13", "2026-Q5", "yesterday", "2026-00"])
def test_an_unknown_period_is_refused(monkeypatch, capsys, demo, database_url, value):
    status, out, err = cli(monkeypatch, capsys, database_url, "report", "kpis", "--period", value)
    assert status == 2
    assert out == ""
    assert "is not a period (current, previous, YYYY-MM or YYYY-Qn)" in err


def test_the_terminal_table_and_the_excel_file(monkeypatch, capsys, demo, database_url, tmp_path):
    status, out, err = cli(monkeypatch, capsys, database_url, "report", "kpis", "--now", NOW)
    assert status == 0, err
    header, *lines = out.splitlines()
    assert header.split() == list(KPI_COLUMNS)
    assert any(line.startswith("Camille Martin") for line in lines)

    from openpyxl import load_workbook

    path = tmp_path / "kpis.xlsx"
    status, out, err = cli(monkeypatch, capsys, database_url, "report", "kpis", "--format", "xlsx", "--output", str(path),
                           "--now", NOW)
    assert status == 0, err
    assert f"written to {path}" in out
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]] == list(KPI_COLUMNS)
    assert sheet.freeze_panes == "A2"
    camille = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "Camille Martin")
    cells = dict(zip(KPI_COLUMNS, camille))
    assert isinstance(cells["period_start"].value, datetime) and cells["period_start"].number_format == "yyyy-mm-dd"
    assert isinstance(cells["actions"].value, int)
    assert isinstance(cells["won_amount"].value, (int, float)) and '"EUR"' in cells["won_amount"].number_format
    assert cells["conversion_pct"].number_format == "0.0%" and 0 <= cells["conversion_pct"].value <= 1


# --------------------------------------------------------------------------- currencies


def _dollar_win(rt: Runtime, amount: str = "3000") -> str:
    """Camille wins a deal in dollars today; returns her name."""
    with rt.session_factory() as session, session.begin():
        camille = session.scalar(select(Member).where(Member.display_name == "Camille Martin"))
        account = session.scalar(select(Account).order_by(Account.id))
        session.add(Opportunity(
            workspace_id=camille.workspace_id, member_id=camille.id, account_id=account.id, title="US deal",
            amount=D(amount), currency="USD", probability=100, stage="won", status="won",
            created_at=TEST_NOW - timedelta(hours=2), updated_at=TEST_NOW - timedelta(hours=1),
            closed_at=TEST_NOW - timedelta(hours=1),
        ))
        return camille.display_name


def _set_rate(rt: Runtime, code: str, rate: str) -> None:
    with rt.session_factory() as session, session.begin():
        workspace = session.scalar(select(Workspace))
        current = workspace_settings.load(workspace)
        workspace_settings.save(workspace, workspace_settings.with_rate(current, code, D(rate)))


def test_a_deal_in_another_currency_is_shown_apart_without_a_rate_and_converted_with_one(monkeypatch, capsys, demo,
                                                                                         database_url):
    before = {r["rep"]: r for r in kpi_report(monkeypatch, capsys, database_url, "--period", "2026-11")}
    name = _dollar_win(demo)
    camille = before[name]
    euros = D(camille["won_amount"])

    without = {r["rep"]: r for r in kpi_report(monkeypatch, capsys, database_url, "--period", "2026-11")}[name]
    assert without["won_amount"] == f"{euros:.2f} EUR + 3000.00 USD"  # never dropped, never added as euros
    assert without["won_count"] == str(int(camille["won_count"]) + 1)
    assert without["attainment_pct"] == "" and without["projected_pct"] == ""  # cannot be said without a rate

    _set_rate(demo, "USD", "0.92")
    converted = {r["rep"]: r for r in kpi_report(monkeypatch, capsys, database_url, "--period", "2026-11")}[name]
    assert converted["won_amount"] == f"{euros + D('2760.00'):.2f}"
    target = objectives(demo).get((name, date.fromisoformat(converted["period_start"])))
    if target:
        assert converted["attainment_pct"] == pct(euros + D("2760"), target)


def test_the_digest_counts_dollar_deals_once_a_rate_is_set(demo):
    """The weekly digest's won total and the team's projections convert through the same function."""
    from bot.reports.coaching import weekly_digest

    with demo.session_factory() as session, session.begin():
        camille = session.scalar(select(Member).where(Member.display_name == "Camille Martin"))
        account = session.scalar(select(Account).order_by(Account.id))
        closed = datetime(2026, 11, 18, 10, tzinfo=timezone.utc)  # last week
        session.add(Opportunity(
            workspace_id=camille.workspace_id, member_id=camille.id, account_id=account.id, title="US deal",
            amount=D("1000"), currency="USD", probability=100, stage="won", status="won",
            created_at=closed - timedelta(days=3), updated_at=closed, closed_at=closed,
        ))

    def digest():
        with demo.session_factory() as session:
            workspace = session.scalar(select(Workspace))
            manager = session.scalar(select(Member).where(Member.role == "manager"))
            team = list(session.scalars(select(Member).where(Member.manager_id == manager.id)))
            return weekly_digest(session, manager, team, now=TEST_NOW, settings=workspace_settings.load(workspace))

    without = digest()
    _set_rate(demo, "USD", "0.5")
    with_rate = digest()
    assert with_rate.won_amount == without.won_amount + D("500.00")
    assert ("Camille Martin", account_name(demo), "US deal", D("500.00")) in with_rate.won_deals
    assert all(title != "US deal" for _rep, _account, title, _amount in without.won_deals)


def account_name(rt: Runtime) -> str:
    with rt.session_factory() as session:
        return session.scalar(select(Account.name).order_by(Account.id))


# --------------------------------------------------------------------------- refusals


def test_several_workspaces_need_team_and_another_workspace_never_shows(monkeypatch, capsys, demo, database_url):
    with demo.session_factory() as session, session.begin():
        seed_demo(session, now=TEST_NOW, team_id="TOTHER", size="small")
        session.execute(text("UPDATE member SET display_name = 'Other ' || display_name WHERE workspace_id = "
                             "(SELECT id FROM workspace WHERE team_id = 'TOTHER')"))
    status, out, err = cli(monkeypatch, capsys, database_url, "report", "kpis")
    assert status == 2 and out == "" and "several workspaces" in err
    status, out, err = cli(monkeypatch, capsys, database_url, "report", "kpis", "--team", "TLOCAL", "--format", "csv")
    assert status == 0, err
    assert not [row for row in table(out) if row["rep"].startswith("Other ")]
    status, out, err = cli(monkeypatch, capsys, database_url, "report", "kpis", "--team", "TNOPE")
    assert status == 2 and "no workspace 'TNOPE'" in err


def test_export_kpis_takes_a_period_not_days(monkeypatch, capsys, demo, database_url):
    status, out, err = cli(monkeypatch, capsys, database_url, "export", "kpis", "--since", "2026-11-01")
    assert status == 2 and "use --period" in err and out == ""
    status, out, err = cli(monkeypatch, capsys, database_url, "export", "actions", "--period", "2026-11")
    assert status == 2 and "--period and --now are for kpis" in err
    status, out, err = cli(monkeypatch, capsys, database_url, "export", "kpis", "--period", "2026-11", "--now", NOW)
    assert status == 0, err
    assert table(out) == kpi_report(monkeypatch, capsys, database_url, "--period", "2026-11")
