"""``carnet worker`` and ``carnet serve [--no-worker]`` as real processes (issue 11 §1).

The worker sends what the outbox holds and stops cleanly on SIGTERM or SIGINT; ``serve`` embeds
one by default; ``serve --no-worker`` answers Slack and leaves the outbox to ``carnet worker``.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.core import Reply, Text
from bot.runtime import build_runtime
from bot.services import outbox
from bot.services.members import get_or_create_workspace
from tests.support.fixtures import BOT_TOKEN, REPO, SIGNING_SECRET, TEST_NOW, carnet_env, make_settings
from tests.handlers.conftest import message_text, rows
from tests.support.slack_requests import SlackClient
from tests.support.served import free_port



def _env(database_url: str, api_url: str) -> dict[str, str]:
    return carnet_env(database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=api_url,
                      CARNET_DEFAULT_TZ="Europe/Paris", CARNET_DEFAULT_LOCALE="fr")


def _carnet(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env, cwd=REPO,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _queue_dm(database_url: str, key: str = "bench:dm") -> None:
    """One pending DM in the outbox, as the scheduler would have queued it."""
    runtime = build_runtime(make_settings(database_url), profiles=False)
    try:
        with runtime.session_factory() as session, session.begin():
            workspace = get_or_create_workspace(session, "T1", now=TEST_NOW)
            reply = Reply(locale="fr", lines=[Text("error.busy")])
            outbox.enqueue(session, workspace_id=workspace.id, dedupe_key=key, kind="reply",
                           payload={"destination": {"type": "dm", "user": "U1"}, "reply": reply.to_dict()}, now=TEST_NOW)
    finally:
        runtime.close()


def _stop(proc: subprocess.Popen, sig: int, log: Path, *, uvicorn: bool = False) -> str:
    """Signal ``proc`` and check it stopped cleanly. uvicorn shuts down gracefully, then re-raises
    the signal it caught (exit status -SIGTERM): its log says the shutdown completed."""
    proc.send_signal(sig)
    try:
        code = proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the process did not stop within 15 s:\n" + log.read_text(errors="replace"))
    output = log.read_text(errors="replace")
    if uvicorn:
        assert code in (0, -sig), output
        assert "Application shutdown complete" in output, output
    else:
        assert code == 0, output
    return output


def _healthy(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(0.1)


def _outbox_status(database_url: str) -> list[str]:
    runtime = build_runtime(make_settings(database_url), profiles=False, upgrade_db=False)
    try:
        return [r["status"] for r in rows(runtime, "outbox")]
    finally:
        runtime.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_delivers_the_outbox_and_stops_cleanly(database_url, fake_slack, tmp_path, sig):
    _queue_dm(database_url)
    log = tmp_path / "worker.log"
    worker = _carnet(["worker", "--now", "2026-11-23T09:00:00Z"], _env(database_url, fake_slack.api_url), log)
    try:
        [call] = fake_slack.wait_for("chat.postMessage", timeout=30)
        assert "très occupé" in call.params["text"]
    finally:
        output = _stop(worker, sig, log)
    assert "Carnet worker running" in output and "Carnet worker stopped" in output
    assert _outbox_status(database_url) == ["sent"]


def test_the_worker_needs_a_bot_token(sqlite_url, tmp_path):
    env = _env(sqlite_url, "http://127.0.0.1:9/api/")
    env.pop("SLACK_BOT_TOKEN")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "SLACK_BOT_TOKEN is not set" in done.stderr


def test_serve_embeds_a_worker_by_default(sqlite_url, fake_slack, tmp_path):
    _queue_dm(sqlite_url)
    log = tmp_path / "serve.log"
    port = free_port()
    serve = _carnet(["serve", "--host", "127.0.0.1", "--port", str(port)], _env(sqlite_url, fake_slack.api_url), log)
    try:
        fake_slack.wait_for("chat.postMessage", timeout=30)
    finally:
        output = _stop(serve, signal.SIGTERM, log, uvicorn=True)
    assert "with the embedded worker" in output
    assert _outbox_status(sqlite_url) == ["sent"]


def test_serve_without_a_worker_answers_slack_and_leaves_the_outbox_to_carnet_worker(sqlite_url, fake_slack, tmp_path):
    _queue_dm(sqlite_url)
    env = _env(sqlite_url, fake_slack.api_url)
    log = tmp_path / "serve.log"
    port = free_port()
    serve = _carnet(["serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        _healthy(url, serve, log)
        with SlackClient(url, SIGNING_SECRET) as slack:
            response = slack.command("/log", "visite Gamma")  # answered in the ack, wakes the (absent) worker
        assert response.status_code == 200 and "Gamma" in message_text(response.json())
        # With an embedded worker the DM would have gone at start-up (see the test above).
        assert fake_slack.calls("chat.postMessage") == []
        assert _outbox_status(sqlite_url) == ["pending"]
        worker_log = tmp_path / "worker.log"
        worker = _carnet(["worker"], env, worker_log)
        try:
            fake_slack.wait_for("chat.postMessage", timeout=30)
        finally:
            _stop(worker, signal.SIGTERM, worker_log)
    finally:
        output = _stop(serve, signal.SIGTERM, log, uvicorn=True)
    assert "without a worker (--no-worker)" in output
    assert _outbox_status(sqlite_url) == ["sent"]
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_the_web_app_parts_follow_the_flags(runtime):
    """The real objects: what runs beside the door with and without the embedded worker."""
    from bot.jobs.delivery import DeliveryWorker
    from bot.jobs.scheduler import Scheduler

    def parts(app) -> list[type]:
        # Starlette keeps the lifespan's closure; its ``background`` is what starts with the app.
        lifespan = app.router.lifespan_context
        cells = [c.cell_contents for c in (lifespan.__wrapped__.__closure__ or ())]  # type: ignore[attr-defined]
        [background] = [c for c in cells if isinstance(c, list)]
        return [type(p) for p in background]

    assert parts(runtime.web_app(with_scheduler=True)) == [DeliveryWorker, Scheduler]
    assert parts(runtime.web_app(with_scheduler=False, with_delivery=False)) == []
