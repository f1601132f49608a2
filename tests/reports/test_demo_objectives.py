"""The demo seeds recurring objectives for every rep and the team, and a few weeks of plans, so a
newcomer's first digest shows real figures: every rep's line has an attainment and visits planned."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.demo import seed_demo
from bot.reports.coaching import weekly_digest
from bot.reports.goals import goals_progress
from bot.services import workspace_settings
from bot.services.team import team_of
from storage.models import Member, Plan

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)  # a Monday, the first of a new year: objectives must live on


def test_the_demos_first_digest_shows_every_objective(session_factory):
    with session_factory() as s, s.begin():
        workspace = seed_demo(s, now=NOW)
    with session_factory() as s:
        settings = workspace_settings.load(workspace)
        manager = s.scalar(select(Member).where(Member.workspace_id == workspace.id, Member.role == "manager"))
        reps = team_of(s, manager)
        progress = goals_progress(s, reps, now=NOW, settings=settings)
        assert len(reps) == 5
        for rep in reps:
            assert list(progress[rep.id].individual) == ["revenue", "visits", "new_opportunities", "won_deals"], rep.display_name
            assert list(progress[rep.id].collective) == ["revenue", "visits", "new_opportunities", "won_deals"]
            assert progress[rep.id].composite is not None
        digest = weekly_digest(s, manager, reps, now=NOW, settings=settings)
        assert all(rep.attainment is not None for rep in digest.reps)
        assert sum(rep.planned_visits for rep in digest.reps) > 0  # last week's plans
        future = s.scalar(select(func.count()).select_from(Plan).where(Plan.status == "planned", Plan.due_at > NOW))
        assert future > 0
