"""Every reply kind at scale renders within Slack's limits and drops nothing silently: what a
message cannot show is counted ("… and N more") and is in the full copy sent as a file.

One SQLite database, seeded once for the module with the demo (``seed_demo``) plus the sizes of
issue 11: a manager with 1,000 reps, another with 50, a rep with 100 open deals and a rep with
100 plans; the replies are built by the real dialogs."""

from __future__ import annotations

import base64
import random
from datetime import timedelta
from decimal import Decimal
from typing import Iterator

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.core import Reply, Text
from bot.demo import DEMO_ADMIN_ID, DEMO_MANAGER_ID, seed_demo
from bot.dialogs import home as home_dialog
from bot.dialogs import log as log_dialog
from bot.dialogs import opp as opp_dialog
from bot.dialogs import pipeline as pipeline_dialog
from bot.dialogs import plan as plan_dialog
from bot.dialogs import team as team_dialog
from bot.dialogs.context import Context
from bot.present import reports as present
from bot.present.agenda import agenda
from bot.render.blocks import MAX_SECTION_TEXT, render_text, reply_blocks
from bot.reports.coaching import weekly_digest
from bot.services import workspace_settings
from bot.services.accounts import create_account
from bot.services.plans import create_plan
from bot.services.team import team_of
from storage.db import make_session_factory
from storage.models import Account, Member, Opportunity, OpportunityStageChange, Workspace
from tests.support.fixtures import TEST_NOW
from tests.render.payloads import check_message, more_counts, section_texts
from tests.storage.migrated import migrated_engine

MANAGER_50 = "UMGR0050"
DEALS_REP = "UDEMO01"  # gets 100 more open deals
PLANS_REP = "UDEMO02"  # gets 100 plans this week
LONG_ACCOUNT = ("Établissements Dupont & Fils — " + "Maintenance industrielle " * 6)[:120].strip()  # /log's longest


def _deal(workspace_id: int, member_id: int, account_id: int, rng: random.Random, *, won: bool = False) -> dict:
    amount = Decimal(rng.choice([2, 5, 8, 12, 20, 45]) * 1000 + rng.randint(0, 9) * 100)
    closed = TEST_NOW - timedelta(days=rng.randint(1, 6))  # last week, for the digest's wins
    created = TEST_NOW - timedelta(days=rng.randint(20, 90))
    return dict(
        workspace_id=workspace_id, member_id=member_id, account_id=account_id,
        title=rng.choice(["Contrat maintenance", "Audit énergie", "Pilote & extension"]), amount=amount, currency="EUR",
        probability=100 if won else rng.choice([20, 40, 60]), stage="won" if won else rng.choice(["qualification", "proposal", "negotiation"]),
        status="won" if won else "open", expected_close_on=None if won else (TEST_NOW + timedelta(days=rng.randint(-5, 60))).date(),
        next_step_on=None, next_step=None, close_reason=None, created_at=created, updated_at=closed if won else created,
        closed_at=closed if won else None,
    )


