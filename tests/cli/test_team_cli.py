"""``carnet team import FILE.csv`` in a real process, on a SQLite file, asking the fake Slack
whether each new user exists (users.info): all rows or none, with line-numbered reasons."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fixtures import BOT_TOKEN, run_carnet
from tests.support.fake_slack import FakeSlack

HEADER = "slack_user_id,role,manager,locale,timezone,period,name\n"
KNOWN = ("UMGR", "UREP1", "UREP2", "UREP3", "UBOSS")  # users.info knows these, and no one else
GOOD = HEADER + (
    "UREP1,rep,UMGR,en,America/New_York,week,Rita\n"  # her manager is named further down
    "UREP2,rep,UMGR,fr,Europe/Paris,quarter,Rémi\n"
    "UMGR,manager,UBOSS,fr,Europe/Paris,month,Mona\n"
    "UBOSS,admin,,en,Europe/London,quarter,Boris\n"
)
AFTER_GOOD = [
    ("UREP1", "Rita", "rep", "UMGR", "en", "America/New_York", "week"),
    ("UREP2", "Rémi", "rep", "UMGR", "fr", "Europe/Paris", "quarter"),
    ("UMGR", "Mona", "manager", "UBOSS", "fr", "Europe/Paris", "month"),
    ("UBOSS", "Boris", "admin", None, "en", "Europe/London", "quarter"),
]


@pytest.fixture(scope="module")
def slack_users() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    for user in KNOWN:
        fake.add_user(user, name=user.lower())
    try:
        yield fake
    finally:
        fake.stop()


def members(db: Path) -> list[tuple]:
    """(user, name, role, manager's user, locale, tz, period) of every member, and the raw rows."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT m.slack_user_id, m.display_name, m.role, boss.slack_user_id, m.locale, m.tz, m.period "
            "FROM member m LEFT JOIN member boss ON boss.id = m.manager_id ORDER BY m.id"
        ).fetchall()


