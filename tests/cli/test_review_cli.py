"""``carnet report review WHO`` prints the review pack the scheduler would send: a manager's reps
(at risk first) or one rep, on the team of ``tests/reports/test_review_pack.py``."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import OutboxMessage
from tests.cli.test_cli import run_main
from tests.reports.test_review_pack import seeded  # noqa: F401  (the fixture)

NOW = "2026-11-30T07:00:00Z"


def url(engine) -> str:
    """The test database as the ``carnet`` command reads it (on PostgreSQL, the schema the rows are in)."""
    return engine.url.render_as_string(hide_password=False)


def test_the_managers_pack_in_the_terminal(monkeypatch, capsys, engine, session_factory, seeded):  # noqa: F811
    status, out, err = run_main(monkeypatch, capsys, url(engine), "report", "review", "@Nadia", "--now", NOW)
    assert (status, err) == (0, "")
    lines = out.split("\n")
    assert lines[0] == "🔎 Revues de période de votre équipe — 3 commerciaux, 1 à risque (privé)"
    assert lines[1] == "⚠ Bruno — à risque — période du 1 nov. 2026 au 30 nov. 2026"
    assert "• 6 relances manquées sur 13 : planifier les relances ensemble." in lines
    assert lines.index("Alice — période du 1 nov. 2026 au 30 nov. 2026") < lines.index("Chloé — période du 1 nov. 2026 au 30 nov. 2026")
    with session_factory() as s:  # printing queues nothing
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_one_rep_in_english(monkeypatch, capsys, engine, seeded):  # noqa: F811
    status, out, err = run_main(monkeypatch, capsys, url(engine), "report", "review", "bruno", "--now", NOW, "--lang", "en")
    assert (status, err) == (0, "")
    assert out.split("\n")[:2] == ["🔎 Your team's period reviews — 1 rep, 1 at risk (private)",
                                   "⚠ Bruno — at risk — period Nov 1, 2026 to Nov 30, 2026"]
    assert "• 6 relances missed of 13: plan the relances together." in out
    assert "Alice" not in out


def test_an_unknown_member_or_workspace_is_a_clear_error(monkeypatch, capsys, engine, seeded):  # noqa: F811
    status, out, err = run_main(monkeypatch, capsys, url(engine), "report", "review", "@Zorro", "--now", NOW)
    assert (status, out) == (2, "") and err == "carnet: no member '@Zorro' in workspace T1\n"
    status, out, err = run_main(monkeypatch, capsys, url(engine), "report", "review", "@Nadia", "--team", "T9")
    assert (status, out) == (2, "") and err == "carnet: no workspace 'T9' in this database\n"
    status, _out, err = run_main(monkeypatch, capsys, url(engine), "report", "review", "@Nadia", "--now", "yesterday")
    assert status == 2 and "is not an ISO-8601 instant" in err
