"""The charts of the weekly digest, drawn with matplotlib as PNG bytes.

* ``attainment_chart``: one horizontal bar per rep, attainment ratio (1.0 = 100 %), a line at
  100 %, reps without an objective drawn as an empty hatched bar labelled "no objective".
  At most ``MAX_BARS`` reps (the best first); the title then says "+N more".
* ``pipeline_chart``: per stage, the raw amount and the weighted amount side by side.
* ``digest_chart``: both in one image, what the digest uploads (outbox kind ``"file"``).

Numbers are written by Babel in the reader's locale (``85 %``, ``12 000 €``): the
formatters are public (``percent_label``, ``money_label``) so tests check the words, not pixels.

No global state is touched: no pyplot (no figure registry left open), no ``matplotlib.use``,
no rcParams change; each chart is a ``matplotlib.figure.Figure`` printed by its own Agg
canvas. Output is deterministic: fixed size and dpi, no ``Software``/date metadata, no
``bbox_inches="tight"``. matplotlib's font objects are shared and not thread-safe, so
drawing is serialised by a module lock (a chart takes tens of milliseconds).
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

from babel.numbers import format_decimal
from babel.numbers import format_percent as _babel_percent
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.messages import format_money, normalize_locale

__all__ = [
    "DIGEST_SIZE",
    "DPI",
    "MAX_BARS",
    "SINGLE_SIZE",
    "attainment_chart",
    "attainment_rows",
    "attainment_title",
    "chart_words",
    "digest_chart",
    "money_label",
    "percent_label",
    "pipeline_chart",
]

MAX_BARS = 30  # reps shown in the attainment chart; the others are counted in the title
DPI = 100
SINGLE_SIZE = (800, 600)  # pixels of attainment_chart / pipeline_chart
DIGEST_SIZE = (1600, 600)  # pixels of digest_chart
DISPLAY_CAP = 3.0  # bars longer than 300 % are drawn at 300 % (their label keeps the true value)
NAME_CHARS = 26
STAGE_CHARS = 14

# The few words the charts draw themselves (titles come from the caller, already translated).
_WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "more": "+{n} autres",
        "no_objective": "pas d'objectif",
        "no_data": "Pas encore de données",
        "raw": "Montant",
        "weighted": "Pondéré",
    },
    "en": {
        "more": "+{n} more",
        "no_objective": "no objective",
        "no_data": "No data yet",
        "raw": "Amount",
        "weighted": "Weighted",
    },
}

_RENDER_LOCK = threading.Lock()

_BAR = "#4C72B0"
_BAR_DONE = "#2A9D8F"  # reached the objective
_WEIGHTED = "#E9A03B"
_MUTED = "#8A8F98"
_GRID = "#E3E5E8"
_TEXT = "#23262B"
_DROP = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}  # emoji joiners and selectors


# ---------------------------------------------------------------------------- words


def chart_words(locale: str) -> dict[str, str]:
    """The chart's own words in ``locale`` (French or English)."""
    return _WORDS[normalize_locale(locale)]


def percent_label(ratio: float, locale: str) -> str:
    """An attainment ratio as a percentage: ``0.85`` → ``85 %`` (fr, no-break space) / ``85%`` (en)."""
    return _babel_percent(ratio, locale=normalize_locale(locale))


def money_label(amount: float | Decimal, locale: str, currency: str) -> str:
    """A whole amount as an axis label: ``12 000 €`` (fr) / ``€12,000`` (en)."""
    value = Decimal(round(float(amount)))
    return format_money(locale, value, currency)


def attainment_title(title: str, hidden: int, locale: str) -> str:
    """The attainment chart's title, with ``(+N more)`` when reps were left out."""
    if hidden <= 0:
        return title
    count = format_decimal(hidden, locale=normalize_locale(locale))
    return f"{title} ({chart_words(locale)['more'].format(n=count)})"


