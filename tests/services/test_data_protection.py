"""Data protection (issue 16): erasing a contact takes their name out of every table of the
workspace (statistics kept), and the whole-data export gives every table as CSV in a zip."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text

from bot.core import ToMember, ToReplyUrl
from bot.grammar.normalize import fold
from bot.reports.whole_export import exported_columns, export_all
from bot.services.data_protection import ErasureError, erase_contact, workspace_tables
from storage.models import Action, Contact, PendingCommand, Workspace
from bot.services.accounts import create_account
from bot.services.members import get_or_create_workspace
from tests.support.fixtures import TEST_NOW, say, typed

WEBHOOK_REPLY = "https://hooks.slack.com/commands/T1/123/abcSECRETabc"


@pytest.fixture
def seeded(conversation, session_factory) -> None:
    """T1: Jean Dupré (buyer) at Gamma and at Delta, Marie Curie at Gamma, an account named after
    him, notes, a stored reply, a queued message and a pending question holding his name; T2: a
    Jean Dupré of its own."""
    for team, names in (("T1", ("Gamma", "Delta", "Jean Dupré EI")), ("T2", ("Epsilon",))):
        with session_factory() as session, session.begin():
            workspace = get_or_create_workspace(session, team, now=TEST_NOW)
            for name in names:
                create_account(session, workspace.id, name, owner_id=None, now=TEST_NOW)
    lines = [
        "/log visite Gamma proposition avec Jean Dupré (acheteur) -- rappeler jean dupre lundi",
        "/log appel Delta avec Jean Dupré (acheteur) -- JEAN DUPRÉ absent",
        "/log visite Gamma avec Marie Curie (directeur) -- =HYPERLINK(\"x\") Marie seule",
    ]
    for n, line in enumerate(lines):
        conversation.handle(typed(line, key=f"k{n}", deliver_to=ToReplyUrl(WEBHOOK_REPLY)))
    conversation.handle(typed("/log visite Gamma -- déjeuner", key="k9", deliver_to=ToMember("U1")))
    say(conversation, "/log visite Gama avec Jean Dupré")  # pending: "did you mean Gamma?"
    say(conversation, "/log visite Gama", user="U2")  # another pending question, without the name
    say(conversation, "/log visite Epsilon avec Jean Dupré", team="T2", user="U9")


def workspace_id(session, team: str) -> int:
    return session.scalar(select(Workspace.id).where(Workspace.team_id == team))


def everything(session, team: str) -> str:
    """Every value of every row the workspace owns, as folded text."""
    wid = workspace_id(session, team)
    parts = []
    for table in workspace_tables():
        scope = table.c.id == wid if "workspace_id" not in table.c else table.c.workspace_id == wid
        for row in session.execute(select(table).where(scope)):
            parts.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return fold("\n".join(parts))


def snapshot(session) -> dict[str, list]:
    return {t.name: [tuple(map(str, r)) for r in session.execute(select(t).order_by(t.c.id))] for t in workspace_tables()}


def test_erasing_a_contact_removes_the_name_everywhere_and_keeps_the_statistics(seeded, session_factory):
    with session_factory() as session:
        assert "jean dupre" in everything(session, "T1")
        wid = workspace_id(session, "T1")
        actions_before = [(a.action_type, a.result, a.occurred_on, a.contact_function)
                          for a in session.scalars(select(Action).where(Action.workspace_id == wid).order_by(Action.id))]
        t2_before = snapshot(session)["contact"]
    with session_factory() as session, session.begin():
        done = erase_contact(session, wid, "jean DUPRE", replacement="[effacé]")
    assert (done.contacts, done.actions, done.pending) == (2, 2, 1)

    with session_factory() as session:
        assert "dupre" not in everything(session, "T1")  # notes, replies, queued messages, account names
        assert "marie curie" in everything(session, "T1")
        actions = list(session.scalars(select(Action).where(Action.workspace_id == wid).order_by(Action.id)))
        assert [(a.action_type, a.result, a.occurred_on, a.contact_function) for a in actions] == actions_before
        notes = [a.note for a in actions if a.note]
        assert "rappeler [effacé] lundi" in notes and "[effacé] absent" in notes
        assert [c.name for c in session.scalars(select(Contact).where(Contact.workspace_id == wid))] == ["Marie Curie"]
        pending = list(session.scalars(select(PendingCommand).where(PendingCommand.workspace_id == wid)))
        assert len(pending) == 1  # U2's question, which does not hold the name, stays
        accounts = dict(session.execute(text("SELECT name, name_key FROM account WHERE workspace_id = :w"), {"w": wid}).all())
        assert accounts["[effacé] EI"] == fold("[effacé] EI")
        # The other workspace's Jean Dupré is not this workspace's to erase.
        assert "jean dupre" in everything(session, "T2")
        assert [r for r in snapshot(session)["contact"] if r not in t2_before] == []


def test_an_unknown_contact_is_refused_and_nothing_changes(seeded, session_factory):
    with session_factory() as session:
        before = snapshot(session)
        wid = workspace_id(session, "T1")
    for name in ("Jean Dupont", "Dupré", "", "Gamma"):
        with session_factory() as session, session.begin():
            with pytest.raises(ErasureError, match="no contact"):
                erase_contact(session, wid, name, replacement="[erased]")
    with session_factory() as session:
        assert snapshot(session) == before


def test_the_whole_data_export_is_one_csv_per_table_and_a_readme(seeded, session_factory):
    target = io.BytesIO()
    with session_factory() as session:
        workspace = session.scalar(select(Workspace).where(Workspace.team_id == "T1"))
        counts = export_all(session, workspace, target)
        t1_actions = len(list(session.scalars(select(Action.id).where(Action.workspace_id == workspace.id))))
    archive = zipfile.ZipFile(io.BytesIO(target.getvalue()))
    tables = {t.name: t for t in workspace_tables()}
    assert set(archive.namelist()) == {f"{name}.csv" for name in tables} | {"README.txt"}
    readme = archive.read("README.txt").decode()
    read = {name: list(csv.reader(io.StringIO(archive.read(f"{name}.csv").decode()))) for name in tables}
    for name, rows in read.items():
        assert rows[0] == [c.name for c in exported_columns(tables[name])]
        assert len(rows) - 1 == counts[name]
        assert f"{name}.csv ({counts[name]} rows)" in readme
        assert all(f"  {column}: " in readme for column in rows[0])  # every column documented
    assert counts["action"] == t1_actions and counts["workspace"] == 1
    cells = [cell for rows in read.values() for row in rows for cell in row]
    assert "Epsilon" not in cells  # T2's rows are T2's
    notes = [row[rows_index(read["action"], "note")] for row in read["action"][1:]]
    assert "'=HYPERLINK(\"x\") Marie seule" in notes  # a formula stays text
    dump = archive.read("outbox.csv").decode() + archive.read("processed_request.csv").decode()
    assert "abcSECRETabc" not in dump and "[redacted]" in dump  # a reply address is a credential


def rows_index(rows: list[list[str]], column: str) -> int:
    return rows[0].index(column)


def test_secret_columns_are_never_exported():
    table = Table("installation", MetaData(), Column("id", Integer, primary_key=True), Column("workspace_id", Integer),
                  Column("bot_token", String), Column("client_secret", String), Column("team_name", String))
    assert [c.name for c in exported_columns(table)] == ["id", "workspace_id", "team_name"]


def test_accounts_named_after_two_erased_people_keep_unique_keys(conversation, session_factory):
    with session_factory() as session, session.begin():
        workspace = get_or_create_workspace(session, "T1", now=TEST_NOW)
        for name in ("Jean Dupré", "Paul Martin"):
            create_account(session, workspace.id, name, owner_id=None, now=TEST_NOW)
        wid = workspace.id
    say(conversation, '/log visite "Jean Dupré" avec Jean Dupré')
    say(conversation, '/log visite "Paul Martin" avec Paul Martin')
    for name in ("Jean Dupré", "Paul Martin"):
        with session_factory() as session, session.begin():
            erase_contact(session, wid, name, replacement="[erased]")
    with session_factory() as session:
        accounts = session.execute(text("SELECT name, name_key FROM account ORDER BY id")).all()
    assert [name for name, _key in accounts] == ["[erased]", "[erased]"]
    assert accounts[0][1] == "[erased]" and accounts[1][1].startswith("[erased] #")


def test_a_name_with_no_plain_letters_in_common_is_found_by_reading_every_value(conversation, session_factory):
    with session_factory() as session, session.begin():
        workspace = get_or_create_workspace(session, "T1", now=TEST_NOW)
        create_account(session, workspace.id, "Gamma", owner_id=None, now=TEST_NOW)
        wid = workspace.id
    say(conversation, "/log visite Gamma avec Zoé Ng -- ZOE NG et zoé  ng rappellent")
    with session_factory() as session, session.begin():
        done = erase_contact(session, wid, "zoe ng", replacement="[erased]")
    assert done.contacts == 1
    with session_factory() as session:
        assert session.scalar(select(Action.note)) == "[erased] et [erased] rappellent"
