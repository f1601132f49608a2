"""benchmarks/run.py's table and the figure convention (benchmarks/harness.py) it reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402
import run as bench_run  # noqa: E402


def test_a_figure_is_appended_to_the_file_named_in_the_environment_and_nowhere_else(tmp_path, monkeypatch):
    monkeypatch.delenv(harness.FIGURES_ENV, raising=False)
    harness.figure("nothing", 1.0)  # no file named: nothing written, nothing raised
    path = tmp_path / "figures.jsonl"
    monkeypatch.setenv(harness.FIGURES_ENV, str(path))
    harness.figure("ack p99", 41.0, target=100.0, reference=20.5)
    harness.figure("throughput", 70.0, target=150.0, unit="req/s", higher_is_better=True)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(f["figure"], f["measured"], f["target"], f["reference"], f["unit"]) for f in lines] == [
        ("ack p99", 41.0, 100.0, 20.5, "ms"), ("throughput", 70.0, 150.0, None, "req/s")]


def test_the_table_gives_each_figure_its_ratio_and_whether_its_target_is_met():
    runs = [
        bench_run.Run("log_latency", 0, 1.0, "l.log", [
            {"figure": "ack p99", "measured": 41.0, "target": 100.0, "reference": 20.5, "unit": "ms"}]),
        bench_run.Run("load", 1, 1.0, "load.log", [
            {"figure": "throughput", "measured": 75.0, "target": 150.0, "reference": None, "unit": "req/s",
             "higher_is_better": True},
            {"figure": "scan", "measured": 1500.0, "target": 1000.0, "reference": None, "unit": "ms"},
            {"figure": "parse", "measured": 12.5, "target": None, "reference": None, "unit": "ms"}]),
        bench_run.Run("tick", 2, 1.0, "tick.log", []),
    ]
    plain, markdown = bench_run.tables(runs)
    rows = [line.split(" | ") for line in markdown.splitlines()[2:]]
    assert [r[1:] for r in rows] == [
        ["≤ 100 ms", "41.0 ms", "20.5 ms", "×2.00", "met |"],
        ["≥ 150 req/s", "75.0 req/s", "—", "×0.50", "MISSED |"],
        ["≤ 1,000 ms", "1,500 ms", "—", "×1.50", "MISSED |"],
        ["—", "12.5 ms", "—", "—", "— |"],
        ["—", "—", "—", "—", "FAILED |"],
    ]
    assert "tick: no figure (exit 2, see tick.log)" in plain


def test_run_py_runs_a_benchmark_and_prints_its_figures_as_json():
    done = subprocess.run([sys.executable, "benchmarks/run.py", "--quick", "--only", "parse", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    [parse] = result["runs"]
    assert parse["name"] == "parse" and parse["exit_code"] == 0
    assert {f["figure"] for f in parse["figures"]} >= {"read a /log line (fr), p95", "read a message (en), p95"}
    assert "| read a /log line (fr), p95 | — |" in done.stdout