def _seed(session: Session) -> None:
    rng = random.Random(11)
    workspace = seed_demo(session, now=TEST_NOW, size="small")
    ws = workspace.id
    manager = session.scalar(select(Member).where(Member.workspace_id == ws, Member.slack_user_id == DEMO_MANAGER_ID))
    session.add(Member(workspace_id=ws, slack_user_id=MANAGER_50, display_name="Manon Cinquante", role="manager",
                       locale="en", tz="Europe/Paris", period="month", created_at=TEST_NOW))
    session.flush()
    manager_50 = session.scalar(select(Member.id).where(Member.workspace_id == ws, Member.slack_user_id == MANAGER_50))
    # The demo's 5 reps + 995 more under the demo manager (1,000), and 50 under another one.
    rows = [
        dict(workspace_id=ws, slack_user_id=f"UREP{i:05d}", display_name=f"Représentant·e {i:04d} & associés",
             role="rep", manager_id=manager.id if i < 1000 else manager_50, locale="fr", tz="Europe/Paris",
             period="month", created_at=TEST_NOW)
        for i in range(5, 1050)
    ]
    session.execute(insert(Member), rows)
    reps = session.execute(select(Member.id, Member.slack_user_id).where(Member.workspace_id == ws, Member.role == "rep")).all()
    accounts = list(session.scalars(select(Account.id).where(Account.workspace_id == ws)))
    deals = [_deal(ws, rep.id, rng.choice(accounts), rng) for rep in reps]
    deals += [_deal(ws, rep.id, rng.choice(accounts), rng, won=True) for rep in reps[::3]]
    deals_rep = next(r.id for r in reps if r.slack_user_id == DEALS_REP)
    deals += [_deal(ws, deals_rep, rng.choice(accounts), rng) for _ in range(100)]
    session.execute(insert(Opportunity), deals)
    history = session.execute(
        select(Opportunity.id, Opportunity.member_id, Opportunity.stage, Opportunity.probability, Opportunity.amount,
               Opportunity.updated_at).where(Opportunity.workspace_id == ws, Opportunity.created_at > TEST_NOW - timedelta(days=91))
    ).all()
    session.execute(insert(OpportunityStageChange), [
        dict(workspace_id=ws, opportunity_id=h.id, member_id=h.member_id, from_stage=None, to_stage=h.stage,
             probability=h.probability, amount=h.amount, changed_at=h.updated_at)
        for h in history
    ])
    # 100 plans this week for one rep, through the service.
    planner = session.scalar(select(Member).where(Member.workspace_id == ws, Member.slack_user_id == PLANS_REP))
    account_rows = list(session.scalars(select(Account).where(Account.workspace_id == ws).order_by(Account.id)))
    for i in range(100):
        create_plan(session, planner, account_rows[i % len(account_rows)], action_type=rng.choice(["visit", "call"]),
                    due_at=TEST_NOW + timedelta(hours=1 + i), has_time=True, now=TEST_NOW,
                    note="Apporter le devis & la <fiche> produit" if i % 4 == 0 else None)
    create_account(session, ws, LONG_ACCOUNT, owner_id=None, now=TEST_NOW)


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    engine = migrated_engine(f"sqlite:///{tmp_path_factory.mktemp('render') / 'carnet.db'}")
    session_factory = make_session_factory(engine)
    with session_factory() as session, session.begin():
        _seed(session)
    yield session_factory
    engine.dispose()


@pytest.fixture
def as_member(factory) -> Iterator:
    """``as_member(user_id)`` → a Context in an open session (rolled back afterwards)."""
    session = factory()

    def context(user_id: str) -> Context:
        workspace = session.scalar(select(Workspace))
        member = session.scalar(select(Member).where(Member.workspace_id == workspace.id, Member.slack_user_id == user_id))
        # ``later``: the reply as built after the ack (a team of more than 50 first answers "preparing…").
        return Context(session=session, workspace=workspace, member=member, now=TEST_NOW, later=True)

    try:
        yield context
    finally:
        session.rollback()
        session.close()


def first_shown(found: dict, reply: Reply, count: int) -> list[str]:
    texts = section_texts(found["blocks"])
    return [render_text(reply.locale, line) for line in reply.lines[:count] if any(render_text(reply.locale, line) in t for t in texts)]


# --------------------------------------------------------------------------- per reply kind


def test_pipeline_team_of_1000_reps(as_member):
    ctx = as_member(DEMO_MANAGER_ID)
    reply = pipeline_dialog.on_command(ctx, "team")
    reps = [line for line in reply.lines if line.key == "pipeline.rep_line"]
    assert len(reps) == 1000
    found = check_message(reply)
    # The title, the stages and the totals come first and all of them are shown; the rep list is
    # shortened and says by how many.
    head = [line for line in reply.lines if line.group is None]
    assert len(first_shown(found, reply, len(reply.lines))) >= len(head)
    assert all(render_text(ctx.locale, line) not in found["missing"] for line in head)
    assert 0 < found["said"]["lines"] < 1000
    assert len(found["copy"]) >= len(reply.lines)


def test_weekly_digest_of_50_reps_keeps_its_wins_and_risks(as_member):
    ctx = as_member(MANAGER_50)
    manager = ctx.member
    digest = weekly_digest(ctx.session, manager, team_of(ctx.session, manager), now=TEST_NOW,
                           settings=workspace_settings.load(ctx.workspace))
    reply = present.digest_reply(ctx, digest)
    assert len(digest.reps) == 50 and digest.won_deals
    found = check_message(reply)
    texts = "\n".join(section_texts(found["blocks"]))
    assert "digest.wins_title" in reply.keys and render_text(ctx.locale, Text("digest.wins_title")) in texts
    wins = [render_text(ctx.locale, line) for line in reply.lines if line.key == "digest.win_line"]
    assert wins and wins[0] in texts  # the biggest win at least: the 50-rep digest used to lose them all
    risks = [render_text(ctx.locale, line) for line in reply.lines if line.group == "risks"]
    assert not risks or risks[0] in texts


