"""`carnet workspace erase`, `carnet serve`'s start-up checks against the fake Web API, the OAuth
settings and the manifest's OAuth part."""

from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.app import make_web_client
from bot.services import installs, workspace_settings
from bot.services.members import get_or_create_workspace
from bot.settings import Settings, SettingsError
from bot.slack_install import StartupError, check_app_token, startup_checks
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Action, Workspace
from tests.cli.test_cli import run_main
from tests.support.fixtures import BOT_TOKEN, SIGNING_SECRET, TEST_NOW, make_settings, run_carnet


def _count(db: str, model, *where) -> int:
    engine = make_engine(db)
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    finally:
        engine.dispose()


@pytest.fixture
def demo_db(tmp_path, monkeypatch, capsys) -> str:
    db = f"sqlite:///{tmp_path / 'carnet.db'}"
    status, _, err = run_main(monkeypatch, capsys, db, "demo")
    assert status == 0, err
    return db


# --------------------------------------------------------------------------- workspace erase


def test_workspace_erase_deletes_every_row_of_the_workspace(demo_db, monkeypatch, capsys):
    assert _count(demo_db, Action) > 0
    status, out, err = run_main(monkeypatch, capsys, demo_db, "workspace", "erase", "TLOCAL", "--yes")

    assert status == 0, err
    assert out.startswith("Workspace TLOCAL erased: ")
    assert "\n  action: " in out and "\n  workspace: 1" in out
    assert _count(demo_db, Action) == 0 and _count(demo_db, Workspace) == 0


def test_workspace_erase_asks_for_the_team_id_and_erases_nothing_without_it(demo_db, monkeypatch, capsys):
    before = _count(demo_db, Action)
    status, out, err = run_main(monkeypatch, capsys, demo_db, "workspace", "erase", "TLOCAL", stdin="yes\n")

    assert status == 2
    assert "Type the team id to confirm" in out
    assert err.strip() == "carnet: not confirmed; nothing was erased"
    assert _count(demo_db, Action) == before

    status, out, err = run_main(monkeypatch, capsys, demo_db, "workspace", "erase", "TLOCAL", stdin="TLOCAL\n")
    assert status == 0, err
    assert _count(demo_db, Workspace) == 0


def test_workspace_erase_of_an_unknown_team_is_a_clear_error(demo_db, monkeypatch, capsys):
    before = _count(demo_db, Action)
    status, out, err = run_main(monkeypatch, capsys, demo_db, "workspace", "erase", "T404", "--yes")

    assert status == 2 and out == ""
    assert err.strip() == "carnet: no workspace 'T404' in this database; nothing was erased"
    assert _count(demo_db, Action) == before


# --------------------------------------------------------------------------- start-up checks


def _serve(tmp_path, fake, **env: str):
    return run_carnet("serve", "--port", "0", db=f"sqlite:///{tmp_path / 'serve.db'}", timeout=60,
                      SLACK_API_URL=fake.api_url, SLACK_SIGNING_SECRET=SIGNING_SECRET, **env)


@pytest.mark.parametrize("token, error, hint", [
    ("xoxb-not-a-real-one", "invalid_auth", "not a valid token"),
    ("xoxb-revoked", "token_revoked", "revoked"),
])
def test_serve_refuses_a_wrong_bot_token_with_one_clear_line(tmp_path, fake_slack, token, error, hint):
    fake_slack.strict_tokens = True
    fake_slack.revoked_tokens.add("xoxb-revoked")
    result = _serve(tmp_path, fake_slack, SLACK_BOT_TOKEN=token)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"carnet: Slack refused SLACK_BOT_TOKEN: {error} — ") and hint in line
    assert [c.token for c in fake_slack.calls("auth.test")] == [token]


@pytest.mark.parametrize("app_token, error", [
    ("xoxb-a-bot-token-by-mistake", "not_allowed_token_type"),
    ("xapp-1-revoked-or-mistyped", "invalid_auth"),
])
def test_socket_mode_with_a_bad_app_token_is_a_clear_error(tmp_path, fake_slack, app_token, error):
    fake_slack.app_tokens = {"xapp-1-the-real-one"}
    result = _serve(tmp_path, fake_slack, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=app_token)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"carnet: Slack refused SLACK_APP_TOKEN for Socket Mode: {error} — ")


def test_a_good_app_token_opens_a_connection(fake_slack):
    fake_slack.app_tokens = {"xapp-1-the-real-one"}
    check_app_token(make_web_client(None, fake_slack.api_url), "xapp-1-the-real-one")
    assert fake_slack.calls("apps.connections.open")[0].token == "xapp-1-the-real-one"