def attainment_rows(
    reps: Sequence[tuple[str, float | None]], *, limit: int = MAX_BARS
) -> tuple[list[tuple[str, float | None]], int]:
    """The reps to draw, best first (no objective last, ties in the given order), and how many are left out."""
    cleaned = [(name, _ratio(value)) for name, value in reps]
    order = sorted(
        range(len(cleaned)),
        key=lambda i: (cleaned[i][1] is None, -(cleaned[i][1] or 0.0), i),
    )
    shown = [cleaned[i] for i in order[:limit]]
    return shown, max(0, len(cleaned) - limit)


def _ratio(value: float | Decimal | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _clean(text: str, limit: int) -> str:
    """Text the bundled font can draw: no emoji or private-use characters, no mathtext, at most ``limit`` chars."""
    kept = []
    for ch in str(text):
        if ch in _DROP or ord(ch) > 0xFFFF or unicodedata.category(ch) in ("So", "Cs", "Co", "Cn", "Cc"):
            continue
        kept.append(ch)
    flat = " ".join("".join(kept).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return _escape(flat)


def _escape(text: str) -> str:
    # Two "$" would switch matplotlib to mathtext; an escaped one is drawn as "$".
    return text.replace("$", r"\$")


# ---------------------------------------------------------------------------- drawing


def _new_figure(size: tuple[int, int]) -> Figure:
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" key: the bytes depend on the input only. Level 3 zlib: 3x faster than 6, ~10 % bigger.
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None},
                pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _style(ax: Axes, title: str) -> None:
    ax.set_title(title, fontsize=12, color=_TEXT, loc="left", pad=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_MUTED)
    ax.tick_params(colors=_TEXT, labelsize=9, length=3)
    ax.set_axisbelow(True)


def _empty(ax: Axes, title: str, locale: str) -> None:
    _style(ax, title)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, _escape(chart_words(locale)["no_data"]), transform=ax.transAxes,
            ha="center", va="center", fontsize=11, color=_MUTED)


def _draw_attainment(ax: Axes, reps: Sequence[tuple[str, float | None]], title: str, locale: str) -> None:
    shown, hidden = attainment_rows(reps)
    full_title = _clean(attainment_title(title, hidden, locale), 90)
    if not shown:
        _empty(ax, full_title, locale)
        return
    words = chart_words(locale)
    _style(ax, full_title)
    values = [v for _, v in shown if v is not None]
    top = min(max([1.0, *values]), DISPLAY_CAP)
    right = top * 1.18  # room for the value labels
    positions = list(range(len(shown)))[::-1]  # the best rep on top
    label_size = 9 if len(shown) <= 20 else 7.5
    # One bar collection for the reps with an objective, one for the others: a call per bar is slow.
    with_goal = [(y, v) for y, (_, v) in zip(positions, shown) if v is not None]
    without = [y for y, (_, v) in zip(positions, shown) if v is None]
    if with_goal:
        drawn = [min(max(v, 0.0), DISPLAY_CAP) for _, v in with_goal]
        ax.barh([y for y, _ in with_goal], drawn, height=0.7,
                color=[_BAR_DONE if v >= 1.0 else _BAR for _, v in with_goal])
        for (y, value), length in zip(with_goal, drawn):
            ax.text(length + right * 0.01, y, _escape(percent_label(value, locale)), va="center", ha="left",
                    fontsize=label_size, color=_TEXT)
    if without:
        ax.barh(without, [1.0] * len(without), height=0.7, facecolor="none", edgecolor=_GRID,
                hatch="///", linewidth=0.8)
        for y in without:
            ax.text(0.02, y, _escape(words["no_objective"]), va="center", ha="left",
                    fontsize=label_size, color=_MUTED, style="italic")
    ax.axvline(1.0, color=_TEXT, linestyle="--", linewidth=1)
    # Names as plain texts left of the axis: 30 tick objects cost more than the whole drawing.
    names = ax.get_yaxis_transform()  # x in axes coordinates, y in data
    for y, (name, _) in zip(positions, shown):
        ax.text(-0.015, y, _clean(name, NAME_CHARS), transform=names, va="center", ha="right",
                fontsize=label_size, color=_TEXT)
    ax.set_yticks([])
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlim(0, right)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: _escape(percent_label(x, locale))))
    ax.grid(axis="x", color=_GRID, linewidth=0.8)


