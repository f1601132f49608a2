"""Moving or ending a plan: "Tomorrow" never pulls an item earlier, and reminders queued for the old
time are dropped, not sent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.jobs.scheduler import run_due
from storage.models import OutboxMessage, Plan
from tests.support.fixtures import click, say


def only_plan(runtime) -> Plan:
    with runtime.session_factory() as session:
        return session.scalars(select(Plan)).one()


def test_tomorrow_on_a_future_item_moves_it_to_the_day_after_its_own_day(runtime):
    # Monday 23 Nov 2026, 10:00 in Paris; the visit is on Thursday.
    reply = say(runtime.conversation, '/plan visite "Beta SA" jeudi 10h')
    click(runtime.conversation, next(c.value for c in reply.all_choices if c.value.startswith("plan.create_account")))  # a new account
    plan = only_plan(runtime)
    assert plan.due_at == datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    click(runtime.conversation, f"plan.snooze_tomorrow:{plan.id}")
    assert only_plan(runtime).due_at == datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)  # Friday, not Tuesday


def test_a_reminder_queued_for_the_old_time_is_dropped_when_the_visit_moves_or_is_cancelled(runtime):
    reply = say(runtime.conversation, '/plan visite "Beta SA" aujourd\'hui 11h')
    click(runtime.conversation, next(c.value for c in reply.all_choices if c.value.startswith("plan.create_account")))  # a new account
    plan = only_plan(runtime)
    assert plan.due_at == datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    run_due(runtime.session_factory, runtime.clock.now())  # 09:00Z: 60 minutes before → reminder queued
    with runtime.session_factory() as session:
        [reminder] = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("reminder:%"))).all()
        assert reminder.status == "pending"
    click(runtime.conversation, f"plan.snooze_hour:{plan.id}")
    with runtime.session_factory() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("reminder:%"))).all()
        assert [r.status for r in rows] == ["dropped"]
    runtime.clock.advance(timedelta(minutes=1))
    run_due(runtime.session_factory, runtime.clock.now())  # 11:00 local is now 12:00: too early for a new one
    click(runtime.conversation, f"plan.cancel:{plan.id}")
    with runtime.session_factory() as session:
        statuses = [r.status for r in session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("reminder:%")))]
    assert statuses == ["dropped"]
    assert only_plan(runtime).status == "cancelled"
