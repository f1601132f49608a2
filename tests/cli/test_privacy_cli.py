"""``carnet contact erase`` and ``carnet export all`` (issue 16): what an admin types and reads."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.conversation import Conversation
from bot.runtime import build_runtime
from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from tests.cli.test_cli import run_main
from tests.support.fixtures import TEST_NOW, make_settings, run_carnet, say


@pytest.fixture
def db(tmp_path) -> tuple[str, Path]:
    """A SQLite file where U1 of T1 met Jean Dupré (buyer) at Gamma."""
    path = tmp_path / "carnet.db"
    url = f"sqlite:///{path}"
    runtime = build_runtime(make_settings(url), clock=FixedClock(TEST_NOW), profiles=False)
    try:
        with runtime.session_factory() as session, session.begin():
            workspace = get_or_create_workspace(session, "T1", now=TEST_NOW)
            create_account(session, workspace.id, "Gamma", owner_id=None, now=TEST_NOW)
        conversation = Conversation(runtime.session_factory, runtime.clock)
        say(conversation, "/log visite Gamma avec Jean Dupré (acheteur) -- Jean Dupré veut un devis")
    finally:
        runtime.close()
    return url, path


def query(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_contact_erase_in_english(monkeypatch, capsys, db):
    url, path = db
    status, out, err = run_main(monkeypatch, capsys, url, "contact", "erase", "jean dupre", "--team", "T1", "--lang", "en")
    assert (status, err) == (0, "")
    assert out == ("Erased jean dupre: 1 contact deleted, 1 action kept without the name, "
                   "0 pending commands deleted, 1 text replaced.\n")
    assert query(path, "SELECT name FROM contact") == []
    assert query(path, "SELECT contact_id, contact_function, note FROM action") == [(None, "buyer", "[erased] veut un devis")]


def test_contact_erase_of_an_unknown_name_changes_nothing(monkeypatch, capsys, db):
    url, path = db
    status, out, err = run_main(monkeypatch, capsys, url, "contact", "erase", "Jean Dupont")
    assert status == 2 and out == ""
    assert "no contact 'Jean Dupont' in this workspace; nothing was changed" in err
    assert query(path, "SELECT name FROM contact") == [("Jean Dupré",)]


def test_export_all_through_a_real_process_in_french(db, tmp_path):
    url, _path = db
    target = tmp_path / "tout.zip"
    done = run_carnet("export", "all", "--output", str(target), db=url, SLACK_BOT_TOKEN="xoxb-cli-secret-token")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Export écrit dans {target} : ") and "lignes en tout." in done.stdout
    assert "xoxb-cli-secret-token" not in done.stdout + done.stderr
    archive = zipfile.ZipFile(io.BytesIO(target.read_bytes()))
    assert "action.csv" in archive.namelist() and "README.txt" in archive.namelist()
    assert "Jean Dupré veut un devis" in archive.read("action.csv").decode()


@pytest.mark.parametrize("extra", [["--since", "2026-01-01"], ["--format", "xlsx"]])
def test_export_all_refuses_a_selection(monkeypatch, capsys, db, extra):
    status, _out, err = run_main(monkeypatch, capsys, db[0], "export", "all", *extra)
    assert status == 2 and "export all takes the whole data" in err
