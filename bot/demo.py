"""A realistic demo team: a manager, reps, accounts with segments, contacts, a year of actions,
deals, recurring objectives (every rep's and the team's) and a few weeks of plans.

Used by ``carnet demo`` so a newcomer sees a living notebook in the console, and by the
benchmarks to seed large databases quickly (bulk inserts, one transaction).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from bot.grammar.normalize import fold
from bot.services.actions import CHANNEL_OF_TYPE
from bot.services.periods import period_bounds
from storage.models import (
    Account, Action, Contact, Member, Objective, Opportunity, OpportunityStageChange, Plan, Workspace,
)

LOCAL_TEAM_ID = "TLOCAL"  # the workspace the console and the demo share by default
DEMO_MANAGER_ID = "UDEMOMGR"

_REPS = [
    ("UDEMO01", "Camille Martin", "fr", "Europe/Paris"),
    ("UDEMO02", "Lucas Bernard", "fr", "Europe/Paris"),
    ("UDEMO03", "Emma Dubois", "fr", "Europe/Paris"),
    ("UDEMO04", "Jordan Smith", "en", "America/New_York"),
    ("UDEMO05", "Léa Petit", "fr", "Europe/Paris"),
]
_PREFIXES = ["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Atlas", "Boréal", "Cobalt", "Dune", "Élan", "Fjord",
             "Granit", "Hélios", "Iris", "Jade", "Kappa", "Lumen", "Mistral", "Nova", "Orion", "Pégase", "Quartz",
             "Rivage", "Sirius", "Titan", "Ulysse", "Vega", "Wagram", "Xénon", "Zéphyr"]
_SUFFIXES = ["Industries", "SA", "Logistique", "Santé", "Énergie", "Distribution", "Bâtiment", "Conseil",
             "Agro", "Médical", "Transports", "Services", "Automation", "Pharma", "Textile"]
_CONTACTS = ["Mme Durand", "M. Lefèvre", "Sophie Moreau", "Paul Girard", "Julie Roux", "Marc Fontaine",
             "Claire Blanc", "Hugo Garnier", "Inès Faure", "Thomas Chevalier"]
_FUNCTIONS = ["buyer", "director", "engineer", "technician", "assistant", "owner"]
_TYPES = ["visit", "visit", "visit", "call", "call", "email", "meeting", "video", "demo", "negotiation", "follow_up"]
_RESULTS = [None, None, "proposal", "no_need", "revise_proposal", "meeting_booked", "order", "won", "lost", "to_follow_up"]
_NOTES = [None, None, None, "Intéressé par l'offre maintenance", "Budget validé au T2", "Rappeler après le salon",
          "Concurrent moins cher", "Demande une démo sur site", "Décision en comité"]


@dataclass(frozen=True)
class DemoSize:
    reps: int
    accounts: int
    actions: int
    opportunities: int


SIZES = {
    "small": DemoSize(reps=5, accounts=60, actions=3000, opportunities=80),
    "medium": DemoSize(reps=50, accounts=5000, actions=200_000, opportunities=20_000),
    "large": DemoSize(reps=1000, accounts=20_000, actions=1_000_000, opportunities=100_000),
}
_DEAL_TITLES = ["Contrat maintenance", "Renouvellement parc", "Extension licences", "Audit énergie", "Formation équipes",
                "Pièces détachées 2027", "Contrat cadre", "Pilote automatisation", "Migration cloud", "Service premium"]
_OPEN_STAGES = ["lead", "qualification", "proposal", "proposal", "negotiation", "closing"]
_STAGE_PROBABILITY = {"lead": 10, "qualification": 20, "proposal": 40, "negotiation": 60, "closing": 80}
DEMO_ADMIN_ID = "UDEMOADM"


# Where the demo's accounts are (a tour groups them by place); their visit capital is the segment's.
DEMO_PLACES = (("Lyon", "69003"), ("Villeurbanne", "69100"), ("Grenoble", "38000"), ("Annecy", "74000"),
               ("Saint-Étienne", "42000"), ("Vienne", "38200"))


def _account_names(count: int) -> list[str]:
    names = [f"{p} {s}" for s in _SUFFIXES for p in _PREFIXES]
    if count <= len(names):
        return names[:count]
    return names + [f"{names[i % len(names)]} {i // len(names) + 1}" for i in range(len(names), count)]


def seed_demo(
    session: Session, *, now: datetime, team_id: str = LOCAL_TEAM_ID, size: str = "small", seed: int = 7, reset: bool = False
) -> Workspace:
    """Create (or with ``reset``, recreate) the demo workspace ``team_id``; returns it."""
    spec = SIZES[size]
    rng = random.Random(seed)
    existing = session.scalar(select(Workspace).where(Workspace.team_id == team_id))
    if existing is not None:
        if not reset:
            return existing
        session.execute(delete(Workspace).where(Workspace.id == existing.id))
        session.flush()
    workspace = Workspace(team_id=team_id, name="Carnet demo", created_at=now)
    session.add(workspace)
    session.flush()

    manager, rep_ids = _seed_people(session, workspace, spec, rng, now)
    account_rows = []
    for number, name in enumerate(_account_names(spec.accounts)):
        segment = rng.choices(["gold", "silver", "bronze"], weights=[1, 3, 6])[0]
        city, postcode = DEMO_PLACES[number % len(DEMO_PLACES)]  # not drawn: the demo's other draws stay as they were
        account_rows.append(dict(
            workspace_id=workspace.id, name=name, name_key=fold(name),
            status=rng.choices(["client", "prospect", "former_client"], weights=[5, 4, 1])[0], segment=segment,
            owner_id=rng.choice(rep_ids), city=city, postcode=postcode, created_at=now,
        ))
    session.execute(insert(Account), account_rows)
    accounts = session.execute(select(Account.id, Account.owner_id).where(Account.workspace_id == workspace.id)).all()

    contacts = _seed_contacts(session, workspace.id, accounts, rng, now)
    _seed_actions(session, workspace.id, accounts, contacts, spec.actions, rng, now)
    _seed_opportunities(session, workspace.id, accounts, spec.opportunities, rng, now)
    _seed_objectives(session, workspace.id, manager, now)
    _seed_plans(session, workspace.id, accounts, rng, now)
    return workspace


def _seed_people(session: Session, workspace: Workspace, spec: Any, rng: random.Random, now: datetime) -> tuple[Member, list[int]]:
    """The manager, the admin and the reps; returns the manager and the reps' ids."""
    manager = Member(workspace_id=workspace.id, slack_user_id=DEMO_MANAGER_ID, display_name="Nathalie Garnier",
                     role="manager", locale="fr", tz="Europe/Paris", period="quarter", created_at=now)
    admin = Member(workspace_id=workspace.id, slack_user_id=DEMO_ADMIN_ID, display_name="Alex Admin",
                   role="admin", locale="fr", tz="Europe/Paris", period="month", created_at=now)
    session.add_all([manager, admin])
    session.flush()
    people = list(_REPS)
    people += [(f"UREP{i:05d}", f"Rep {i}", "fr", "Europe/Paris") for i in range(len(people), spec.reps)]
    member_rows = [
        dict(workspace_id=workspace.id, slack_user_id=uid, display_name=name, role="rep", manager_id=manager.id,
             locale=locale, tz=tz, period=rng.choice(["month", "month", "quarter", "week"]), created_at=now)
        for uid, name, locale, tz in people[: spec.reps]
    ]
    session.execute(insert(Member), member_rows)
    rep_ids = list(session.scalars(select(Member.id).where(Member.workspace_id == workspace.id, Member.role == "rep")))
    return manager, rep_ids


