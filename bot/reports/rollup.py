"""N+1: a manager of managers' digest rolls their week up per team (each manager reporting to
them, with everyone below that manager), beside the line per person."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from storage.models import Member


@dataclass(frozen=True)
class TeamRollup:
    """One team below the digest's reader: its manager, how many people, and their week summed."""

    manager: str
    people: int
    actions: int
    visits: int
    won: Decimal
    weighted_pipeline: Decimal
    # Amounts in a currency without a rate (currency → amount): shown apart, never dropped.
    won_aside: dict[str, Decimal] = field(default_factory=dict)
    pipeline_aside: dict[str, Decimal] = field(default_factory=dict)


def team_rollups(manager: Member, team: list[Member], reps: list) -> list[TeamRollup]:
    """The week of each team led by a manager reporting to ``manager``; ``reps``: the digest's
    ``RepWeek`` lines of ``team``. Empty when no manager reports to ``manager`` (a plain team)."""
    heads = {m.id: m for m in team if m.manager_id == manager.id and m.role == "manager"}
    if not heads:
        return []
    above = {m.id: m.manager_id for m in team}
    head_of: dict[int, int] = {}
    for member in team:
        seen, current = set(), above.get(member.id)
        while current is not None and current not in heads and current not in seen:  # cycle-safe
            seen.add(current)
            current = above.get(current)
        if current in heads:
            head_of[member.id] = current
    totals: dict[int, list] = {h: [0, 0, 0, Decimal(0), Decimal(0), {}, {}] for h in heads}
    for rep in reps:
        head = rep.member_id if rep.member_id in heads else head_of.get(rep.member_id)
        if head is None:
            continue
        t = totals[head]
        t[0] += 1 if rep.member_id != head else 0  # the people below the team's manager
        t[1] += rep.actions
        t[2] += rep.visits
        t[3] += rep.won
        t[4] += rep.weighted_pipeline
        for aside, more in ((t[5], getattr(rep, "won_aside", {})), (t[6], getattr(rep, "pipeline_aside", {}))):
            for currency, amount in more.items():
                aside[currency] = aside.get(currency, Decimal(0)) + amount
    return sorted(
        (TeamRollup(heads[h].display_name, *t) for h, t in totals.items()), key=lambda r: r.manager
    )
