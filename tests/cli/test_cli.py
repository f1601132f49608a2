"""The ``carnet`` command line: real processes for the journeys an admin types, and
``bot.cli.main`` in-process for the many small refusals (each process start costs ~1 s)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

from bot.cli import main
from tests.support.fixtures import run_carnet

EN_HEADER = ["Date", "Rep", "Account", "Contact", "Function", "Action", "Result", "Channel", "Note"]
FR_HEADER = ["Date", "Commercial", "Société", "Interlocuteur", "Fonction", "Action", "Résultat", "Canal", "Note"]
EN_TYPES = {"visit", "call", "email", "meeting", "video call", "demo", "negotiation", "follow-up"}
FR_TYPES = {"visite", "appel", "e-mail", "rendez-vous", "visio", "démo", "négociation", "relance"}


def run_main(monkeypatch, capsys, db: str, *args: str, stdin: str = "", **env: str) -> tuple[int, str, str]:
    """``carnet ARGS`` in this process; argparse refusals (SystemExit) give their status too."""
    for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "CARNET_DEFAULT_TZ", "CARNET_DEFAULT_LOCALE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = io.StringIO()
    try:
        status = main(list(args), stdout=out, stdin=io.StringIO(stdin))
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    return status, out.getvalue(), capsys.readouterr().err


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def db_rows(path: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def copy_db(src: Path, dst_dir: Path) -> Path:
    dst = dst_dir / src.name
    for suffix in ("", "-wal", "-shm"):
        if Path(str(src) + suffix).exists():
            shutil.copy(str(src) + suffix, str(dst) + suffix)
    return dst


# --------------------------------------------------------------------------- the demo database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """``carnet demo`` once for the module (tests that write copy it first)."""
    path = tmp_path_factory.mktemp("demo") / "carnet.db"
    result = run_carnet("demo", db=f"sqlite:///{path}")
    assert result.returncode == 0, result.stderr
    assert re.match(r"Demo workspace TLOCAL: \d+ members, 60 accounts, 120 contacts, 3000 actions\b", result.stdout)
    assert result.stderr == ""
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Iterator[Path]:
    yield copy_db(demo_db, tmp_path)


def test_demo_is_kept_unless_reset(monkeypatch, capsys, demo_copy):
    url = f"sqlite:///{demo_copy}"
    status, out, _ = run_main(monkeypatch, capsys, url, "demo")
    assert status == 0
    assert "3000 actions" in out  # the same workspace, not a second batch
    assert db_rows(demo_copy, "SELECT count(*) FROM action") == [(3000,)]
    status, out, _ = run_main(monkeypatch, capsys, url, "demo", "--reset")
    assert status == 0
    assert db_rows(demo_copy, "SELECT count(*) FROM action") == [(3000,)]
    assert db_rows(demo_copy, "SELECT count(*) FROM workspace") == [(1,)]


# --------------------------------------------------------------------------- console


def test_console_script_through_a_real_process(demo_copy):
    commands = "\n".join([
        "/log visite Gama Industries proposition avec Mme Durand (acheteur) -- Salon",
        "1",  # the closest name: Gamma Industries
        "/log vizite Alpha SA",
        "/log visio Zorglub SARL",
        "2",  # cancel
        "/log appel Cobalt SA",
        "1",  # undo
        "quit",
    ]) + "\n"

    result = run_carnet("console", "--script", db=f"sqlite:///{demo_copy}", stdin=commands)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert out.startswith("Console Carnet — espace TLOCAL, vous êtes UDEMO01.")
    assert "Pas de société « Gama Industries ». Vouliez-vous dire l'une de celles-ci ?" in out
    assert "  [1] Gamma Industries" in out
    assert "✔ Noté : visite — Gamma Industries." in out
    assert "Je ne connais pas le type d'action « vizite »." in out
    assert "Annulé — rien n'a été noté." in out
    assert "↩ Annulé — l'action appel chez Cobalt SA a été supprimée." in out
    assert out.rstrip().endswith("Au revoir !")

    console_rows = db_rows(
        demo_copy,
        "SELECT a.action_type, a.result, a.note, acc.name, c.name, a.contact_function, m.slack_user_id "
        "FROM action a JOIN account acc ON acc.id = a.account_id JOIN member m ON m.id = a.member_id "
        "LEFT JOIN contact c ON c.id = a.contact_id WHERE a.source = 'console'",
    )
    assert console_rows == [("visit", "proposal", "Salon", "Gamma Industries", "Mme Durand", "buyer", "UDEMO01")]
    assert db_rows(demo_copy, "SELECT count(*) FROM account WHERE name LIKE 'Zorglub%' OR name LIKE 'Gama %'") == [(0,)]
    assert db_rows(demo_copy, "SELECT count(*) FROM pending_command") == [(0,)]


def test_console_new_member_in_english(monkeypatch, capsys, demo_copy):
    status, out, err = run_main(
        monkeypatch, capsys, f"sqlite:///{demo_copy}",
        "console", "--script", "--user", "UNEW", "--lang", "en", "--tz", "America/New_York",
        stdin="/log call Gamma SA no need\n/log\n1\nGamma SA\ncancel\n",
    )
    assert status == 0, err
    assert "✔ Logged: call — Gamma SA." in out
    assert "Log an action — press Enter to skip an optional field." in out
    assert "Form cancelled." in out
    assert out.rstrip().endswith("Bye!")
    assert db_rows(demo_copy, "SELECT locale, tz FROM member WHERE slack_user_id = 'UNEW'") == [("en", "America/New_York")]
    assert db_rows(demo_copy, "SELECT count(*) FROM action WHERE source = 'console'") == [(1,)]


def test_console_refuses_an_unknown_time_zone(monkeypatch, capsys, tmp_path):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'c.db'}", "console", "--script", "--tz", "Mars/Olympus")
    assert status == 2
    assert "--tz 'Mars/Olympus' is not a time zone name" in err
    assert out == ""


# --------------------------------------------------------------------------- export


def test_export_actions_csv_in_english_between_two_days(demo_db):
    everything = db_rows(demo_db, "SELECT occurred_on FROM action")
    days = sorted(date.fromisoformat(d) for (d,) in everything)
    since, until = days[len(days) // 4], days[len(days) // 2]
    expected = sum(1 for d in days if since <= d <= until)
    assert 0 < expected < len(days)

    result = run_carnet(
        "export", "actions", "--format", "csv", "--lang", "en", "--since", since.isoformat(), "--until", until.isoformat(),
        db=f"sqlite:///{demo_db}",
    )

    assert result.returncode == 0, result.stderr
    rows = read_csv(result.stdout)
    assert rows[0] == EN_HEADER
    body = rows[1:]
    assert len(body) == expected
    assert all(len(row) == 9 for row in body)
    exported_days = [date.fromisoformat(row[0]) for row in body]
    assert exported_days == sorted(exported_days)  # oldest first
    assert since <= exported_days[0] and exported_days[-1] <= until
    assert {row[5] for row in body} <= EN_TYPES
    assert {row[7] for row in body} <= {"in person", "phone", "email", "video"}
    assert {row[6] for row in body} - {""} <= {
        "proposal", "no need", "revise the proposal", "meeting booked", "order", "won", "lost", "to follow up",
    }
    reps = {name for (name,) in db_rows(demo_db, "SELECT display_name FROM member")}
    accounts = {name for (name,) in db_rows(demo_db, "SELECT name FROM account")}
    assert {row[1] for row in body} <= reps
    assert {row[2] for row in body} <= accounts
    assert any(row[3] and row[4] for row in body)  # contacts with their function
    assert any(row[8] for row in body)  # notes (some with an apostrophe) survive the CSV quoting


def test_export_actions_in_french_by_default(monkeypatch, capsys, demo_db):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{demo_db}", "export", "actions")
    assert status == 0, err
    rows = read_csv(out)
    assert rows[0] == FR_HEADER
    assert len(rows) == 1 + 3000
    assert {row[5] for row in rows[1:]} <= FR_TYPES
    assert {row[7] for row in rows[1:]} == {"en personne", "téléphone", "e-mail", "visio"}


def test_export_respects_carnet_default_locale(monkeypatch, capsys, demo_db):
    status, out, _ = run_main(monkeypatch, capsys, f"sqlite:///{demo_db}", "export", "actions", "--since", "2999-01-01",
                              CARNET_DEFAULT_LOCALE="en")
    assert status == 0
    assert read_csv(out) == [EN_HEADER]  # nothing that late: the header alone


def test_export_needs_team_when_the_database_holds_several_workspaces(monkeypatch, capsys, demo_copy):
    url = f"sqlite:///{demo_copy}"
    # A second workspace appears (someone used the console as another team).
    status, _, _ = run_main(monkeypatch, capsys, url, "console", "--script", "--team", "TOTHER", stdin="/log visite Gamma SA\n1\n")
    assert status == 0
    assert db_rows(demo_copy, "SELECT team_id FROM workspace ORDER BY id") == [("TLOCAL",), ("TOTHER",)]

    result = run_carnet("export", "actions", db=url)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "several workspaces (TLOCAL, TOTHER)" in result.stderr
    assert "--team" in result.stderr
    assert "Traceback" not in result.stderr

    status, out, err = run_main(monkeypatch, capsys, url, "export", "actions", "--team", "TOTHER", "--lang", "en")
    assert status == 0, err
    rows = read_csv(out)
    assert rows[0] == EN_HEADER
    assert [row[1:3] + row[5:6] for row in rows[1:]] == [["console", "Gamma SA", "visit"]]

    status, out, err = run_main(monkeypatch, capsys, url, "export", "actions", "--team", "TLOCAL")
    assert status == 0
    assert len(read_csv(out)) == 1 + 3000

    status, out, err = run_main(monkeypatch, capsys, url, "export", "actions", "--team", "TNOPE")
    assert status == 2
    assert "no workspace 'TNOPE'" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "23/11/2026"], "is not a date (YYYY-MM-DD)"),
        (["--until", "hier"], "is not a date (YYYY-MM-DD)"),
        (["--since", "2026-02-30"], "is not a date (YYYY-MM-DD)"),
        (["--since", "2026-06-01", "--until", "2026-05-01"], "--since is after --until"),
        (["--format", "ods"], "invalid choice"),  # xlsx is a format since issue 14
    ],
)
def test_export_refuses_bad_dates_with_status_2(monkeypatch, capsys, demo_db, args, message):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{demo_db}", "export", "actions", *args)
    assert status == 2
    assert message in err
    assert out == ""
    assert "Traceback" not in err


# --------------------------------------------------------------------------- db upgrade


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, make_engine

    engine = make_engine("sqlite://")
    try:
        return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    finally:
        engine.dispose()


def test_db_upgrade_prints_the_revision_and_is_idempotent(tmp_path):
    path = tmp_path / "fresh.db"
    url = f"sqlite:///{path}"
    head = _head_revision()

    first = run_carnet("db", "upgrade", db=url)
    second = run_carnet("db", "upgrade", db=url)

    for result in (first, second):
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"Database at revision {head}.\n"
    assert db_rows(path, "SELECT version_num FROM alembic_version") == [(head,)]
    tables = {name for (name,) in db_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"workspace", "member", "account", "contact", "action", "outbox"} <= tables


def test_db_upgrade_keeps_the_data(monkeypatch, capsys, demo_copy):
    status, out, _ = run_main(monkeypatch, capsys, f"sqlite:///{demo_copy}", "db", "upgrade")
    assert status == 0
    assert out == f"Database at revision {_head_revision()}.\n"
    assert db_rows(demo_copy, "SELECT count(*) FROM action") == [(3000,)]


# --------------------------------------------------------------------------- manifest


def _check_manifest(manifest: dict) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) >= {"/log", "/carnet"}
    assert all(c["description"] for c in commands.values())
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"commands", "chat:write", "users:read"} <= set(scopes)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["display_information"]["name"]


def test_manifest_http_mode_through_a_real_process(tmp_path):
    result = run_carnet("manifest", "--url", "https://x.example/", db=f"sqlite:///{tmp_path / 'unused.db'}")

    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    _check_manifest(manifest)
    assert manifest["settings"]["socket_mode_enabled"] is False
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls.append(manifest["settings"]["interactivity"]["request_url"])
    assert urls and all(url == "https://x.example/slack/events" for url in urls)
    assert not (tmp_path / "unused.db").exists()  # printing a manifest touches no database


def test_manifest_socket_mode(monkeypatch, capsys, tmp_path):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "manifest", "--socket-mode")
    assert status == 0, err
    manifest = json.loads(out)
    _check_manifest(manifest)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert all("url" not in c for c in manifest["features"]["slash_commands"])
    assert "request_url" not in manifest["settings"]["interactivity"]


def test_manifest_with_a_name(monkeypatch, capsys, tmp_path):
    status, out, _ = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}",
                              "manifest", "--url", "https://x.example", "--name", "Carnet Équipe Sud")
    assert status == 0
    manifest = json.loads(out)
    assert manifest["display_information"]["name"] == "Carnet Équipe Sud"
    assert manifest["features"]["slash_commands"][0]["url"] == "https://x.example/slack/events"


def test_manifest_needs_a_url_or_socket_mode(monkeypatch, capsys, tmp_path):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "manifest")
    assert status == 2
    assert out == ""
    assert "--socket-mode" in err and "URL" in err


# --------------------------------------------------------------------------- serve and settings


def test_serve_without_a_bot_token_exits_2_with_a_clear_message(tmp_path):
    result = run_carnet("serve", "--port", "0", db=f"sqlite:///{tmp_path / 'serve.db'}", timeout=30,
                    SLACK_SIGNING_SECRET="secret")

    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_serve_http_without_a_signing_secret_exits_2(monkeypatch, capsys, tmp_path):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 's.db'}", "serve", "--port", "0",
                                SLACK_BOT_TOKEN="xoxb-test")
    assert status == 2
    assert "SLACK_SIGNING_SECRET is not set" in err


@pytest.mark.parametrize(
    "env, message",
    [
        ({"CARNET_DEFAULT_TZ": "Paris"}, "CARNET_DEFAULT_TZ='Paris' is not a time zone name"),
        ({"CARNET_DEFAULT_LOCALE": "de"}, "CARNET_DEFAULT_LOCALE must be one of fr, en"),
    ],
)
def test_bad_settings_exit_2(monkeypatch, capsys, tmp_path, env, message):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "export", "actions", **env)
    assert status == 2
    assert message in err
    assert out == ""


def test_unknown_command_exits_2(monkeypatch, capsys, tmp_path):
    status, _, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "frobnicate")
    assert status == 2
    assert "invalid choice" in err