def _seed_contacts(session: Session, workspace_id: int, accounts: Any, rng: random.Random, now: datetime) -> dict[int, list[tuple[int, str | None]]]:
    """Two contacts per account; returns account id → [(contact id, function)]."""
    contact_rows = [
        dict(workspace_id=workspace_id, account_id=account.id, name=name, name_key=fold(name),
             function=rng.choice(_FUNCTIONS), created_at=now)
        for account in accounts
        for name in rng.sample(_CONTACTS, 2)
    ]
    session.execute(insert(Contact), contact_rows)
    contacts: dict[int, list[tuple[int, str | None]]] = {}
    for cid, aid, function in session.execute(
        select(Contact.id, Contact.account_id, Contact.function).where(Contact.workspace_id == workspace_id)
    ):
        contacts.setdefault(aid, []).append((cid, function))
    return contacts


def _seed_actions(session: Session, workspace_id: int, accounts: Any, contacts: dict, count: int, rng: random.Random,
                  now: datetime) -> None:
    """A year of actions on weekdays, inserted in batches."""
    today = now.date()
    batch: list[dict] = []
    for _ in range(count):
        account = rng.choice(accounts)
        day = today - timedelta(days=rng.randint(0, 364))
        if day.weekday() >= 5:  # reps work on weekdays
            day -= timedelta(days=day.weekday() - 4)
        action_type = rng.choice(_TYPES)
        contact_id, function = rng.choice(contacts[account.id]) if rng.random() < 0.7 else (None, None)
        batch.append(dict(
            workspace_id=workspace_id, member_id=account.owner_id, account_id=account.id, contact_id=contact_id,
            contact_function=function, action_type=action_type, result=rng.choice(_RESULTS),
            channel=CHANNEL_OF_TYPE[action_type], occurred_on=day,
            logged_at=datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo) + timedelta(hours=17),
            note=rng.choice(_NOTES), source="demo",
        ))
        if len(batch) >= 20_000:
            session.execute(insert(Action), batch)
            batch.clear()
    if batch:
        session.execute(insert(Action), batch)


