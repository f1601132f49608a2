"""Accounts (issue 15 A) below the dialogs: the import's checks (each bad input said with its line,
and nothing imported), the merge (no row lost or doubled, other workspaces untouched) and the visit
capital used."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.services.account_card import capital_use
from bot.services.account_import import AccountImportError, import_accounts, read_rows
from bot.services.account_merge import MOVED, MergeError, merge_accounts
from bot.services.accounts import create_account
from storage.models import Account, Action, Base, Contact, Opportunity, Plan
from tests.services.conftest import add_member
from tests.support.fixtures import TEST_NOW

HEADER = "name,status,segment,owner,visits_per_year,city,postcode\n"


def _accounts(session_factory) -> list[tuple]:
    with session_factory() as s:
        return [(a.workspace_id, a.name, a.status, a.segment, a.owner_id, a.visits_per_year, a.city, a.postcode)
                for a in s.scalars(select(Account).order_by(Account.id))]


def _import(session_factory, ws: int, data: bytes):
    with session_factory() as s, s.begin():
        return import_accounts(s, ws, data, now=TEST_NOW)


# --------------------------------------------------------------------------- import


def test_an_excel_file_imports_every_row(session_factory):
    ws, alice = add_member(session_factory, "T1", "U1")
    data = ("\ufeffNom;Statut;Segment;Responsable;Visites par an;Ville;Code postal\r\n"
            "Gamma Industries;client;or;U1;8;Lyon;69001\r\n"
            "Délta SA;ancien client;;;;Saint-Étienne;\r\n"
            "\r\n"
            "Epsilon;prospect;bronze;;défaut;;\r\n").encode("cp1252", errors="ignore").replace(b"\xef\xbb\xbf", b"")
    result = _import(session_factory, ws, data)
    assert (result.created, result.updated) == (3, 0)
    assert _accounts(session_factory) == [
        (ws, "Gamma Industries", "client", "gold", alice, 8, "Lyon", "69001"),
        (ws, "Délta SA", "former_client", None, None, None, "Saint-Étienne", None),
        (ws, "Epsilon", "prospect", "bronze", None, None, None, None),
    ]


def test_a_utf8_file_with_a_bom_and_commas_updates_what_it_names(session_factory):
    ws, _ = add_member(session_factory, "T1", "U1")
    with session_factory() as s, s.begin():
        create_account(s, ws, "Gamma", owner_id=None, now=TEST_NOW).city = "Paris"
    data = (HEADER + "GAMMA,client,silver,,,,\nZêta,,,,12,Nîmes,30000\n").encode("utf-8-sig")
    result = _import(session_factory, ws, data)
    assert (result.created, result.updated) == (1, 1)
    assert _accounts(session_factory) == [
        (ws, "Gamma", "client", "silver", None, None, "Paris", None),  # an empty cell leaves the city
        (ws, "Zêta", "prospect", None, None, 12, "Nîmes", "30000"),
    ]


BAD_FILES = [
    (HEADER + "Gamma,bientôt,,,,,\n", 2, "bad_status"),
    (HEADER + "Gamma,,platine,,,,\n", 2, "bad_segment"),
    (HEADER + "Gamma,,,,douze,,\n", 2, "bad_capital"),
    (HEADER + "Gamma,,,,400,,\n", 2, "bad_capital"),
    (HEADER + "Gamma,,,,-3,,\n", 2, "bad_capital"),
    (HEADER + "Gamma,,,UNOBODY,,,\n", 2, "unknown_owner"),
    (HEADER + "Gamma,,,,,,69 001 x?\n", 2, "bad_postcode"),
    (HEADER + "Gamma,,,,,," + "x" * 17 + "\n", 2, "bad_postcode"),
    (HEADER + "Gamma,,,,," + "L" * 121 + ",\n", 2, "city_too_long"),
    (HEADER + "Ok,,,,,,\n,client,,,,,\n", 3, "missing_name"),
    (HEADER + "Ok,,,,,,\n" + "N" * 201 + ",,,,,,\n", 3, "name_too_long"),
    (HEADER + "Ok,,,,,,\n!!!,,,,,,\n", 3, "bad_name"),
    (HEADER + "Gamma,,,,,,\nOk,,,,,,\ngamma,,,,,,\n", 4, "duplicate_name"),
    (HEADER + "Gamma,,,,,,,extra\n", 2, "too_many_cells"),
    ("name,colour\nGamma,red\n", 1, "unknown_column"),
    ("status,city\nclient,Lyon\n", 1, "missing_name_column"),
    ("name,nom\nGamma,Gamma\n", 1, "duplicate_column"),
    (HEADER, 0, "no_rows"),
    ("", 0, "empty_file"),
]


@pytest.mark.parametrize(("text", "line", "code"), BAD_FILES, ids=[f"{c}-{i}" for i, (_t, _l, c) in enumerate(BAD_FILES)])
def test_each_bad_input_is_said_with_its_line_and_nothing_is_imported(session_factory, text, line, code):
    ws, _ = add_member(session_factory, "T1", "U1")
    with session_factory() as s, s.begin():
        create_account(s, ws, "Kept", owner_id=None, now=TEST_NOW)
    before = _accounts(session_factory)
    # A good line first: the file is refused whole, not up to its bad line.
    data = (text if code == "no_rows" else text.replace(HEADER, HEADER + "Fresh,client,,,,,\n", 1)).encode()
    with pytest.raises(AccountImportError) as raised:
        _import(session_factory, ws, data)
    shift = 1 if text.startswith(HEADER) and line > 1 and code != "no_rows" else 0
    assert [(p.line, p.code) for p in raised.value.problems][:1] == [(line + shift, code)]
    assert _accounts(session_factory) == before


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_refused(session_factory):
    ws, _ = add_member(session_factory, "T1", "U1")
    with pytest.raises(AccountImportError) as raised:
        _import(session_factory, ws, HEADER.encode() + b"Gamma\x81\x8d,,,,,,\n\xff\xfe")
    assert [(p.line, p.code) for p in raised.value.problems] == [(0, "bad_encoding")]
    assert _accounts(session_factory) == []


def test_every_problem_of_a_file_is_said_at_once():
    rows, problems = read_rows((HEADER + "A,x,,,,,\nB,,y,,,,\nC,,,,z,,\n").encode())
    assert [(p.line, p.code) for p in problems] == [(2, "bad_status"), (3, "bad_segment"), (4, "bad_capital")]


# --------------------------------------------------------------------------- merge


def _seed_pair(session_factory, team: str, user: str) -> tuple[int, int, int, int]:
    """Two accounts (Gama, Gamma) of ``team`` with actions, contacts (one name in both), deals and plans."""
    ws, member = add_member(session_factory, team, user)
    with session_factory() as s, s.begin():
        source = create_account(s, ws, f"Gama {team}", owner_id=member, now=TEST_NOW)
        target = create_account(s, ws, f"Gamma {team}", owner_id=None, now=TEST_NOW)
        source.city, source.segment = "Lyon", "gold"
        s.flush()
        contacts = {}
        for account, name in ((source, "Mme Roux"), (source, "M. Blanc"), (target, "mme roux")):
            contact = Contact(workspace_id=ws, account_id=account.id, name=name, name_key=name.lower(), created_at=TEST_NOW)
            s.add(contact)
            s.flush()
            contacts[(account.id, name)] = contact.id
        for i, (account, contact) in enumerate(((source, contacts[(source.id, "Mme Roux")]), (source, None),
                                                 (target, contacts[(target.id, "mme roux")]))):
            s.add(Action(workspace_id=ws, member_id=member, account_id=account.id, contact_id=contact, action_type="visit",
                         channel="in_person", occurred_on=date(2026, 11, 10 + i), logged_at=TEST_NOW, source="console"))
        for account in (source, target):
            s.add(Opportunity(workspace_id=ws, member_id=member, account_id=account.id, title="Deal", amount=Decimal(1000),
                              probability=40, stage="proposal", created_at=TEST_NOW, updated_at=TEST_NOW))
            for source_kind, days in (("auto_relance", 3), ("segment", 30), ("manual", 5)):
                s.add(Plan(workspace_id=ws, member_id=member, account_id=account.id, action_type="visit",
                           due_at=TEST_NOW + timedelta(days=days + (account is source)), source=source_kind,
                           created_at=TEST_NOW, updated_at=TEST_NOW))
        return ws, member, source.id, target.id


def _by_account(session_factory, model) -> dict[int, int]:
    with session_factory() as s:
        return dict(s.execute(select(model.account_id, func.count()).group_by(model.account_id)).all())


def test_merge_moves_every_row_once_and_touches_no_other_workspace(session_factory):
    ws, member, source_id, target_id = _seed_pair(session_factory, "T1", "U1")
    _o_ws, _o_member, other_source, other_target = _seed_pair(session_factory, "T2", "U9")
    before = {name: _by_account(session_factory, model) for name, model in
              (("action", Action), ("opportunity", Opportunity), ("plan", Plan), ("contact", Contact))}
    with session_factory() as s, s.begin():
        result = merge_accounts(s, s.get(Account, source_id), s.get(Account, target_id), now=TEST_NOW)
    assert result.contacts_joined == 1 and result.plans_cancelled == 2
    after = {name: _by_account(session_factory, model) for name, model in
             (("action", Action), ("opportunity", Opportunity), ("plan", Plan), ("contact", Contact))}
    for name in ("action", "opportunity", "plan"):
        assert after[name][target_id] == before[name][source_id] + before[name][target_id]  # none lost, none doubled
        assert source_id not in after[name]
    assert after["contact"][target_id] == 2  # Mme Roux once, M. Blanc
    for name in after:  # the other workspace's accounts are as they were
        assert (after[name].get(other_source), after[name].get(other_target)) == (before[name][other_source], before[name][other_target])
    with session_factory() as s:
        assert s.get(Account, source_id) is None
        target = s.get(Account, target_id)
        assert (target.city, target.segment, target.owner_id) == ("Lyon", "gold", member)  # filled from the merged one
        roux = s.scalar(select(Contact.id).where(Contact.account_id == target_id, Contact.name_key == "mme roux"))
        assert s.scalar(select(func.count()).select_from(Action).where(Action.contact_id == roux)) == 2
        open_auto = s.execute(select(Plan.source, func.count()).where(Plan.account_id == target_id, Plan.status == "planned",
                                                                     Plan.source != "manual").group_by(Plan.source)).all()
        assert sorted(open_auto) == [("auto_relance", 1), ("segment", 1)]
        kept_relance = s.scalar(select(Plan.due_at).where(Plan.account_id == target_id, Plan.status == "planned",
                                                          Plan.source == "auto_relance"))
        assert kept_relance == TEST_NOW + timedelta(days=3)  # the one due first


def test_merge_refuses_the_same_account_and_another_workspaces(session_factory):
    _ws, _m, source_id, target_id = _seed_pair(session_factory, "T1", "U1")
    _ws2, _m2, other_source, _other_target = _seed_pair(session_factory, "T2", "U9")
    with session_factory() as s, s.begin():
        for a, b, code in ((source_id, source_id, "same_account"), (source_id, other_source, "other_workspace")):
            with pytest.raises(MergeError) as raised:
                merge_accounts(s, s.get(Account, a), s.get(Account, b), now=TEST_NOW)
            assert raised.value.code == code
    assert _by_account(session_factory, Action)[source_id] == 2


def test_the_merge_moves_every_table_that_points_at_an_account():
    pointing = {
        table.name
        for table in Base.metadata.sorted_tables
        for column in table.columns
        for fk in column.foreign_keys
        if fk.column.table.name == "account"
    }
    assert pointing == set(MOVED)


# --------------------------------------------------------------------------- capital used


def test_capital_use_counts_this_years_visits_by_the_one_capital_definition(session_factory):
    ws, member = add_member(session_factory, "T1", "U1")
    today = TEST_NOW.date()
    with session_factory() as s, s.begin():
        account = create_account(s, ws, "Gamma", owner_id=member, now=TEST_NOW)
        account.segment, account.status = "silver", "client"  # a prospect has no capital of its own
        s.flush()
        for day, channel in ((today, "in_person"), (date(2025, 11, 24), "in_person"), (date(2025, 11, 23), "in_person"),
                             (today - timedelta(days=2), "phone")):
            s.add(Action(workspace_id=ws, member_id=member, account_id=account.id, action_type="visit", channel=channel,
                         occurred_on=day, logged_at=TEST_NOW, source="console"))
        s.flush()
        use = capital_use(s, account, TEST_NOW)
        # this calendar year's visits (the action's type, whatever the channel), as the capital counts them
        assert (use.used, use.capital, use.own) == (2, 6, False)
        assert round(use.due, 2) == round(6 * 327 / 365, 2)  # pro rata of the days elapsed on 23 November
        account.visits_per_year = 9
        assert (capital_use(s, account, TEST_NOW).capital, capital_use(s, account, TEST_NOW).own) == (9, True)
        account.segment, account.visits_per_year = None, None
        assert capital_use(s, account, TEST_NOW).capital is None
