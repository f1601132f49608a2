"""The load and fault suites' --quick forms, run as an operator runs them (``python -m suites.…``), and
the counts they rest on, shown to catch a lost action and a message posted twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from suites.common import LoadResults, count_actions, outbox_delivery, prepare_demo, queue_messages
from tests.support.fake_slack import FakeSlack
from slack_sdk import WebClient

ROOT = Path(__file__).resolve().parents[2]


def _run(module: str, *args: str, timeout: float) -> dict:
    done = subprocess.run([sys.executable, "-m", module, "--quick", "--json", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-3000:]
    result = json.loads(lines[-1])
    assert done.returncode == (0 if result["ok"] else 1)
    assert result["ok"], done.stdout[-4000:]
    return result


# One test per scenario (``--only``): the test run's workers share them out, each mostly waiting.
@pytest.mark.parametrize("name", ["sqlite-one", "pg-two"])
def test_the_quick_load_suite_counts_every_acknowledged_log_once(name):
    result = _run("suites.load", "--only", name, timeout=240)
    [scenario] = result["scenarios"]
    assert scenario["name"] == name
    if "skipped" in scenario:  # pg-two without PostgreSQL binaries nor a server
        return
    figures = scenario["figures"]
    assert figures["actions"]["acked"] > 0 and figures["actions"]["stored"] == figures["actions"]["acked"]
    if name == "pg-two":
        assert figures["doors"] == 2


@pytest.mark.parametrize("name", ["web-api", "worker-kill", "db-restart"])
def test_the_quick_fault_suite_delivers_every_message_exactly_once(name):
    result = _run("suites.faults", "--only", name, timeout=400)
    [scenario] = result["scenarios"]
    assert scenario["name"] == name
    if name in ("web-api", "worker-kill"):
        figures = scenario["figures"]
        assert set(figures["faults"]) == {"429", "500", "drop", "timeout", "lost"}
        assert figures["posted_once"] == figures["rows"] >= 30
    if name == "worker-kill":
        assert scenario["figures"]["killed_after_sent"] < 30


def test_the_counts_catch_a_lost_action_and_a_message_posted_twice(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'counts.db'}"
    demo = prepare_demo(db_url)
    [first, second] = queue_messages(db_url, demo, 2, "counts")
    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.api_url)
        for _ in range(2):
            client.chat_postMessage(channel=demo.reps[0], text="x",
                                    metadata={"event_type": "carnet_outbox", "event_payload": {"key": first, "id": 1}})
        counts = outbox_delivery(db_url, demo.workspace_id, fake)
    assert (counts["rows"], counts["posted_once"], counts["posted_twice"], counts["not_sent"]) == (2, 0, 1, 2)
    results = LoadResults(logs={"run-0-1": "ok", "run-0-2": "timeout"})
    assert count_actions(db_url, "run", results)["lost"] == 1


def test_the_claim_lease_comes_from_the_environment_and_is_checked():
    assert Settings.from_env({}).claim_lease_seconds == 60
    assert Settings.from_env({"CARNET_CLAIM_LEASE_SECONDS": "5"}).claim_lease_seconds == 5
    for bad in ("2", "ten", "-5", "99999"):
        with pytest.raises(SettingsError, match="CARNET_CLAIM_LEASE_SECONDS"):
            Settings.from_env({"CARNET_CLAIM_LEASE_SECONDS": bad})
