"""Run in a child process (multiprocessing 'spawn') by test_delivery_processes: one Carnet delivery worker."""

from __future__ import annotations

from typing import Any


def drain_in_process(database_url: str, api_url: str, worker_id: str, start: Any, results: Any, now_iso: str) -> None:
    """Build a worker from scratch (own engine, own HTTP client), wait for the others, drain the outbox."""
    from datetime import datetime

    from slack_sdk import WebClient

    from bot.clock import FixedClock
    from bot.jobs.delivery import OutboxDelivery
    from storage.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    try:
        delivery = OutboxDelivery(
            make_session_factory(engine),
            WebClient(token="xoxb-test-token", base_url=api_url, timeout=10),
            FixedClock(datetime.fromisoformat(now_iso)),
            worker_id=worker_id,
        )
        start.wait(60)
        report = delivery.drain(max_rounds=1000)
        results.put((worker_id, report.sent, report.retried, report.failed, report.dropped, report.errors[:5]))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put((worker_id, "error", repr(exc)))
        raise
    finally:
        engine.dispose()


def deliver_until_killed(database_url: str, api_url: str, worker_id: str) -> None:
    """A delivery worker on the real clock that drains until its process is killed (SIGKILL)."""
    import time

    from slack_sdk import WebClient

    from bot.clock import SystemClock
    from bot.jobs.delivery import OutboxDelivery
    from storage.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    delivery = OutboxDelivery(
        make_session_factory(engine), WebClient(token="xoxb-test-token", base_url=api_url, timeout=300),
        SystemClock(), worker_id=worker_id,
    )
    while True:
        delivery.drain()
        time.sleep(0.05)
