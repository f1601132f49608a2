"""The manager's cockpit charts (issue 14): each drawn as a PNG from small and 1,000-rep data,
with a meaningful alt text, and legible at scale (never one bar per rep)."""

from __future__ import annotations

import struct
from datetime import date, timedelta

import pytest

from bot.render import files
from bot.render.charts import (
    COCKPIT_SIZE, EDGE_REPS, activity_mix_data, attainment_data, cockpit_chart, funnel_data, trend_data,
)

PNG = b"\x89PNG\r\n\x1a\n"


def reps(n: int) -> list[tuple[str, float | None, float | None]]:
    return [(f"Rep {i:04d}", i / n * 1.4, i / n * 1.6) for i in range(n)] + [("No goal", None, None)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    return struct.unpack(">II", data[16:24])


def all_charts(n: int, locale: str = "en") -> list[dict]:
    monday = date(2026, 9, 7)
    return [
        attainment_data(reps(n), elapsed=0.5, title="Attainment", locale=locale),
        trend_data([(monday + timedelta(weeks=i), 1000 * i, 10 + i) for i in range(14)], title="Trend", locale=locale, currency="EUR"),
        funnel_data([("Lead", n), ("Proposal", n // 2), ("Negotiation", n // 5), ("Won", n // 10)], title="Funnel", locale=locale),
        activity_mix_data([("visit", 3 * n), ("call", 5 * n), ("email", n), ("demo", 0)], title="Mix", locale=locale),
    ]


@pytest.mark.parametrize("n", [3, 1000])
def test_each_chart_is_a_png_of_the_cockpit_size_from_small_and_large_teams(n):
    for data in all_charts(n):
        image = files.content({files.CHART_FIELD: data})  # as the delivery worker draws it
        assert png_size(image) == COCKPIT_SIZE, data["chart"]
        assert 5_000 < len(image) < 400_000, data["chart"]


def test_empty_data_still_draws_and_says_so():
    for data in (attainment_data([], elapsed=0.2, title="A", locale="fr"), trend_data([], title="T", locale="fr", currency="EUR"),
                 funnel_data([], title="F", locale="fr"), activity_mix_data([], title="M", locale="fr")):
        assert png_size(cockpit_chart(data)) == COCKPIT_SIZE
        assert data["alt"]


def test_at_1000_reps_the_attainment_chart_keeps_the_best_and_worst_and_aggregates_the_others():
    data = attainment_data(reps(1000), elapsed=0.5, title="A", locale="en")
    assert len(data["top"]) == len(data["bottom"]) == EDGE_REPS
    assert data["others"]["count"] == 1000 - 2 * EDGE_REPS  # the rep without objective is not drawn
    assert data["top"][0][0] == "Rep 0999" and data["bottom"][-1][0] == "Rep 0000"
    assert 0.65 < data["others"]["projected"] < 0.95
    small = attainment_data(reps(5), elapsed=0.5, title="A", locale="en")
    assert (len(small["top"]), small["others"], small["bottom"]) == (5, None, [])


def test_alt_texts_describe_what_the_chart_shows():
    attainment, trend, funnel, mix = all_charts(12)
    assert attainment["alt"] == ("Attainment of 12 reps, 50% of the period elapsed: 3 at or above 100%, "
                                 "5 below 50%, median 64%, median projection 73%.")
    assert trend["alt"].startswith("Trend over 12 weeks: won $2,000 the week of Sep 21, 2026".replace("$", "€"))
    assert funnel["alt"] == ("Deal funnel: Lead 12 (50% move on to the next stage), Proposal 6 (33% move on to the next stage), "
                             "Negotiation 2 (50% move on to the next stage), Won 1.")
    assert mix["alt"] == "Actions by type (108 in all): call 60 (56%), visit 36 (33%), email 12 (11%)."
    fr = attainment_data(reps(12), elapsed=0.5, title="A", locale="fr")["alt"]
    assert fr.startswith("Atteinte de l'objectif de 12 commerciaux, 50\u00a0% de la période écoulée")


def test_the_trend_keeps_twelve_weeks_and_the_mix_groups_rare_types():
    _attainment, trend, _funnel, _mix = all_charts(3)
    assert len(trend["weeks"]) == 12 and trend["weeks"][0][0] == "2026-09-21"
    mix = activity_mix_data([(f"t{i}", 20 - i) for i in range(12)], title="M", locale="fr", limit=8)
    assert len(mix["types"]) == 9 and mix["types"][-1] == ["autres", 12 + 11 + 10 + 9]


def test_the_alt_text_goes_with_the_stored_file():
    data = funnel_data([("Lead", 4), ("Won", 1)], title="F", locale="en")
    assert files.alt_text({files.CHART_FIELD: data}) == data["alt"]
    assert files.alt_text({"content_b64": "eA=="}) is None


def test_unknown_chart_data_is_a_clear_file_error():
    with pytest.raises(files.FileError):
        files.content({files.CHART_FIELD: {"chart": "pie"}})
