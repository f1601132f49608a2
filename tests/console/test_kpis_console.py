"""``/carnet kpis`` and ``/carnet export`` at the terminal, on the demo: the same figures as Slack,
a compact list for a big team, and the file written in the current directory."""

from __future__ import annotations

import io
from typing import Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from bot.clock import FixedClock
from bot.console import ConsoleDoor
from bot.demo import DEMO_MANAGER_ID, LOCAL_TEAM_ID, seed_demo
from bot.reports.kpis import KPI_COLUMNS
from bot.runtime import Runtime, build_runtime
from storage.models import Member
from tests.conftest import TEST_NOW, make_settings


@pytest.fixture
def demo(sqlite_url) -> Iterator[Runtime]:
    rt = build_runtime(make_settings(sqlite_url), clock=FixedClock(TEST_NOW), profiles=False)
    with rt.session_factory() as session, session.begin():
        seed_demo(session, now=TEST_NOW, size="small")
    try:
        yield rt
    finally:
        rt.close()


def transcript(rt: Runtime, user: str, *lines: str) -> str:
    out = io.StringIO()
    ConsoleDoor(rt.conversation, team_id=LOCAL_TEAM_ID, user_id=user, out=out).run(iter(lines))
    return out.getvalue()


def test_the_manager_reads_the_team_and_takes_the_excel_file(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shown = transcript(demo, DEMO_MANAGER_ID, "/carnet kpis", "/carnet export kpis", "/carnet export kpis", "/carnet kpis foo")

    assert "📊 Camille Martin — 1 " in shown and "📊 Jordan Smith" in shown
    assert "Fiabilité des prévisions" in shown
    first, second = tmp_path / "carnet-kpis-2026-11-23.xlsx", tmp_path / "carnet-kpis-2026-11-23-2.xlsx"
    assert f"Fichier écrit : {first}" in shown and f"Fichier écrit : {second}" in shown  # never over a file
    sheet = load_workbook(first).active
    assert [c.value for c in sheet[1]] == list(KPI_COLUMNS)
    assert len(list(sheet.iter_rows(min_row=2))) == 5  # the manager's five reps
    assert "Je ne connais ni commercial ni période « foo »" in shown


def test_a_team_of_more_than_ten_gets_one_line_per_rep(demo):
    with demo.session_factory() as session, session.begin():
        manager = session.scalar(select(Member).where(Member.slack_user_id == DEMO_MANAGER_ID))
        session.execute(insert(Member), [
            dict(workspace_id=manager.workspace_id, slack_user_id=f"UNEW{i:02d}", display_name=f"Nouveau {i:02d}",
                 role="rep", manager_id=manager.id, locale="fr", tz="Europe/Paris", period="month", created_at=TEST_NOW)
            for i in range(8)
        ])
    shown = transcript(demo, DEMO_MANAGER_ID, "/carnet kpis mois dernier").replace("\u00a0", " ").replace("\u202f", " ")

    assert "Indicateurs — 13 personnes" in shown
    assert "• Nouveau 07 (1 oct. 2026 → 31 oct. 2026) : actions 0 · visites 0/0 · gagnées 0 (0 €)" in shown
    assert "Fiabilité des prévisions" not in shown  # the blocks are for small teams


def test_a_rep_exports_their_actions_as_csv_here(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shown = transcript(demo, "UDEMO04", "/carnet export actions csv")
    path = tmp_path / "carnet-actions-2026-11-23.csv"
    assert f"File written: {path}" in shown  # Jordan speaks English
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Date,Rep,Account")
    assert {line.split(",")[1] for line in lines[1:]} == {"Jordan Smith"}
