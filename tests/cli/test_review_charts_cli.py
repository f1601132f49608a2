"""``carnet report review WHO --charts DIR`` writes the pack's cockpit charts (attainment, funnel,
activity mix) as PNG files, on the team of ``tests/reports/test_review_pack.py``; a directory that
cannot be written is a clear error and nothing is written nor queued."""

from __future__ import annotations

import struct

from sqlalchemy import func, select

from bot.render.charts import COCKPIT_SIZE
from storage.models import OutboxMessage
from tests.cli.test_cli import run_main
from tests.cli.test_review_cli import NOW, url
from tests.reports.test_review_pack import seeded  # noqa: F401  (the fixture)

FILES = ["carnet-review-attainment-2026-11-01.png", "carnet-review-funnel-2026-11-01.png", "carnet-review-activity-2026-11-01.png"]


def test_the_pack_and_its_charts_written_into_a_directory(monkeypatch, capsys, engine, session_factory, seeded, tmp_path):  # noqa: F811
    target = tmp_path / "charts"
    status, out, err = run_main(monkeypatch, capsys, url(engine), "report", "review", "@Nadia", "--now", NOW, "--charts", str(target))
    assert (status, err) == (0, "")
    lines = out.rstrip("\n").split("\n")
    assert lines[0] == "🔎 Revues de période de votre équipe — 3 commerciaux, 1 à risque (privé)"
    assert lines[-3:] == [str(target / name) for name in FILES]  # after the pack, the files written
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)
    for name in FILES:
        data = (target / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", data[16:24]) == COCKPIT_SIZE
    with session_factory() as s:  # writing files queues nothing
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_directory_that_cannot_be_written_is_a_clear_error(monkeypatch, capsys, engine, seeded, tmp_path):  # noqa: F811
    (tmp_path / "out").mkdir()
    blocker = tmp_path / "out" / "a-file"
    blocker.write_text("not a directory")
    status, out, err = run_main(monkeypatch, capsys, url(engine), "report", "review", "@Nadia", "--now", NOW,
                                "--charts", str(blocker / "charts"))
    assert (status, out) == (2, "")
    assert err.startswith(f"carnet: cannot write the charts into '{blocker / 'charts'}': ")
    assert blocker.read_text() == "not a directory" and list((tmp_path / "out").iterdir()) == [blocker]
