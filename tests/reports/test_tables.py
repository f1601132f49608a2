"""The exports' files: formula cells neutralised in every CSV and Excel export (OWASP's CSV
injection rule), and the Excel workbook read back with openpyxl (types, header, frozen row, widths)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import FixedClock
from bot.demo import seed_demo
from bot.reports.money import Converted
from bot.reports.tables import Column, Table, cell_text, neutralise, write_csv, xlsx_bytes
from bot.runtime import build_runtime
from storage.models import Account, Action, Member, Opportunity
from tests.conftest import TEST_NOW, make_settings
from tests.reports.test_kpi_report import cli

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.mark.parametrize("text, shown", [
    (EVIL, "'" + EVIL), ("+33 6 12", "'+33 6 12"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Gamma SA", "Gamma SA"), ("", ""), ("a=b", "a=b"),
])
def test_neutralise(text, shown):
    assert neutralise(text) == shown


def test_cells_in_csv_and_excel_are_typed_and_never_formulas():
    table = Table("t", [Column("=title"), Column("day", "date"), Column("amount", "money"), Column("pct", "percent"),
                        Column("p", "whole_percent"), Column("n", "count")],
                  [[EVIL, datetime(2026, 11, 23).date(), Decimal("12.50"), 0.25, 40, 3],
                   ["@x", None, Converted(Decimal("10.00"), "EUR", {"USD": Decimal("3.00")}), None, 0, 0]])
    content, count = xlsx_bytes(Table(table.name, table.columns, list(table.rows)))
    assert count == 2
    out = io.StringIO()
    write_csv(Table(table.name, table.columns, [list(r) for r in table.rows]), out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=title", "day", "amount", "pct", "p", "n"],
        ["'" + EVIL, "2026-11-23", "12.50", "25.0", "40", "3"],
        ["'@x", "", "10.00 EUR + 3.00 USD", "", "0", "0"],
    ]
    sheet = load_workbook(io.BytesIO(content)).active
    header, first, second = list(sheet.iter_rows())
    assert [c.value for c in header] == ["'=title", "day", "amount", "pct", "p", "n"]
    assert all(c.font.b for c in header) and sheet.freeze_panes == "A2"
    assert (first[0].value, first[0].data_type) == ("'" + EVIL, "s")
    assert first[1].value == datetime(2026, 11, 23) and first[1].number_format == "yyyy-mm-dd"
    assert (first[2].value, first[2].number_format) == (12.5, "#,##0.00")
    assert (first[3].value, first[3].number_format) == (0.25, "0.0%")
    assert (first[4].value, first[4].number_format) == (0.4, "0%")
    assert (first[5].value, first[5].data_type) == (3, "n")
    assert second[1].value is None
    assert (second[2].value, second[2].data_type) == ("10.00 EUR + 3.00 USD", "s")
    assert sheet.column_dimensions["A"].width >= 10


def test_cell_text_of_missing_and_complete_amounts():
    assert cell_text(None, "money") == ""
    assert cell_text(Converted(Decimal("5.00"), "EUR"), "money") == "5.00"


@pytest.fixture
def evil_db(database_url):
    """The demo, where one account is named like a formula, with an action and a deal there."""
    rt = build_runtime(make_settings(database_url), clock=FixedClock(TEST_NOW), profiles=False)
    with rt.session_factory() as session, session.begin():
        seed_demo(session, now=TEST_NOW, size="small")
        account = session.scalar(select(Account).order_by(Account.id))
        account.name = EVIL
        rep = session.scalar(select(Member).where(Member.id == account.owner_id))
        session.add(Action(workspace_id=rep.workspace_id, member_id=rep.id, account_id=account.id, action_type="visit",
                           channel="in_person", occurred_on=TEST_NOW.date(), logged_at=TEST_NOW, note="-1+1",
                           source="slack"))
        session.add(Opportunity(workspace_id=rep.workspace_id, member_id=rep.id, account_id=account.id, title="@evil",
                                amount=Decimal("1000"), currency="EUR", probability=40, stage="proposal", status="open",
                                created_at=TEST_NOW - timedelta(days=1), updated_at=TEST_NOW - timedelta(days=1)))
    rt.close()
    return database_url


def test_every_export_neutralises_a_formula_account(monkeypatch, capsys, evil_db, tmp_path):
    for what in ("actions", "opportunities"):
        status, out, err = cli(monkeypatch, capsys, evil_db, "export", what, "--lang", "en")
        assert status == 0, err
        rows = list(csv.reader(io.StringIO(out)))
        cells = [cell for row in rows for cell in row]
        assert "'" + EVIL in cells
        assert EVIL not in cells and not any(c.startswith(("=", "+", "-", "@")) for c in cells)

        path = tmp_path / f"{what}.xlsx"
        status, out, err = cli(monkeypatch, capsys, evil_db, "export", what, "--format", "xlsx", "--output", str(path))
        assert status == 0, err
        sheet = load_workbook(path).active
        values = [c for row in sheet.iter_rows() for c in row]
        assert not [c for c in values if c.data_type == "f"]  # no formula anywhere
        assert "'" + EVIL in [c.value for c in values]
        assert not [c.value for c in values if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
        assert sheet.freeze_panes == "A2" and all(c.font.b for c in sheet[1])

    sheet = load_workbook(tmp_path / "opportunities.xlsx").active
    header = [c.value for c in sheet[1]]
    deal = next(row for row in sheet.iter_rows(min_row=2) if row[header.index("Titre")].value == "'@evil")
    cells = dict(zip(header, deal))
    assert isinstance(cells["Créée le"].value, datetime)
    assert cells["Montant"].value == 1000 and cells["Devise"].value == "EUR"
    assert (cells["Probabilité (%)"].value, cells["Probabilité (%)"].number_format) == (0.4, "0%")
    assert cells["Montant pondéré"].value == 400
