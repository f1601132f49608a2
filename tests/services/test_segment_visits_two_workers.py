"""Two workers ticking at the same minute on one PostgreSQL database plan each key-account visit once.

Outbox messages are safe to decide twice (their keys are unique), but the next visit of a key
account is a plan row created from what the tick reads: without serialising that unit, both
workers read "nothing planned" and both plan one."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from bot.jobs.scheduler import run_due
from bot.services.accounts import create_account
from bot.services.actions import ActionDraft, record_action
from storage.models import Member, Plan
from tests.support.fixtures import TEST_NOW
from tests.services.conftest import add_member

ACCOUNTS = 60
WORKERS = 4


def test_workers_ticking_at_once_plan_each_key_account_visit_once(session_factory, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("several worker processes share a PostgreSQL database; SQLite has one embedded worker")
    ws_id, rep_id = add_member(session_factory, "T1", "U1")
    with session_factory() as s, s.begin():
        rep = s.get(Member, rep_id)
        for n in range(ACCOUNTS):
            account = create_account(s, ws_id, f"Client {n:02d}", owner_id=rep_id, now=TEST_NOW)
            account.segment, account.status = ("gold" if n % 2 else "silver"), "client"
            record_action(s, rep, account, ActionDraft("visit", date(2026, 9, 2)), source="console", now=TEST_NOW)

    start = threading.Barrier(WORKERS)
    planned: list[int] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            start.wait(10)
            planned.append(run_due(session_factory, TEST_NOW).segment_visits)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with session_factory() as s:
        per_account = Counter(s.scalars(select(Plan.account_id).where(Plan.source == "segment", Plan.status == "planned")))
    assert len(per_account) == ACCOUNTS
    assert set(per_account.values()) == {1}, {a: n for a, n in per_account.items() if n > 1}
    assert sorted(planned) == [0] * (WORKERS - 1) + [ACCOUNTS]