def _draw_pipeline(
    ax: Axes, stages: Sequence[tuple[str, float, float]], title: str, locale: str, currency: str
) -> None:
    clean_title = _clean(title, 90)
    if not stages:
        _empty(ax, clean_title, locale)
        return
    words = chart_words(locale)
    _style(ax, clean_title)
    xs = list(range(len(stages)))
    raw = [float(r) for _, r, _ in stages]
    weighted = [float(w) for _, _, w in stages]
    width = 0.38
    ax.bar([x - width / 2 for x in xs], raw, width, color=_BAR, label=_escape(words["raw"]))
    ax.bar([x + width / 2 for x in xs], weighted, width, color=_WEIGHTED, label=_escape(words["weighted"]))
    labels = ["\n".join(textwrap.wrap(_clean(name, 2 * STAGE_CHARS), STAGE_CHARS)) or "-" for name, _, _ in stages]
    ax.set_xticks(xs, labels)
    ax.tick_params(axis="x", length=0, labelsize=9 if len(stages) <= 6 else 7.5)
    if len(stages) > 6:
        for tick in ax.get_xticklabels():
            tick.set_rotation(30)
            tick.set_horizontalalignment("right")
    low = min(0.0, *raw, *weighted)
    high = max(0.0, *raw, *weighted)
    if high == low:
        high = low + 1.0
    ax.set_ylim(low, high * 1.08 if high > 0 else high)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _escape(money_label(v, locale, currency))))
    ax.grid(axis="y", color=_GRID, linewidth=0.8)
    ax.legend(loc="upper right", fontsize=9, frameon=False)


# ---------------------------------------------------------------------------- public charts


def attainment_chart(reps: Sequence[tuple[str, float | None]], *, title: str, locale: str) -> bytes:
    """PNG (``SINGLE_SIZE``): rep name → attainment ratio (1.0 = 100 %); ``None`` = no objective."""
    with _RENDER_LOCK:
        fig = _new_figure(SINGLE_SIZE)
        _draw_attainment(fig.add_axes((0.27, 0.08, 0.68, 0.83)), reps, title, locale)
        return _png(fig)


def pipeline_chart(
    stages: Sequence[tuple[str, float, float]], *, title: str, locale: str, currency: str
) -> bytes:
    """PNG (``SINGLE_SIZE``): stage label → raw and weighted amounts, grouped bars, in ``currency``."""
    with _RENDER_LOCK:
        fig = _new_figure(SINGLE_SIZE)
        _draw_pipeline(fig.add_axes((0.17, 0.16, 0.79, 0.75)), stages, title, locale, currency)
        return _png(fig)


def digest_chart_from_data(data: dict) -> bytes:
    """The digest PNG from the plain data an outbox row keeps (``bot.dialogs.digest.chart_data``).

    Drawn by the delivery worker when the row is sent, not in the scheduler's tick: a chart costs
    a third of a second or more, and a Monday morning queues one per manager. Raises ValueError
    (KeyError, TypeError) on data that is not a digest chart's."""
    attainment = [(str(name), None if ratio is None else float(ratio)) for name, ratio in data["attainment"]]
    stages = [(str(label), float(raw), float(weighted)) for label, raw, weighted in data["stages"]]
    first, second = data["titles"]
    return digest_chart(attainment, stages, titles=(str(first), str(second)), locale=str(data["locale"]), currency=str(data["currency"]))


def digest_chart(
    attainment: Sequence[tuple[str, float | None]],
    stages: Sequence[tuple[str, float, float]],
    *,
    titles: tuple[str, str],
    locale: str,
    currency: str,
) -> bytes:
    """PNG (``DIGEST_SIZE``): the attainment chart (left) and the pipeline chart (right) side by side."""
    with _RENDER_LOCK:
        fig = _new_figure(DIGEST_SIZE)
        _draw_attainment(fig.add_axes((0.135, 0.08, 0.34, 0.83)), attainment, titles[0], locale)
        _draw_pipeline(fig.add_axes((0.595, 0.16, 0.385, 0.75)), stages, titles[1], locale, currency)
        return _png(fig)
