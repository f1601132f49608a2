"""N+1: rights follow the whole reporting line (``Member.manager_id`` followed up), cycle-safe,
never across workspaces."""

from __future__ import annotations

from sqlalchemy import update

from bot.jobs.scheduler import managers_with_teams
from bot.services.team import below, can_view, team_of
from storage.models import Member, Workspace
from tests.reports.test_digest import LONG_AGO, Builder, Seeded


def seed(session_factory) -> Seeded:
    """Diane (director) ← Nadia (manager) ← Alice, Bruno; Diane ← Marc (manager) ← Xavier; Rita is a
    rep of Diane's own; Olga manages Oscar in another workspace."""
    seeded = Seeded()
    with session_factory() as s, s.begin():
        for team_id in ("T1", "T2"):
            ws = Workspace(team_id=team_id, name=team_id, settings={}, created_at=LONG_AGO)
            s.add(ws)
            s.flush()
            seeded.ids[team_id] = ws.id
        seeded.ws = seeded.ids["T1"]
        b = Builder(s, seeded)
        b.member("Diane", role="manager")
        b.member("Nadia", role="manager", manager="Diane")
        b.member("Marc", role="manager", manager="Diane")
        b.member("Alice", manager="Nadia")
        b.member("Bruno", manager="Nadia")
        b.member("Xavier", manager="Marc")
        b.member("Rita", manager="Diane")
        seeded.ws = seeded.ids["T2"]
        b.member("Olga", role="manager")
        b.member("Oscar", manager="Olga")
    return seeded


def test_a_manager_of_managers_sees_everyone_below_and_nobody_else_does(session_factory):
    seeded = seed(session_factory)
    with session_factory() as s:
        m = {name: s.get(Member, seeded[name]) for name in ("Diane", "Nadia", "Marc", "Alice", "Bruno", "Xavier", "Rita", "Olga", "Oscar")}
        assert all(can_view(m["Diane"], m[n]) for n in ("Nadia", "Marc", "Alice", "Bruno", "Xavier", "Rita"))
        assert can_view(m["Nadia"], m["Bruno"]) and not can_view(m["Nadia"], m["Xavier"])  # a peer's rep
        assert not can_view(m["Nadia"], m["Diane"]) and not can_view(m["Nadia"], m["Rita"])  # above, beside
        assert not can_view(m["Alice"], m["Bruno"]) and can_view(m["Alice"], m["Alice"])  # a rep: themself only
        assert not can_view(m["Diane"], m["Oscar"]) and not can_view(m["Olga"], m["Alice"])  # another workspace
        names = lambda who: [x.display_name for x in team_of(s, m[who])]  # noqa: E731
        assert names("Diane") == ["Alice", "Bruno", "Marc", "Nadia", "Rita", "Xavier"]
        assert names("Nadia") == ["Alice", "Bruno"] and names("Alice") == []
        teams = {manager.display_name: [x.display_name for x in team] for manager, team in managers_with_teams(s, seeded["T1"])}
        assert teams == {"Diane": names("Diane"), "Nadia": ["Alice", "Bruno"], "Marc": ["Xavier"]}


def test_cycles_in_the_manager_links_do_not_loop(session_factory):
    seeded = seed(session_factory)
    with session_factory() as s, s.begin():  # Diane now reports to Alice: Diane → Nadia → Alice → Diane
        s.execute(update(Member).where(Member.id == seeded["Diane"]).values(manager_id=seeded["Alice"]))
        s.execute(update(Member).where(Member.id == seeded["Olga"]).values(manager_id=seeded["Olga"]))  # herself
    with session_factory() as s:
        m = {name: s.get(Member, seeded[name]) for name in ("Diane", "Nadia", "Marc", "Alice", "Xavier", "Olga", "Oscar")}
        assert can_view(m["Nadia"], m["Diane"])  # Diane is below Alice, who is below Nadia
        assert not can_view(m["Marc"], m["Alice"])  # the walk up from Alice goes round and stops
        assert can_view(m["Olga"], m["Oscar"]) and not can_view(m["Marc"], m["Olga"])
        assert below(s, seeded["T1"], [seeded["Nadia"]])[seeded["Nadia"]] == {
            seeded[n] for n in ("Alice", "Bruno", "Diane", "Marc", "Xavier", "Rita")}  # never Nadia herself
        assert [x.display_name for x in team_of(s, m["Olga"])] == ["Oscar"]
        teams = {manager.display_name: len(team) for manager, team in managers_with_teams(s, seeded["T1"])}
        assert teams == {"Diane": 6, "Nadia": 6, "Marc": 1}


def test_the_digest_of_a_manager_of_managers_counts_everyone_below_and_rolls_up_per_team(session_factory):
    from datetime import date

    from bot.dialogs.context import Context
    from bot.present.reports import digest_reply
    from bot.reports.coaching import weekly_digest
    from bot.services import workspace_settings
    from tests.reports.test_digest import NOW, lines

    seeded = seed(session_factory)
    with session_factory() as s, s.begin():
        seeded.ws = seeded.ids["T1"]
        b = Builder(s, seeded)
        b.account("Acme", "Alice")
        b.account("Kappa", "Xavier")
        b.action("Alice", "Acme", "visit", date(2026, 11, 23))
        b.action("Alice", "Acme", "call", date(2026, 11, 24))
        b.action("Xavier", "Kappa", "visit", date(2026, 11, 25))
        b.action("Rita", "Kappa", "call", date(2026, 11, 25))
        b.deal("Xavier", "Kappa", "Gros contrat", "7000", [(LONG_AGO, "proposal", 40), (NOW.replace(day=26), "won", 100)])
    with session_factory() as s:
        diane = s.get(Member, seeded["Diane"])
        workspace = s.get(Workspace, seeded["T1"])
        digest = weekly_digest(s, diane, team_of(s, diane), now=NOW, settings=workspace_settings.load(workspace))
        ctx = Context(session=s, workspace=workspace, member=diane, now=NOW)
        shown = lines(digest_reply(ctx, digest))
    assert (len(digest.reps), digest.actions, digest.visits) == (6, 4, 2)
    assert [(t.manager, t.people, t.actions, t.visits, t.won) for t in digest.teams] == [
        ("Marc", 1, 1, 1, 7000), ("Nadia", 2, 2, 1, 0)]
    assert "*Par équipe*" in shown
    assert "• Équipe de *Marc* (1 personne) — actions : 1, visites : 1, gagné : 7\u202f000\u00a0€, pipeline pondéré : 0\u00a0€" in shown
    with session_factory() as s:  # a plain team has no roll-up
        nadia = s.get(Member, seeded["Nadia"])
        assert weekly_digest(s, nadia, team_of(s, nadia), now=NOW, settings=workspace_settings.load(s.get(Workspace, seeded["T1"]))).teams == []