# Monthly targets of a rep (a week's are a quarter of them, a quarter's three times as much).
_MONTHLY_OBJECTIVES = {"revenue": Decimal(40000), "visits": Decimal(30), "new_opportunities": Decimal(5), "won_deals": Decimal(3)}
_PERIOD_SCALE = {"week": Decimal("0.25"), "month": Decimal(1), "quarter": Decimal(3)}


def _seed_objectives(session: Session, workspace_id: int, manager: Member, now: datetime) -> None:
    """Recurring objectives for every rep (all four metrics) and for the manager's team, set two
    periods ago so that this period, the last one and the next ones all have them."""
    reps = session.execute(
        select(Member.id, Member.period).where(Member.workspace_id == workspace_id, Member.role == "rep")
    ).all()

    def row(scope: str, member_id: int | None, team_id: int | None, period: str, metric: str, value: Decimal) -> dict:
        start, end = period_bounds(period, now.date() - timedelta(days=2 * PERIOD_DAYS[period]))
        return dict(workspace_id=workspace_id, scope=scope, member_id=member_id, team_manager_id=team_id, metric=metric,
                    period=period, period_start=start, period_end=end, value=value.quantize(Decimal(1)), recurring=True,
                    created_at=now, updated_at=now)

    rows = [
        row(f"member:{rep_id}", rep_id, None, period, metric, monthly * _PERIOD_SCALE[period])
        for rep_id, period in reps
        for metric, monthly in _MONTHLY_OBJECTIVES.items()
    ]
    # The team's collective objectives: what its reps would make together in the manager's period.
    rows += [
        row(f"team:{manager.id}", None, manager.id, manager.period, metric, monthly * _PERIOD_SCALE[manager.period] * len(reps))
        for metric, monthly in _MONTHLY_OBJECTIVES.items()
    ]
    for start in range(0, len(rows), 10_000):
        session.execute(insert(Objective), rows[start:start + 10_000])