def test_weekly_digest_of_1000_reps(as_member):
    ctx = as_member(DEMO_MANAGER_ID)
    manager = ctx.member
    digest = weekly_digest(ctx.session, manager, team_of(ctx.session, manager), now=TEST_NOW,
                           settings=workspace_settings.load(ctx.workspace))
    reply = present.digest_reply(ctx, digest)
    assert len(digest.reps) == 1000 and len(digest.won_deals) > 300
    found = check_message(reply)
    texts = "\n".join(section_texts(found["blocks"]))
    for key in ("digest.title", "digest.flash", "digest.changes", "digest.reps_title", "digest.wins_title"):
        [line] = [line for line in reply.lines if line.key == key]
        assert render_text(ctx.locale, line) in texts, key
    # Every list kept some of its lines, each shortened list says how many are left out.
    for group in ("reps", "wins"):
        assert any(render_text(ctx.locale, line) in texts for line in reply.lines if line.group == group), group
    assert found["said"]["lines"] == len(found["missing"]) > 0


def test_carnet_team_of_1000_members(as_member):
    ctx = as_member(DEMO_ADMIN_ID)
    reply = team_dialog.on_team(ctx, [])
    assert sum(1 for line in reply.lines if line.key == "team.line") >= 1000
    found = check_message(reply)
    texts = "\n".join(section_texts(found["blocks"]))
    assert render_text(ctx.locale, Text("team.usage")) in texts  # the last, ordinary line is kept


def test_opp_list_of_100_deals(as_member):
    ctx = as_member(DEALS_REP)
    reply = opp_dialog.on_command(ctx, "")
    deals = [line for line in reply.lines if line.key == "opp.list_line"]
    assert len(deals) > 100  # every open deal, no longer the first 25 unsaid
    assert reply.lines[0].values["count"] == len(deals)
    found = check_message(reply)
    assert found["said"]["lines"] + sum(1 for d in deals if render_text(ctx.locale, d) not in found["missing"]) == len(deals)


def test_plan_week_with_100_plans(as_member):
    ctx = as_member(PLANS_REP)
    reply = plan_dialog.on_plan(ctx, "")
    assert len(reply.items) >= 100
    found = check_message(reply)
    assert found["said"]["items"] > 0  # 2 blocks an item: about 23 fit in 50 blocks


def test_agenda_with_100_items_today_first_then_missed(as_member):
    ctx = as_member(PLANS_REP)
    from storage.queries.plans import plans_between

    plans = plans_between(ctx.session, ctx.member, TEST_NOW, TEST_NOW + timedelta(days=7))
    reply = agenda(ctx, plans[:60], plans[60:100])
    assert len(reply.items) == 100
    found = check_message(reply)
    assert 0 < found["said"]["items"] < 100
    assert reply.items[-1].text.key == "plan.item_missed"


def test_app_home_with_100_deals(as_member):
    ctx = as_member(DEALS_REP)
    reply = home_dialog.on_command(ctx)
    check_message(reply, view=True)


def test_log_confirmation_with_a_1000_char_note_and_a_long_account_name(as_member):
    ctx = as_member(DEALS_REP)
    note = ("Rencontre avec l'acheteur & le DAF <Mme Durand> : *budget validé* pour 2027, "
            "relancer _après_ le comité :tada: ") * 12
    note = note[:1000]
    reply = log_dialog.on_command(ctx, f'visite "{LONG_ACCOUNT}" proposition -- {note}')
    assert reply.ok, reply.keys
    found = check_message(reply)
    fields = [f["text"] for b in found["blocks"] for f in b.get("fields", ())]
    everything = "\n".join(section_texts(found["blocks"]) + fields)
    assert "Établissements Dupont &amp; Fils" in everything


def test_a_line_longer_than_a_section_is_split_at_a_word_outside_entities():
    words = ["*Gamma* &amp; <@U1> a dit", "<https://example.com/x|le devis>", ":tada:", "bravo"]
    line = " ".join(words[i % len(words)] for i in range(900))
    from bot.render.blocks import pack

    pieces = pack([line])
    assert all(len(p) <= MAX_SECTION_TEXT for p in pieces) and len(pieces) > 1
    assert "".join(p.replace(" ", "") for p in pieces) == line.replace(" ", "")
    for piece in pieces:
        assert piece.count("<") == piece.count(">")
        assert not piece.rstrip("…").endswith("&")


def test_markers_read_in_both_languages_with_real_plurals():
    fr = [render_text("fr", Text("render.more_lines", {"count": n})) for n in (1, 12, 1000)]
    en = [render_text("en", Text("render.more_lines", {"count": n})) for n in (1, 12, 1000)]
    assert fr == ["_… et 1 autre ligne_", "_… et 12 autres lignes_", "_… et 1\u202f000 autres lignes_"]
    assert en == ["_… and 1 more line_", "_… and 12 more lines_", "_… and 1,000 more lines_"]
    assert more_counts(fr + en) == {"lines": 2026}