def raw_members(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM member ORDER BY id").fetchall()


def team_import(tmp_path: Path, db: Path, content: str, fake: FakeSlack, **env: str):
    csv_file = tmp_path / "team.csv"
    csv_file.write_text(content, encoding="utf-8")
    return run_carnet(
        "team", "import", str(csv_file), "--team", "T1", db=f"sqlite:///{db}",
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url, **env,
    )


@dataclass
class Run:
    csv_file: Path
    result: subprocess.CompletedProcess[str]
    before: list[tuple]
    after: list[tuple]
    db: Path


def import_all(template: Path, root: Path, fake: FakeSlack, files: dict[str, tuple[str, dict[str, str]]]) -> dict[str, Run]:
    """Each (content, env) imported by its own ``carnet`` process into its own copy of ``template``,
    the processes running side by side (each costs about two seconds, mostly starting up)."""

    def one(name: str) -> Run:
        content, env = files[name]
        tmp = root / name.replace(" ", "_")
        tmp.mkdir(parents=True)
        db = tmp / "carnet.db"
        shutil.copy(template, db)
        before = raw_members(db)
        result = team_import(tmp, db, content, fake, **env)
        return Run(tmp / "team.csv", result, before, raw_members(db), db)

    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        return dict(zip(files, pool.map(one, files)))


@pytest.fixture(scope="module")
def imported(tmp_path_factory, slack_users) -> Path:
    """A database after the good file: the starting point of every bad-file test (copied)."""
    tmp = tmp_path_factory.mktemp("team")
    db = tmp / "template.db"
    slack_users.clear()
    result = team_import(tmp, db, GOOD, slack_users)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Workspace T1: 4 member(s) added, 0 updated.\n"
    # Every new user of the file was checked with Slack.
    assert {c.params.get("user") for c in slack_users.delivered("users.info")} == {"UREP1", "UREP2", "UMGR", "UBOSS"}
    return db


def test_a_good_file_imports_members_roles_managers_periods_and_zones(imported):
    assert members(imported) == AFTER_GOOD


BAD_FILES = {
    "unknown users": (
        HEADER + "UREP3,rep,UMGR,fr,Europe/Paris,month,\nUGHOST,rep,UMGR,fr,Europe/Paris,month,\n"
        "UPHANTOM,rep,UMGR,fr,Europe/Paris,month,\n",
        ["team.csv:3: Slack knows no user UGHOST in this workspace.",
         "team.csv:4: Slack knows no user UPHANTOM in this workspace."],
    ),
    "unknown manager": (
        HEADER + "UREP3,rep,UNOBODY,fr,Europe/Paris,month,\n",
        ["team.csv:2: The manager UNOBODY is neither in the file nor in Carnet."],
    ),
    "manager cycle": (
        # UMGR is stored as reporting to UBOSS: making UBOSS report to UMGR closes a loop.
        HEADER + "UREP3,rep,UMGR,fr,Europe/Paris,month,\nUBOSS,manager,UMGR,fr,Europe/Paris,month,\n",
        ["team.csv:3: Managers would go round in a circle: UMGR → UBOSS → UMGR."],
    ),
    "invalid time zone": (
        HEADER + "UREP3,rep,UMGR,fr,Europe/Paris,month,\nUREP2,rep,UMGR,fr,Paris/France,month,\n",
        ["team.csv:3: “Paris/France” is not a time zone (e.g. Europe/Paris)."],
    ),
    "invalid period": (
        HEADER + "UREP3,rep,UMGR,fr,Europe/Paris,semester,\n",
        ["team.csv:2: “semester” is not a period (week, month, quarter)."],
    ),
    "bad role": (
        HEADER + "UREP3,rep,UMGR,fr,Europe/Paris,month,\n\nUREP2,ceo,UMGR,fr,Europe/Paris,month,\n",
        ["team.csv:4: “ceo” is not a role (rep, manager, admin)."],  # the blank line 3 still counts
    ),
}


AGAIN = HEADER + "UREP1,rep,UREP2,en,America/Chicago,month,\n"
IN_FRENCH = HEADER + "UREP3,rep,UMGR,fr,Europe/Paris,année,\n"


@pytest.fixture(scope="module")
def runs(imported, tmp_path_factory, slack_users) -> dict[str, Run]:
    files = {name: (content, {"CARNET_DEFAULT_LOCALE": "en"}) for name, (content, _messages) in BAD_FILES.items()}
    files["again"] = (AGAIN, {})
    files["in French"] = (IN_FRENCH, {})
    return import_all(imported, tmp_path_factory.mktemp("runs"), slack_users, files)


def test_importing_again_updates_in_place(runs):
    run = runs["again"]
    assert run.result.returncode == 0, run.result.stderr
    assert run.result.stdout == "Workspace T1: 0 member(s) added, 1 updated.\n"
    assert members(run.db)[0] == ("UREP1", "Rita", "rep", "UREP2", "en", "America/Chicago", "month")
    assert members(run.db)[1:] == AFTER_GOOD[1:]


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_exits_2_names_each_line_and_stores_nothing(runs, case):
    run = runs[case]
    messages = [f"{run.csv_file}:{m.removeprefix('team.csv:')}" for m in BAD_FILES[case][1]]

    assert run.result.returncode == 2, (run.result.stdout, run.result.stderr)
    assert run.result.stdout == ""
    assert run.result.stderr.splitlines() == [
        *messages, f"carnet: {len(messages)} problem(s); nothing was imported."
    ]
    assert run.before == [tuple(r) for r in raw_members(run.db)] == run.after  # nothing added, changed or removed
    assert len(run.before) == len(AFTER_GOOD)


def test_the_problems_are_told_in_the_admins_language(runs):
    run = runs["in French"]
    assert run.result.returncode == 2
    assert run.result.stderr.splitlines()[0] == f"{run.csv_file}:2: « année » n'est pas une période (week, month, quarter)."


def test_slack_rate_limits_and_outages_while_checking_users(imported, tmp_path):
    """users.info answers 429 once (Retry-After: 1): the import waits and goes on. Slack down
    (500 on every users.info): a short answer, exit 2, nothing stored, no stack trace."""
    limited, down = FakeSlack(), FakeSlack()
    for fake in (limited, down):
        fake.start()
        for user in KNOWN:
            fake.add_user(user, name=user.lower())
    limited.fail_next("users.info", status=429, retry_after=1)
    down.fail_next("users.info", status=500, error="internal_error", times=None)
    content = HEADER + "UREP3,rep,UMGR,fr,Europe/Paris,month,Rose\n"
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            ok, failed = pool.map(
                lambda pair: import_all(imported, tmp_path / pair[0], pair[1], {"run": (content, {"CARNET_DEFAULT_LOCALE": "en"})})["run"],
                [("limited", limited), ("down", down)],
            )
    finally:
        limited.stop()
        down.stop()

    assert ok.result.returncode == 0, ok.result.stderr
    assert members(ok.db)[-1] == ("UREP3", "Rose", "rep", "UMGR", "fr", "Europe/Paris", "month")
    assert [c.failed for c in limited.calls("users.info")] == [True, False]

    assert failed.result.returncode == 2, failed.result.stderr
    assert "Traceback" not in failed.result.stderr
    assert failed.result.stderr.splitlines()[-1] == "carnet: Slack could not say whether the users exist (internal_error); nothing was imported."
    assert failed.before == failed.after