PERIOD_DAYS = {"week": 7, "month": 31, "quarter": 92}


def _seed_plans(session: Session, workspace_id: int, accounts: list, rng: random.Random, now: datetime) -> None:
    """A few weeks of plans per rep: three visits or calls a week over the last three weeks (most
    done, some missed) and the next two (planned), on the rep's own accounts."""
    by_owner: dict[int, list[int]] = {}
    for account in accounts:
        by_owner.setdefault(account.owner_id, []).append(account.id)
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time(), tzinfo=now.tzinfo)
    rows = []
    for owner, owned in by_owner.items():
        for week in range(-3, 2):
            for day in rng.sample(range(5), 3):
                due = monday + timedelta(weeks=week, days=day, hours=rng.choice([9, 10, 14, 16]))
                status = "planned" if due > now else rng.choices(["done", "missed"], weights=[4, 1])[0]
                rows.append(dict(workspace_id=workspace_id, member_id=owner, account_id=rng.choice(owned),
                                 action_type=rng.choice(["visit", "visit", "call"]), due_at=due, has_time=True,
                                 status=status, source="manual", created_at=due - timedelta(days=7),
                                 updated_at=min(due, now)))
    for start in range(0, len(rows), 10_000):
        session.execute(insert(Plan), rows[start:start + 10_000])


def _seed_opportunities(session: Session, workspace_id: int, accounts: list, count: int, rng: random.Random,
                        now: datetime) -> None:
    """Open deals at every stage, plus won and lost ones, each with its first stage-history row."""
    today = now.date()
    rows = []
    for _ in range(count):
        account = rng.choice(accounts)
        status = rng.choices(["open", "won", "lost"], weights=[7, 2, 1])[0]
        stage = rng.choice(_OPEN_STAGES) if status == "open" else status
        created = now - timedelta(days=rng.randint(5, 200))
        updated = created + (now - created) * rng.random()
        amount = Decimal(rng.choice([2, 3, 5, 8, 12, 15, 20, 30, 45, 80]) * 1000 + rng.randint(0, 9) * 100)
        if status == "open":
            probability = max(5, min(95, _STAGE_PROBABILITY[stage] + rng.randint(-10, 15)))
        else:
            probability = 100 if status == "won" else 0
        rows.append(dict(
            workspace_id=workspace_id, member_id=account.owner_id, account_id=account.id,
            title=rng.choice(_DEAL_TITLES), amount=amount, currency="EUR", probability=probability, stage=stage,
            status=status, expected_close_on=today + timedelta(days=rng.randint(-10, 120)) if status == "open" else None,
            next_step_on=None, next_step=None, close_reason="prix" if status == "lost" else None,
            created_at=created, updated_at=updated, closed_at=updated if status != "open" else None,
        ))
    for start in range(0, len(rows), 10_000):
        session.execute(insert(Opportunity), rows[start:start + 10_000])
    history = session.execute(
        select(Opportunity.id, Opportunity.member_id, Opportunity.stage, Opportunity.probability, Opportunity.amount,
               Opportunity.updated_at).where(Opportunity.workspace_id == workspace_id)
    ).all()
    changes = [
        dict(workspace_id=workspace_id, opportunity_id=oid, member_id=mid, from_stage=None, to_stage=stage,
             probability=probability, amount=amount, changed_at=changed_at)
        for oid, mid, stage, probability, amount, changed_at in history
    ]
    for start in range(0, len(changes), 10_000):
        session.execute(insert(OpportunityStageChange), changes[start:start + 10_000])


def demo_summary(session: Session, workspace: Workspace) -> dict[str, int]:
    from sqlalchemy import func

    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model).where(model.workspace_id == workspace.id)) or 0

    return {
        "members": count(Member),
        "accounts": count(Account),
        "contacts": count(Contact),
        "actions": count(Action),
        "opportunities": count(Opportunity),
        "objectives": count(Objective),
        "plans": count(Plan),
    }


