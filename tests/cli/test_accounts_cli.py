"""``carnet accounts import``, ``carnet accounts merge`` and ``carnet export accounts`` in real processes
on a demo SQLite file (issue 15 A): the export reads back unchanged (CSV and Excel's own CSV), an
Excel file with a bad line imports nothing and names the line, a merge moves every row."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.support.fixtures import run_carnet

ACCOUNT_COLUMNS = "a.name, a.status, a.segment, m.slack_user_id, a.visits_per_year, a.city, a.postcode"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run_carnet("demo", db=f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    return db


@pytest.fixture
def db(demo_db, tmp_path) -> Path:
    copy = tmp_path / "carnet.db"
    shutil.copy(demo_db, copy)
    return copy


def accounts(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT {ACCOUNT_COLUMNS} FROM account a LEFT JOIN member m ON m.id = a.owner_id "
                            "ORDER BY a.id").fetchall()


def carnet(db: Path, *args: str):
    return run_carnet(*args, db=f"sqlite:///{db}")


def test_the_export_reads_back_unchanged_even_a_name_that_looks_like_a_formula(db, tmp_path):
    file = tmp_path / "in.csv"
    file.write_text("name,status,segment,owner,visits_per_year,city,postcode\n"
                    "=HYPERLINK(\"http://x\"),client,gold,UDEMO01,7,Lyon,69001\n"
                    "Alpha SA,ancien client,silver,,3,Saint-Étienne,42000\n", encoding="utf-8")
    assert carnet(db, "accounts", "import", str(file)).returncode == 0
    before = accounts(db)
    assert ("=HYPERLINK(\"http://x\")", "client", "gold", "UDEMO01", 7, "Lyon", "69001") in before
    exported = carnet(db, "export", "accounts", "--lang", "fr")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines()[0] == "nom,statut,segment,responsable,visites_par_an,ville,code_postal"
    assert "'=HYPERLINK" in exported.stdout  # a spreadsheet will not run it
    again = tmp_path / "out.csv"
    again.write_bytes(exported.stdout.replace(",", ";").encode("cp1252"))  # as Excel would save it in France
    result = carnet(db, "accounts", "import", str(again))
    assert result.returncode == 0, result.stderr
    assert "0 account(s) added, 61 updated" in result.stdout
    assert accounts(db) == before


def test_the_excel_export_opens_with_the_accounts(db, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "accounts.xlsx"
    result = carnet(db, "export", "accounts", "--format", "xlsx", "--output", str(path), "--lang", "en")
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "status", "segment", "owner", "visits_per_year", "city", "postcode")
    assert len(rows) == 1 + len(accounts(db))


def test_a_bad_excel_file_imports_nothing_and_names_its_lines(db, tmp_path):
    before = accounts(db)
    file = tmp_path / "bad.csv"
    file.write_bytes("\ufeffnom;statut;segment;responsable;visites_par_an;ville;code_postal\r\n"
                     "Nouvelle Société;client;gold;;4;Besançon;25000\r\n"
                     "Autre;bientôt;;;;;\r\n"
                     "Encore;;;UNOBODY;;;\r\n".encode("utf-8"))
    result = carnet(db, "accounts", "import", str(file))
    assert result.returncode == 2
    assert f"{file}:3: « bientôt » n'est pas un statut" in result.stderr
    assert f"{file}:4: aucun membre « UNOBODY »" in result.stderr
    assert "nothing was imported" in result.stderr
    assert accounts(db) == before


def test_merge_moves_every_row_and_an_unknown_name_merges_nothing(db):
    with sqlite3.connect(db) as conn:
        ids = dict(conn.execute("SELECT name, id FROM account WHERE name IN ('Alpha SA', 'Alpha Industries')").fetchall())
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("action", "opportunity", "plan")}
        source_rows = conn.execute("SELECT count(*) FROM action WHERE account_id = ?", (ids["Alpha SA"],)).fetchone()[0]
        target_rows = conn.execute("SELECT count(*) FROM action WHERE account_id = ?", (ids["Alpha Industries"],)).fetchone()[0]
    refused = carnet(db, "accounts", "merge", "Alpah", "Alpha Industries")
    assert refused.returncode == 2 and "no account 'Alpah'" in refused.stderr and "nothing was merged" in refused.stderr
    result = carnet(db, "accounts", "merge", "alpha sa", "Alpha Industries")
    assert result.returncode == 0, result.stderr
    assert "Alpha SA merged into Alpha Industries" in result.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM account WHERE id = ?", (ids["Alpha SA"],)).fetchone()[0] == 0
        assert {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in counts} == counts
        merged = conn.execute("SELECT count(*) FROM action WHERE account_id = ?", (ids["Alpha Industries"],)).fetchone()[0]
    assert merged == source_rows + target_rows