@pytest.fixture
def checked(sqlite_url, fake_slack):
    """Runs the start-up checks of `carnet serve` against the fake, on a migrated database."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    settings = make_settings(sqlite_url, fake_slack)

    def run(channel: str | None = None, **overrides) -> list[str]:
        if channel is not None:
            with sessions() as session, session.begin():
                workspace = get_or_create_workspace(session, "T1", now=TEST_NOW)
                workspace_settings.save(workspace, dataclasses.replace(workspace_settings.load(workspace), team_channel=channel))
        return startup_checks(dataclasses.replace(settings, **overrides), make_web_client(None, fake_slack.api_url),
                              sessions, FixedClock(TEST_NOW))

    run.sessions = sessions  # type: ignore[attr-defined]
    yield run
    engine.dispose()


def test_the_team_channel_check_says_when_the_bot_is_not_in_it(checked, fake_slack):
    fake_slack.set_channel("CPRIV", is_member=False, is_private=True)
    fake_slack.set_channel("CPUB", is_member=False)
    fake_slack.set_channel("CIN", is_member=True, is_private=True)

    assert checked("CPRIV") == ["the bot is not in the private team channel CPRIV: invite it (/invite @carnet)"]
    assert checked("CPUB") == []  # chat:write.public posts there without an invitation
    assert checked("CIN") == []
    assert checked("CGONE") == ["the team channel CGONE is private or gone: invite the bot (/invite @carnet) or choose another"]
    assert {c.token for c in fake_slack.calls("conversations.info")} == {BOT_TOKEN}


def test_a_good_token_brings_an_uninstalled_workspace_back(checked):
    with checked.sessions() as session, session.begin():
        get_or_create_workspace(session, "T1", now=TEST_NOW)
        installs.mark_uninstalled(session, "T1", now=TEST_NOW)
    assert checked() == []
    with checked.sessions() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == "T1"))
        assert workspace.uninstalled_at is None and workspace.name == "Acme"


def test_a_wrong_token_stops_before_anything_is_stored(checked, fake_slack):
    fake_slack.strict_tokens = True
    with pytest.raises(StartupError, match="invalid_auth"):
        checked(slack_bot_token="xoxb-wrong")
    with checked.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 0


# --------------------------------------------------------------------------- settings and manifest


def test_oauth_settings_go_together():
    base = {"DATABASE_URL": "sqlite://", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}
    with pytest.raises(SettingsError, match="SLACK_STATE_SECRET is not set"):
        Settings.from_env(base)
    settings = Settings.from_env({**base, "SLACK_STATE_SECRET": "x"})
    assert settings.oauth and settings.retention_days == 30
    assert not Settings.from_env({"DATABASE_URL": "sqlite://"}).oauth


@pytest.mark.parametrize("days", ["0", "-3", "thirty", "1.5"])
def test_a_retention_that_is_not_a_number_of_days_is_refused(days):
    with pytest.raises(SettingsError, match="CARNET_RETENTION_DAYS"):
        Settings.from_env({"DATABASE_URL": "sqlite://", "CARNET_RETENTION_DAYS": days})


def test_serve_with_oauth_needs_no_bot_token_but_refuses_socket_mode(monkeypatch, capsys, tmp_path):
    status, _, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 's.db'}", "serve", "--port", "0",
                              SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="s", SLACK_STATE_SECRET="x",
                              SLACK_APP_TOKEN="xapp-1", SLACK_SIGNING_SECRET=SIGNING_SECRET)
    assert status == 2
    assert "OAuth (SLACK_CLIENT_ID) needs HTTP mode" in err


def test_the_manifest_has_the_oauth_redirect_url_and_the_uninstall_events(monkeypatch, capsys, tmp_path):
    status, out, err = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "manifest", "--url", "https://x.example/")
    assert status == 0, err
    manifest = json.loads(out)
    assert manifest["oauth_config"]["redirect_urls"] == ["https://x.example/slack/oauth_redirect"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(manifest["settings"]["event_subscriptions"]["bot_events"])

    status, out, _ = run_main(monkeypatch, capsys, f"sqlite:///{tmp_path / 'x.db'}", "manifest", "--socket-mode")
    assert "redirect_urls" not in json.loads(out)["oauth_config"]  # Socket Mode: the single-token mode


def test_run_due_erases_a_workspace_once_its_grace_period_is_over(demo_db, monkeypatch, capsys):
    engine = make_engine(demo_db)
    with make_session_factory(engine)() as session, session.begin():
        assert installs.mark_uninstalled(session, "TLOCAL", now=TEST_NOW)
    engine.dispose()
    actions = _count(demo_db, Action)

    status, out, err = run_main(monkeypatch, capsys, demo_db, "jobs", "run-due", "--now", "2026-12-22T09:00:00Z",
                                CARNET_RETENTION_DAYS="30")
    assert status == 0, err
    assert "erased" not in out and _count(demo_db, Action) == actions  # 29 days: kept

    status, out, err = run_main(monkeypatch, capsys, demo_db, "jobs", "run-due", "--now", "2026-12-23T09:00:00Z",
                                CARNET_RETENTION_DAYS="30")
    assert status == 0, err
    assert out.startswith("Workspace TLOCAL erased (30 days after its uninstall): ")
    assert _count(demo_db, Action) == 0 and _count(demo_db, Workspace) == 0
