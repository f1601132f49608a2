"""The digest's charts: valid PNGs of a fixed size, Babel-formatted labels, bounded and deterministic."""

from __future__ import annotations

import io
import sys
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from bot.render import charts
from bot.render.charts import (
    DIGEST_SIZE,
    MAX_BARS,
    SINGLE_SIZE,
    attainment_chart,
    attainment_rows,
    attainment_title,
    digest_chart,
    money_label,
    percent_label,
    pipeline_chart,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

REPS = [
    ("Élodie Durand-Bézier", 0.85),
    ("François Lefèvre", 1.23),
    ("Zoë Martin", None),
    ("Jérôme Ñúñez", 0.4),
]
STAGES = [
    ("Découverte", 12000.0, 1200.0),
    ("Qualification", 45000.0, 9000.0),
    ("Proposition", 80000.0, 40000.0),
    ("Négociation", 30000.0, 21000.0),
]
MANY = [(f"Commercial {i:04d} Çà", (i * 37 % 150) / 100) for i in range(1000)]


def spaces(text: str) -> str:
    """Babel writes French with no-break spaces (U+00A0, U+202F); compare them as plain spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def image_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        image.load()  # decodes the whole image: a truncated or corrupt file raises here
        assert image.format == "PNG"
        return image.size


# ------------------------------------------------------------------ labels


def test_percent_labels_follow_the_locale():
    assert spaces(percent_label(0.85, "fr")) == "85 %"
    assert spaces(percent_label(1.234, "fr-FR")) == "123 %"
    assert percent_label(0.85, "en") == "85%"
    assert percent_label(0, "en-US") == "0%"


def test_money_labels_follow_the_locale_without_cents():
    assert spaces(money_label(12000, "fr", "EUR")) == "12 000 €"
    assert spaces(money_label(Decimal("1234567.4"), "fr", "EUR")) == "1 234 567 €"
    assert money_label(12000.0, "en", "EUR") == "€12,000"
    assert money_label(0, "en", "USD") == "$0"


def test_the_title_counts_the_reps_left_out_in_the_readers_words():
    assert attainment_title("Atteinte", 0, "fr") == "Atteinte"
    assert spaces(attainment_title("Atteinte", 1970, "fr")) == "Atteinte (+1 970 autres)"
    assert attainment_title("Attainment", 970, "en") == "Attainment (+970 more)"


def test_rows_are_best_first_with_no_objective_last_and_capped():
    shown, hidden = attainment_rows(REPS)
    assert hidden == 0
    assert [name for name, _ in shown] == ["François Lefèvre", "Élodie Durand-Bézier", "Jérôme Ñúñez", "Zoë Martin"]
    shown, hidden = attainment_rows(MANY)
    assert (len(shown), hidden) == (MAX_BARS, 1000 - MAX_BARS)
    best = sorted((v for _, v in MANY), reverse=True)[:MAX_BARS]
    assert [v for _, v in shown] == best
    shown, hidden = attainment_rows([("A", None)] * 40 + [("B", 0.5)])
    assert shown[0] == ("B", 0.5) and hidden == 11
    assert attainment_rows([("Nan", float("nan")), ("Inf", float("inf"))])[0] == [("Nan", None), ("Inf", None)]


# ------------------------------------------------------------------ images


def test_each_chart_is_a_png_of_its_fixed_size():
    assert image_size(attainment_chart(REPS, title="Atteinte des objectifs", locale="fr")) == SINGLE_SIZE
    assert image_size(pipeline_chart(STAGES, title="Pipeline par étape", locale="fr", currency="EUR")) == SINGLE_SIZE
    png = digest_chart(REPS, STAGES, titles=("Attainment", "Pipeline by stage"), locale="en", currency="USD")
    assert image_size(png) == DIGEST_SIZE


def test_empty_inputs_still_give_valid_charts():
    assert image_size(attainment_chart([], title="Atteinte", locale="fr")) == SINGLE_SIZE
    assert image_size(pipeline_chart([], title="Pipeline", locale="fr", currency="EUR")) == SINGLE_SIZE
    assert image_size(digest_chart([], [], titles=("A", "P"), locale="fr", currency="EUR")) == DIGEST_SIZE
    all_zero = pipeline_chart([("Lead", 0, 0)], title="Pipeline", locale="en", currency="EUR")
    assert image_size(all_zero) == SINGLE_SIZE


def test_a_thousand_reps_give_one_chart_of_the_same_size():
    png = digest_chart(MANY, STAGES * 3, titles=("Atteinte", "Pipeline"), locale="fr", currency="EUR")
    assert image_size(png) == DIGEST_SIZE


def test_same_input_same_bytes_and_no_software_or_date_metadata():
    first = digest_chart(REPS, STAGES, titles=("Atteinte", "Pipeline"), locale="fr", currency="EUR")
    second = digest_chart(list(REPS), list(STAGES), titles=("Atteinte", "Pipeline"), locale="fr", currency="EUR")
    assert first == second
    assert b"Software" not in first and b"Matplotlib" not in first and b"tIME" not in first
    other = digest_chart(REPS[:2], STAGES, titles=("Atteinte", "Pipeline"), locale="fr", currency="EUR")
    assert other != first


def test_accents_emoji_dollars_and_odd_numbers_draw_without_warnings():
    reps = [
        ("Zoë 🚀 Martin 👩‍💼", 0.5),  # emoji have no glyph in the bundled font: dropped
        ("Jo $x$ Bob", 0.7),  # two dollars would be mathtext
        ("Très très long nom de commercial qui ne tient pas", 12.0),  # drawn at the 300 % cap
        ("Négatif", -0.2),
        ("", None),
    ]
    stages = [("Étape très longue à découper en lignes", Decimal("1500.50"), Decimal(-20))] * 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" and mathtext errors would fail here
        png = digest_chart(reps, stages, titles=("Atteinte 💯", "Pipeline $ €"), locale="fr", currency="USD")
    assert image_size(png) == DIGEST_SIZE


def test_charts_leave_no_pyplot_figure_open():
    charts.attainment_chart(REPS, title="Atteinte", locale="fr")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # another module may have imported pyplot; charts must not add figures to it
        assert pyplot.get_fignums() == []
    code = Path(charts.__file__).read_text(encoding="utf-8").split('"""', 2)[2]  # after the docstring
    assert "pyplot" not in code


@pytest.mark.parametrize("locale", ["fr", "en", "de", None])
def test_any_locale_falls_back_to_a_supported_one(locale):
    assert image_size(attainment_chart(REPS, title="T", locale=locale)) == SINGLE_SIZE
